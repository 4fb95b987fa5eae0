/*
 * test_pg.c: the pure parts of the pg module (slot names, quoting, postgresql.conf,
 * pg_hba.conf, pg_ident.conf and passfile rendering, the pg_controldata parser, the
 * observation helpers) and the postmaster supervision of pg_proc with stand-in
 * processes. PostgreSQL itself is exercised by tests/integration/test_pg_live.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>
#include <libpq-fe.h>
#include "pg/pg.h"
#include "pg/pg_conf.h"
#include "pg/pg_proc.h"
#include "pg/pg_slots.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/conninfo.h"
#include "util/fsutil.h"
#include "util/strutil.h"
#include "util/xalloc.h"

/* --- helpers ---------------------------------------------------------------------------- */

static void set_user(struct pg_user *u, const char *name, const char *password)
{
	snprintf(u->username, sizeof(u->username), "%s", name);
	snprintf(u->password, sizeof(u->password), "%s", password);
}

/* A config as the agent would have it, filled by hand. */
static void base_config(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "node-1");
	snprintf(cfg->postgresql.listen, sizeof(cfg->postgresql.listen), "127.0.0.1:5432");
	snprintf(cfg->postgresql.data_dir, sizeof(cfg->postgresql.data_dir), "/var/lib/pg/data");
	set_user(&cfg->postgresql.superuser, "postgres", "supersecret");
	set_user(&cfg->postgresql.replication, "replicator", "replpass");
	set_user(&cfg->postgresql.rewind, "rewinder", "rewindpass");
}

static void add_param(struct pg_params *p, const char *name, const char *value)
{
	p->items = xrealloc(p->items, sizeof(*p->items) * (size_t)(p->n + 1));
	p->items[p->n].name = xstrdup(name);
	p->items[p->n].value = xstrdup(value);
	p->n++;
}

static void free_params(struct pg_params *p)
{
	for (int i = 0; i < p->n; i++) {
		free(p->items[i].name);
		free(p->items[i].value);
	}
	free(p->items);
	p->items = NULL;
	p->n = 0;
}

struct rendered {
	struct buf conf;
	struct buf warnings;
};

/* The archiving the tests render with (test_conf_archive* set it). */
static const struct pg_archive *test_archive;

static void render(const struct config *cfg, const struct pg_params *dcs,
                   const struct pg_role_conf *role, struct rendered *r)
{
	struct pg_conf_input in = {.cfg = cfg,
	                           .dcs_params = dcs,
	                           .role = role,
	                           .data_dir = "/var/lib/pg/data",
	                           .socket_dir = "/run/pg",
	                           .pgpass = "/var/lib/pg/pgpass",
	                           .archive = test_archive};
	char err[256] = "";

	buf_init(&r->conf);
	buf_init(&r->warnings);
	assert_true(pg_conf_render(&in, &r->conf, &r->warnings, err, sizeof(err)));
	assert_string_equal(err, "");
}

static void rendered_free(struct rendered *r)
{
	buf_free(&r->conf);
	buf_free(&r->warnings);
}

/*
 * conf_value: the value of name in a rendered postgresql.conf, unquoted the way
 * PostgreSQL's configuration scanner does it ('' and \x escapes, \ooo octal). NULL if
 * absent; the test fails if the parameter appears twice. Owned.
 */
static char *conf_value(const char *conf, const char *name)
{
	size_t len = strlen(name);
	char *found = NULL;

	for (const char *line = conf; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		const char *p;
		struct buf v;

		if (strncmp(line, name, len) != 0 || strncmp(line + len, " = '", 4) != 0)
			continue;
		assert_null(found); /* each parameter appears once */
		buf_init(&v);
		for (p = line + len + 4; *p && !(*p == '\'' && p[1] != '\''); p++) {
			if (*p == '\'') {
				buf_puts(&v, "'");
				p++;
			} else if (*p == '\\' && p[1] >= '0' && p[1] <= '7') {
				char c =
				    (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));

				buf_append(&v, &c, 1);
				p += 3;
			} else if (*p == '\\') {
				buf_append(&v, p + 1, 1);
				p++;
			} else {
				buf_append(&v, p, 1);
			}
		}
		assert_int_equal(*p, '\'');
		assert_true(p[1] == '\n' || p[1] == '\0');
		found = buf_steal(&v);
		buf_free(&v);
	}
	return found;
}

static void assert_conf(const char *conf, const char *name, const char *expected)
{
	char *v = conf_value(conf, name);

	if (expected == NULL) {
		if (v)
			fail_msg("%s should be absent, is '%s'", name, v);
		return;
	}
	if (v == NULL)
		fail_msg("%s is missing", name);
	assert_string_equal(v, expected);
	free(v);
}

/* --- archiving, restores, postgresql.auto.conf ---------------------------------------------------
 */

static const struct pg_archive ARCHIVE = {
    "'/usr/bin/pgbackrest' '--config=/p/pgbackrest.conf' '--stanza=s' archive-push \"%p\"",
    "'/usr/bin/pgbackrest' '--config=/p/pgbackrest.conf' '--stanza=s' archive-get %f \"%p\""};

static void test_conf_archive(void **state)
{
	struct config cfg;
	struct pg_params dcs = {NULL, 0};
	struct pg_role_conf primary = {.standby = false}, standby = {.standby = true};
	struct rendered r;

	(void)state;
	base_config(&cfg);
	add_param(&dcs, "archive_command", "/bin/true");
	add_param(&dcs, "archive_mode", "always");
	add_param(&dcs, "recovery_target_time", "2026-01-01 00:00:00+00");
	test_archive = &ARCHIVE;
	/* On every node, whatever its role: a standby archives nothing until promoted,
	 * and then at once; restore_command lets it pick a timeline above the archive's. */
	render(&cfg, &dcs, &primary, &r);
	assert_conf(r.conf.data, "archive_mode", "on");
	assert_conf(r.conf.data, "archive_command", ARCHIVE.archive_command);
	assert_conf(r.conf.data, "restore_command", ARCHIVE.restore_command);
	assert_conf(r.conf.data, "recovery_target_time", NULL);
	assert_non_null(strstr(r.warnings.data, "archive_command = '/bin/true' ignored"));
	assert_non_null(strstr(r.warnings.data, "archive_mode = 'always' ignored"));
	assert_non_null(strstr(r.warnings.data, "recovery_target_time ignored: pgha manages it"));
	rendered_free(&r);
	render(&cfg, &dcs, &standby, &r);
	assert_conf(r.conf.data, "archive_mode", "on");
	assert_conf(r.conf.data, "restore_command", ARCHIVE.restore_command);
	rendered_free(&r);
	/* Without pgha's archiving, the user's parameters stand. */
	test_archive = NULL;
	render(&cfg, &dcs, &primary, &r);
	assert_conf(r.conf.data, "archive_command", "/bin/true");
	assert_conf(r.conf.data, "archive_mode", "always");
	assert_conf(r.conf.data, "restore_command", NULL);
	rendered_free(&r);
	free_params(&dcs);
}

