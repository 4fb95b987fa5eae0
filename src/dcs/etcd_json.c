/*
 * etcd_json.c: building etcd v3 gateway requests and decoding its replies.
 *
 * Does: base64 of keys and values, int64-as-string on both sides, the two error
 * shapes, and splitting a watch stream into messages. Does not: talk to the network
 * or log (etcd.c does both). Invariant: a decoder either fills its output completely
 * or leaves nothing owned in it.
 */
#include "dcs/etcd_json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/b64.h"
#include "util/err.h"
#include "util/strutil.h"
#include "util/xalloc.h"

/* --- encoding -------------------------------------------------------------------------- */

static json_t *b64_value(const char *s)
{
	char *enc = b64_encode(s, strlen(s));
	json_t *j = json_string(enc);

	free(enc);
	return j;
}

/* int64 fields go out as decimal strings, as the gateway's protobuf JSON mapping expects. */
static json_t *i64_value(int64_t v)
{
	char text[24];

	snprintf(text, sizeof(text), "%" PRId64, v);
	return json_string(text);
}

static const char *const target_names[ETCD_TARGET__COUNT] = {"VERSION", "CREATE", "MOD", "VALUE",
                                                             "LEASE"};
static const char *const result_names[ETCD_CMP__COUNT] = {"EQUAL", "GREATER", "LESS", "NOT_EQUAL"};

const char *etcd_target_str(enum etcd_target t)
{
	return (unsigned)t < ETCD_TARGET__COUNT ? target_names[t] : "?";
}

const char *etcd_cmp_result_str(enum etcd_cmp_result r)
{
	return (unsigned)r < ETCD_CMP__COUNT ? result_names[r] : "?";
}

/* flag: true, or NULL so that json_pack's "o*" leaves the member out (false is the default). */
static json_t *flag(bool on)
{
	return on ? json_true() : NULL;
}

json_t *etcd_json_range_req(const struct etcd_range_req *req)
{
	return json_pack(
	    "{s:o, s:o*, s:o*, s:o*, s:o*, s:o*, s:s*, s:s*}", "key", b64_value(req->key),
	    "range_end", req->range_end != NULL ? b64_value(req->range_end) : NULL, "serializable",
	    flag(req->serializable), "keys_only", flag(req->keys_only), "count_only",
	    flag(req->count_only), "limit", req->limit > 0 ? i64_value(req->limit) : NULL,
	    "sort_order", req->newest_first ? "DESCEND" : NULL, "sort_target",
	    req->newest_first ? "MOD" : NULL);
}

json_t *etcd_json_put_req(const char *key, const char *value, int64_t lease)
{
	json_t *o = json_object();

	json_object_set_new(o, "key", b64_value(key));
	json_object_set_new(o, "value", b64_value(value));
	if (lease != 0)
		json_object_set_new(o, "lease", i64_value(lease));
	return o;
}

json_t *etcd_json_delete_req(const char *key, const char *range_end)
{
	json_t *o = json_object();

	json_object_set_new(o, "key", b64_value(key));
	if (range_end != NULL)
		json_object_set_new(o, "range_end", b64_value(range_end));
	return o;
}

static json_t *compare_json(const struct etcd_compare *c)
{
	static const char *const operand[ETCD_TARGET__COUNT] = {"version", "create_revision",
	                                                        "mod_revision", "value", "lease"};
	json_t *o = json_object();

	json_object_set_new(o, "key", b64_value(c->key));
	json_object_set_new(o, "target", json_string(etcd_target_str(c->target)));
	json_object_set_new(o, "result", json_string(etcd_cmp_result_str(c->result)));
	if (c->target == ETCD_TARGET_VALUE)
		json_object_set_new(o, "value", b64_value(c->value != NULL ? c->value : ""));
	else if ((unsigned)c->target < ETCD_TARGET__COUNT)
		json_object_set_new(o, operand[c->target], i64_value(c->number));
	return o;
}

