/*
 * test_dcs_codec.c: Patroni's etcd values -> struct dcs_view, with canned values as
 * Patroni 3.0.2 (Debian) and 4.x write them, every key kind, malformed values (skipped
 * with a warning, never fatal), odd member names, history and failover forms; the view
 * helpers; the small encoders; and the watch cache (dcs_cache).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dcs/dcs.h"
#include "dcs/dcs_cache.h"
#include "dcs/dcs_codec.h"
#include "util/xalloc.h"

#define P "/service/batman/"

/* Member values exactly as Patroni 3.0.2 (ha.py touch_member) writes them. */
static const char member_302_primary[] =
    "{\"conn_url\":\"postgres://127.0.0.1:5432/postgres\",\"api_url\":"
    "\"http://127.0.0.1:8008/patroni\",\"state\":\"running\",\"role\":\"master\",\"version\":"
    "\"3.0.2\",\"checkpoint_after_promote\":false,\"xlog_location\":50331968,\"timeline\":2}";
static const char member_302_replica[] =
    "{\"conn_url\":\"postgres://127.0.0.1:5433/postgres\",\"api_url\":"
    "\"http://127.0.0.1:8009/patroni\",\"state\":\"running\",\"role\":\"replica\",\"version\":"
    "\"3.0.2\",\"tags\":{\"nofailover\":true},\"xlog_location\":50331000,\"timeline\":2}";
/* And as Patroni 4.x writes them (docs/patroni.md). */
static const char member_4x_replica[] =
    "{\"conn_url\":\"postgres://10.0.0.3:5432/postgres\",\"api_url\":"
    "\"http://10.0.0.3:8008/patroni\",\"state\":\"streaming\",\"role\":\"replica\",\"version\":"
    "\"4.1.4\",\"xlog_location\":67419744,\"receive_lsn\":67419744,\"replay_lsn\":67419000,"
    "\"replication_state\":\"streaming\",\"timeline\":3,\"tags\":{\"clonefrom\":true,"
    "\"nosync\":true,\"noloadbalance\":\"on\",\"failover_priority\":3,\"user_tag\":[1,2]},"
    "\"pending_restart\":true,\"pending_restart_reason\":{\"max_connections\":{"
    "\"old_value\":\"100\",\"new_value\":\"200\"}},\"scheduled_restart\":{\"schedule\":"
    "\"2025-01-01T00:00:00+00:00\"},\"pause\":true,\"pooler\":\"10.0.0.3:6432\"}";

/* Builds a view from key/value pairs (mod_revision = position + 10). */
static void view_of(struct dcs_view *v, const char *const *pairs, int n, char *warn, size_t len)
{
	struct dcs_kv *kvs = xcalloc((size_t)n, sizeof(*kvs));

	for (int i = 0; i < n; i++) {
		kvs[i].key = pairs[2 * i];
		kvs[i].value = pairs[2 * i + 1];
		kvs[i].create_revision = i + 5;
		kvs[i].mod_revision = i + 10;
		kvs[i].lease =
		    strstr(kvs[i].key, "members/") || strstr(kvs[i].key, "leader") ? 77 : 0;
	}
	dcs_view_from_kvs(v, P, kvs, n, 99, warn, len);
	free(kvs);
}

static void test_full_cluster_302(void **state)
{
	const char *kv[] = {
	    P "config",
	    "{\"ttl\":30,\"loop_wait\":10,\"postgresql\":{\"use_pg_rewind\":true}}",
	    P "initialize",
	    "7161849373838315551",
	    P "leader",
	    "pg1",
	    P "members/pg1",
	    member_302_primary,
	    P "members/pg2",
	    member_302_replica,
	    P "sync",
	    "{\"leader\":\"pg1\",\"sync_standby\":\"pg2\"}",
	    P "failover",
	    "{}",
	    P "history",
	    "[[1,25623960,\"no recovery target specified\","
	    "\"2019-09-23T16:57:57+02:00\",\"pg2\"]]",
	    P "status",
	    "{\"optime\":50331968,\"slots\":{\"pg2\":50331968}}",
	};
	struct dcs_view v;
	char warn[512];
	const struct dcs_member *m;

	(void)state;
	view_of(&v, kv, 9, warn, sizeof(warn));
	assert_string_equal(warn, "");
	assert_true(v.valid);
	assert_int_equal(v.revision, 99);
	assert_true(v.has_config);
	assert_int_equal(v.config_mod_revision, 10);
	assert_string_equal(v.config_json, kv[1]);
	assert_true(v.has_initialize);
	assert_string_equal(v.initialize, "7161849373838315551");
	assert_true(v.has_leader);
	assert_string_equal(v.leader, "pg1");
	assert_int_equal(v.leader_lease, 77);
	assert_int_equal(v.leader_mod_revision, 12);
	assert_int_equal(v.leader_create_revision, 7);
	assert_int_equal(v.n_members, 2);
	m = dcs_view_leader_member(&v);
	assert_non_null(m);
	assert_string_equal(m->name, "pg1");
	assert_string_equal(m->host, "127.0.0.1");
	assert_int_equal(m->port, 5432);
	assert_string_equal(m->api_url, "http://127.0.0.1:8008/patroni");
	assert_string_equal(m->role, "master");
	assert_true(dcs_member_is_primary_role(m));
	assert_true(m->has_xlog);
	assert_int_equal(m->xlog_location, 50331968);
	assert_int_equal(m->timeline, 2);
	assert_int_equal(m->failover_priority, 1);
	assert_false(m->nofailover);
	assert_int_equal(m->mod_revision, 13);
	assert_int_equal(m->lease, 77);
	m = dcs_view_member(&v, "pg2");
	assert_non_null(m);
	assert_int_equal(m->port, 5433);
	assert_true(m->nofailover);
	assert_false(dcs_member_is_primary_role(m));
	assert_true(v.sync.present);
	assert_string_equal(v.sync.leader, "pg1");
	assert_int_equal(v.sync.n_standbys, 1);
	assert_true(dcs_sync_has(&v.sync, "PG2"));
	assert_false(dcs_sync_has(&v.sync, "pg1"));
	assert_int_equal(v.sync.mod_revision, 15);
	assert_false(v.failover.present);
	assert_int_equal(v.failover.mod_revision, 16);
	assert_int_equal(v.n_history, 1);
	assert_int_equal(v.history[0].timeline, 1);
	assert_int_equal(v.history[0].switch_lsn, 25623960);
	assert_string_equal(v.history[0].reason, "no recovery target specified");
	assert_string_equal(v.history[0].timestamp, "2019-09-23T16:57:57+02:00");
	assert_string_equal(v.history[0].new_leader, "pg2");
	assert_string_equal(v.history_json, kv[15]);
	assert_int_equal(dcs_view_timeline(&v), 2);
	assert_true(v.has_status);
	assert_int_equal(v.status_optime, 50331968);
	dcs_view_free(&v);
	assert_null(v.config_json);
	assert_null(v.history_json);
}

