/*
 * test_api_render.c: the bodies of /patroni, /cluster, /history, /config and
 * /metrics rendered from canned snapshots (api_fixture.h), field by field.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include "api/api_render.h"
#include "api_fixture.h"
#include "util/buf.h"

static json_t *status_of(const struct api_snapshot *s)
{
	struct api_facts f;

	api_facts_derive(s, FIX_NOW_MS, &f);
	return api_render_status(s, &f);
}

static json_int_t int_at(const json_t *o, const char *path)
{
	const json_t *v = o;
	char key[64];

	/* path "a.b.c" */
	while (*path != '\0') {
		size_t n = strcspn(path, ".");

		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		v = json_object_get(v, key);
		path += n + (path[n] == '.');
	}
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static const char *str_at(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

static void test_status_primary(void **state)
{
	struct api_snapshot s;
	json_t *o;
	const json_t *repl;

	(void)state;
	fix_leader(&s, FIX_NOW_MS);
	o = status_of(&s);
	assert_string_equal(str_at(o, "state"), "running");
	assert_string_equal(str_at(o, "role"), "primary");
	assert_string_equal(str_at(o, "postmaster_start_time"), "2023-11-14 22:13:20.123456+00:00");
	assert_int_equal(int_at(o, "server_version"), 150010);
	assert_int_equal(int_at(o, "xlog.location"), FIX_OPTIME);
	assert_null(json_object_get(json_object_get(o, "xlog"), "received_location"));
	assert_int_equal(int_at(o, "timeline"), 2);
	assert_int_equal(int_at(o, "dcs_last_seen"), 1700000100);
	assert_string_equal(str_at(o, "database_system_identifier"), "7301234567890123456");
	assert_true(json_is_true(json_object_get(json_object_get(o, "tags"), "clonefrom")));
	assert_string_equal(str_at(json_object_get(o, "patroni"), "version"), "0.1.0");
	assert_string_equal(str_at(json_object_get(o, "patroni"), "scope"), "batman");
	assert_string_equal(str_at(json_object_get(o, "patroni"), "name"), "pg1");
	repl = json_object_get(o, "replication");
	assert_int_equal(json_array_size(repl), 1);
	assert_string_equal(str_at(json_array_get(repl, 0), "application_name"), "pg2");
	assert_string_equal(str_at(json_array_get(repl, 0), "sync_state"), "async");
	/* Flags appear only when true. */
	assert_null(json_object_get(o, "pause"));
	assert_null(json_object_get(o, "cluster_unlocked"));
	assert_null(json_object_get(o, "pending_restart"));
	assert_null(json_object_get(o, "sync_standby"));
	assert_null(json_object_get(o, "replication_state"));
	json_decref(o);

	s.pause = true;
	s.pending_restart = true;
	s.view.has_leader = false;
	o = status_of(&s);
	assert_true(json_is_true(json_object_get(o, "pause")));
	assert_true(json_is_true(json_object_get(o, "pending_restart")));
	assert_true(json_is_true(json_object_get(o, "cluster_unlocked")));
	json_decref(o);
	api_snapshot_free(&s);
}

static void test_status_replica(void **state)
{
	struct api_snapshot s;
	json_t *o;
	const json_t *xlog;

	(void)state;
	fix_replica(&s, FIX_NOW_MS, 4096);
	s.pg.receive_lsn += 1024;
	s.synchronous_mode = true;
	s.view.sync.present = true;
	snprintf(s.view.sync.leader, DCS_NAME_LEN, "pg2");
	s.view.sync.n_standbys = 1;
	snprintf(s.view.sync.standbys[0], DCS_NAME_LEN, "pg1");
	o = status_of(&s);
	assert_string_equal(str_at(o, "role"), "replica");
	xlog = json_object_get(o, "xlog");
	assert_int_equal(int_at(o, "xlog.received_location"), FIX_OPTIME - 4096 + 1024);
	assert_int_equal(int_at(o, "xlog.replayed_location"), FIX_OPTIME - 4096);
	assert_string_equal(str_at(xlog, "replayed_timestamp"), "2023-11-14 22:16:40.500000+00:00");
	assert_true(json_is_false(json_object_get(xlog, "paused")));
	assert_null(json_object_get(xlog, "location"));
	assert_string_equal(str_at(o, "replication_state"), "streaming");
	assert_true(json_is_true(json_object_get(o, "sync_standby")));
	assert_null(json_object_get(o, "replication"));
	json_decref(o);

	/* Nothing replayed yet: null timestamp; receive position unknown: replayed. */
	s.pg.replay_timestamp_ms = 0;
	s.pg.receive_lsn = 0;
	o = status_of(&s);
	assert_true(
	    json_is_null(json_object_get(json_object_get(o, "xlog"), "replayed_timestamp")));
	assert_int_equal(int_at(o, "xlog.received_location"), FIX_OPTIME - 4096);
	json_decref(o);
	api_snapshot_free(&s);
}

static void test_status_stopped(void **state)
{
	struct api_snapshot s;
	json_t *o;

	(void)state;
	fix_stopped(&s, FIX_NOW_MS);
	o = status_of(&s);
	assert_string_equal(str_at(o, "state"), "stopped");
	assert_string_equal(str_at(o, "role"), "replica");
	assert_null(json_object_get(o, "xlog"));
	assert_null(json_object_get(o, "timeline"));
	assert_null(json_object_get(o, "server_version"));
	assert_null(json_object_get(o, "postmaster_start_time"));
	assert_non_null(json_object_get(o, "patroni"));
	assert_non_null(json_object_get(o, "dcs_last_seen"));
	json_decref(o);
	api_snapshot_free(&s);
}

static void test_status_bad_strings(void **state)
{
	struct api_snapshot s;
	json_t *o;
	char *text;

	(void)state;
	fix_leader(&s, FIX_NOW_MS);
	/* Bytes from PostgreSQL that are not UTF-8 must not lose the whole field. */
	snprintf(s.pg.replication[0].application_name, PG_NAME_LEN,
	         "pg\xff\xfe"
	         "2");
	o = status_of(&s);
	text = json_dumps(o, JSON_COMPACT);
	assert_non_null(strstr(text, "\"application_name\":\"pg??2\""));
	free(text);
	json_decref(o);
	api_snapshot_free(&s);
}

static const json_t *member(const json_t *cluster, const char *name)
{
	const json_t *members = json_object_get(cluster, "members");
	size_t i;
	const json_t *m;

	json_array_foreach(members, i, m)
	{
		if (strcmp(json_string_value(json_object_get(m, "name")), name) == 0)
			return m;
	}
	fail_msg("member %s not found", name);
	return NULL;
}

static void test_cluster(void **state)
{
	struct api_snapshot s;
	json_t *c;
	const json_t *m;

	(void)state;
	fix_leader(&s, FIX_NOW_MS);
	s.view.members[1].receive_lsn = FIX_OPTIME - 1024;
	c = api_render_cluster(&s);
	assert_string_equal(str_at(c, "scope"), "batman");
	assert_int_equal(json_array_size(json_object_get(c, "members")), 2);
	m = member(c, "pg1");
	assert_string_equal(str_at(m, "role"), "leader");
	assert_string_equal(str_at(m, "state"), "running");
	assert_string_equal(str_at(m, "api_url"), "http://127.0.0.1:6432/patroni");
	assert_string_equal(str_at(m, "host"), "127.0.0.1");
	assert_int_equal(int_at(m, "port"), 5432);
	assert_int_equal(int_at(m, "timeline"), 2);
	assert_null(json_object_get(m, "lag"));
	assert_null(json_object_get(m, "tags"));
	m = member(c, "pg2");
	assert_string_equal(str_at(m, "role"), "replica");
	assert_string_equal(str_at(m, "state"), "streaming");
	assert_int_equal(int_at(m, "lag"), 4096);
	assert_string_equal(str_at(m, "lsn"), "0/2FFF000");
	assert_int_equal(int_at(m, "receive_lag"), 1024);
	assert_string_equal(str_at(m, "receive_lsn"), "0/2FFFC00");
	assert_int_equal(int_at(m, "replay_lag"), 4096);
	assert_null(json_object_get(c, "pause"));
	assert_null(json_object_get(c, "scheduled_switchover"));
	json_decref(c);
	api_snapshot_free(&s);
}

static void test_cluster_roles_and_extras(void **state)
{
	struct api_snapshot s;
	json_t *c;
	const json_t *m;
	const json_t *sched;

	(void)state;
	fix_leader(&s, FIX_NOW_MS);
	s.synchronous_mode = true;
	s.view.sync.present = true;
	snprintf(s.view.sync.leader, DCS_NAME_LEN, "pg1");
	s.view.sync.n_standbys = 1;
	snprintf(s.view.sync.standbys[0], DCS_NAME_LEN, "PG2");
	s.view.members[1].has_xlog = false;
	s.view.members[1].receive_lsn = 0;
	s.view.members[1].nofailover = true;
	s.view.members[1].failover_priority = 0;
	s.view.members[1].replication_state[0] = '\0';
	s.view.members[1].host[0] = '\0';
	s.pause = true;
	s.view.failover.present = true;
	snprintf(s.view.failover.leader, DCS_NAME_LEN, "pg1");
	snprintf(s.view.failover.member, DCS_NAME_LEN, "pg2");
	snprintf(s.view.failover.scheduled_at, sizeof(s.view.failover.scheduled_at),
	         "2030-01-01T00:00:00+00:00");
	c = api_render_cluster(&s);
	m = member(c, "pg2");
	assert_string_equal(str_at(m, "role"), "sync_standby");
	assert_string_equal(str_at(m, "state"), "running");
	assert_string_equal(str_at(m, "lag"), "unknown");
	assert_string_equal(str_at(m, "lsn"), "unknown");
	assert_string_equal(str_at(m, "receive_lag"), "unknown");
	assert_int_equal(int_at(m, "replay_lag"), 4096);
	assert_null(json_object_get(m, "host"));
	assert_null(json_object_get(m, "port"));
	assert_true(json_is_true(json_object_get(json_object_get(m, "tags"), "nofailover")));
	assert_int_equal(int_at(m, "tags.failover_priority"), 0);
	assert_true(json_is_true(json_object_get(c, "pause")));
	sched = json_object_get(c, "scheduled_switchover");
	assert_string_equal(str_at(sched, "at"), "2030-01-01T00:00:00+00:00");
	assert_string_equal(str_at(sched, "from"), "pg1");
	assert_string_equal(str_at(sched, "to"), "pg2");
	json_decref(c);

	/* Synchronous mode off: the sync key does not make anyone a sync standby. */
	s.synchronous_mode = false;
	c = api_render_cluster(&s);
	assert_string_equal(str_at(member(c, "pg2"), "role"), "replica");
	json_decref(c);

	/* A member ahead of status.optime has lag 0, not a negative number. */
	s.view.members[1].has_xlog = true;
	s.view.members[1].xlog_location = FIX_OPTIME + 10;
	c = api_render_cluster(&s);
	assert_int_equal(int_at(member(c, "pg2"), "lag"), 0);
	json_decref(c);

	s.view.valid = false;
	assert_null(api_render_cluster(&s));
	api_snapshot_free(&s);
}

static void test_history_and_config(void **state)
{
	struct api_snapshot s;
	json_t *v;

	(void)state;
	fix_leader(&s, FIX_NOW_MS);
	v = api_render_history(&s);
	assert_int_equal(json_array_size(v), 1);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(v, 0), 1)), 25623960);
	json_decref(v);
	v = api_render_config(&s);
	assert_int_equal(int_at(v, "ttl"), 30);
	json_decref(v);

	/* Missing or broken keys. */
	free(s.view.history_json);
	s.view.history_json = xstrdup("{\"not\":\"an array\"}");
	v = api_render_history(&s);
	assert_int_equal(json_array_size(v), 0);
	json_decref(v);
	free(s.view.history_json);
	s.view.history_json = NULL;
	v = api_render_history(&s);
	assert_true(json_is_array(v));
	json_decref(v);
	free(s.view.config_json);
	s.view.config_json = xstrdup("[1]");
	assert_null(api_render_config(&s));
	free(s.view.config_json);
	s.view.config_json = xstrdup("{\"ttl\":");
	assert_null(api_render_config(&s));
	s.view.has_config = false;
	assert_null(api_render_config(&s));
	s.view.valid = false;
	assert_null(api_render_history(&s));
	api_snapshot_free(&s);
}