static void test_conf_restore_start(void **state)
{
	struct config cfg;
	struct pg_role_conf role = {.recovery = true};
	struct rendered r;

	(void)state;
	base_config(&cfg);
	test_archive = &ARCHIVE;
	snprintf(role.recovery_target, sizeof(role.recovery_target), "recovery_target_time");
	snprintf(role.recovery_target_value, sizeof(role.recovery_target_value),
	         "2026-12-07 21:21:47.488822+00");
	render(&cfg, NULL, &role, &r);
	assert_conf(r.conf.data, "recovery_target_time", "2026-12-07 21:21:47.488822+00");
	assert_conf(r.conf.data, "recovery_target_action", "promote");
	assert_conf(r.conf.data, "recovery_target_timeline", "latest");
	assert_conf(r.conf.data, "restore_command", ARCHIVE.restore_command);
	assert_conf(r.conf.data, "primary_conninfo", NULL);
	rendered_free(&r);
	/* Another repository's restore_command (a cluster made from another's backup). */
	snprintf(role.restore_command, sizeof(role.restore_command), "pgbackrest-other %%f %%p");
	role.recovery_target[0] = '\0';
	render(&cfg, NULL, &role, &r);
	assert_conf(r.conf.data, "restore_command", "pgbackrest-other %f %p");
	assert_conf(r.conf.data, "recovery_target_time", NULL);
	assert_conf(r.conf.data, "archive_command", ARCHIVE.archive_command);
	rendered_free(&r);
	test_archive = NULL;
}

static void test_auto_conf_clean(void **state)
{
	struct config cfg;
	struct pg_role_conf role = {.standby = true};
	struct pg_conf_input in = {.role = &role, .archive = &ARCHIVE};
	struct buf out, removed;
	/* What pgBackRest's restore leaves (the spike), with an operator's setting. */
	static const char AUTO[] =
	    "# Do not edit this file manually!\n"
	    "work_mem = '64MB'\n"
	    "primary_conninfo = 'host=10.0.0.1 port=5432 user=replicator'\n"
	    "# Recovery settings generated by pgBackRest restore on 2026-12-07 21:20:16\n"
	    "restore_command = 'pgbackrest --config=/other/n1.conf --stanza=demo archive-get %f "
	    "\"%p\"'\n"
	    "recovery_target_time = '2026-12-07 21:21:47.488822+00'\n"
	    "  recovery_target_action = 'promote'\n"
	    "Port = 5499\n"
	    "# recovery_target_xid = '7'\n";

	(void)state;
	base_config(&cfg);
	in.cfg = &cfg;
	buf_init(&out);
	buf_init(&removed);
	assert_true(pg_auto_conf_clean(&in, AUTO, &out, &removed));
	assert_string_equal(out.data,
	                    "# Do not edit this file manually!\n"
	                    "work_mem = '64MB'\n"
	                    "# Recovery settings generated by pgBackRest restore on 2026-12-07 "
	                    "21:20:16\n"
	                    "# recovery_target_xid = '7'\n");
	assert_non_null(strstr(removed.data, "restore_command = 'pgbackrest --config=/other"));
	assert_non_null(strstr(removed.data, "Port = 5499\n"));
	buf_reset(&out);
	buf_reset(&removed);
	assert_false(pg_auto_conf_clean(&in, "work_mem = '1MB'\n", &out, &removed));
	assert_string_equal(out.data, "work_mem = '1MB'\n");
	buf_free(&out);
	buf_free(&removed);
}

/* --- slots ------------------------------------------------------------------------------------ */

static struct pg_slot_row slot_row(const char *name, const char *type, bool active, bool temp)
{
	struct pg_slot_row r;

	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.type, sizeof(r.type), "%s", type);
	if (str_eq(type, "logical")) {
		snprintf(r.database, sizeof(r.database), "app");
		snprintf(r.plugin, sizeof(r.plugin), "pgoutput");
	}
	r.active = active;
	r.temporary = temp;
	return r;
}

static struct slot_spec spec(const char *name, const char *type)
{
	struct slot_spec s;

	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "%s", name);
	snprintf(s.type, sizeof(s.type), "%s", type);
	return s;
}

static void test_slots_plan(void **state)
{
	/* Existing: node2 (ours, still wanted), node3 (ours, member gone), node4 (ours,
	 * gone but active), backup_tool (not ours), cdc (not ours, logical), pg_basebackup's
	 * temporary slot, gone_cdc (ours, permanent slot removed from the config but
	 * ignored). Wanted: node2, node5 (new member), cdc (permanent: exists, not ours). */
	struct pg_slot_row rows[] = {slot_row("node2", "physical", true, false),
	                             slot_row("node3", "physical", false, false),
	                             slot_row("node4", "physical", true, false),
	                             slot_row("backup_tool", "physical", false, false),
	                             slot_row("cdc", "logical", false, false),
	                             slot_row("pg_basebackup_77", "physical", false, true),
	                             slot_row("gone_cdc", "logical", false, false)};
	const char record[][64] = {"node2",   "node3", "node4", "gone_cdc", "pg_basebackup_77",
	                           "vanished"};
	struct slot_spec wanted[] = {spec("node2", "physical"), spec("node5", "physical"),
	                             spec("cdc", "logical")};
	struct slot_match ignore[1];
	struct pg_slots_plan plan;

	(void)state;
	memset(ignore, 0, sizeof(ignore));
	snprintf(ignore[0].type, sizeof(ignore[0].type), "logical");
	snprintf(ignore[0].plugin, sizeof(ignore[0].plugin), "pgoutput");
	pg_slots_plan(rows, 7, record, 6, wanted, 3, ignore, 1, &plan);
	assert_int_equal(plan.n_create, 1);
	assert_string_equal(plan.create[0]->name, "node5");
	assert_int_equal(plan.n_drop, 1);
	assert_string_equal(plan.drop[0], "node3");
	/* node2 (wanted), node4 (active) and gone_cdc (ignored) stay recorded; "vanished"
	 * (no such slot) and the temporary slot are forgotten. */
	assert_int_equal(plan.n_keep, 3);
	assert_string_equal(plan.keep[0], "node2");
	assert_string_equal(plan.keep[1], "node4");
	assert_string_equal(plan.keep[2], "gone_cdc");
	/* Without the ignore entry the unused logical slot of ours goes too. */
	pg_slots_plan(rows, 7, record, 6, wanted, 3, NULL, 0, &plan);
	assert_int_equal(plan.n_drop, 2);
	assert_string_equal(plan.drop[1], "gone_cdc");
	/* Nothing recorded: nothing is ever dropped. */
	pg_slots_plan(rows, 7, NULL, 0, NULL, 0, NULL, 0, &plan);
	assert_int_equal(plan.n_drop + plan.n_keep + plan.n_create, 0);
}