static void test_member_4x(void **state)
{
	const char *kv[] = {P "members/pg3", member_4x_replica};
	struct dcs_view v;
	char warn[256];
	const struct dcs_member *m;

	(void)state;
	view_of(&v, kv, 1, warn, sizeof(warn));
	assert_string_equal(warn, "");
	m = dcs_view_member(&v, "pg3");
	assert_non_null(m);
	assert_string_equal(m->host, "10.0.0.3");
	assert_int_equal(m->port, 5432);
	assert_string_equal(m->state, "streaming");
	assert_int_equal(m->receive_lsn, 67419744);
	assert_int_equal(m->replay_lsn, 67419000);
	assert_string_equal(m->replication_state, "streaming");
	assert_int_equal(m->timeline, 3);
	assert_true(m->nosync);
	assert_true(m->noloadbalance); /* "on" as configured in YAML */
	assert_false(m->nofailover);
	assert_int_equal(m->failover_priority, 3);
	assert_true(m->pause);
	assert_string_equal(m->pooler, "10.0.0.3:6432");
	assert_false(v.has_leader);
	assert_null(dcs_view_leader_member(&v));
	dcs_view_free(&v);
}

static void test_member_decode_direct(void **state)
{
	struct dcs_member m;
	char err[128];

	(void)state;
	strcpy(m.name, "kept");
	assert_true(dcs_member_decode("{\"conn_url\":\"postgres://[::1]:5433/postgres\","
	                              "\"tags\":{\"failover_priority\":\"0\"}}",
	                              &m, err, sizeof(err)));
	assert_string_equal(m.name, "kept");
	assert_string_equal(m.host, "::1");
	assert_int_equal(m.port, 5433);
	assert_int_equal(m.failover_priority, 0);
	assert_false(m.has_xlog);
	assert_true(dcs_member_decode("{\"conn_url\":\"postgresql://u@db.example:6432/app?"
	                              "sslmode=require\",\"timeline\":null}",
	                              &m, err, sizeof(err)));
	assert_string_equal(m.host, "db.example");
	assert_int_equal(m.port, 6432);
	assert_int_equal(m.timeline, 0);
	assert_true(
	    dcs_member_decode("{\"conn_url\":\"postgres://h/postgres\"}", &m, err, sizeof(err)));
	assert_int_equal(m.port, 5432);
	assert_true(dcs_member_decode("{}", &m, err, sizeof(err)));
	assert_string_equal(m.host, "");
	assert_false(
	    dcs_member_decode("{\"conn_url\":\"postgres://h:99999/x\"}", &m, err, sizeof(err)));
	assert_non_null(strstr(err, "conn_url"));
}

static void test_malformed_members_skipped(void **state)
{
	char long_name[DCS_NAME_LEN + 20];
	char long_key[sizeof(long_name) + 32];
	const char *kv[] = {
	    P "members/ok",
	    member_302_replica,
	    P "members/notjson",
	    "{\"conn_url\":",
	    P "members/array",
	    "[1,2]",
	    P "members/badlsn",
	    "{\"xlog_location\":\"0/3000060\"}",
	    P "members/neglsn",
	    "{\"xlog_location\":-5}",
	    P "members/badtags",
	    "{\"tags\":\"nofailover\"}",
	    P "members/badflag",
	    "{\"tags\":{\"nofailover\":\"perhaps\"}}",
	    P "members/badurl",
	    "{\"conn_url\":\"::::\"}",
	    P "members/badtl",
	    "{\"timeline\":1.5}",
	    P "members/longrole",
	    "{\"role\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
	    P "members/",
	    "{}",
	    P "members/a/b",
	    member_302_primary,
	    long_key,
	    "{}",
	    P "members/empty",
	    "",
	};
	struct dcs_view v;
	char warn[2048];

	(void)state;
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	snprintf(long_key, sizeof(long_key), P "members/%s", long_name);
	view_of(&v, kv, 14, warn, sizeof(warn));
	assert_int_equal(v.n_members, 1);
	assert_string_equal(v.members[0].name, "ok");
	/* One warning line per malformed member; members/ and members/a/b are not members. */
	assert_non_null(strstr(warn, "members/notjson: not JSON"));
	assert_non_null(strstr(warn, "members/array: not a JSON object"));
	assert_non_null(strstr(warn, "members/badlsn: \"xlog_location\""));
	assert_non_null(strstr(warn, "members/neglsn"));
	assert_non_null(strstr(warn, "members/badtags: \"tags\" is not an object"));
	assert_non_null(strstr(warn, "members/badflag: \"nofailover\""));
	assert_non_null(strstr(warn, "members/badurl: conn_url"));
	assert_non_null(strstr(warn, "members/badtl"));
	assert_non_null(strstr(warn, "members/longrole: \"role\" is too long"));
	assert_non_null(strstr(warn, "member name too long"));
	assert_non_null(strstr(warn, "members/empty"));
	assert_null(strstr(warn, "a/b"));
	{
		int lines = 0;

		for (const char *p = warn; *p; p++)
			lines += *p == '\n';
		assert_int_equal(lines, 11);
	}
	dcs_view_free(&v);
}

static void test_odd_member_names_sorted(void **state)
{
	const char *kv[] = {
	    P "members/zeta",  "{}", P "members/pg 1",  "{}", P "members/ñodo-é", "{}",
	    P "members/a:b",   "{}", P "members/x.y_z", "{}", P "members/名前",   "{}",
	    P "members/Alpha", "{}", P "members/pg\"q", "{}",
	};
	struct dcs_view v;
	char warn[256];
	const char *want[] = {"Alpha", "a:b", "pg 1", "pg\"q", "x.y_z", "zeta", "ñodo-é", "名前"};

	(void)state;
	view_of(&v, kv, 8, warn, sizeof(warn));
	assert_string_equal(warn, "");
	assert_int_equal(v.n_members, 8);
	for (int i = 0; i < 8; i++) {
		assert_string_equal(v.members[i].name, want[i]);
		assert_ptr_equal(dcs_view_member(&v, want[i]), &v.members[i]);
	}
	assert_null(dcs_view_member(&v, "pg"));
	assert_null(dcs_view_member(&v, NULL));
	dcs_view_free(&v);
}

/* members_kv: n members "m00".. (descending insertion order), plus extra pairs. */
static int members_kv(const char **kv, char (*keys)[64], int n, const char *first_name)
{
	for (int i = 0; i < n; i++) {
		if (i == 0 && first_name != NULL)
			snprintf(keys[i], 64, P "members/%s", first_name);
		else
			snprintf(keys[i], 64, P "members/m%02d", n - 1 - i);
		kv[2 * i] = keys[i];
		kv[2 * i + 1] = "{}";
	}
	return n;
}