static json_t *op_json(const struct etcd_op *op)
{
	json_t *o = json_object();

	switch (op->type) {
	case ETCD_OP_RANGE: {
		struct etcd_range_req r = {.key = op->key, .range_end = op->range_end};

		json_object_set_new(o, "request_range", etcd_json_range_req(&r));
		break;
	}
	case ETCD_OP_PUT:
		json_object_set_new(
		    o, "request_put",
		    etcd_json_put_req(op->key, op->value ? op->value : "", op->lease));
		break;
	case ETCD_OP_DELETE:
		json_object_set_new(o, "request_delete_range",
		                    etcd_json_delete_req(op->key, op->range_end));
		break;
	case ETCD_OP__COUNT:
		break;
	}
	return o;
}

static json_t *ops_json(const struct etcd_op *ops, int n)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(a, op_json(&ops[i]));
	return a;
}

json_t *etcd_json_txn_req(const struct etcd_txn_req *req)
{
	json_t *o = json_object();
	json_t *cmps = json_array();

	for (int i = 0; i < req->n_compare; i++)
		json_array_append_new(cmps, compare_json(&req->compare[i]));
	json_object_set_new(o, "compare", cmps);
	if (req->n_success > 0)
		json_object_set_new(o, "success", ops_json(req->success, req->n_success));
	if (req->n_failure > 0)
		json_object_set_new(o, "failure", ops_json(req->failure, req->n_failure));
	return o;
}

json_t *etcd_json_lease_grant_req(int ttl_s)
{
	/* TTL is an int64 too, but Patroni sends a number and the gateway takes both. */
	return json_pack("{s:i}", "TTL", ttl_s);
}

json_t *etcd_json_lease_id_req(int64_t lease)
{
	json_t *o = json_object();

	json_object_set_new(o, "ID", i64_value(lease));
	return o;
}

json_t *etcd_json_auth_req(const char *name, const char *password)
{
	return json_pack("{s:s,s:s}", "name", name, "password", password);
}

json_t *etcd_json_watch_req(const char *key, const char *range_end, int64_t start_revision,
                            bool progress_notify)
{
	json_t *create = json_object();

	json_object_set_new(create, "key", b64_value(key));
	if (range_end != NULL)
		json_object_set_new(create, "range_end", b64_value(range_end));
	if (start_revision > 0)
		json_object_set_new(create, "start_revision", i64_value(start_revision));
	if (progress_notify)
		json_object_set_new(create, "progress_notify", json_true());
	return json_pack("{s:o}", "create_request", create);
}

char *etcd_prefix_end(const char *prefix)
{
	char *end = xstrdup(prefix);
	size_t len = strlen(end);

	/* Drop trailing 0xff bytes, then increment the last one; all-0xff has no end. */
	while (len > 0 && (unsigned char)end[len - 1] == 0xff)
		end[--len] = '\0';
	if (len == 0) {
		free(end);
		return NULL;
	}
	end[len - 1] = (char)((unsigned char)end[len - 1] + 1);
	return end;
}

/* --- decoding -------------------------------------------------------------------------- */

/*
 * int_text: a 64-bit integer field as decimal text: the gateway writes them as JSON
 * strings ("123"), a JSON integer is taken too. NULL for anything else.
 */
static const char *int_text(const json_t *v, char *buf, size_t size)
{
	if (!json_is_integer(v))
		return json_string_value(v);
	snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	return buf;
}

/* A uint64 field (cluster and member ids use all 64 bits): omitted = 0. */
static bool get_u64(const json_t *o, const char *name, uint64_t *out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, name);
	char buf[32];
	const char *s = int_text(v, buf, sizeof(buf));
	char *end = NULL;

	*out = 0;
	if (v == NULL || json_is_null(v))
		return true;
	if (s != NULL && *s >= '0' && *s <= '9') {
		errno = 0;
		*out = strtoull(s, &end, 10);
		if (errno == 0 && *end == '\0')
			return true;
	}
	err_set(err, errlen, "field \"%s\" is not an unsigned integer", name);
	return false;
}