/* metric_value: the value of "name{labels} value", or -999 when absent. */
static long long metric_value(const char *text, const char *name)
{
	char prefix[128];
	const char *p;

	snprintf(prefix, sizeof(prefix), "\n%s{scope=\"batman\",name=\"pg1\"} ", name);
	p = strstr(text, prefix);
	return p != NULL ? atoll(p + strlen(prefix)) : -999;
}

/* every sample line is name{labels} number; every series has HELP and TYPE. */
static void assert_exposition_format(const char *text)
{
	regex_t sample;
	char line[512];
	int samples = 0;
	int types = 0;

	assert_int_equal(
	    regcomp(&sample, "^[a-z_]+\\{scope=\"[^\"]*\",name=\"[^\"]*\"\\} -?[0-9]+(\\.[0-9]+)?$",
	            REG_EXTENDED | REG_NOSUB),
	    0);
	for (const char *p = text; *p != '\0';) {
		size_t n = strcspn(p, "\n");

		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		if (strncmp(line, "# TYPE ", 7) == 0)
			types++;
		else if (line[0] != '#') {
			if (regexec(&sample, line, 0, NULL, 0) != 0)
				fail_msg("bad sample line: %s", line);
			samples++;
		}
		p += n + (p[n] == '\n');
	}
	regfree(&sample);
	assert_true(samples > 20);
	assert_int_equal(samples, types);
}