static void test_slot_matches(void **state)
{
	struct pg_slot_row row = slot_row("cdc", "logical", false, false);
	struct slot_match m;

	(void)state;
	memset(&m, 0, sizeof(m));
	assert_true(pg_slot_matches(&row, &m)); /* an empty entry matches anything */
	snprintf(m.name, sizeof(m.name), "cdc");
	assert_true(pg_slot_matches(&row, &m));
	snprintf(m.database, sizeof(m.database), "other");
	assert_false(pg_slot_matches(&row, &m));
	memset(&m, 0, sizeof(m));
	snprintf(m.type, sizeof(m.type), "physical");
	assert_false(pg_slot_matches(&row, &m));
}

/* --- slot names ------------------------------------------------------------------------------ */

static void test_slot_name_patroni_rule(void **state)
{
	/* Expected values computed with Patroni's slot_name_from_member_name(). */
	static const struct {
		const char *member, *slot;
	} cases[] = {
	    {"pg1", "pg1"},
	    {"Node-1.example.com", "node_1_example_com"},
	    {"a b", "au0032b"},
	    {"x@y", "xu0064y"},
	    {"\xc3\xa9", "u0233"}, /* é */
	    {"\xc3\x84"
	     "B",
	     "u0228b"}, /* ÄB: lower-cased first, as Python does */
	    {"\xe6\x97\xa5\xe6\x9c\xac", "u26085u26412"}, /* 日本 */
	    {"a\xc3\xbf"
	     "b",
	     "au0255b"}, /* aÿb */
	    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
	    {"n1!!!!!!!!!!!!!!!!!!!!",
	     "n1u0033u0033u0033u0033u0033u0033u0033u0033u0033u0033u0033u0033u"},
	    {"", ""},
	};
	char out[PG_NAME_LEN];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		pg_slot_name(cases[i].member, out, sizeof(out));
		assert_string_equal(out, cases[i].slot);
		if (cases[i].slot[0])
			assert_true(pg_slot_name_valid(out));
	}
}

static void test_slot_name_invalid_utf8_and_small_buffer(void **state)
{
	char out[PG_NAME_LEN], small[4];

	(void)state;
	/* A stray byte is encoded as itself rather than dropped or crashing. */
	pg_slot_name("a\xff", out, sizeof(out));
	assert_string_equal(out, "au0255");
	pg_slot_name("a\xe6\x97", out, sizeof(out)); /* truncated sequence */
	assert_string_equal(out, "au0230u0151");
	pg_slot_name("abcdef", small, sizeof(small));
	assert_string_equal(small, "abc");
}

static void test_name_validation(void **state)
{
	(void)state;
	assert_true(pg_slot_name_valid("node_1"));
	assert_false(pg_slot_name_valid(""));
	assert_false(pg_slot_name_valid("Node"));
	assert_false(pg_slot_name_valid("a-b"));
	assert_false(pg_slot_name_valid("a'b"));
	assert_false(pg_slot_name_valid(
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")); /* 64 */
	assert_true(pg_param_name_valid("shared_buffers"));
	assert_true(pg_param_name_valid("auto_explain.log_min_duration"));
	assert_true(pg_param_name_valid("_x1"));
	assert_false(pg_param_name_valid(""));
	assert_false(pg_param_name_valid("1abc"));
	assert_false(pg_param_name_valid("a b"));
	assert_false(pg_param_name_valid("a=1\nfsync"));
	assert_false(pg_param_name_valid(".x"));
}

/* --- conninfo ----------------------------------------------------------------------------------
 */

static void test_conninfo_quote(void **state)
{
	char out[64];

	(void)state;
	assert_true(pg_conninfo_quote("plain", out, sizeof(out)));
	assert_string_equal(out, "'plain'");
	assert_true(pg_conninfo_quote("", out, sizeof(out)));
	assert_string_equal(out, "''");
	assert_true(pg_conninfo_quote("it's a \\ test", out, sizeof(out)));
	assert_string_equal(out, "'it\\'s a \\\\ test'");
	assert_false(pg_conninfo_quote("0123456789", out, 8));
}

/* libpq itself must read back exactly what was quoted. */
static void test_conninfo_round_trip_through_libpq(void **state)
{
	static const char *const values[] = {"simple",   "with space", "quote'in", "back\\slash",
	                                     "=equals=", "",           "'\\'",     "tab\there"};
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(values); i++) {
		struct buf ci;
		PQconninfoOption *opts;
		char *err = NULL;
		bool seen = false;

		buf_init(&ci);
		conninfo_append(&ci, "host", "h");
		conninfo_append(&ci, "application_name", values[i]);
		opts = PQconninfoParse(ci.data, &err);
		assert_non_null(opts);
		for (PQconninfoOption *o = opts; o->keyword; o++) {
			if (strcmp(o->keyword, "application_name") == 0) {
				assert_non_null(o->val);
				assert_string_equal(o->val, values[i]);
				seen = true;
			}
		}
		assert_true(seen);
		PQconninfoFree(opts);
		buf_free(&ci);
	}
}

/* --- postgresql.conf
 * ------------------------------------------------------------------------------ */

static void test_conf_primary(void **state)
{
	struct config cfg;
	struct pg_role_conf role = {.standby = false};
	struct rendered r;

	(void)state;
	base_config(&cfg);
	snprintf(role.synchronous_standby_names, sizeof(role.synchronous_standby_names),
	         "FIRST 1 (\"node-2\")");
	render(&cfg, NULL, &role, &r);
	assert_true(str_has_prefix(r.conf.data, "# Written by pgha"));
	/* initdb's settings come first, so that everything after overrides them. */
	assert_non_null(strstr(r.conf.data, "\ninclude 'postgresql.base.conf'\n"));
	assert_true(strstr(r.conf.data, "include '") < strstr(r.conf.data, "port = "));
	assert_conf(r.conf.data, "listen_addresses", "127.0.0.1");
	assert_conf(r.conf.data, "port", "5432");
	assert_conf(r.conf.data, "unix_socket_directories", "/run/pg");
	assert_conf(r.conf.data, "cluster_name", "node-1");
	assert_conf(r.conf.data, "hba_file", "/var/lib/pg/data/pg_hba.conf");
	assert_conf(r.conf.data, "ident_file", "/var/lib/pg/data/pg_ident.conf");
	assert_conf(r.conf.data, "hot_standby", "on");
	assert_conf(r.conf.data, "wal_level", "replica");
	assert_conf(r.conf.data, "max_wal_senders", "10");
	assert_conf(r.conf.data, "max_replication_slots", "10");
	assert_conf(r.conf.data, "wal_log_hints", "on");
	assert_conf(r.conf.data, "wal_keep_size", "128MB");
	assert_conf(r.conf.data, "restart_after_crash", "off");
	assert_conf(r.conf.data, "synchronous_standby_names", "FIRST 1 (\"node-2\")");
	assert_conf(r.conf.data, "primary_conninfo", NULL);
	assert_conf(r.conf.data, "primary_slot_name", NULL);
	assert_conf(r.conf.data, "recovery_target_timeline", NULL);
	assert_string_equal(r.warnings.data, "");
	rendered_free(&r);
}

/* expect_conninfo: ci parses (libpq's own parser) and has every key = value of expect. */
static void expect_conninfo(const char *ci, const char *const (*expect)[2], size_t n)
{
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(ci, &err);
	size_t checked = 0;

	assert_non_null(opts);
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		for (size_t i = 0; i < n; i++) {
			if (strcmp(o->keyword, expect[i][0]) == 0) {
				assert_non_null(o->val);
				assert_string_equal(o->val, expect[i][1]);
				checked++;
			}
		}
	}
	assert_int_equal(checked, n);
	PQconninfoFree(opts);
}