/* An int64 field: omitted = 0. */
static bool get_i64(const json_t *o, const char *name, int64_t *out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, name);
	char buf[32];
	const char *s = int_text(v, buf, sizeof(buf));

	*out = 0;
	if (v == NULL || json_is_null(v) || (s != NULL && str_parse_i64(s, out)))
		return true;
	err_set(err, errlen, "field \"%s\" is not an integer", name);
	return false;
}

static bool get_bool(const json_t *o, const char *name, bool *out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, name);

	*out = false;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_boolean(v)) {
		err_set(err, errlen, "field \"%s\" is not a boolean", name);
		return false;
	}
	*out = json_is_true(v);
	return true;
}

/* A base64 field decoded to an owned string; omitted = "". */
static bool get_b64(const json_t *o, const char *name, char **out, size_t *len, char *err,
                    size_t errlen)
{
	const json_t *v = json_object_get(o, name);
	size_t n = 0;

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		*out = xstrdup("");
		n = 0;
	} else if (json_is_string(v)) {
		*out = b64_decode(json_string_value(v), &n);
	}
	if (*out == NULL) {
		err_set(err, errlen, "field \"%s\" is not base64", name);
		return false;
	}
	if (len != NULL)
		*len = n;
	return true;
}

static bool expect_object(const json_t *v, const char *what, char *err, size_t errlen)
{
	if (json_is_object(v))
		return true;
	err_set(err, errlen, "%s is not a JSON object", what);
	return false;
}

bool etcd_json_error(const json_t *reply, int *code, char *msg, size_t msglen)
{
	const json_t *e = json_object_get(reply, "error");
	json_int_t c = 0;
	const char *text = NULL;

	if (e == NULL || (json_is_string(e) && json_string_length(e) == 0))
		return false;
	if (json_is_object(e)) { /* streaming form */
		c = json_integer_value(json_object_get(e, "grpc_code"));
		text = json_string_value(json_object_get(e, "message"));
	} else if (json_is_string(e)) { /* unary form */
		c = json_integer_value(json_object_get(reply, "code"));
		text = json_string_value(json_object_get(reply, "message"));
		if (text == NULL)
			text = json_string_value(e);
	}
	*code = (int)c;
	err_set(msg, msglen, "%s", text != NULL ? text : "unknown error");
	return true;
}

bool etcd_json_header(const json_t *reply, struct etcd_header *hdr, char *err, size_t errlen)
{
	const json_t *h = json_object_get(reply, "header");

	memset(hdr, 0, sizeof(*hdr));
	if (h == NULL)
		return true;
	if (!expect_object(h, "header", err, errlen))
		return false;
	return get_u64(h, "cluster_id", &hdr->cluster_id, err, errlen) &&
	       get_u64(h, "member_id", &hdr->member_id, err, errlen) &&
	       get_i64(h, "revision", &hdr->revision, err, errlen) &&
	       get_u64(h, "raft_term", &hdr->raft_term, err, errlen);
}

