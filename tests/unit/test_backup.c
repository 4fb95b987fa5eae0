/*
 * test_backup.c: backup/ (pgBackRest's configuration files, command lines, its info
 * JSON, the recovery window, which backup is due, which backup a replica may use).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backup/backup.h"
#include "util/compiler.h"
#include "util/xalloc.h"

/* --- configuration files ------------------------------------------------------------------- */

static void pgbackrest_conf(struct pgbackrest_conf *pb)
{
	memset(pb, 0, sizeof(*pb));
	pb->enabled = true;
	snprintf(pb->stanza, sizeof(pb->stanza), "main");
	snprintf(pb->bin, sizeof(pb->bin), "/usr/bin/pgbackrest");
	snprintf(pb->path, sizeof(pb->path), "/var/lib/pgha/n1.pgbackrest");
	pg_params_set(&pb->options, "repo1-path", "/srv/repo");
	pg_params_set(&pb->options, "compress-type", "zst");
	pg_params_set(&pb->options, "repo1-type", "posix");
}

static void test_render_node_conf(void **state)
{
	struct pgbackrest_conf pb;
	struct backup_paths paths;
	struct backup_policy policy = {.retention_full = 2, .retention_diff = 0};
	struct backup_pg self = {"/var/lib/pgha/n1", 5432, "/var/lib/pgha/n1.sock", "postgres"};
	struct backup_conf_input in = {"n1", &pb, &paths, &policy, &self, 1, NULL, NULL};
	struct buf out;

	(void)state;
	pgbackrest_conf(&pb);
	snprintf(policy.retention_full_type, sizeof(policy.retention_full_type), "count");
	assert_true(backup_paths_of(&pb, &paths));
	assert_string_equal(paths.conf, "/var/lib/pgha/n1.pgbackrest/pgbackrest.conf");
	assert_string_equal(paths.spool, "/var/lib/pgha/n1.pgbackrest/spool");
	buf_init(&out);
	backup_conf_render(&in, &out);
	assert_string_equal(out.data,
	                    "# Written by pgha for member 'n1'; edits here are lost.\n"
	                    "# pgBackRest's options come from pgbackrest.options in its agent's "
	                    "configuration.\n"
	                    "[global]\n"
	                    "compress-type=zst\nrepo1-path=/srv/repo\nrepo1-type=posix\n"
	                    "log-path=/var/lib/pgha/n1.pgbackrest/log\n"
	                    "lock-path=/var/lib/pgha/n1.pgbackrest/lock\n"
	                    "spool-path=/var/lib/pgha/n1.pgbackrest/spool\n"
	                    "log-level-console=warn\nlog-level-file=info\n"
	                    "repo1-retention-full=2\nrepo1-retention-full-type=count\n"
	                    "\n[main]\n"
	                    "pg1-path=/var/lib/pgha/n1\npg1-port=5432\n"
	                    "pg1-socket-path=/var/lib/pgha/n1.sock\npg1-user=postgres\n");
	buf_free(&out);
	pg_params_free(&pb.options);
}

static void test_render_backup_and_source_conf(void **state)
{
	struct pgbackrest_conf pb;
	struct backup_paths paths;
	struct backup_pg pgs[3] = {{"/d/n2", 6502, "/d/n2.sock", "postgres"},
	                           {"/d/n1", 6501, "/d/n1.sock", "postgres"},
	                           {"/d/n3", 6503, "", NULL}};
	struct pg_params source = {NULL, 0};
	struct backup_conf_input in = {"n2", &pb, &paths, NULL, pgs, 3, NULL, NULL};
	struct buf out;

	(void)state;
	pgbackrest_conf(&pb);
	assert_true(backup_paths_of(&pb, &paths));
	buf_init(&out);
	backup_conf_render(&in, &out);
	/* pg1 is the first given (the leader); no retention without a policy */
	assert_non_null(strstr(out.data, "pg1-path=/d/n2\npg1-port=6502\n"));
	assert_non_null(strstr(out.data, "pg2-path=/d/n1\npg2-port=6501\npg2-socket-path=/d/n1.sock"
	                                 "\npg2-user=postgres\n"));
	assert_non_null(strstr(out.data, "pg3-path=/d/n3\npg3-port=6503\n"));
	assert_null(strstr(out.data, "pg3-socket-path"));
	assert_null(strstr(out.data, "retention"));
	buf_reset(&out);
	/* A source repository replaces every repo option, keeps the others. */
	pg_params_set(&source, "repo1-path", "/old/repo");
	pg_params_set(&source, "stanza", "ignored-not-a-repo-option");
	in.source = &source;
	in.source_stanza = "old";
	in.n_pgs = 1;
	backup_conf_render(&in, &out);
	assert_non_null(strstr(out.data, "compress-type=zst\nrepo1-path=/old/repo\nlog-path="));
	assert_null(strstr(out.data, "/srv/repo"));
	assert_null(strstr(out.data, "repo1-type"));
	assert_null(strstr(out.data, "ignored-not"));
	assert_non_null(strstr(out.data, "\n[old]\npg1-path=/d/n2\n"));
	buf_free(&out);
	pg_params_free(&source);
	pg_params_free(&pb.options);
}