static void test_conf_standby(void **state)
{
	struct config cfg;
	struct pg_role_conf role = {.standby = true, .upstream_port = 5433};
	struct rendered r;
	char *ci;
	static const char *const expect[][2] = {
	    {"host", "10.0.0.2"},
	    {"port", "5433"},
	    {"user", "replicator"},
	    {"passfile", "/var/lib/pg/pgpass"},
	    {"application_name", "node-1"},
	    {"connect_timeout", "2"},
	    {"keepalives", "1"},
	    {"sslmode", "prefer"},
	};

	(void)state;
	base_config(&cfg);
	snprintf(role.upstream_host, sizeof(role.upstream_host), "10.0.0.2");
	snprintf(role.slot_name, sizeof(role.slot_name), "node_1");
	/* A standby never waits for others, whatever it is told. */
	snprintf(role.synchronous_standby_names, sizeof(role.synchronous_standby_names), "x");
	render(&cfg, NULL, &role, &r);
	assert_conf(r.conf.data, "primary_slot_name", "node_1");
	assert_conf(r.conf.data, "recovery_target_timeline", "latest");
	assert_conf(r.conf.data, "synchronous_standby_names", "");
	assert_conf(r.conf.data, "hot_standby", "on");
	ci = conf_value(r.conf.data, "primary_conninfo");
	assert_non_null(ci);
	expect_conninfo(ci, expect, ARRAY_LEN(expect));
	free(ci);
	rendered_free(&r);
}

/* postgresql.authentication.replication's TLS settings reach primary_conninfo, as in Patroni. */
static void test_conf_standby_tls(void **state)
{
	struct config cfg;
	struct pg_role_conf role = {.standby = true, .upstream_port = 5433};
	struct rendered r;
	char *ci;
	static const char *const expect[][2] = {
	    {"sslmode", "verify-full"},
	    {"sslrootcert", "/etc/pgha/tls/ca.crt"},
	    {"sslcert", "/etc/pgha/tls/repl's.crt"},
	    {"sslkey", "/etc/pgha/tls/repl.key"},
	};

	(void)state;
	base_config(&cfg);
	snprintf(cfg.postgresql.replication.sslmode, sizeof(cfg.postgresql.replication.sslmode),
	         "verify-full");
	snprintf(cfg.postgresql.replication.sslrootcert, PATH_MAX, "/etc/pgha/tls/ca.crt");
	snprintf(cfg.postgresql.replication.sslcert, PATH_MAX, "/etc/pgha/tls/repl's.crt");
	snprintf(cfg.postgresql.replication.sslkey, PATH_MAX, "/etc/pgha/tls/repl.key");
	snprintf(role.upstream_host, sizeof(role.upstream_host), "10.0.0.2");
	render(&cfg, NULL, &role, &r);
	ci = conf_value(r.conf.data, "primary_conninfo");
	assert_non_null(ci);
	expect_conninfo(ci, expect, ARRAY_LEN(expect));
	assert_null(strstr(ci, "sslpassword")); /* unset: not written */
	free(ci);
	rendered_free(&r);
}

static void test_conf_standby_without_upstream(void **state)
{
	struct config cfg;
	struct pg_role_conf role = {.standby = true};
	struct rendered r;

	(void)state;
	base_config(&cfg);
	render(&cfg, NULL, &role, &r);
	/* No upstream yet: stay in recovery, stream from nobody. */
	assert_conf(r.conf.data, "primary_conninfo", NULL);
	assert_conf(r.conf.data, "primary_slot_name", NULL);
	assert_conf(r.conf.data, "recovery_target_timeline", "latest");
	rendered_free(&r);
}