void etcd_kv_free(struct etcd_kv *kv)
{
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

static bool decode_kv(const json_t *o, struct etcd_kv *kv, char *err, size_t errlen)
{
	memset(kv, 0, sizeof(*kv));
	if (!expect_object(o, "kv", err, errlen))
		return false;
	if (get_b64(o, "key", &kv->key, &kv->key_len, err, errlen) &&
	    get_b64(o, "value", &kv->value, &kv->value_len, err, errlen) &&
	    get_i64(o, "create_revision", &kv->create_revision, err, errlen) &&
	    get_i64(o, "mod_revision", &kv->mod_revision, err, errlen) &&
	    get_i64(o, "version", &kv->version, err, errlen) &&
	    get_i64(o, "lease", &kv->lease, err, errlen))
		return true;
	etcd_kv_free(kv);
	return false;
}

void etcd_kvs_free(struct etcd_kvs *kvs)
{
	for (int i = 0; i < kvs->n; i++)
		etcd_kv_free(&kvs->items[i]);
	free(kvs->items);
	memset(kvs, 0, sizeof(*kvs));
}

/* The "kvs" array and "count" of a range response (top-level or inside a txn). */
static bool decode_kvs(const json_t *o, struct etcd_kvs *out, char *err, size_t errlen)
{
	const json_t *a = json_object_get(o, "kvs");
	size_t n = json_array_size(a);

	memset(out, 0, sizeof(*out));
	if (a != NULL && !json_is_array(a)) {
		err_set(err, errlen, "\"kvs\" is not an array");
		return false;
	}
	out->items = xcalloc(n > 0 ? n : 1, sizeof(*out->items));
	for (size_t i = 0; i < n; i++) {
		if (!decode_kv(json_array_get(a, i), &out->items[i], err, errlen)) {
			etcd_kvs_free(out);
			return false;
		}
		out->n++;
	}
	if (!get_i64(o, "count", &out->count, err, errlen)) {
		etcd_kvs_free(out);
		return false;
	}
	return true;
}

bool etcd_json_range_reply(const json_t *reply, struct etcd_kvs *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	return expect_object(reply, "range reply", err, errlen) &&
	       decode_kvs(reply, out, err, errlen);
}

void etcd_txn_reply_free(struct etcd_txn_reply *r)
{
	for (int i = 0; i < r->n_responses; i++)
		etcd_kvs_free(&r->responses[i].kvs);
	free(r->responses);
	memset(r, 0, sizeof(*r));
}

static bool decode_op_reply(const json_t *o, struct etcd_op_reply *out, char *err, size_t errlen)
{
	const json_t *v;

	memset(out, 0, sizeof(*out));
	if (!expect_object(o, "txn response", err, errlen))
		return false;
	if ((v = json_object_get(o, "response_range")) != NULL) {
		out->type = ETCD_OP_RANGE;
		return expect_object(v, "response_range", err, errlen) &&
		       decode_kvs(v, &out->kvs, err, errlen);
	}
	if ((v = json_object_get(o, "response_put")) != NULL) {
		out->type = ETCD_OP_PUT;
		return expect_object(v, "response_put", err, errlen);
	}
	if ((v = json_object_get(o, "response_delete_range")) != NULL) {
		out->type = ETCD_OP_DELETE;
		return expect_object(v, "response_delete_range", err, errlen) &&
		       get_i64(v, "deleted", &out->deleted, err, errlen);
	}
	err_set(err, errlen, "txn response of an unknown kind");
	return false;
}

bool etcd_json_txn_reply(const json_t *reply, struct etcd_txn_reply *out, char *err, size_t errlen)
{
	const json_t *a;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!expect_object(reply, "txn reply", err, errlen) ||
	    !etcd_json_header(reply, &out->header, err, errlen) ||
	    !get_bool(reply, "succeeded", &out->succeeded, err, errlen))
		return false;
	a = json_object_get(reply, "responses");
	if (a != NULL && !json_is_array(a)) {
		err_set(err, errlen, "\"responses\" is not an array");
		return false;
	}
	n = json_array_size(a);
	out->responses = xcalloc(n > 0 ? n : 1, sizeof(*out->responses));
	for (size_t i = 0; i < n; i++) {
		if (!decode_op_reply(json_array_get(a, i), &out->responses[i], err, errlen)) {
			etcd_kvs_free(&out->responses[i].kvs);
			etcd_txn_reply_free(out);
			return false;
		}
		out->n_responses++;
	}
	return true;
}