static void test_too_many_members(void **state)
{
	char keys[DCS_MAX_MEMBERS + 4][64];
	const char *kv[2 * (DCS_MAX_MEMBERS + 5)];
	struct dcs_view v;
	char warn[256];
	int n;

	(void)state;
	/* As many as a view holds: all of them, sorted. */
	n = members_kv(kv, keys, DCS_MAX_MEMBERS, NULL);
	view_of(&v, kv, n, warn, sizeof(warn));
	assert_true(v.valid);
	assert_int_equal(v.n_members, DCS_MAX_MEMBERS);
	assert_string_equal(v.members[0].name, "m00");
	assert_int_equal(v.n_members_refused, 0);
	dcs_view_free(&v);
	/*
	 * One more, whose name sorts before the leader's: keeping "the first 16 by name"
	 * dropped the leader from the view (issue 9). Now the view is refused, loudly: no
	 * member, not valid, so nobody acts on part of the cluster.
	 */
	n = members_kv(kv, keys, DCS_MAX_MEMBERS + 1, "zz-leader");
	kv[2 * n] = P "leader";
	kv[2 * n + 1] = "zz-leader";
	view_of(&v, kv, n + 1, warn, sizeof(warn));
	assert_false(v.valid);
	assert_int_equal(v.n_members, 0);
	assert_int_equal(v.n_members_refused, DCS_MAX_MEMBERS + 1);
	assert_string_equal(v.leader, "zz-leader");
	assert_null(dcs_view_leader_member(&v));
	assert_non_null(
	    strstr(warn, "17 members in etcd, more than the 16 pgha reads: view refused"));
	dcs_view_free(&v);
}

/* A member's URLs: http(s) for the REST API, postgres(ql) for PostgreSQL; else dropped. */
static void test_member_url_schemes(void **state)
{
	const char *kv[] = {
	    P "members/a",
	    "{\"api_url\":\"file:///etc/shadow\",\"conn_url\":\"postgres://10.0.0.1:5432/"
	    "postgres\",\"xlog_location\":100}",
	    P "members/b",
	    "{\"api_url\":\"HTTPS://10.0.0.2:8008/patroni\",\"conn_url\":\"ldap://10.0.0.2:389/"
	    "x\",\"xlog_location\":200}",
	    P "members/c",
	    "{\"api_url\":\"gopher://x\\r\\nEVIL\",\"conn_url\":\"postgresql://[::1]:5433/db\"}",
	    P "members/d",
	    "{\"api_url\":\"http:/no-slashes\",\"conn_url\":\"mysql://10.0.0.4:3306/x\"}",
	};
	struct dcs_view v;
	char warn[1024];

	(void)state;
	view_of(&v, kv, 4, warn, sizeof(warn));
	assert_true(v.valid);
	/* The members stay: their WAL positions count in the leader race. */
	assert_int_equal(v.n_members, 4);
	assert_string_equal(v.members[0].api_url, "");
	assert_string_equal(v.members[0].host, "10.0.0.1");
	assert_int_equal(v.members[0].xlog_location, 100);
	assert_string_equal(v.members[1].api_url, "HTTPS://10.0.0.2:8008/patroni");
	assert_string_equal(v.members[1].conn_url, "");
	assert_string_equal(v.members[1].host, "");
	assert_int_equal(v.members[1].port, 0);
	assert_int_equal(v.members[1].xlog_location, 200);
	assert_string_equal(v.members[2].api_url, "");
	assert_string_equal(v.members[2].host, "::1");
	assert_int_equal(v.members[2].port, 5433);
	assert_string_equal(v.members[3].api_url, "");
	assert_string_equal(v.members[3].conn_url, "");
	assert_non_null(strstr(warn, "members/a: api_url \"file:///etc/shadow\" is not http(s)"));
	assert_non_null(
	    strstr(warn, "members/b: conn_url \"ldap://10.0.0.2:389/x\" is not postgres"));
	/* Control characters of etcd's data never reach a log line as they are. */
	assert_non_null(strstr(warn, "\"gopher://x??EVIL\""));
	assert_null(strchr(warn, '\r'));
	dcs_view_free(&v);
}

/* Names with control characters are no member's (and never printed raw). */
static void test_member_name_control_chars(void **state)
{
	const char *kv[] = {P "members/ok",   "{}", P "members/\x1b[2Jx", "{}",
	                    P "members/a\nb", "{}"};
	struct dcs_view v;
	char warn[512];

	(void)state;
	view_of(&v, kv, 3, warn, sizeof(warn));
	assert_int_equal(v.n_members, 1);
	assert_string_equal(v.members[0].name, "ok");
	assert_non_null(strstr(warn, "members/?[2Jx: control character in the name"));
	assert_non_null(strstr(warn, "members/a?b: control character"));
	assert_null(strchr(warn, '\x1b'));
	dcs_view_free(&v);
}

/*
 * One name given twice (found by the fuzz harness, tests/fuzz/fuzz_dcs_view.c): the view
 * holds one member per name, the newest write's, and finds it by name.
 */
static void test_member_name_twice(void **state)
{
	const char *kv[] = {
	    P "members/b", "{\"xlog_location\":1}", P "members/a", "{\"xlog_location\":2}",
	    P "members/b", "{\"xlog_location\":3}", P "members/c", "{\"xlog_location\":4}"};
	struct dcs_view v;
	char warn[256];

	(void)state;
	view_of(&v, kv, 4, warn, sizeof(warn));
	assert_true(v.valid);
	assert_int_equal(v.n_members, 3);
	assert_string_equal(v.members[0].name, "a");
	assert_string_equal(v.members[1].name, "b");
	assert_string_equal(v.members[2].name, "c");
	assert_ptr_equal(dcs_view_member(&v, "b"), &v.members[1]);
	/* view_of gives later pairs higher mod_revisions: the third pair is the newest. */
	assert_int_equal(dcs_view_member(&v, "b")->xlog_location, 3);
	assert_non_null(strstr(warn, "members/b: given twice; the newest kept"));
	dcs_view_free(&v);
}

/* The config and history keys twice (a fuzzer's find: the first copy leaked): the later
 * one stays. */
static void test_config_twice(void **state)
{
	const char *kv[] = {P "config",  "{\"ttl\":20}",  P "config",  "{\"ttl\":30}",
	                    P "history", "[[1,1,\"a\"]]", P "history", "[[1,1,\"a\"],[2,2,\"b\"]]"};
	struct dcs_view v;
	char warn[256];

	(void)state;
	view_of(&v, kv, 4, warn, sizeof(warn));
	assert_true(v.valid);
	assert_true(v.has_config);
	assert_string_equal(v.config_json, "{\"ttl\":30}");
	assert_int_equal(v.n_history, 2);
	dcs_view_free(&v);
}

