/*
 * test_etcd_json.c: etcd v3 gateway messages: request encoding of each call, reply
 * decoding from canned JSON (as etcd 3.4 sends it: int64 as strings, defaults
 * omitted), both error shapes, and the watch stream split at every chunk boundary.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "dcs/etcd_json.h"
#include "util/xalloc.h"

/* Loads a canned JSON text (test data is always valid). */
static json_t *load(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, 0, &err);

	if (j == NULL)
		fail_msg("bad test JSON: %s", err.text);
	return j;
}

/* Asserts that req serialises to exactly want (keys sorted, compact). */
static void assert_json(json_t *req, const char *want)
{
	char *got = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS);

	assert_string_equal(got, want);
	free(got);
	json_decref(req);
}

/* --- requests --------------------------------------------------------------------------- */

static void test_range_request(void **state)
{
	struct etcd_range_req plain = {.key = "/service/batman/leader"};
	struct etcd_range_req prefix = {
	    .key = "/service/batman/", .range_end = "/service/batman0", .serializable = true};
	struct etcd_range_req newest = {.key = "a",
	                                .range_end = "b",
	                                .keys_only = true,
	                                .count_only = true,
	                                .limit = 1,
	                                .newest_first = true};

	(void)state;
	assert_json(etcd_json_range_req(&plain), "{\"key\":\"L3NlcnZpY2UvYmF0bWFuL2xlYWRlcg==\"}");
	assert_json(
	    etcd_json_range_req(&prefix),
	    "{\"key\":\"L3NlcnZpY2UvYmF0bWFuLw==\",\"range_end\":\"L3NlcnZpY2UvYmF0bWFuMA==\","
	    "\"serializable\":true}");
	assert_json(etcd_json_range_req(&newest),
	            "{\"count_only\":true,\"key\":\"YQ==\",\"keys_only\":true,\"limit\":\"1\","
	            "\"range_end\":\"Yg==\",\"sort_order\":\"DESCEND\",\"sort_target\":\"MOD\"}");
}

static void test_put_delete_requests(void **state)
{
	(void)state;
	assert_json(etcd_json_put_req("k", "v", 0), "{\"key\":\"aw==\",\"value\":\"dg==\"}");
	/* Lease IDs exceed 2^53: they go out as strings. */
	assert_json(etcd_json_put_req("k", "", 7587869432619113476LL),
	            "{\"key\":\"aw==\",\"lease\":\"7587869432619113476\",\"value\":\"\"}");
	assert_json(etcd_json_delete_req("k", NULL), "{\"key\":\"aw==\"}");
	assert_json(etcd_json_delete_req("a/", "a0"), "{\"key\":\"YS8=\",\"range_end\":\"YTA=\"}");
}

static void test_txn_request_all_targets(void **state)
{
	struct etcd_compare cmps[] = {
	    {.key = "k", .target = ETCD_TARGET_CREATE, .number = 0},
	    {.key = "k", .target = ETCD_TARGET_VALUE, .value = "pg1"},
	    {.key = "k", .target = ETCD_TARGET_MOD, .result = ETCD_CMP_NOT_EQUAL, .number = 42},
	    {.key = "k", .target = ETCD_TARGET_LEASE, .number = 9007199254740993LL},
	    {.key = "k", .target = ETCD_TARGET_VERSION, .result = ETCD_CMP_GREATER, .number = 1},
	    {.key = "k", .target = ETCD_TARGET_VERSION, .result = ETCD_CMP_LESS, .number = 3},
	};
	struct etcd_op ok[] = {{.type = ETCD_OP_PUT, .key = "k", .value = "pg1", .lease = 5},
	                       {.type = ETCD_OP_DELETE, .key = "d"}};
	struct etcd_op fail[] = {{.type = ETCD_OP_RANGE, .key = "k"}};
	struct etcd_txn_req req = {cmps, 6, ok, 2, fail, 1, false};

	(void)state;
	assert_json(
	    etcd_json_txn_req(&req),
	    "{\"compare\":["
	    "{\"create_revision\":\"0\",\"key\":\"aw==\",\"result\":\"EQUAL\",\"target\":"
	    "\"CREATE\"},"
	    "{\"key\":\"aw==\",\"result\":\"EQUAL\",\"target\":\"VALUE\",\"value\":\"cGcx\"},"
	    "{\"key\":\"aw==\",\"mod_revision\":\"42\",\"result\":\"NOT_EQUAL\",\"target\":"
	    "\"MOD\"},"
	    "{\"key\":\"aw==\",\"lease\":\"9007199254740993\",\"result\":\"EQUAL\","
	    "\"target\":\"LEASE\"},"
	    "{\"key\":\"aw==\",\"result\":\"GREATER\",\"target\":\"VERSION\",\"version\":"
	    "\"1\"},"
	    "{\"key\":\"aw==\",\"result\":\"LESS\",\"target\":\"VERSION\",\"version\":\"3\"}],"
	    "\"failure\":[{\"request_range\":{\"key\":\"aw==\"}}],"
	    "\"success\":[{\"request_put\":{\"key\":\"aw==\",\"lease\":\"5\",\"value\":"
	    "\"cGcx\"}},{\"request_delete_range\":{\"key\":\"ZA==\"}}]}");
}