/* TTL in seconds, bounded to int (etcd caps leases far below). */
static bool get_ttl(const json_t *o, int *ttl_s, char *err, size_t errlen)
{
	int64_t ttl;

	if (!get_i64(o, "TTL", &ttl, err, errlen))
		return false;
	if (ttl < 0 || ttl > 1000000000) {
		err_set(err, errlen, "TTL %" PRId64 " out of range", ttl);
		return false;
	}
	*ttl_s = (int)ttl;
	return true;
}

bool etcd_json_lease_grant_reply(const json_t *reply, int64_t *lease, int *ttl_s, char *err,
                                 size_t errlen)
{
	if (!expect_object(reply, "lease grant reply", err, errlen) ||
	    !get_i64(reply, "ID", lease, err, errlen) || !get_ttl(reply, ttl_s, err, errlen))
		return false;
	if (*lease == 0 || *ttl_s <= 0) {
		err_set(err, errlen, "lease grant reply without ID or TTL");
		return false;
	}
	return true;
}

bool etcd_json_keepalive_reply(const json_t *reply, int *ttl_s, char *err, size_t errlen)
{
	/* The keepalive call is a stream on the gateway: its one reply is wrapped in "result". */
	const json_t *r = json_object_get(reply, "result");

	if (r == NULL)
		r = reply;
	return expect_object(r, "keepalive reply", err, errlen) && get_ttl(r, ttl_s, err, errlen);
}

bool etcd_json_auth_reply(const json_t *reply, char *token, size_t tokenlen, char *err,
                          size_t errlen)
{
	const char *t = json_string_value(json_object_get(reply, "token"));

	if (t == NULL || *t == '\0' || strlen(t) >= tokenlen) {
		err_set(err, errlen, "authenticate reply without a usable token");
		return false;
	}
	memcpy(token, t, strlen(t) + 1);
	return true;
}

void etcd_watch_msg_free(struct etcd_watch_msg *m)
{
	for (int i = 0; i < m->n_events; i++)
		etcd_kv_free(&m->events[i].kv);
	free(m->events);
	memset(m, 0, sizeof(*m));
}