/* metrics_of: /metrics of s into out (initialised here), checked against the format. */
static void metrics_of(const struct api_snapshot *s, const struct api_facts *f, int64_t now_ms,
                       struct buf *out)
{
	buf_init(out);
	buf_puts(out, "\n");
	api_render_metrics(s, f, now_ms, out);
	assert_exposition_format(out->data + 1);
}

static void test_metrics_primary(void **state)
{
	struct api_snapshot s;
	struct api_facts f;
	struct buf out;

	(void)state;
	fix_leader(&s, FIX_NOW_MS);
	api_facts_derive(&s, FIX_NOW_MS, &f);
	metrics_of(&s, &f, FIX_NOW_MS, &out);
	assert_non_null(
	    strstr(out.data, "\npatroni_version{scope=\"batman\",name=\"pg1\"} 000100\n"));
	assert_non_null(strstr(out.data, "patroni_postmaster_start_time{scope=\"batman\","
	                                 "name=\"pg1\"} 1700000000.123\n"));
	assert_int_equal(metric_value(out.data, "patroni_postgres_running"), 1);
	assert_int_equal(metric_value(out.data, "patroni_primary"), 1);
	assert_int_equal(metric_value(out.data, "patroni_replica"), 0);
	assert_int_equal(metric_value(out.data, "patroni_xlog_location"), FIX_OPTIME);
	assert_int_equal(metric_value(out.data, "patroni_xlog_replayed_location"), 0);
	assert_int_equal(metric_value(out.data, "patroni_postgres_server_version"), 150010);
	assert_int_equal(metric_value(out.data, "patroni_postgres_timeline"), 2);
	assert_int_equal(metric_value(out.data, "patroni_cluster_unlocked"), 0);
	assert_int_equal(metric_value(out.data, "patroni_dcs_last_seen"), 1700000100);
	assert_int_equal(metric_value(out.data, "patroni_is_paused"), 0);
	assert_int_equal(metric_value(out.data, "patroni_postgres_state"), 5);
	assert_int_equal(metric_value(out.data, "patroni_failover_priority"), 1);
	assert_int_equal(metric_value(out.data, "patroni_postgres_streaming"), 0);
	assert_int_equal(metric_value(out.data, "pgha_leader"), 1);
	assert_int_equal(metric_value(out.data, "pgha_leader_lock_remaining_ms"), FIX_TTL_S * 1000);
	assert_int_equal(metric_value(out.data, "pgha_ha_loop_due_in_ms"), 1000);
	assert_int_equal(metric_value(out.data, "pgha_replication_lag_bytes"), -1);
	assert_int_equal(metric_value(out.data, "pgha_cluster_members"), 2);
	assert_int_equal(metric_value(out.data, "patroni_failsafe_mode_is_active"), 0);
	assert_int_equal(metric_value(out.data, "pgha_failsafe_mode"), 0);
	assert_int_equal(metric_value(out.data, "pgha_archive_ready_files"), -1); /* none */
	buf_free(&out);
	/* The leader's WAL archiving (pgBackRest): backlog, its age, counters, times. */
	s.wall_ms = 1700000200000LL;
	s.pg.archiver = (struct pg_archiver){.on = true,
	                                     .ready = 4,
	                                     .oldest_ready_ms = 1700000170000LL,
	                                     .archived_count = 99,
	                                     .failed_count = 2,
	                                     .last_archived_ms = 1700000190000LL};
	metrics_of(&s, &f, FIX_NOW_MS, &out);
	assert_int_equal(metric_value(out.data, "pgha_archive_ready_files"), 4);
	assert_int_equal(metric_value(out.data, "pgha_archive_lag_seconds"), 30);
	assert_int_equal(metric_value(out.data, "pgha_archived_files_total"), 99);
	assert_int_equal(metric_value(out.data, "pgha_archive_failures_total"), 2);
	assert_int_equal(metric_value(out.data, "pgha_archive_last_archived_time"), 1700000190);
	assert_int_equal(metric_value(out.data, "pgha_archive_last_failed_time"), 0);
	buf_free(&out);
	api_snapshot_free(&s);
}