static void test_archive_commands(void **state)
{
	struct buf out;

	(void)state;
	buf_init(&out);
	backup_archive_command("/usr/bin/pgbackrest", "/d/n1.pgbackrest/pgbackrest.conf", "main",
	                       &out);
	assert_string_equal(out.data, "'/usr/bin/pgbackrest' '--config=/d/n1.pgbackrest/"
	                              "pgbackrest.conf' '--stanza=main' archive-push \"%p\"");
	buf_reset(&out);
	backup_restore_command("/usr/bin/pgbackrest", "/it's here/x.conf", "main", &out);
	assert_string_equal(out.data, "'/usr/bin/pgbackrest' '--config=/it'\\''s here/x.conf' "
	                              "'--stanza=main' archive-get %f \"%p\"");
	buf_free(&out);
}

static char *joined(char **argv)
{
	struct buf b;
	char *s;

	buf_init(&b);
	for (size_t i = 0; argv[i] != NULL; i++)
		buf_printf(&b, "%s%s", i ? " " : "", argv[i]);
	backup_argv_free(argv);
	s = buf_steal(&b);
	buf_free(&b);
	return s;
}

static void expect_joined(char **argv, const char *want)
{
	char *got = joined(argv);

	assert_string_equal(got, want);
	free(got);
}

static void test_command_lines(void **state)
{
	struct backup_cmd c = {"/usr/bin/pgbackrest", "/c.conf", "main"};
	struct backup_target t = {BACKUP_TARGET_TIME, "2026-12-07 21:21:47+00"};
	const char *opts[] = {"--type=full", "--backup-standby", NULL};
	char **argv = backup_argv(&c, opts, "backup");

	(void)state;
	assert_string_equal(backup_command_name(argv), "backup");
	expect_joined(argv, "/usr/bin/pgbackrest --config=/c.conf --stanza=main --type=full "
	                    "--backup-standby backup");
	expect_joined(backup_argv(&c, NULL, "check"),
	              "/usr/bin/pgbackrest --config=/c.conf --stanza=main check");
	expect_joined(backup_restore_opts("/d/tmp", &t, false, NULL, false),
	              "--pg1-path=/d/tmp --type=time --target=2026-12-07 21:21:47+00 "
	              "--target-action=promote");
	t = (struct backup_target){BACKUP_TARGET_SET, "20261207-211958F"};
	expect_joined(backup_restore_opts(NULL, &t, false, NULL, true),
	              "--type=immediate --set=20261207-211958F --target-action=promote --delta");
	t = (struct backup_target){BACKUP_TARGET_LATEST, ""};
	expect_joined(backup_restore_opts(NULL, &t, false, NULL, false), "");
	expect_joined(backup_restore_opts("/x", &t, false, NULL, false), "--pg1-path=/x");
	expect_joined(backup_restore_opts(NULL, NULL, true, "L1", false),
	              "--type=standby --set=L1");
	expect_joined(backup_restore_opts(NULL, NULL, true, "", true), "--type=standby --delta");
}

/* --- info ------------------------------------------------------------------------------------ */

#define BACKUP_JSON(label, type, prior, start, stop, lsn_stop, wal, err)                         \
	"{\"label\":\"" label "\",\"type\":\"" type "\",\"prior\":" prior                        \
	",\"reference\":null,\"error\":" err ",\"timestamp\":{\"start\":" #start                 \
	",\"stop\":" #stop "},\"lsn\":{\"start\":\"0/3D000028\",\"stop\":\"" lsn_stop "\"},"     \
	"\"archive\":{\"start\":\"" wal "\",\"stop\":\"" wal "\"},\"info\":{\"size\":181648754," \
	"\"delta\":1000,\"repository\":{\"size\":12195804,\"delta\":500}},\"database\":{"        \
	"\"id\":1,\"repo-key\":1},\"backrest\":{\"format\":5,\"version\":\"2.45\"}}"