static void test_txn_request_read_only(void **state)
{
	struct etcd_compare cmp = {.key = "k", .target = ETCD_TARGET_VALUE, .value = "x"};
	struct etcd_txn_req req = {&cmp, 1, NULL, 0, NULL, 0, false};

	(void)state;
	assert_json(etcd_json_txn_req(&req), "{\"compare\":[{\"key\":\"aw==\",\"result\":\"EQUAL\","
	                                     "\"target\":\"VALUE\",\"value\":\"eA==\"}]}");
}

static void test_lease_watch_auth_requests(void **state)
{
	(void)state;
	assert_json(etcd_json_lease_grant_req(2), "{\"TTL\":2}");
	assert_json(etcd_json_lease_id_req(7587869432619113476LL),
	            "{\"ID\":\"7587869432619113476\"}");
	assert_json(etcd_json_auth_req("root", "s3cret"),
	            "{\"name\":\"root\",\"password\":\"s3cret\"}");
	assert_json(etcd_json_watch_req("/s/c/", "/s/c0", 17, true),
	            "{\"create_request\":{\"key\":\"L3MvYy8=\",\"progress_notify\":true,"
	            "\"range_end\":\"L3MvYzA=\",\"start_revision\":\"17\"}}");
	assert_json(etcd_json_watch_req("k", NULL, 0, false),
	            "{\"create_request\":{\"key\":\"aw==\"}}");
}

static void test_prefix_end(void **state)
{
	char *e;

	(void)state;
	e = etcd_prefix_end("/service/batman/");
	assert_string_equal(e, "/service/batman0");
	free(e);
	e = etcd_prefix_end("a\xff");
	assert_string_equal(e, "b");
	free(e);
	assert_null(etcd_prefix_end("\xff\xff"));
	assert_null(etcd_prefix_end(""));
}

static void test_target_names(void **state)
{
	(void)state;
	assert_string_equal(etcd_target_str(ETCD_TARGET_LEASE), "LEASE");
	assert_string_equal(etcd_cmp_result_str(ETCD_CMP_NOT_EQUAL), "NOT_EQUAL");
	assert_string_equal(etcd_target_str(ETCD_TARGET__COUNT), "?");
}

/* --- replies ----------------------------------------------------------------------------- */

static void test_error_shapes(void **state)
{
	json_t *unary = load("{\"error\":\"etcdserver: requested lease not found\",\"message\":"
	                     "\"etcdserver: requested lease not found\",\"code\":5}");
	json_t *stream =
	    load("{\"error\":{\"grpc_code\":14,\"http_code\":503,\"message\":"
	         "\"etcdserver: no leader\",\"http_status\":\"Service Unavailable\"}}");
	json_t *grant = load("{\"header\":{},\"ID\":\"1\",\"TTL\":\"2\",\"error\":\"\"}");
	json_t *ok = load("{\"header\":{\"revision\":\"3\"}}");
	char msg[128];
	int code = 0;

	(void)state;
	assert_true(etcd_json_error(unary, &code, msg, sizeof(msg)));
	assert_int_equal(code, ETCD_CODE_NOT_FOUND);
	assert_string_equal(msg, "etcdserver: requested lease not found");
	assert_true(etcd_json_error(stream, &code, msg, sizeof(msg)));
	assert_int_equal(code, ETCD_CODE_UNAVAILABLE);
	assert_string_equal(msg, "etcdserver: no leader");
	/* LeaseGrantResponse has an "error" string field that is empty on success. */
	assert_false(etcd_json_error(grant, &code, msg, sizeof(msg)));
	assert_false(etcd_json_error(ok, &code, msg, sizeof(msg)));
	json_decref(unary);
	json_decref(stream);
	json_decref(grant);
	json_decref(ok);
}