/* Keys and values with a NUL byte, given with their lengths (as etcd has them). */
static void test_nul_bytes_in_kvs(void **state)
{
	struct dcs_kv kvs[] = {
	    {.key = P "leader\0x", .key_len = sizeof(P "leader\0x") - 1, .value = "evil"},
	    {.key = P "leader", .value = "pg1", .lease = 7},
	    {.key = P "members/pg1\0", .key_len = sizeof(P "members/pg1\0") - 1, .value = "{}"},
	    {.key = P "members/pg1", .value = "{\"role\":\"master\"}"},
	    {.key = P "initialize", .value = "123\0456", .value_len = 7},
	};
	struct dcs_view v;
	char warn[512];

	(void)state;
	dcs_view_from_kvs(&v, P, kvs, 5, 9, warn, sizeof(warn));
	assert_true(v.has_leader);
	assert_string_equal(v.leader, "pg1");
	assert_int_equal(v.leader_lease, 7);
	assert_int_equal(v.n_members, 1);
	assert_string_equal(v.members[0].role, "master");
	/* The value is unreadable, but the key's presence still counts. */
	assert_true(v.has_initialize);
	assert_string_equal(v.initialize, "");
	assert_non_null(strstr(warn, "key \"" P "leader\\0...\" holds a NUL byte; ignored"));
	assert_non_null(strstr(warn, P "initialize: the value holds a NUL byte; read as empty"));
	dcs_view_free(&v);
}

static void test_history_forms(void **state)
{
	const char *kv[] = {
	    P "history",
	    "[[1,25623960,\"no recovery target specified\"],"
	    "[2,\"bad\",\"x\"],"
	    "\"not an entry\","
	    "[3],"
	    "[2,33554592,\"no recovery target specified\"],"
	    "[3,50331808,\"no recovery target specified\",\"2024-05-01T10:00:00.123+00:00\","
	    "\"pg3\"]]",
	};
	const char *bad[] = {P "history", "{\"1\":2}"};
	const char *empty[] = {P "history", "[]"};
	struct dcs_view v;
	char warn[512];

	(void)state;
	view_of(&v, kv, 1, warn, sizeof(warn));
	assert_int_equal(v.n_history, 3);
	assert_int_equal(v.history[0].timeline, 1);
	assert_string_equal(v.history[0].timestamp, "");
	assert_int_equal(v.history[1].timeline, 2);
	assert_int_equal(v.history[1].switch_lsn, 33554592);
	assert_string_equal(v.history[2].new_leader, "pg3");
	assert_int_equal(dcs_view_timeline(&v), 4);
	assert_non_null(strstr(warn, "entry 1 malformed"));
	assert_non_null(strstr(warn, "entry 2 malformed"));
	assert_non_null(strstr(warn, "entry 3 malformed"));
	dcs_view_free(&v);

	view_of(&v, bad, 1, warn, sizeof(warn));
	assert_int_equal(v.n_history, 0);
	assert_null(v.history_json);
	assert_int_equal(dcs_view_timeline(&v), 1);
	assert_non_null(strstr(warn, "history: not a JSON array"));
	dcs_view_free(&v);

	view_of(&v, empty, 1, warn, sizeof(warn));
	assert_string_equal(warn, "");
	assert_int_equal(dcs_view_timeline(&v), 1);
	assert_string_equal(v.history_json, "[]");
	dcs_view_free(&v);
}