static void test_conf_merge_and_overrides(void **state)
{
	struct config cfg;
	struct pg_params dcs = {NULL, 0};
	struct pg_role_conf role = {.standby = false};
	struct rendered r;

	(void)state;
	base_config(&cfg);
	add_param(&dcs, "max_connections", "100");
	add_param(&dcs, "shared_buffers", "256MB");
	add_param(&dcs, "max_wal_senders", "5");        /* below pgha's minimum */
	add_param(&dcs, "max_replication_slots", "20"); /* above it: kept */
	add_param(&dcs, "wal_keep_size", "1GB");
	add_param(&dcs, "wal_level", "logical");
	add_param(&dcs, "hot_standby", "true"); /* same as pgha's: silently fine */
	add_param(&cfg.postgresql.parameters, "MAX_CONNECTIONS", "200");
	add_param(&cfg.postgresql.parameters, "work_mem", "8MB");
	render(&cfg, &dcs, &role, &r);
	/* The local value wins; GUC names ignore case, so it is written once. */
	assert_null(strstr(r.conf.data, "max_connections"));
	assert_conf(r.conf.data, "MAX_CONNECTIONS", "200");
	assert_conf(r.conf.data, "shared_buffers", "256MB");
	assert_conf(r.conf.data, "work_mem", "8MB");
	assert_conf(r.conf.data, "max_wal_senders", "10");
	assert_conf(r.conf.data, "max_replication_slots", "20");
	assert_conf(r.conf.data, "wal_keep_size", "1GB");
	assert_conf(r.conf.data, "wal_level", "logical");
	assert_conf(r.conf.data, "hot_standby", "on");
	assert_non_null(strstr(r.warnings.data, "max_wal_senders = '5' ignored"));
	assert_null(strstr(r.warnings.data, "hot_standby"));
	assert_null(strstr(r.warnings.data, "wal_level"));
	rendered_free(&r);
	free_params(&dcs);
	free_params(&cfg.postgresql.parameters);
}

static void test_conf_drops_what_pgha_controls(void **state)
{
	struct config cfg;
	struct pg_params dcs = {NULL, 0};
	struct pg_role_conf role = {.standby = false};
	struct rendered r;

	(void)state;
	base_config(&cfg);
	add_param(&dcs, "port", "6543");
	add_param(&dcs, "restart_after_crash", "on");
	add_param(&dcs, "wal_level", "minimal");
	add_param(&dcs, "primary_conninfo", "host=elsewhere");
	add_param(&dcs, "data_directory", "/elsewhere");
	add_param(&dcs, "bad name", "1");
	add_param(&dcs, "x = 1\nfsync", "off");
	add_param(&dcs, "wal_level_alias_ok", "1");
	render(&cfg, &dcs, &role, &r);
	assert_conf(r.conf.data, "port", "5432");
	assert_conf(r.conf.data, "restart_after_crash", "off");
	assert_conf(r.conf.data, "wal_level", "replica");
	assert_conf(r.conf.data, "primary_conninfo", NULL);
	assert_conf(r.conf.data, "data_directory", NULL);
	assert_conf(r.conf.data, "wal_level_alias_ok", "1");
	assert_null(strstr(r.conf.data, "bad name"));
	assert_null(strstr(r.conf.data, "fsync"));
	assert_non_null(strstr(r.warnings.data, "port = '6543' ignored: pgha sets it to '5432'"));
	assert_non_null(strstr(r.warnings.data, "restart_after_crash = 'on' ignored"));
	assert_non_null(strstr(r.warnings.data, "wal_level = 'minimal' ignored"));
	assert_non_null(strstr(r.warnings.data, "primary_conninfo ignored"));
	assert_non_null(strstr(r.warnings.data, "data_directory ignored"));
	assert_non_null(strstr(r.warnings.data, "parameter name 'bad name' is invalid"));
	rendered_free(&r);
	free_params(&dcs);
}

static void test_conf_quoting(void **state)
{
	struct config cfg;
	struct pg_params dcs = {NULL, 0};
	struct pg_role_conf role = {.standby = true, .upstream_port = 5432};
	struct rendered r;
	static const char *const tricky[] = {"it's", "C:\\path\\", "line1\nline2", "'';--", ""};
	char name[32];

	(void)state;
	base_config(&cfg);
	snprintf(cfg.name, sizeof(cfg.name), "o'brien\\node");
	snprintf(role.upstream_host, sizeof(role.upstream_host), "host with 'quote'");
	for (size_t i = 0; i < ARRAY_LEN(tricky); i++) {
		snprintf(name, sizeof(name), "pgha.test_%zu", i);
		add_param(&dcs, name, tricky[i]);
	}
	render(&cfg, &dcs, &role, &r);
	for (size_t i = 0; i < ARRAY_LEN(tricky); i++) {
		snprintf(name, sizeof(name), "pgha.test_%zu", i);
		assert_conf(r.conf.data, name, tricky[i]);
	}
	/* Control characters never break a line of the file. */
	assert_non_null(strstr(r.conf.data, "pgha.test_2 = 'line1\\012line2'\n"));
	assert_conf(r.conf.data, "cluster_name", "o'brien\\node");
	{
		char *ci = conf_value(r.conf.data, "primary_conninfo");
		char *err = NULL;
		PQconninfoOption *opts = PQconninfoParse(ci, &err);
		int seen = 0;

		assert_non_null(opts);
		for (PQconninfoOption *o = opts; o->keyword; o++) {
			if (strcmp(o->keyword, "host") == 0 && o->val &&
			    strcmp(o->val, "host with 'quote'") == 0)
				seen++;
			if (strcmp(o->keyword, "application_name") == 0 && o->val &&
			    strcmp(o->val, "o'brien\\node") == 0)
				seen++;
		}
		assert_int_equal(seen, 2);
		PQconninfoFree(opts);
		free(ci);
	}
	rendered_free(&r);
	free_params(&dcs);
}

static void test_conf_listen(void **state)
{
	struct config cfg;
	struct pg_role_conf role = {.standby = false};
	struct pg_conf_input in = {
	    .cfg = &cfg, .role = &role, .data_dir = "/d", .socket_dir = "/d", .pgpass = "/p"};
	struct buf out, warnings;
	char host[64], err[256];
	int port;

	(void)state;
	assert_true(pg_conf_listen("0.0.0.0:5432", host, sizeof(host), &port, err, sizeof(err)));
	assert_string_equal(host, "0.0.0.0");
	assert_int_equal(port, 5432);
	assert_true(
	    pg_conf_listen("127.0.0.1,10.0.0.1:6000", host, sizeof(host), &port, err, sizeof(err)));
	assert_string_equal(host, "127.0.0.1,10.0.0.1");
	assert_true(pg_conf_listen("[::1]:5433", host, sizeof(host), &port, err, sizeof(err)));
	assert_string_equal(host, "::1");
	assert_false(pg_conf_listen("localhost", host, sizeof(host), &port, err, sizeof(err)));
	assert_non_null(strstr(err, "not host:port"));
	assert_false(pg_conf_listen(":5432", host, sizeof(host), &port, err, sizeof(err)));
	assert_false(pg_conf_listen("h:99999", host, sizeof(host), &port, err, sizeof(err)));
	base_config(&cfg);
	snprintf(cfg.postgresql.listen, sizeof(cfg.postgresql.listen), "nonsense");
	buf_init(&out);
	buf_init(&warnings);
	assert_false(pg_conf_render(&in, &out, &warnings, err, sizeof(err)));
	assert_non_null(strstr(err, "nonsense"));
	buf_free(&out);
	buf_free(&warnings);
}