static void test_header(void **state)
{
	json_t *strings =
	    load("{\"header\":{\"cluster_id\":\"14841639068965178418\",\"member_id\":"
	         "\"10276657743932975437\",\"revision\":\"12\",\"raft_term\":\"3\"}}");
	json_t *numbers = load("{\"header\":{\"cluster_id\":1,\"revision\":12,\"raft_term\":4}}");
	json_t *bad = load("{\"header\":{\"revision\":\"twelve\"}}");
	struct etcd_header h;
	char err[128];

	(void)state;
	assert_true(etcd_json_header(strings, &h, err, sizeof(err)));
	assert_true(h.cluster_id == 14841639068965178418ULL); /* above INT64_MAX */
	assert_true(h.member_id == 10276657743932975437ULL);
	assert_int_equal(h.revision, 12);
	assert_int_equal(h.raft_term, 3);
	assert_true(etcd_json_header(numbers, &h, err, sizeof(err)));
	assert_int_equal(h.revision, 12);
	assert_int_equal(h.raft_term, 4);
	assert_false(etcd_json_header(bad, &h, err, sizeof(err)));
	assert_non_null(strstr(err, "revision"));
	static const char *const refused[] = {
	    "{\"header\":{\"cluster_id\":-1}}",
	    "{\"header\":{\"cluster_id\":\"-1\"}}",
	    "{\"header\":{\"cluster_id\":\"18446744073709551616\"}}",
	    "{\"header\":{\"member_id\":\"12x\"}}",
	    "{\"header\":{\"revision\":\"\"}}",
	    "{\"header\":{\"revision\":true}}",
	    "{\"header\":{\"revision\":\"9223372036854775808\"}}",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		json_t *j = load(refused[i]);

		if (etcd_json_header(j, &h, err, sizeof(err)))
			fail_msg("accepted %s", refused[i]);
		json_decref(j);
	}
	json_decref(strings);
	json_decref(numbers);
	json_decref(bad);
}

static void test_range_reply(void **state)
{
	/* As etcd 3.4.23 answered a prefix range (the second key has no lease, no value). */
	json_t *r =
	    load("{\"header\":{\"cluster_id\":\"263626462180751145\",\"member_id\":"
	         "\"643071727990573073\",\"revision\":\"9\",\"raft_term\":\"2\"},\"kvs\":["
	         "{\"key\":\"L3NlcnZpY2UvYmF0bWFuL2xlYWRlcg==\",\"create_revision\":\"5\","
	         "\"mod_revision\":\"7\",\"version\":\"2\",\"value\":\"cGcx\",\"lease\":"
	         "\"7587869432619113476\"},"
	         "{\"key\":\"L3NlcnZpY2UvYmF0bWFuL2luaXRpYWxpemU=\",\"create_revision\":\"3\","
	         "\"mod_revision\":\"3\",\"version\":\"1\"}],\"count\":\"2\"}");
	json_t *empty = load("{\"header\":{\"revision\":\"9\"}}");
	struct etcd_kvs kvs;
	char err[128];

	(void)state;
	assert_true(etcd_json_range_reply(r, &kvs, err, sizeof(err)));
	assert_int_equal(kvs.n, 2);
	assert_int_equal(kvs.count, 2);
	assert_string_equal(kvs.items[0].key, "/service/batman/leader");
	assert_string_equal(kvs.items[0].value, "pg1");
	assert_int_equal(kvs.items[0].value_len, 3);
	assert_int_equal(kvs.items[0].create_revision, 5);
	assert_int_equal(kvs.items[0].mod_revision, 7);
	assert_int_equal(kvs.items[0].version, 2);
	assert_true(kvs.items[0].lease == 7587869432619113476LL);
	assert_string_equal(kvs.items[1].key, "/service/batman/initialize");
	assert_string_equal(kvs.items[1].value, "");
	assert_int_equal(kvs.items[1].lease, 0);
	etcd_kvs_free(&kvs);
	assert_true(etcd_json_range_reply(empty, &kvs, err, sizeof(err)));
	assert_int_equal(kvs.n, 0);
	assert_int_equal(kvs.count, 0);
	etcd_kvs_free(&kvs);
	json_decref(r);
	json_decref(empty);
}