/* failsafe_mode: the key as GET /failsafe serves it, /patroni and /metrics while active. */
static void test_failsafe(void **state)
{
	struct api_snapshot s;
	struct api_facts f;
	struct buf out;
	json_t *v;

	(void)state;
	fix_leader(&s, FIX_NOW_MS);
	assert_null(api_render_failsafe(&s)); /* no key: 502 */
	s.view.failsafe.state = DCS_FS_VALID;
	s.view.failsafe.n = 2;
	strcpy(s.view.failsafe.names[0], "pg1");
	strcpy(s.view.failsafe.api_urls[0], "http://10.0.0.1:8008/patroni");
	strcpy(s.view.failsafe.names[1], "pg2");
	strcpy(s.view.failsafe.api_urls[1], "http://10.0.0.2:8008/patroni");
	v = api_render_failsafe(&s);
	assert_string_equal(json_string_value(json_object_get(v, "pg2")),
	                    "http://10.0.0.2:8008/patroni");
	assert_int_equal(json_object_size(v), 2);
	json_decref(v);
	s.view.failsafe.state = DCS_FS_INVALID;
	assert_null(api_render_failsafe(&s));
	/* Active until failsafe_until_ms, then not (Patroni shows the key only while true). */
	s.failsafe_mode = true;
	s.failsafe_until_ms = FIX_NOW_MS + 500;
	s.failsafe_confirmed = 12;
	api_facts_derive(&s, FIX_NOW_MS, &f);
	assert_true(f.failsafe_active);
	v = api_render_status(&s, &f);
	assert_true(json_is_true(json_object_get(v, "failsafe_mode_is_active")));
	json_decref(v);
	buf_init(&out);
	buf_puts(&out, "\n");
	api_render_metrics(&s, &f, FIX_NOW_MS, &out);
	assert_int_equal(metric_value(out.data, "patroni_failsafe_mode_is_active"), 1);
	assert_int_equal(metric_value(out.data, "pgha_failsafe_mode"), 1);
	assert_int_equal(metric_value(out.data, "pgha_failsafe_rounds_confirmed_total"), 12);
	buf_free(&out);
	api_facts_derive(&s, FIX_NOW_MS + 500, &f);
	v = api_render_status(&s, &f);
	assert_null(json_object_get(v, "failsafe_mode_is_active"));
	json_decref(v);
	api_snapshot_free(&s);
}