/* --- pg_hba.conf, pg_ident.conf, passfile ------------------------------------------------------
 */

/* squeeze: runs of spaces as one, so that column alignment does not matter. Owned. */
static char *squeeze(const char *text)
{
	char *out = xstrdup(text), *w = out;

	for (const char *p = text; *p; p++) {
		if (!(*p == ' ' && w > out && w[-1] == ' '))
			*w++ = *p;
	}
	*w = '\0';
	return out;
}

static void test_hba_default(void **state)
{
	struct config cfg;
	struct buf b;
	char *hba;

	(void)state;
	base_config(&cfg);
	buf_init(&b);
	pg_hba_render(&cfg, &b);
	hba = squeeze(b.data);
	/* Peer (through the map) only for the superuser over the socket; passwords elsewhere. */
	assert_non_null(strstr(hba, "\nlocal all \"postgres\" peer map=pgha\n"));
	assert_non_null(strstr(hba, "\nlocal replication \"postgres\" peer map=pgha\n"));
	assert_non_null(strstr(hba, "\nlocal all all scram-sha-256\n"));
	assert_non_null(strstr(hba, "\nhost replication \"replicator\" 0.0.0.0/0 scram-sha-256\n"));
	assert_non_null(strstr(hba, "\nhost replication \"replicator\" ::/0 scram-sha-256\n"));
	assert_non_null(strstr(hba, "\nhost all all 0.0.0.0/0 scram-sha-256\n"));
	assert_non_null(strstr(hba, "\nhost all all ::/0 scram-sha-256\n"));
	assert_null(strstr(hba, "trust"));
	assert_null(strstr(hba, "md5"));
	/* The peer line must come before the password line that would match first. */
	assert_true(strstr(hba, "peer map=pgha") < strstr(hba, "local all all"));
	free(hba);
	buf_free(&b);
}

static void test_hba_configured_lines_and_quoting(void **state)
{
	struct config cfg;
	struct buf b;
	char *boot[] = {"host all all 0.0.0.0/0 md5", NULL};
	char *local[] = {"local all all trust", "host replication repl 10.0.0.0/8 scram-sha-256",
	                 NULL};

	(void)state;
	base_config(&cfg);
	cfg.bootstrap.pg_hba = boot;
	buf_init(&b);
	pg_hba_render(&cfg, &b);
	assert_non_null(strstr(b.data, "\nhost all all 0.0.0.0/0 md5\n"));
	/* The agent's own peer lines always come first, before the configured ones. */
	assert_non_null(strstr(b.data, "peer map=pgha"));
	assert_true(strstr(b.data, "peer map=pgha") < strstr(b.data, "host all all 0.0.0.0/0"));
	buf_reset(&b);
	cfg.postgresql.pg_hba = local; /* overrides bootstrap.pg_hba */
	pg_hba_render(&cfg, &b);
	assert_non_null(strstr(b.data, "\nlocal all all trust\nhost replication repl 10.0.0.0/8"));
	assert_null(strstr(b.data, "md5"));
	buf_reset(&b);
	cfg.postgresql.pg_hba = NULL;
	cfg.bootstrap.pg_hba = NULL;
	set_user(&cfg.postgresql.superuser, "we\"ird", "x");
	pg_hba_render(&cfg, &b);
	assert_non_null(strstr(b.data, "\"we\"\"ird\""));
	buf_free(&b);
}

static void test_ident(void **state)
{
	struct config cfg;
	struct buf b;

	(void)state;
	base_config(&cfg);
	set_user(&cfg.postgresql.superuser, "admin", "");
	buf_init(&b);
	pg_ident_render(&cfg, "postgres", &b);
	assert_non_null(strstr(b.data, "\npgha \"postgres\" \"admin\"\n"));
	buf_free(&b);
}

static void test_passfile(void **state)
{
	struct config cfg;
	struct buf b;

	(void)state;
	base_config(&cfg);
	buf_init(&b);
	pg_passfile_render(&cfg, &b);
	assert_string_equal(b.data, "*:*:*:postgres:supersecret\n"
	                            "*:*:*:replicator:replpass\n"
	                            "*:*:*:rewinder:rewindpass\n");
	buf_reset(&b);
	set_user(&cfg.postgresql.superuser, "su:per", "pa\\ss:word");
	set_user(&cfg.postgresql.replication, "su:per", "other"); /* same user: first wins */
	set_user(&cfg.postgresql.rewind, "rewinder", "");         /* no password: no line */
	pg_passfile_render(&cfg, &b);
	assert_string_equal(b.data, "*:*:*:su\\:per:pa\\\\ss\\:word\n");
	buf_free(&b);
}

static void test_default_users(void **state)
{
	struct config cfg;

	(void)state;
	base_config(&cfg);
	assert_string_equal(pg_replication_user(&cfg)->username, "replicator");
	assert_string_equal(pg_rewind_user(&cfg)->username, "rewinder");
	cfg.postgresql.replication.username[0] = '\0';
	cfg.postgresql.rewind.username[0] = '\0';
	assert_string_equal(pg_replication_user(&cfg)->username, "postgres");
	assert_string_equal(pg_rewind_user(&cfg)->username, "postgres");
}

/* --- pg_controldata ----------------------------------------------------------------------------
 */

/* Real output of PostgreSQL 15's pg_controldata (LC_ALL=C); %s is the cluster state. */
static const char CONTROLDATA[] = "pg_control version number:            1300\n"
                                  "Catalog version number:               202209061\n"
                                  "Database system identifier:           7712176356632636548\n"
                                  "Database cluster state:               %s\n"
                                  "pg_control last modified:             Wed Nov 25 18:23:05 2026\n"
                                  "Latest checkpoint location:           0/17414F8\n"
                                  "Latest checkpoint's REDO location:    0/17414C0\n"
                                  "Latest checkpoint's REDO WAL file:    000000010000000000000001\n"
                                  "Latest checkpoint's TimeLineID:       3\n"
                                  "Latest checkpoint's PrevTimeLineID:   2\n"
                                  "Latest checkpoint's full_page_writes: on\n"
                                  "Latest checkpoint's oldestCommitTsXid:0\n"
                                  "Minimum recovery ending location:     0/0\n"
                                  "Min recovery ending loc's timeline:   0\n"
                                  "wal_level setting:                    replica\n"
                                  "Data page checksum version:           1\n";