static void test_range_reply_malformed(void **state)
{
	static const char *const bad[] = {
	    "{\"kvs\":{}}",
	    "{\"kvs\":[{\"key\":\"not base64!\"}]}",
	    "{\"kvs\":[{\"key\":\"aw==\",\"mod_revision\":\"1x\"}]}",
	    "{\"kvs\":[{\"key\":\"aw==\",\"lease\":true}]}",
	    "{\"kvs\":[\"aw==\"]}",
	    "{\"kvs\":[],\"count\":\"\"}",
	    "[]",
	};
	struct etcd_kvs kvs;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = load(bad[i]);

		err[0] = '\0';
		assert_false(etcd_json_range_reply(j, &kvs, err, sizeof(err)));
		assert_true(err[0] != '\0');
		assert_null(kvs.items); /* nothing owned is left on failure */
		json_decref(j);
	}
}

static void test_txn_reply(void **state)
{
	json_t *won =
	    load("{\"header\":{\"revision\":\"10\",\"raft_term\":\"2\"},\"succeeded\":true,"
	         "\"responses\":[{\"response_put\":{\"header\":{\"revision\":\"10\"}}},"
	         "{\"response_delete_range\":{\"header\":{},\"deleted\":\"1\"}}]}");
	/* A failed compare: "succeeded" is omitted (false is the default). */
	json_t *lost = load("{\"header\":{\"revision\":\"10\"},\"responses\":[{\"response_range\":"
	                    "{\"header\":{\"revision\":\"10\"},\"kvs\":[{\"key\":\"aw==\","
	                    "\"create_revision\":\"8\",\"mod_revision\":\"8\",\"version\":\"1\","
	                    "\"value\":\"cGcy\",\"lease\":\"99\"}],\"count\":\"1\"}}]}");
	json_t *readonly = load("{\"header\":{\"revision\":\"10\"},\"succeeded\":true}");
	struct etcd_txn_reply r;
	char err[128];

	(void)state;
	assert_true(etcd_json_txn_reply(won, &r, err, sizeof(err)));
	assert_true(r.succeeded);
	assert_int_equal(r.header.revision, 10);
	assert_int_equal(r.n_responses, 2);
	assert_int_equal(r.responses[0].type, ETCD_OP_PUT);
	assert_int_equal(r.responses[1].type, ETCD_OP_DELETE);
	assert_int_equal(r.responses[1].deleted, 1);
	etcd_txn_reply_free(&r);

	assert_true(etcd_json_txn_reply(lost, &r, err, sizeof(err)));
	assert_false(r.succeeded);
	assert_int_equal(r.n_responses, 1);
	assert_int_equal(r.responses[0].type, ETCD_OP_RANGE);
	assert_int_equal(r.responses[0].kvs.n, 1);
	assert_string_equal(r.responses[0].kvs.items[0].value, "pg2");
	assert_int_equal(r.responses[0].kvs.items[0].lease, 99);
	etcd_txn_reply_free(&r);

	assert_true(etcd_json_txn_reply(readonly, &r, err, sizeof(err)));
	assert_true(r.succeeded);
	assert_int_equal(r.n_responses, 0);
	etcd_txn_reply_free(&r);
	json_decref(won);
	json_decref(lost);
	json_decref(readonly);
}

static void test_txn_reply_malformed(void **state)
{
	static const char *const bad[] = {
	    "{\"succeeded\":\"yes\"}",
	    "{\"responses\":{}}",
	    "{\"responses\":[{\"response_unknown\":{}}]}",
	    "{\"responses\":[{\"response_range\":{\"kvs\":[{\"key\":\"!!\"}]}}]}",
	    "{\"responses\":[{\"response_put\":{}},{\"response_range\":[]}]}",
	};
	struct etcd_txn_reply r;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = load(bad[i]);

		assert_false(etcd_json_txn_reply(j, &r, err, sizeof(err)));
		assert_null(r.responses);
		json_decref(j);
	}
}