static void test_metrics_replica_and_stopped(void **state)
{
	struct api_snapshot s;
	struct api_facts f;
	struct buf out;

	(void)state;
	fix_replica(&s, FIX_NOW_MS, 4096);
	api_facts_derive(&s, FIX_NOW_MS, &f);
	metrics_of(&s, &f, FIX_NOW_MS + 250, &out);
	assert_int_equal(metric_value(out.data, "patroni_replica"), 1);
	assert_int_equal(metric_value(out.data, "patroni_primary"), 0);
	assert_int_equal(metric_value(out.data, "patroni_xlog_location"), 0);
	assert_int_equal(metric_value(out.data, "patroni_xlog_replayed_location"),
	                 FIX_OPTIME - 4096);
	assert_int_equal(metric_value(out.data, "patroni_postgres_streaming"), 1);
	assert_int_equal(metric_value(out.data, "pgha_replication_lag_bytes"), 4096);
	assert_int_equal(metric_value(out.data, "pgha_leader"), 0);
	assert_int_equal(metric_value(out.data, "pgha_snapshot_age_ms"), 250);
	buf_free(&out);
	api_snapshot_free(&s);

	fix_stopped(&s, FIX_NOW_MS);
	s.pause = true;
	api_facts_derive(&s, FIX_NOW_MS, &f);
	metrics_of(&s, &f, FIX_NOW_MS, &out);
	assert_int_equal(metric_value(out.data, "patroni_postgres_running"), 0);
	assert_int_equal(metric_value(out.data, "patroni_postgres_state"), 12);
	assert_int_equal(metric_value(out.data, "patroni_postgres_server_version"), 0);
	assert_int_equal(metric_value(out.data, "patroni_is_paused"), 1);
	assert_int_equal(metric_value(out.data, "patroni_postgres_streaming"), -999);
	buf_free(&out);
	api_snapshot_free(&s);
}