static void test_history_keeps_newest(void **state)
{
	char text[8192] = "[";
	const char *kv[] = {P "history", text};
	struct dcs_view v;
	char warn[64];

	(void)state;
	for (int tl = 1; tl <= 100; tl++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s[%d,%d,\"r\"]",
		         tl > 1 ? "," : "", tl, tl * 1000);
	strcat(text, "]");
	view_of(&v, kv, 1, warn, sizeof(warn));
	assert_int_equal(v.n_history, DCS_MAX_HISTORY);
	assert_int_equal(v.history[0].timeline, 100 - DCS_MAX_HISTORY + 1);
	assert_int_equal(dcs_view_timeline(&v), 101);
	dcs_view_free(&v);
}

/* One failover value -> the decoded struct. */
static void failover_of(const char *value, struct dcs_failover *f, char *warn, size_t len)
{
	const char *kv[] = {P "failover", value};
	struct dcs_view v;

	view_of(&v, kv, 1, warn, len);
	*f = v.failover;
	dcs_view_free(&v);
}

static void test_failover_forms(void **state)
{
	struct dcs_failover f;
	char warn[256];

	(void)state;
	failover_of("{}", &f, warn, sizeof(warn));
	assert_false(f.present);
	assert_int_equal(f.mod_revision, 10);
	failover_of("{\"leader\":\"pg1\"}", &f, warn, sizeof(warn));
	assert_true(f.present);
	assert_string_equal(f.leader, "pg1");
	assert_string_equal(f.member, "");
	failover_of("{\"member\":\"pg2\"}", &f, warn, sizeof(warn));
	assert_true(f.present);
	assert_string_equal(f.member, "pg2");
	failover_of("{\"leader\":\"pg1\",\"member\":\"pg2\",\"scheduled_at\":"
	            "\"2024-01-01T12:00:00+00:00\"}",
	            &f, warn, sizeof(warn));
	assert_true(f.present);
	assert_string_equal(f.scheduled_at, "2024-01-01T12:00:00+00:00");
	assert_int_equal(f.scheduled_at_epoch_ms, 1704110400000LL);
	/* Legacy plain text, as Patroni's Failover.from_node still parses it. */
	failover_of("pg1:pg2", &f, warn, sizeof(warn));
	assert_true(f.present);
	assert_string_equal(f.leader, "pg1");
	assert_string_equal(f.member, "pg2");
	failover_of(" pg1 : pg2 :x", &f, warn, sizeof(warn));
	assert_string_equal(f.leader, "pg1");
	assert_string_equal(f.member, "pg2");
	failover_of(":pg2", &f, warn, sizeof(warn));
	assert_true(f.present);
	assert_string_equal(f.leader, "");
	assert_string_equal(f.member, "pg2");
	failover_of("pg1", &f, warn, sizeof(warn));
	assert_string_equal(f.leader, "pg1");
	assert_string_equal(f.member, "");
	assert_string_equal(warn, "");
	/* Valid JSON that is not an object, or only a time: nothing pending. */
	failover_of("[1]", &f, warn, sizeof(warn));
	assert_false(f.present);
	failover_of("{\"scheduled_at\":\"2024-01-01T12:00:00Z\"}", &f, warn, sizeof(warn));
	assert_false(f.present);
	assert_string_equal(warn, "");
	/* Malformed: ignored with a warning, but the revision stays for a CAS clear. */
	failover_of("{\"leader\":\"pg1\",\"scheduled_at\":\"tomorrow\"}", &f, warn, sizeof(warn));
	assert_false(f.present);
	assert_int_equal(f.mod_revision, 10);
	assert_non_null(strstr(warn, "scheduled_at"));
	failover_of("{\"member\":42}", &f, warn, sizeof(warn));
	assert_false(f.present);
	assert_non_null(strstr(warn, "failover:"));
}

static void sync_of(const char *value, struct dcs_sync *s, char *warn, size_t len)
{
	const char *kv[] = {P "sync", value};
	struct dcs_view v;

	view_of(&v, kv, 1, warn, len);
	*s = v.sync;
	dcs_view_free(&v);
}

static void test_sync_forms(void **state)
{
	struct dcs_sync s;
	char warn[256];

	(void)state;
	sync_of("{\"leader\":\"pg1\",\"quorum\":0,\"sync_standby\":\"pg2,pg3\"}", &s, warn,
	        sizeof(warn));
	assert_true(s.present);
	assert_int_equal(s.n_standbys, 2);
	assert_string_equal(s.standbys[1], "pg3");
	assert_true(dcs_sync_has(&s, "Pg3"));
	sync_of("{\"leader\":\"pg1\",\"sync_standby\":null}", &s, warn, sizeof(warn));
	assert_true(s.present);
	assert_int_equal(s.n_standbys, 0);
	sync_of("{\"leader\":\"pg1\",\"sync_standby\":\" pg2 , ,pg3,\"}", &s, warn, sizeof(warn));
	assert_int_equal(s.n_standbys, 2);
	assert_string_equal(s.standbys[0], "pg2");
	sync_of("{\"leader\":\"pg1\",\"sync_standby\":[\"pg2\",\"pg4\"]}", &s, warn, sizeof(warn));
	assert_int_equal(s.n_standbys, 2);
	assert_string_equal(s.standbys[1], "pg4");
	sync_of("{}", &s, warn, sizeof(warn));
	assert_true(s.present);
	assert_string_equal(s.leader, ""); /* sync mode not active */
	assert_string_equal(warn, "");
	sync_of("{\"leader\":\"pg1\",\"sync_standby\":\"a,b,c,d,e,f,g,h,i,j\"}", &s, warn,
	        sizeof(warn));
	assert_int_equal(s.n_standbys, DCS_MAX_SYNC);
	assert_non_null(strstr(warn, "more than 8"));
	sync_of("{\"leader\":", &s, warn, sizeof(warn));
	assert_false(s.present);
	assert_int_equal(s.mod_revision, 10);
	assert_int_equal(s.n_standbys, 0);
	assert_non_null(strstr(warn, "sync: malformed"));
	sync_of("{\"leader\":\"pg1\",\"sync_standby\":7}", &s, warn, sizeof(warn));
	assert_false(s.present);
	sync_of("[]", &s, warn, sizeof(warn));
	assert_false(s.present);
}

static void test_status_and_legacy_optime(void **state)
{
	const char *obj[] = {P "status",
	                     "{\"optime\":67395656,\"slots\":{\"pg2\":1},"
	                     "\"retain_slots\":[\"pg2\"]}",
	                     P "optime/leader", "5"};
	const char *bare[] = {P "status", "67395656"};
	const char *legacy[] = {P "optime/leader", "12345"};
	const char *bad[] = {P "status", "{\"optime\":\"x\"}"};
	struct dcs_view v;
	char warn[256];

	(void)state;
	view_of(&v, obj, 2, warn, sizeof(warn));
	assert_true(v.has_status);
	assert_int_equal(v.status_optime, 67395656); /* status wins over optime/leader */
	dcs_view_free(&v);
	view_of(&v, bare, 1, warn, sizeof(warn));
	assert_true(v.has_status);
	assert_int_equal(v.status_optime, 67395656);
	dcs_view_free(&v);
	view_of(&v, legacy, 1, warn, sizeof(warn));
	assert_true(v.has_status);
	assert_int_equal(v.status_optime, 12345);
	dcs_view_free(&v);
	view_of(&v, bad, 1, warn, sizeof(warn));
	assert_false(v.has_status);
	assert_non_null(strstr(warn, "status"));
	dcs_view_free(&v);
}

static void test_config_initialize_leader_edge_cases(void **state)
{
	const char *kv[] = {
	    P "config", "{\"ttl\":", P "initialize", "", P "leader", "",
	};
	const char *longv[] = {
	    P "initialize",
	    "123456789012345678901234567890123456",
	    P "leader",
	    "a-very-long-leader-name-that-does-not-fit-in-sixty-four-bytes-at-all",
	};
	struct dcs_view v;
	char warn[512];

	(void)state;
	view_of(&v, kv, 3, warn, sizeof(warn));
	assert_false(v.has_config);
	assert_null(v.config_json);
	assert_int_equal(v.config_mod_revision, 10); /* edit-config can CAS over it */
	assert_true(v.has_initialize);
	assert_string_equal(v.initialize, ""); /* bootstrap in progress */
	assert_true(v.has_leader);
	assert_string_equal(v.leader, "");
	assert_null(dcs_view_leader_member(&v));
	assert_non_null(strstr(warn, "config: not a JSON object"));
	assert_non_null(strstr(warn, "leader: empty"));
	dcs_view_free(&v);
	view_of(&v, longv, 2, warn, sizeof(warn));
	assert_true(v.has_initialize);
	assert_true(v.has_leader);
	assert_string_equal(v.leader, "");
	assert_non_null(strstr(warn, "initialize: value too long"));
	assert_non_null(strstr(warn, "leader: name too long"));
	dcs_view_free(&v);
}

static void test_foreign_keys_ignored(void **state)
{
	const char *kv[] = {
	    "/service/batman2/leader",
	    "other",
	    "/service/batman2/members/x",
	    "{}",
	    "/other",
	    "x",
	    P "failsafe",
	    "{\"pg1\":\"http://x\"}",
	    P "unknown/key",
	    "garbage",
	};
	struct dcs_view v;
	char warn[128];

	(void)state;
	view_of(&v, kv, 5, warn, sizeof(warn));
	assert_string_equal(warn, "");
	assert_false(v.has_leader);
	assert_int_equal(v.n_members, 0);
	dcs_view_free(&v);
}

static void test_warn_buffer_bounds(void **state)
{
	const char *kv[] = {P "members/a", "x", P "members/b", "y", P "members/c", "z"};
	struct dcs_view v;
	char small[24];

	(void)state;
	view_of(&v, kv, 3, NULL, 0); /* no buffer: fine */
	assert_int_equal(v.n_members, 0);
	dcs_view_free(&v);
	memset(small, 'X', sizeof(small));
	view_of(&v, kv, 3, small, sizeof(small));
	assert_true(strlen(small) < sizeof(small));
	dcs_view_free(&v);
}

static void test_view_copy_is_deep(void **state)
{
	const char *kv[] = {P "config", "{\"ttl\":10}", P "history", "[]", P "members/a", "{}"};
	struct dcs_view v, c;

	(void)state;
	view_of(&v, kv, 3, NULL, 0);
	dcs_view_copy(&c, &v);
	assert_ptr_not_equal(c.config_json, v.config_json);
	assert_string_equal(c.config_json, "{\"ttl\":10}");
	assert_string_equal(c.history_json, "[]");
	assert_int_equal(c.n_members, 1);
	dcs_view_free(&v);
	assert_string_equal(c.config_json, "{\"ttl\":10}");
	dcs_view_free(&c);
}

static void test_primary_role(void **state)
{
	struct dcs_member m = {0};

	(void)state;
	strcpy(m.role, "primary");
	assert_true(dcs_member_is_primary_role(&m));
	strcpy(m.role, "master");
	assert_true(dcs_member_is_primary_role(&m));
	strcpy(m.role, "standby_leader");
	assert_false(dcs_member_is_primary_role(&m));
	strcpy(m.role, "Primary");
	assert_false(dcs_member_is_primary_role(&m));
}

/* scheduled_at in the forms Patroni and patronictl write, and a time without a zone is UTC. */
static void test_failover_scheduled_at(void **state)
{
	static const struct {
		const char *at;
		int64_t ms;
	} ok[] = {
	    {"2024-01-01T12:00:00+00:00", 1704110400000LL},
	    {"2024-01-01T14:00:00+02:00", 1704110400000LL},
	    {"2024-01-01 07:00:00-0500", 1704110400000LL},
	    {"2024-01-01T12:00:00.123456+00:00", 1704110400123LL},
	    {"2024-01-01T12:00:00.5", 1704110400500LL},
	    {"2024-01-01T13:00:00+01", 1704110400000LL},
	    {"2024-01-01T12:00Z", 1704110400000LL},
	};
	static const char *const bad[] = {"tomorrow",
	                                  "2024-13-01T12:00:00Z",
	                                  "2024-01-01T12:00:00.Z",
	                                  "2024-01-01T12:00:00+2:00",
	                                  "2024-01-01T12:00:00 junk",
	                                  "2024-1-1T12:00:00Z"};
	struct dcs_failover f;
	char value[160];
	char warn[256];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(value, sizeof(value), "{\"leader\":\"pg1\",\"scheduled_at\":\"%s\"}",
		         ok[i].at);
		failover_of(value, &f, warn, sizeof(warn));
		assert_true(f.present);
		assert_string_equal(warn, "");
		if (f.scheduled_at_epoch_ms != ok[i].ms)
			fail_msg("%s: %lld", ok[i].at, (long long)f.scheduled_at_epoch_ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(value, sizeof(value), "{\"leader\":\"pg1\",\"scheduled_at\":\"%s\"}",
		         bad[i]);
		failover_of(value, &f, warn, sizeof(warn));
		assert_false(f.present);
		assert_non_null(strstr(warn, "is not an ISO 8601 time"));
	}
}

static void test_encoders(void **state)
{
	const char *standbys[] = {"pg3", "pg2"};
	char *s;

	(void)state;
	s = dcs_sync_encode("pg1", standbys, 2);
	assert_string_equal(s, "{\"leader\":\"pg1\",\"quorum\":0,\"sync_standby\":\"pg2,pg3\"}");
	free(s);
	s = dcs_sync_encode("pg1", NULL, 0);
	assert_string_equal(s, "{\"leader\":\"pg1\",\"quorum\":0,\"sync_standby\":null}");
	free(s);
	s = dcs_failover_encode("pg1", "", NULL);
	assert_string_equal(s, "{\"leader\":\"pg1\"}");
	free(s);
	s = dcs_failover_encode(NULL, "pg2", "2024-01-01T12:00:00+00:00");
	assert_string_equal(s,
	                    "{\"member\":\"pg2\",\"scheduled_at\":\"2024-01-01T12:00:00+00:00\"}");
	free(s);
	/* What we write, we read back. */
	{
		const char *kv[] = {P "sync", NULL};
		struct dcs_view v;

		kv[1] = s = dcs_sync_encode("pg1", standbys, 2);
		view_of(&v, kv, 1, NULL, 0);
		assert_true(v.sync.present && dcs_sync_has(&v.sync, "pg2") &&
		            dcs_sync_has(&v.sync, "pg3"));
		dcs_view_free(&v);
		free(s);
	}
}

/* --- the watch cache -------------------------------------------------------------------- */

static struct etcd_kv kv_make(const char *key, const char *value, int64_t mod, int64_t lease)
{
	struct etcd_kv kv = {.key = (char *)(uintptr_t)key,
	                     .key_len = strlen(key),
	                     .value = (char *)(uintptr_t)value,
	                     .value_len = strlen(value),
	                     .create_revision = mod,
	                     .mod_revision = mod,
	                     .lease = lease};
	return kv;
}

static struct etcd_event ev_make(enum etcd_event_type type, const char *key, const char *value,
                                 int64_t mod)
{
	struct etcd_event ev = {.type = type, .kv = kv_make(key, value, mod, 0)};
	return ev;
}

static void test_cache_load_and_events(void **state)
{
	struct etcd_kv items[] = {kv_make(P "leader", "pg1", 5, 77),
	                          kv_make(P "members/pg1", "{}", 6, 77)};
	struct etcd_kvs kvs = {.items = items, .n = 2, .count = 2};
	struct dcs_cache c;
	struct etcd_event ev;

	(void)state;
	dcs_cache_init(&c);
	assert_true(dcs_cache_load(&c, &kvs, 8));
	assert_false(dcs_cache_load(&c, &kvs, 8)); /* same contents: no change */
	assert_int_equal(c.revision, 8);
	assert_int_equal(dcs_cache_max_mod(&c), 6);
	assert_string_equal(dcs_cache_get(&c, P "leader")->value, "pg1");
	assert_int_equal(dcs_cache_get(&c, P "leader")->lease, 77);

	/* A replayed event older than the load is ignored. */
	ev = ev_make(ETCD_EVENT_DELETE, P "leader", "", 7);
	assert_false(dcs_cache_apply(&c, &ev));
	assert_non_null(dcs_cache_get(&c, P "leader"));
	/* Lease expiry: a DELETE. */
	ev = ev_make(ETCD_EVENT_DELETE, P "leader", "", 9);
	assert_true(dcs_cache_apply(&c, &ev));
	assert_null(dcs_cache_get(&c, P "leader"));
	assert_int_equal(c.revision, 9);
	/* Deleting what is not there changes nothing. */
	ev = ev_make(ETCD_EVENT_DELETE, P "sync", "", 10);
	assert_false(dcs_cache_apply(&c, &ev));
	/* One transaction's events share a revision: both apply. */
	ev = ev_make(ETCD_EVENT_PUT, P "leader", "pg2", 11);
	assert_true(dcs_cache_apply(&c, &ev));
	ev = ev_make(ETCD_EVENT_PUT, P "history", "[]", 11);
	assert_true(dcs_cache_apply(&c, &ev));
	/* A duplicate of an applied event does not apply twice. */
	assert_false(dcs_cache_apply(&c, &ev));
	assert_int_equal(dcs_cache_max_mod(&c), 11);
	assert_int_equal(c.n, 3);
	dcs_cache_advance(&c, 20);
	assert_int_equal(c.revision, 20);
	dcs_cache_advance(&c, 15);
	assert_int_equal(c.revision, 20);
	ev = ev_make(ETCD_EVENT_PUT, P "leader", "pg3", 19);
	assert_false(dcs_cache_apply(&c, &ev));
	dcs_cache_deinit(&c);
}

static void test_cache_grows_and_builds_view(void **state)
{
	struct dcs_cache c;
	struct dcs_view v;
	char key[64];
	char warn[128];

	(void)state;
	dcs_cache_init(&c);
	for (int i = 0; i < 40; i++) {
		struct etcd_event ev;

		snprintf(key, sizeof(key), P "members/m%02d", i);
		ev = ev_make(ETCD_EVENT_PUT, key, i == 7 ? "garbage" : "{}", 100 + i);
		assert_true(dcs_cache_apply(&c, &ev));
	}
	{
		struct etcd_event ev = ev_make(ETCD_EVENT_PUT, P "leader", "m03", 200);

		assert_true(dcs_cache_apply(&c, &ev));
	}
	assert_int_equal(c.n, 41);
	dcs_cache_view(&c, P, &v, warn, sizeof(warn));
	assert_int_equal(v.revision, 200);
	assert_string_equal(v.leader, "m03");
	/* 39 readable members: more than a view holds, so none, and not valid. */
	assert_false(v.valid);
	assert_int_equal(v.n_members_refused, 39);
	assert_non_null(strstr(warn, "members/m07"));
	dcs_view_free(&v);
	/* Down to the limit (m07 is garbage, so 15 readable): valid again, leader found. */
	for (int i = 16; i < 40; i++) {
		struct etcd_event ev;

		snprintf(key, sizeof(key), P "members/m%02d", i);
		ev = ev_make(ETCD_EVENT_DELETE, key, "", 300 + i);
		assert_true(dcs_cache_apply(&c, &ev));
	}
	dcs_cache_view(&c, P, &v, warn, sizeof(warn));
	assert_true(v.valid);
	assert_int_equal(v.n_members, 15);
	assert_non_null(dcs_view_leader_member(&v));
	dcs_view_free(&v);
	/* A reload that drops keys is a change and leaves only what the range had. */
	{
		struct etcd_kv one = kv_make(P "leader", "m03", 200, 0);
		struct etcd_kvs kvs = {.items = &one, .n = 1, .count = 1};

		assert_true(dcs_cache_load(&c, &kvs, 400));
		assert_int_equal(c.n, 1);
	}
	dcs_cache_deinit(&c);
}

/* pgha's request keys and member extensions: parsed when well-formed, left out (never the
 * member or the view) when not. */
static void test_pgha_requests_and_extensions(void **state)
{
	const char *kv[] = {
	    P "backup",
	    "{\"id\":\"a1\",\"kind\":\"full\",\"state\":\"running\",\"member\":\"pg1\","
	    "\"requested_at\":\"2026-12-07T21:00:00Z\"}",
	    P "restore",
	    "{\"id\":\"r9\",\"kind\":\"time\",\"target\":\"2026-12-07 21:21:47+00\","
	    "\"leader\":\"pg1\",\"from_timeline\":3,\"state\":\"ready\",\"timeline\":5,"
	    "\"result\":\"kept /d.old\"}",
	    P "members/pg1",
	    "{\"conn_url\":\"postgres://10.0.0.1:5432/postgres\",\"state\":\"running\","
	    "\"role\":\"primary\",\"archive\":{\"ready\":3,\"oldest_ready_ms\":1796678000000,"
	    "\"last_archived_wal\":\"000000050000000000000041\","
	    "\"last_archived_ms\":1796678001000,\"failed_count\":2,"
	    "\"last_failed_wal\":\"000000050000000000000040\",\"last_failed_ms\":5},"
	    "\"pgbackrest\":{\"pg-path\":\"/d\",\"pg-socket-path\":\"/d.sock\",\"pg-port\":5432}}",
	    P "members/pg2",
	    "{\"conn_url\":\"postgres://10.0.0.2:5432/postgres\",\"state\":\"running\","
	    "\"role\":\"replica\",\"archive\":{\"ready\":\"lots\"},\"pgbackrest\":[1]}",
	};
	struct dcs_view v;
	char warn[256];

	(void)state;
	view_of(&v, kv, 4, warn, sizeof(warn));
	assert_string_equal(warn, "");
	assert_true(v.backup.present);
	assert_string_equal(v.backup.id, "a1");
	assert_string_equal(v.backup.kind, "full");
	assert_string_equal(v.backup.state, "running");
	assert_int_equal(v.backup.mod_revision, 10);
	assert_true(dcs_request_pending(&v.backup));
	assert_true(v.restore.present);
	assert_int_equal(v.restore.from_timeline, 3);
	assert_int_equal(v.restore.timeline, 5);
	assert_string_equal(v.restore.target, "2026-12-07 21:21:47+00");
	assert_false(dcs_request_pending(&v.restore)); /* ready */
	assert_int_equal(v.n_members, 2);
	assert_true(v.members[0].archive.present);
	assert_int_equal(v.members[0].archive.ready, 3);
	assert_int_equal(v.members[0].archive.last_archived_ms, 1796678001000);
	assert_int_equal(v.members[0].archive.failed_count, 2);
	assert_string_equal(v.members[0].backup_pg.path, "/d");
	assert_int_equal(v.members[0].backup_pg.port, 5432);
	assert_false(v.members[1].archive.present); /* malformed: left out */
	assert_string_equal(v.members[1].backup_pg.path, "");
	assert_string_equal(v.members[1].state, "running"); /* the member stays */
	dcs_view_free(&v);

	/* A request without an id, or not an object: ignored with a warning. */
	kv[1] = "{\"kind\":\"full\"}";
	kv[3] = "[1,2]";
	view_of(&v, kv, 2, warn, sizeof(warn));
	assert_false(v.backup.present);
	assert_int_equal(v.backup.mod_revision, 10); /* still overwritable with a CAS */
	assert_false(v.restore.present);
	assert_non_null(strstr(warn, "backup: no id; request ignored"));
	assert_non_null(strstr(warn, "restore: no id; request ignored"));
	dcs_view_free(&v);
}

static void test_request_encode_round_trip(void **state)
{
	struct dcs_request r, back;
	struct dcs_kv kv = {.key = P "restore", .mod_revision = 4};
	struct dcs_view v;
	char *text;

	(void)state;
	memset(&r, 0, sizeof(r));
	snprintf(r.id, sizeof(r.id), "x1");
	snprintf(r.kind, sizeof(r.kind), "set");
	snprintf(r.target, sizeof(r.target), "20261207-211958F");
	snprintf(r.leader, sizeof(r.leader), "pg\"1");
	r.from_timeline = 2;
	text = dcs_request_encode(&r);
	assert_string_equal(text, "{\"from_timeline\":2,\"id\":\"x1\",\"kind\":\"set\",\"leader\":"
	                          "\"pg\\\"1\",\"target\":\"20261207-211958F\"}");
	kv.value = text;
	dcs_view_from_kvs(&v, P, &kv, 1, 5, NULL, 0);
	back = v.restore;
	assert_true(back.present);
	back.present = false;
	back.mod_revision = 0;
	assert_memory_equal(&back, &r, sizeof(r));
	dcs_view_free(&v);
	free(text);
}

/*
 * A request that replaces an ended one carries its outcome, so that its requester, who
 * polls, learns it even when the next request was written before it looked (071: `pgha
 * backup` failed although its backup was taken, `pgha backup check` having replaced it).
 */
static void test_request_carries_previous_outcome(void **state)
{
	struct dcs_request ended, pending, next, out;
	struct dcs_kv kv = {.key = P "backup", .mod_revision = 7};
	struct dcs_view v;
	char *text, warn[256] = "";

	(void)state;
	memset(&ended, 0, sizeof(ended));
	ended.present = true;
	snprintf(ended.id, sizeof(ended.id), "a1");
	snprintf(ended.state, sizeof(ended.state), "done");
	snprintf(ended.result, sizeof(ended.result), "20261208-041500F_20261208-041530I");
	pending = ended;
	snprintf(pending.state, sizeof(pending.state), "running");

	memset(&next, 0, sizeof(next));
	snprintf(next.id, sizeof(next.id), "b2");
	snprintf(next.kind, sizeof(next.kind), "check");
	dcs_request_follow(&next, &pending); /* not ended: nothing to carry */
	assert_string_equal(next.previous.id, "");
	dcs_request_follow(&next, &(struct dcs_request){0}); /* an empty key */
	assert_string_equal(next.previous.id, "");
	dcs_request_follow(&next, &ended);
	text = dcs_request_encode(&next);
	assert_string_equal(text, "{\"id\":\"b2\",\"kind\":\"check\",\"previous\":{\"id\":\"a1\","
	                          "\"result\":\"20261208-041500F_20261208-041530I\",\"state\":"
	                          "\"done\"}}");
	kv.value = text;
	dcs_view_from_kvs(&v, P, &kv, 1, 8, NULL, 0);
	assert_true(v.backup.present);
	assert_string_equal(v.backup.id, "b2");
	assert_true(dcs_request_pending(&v.backup)); /* the new request is the key's */

	/* a1's requester, reading the key now, gets a1's outcome; b2's is still to come. */
	assert_true(dcs_request_outcome_of(&v.backup, "a1", &out));
	assert_true(out.present);
	assert_string_equal(out.id, "a1");
	assert_string_equal(out.state, "done");
	assert_string_equal(out.result, ended.result);
	assert_false(dcs_request_pending(&out));
	assert_false(dcs_request_outcome_of(&v.backup, "b2", &out));
	assert_false(dcs_request_outcome_of(&v.backup, "zz", &out));
	assert_false(dcs_request_outcome_of(&v.backup, "", &out));
	out = v.backup; /* out may be the key itself */
	assert_true(dcs_request_outcome_of(&out, "a1", &out));
	assert_string_equal(out.state, "done");
	dcs_view_free(&v);
	free(text);

	/* A restore's outcome keeps its timeline. */
	snprintf(ended.state, sizeof(ended.state), "ready");
	ended.timeline = 5;
	dcs_request_follow(&next, &ended);
	text = dcs_request_encode(&next);
	kv.key = P "restore";
	kv.value = text;
	dcs_view_from_kvs(&v, P, &kv, 1, 9, NULL, 0);
	assert_true(dcs_request_outcome_of(&v.restore, "a1", &out));
	assert_int_equal(out.timeline, 5);
	dcs_view_free(&v);
	free(text);

	/* A malformed "previous" makes the request unreadable, as any malformed field does. */
	kv.value = "{\"id\":\"b2\",\"previous\":\"a1\"}";
	dcs_view_from_kvs(&v, P, &kv, 1, 10, warn, sizeof(warn));
	assert_false(v.restore.present);
	assert_non_null(strstr(warn, "\"previous\" is not an object"));
	dcs_view_free(&v);
}

/*
 * A key with a NUL byte is another key: with strcmp, "leader\0x" found the entry of
 * "leader" and overwrote its value (issue 9: a healthy primary stopped). In either
 * order, by load or by events, the real key keeps its value.
 */
static void test_cache_nul_key_is_another_key(void **state)
{
	static const char evil[] = P "leader\0x";
	struct etcd_kv items[] = {kv_make(P "leader", "pg1", 5, 77), kv_make(evil, "evil", 6, 0)};
	struct etcd_kvs kvs = {.items = items, .n = 2, .count = 2};
	struct dcs_cache c;
	struct etcd_event ev;
	struct dcs_view v;
	char warn[256];

	(void)state;
	items[1].key_len = sizeof(evil) - 1;
	dcs_cache_init(&c);
	assert_true(dcs_cache_load(&c, &kvs, 8));
	assert_int_equal(c.n, 2);
	assert_string_equal(dcs_cache_get(&c, P "leader")->value, "pg1");
	ev = (struct etcd_event){.type = ETCD_EVENT_PUT, .kv = kv_make(evil, "evil2", 9, 0)};
	ev.kv.key_len = sizeof(evil) - 1;
	assert_true(dcs_cache_apply(&c, &ev));
	assert_string_equal(dcs_cache_get(&c, P "leader")->value, "pg1");
	dcs_cache_view(&c, P, &v, warn, sizeof(warn));
	assert_string_equal(v.leader, "pg1");
	assert_int_equal(v.leader_lease, 77);
	assert_non_null(strstr(warn, "holds a NUL byte"));
	dcs_view_free(&v);
	/* Deleting the NUL key leaves the real one. */
	ev.type = ETCD_EVENT_DELETE;
	ev.kv.mod_revision = 10;
	assert_true(dcs_cache_apply(&c, &ev));
	assert_int_equal(c.n, 1);
	assert_string_equal(dcs_cache_get(&c, P "leader")->value, "pg1");
	/* The same keys loaded again: the NUL key differs by its length, so it is a change. */
	assert_true(dcs_cache_load(&c, &kvs, 12));
	assert_false(dcs_cache_load(&c, &kvs, 12));
	dcs_cache_deinit(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_cluster_302),
	    cmocka_unit_test(test_member_4x),
	    cmocka_unit_test(test_member_decode_direct),
	    cmocka_unit_test(test_malformed_members_skipped),
	    cmocka_unit_test(test_odd_member_names_sorted),
	    cmocka_unit_test(test_too_many_members),
	    cmocka_unit_test(test_member_url_schemes),
	    cmocka_unit_test(test_member_name_control_chars),
	    cmocka_unit_test(test_member_name_twice),
	    cmocka_unit_test(test_config_twice),
	    cmocka_unit_test(test_nul_bytes_in_kvs),
	    cmocka_unit_test(test_history_forms),
	    cmocka_unit_test(test_history_keeps_newest),
	    cmocka_unit_test(test_failover_forms),
	    cmocka_unit_test(test_sync_forms),
	    cmocka_unit_test(test_status_and_legacy_optime),
	    cmocka_unit_test(test_config_initialize_leader_edge_cases),
	    cmocka_unit_test(test_foreign_keys_ignored),
	    cmocka_unit_test(test_warn_buffer_bounds),
	    cmocka_unit_test(test_view_copy_is_deep),
	    cmocka_unit_test(test_primary_role),
	    cmocka_unit_test(test_failover_scheduled_at),
	    cmocka_unit_test(test_encoders),
	    cmocka_unit_test(test_cache_load_and_events),
	    cmocka_unit_test(test_cache_grows_and_builds_view),
	    cmocka_unit_test(test_pgha_requests_and_extensions),
	    cmocka_unit_test(test_request_encode_round_trip),
	    cmocka_unit_test(test_request_carries_previous_outcome),
	    cmocka_unit_test(test_cache_nul_key_is_another_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