static void test_lease_replies(void **state)
{
	json_t *grant = load("{\"header\":{\"revision\":\"1\"},\"ID\":\"581424033259383813\","
	                     "\"TTL\":\"2\"}");
	json_t *grant_num = load("{\"ID\":12,\"TTL\":30}");
	json_t *grant_bad = load("{\"TTL\":\"2\"}");
	json_t *alive = load("{\"result\":{\"header\":{\"revision\":\"3\"},\"ID\":"
	                     "\"581424033259383823\",\"TTL\":\"5\"}}");
	/* A lease etcd no longer knows: the reply has no TTL. */
	json_t *gone = load("{\"result\":{\"header\":{\"revision\":\"2\"},\"ID\":\"123\"}}");
	json_t *neg = load("{\"result\":{\"TTL\":\"-1\"}}");
	int64_t id;
	int ttl;
	char err[128];

	(void)state;
	assert_true(etcd_json_lease_grant_reply(grant, &id, &ttl, err, sizeof(err)));
	assert_true(id == 581424033259383813LL);
	assert_int_equal(ttl, 2);
	assert_true(etcd_json_lease_grant_reply(grant_num, &id, &ttl, err, sizeof(err)));
	assert_int_equal(id, 12);
	assert_int_equal(ttl, 30);
	assert_false(etcd_json_lease_grant_reply(grant_bad, &id, &ttl, err, sizeof(err)));
	assert_true(etcd_json_keepalive_reply(alive, &ttl, err, sizeof(err)));
	assert_int_equal(ttl, 5);
	assert_true(etcd_json_keepalive_reply(gone, &ttl, err, sizeof(err)));
	assert_int_equal(ttl, 0);
	assert_false(etcd_json_keepalive_reply(neg, &ttl, err, sizeof(err)));
	json_decref(grant);
	json_decref(grant_num);
	json_decref(grant_bad);
	json_decref(alive);
	json_decref(gone);
	json_decref(neg);
}

static void test_auth_reply(void **state)
{
	json_t *ok = load("{\"header\":{},\"token\":\"abc.123\"}");
	json_t *none = load("{\"header\":{}}");
	char token[16], small[4], err[128];

	(void)state;
	assert_true(etcd_json_auth_reply(ok, token, sizeof(token), err, sizeof(err)));
	assert_string_equal(token, "abc.123");
	assert_false(etcd_json_auth_reply(ok, small, sizeof(small), err, sizeof(err)));
	assert_false(etcd_json_auth_reply(none, token, sizeof(token), err, sizeof(err)));
	json_decref(ok);
	json_decref(none);
}

static void test_watch_messages(void **state)
{
	json_t *created = load("{\"result\":{\"header\":{\"cluster_id\":\"1\",\"revision\":\"3\","
	                       "\"raft_term\":\"2\"},\"created\":true}}");
	json_t *events =
	    load("{\"result\":{\"header\":{\"revision\":\"5\"},\"events\":["
	         "{\"kv\":{\"key\":\"Zm9v\",\"create_revision\":\"4\",\"mod_revision\":\"4\","
	         "\"version\":\"1\",\"value\":\"YmFy\",\"lease\":\"77\"}},"
	         "{\"type\":\"DELETE\",\"kv\":{\"key\":\"Zm9v\",\"mod_revision\":\"5\"}}]}}");
	json_t *canceled = load("{\"result\":{\"header\":{\"raft_term\":\"12\"},\"canceled\":true,"
	                        "\"compact_revision\":\"3\",\"cancel_reason\":\"compacted\"}}");
	json_t *progress = load("{\"result\":{\"header\":{\"revision\":\"8\"}}}");
	json_t *bad_type = load("{\"result\":{\"events\":[{\"type\":\"EXPIRE\",\"kv\":{}}]}}");
	struct etcd_watch_msg m;
	char err[128];

	(void)state;
	assert_true(etcd_json_watch_msg(created, &m, err, sizeof(err)));
	assert_true(m.created);
	assert_int_equal(m.n_events, 0);
	assert_int_equal(m.header.revision, 3);
	etcd_watch_msg_free(&m);

	assert_true(etcd_json_watch_msg(events, &m, err, sizeof(err)));
	assert_false(m.created);
	assert_int_equal(m.n_events, 2);
	assert_int_equal(m.events[0].type, ETCD_EVENT_PUT);
	assert_string_equal(m.events[0].kv.key, "foo");
	assert_string_equal(m.events[0].kv.value, "bar");
	assert_int_equal(m.events[0].kv.lease, 77);
	assert_int_equal(m.events[1].type, ETCD_EVENT_DELETE);
	assert_string_equal(m.events[1].kv.key, "foo");
	assert_string_equal(m.events[1].kv.value, "");
	assert_int_equal(m.events[1].kv.mod_revision, 5);
	etcd_watch_msg_free(&m);

	assert_true(etcd_json_watch_msg(canceled, &m, err, sizeof(err)));
	assert_true(m.canceled);
	assert_int_equal(m.compact_revision, 3);
	assert_string_equal(m.cancel_reason, "compacted");
	assert_int_equal(m.header.raft_term, 12);
	etcd_watch_msg_free(&m);

	assert_true(etcd_json_watch_msg(progress, &m, err, sizeof(err)));
	assert_false(m.created || m.canceled);
	assert_int_equal(m.n_events, 0);
	assert_int_equal(m.header.revision, 8);
	etcd_watch_msg_free(&m);

	assert_false(etcd_json_watch_msg(bad_type, &m, err, sizeof(err)));
	assert_null(m.events);
	json_decref(created);
	json_decref(events);
	json_decref(canceled);
	json_decref(progress);
	json_decref(bad_type);
}