/* Trimmed real output of pgBackRest 2.45 (docs: the spike), with a second stanza. */
static const char INFO_JSON[] =
    "[{\"name\":\"other\",\"status\":{\"code\":0,\"message\":\"ok\"},\"backup\":[]},"
    "{\"name\":\"main\",\"cipher\":\"none\","
    "\"status\":{\"code\":0,\"message\":\"ok\",\"lock\":{\"backup\":{\"held\":true}}},"
    "\"repo\":[{\"key\":1,\"cipher\":\"none\",\"status\":{\"code\":0,\"message\":\"ok\"}}],"
    "\"db\":[{\"id\":1,\"repo-key\":1,\"system-id\":7716673263768133996,\"version\":\"15\"}],"
    "\"archive\":[{\"id\":\"15-1\",\"database\":{\"id\":1,\"repo-key\":1},"
    "\"min\":\"000000010000000000000001\",\"max\":\"000000050000000000000041\"}],"
    "\"backup\":[" BACKUP_JSON(
        "20261207-211958F", "full", "null", 1796678000, 1796678010, "0/3B000100",
        "00000003000000000000003B",
        "false") "," BACKUP_JSON("20261207-211958F_20261207-212150I", "incr",
                                 "\"20261207-211958F\"", 1796678100, 1796678110, "0/3C000100",
                                 "00000003000000000000003C",
                                 "false") "," BACKUP_JSON("20261207-212317F", "full", "null",
                                                          1796678597, 1796678605, "0/3D000100",
                                                          "00000004000000000000003D", "true") "]}]";

static void test_info_parse(void **state)
{
	struct backup_info info;
	char err[128];
	const struct backup_set *s;

	(void)state;
	assert_true(backup_info_parse(INFO_JSON, "main", &info, err, sizeof(err)));
	assert_int_equal(info.status_code, 0);
	assert_true(info.backup_running);
	assert_string_equal(info.system_id, "7716673263768133996");
	assert_string_equal(info.archive_min, "000000010000000000000001");
	assert_string_equal(info.archive_max, "000000050000000000000041");
	assert_int_equal(info.n_sets, 3);
	s = &info.sets[1];
	assert_string_equal(s->label, "20261207-211958F_20261207-212150I");
	assert_int_equal(s->type, BACKUP_INCR);
	assert_string_equal(s->prior, "20261207-211958F");
	assert_int_equal(s->timeline, 3);
	assert_int_equal(s->lsn_stop, 0x3C000100);
	assert_int_equal(s->size, 181648754);
	assert_int_equal(s->repo_size, 12195804);
	assert_int_equal(s->repo_delta, 500);
	assert_true(info.sets[2].error);
	/* the newest good one is the incr: the newest full has an error */
	assert_ptr_equal(backup_info_newest(&info, BACKUP_NONE), &info.sets[1]);
	assert_ptr_equal(backup_info_newest(&info, BACKUP_FULL), &info.sets[0]);
	assert_null(backup_info_newest(&info, BACKUP_DIFF));
	assert_ptr_equal(backup_info_find(&info, "20261207-212317F"), &info.sets[2]);
	assert_null(backup_info_find(&info, "nope"));
	backup_info_free(&info);

	assert_true(backup_info_parse(INFO_JSON, "absent", &info, err, sizeof(err)));
	assert_int_equal(info.status_code, -1);
	assert_int_equal(info.n_sets, 0);
	backup_info_free(&info);
	assert_false(backup_info_parse("{\"a\":1}", "main", &info, err, sizeof(err)));
	assert_non_null(strstr(err, "not pgBackRest's info JSON"));
	backup_info_free(&info);
	assert_false(backup_info_parse("ERROR: [103]: unable", "main", &info, err, sizeof(err)));
	backup_info_free(&info);
}