static void test_metrics_label_escaping(void **state)
{
	struct api_snapshot s;
	struct api_facts f;
	struct buf out;

	(void)state;
	fix_leader(&s, FIX_NOW_MS);
	snprintf(s.scope, sizeof(s.scope), "a\"b\\c\nd");
	snprintf(s.version, sizeof(s.version), "4.1.14");
	api_facts_derive(&s, FIX_NOW_MS, &f);
	buf_init(&out);
	api_render_metrics(&s, &f, FIX_NOW_MS, &out);
	assert_non_null(
	    strstr(out.data, "patroni_version{scope=\"a\\\"b\\\\c\\nd\",name=\"pg1\"} 040114\n"));
	buf_free(&out);
	api_snapshot_free(&s);
}

static void test_pg_timestamp(void **state)
{
	char text[48];

	(void)state;
	api_format_pg_timestamp(0, text, sizeof(text));
	assert_string_equal(text, "1970-01-01 00:00:00.000000+00:00");
	api_format_pg_timestamp(1700000200500, text, sizeof(text));
	assert_string_equal(text, "2023-11-14 22:16:40.500000+00:00");
	api_format_pg_timestamp(-1, text, sizeof(text));
	assert_string_equal(text, "1969-12-31 23:59:59.999000+00:00");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_failsafe),
	    cmocka_unit_test(test_status_primary),
	    cmocka_unit_test(test_status_replica),
	    cmocka_unit_test(test_status_stopped),
	    cmocka_unit_test(test_status_bad_strings),
	    cmocka_unit_test(test_cluster),
	    cmocka_unit_test(test_cluster_roles_and_extras),
	    cmocka_unit_test(test_history_and_config),
	    cmocka_unit_test(test_metrics_primary),
	    cmocka_unit_test(test_metrics_replica_and_stopped),
	    cmocka_unit_test(test_metrics_label_escaping),
	    cmocka_unit_test(test_pg_timestamp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