/* --- stream splitting --------------------------------------------------------------------- */

/* A watch body as the gateway writes it: newline-terminated compact objects. */
static const char stream_text[] =
    "{\"result\":{\"header\":{\"revision\":\"3\"},\"created\":true}}\n"
    "{\"result\":{\"header\":{\"revision\":\"4\"},\"events\":[{\"kv\":{\"key\":\"Zm9v\","
    "\"mod_revision\":\"4\",\"value\":\"e1wifVxuXCJ9\"}}]}}\n"
    "{\"result\":{\"header\":{\"revision\":\"5\"},\"events\":[{\"type\":\"DELETE\",\"kv\":"
    "{\"key\":\"Zm9v\",\"mod_revision\":\"5\"}}]}}\n"
    "{\"result\":{\"header\":{\"revision\":\"5\"},\"cancel_reason\":\"}\\n{\"}}\n";

struct collected {
	char revisions[64]; /* header revisions in order, e.g. "3455" */
	int n;
	int stop_after; /* 0 = never stop */
};

static bool collect(const json_t *msg, void *arg)
{
	struct collected *c = arg;
	struct etcd_watch_msg m;
	char err[128];
	size_t len = strlen(c->revisions);

	assert_true(etcd_json_watch_msg(msg, &m, err, sizeof(err)));
	snprintf(c->revisions + len, sizeof(c->revisions) - len, "%lld",
	         (long long)m.header.revision);
	etcd_watch_msg_free(&m);
	c->n++;
	return c->stop_after == 0 || c->n < c->stop_after;
}

/* Feeds text in pieces cut at the given offsets; returns the collected revisions. */
static void feed_split(const char *text, size_t len, const size_t *cuts, int n_cuts,
                       struct collected *out)
{
	struct etcd_stream s;
	size_t from = 0;
	char err[128];

	memset(out, 0, sizeof(*out));
	etcd_stream_init(&s, 1 << 20);
	for (int i = 0; i <= n_cuts; i++) {
		size_t to = i < n_cuts ? cuts[i] : len;

		assert_int_equal(
		    etcd_stream_feed(&s, text + from, to - from, collect, out, err, sizeof(err)),
		    ETCD_STREAM_OK);
		from = to;
	}
	assert_int_equal(s.pending.len, 0);
	etcd_stream_deinit(&s);
}

static void test_stream_every_two_way_split(void **state)
{
	size_t len = strlen(stream_text);
	struct collected c;

	(void)state;
	for (size_t cut = 0; cut <= len; cut++) {
		feed_split(stream_text, len, &cut, 1, &c);
		assert_string_equal(c.revisions, "3455");
	}
}

static void test_stream_every_three_way_split(void **state)
{
	size_t len = strlen(stream_text);
	struct collected c;

	(void)state;
	for (size_t a = 0; a <= len; a += 3) {
		for (size_t b = a; b <= len; b += 5) {
			size_t cuts[2] = {a, b};

			feed_split(stream_text, len, cuts, 2, &c);
			assert_string_equal(c.revisions, "3455");
		}
	}
}

static void test_stream_byte_at_a_time(void **state)
{
	size_t len = strlen(stream_text);
	size_t *cuts = xcalloc(len, sizeof(*cuts));
	struct collected c;

	(void)state;
	for (size_t i = 0; i < len; i++)
		cuts[i] = i + 1;
	feed_split(stream_text, len, cuts, (int)len - 1, &c);
	assert_string_equal(c.revisions, "3455");
	free(cuts);
}