static bool parse_state_text(const char *state_text, struct pg_observation *o)
{
	char text[sizeof(CONTROLDATA) + 64];

	snprintf(text, sizeof(text), CONTROLDATA, state_text);
	memset(o, 0, sizeof(*o));
	return pg_controldata_parse(text, o);
}

static void test_controldata_states(void **state)
{
	static const struct {
		const char *text;
		enum pg_data_state state;
	} cases[] = {
	    {"shut down", PG_DATA_SHUT_DOWN},
	    {"shut down in recovery", PG_DATA_SHUT_DOWN_RECOVERY},
	    {"in production", PG_DATA_IN_PRODUCTION},
	    {"in archive recovery", PG_DATA_IN_RECOVERY},
	    {"in crash recovery", PG_DATA_OTHER},
	    {"starting up", PG_DATA_OTHER},
	    {"shutting down", PG_DATA_OTHER},
	    {"unrecognized status code", PG_DATA_OTHER},
	    {"some future state", PG_DATA_OTHER},
	};
	struct pg_observation o;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		assert_true(parse_state_text(cases[i].text, &o));
		assert_int_equal(o.data, cases[i].state);
		assert_string_equal(o.system_id, "7712176356632636548");
		assert_int_equal(o.control_timeline, 3);
		assert_int_equal(o.control_checkpoint, 0x17414F8);
	}
}

static void test_controldata_garbage(void **state)
{
	static const char *const bad[] = {
	    "",
	    "\n\n\n",
	    "garbage without any colon",
	    "pg_controldata: fatal: could not open file \"global/pg_control\" for reading\n",
	    /* state missing */
	    "Database system identifier: 1\nLatest checkpoint location: 0/1\n"
	    "Latest checkpoint's TimeLineID: 1\n",
	    /* bad values */
	    "Database system identifier: abc\nDatabase cluster state: shut down\n"
	    "Latest checkpoint location: 0/1\nLatest checkpoint's TimeLineID: 1\n",
	    "Database system identifier: 1\nDatabase cluster state: shut down\n"
	    "Latest checkpoint location: nowhere\nLatest checkpoint's TimeLineID: 1\n",
	    "Database system identifier: 1\nDatabase cluster state: shut down\n"
	    "Latest checkpoint location: 0/1\nLatest checkpoint's TimeLineID: 0\n",
	    "Database system identifier: 1\nDatabase cluster state: \n"
	    "Latest checkpoint location: 0/1\nLatest checkpoint's TimeLineID: 1\n",
	    "Database system identifier: -5\nDatabase cluster state: shut down\n"
	    "Latest checkpoint location: 0/1\nLatest checkpoint's TimeLineID: 1\n",
	    /* a localised output (German) */
	    "Datenbanksystemidentifikation:           7712176356632636548\n"
	    "Datenbank-Cluster-Status:                heruntergefahren\n",
	};
	struct pg_observation o;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		memset(&o, 0, sizeof(o));
		o.data = PG_DATA_EMPTY;
		o.control_timeline = 42;
		assert_false(pg_controldata_parse(bad[i], &o));
		/* A failed parse leaves the observation untouched. */
		assert_int_equal(o.data, PG_DATA_EMPTY);
		assert_int_equal(o.control_timeline, 42);
		assert_string_equal(o.system_id, "");
	}
}

static void test_controldata_minimal_and_crlf(void **state)
{
	struct pg_observation o;

	(void)state;
	memset(&o, 0, sizeof(o));
	assert_true(pg_controldata_parse("Database system identifier: 12345678901\r\n"
	                                 "Database cluster state: in production\r\n"
	                                 "Latest checkpoint location: 1/A0\r\n"
	                                 "Latest checkpoint's TimeLineID: 7\r\n",
	                                 &o));
	assert_int_equal(o.data, PG_DATA_IN_PRODUCTION);
	assert_string_equal(o.system_id, "12345678901");
	assert_int_equal(o.control_timeline, 7);
	assert_int_equal(o.control_checkpoint, 0x1000000A0ULL);
}

/* --- observation helpers ------------------------------------------------------------------------
 */

static void test_observation_lsn_and_names(void **state)
{
	struct pg_observation o;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.wal_lsn = 100;
	o.receive_lsn = 300;
	o.replay_lsn = 200;
	assert_int_equal(pg_observation_lsn(&o), 0); /* not connected: unknown */
	o.connected = true;
	assert_int_equal(pg_observation_lsn(&o), 100); /* primary: its WAL */
	o.in_recovery = true;
	assert_int_equal(pg_observation_lsn(&o), 300); /* replica: received beyond replayed */
	o.receive_lsn = 0;
	assert_int_equal(pg_observation_lsn(&o), 200); /* archive recovery: replayed */
	for (int s = 0; s < PG_DATA__COUNT; s++)
		assert_string_not_equal(pg_data_state_str((enum pg_data_state)s), "unknown");
	for (int s = 0; s < PG_PROC__COUNT; s++)
		assert_string_not_equal(pg_proc_state_str((enum pg_proc_state)s), "unknown");
	assert_string_equal(pg_data_state_str(PG_DATA_SHUT_DOWN_RECOVERY), "shut down in recovery");
	assert_string_equal(pg_proc_state_str(PG_PROC_CRASHED), "crashed");
	assert_string_equal(pg_data_state_str(PG_DATA__COUNT), "unknown");
}

/* --- pg_proc with stand-in processes
 * --------------------------------------------------------------- */

static pid_t spawn_sleep(struct pg_proc *p, const char *seconds)
{
	const char *argv[] = {"/bin/sleep", seconds, NULL};
	struct proc_spec spec = {.argv = argv, .stdin_null = true, .new_session = true};

	assert_true(pg_proc_spawn(p, &spec));
	assert_int_equal(p->state, PG_PROC_STARTING);
	assert_true(pg_proc_running(p));
	return (pid_t)atomic_load(&p->pid);
}

static bool pidfd_supported(void)
{
	int fd = proc_pidfd(getpid());

	if (fd == -1)
		return false;
	close(fd);
	return true;
}