static void test_info_window_and_rendering(void **state)
{
	struct backup_info info;
	struct backup_window w;
	char err[128];
	struct buf out;
	json_t *j;
	char *text;

	(void)state;
	assert_true(backup_info_parse(INFO_JSON, "main", &info, err, sizeof(err)));
	backup_info_window(&info, 1796679000, &w);
	assert_true(w.known);
	assert_int_equal(w.from_s, 1796678010); /* the oldest good backup's stop */
	assert_int_equal(w.until_s, 1796679000);
	backup_info_window(&info, 0, &w);
	assert_int_equal(w.until_s, 0);
	backup_info_window(&info, 1796678001, &w); /* archived last before the backup ended */
	assert_int_equal(w.until_s, 1796678010);
	j = backup_info_json(&info, 1796679000);
	text = json_dumps(j, JSON_COMPACT);
	assert_non_null(strstr(text, "\"window\":{\"from\":\"2026-12-07T21:13:30Z\",\"until\":"
	                             "\"2026-12-07T21:30:00Z\"}"));
	assert_non_null(strstr(text, "\"label\":\"20261207-211958F\",\"type\":\"full\",\"prior\":"
	                             "null,\"start\":\"2026-12-07T21:13:20Z\""));
	assert_non_null(strstr(text, "\"duration_s\":10,\"size\":181648754"));
	assert_non_null(strstr(text, "\"lsn_stop\":\"0/3C000100\""));
	free(text);
	json_decref(j);
	buf_init(&out);
	backup_info_table(&info, 1796679000, &out);
	assert_non_null(strstr(out.data, "Stanza main: ok (a backup is running)\n"));
	assert_non_null(strstr(out.data,
	                       "20261207-211958F                   full 2026-12-07T21:13:20Z"
	                       "     10s  173.2 MiB   11.6 MiB   3\n"));
	assert_non_null(strstr(out.data, "  (error)\n"));
	assert_non_null(
	    strstr(out.data, "Recovery window: 2026-12-07T21:13:30Z to 2026-12-07T21:30:00Z\n"));
	buf_free(&out);
	backup_info_free(&info);

	memset(&info, 0, sizeof(info));
	backup_info_window(&info, 1796679000, &w);
	assert_false(w.known);
	buf_init(&out);
	backup_info_table(&info, 0, &out);
	assert_non_null(strstr(out.data, "Recovery window: none (no usable backup yet)"));
	buf_free(&out);
}

/* --- rules ---------------------------------------------------------------------------------- */

static struct backup_set set_of(enum backup_type t, int64_t stop, bool error)
{
	struct backup_set s;

	memset(&s, 0, sizeof(s));
	s.type = t;
	s.stop_s = stop;
	s.error = error;
	snprintf(s.label, sizeof(s.label), "b%lld", (long long)stop);
	return s;
}

#define H 3600
#define D 86400

static void test_backup_due(void **state)
{
	static const struct {
		int full, diff, incr; /* policy */
		struct {
			enum backup_type t;
			int64_t stop;
			bool error;
		} sets[3];
		int n;
		int64_t now;
		enum backup_type want;
	} cases[] = {
	    /* nothing scheduled: never, even without any backup */
	    {0, 0, 0, {{0}}, 0, 10 * D, BACKUP_NONE},
	    /* anything scheduled without a full: a full */
	    {0, 0, H, {{0}}, 0, 10 * D, BACKUP_FULL},
	    {0, D, 0, {{BACKUP_FULL, 100, true}}, 1, 10 * D, BACKUP_FULL},
	    {7 * D, D, H, {{BACKUP_FULL, 0, false}}, 1, 100, BACKUP_FULL}, /* stop 0: none */
	    /* a fresh full covers everything */
	    {7 * D, D, H, {{BACKUP_FULL, 10 * D, false}}, 1, 10 * D + 60, BACKUP_NONE},
	    /* the full is due first, then the diff, then the incr */
	    {7 * D, D, H, {{BACKUP_FULL, D, false}}, 1, 8 * D, BACKUP_FULL},
	    {7 * D, D, H, {{BACKUP_FULL, D, false}}, 1, 2 * D, BACKUP_DIFF},
	    {7 * D, D, H, {{BACKUP_FULL, D, false}}, 1, D + H, BACKUP_INCR},
	    {7 * D, D, H, {{BACKUP_FULL, D, false}}, 1, D + H - 1, BACKUP_NONE},
	    /* a diff counts for incrs too, an incr not for diffs */
	    {7 * D,
	     D,
	     H,
	     {{BACKUP_FULL, D, false}, {BACKUP_DIFF, 2 * D, false}},
	     2,
	     2 * D + 60,
	     BACKUP_NONE},
	    {7 * D,
	     D,
	     H,
	     {{BACKUP_FULL, D, false}, {BACKUP_INCR, 2 * D - 60, false}},
	     2,
	     2 * D,
	     BACKUP_DIFF},
	    /* a failed diff does not count */
	    {7 * D,
	     D,
	     0,
	     {{BACKUP_FULL, D, false}, {BACKUP_DIFF, 2 * D, true}},
	     2,
	     2 * D + 60,
	     BACKUP_DIFF},
	    /* only incrs scheduled, with a full: incrs */
	    {0,
	     0,
	     H,
	     {{BACKUP_FULL, D, false}, {BACKUP_INCR, D + H, false}},
	     2,
	     D + 2 * H,
	     BACKUP_INCR},
	    {0,
	     0,
	     H,
	     {{BACKUP_FULL, D, false}, {BACKUP_INCR, D + H, false}},
	     2,
	     D + H + 60,
	     BACKUP_NONE},
	};
	struct backup_policy p;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct backup_set sets[3];
		struct backup_info info = {.sets = sets, .n_sets = cases[i].n};
		enum backup_type got;

		memset(&p, 0, sizeof(p));
		p.full_every_s = cases[i].full;
		p.diff_every_s = cases[i].diff;
		p.incr_every_s = cases[i].incr;
		for (int k = 0; k < cases[i].n; k++)
			sets[k] = set_of(cases[i].sets[k].t, cases[i].sets[k].stop,
			                 cases[i].sets[k].error);
		got = backup_due(&p, &info, cases[i].now);
		if (got != cases[i].want)
			print_message("case %zu: got %s, want %s\n", i, backup_type_name(got),
			              backup_type_name(cases[i].want));
		assert_int_equal(got, cases[i].want);
	}
}