static bool str_eq_json(const json_t *v, const char *s)
{
	return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

static bool decode_event(const json_t *o, struct etcd_event *ev, char *err, size_t errlen)
{
	const json_t *type;

	memset(ev, 0, sizeof(*ev));
	if (!expect_object(o, "event", err, errlen))
		return false;
	type = json_object_get(o, "type"); /* PUT is the default, so the gateway omits it */
	if (type == NULL || json_is_null(type) || str_eq_json(type, "PUT")) {
		ev->type = ETCD_EVENT_PUT;
	} else if (str_eq_json(type, "DELETE")) {
		ev->type = ETCD_EVENT_DELETE;
	} else {
		err_set(err, errlen, "event of unknown type");
		return false;
	}
	return decode_kv(json_object_get(o, "kv"), &ev->kv, err, errlen);
}

static bool decode_events(const json_t *r, struct etcd_watch_msg *out, char *err, size_t errlen)
{
	const json_t *a = json_object_get(r, "events");
	size_t n = json_array_size(a);

	if (a != NULL && !json_is_array(a)) {
		err_set(err, errlen, "\"events\" is not an array");
		return false;
	}
	out->events = xcalloc(n > 0 ? n : 1, sizeof(*out->events));
	for (size_t i = 0; i < n; i++) {
		if (!decode_event(json_array_get(a, i), &out->events[i], err, errlen))
			return false;
		out->n_events++;
	}
	return true;
}

bool etcd_json_watch_msg(const json_t *msg, struct etcd_watch_msg *out, char *err, size_t errlen)
{
	const json_t *r = json_object_get(msg, "result");
	const char *reason;

	memset(out, 0, sizeof(*out));
	if (r == NULL)
		r = msg;
	if (!expect_object(r, "watch message", err, errlen))
		return false;
	if (!etcd_json_header(r, &out->header, err, errlen) ||
	    !get_i64(r, "watch_id", &out->watch_id, err, errlen) ||
	    !get_bool(r, "created", &out->created, err, errlen) ||
	    !get_bool(r, "canceled", &out->canceled, err, errlen) ||
	    !get_i64(r, "compact_revision", &out->compact_revision, err, errlen) ||
	    !decode_events(r, out, err, errlen)) {
		etcd_watch_msg_free(out);
		return false;
	}
	reason = json_string_value(json_object_get(r, "cancel_reason"));
	if (reason != NULL)
		snprintf(out->cancel_reason, sizeof(out->cancel_reason), "%s", reason);
	return true;
}

/* --- stream splitting ------------------------------------------------------------------ */

void etcd_stream_init(struct etcd_stream *s, size_t max_bytes)
{
	buf_init(&s->pending);
	s->max_bytes = max_bytes;
}

void etcd_stream_deinit(struct etcd_stream *s)
{
	buf_free(&s->pending);
}

void etcd_stream_reset(struct etcd_stream *s)
{
	buf_reset(&s->pending);
}

static size_t skip_space(const char *p, size_t pos, size_t len)
{
	while (pos < len && (p[pos] == ' ' || p[pos] == '\n' || p[pos] == '\r' || p[pos] == '\t'))
		pos++;
	return pos;
}

/*
 * Parses the complete messages at the start of the pending buffer. jansson stops after
 * one value with JSON_DISABLE_EOF_CHECK and reports how far it read; an error at the
 * very end of the input means the last message is still incomplete.
 */
static enum etcd_stream_rc drain(struct etcd_stream *s, etcd_stream_fn *fn, void *arg, char *err,
                                 size_t errlen)
{
	const char *p = s->pending.data;
	size_t len = s->pending.len;
	size_t pos = skip_space(p, 0, len);
	enum etcd_stream_rc rc = ETCD_STREAM_OK;

	while (pos < len && rc == ETCD_STREAM_OK) {
		json_error_t jerr;
		json_t *msg = json_loadb(p + pos, len - pos, JSON_DISABLE_EOF_CHECK, &jerr);

		if (msg == NULL) {
			/* Ran out of input (also "invalid escape/token" cut at the end): wait. */
			if (json_error_code(&jerr) == json_error_premature_end_of_input ||
			    (size_t)jerr.position >= len - pos)
				break;
			err_set(err, errlen, "watch stream is not JSON: %s", jerr.text);
			return ETCD_STREAM_BAD;
		}
		pos = skip_space(p, pos + (size_t)jerr.position, len);
		if (!json_is_object(msg)) {
			err_set(err, errlen, "watch stream message is not an object");
			rc = ETCD_STREAM_BAD;
		} else if (!fn(msg, arg)) {
			rc = ETCD_STREAM_STOPPED;
		}
		json_decref(msg);
	}
	memmove(s->pending.data, p + pos, len - pos);
	s->pending.len = len - pos;
	s->pending.data[s->pending.len] = '\0';
	return rc;
}

enum etcd_stream_rc etcd_stream_feed(struct etcd_stream *s, const char *data, size_t len,
                                     etcd_stream_fn *fn, void *arg, char *err, size_t errlen)
{
	enum etcd_stream_rc rc = ETCD_STREAM_OK;

	buf_append(&s->pending, data, len);
	/*
	 * Only try to parse when a message may have ended (the gateway ends each with a
	 * newline; '}' covers a server that does not), so a large message arriving in
	 * many small chunks is not re-parsed on every chunk.
	 */
	if (len > 0 && (memchr(data, '\n', len) != NULL || data[len - 1] == '}'))
		rc = drain(s, fn, arg, err, errlen);
	if (rc == ETCD_STREAM_OK && s->pending.len > s->max_bytes) {
		err_set(err, errlen, "watch stream message over %zu bytes", s->max_bytes);
		return ETCD_STREAM_BAD;
	}
	return rc;
}