static void test_stream_joined_without_newlines(void **state)
{
	const char *joined = "{\"result\":{\"header\":{\"revision\":\"1\"}}}"
	                     "{\"result\":{\"header\":{\"revision\":\"2\"}}}  \r\n"
	                     "{\"result\":{\"header\":{\"revision\":\"3\"}}}";
	struct collected c;

	(void)state;
	feed_split(joined, strlen(joined), NULL, 0, &c);
	assert_string_equal(c.revisions, "123");
}

static void test_stream_partial_is_kept(void **state)
{
	const char *text = "{\"result\":{\"header\":{\"revision\":\"1\"}}}\n{\"result\":{\"hea";
	struct etcd_stream s;
	struct collected c = {0};
	char err[128];

	(void)state;
	etcd_stream_init(&s, 1 << 20);
	assert_int_equal(etcd_stream_feed(&s, text, strlen(text), collect, &c, err, sizeof(err)),
	                 ETCD_STREAM_OK);
	assert_string_equal(c.revisions, "1");
	assert_string_equal(s.pending.data, "{\"result\":{\"hea");
	assert_int_equal(etcd_stream_feed(&s, "der\":{\"revision\":\"2\"}}}\n", 25, collect, &c,
	                                  err, sizeof(err)),
	                 ETCD_STREAM_OK);
	assert_string_equal(c.revisions, "12");
	etcd_stream_reset(&s);
	assert_int_equal(s.pending.len, 0);
	etcd_stream_deinit(&s);
}

static void test_stream_errors(void **state)
{
	const char *garbage = "{\"result\":{}}\nnot json at all\n";
	const char *array = "[1,2]\n";
	const char *big = "{\"result\":{\"header\":{\"revision\":\"1\"},\"x\":\"aaaaaaaaaaaaaaaa";
	struct etcd_stream s;
	struct collected c = {0};
	char err[128];

	(void)state;
	etcd_stream_init(&s, 32);
	assert_int_equal(
	    etcd_stream_feed(&s, garbage, strlen(garbage), collect, &c, err, sizeof(err)),
	    ETCD_STREAM_BAD);
	assert_int_equal(c.n, 1);
	assert_non_null(strstr(err, "not JSON"));
	etcd_stream_reset(&s);
	assert_int_equal(etcd_stream_feed(&s, array, strlen(array), collect, &c, err, sizeof(err)),
	                 ETCD_STREAM_BAD);
	etcd_stream_reset(&s);
	assert_int_equal(etcd_stream_feed(&s, big, strlen(big), collect, &c, err, sizeof(err)),
	                 ETCD_STREAM_BAD);
	assert_non_null(strstr(err, "over 32 bytes"));
	etcd_stream_deinit(&s);
}

static void test_stream_callback_stops(void **state)
{
	struct etcd_stream s;
	struct collected c = {.stop_after = 2};
	char err[128];

	(void)state;
	etcd_stream_init(&s, 1 << 20);
	assert_int_equal(
	    etcd_stream_feed(&s, stream_text, strlen(stream_text), collect, &c, err, sizeof(err)),
	    ETCD_STREAM_STOPPED);
	assert_string_equal(c.revisions, "34");
	etcd_stream_deinit(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_range_request),
	    cmocka_unit_test(test_put_delete_requests),
	    cmocka_unit_test(test_txn_request_all_targets),
	    cmocka_unit_test(test_txn_request_read_only),
	    cmocka_unit_test(test_lease_watch_auth_requests),
	    cmocka_unit_test(test_prefix_end),
	    cmocka_unit_test(test_target_names),
	    cmocka_unit_test(test_error_shapes),
	    cmocka_unit_test(test_header),
	    cmocka_unit_test(test_range_reply),
	    cmocka_unit_test(test_range_reply_malformed),
	    cmocka_unit_test(test_txn_reply),
	    cmocka_unit_test(test_txn_reply_malformed),
	    cmocka_unit_test(test_lease_replies),
	    cmocka_unit_test(test_auth_reply),
	    cmocka_unit_test(test_watch_messages),
	    cmocka_unit_test(test_stream_every_two_way_split),
	    cmocka_unit_test(test_stream_every_three_way_split),
	    cmocka_unit_test(test_stream_byte_at_a_time),
	    cmocka_unit_test(test_stream_joined_without_newlines),
	    cmocka_unit_test(test_stream_partial_is_kept),
	    cmocka_unit_test(test_stream_errors),
	    cmocka_unit_test(test_stream_callback_stops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