static void test_pick_for_replica(void **state)
{
	/* The leader is on timeline 4; its history: 1 ended at 0/30, 2 at 0/38, 3 at 0/3B. A
	 * restore branched timeline 4 off 3 at 0/3B, so 3's later WAL (and a backup that
	 * ended on 3 after 0/3B) is a branch the leader never had. */
	static const struct backup_fork history[] = {
	    {1, 0x30000000}, {2, 0x38000000}, {3, 0x3B000000}};
	struct backup_set sets[5];
	struct backup_info info = {.sets = sets, .n_sets = 0};
	const struct backup_set *s;

	(void)state;
	sets[0] = set_of(BACKUP_FULL, 100, false);
	sets[0].timeline = 1, sets[0].lsn_stop = 0x20000000;
	sets[1] = set_of(BACKUP_INCR, 200, false);
	sets[1].timeline = 3, sets[1].lsn_stop = 0x3A000000;
	sets[2] = set_of(BACKUP_INCR, 300, false);
	sets[2].timeline = 3, sets[2].lsn_stop = 0x3C000000; /* after the fork: a branch */
	info.n_sets = 3;
	assert_ptr_equal(backup_pick_for_replica(&info, history, 3, 4), &sets[1]);
	/* the leader's own timeline always fits; errors never */
	sets[3] = set_of(BACKUP_FULL, 400, false);
	sets[3].timeline = 4, sets[3].lsn_stop = 0x3D000000;
	sets[4] = set_of(BACKUP_INCR, 500, true);
	sets[4].timeline = 4, sets[4].lsn_stop = 0x3E000000;
	info.n_sets = 5;
	assert_ptr_equal(backup_pick_for_replica(&info, history, 3, 4), &sets[3]);
	/* a timeline above the leader's, or one its history does not name: never */
	sets[3].timeline = 5;
	s = backup_pick_for_replica(&info, history, 2, 4); /* history without timeline 3 */
	assert_ptr_equal(s, &sets[0]);
	assert_null(backup_pick_for_replica(&info, history, 0, 4));
	info.n_sets = 0;
	assert_null(backup_pick_for_replica(&info, history, 3, 4));
}

static void test_type_names(void **state)
{
	(void)state;
	for (int t = BACKUP_NONE; t < BACKUP_TYPE__COUNT; t++)
		assert_int_equal(backup_type_parse(backup_type_name((enum backup_type)t)),
		                 t == BACKUP_NONE ? BACKUP_NONE : t);
	assert_int_equal(backup_type_parse("FULL"), BACKUP_NONE);
	assert_string_equal(backup_type_name(BACKUP_TYPE__COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_render_node_conf),
	    cmocka_unit_test(test_render_backup_and_source_conf),
	    cmocka_unit_test(test_archive_commands),
	    cmocka_unit_test(test_command_lines),
	    cmocka_unit_test(test_info_parse),
	    cmocka_unit_test(test_info_window_and_rendering),
	    cmocka_unit_test(test_backup_due),
	    cmocka_unit_test(test_pick_for_replica),
	    cmocka_unit_test(test_type_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