static void test_proc_crash_is_seen_through_pidfd(void **state)
{
	struct pg_proc p;
	pid_t pid;
	int64_t t0;

	(void)state;
	pg_proc_init(&p);
	assert_int_equal(pg_proc_poll(&p), PG_PROC_STOPPED);
	pid = spawn_sleep(&p, "30");
	/* Without pidfd_open (valgrind does not know it), exits are found by polling. */
	if (pidfd_supported())
		assert_true(p.pidfd >= 0);
	assert_int_equal(pg_proc_poll(&p), PG_PROC_STARTING);
	kill(pid, SIGKILL); /* nobody asked it to stop: a crash */
	t0 = clock_now_ms();
	assert_true(pg_proc_wait_exit(&p, 5000));
	assert_true(clock_now_ms() - t0 < 1000);
	assert_int_equal(p.state, PG_PROC_CRASHED);
	assert_false(pg_proc_running(&p));
	assert_int_equal(atomic_load(&p.pid), 0);
	assert_int_equal(p.pidfd, -1);
	assert_true(WIFSIGNALED(p.exit_status) && WTERMSIG(p.exit_status) == SIGKILL);
	assert_false(proc_alive(pid)); /* reaped: no zombie left */
}

static void test_proc_stop_and_escalation(void **state)
{
	struct pg_proc p;
	int64_t t0;

	(void)state;
	pg_proc_init(&p);
	spawn_sleep(&p, "30");
	assert_true(pg_proc_stop(&p, SIGTERM, 5000));
	assert_int_equal(p.state, PG_PROC_STOPPED);
	assert_true(WIFSIGNALED(p.exit_status) && WTERMSIG(p.exit_status) == SIGTERM);
	/* A signal the process ignores: the stop escalates to SIGKILL after the timeout. */
	spawn_sleep(&p, "30");
	t0 = clock_now_ms();
	assert_true(pg_proc_stop(&p, 0 /* "no signal" stands for one that is ignored */, 300));
	assert_true(clock_now_ms() - t0 >= 300);
	assert_int_equal(p.state, PG_PROC_STOPPED);
	assert_true(WIFSIGNALED(p.exit_status) && WTERMSIG(p.exit_status) == SIGKILL);
	assert_true(pg_proc_stop(&p, SIGTERM, 100)); /* not running: nothing to do */
}

static void test_proc_fence(void **state)
{
	struct pg_proc p;

	(void)state;
	pg_proc_init(&p);
	pg_proc_fence(&p); /* nothing running: harmless */
	spawn_sleep(&p, "30");
	pg_proc_fence(&p);
	assert_true(pg_proc_wait_exit(&p, 5000));
	/* Fencing is a stop the agent asked for, not a crash. */
	assert_int_equal(p.state, PG_PROC_STOPPED);
	assert_true(WIFSIGNALED(p.exit_status) && WTERMSIG(p.exit_status) == SIGQUIT);
}

static void write_pidfile(const char *dir, pid_t owner, int shmid)
{
	char *path = xasprintf("%s/postmaster.pid", dir);
	char *text = xasprintf("%d\n%s\n1700000000\n5432\n/tmp\n*\n  5432001 %10d\nready   \n",
	                       (int)owner, dir, shmid);

	assert_true(fs_write_atomic(path, text, strlen(text), 0600));
	free(text);
	free(path);
}

static void test_proc_wait_shmem(void **state)
{
	char dir[] = "/tmp/test_pg_shm.XXXXXX";
	int shmid;
	void *addr;
	int64_t t0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_true(pg_proc_wait_shmem(dir, 100)); /* no postmaster.pid */
	shmid = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	assert_true(shmid >= 0);
	addr = shmat(shmid, NULL, 0);
	assert_true(addr != (void *)-1);
	/* A dead owner whose segment is still attached (by us, playing an orphan backend). */
	write_pidfile(dir, 999999, shmid);
	t0 = clock_now_ms();
	assert_false(pg_proc_wait_shmem(dir, 200));
	assert_true(clock_now_ms() - t0 >= 200);
	/* A live owner is a running postmaster: not for this function to wait on. */
	write_pidfile(dir, getpid(), shmid);
	assert_true(pg_proc_wait_shmem(dir, 200));
	write_pidfile(dir, 999999, shmid);
	assert_int_equal(shmdt(addr), 0);
	assert_true(pg_proc_wait_shmem(dir, 200));
	assert_int_equal(shmctl(shmid, IPC_RMID, NULL), 0);
	assert_true(pg_proc_wait_shmem(dir, 200)); /* segment gone */
	assert_true(fs_rm_rf(dir));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slot_name_patroni_rule),
	    cmocka_unit_test(test_slot_name_invalid_utf8_and_small_buffer),
	    cmocka_unit_test(test_name_validation),
	    cmocka_unit_test(test_conninfo_quote),
	    cmocka_unit_test(test_conninfo_round_trip_through_libpq),
	    cmocka_unit_test(test_conf_primary),
	    cmocka_unit_test(test_conf_standby),
	    cmocka_unit_test(test_conf_standby_tls),
	    cmocka_unit_test(test_conf_standby_without_upstream),
	    cmocka_unit_test(test_conf_merge_and_overrides),
	    cmocka_unit_test(test_conf_drops_what_pgha_controls),
	    cmocka_unit_test(test_conf_quoting),
	    cmocka_unit_test(test_conf_listen),
	    cmocka_unit_test(test_hba_default),
	    cmocka_unit_test(test_hba_configured_lines_and_quoting),
	    cmocka_unit_test(test_ident),
	    cmocka_unit_test(test_passfile),
	    cmocka_unit_test(test_default_users),
	    cmocka_unit_test(test_controldata_states),
	    cmocka_unit_test(test_controldata_garbage),
	    cmocka_unit_test(test_controldata_minimal_and_crlf),
	    cmocka_unit_test(test_observation_lsn_and_names),
	    cmocka_unit_test(test_conf_archive),
	    cmocka_unit_test(test_conf_restore_start),
	    cmocka_unit_test(test_auto_conf_clean),
	    cmocka_unit_test(test_slots_plan),
	    cmocka_unit_test(test_slot_matches),
	    cmocka_unit_test(test_proc_crash_is_seen_through_pidfd),
	    cmocka_unit_test(test_proc_stop_and_escalation),
	    cmocka_unit_test(test_proc_fence),
	    cmocka_unit_test(test_proc_wait_shmem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
