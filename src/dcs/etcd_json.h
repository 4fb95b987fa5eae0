/*
 * etcd_json.h: the messages of etcd's v3 JSON gateway (grpc-gateway): request bodies
 * built as jansson values, replies decoded into plain structs, and the splitter that
 * cuts a watch stream into messages.
 *
 * On the wire keys and values are base64 and int64 fields are JSON strings ("42");
 * the decoders accept JSON numbers too, and treat an omitted field as its gRPC default
 * (0, false, empty). Pure and library-like: no I/O and no logging; decoders return
 * false with a message in err. The transport (endpoints, retries) is etcd.h.
 */
#ifndef PGHA_DCS_ETCD_JSON_H
#define PGHA_DCS_ETCD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "util/buf.h"
#include "util/compiler.h"

/* gRPC status codes that etcd's errors carry in "code" / "grpc_code". */
#define ETCD_CODE_INVALID_ARGUMENT  3
#define ETCD_CODE_DEADLINE_EXCEEDED 4
#define ETCD_CODE_NOT_FOUND         5
#define ETCD_CODE_FAILED_PRECOND    9
#define ETCD_CODE_UNAVAILABLE       14
#define ETCD_CODE_UNAUTHENTICATED   16

/* Every reply's header. */
struct etcd_header {
	uint64_t cluster_id; /* identifies the etcd cluster (raft terms compare within one) */
	uint64_t member_id;  /* the member that answered */
	int64_t revision;    /* store revision when the request was served */
	uint64_t raft_term;  /* raft term of that member */
};

/* A decoded key-value pair. */
struct etcd_kv {
	char *key;               /* owned decoded bytes, NUL-terminated after key_len */
	size_t key_len;          /* bytes in key (a hostile key may hold NULs) */
	char *value;             /* owned, NUL-terminated; "" when absent (keys_only, DELETE) */
	size_t value_len;        /* bytes in value (it may hold NULs) */
	int64_t create_revision; /* 0 = key absent */
	int64_t mod_revision;
	int64_t version; /* number of puts since creation */
	int64_t lease;   /* 0 = none */
};

struct etcd_kvs {
	struct etcd_kv *items; /* owned array */
	int n;
	int64_t count; /* keys in the range (may exceed n with a limit) */
};

enum etcd_target {
	ETCD_TARGET_VERSION = 0,
	ETCD_TARGET_CREATE,
	ETCD_TARGET_MOD,
	ETCD_TARGET_VALUE,
	ETCD_TARGET_LEASE,
	ETCD_TARGET__COUNT
};

enum etcd_cmp_result {
	ETCD_CMP_EQUAL = 0,
	ETCD_CMP_GREATER,
	ETCD_CMP_LESS,
	ETCD_CMP_NOT_EQUAL,
	ETCD_CMP__COUNT
};

/* One compare of a transaction: target(key) result operand. A missing key compares as 0/"". */
struct etcd_compare {
	const char *key;
	enum etcd_target target;
	enum etcd_cmp_result result;
	int64_t number;    /* operand for VERSION, CREATE, MOD and LEASE */
	const char *value; /* operand for VALUE */
};

enum etcd_op_type {
	ETCD_OP_RANGE = 0,
	ETCD_OP_PUT,
	ETCD_OP_DELETE,
	ETCD_OP__COUNT
};

/* One operation of a transaction branch. */
struct etcd_op {
	enum etcd_op_type type;
	const char *key;
	const char *range_end; /* RANGE and DELETE: end of the range; NULL = the key only */
	const char *value;     /* PUT */
	int64_t lease;         /* PUT: lease to attach, 0 = none */
};

struct etcd_range_req {
	const char *key;
	const char *range_end; /* NULL = the key only */
	bool serializable;     /* false = linearizable (goes through the raft leader) */
	bool keys_only;
	bool count_only;
	int64_t limit;     /* 0 = no limit */
	bool newest_first; /* sorted by mod_revision, descending */
};

struct etcd_txn_req {
	const struct etcd_compare *compare;
	int n_compare;
	const struct etcd_op *success;
	int n_success;
	const struct etcd_op *failure;
	int n_failure;
	/* The success ops falsify the compares (create-if-absent, a mod_revision compare):
	 * a copy applied twice applies once, so the transport may send it again elsewhere
	 * after a failure whose outcome is unknown. Transactions that only read are
	 * hedged whatever this says. */
	bool retry_safe;
};

/* One entry of a transaction's responses, in the order of the branch's ops. */
struct etcd_op_reply {
	enum etcd_op_type type;
	struct etcd_kvs kvs; /* RANGE */
	int64_t deleted;     /* DELETE: number of keys deleted */
};

struct etcd_txn_reply {
	struct etcd_header header;
	bool succeeded;                  /* the compares held: the success branch ran */
	struct etcd_op_reply *responses; /* owned */
	int n_responses;
};

enum etcd_event_type {
	ETCD_EVENT_PUT = 0,
	ETCD_EVENT_DELETE, /* also a lease expiry; kv has key and mod_revision only */
	ETCD_EVENT__COUNT
};

struct etcd_event {
	enum etcd_event_type type;
	struct etcd_kv kv;
};

/* One message of a watch stream. No events, not created, not canceled = progress notify. */
struct etcd_watch_msg {
	struct etcd_header header;
	int64_t watch_id;
	bool created;
	bool canceled;
	int64_t compact_revision; /* > 0: start_revision was compacted away */
	char cancel_reason[160];
	struct etcd_event *events; /* owned */
	int n_events;
};

/* --- requests (owned jansson values; keys and values are base64-encoded) -------------- */

json_t *etcd_json_range_req(const struct etcd_range_req *req);
json_t *etcd_json_put_req(const char *key, const char *value, int64_t lease);
json_t *etcd_json_delete_req(const char *key, const char *range_end);
json_t *etcd_json_txn_req(const struct etcd_txn_req *req);
json_t *etcd_json_lease_grant_req(int ttl_s);
json_t *etcd_json_lease_id_req(int64_t lease); /* keepalive, revoke, timetolive */
json_t *etcd_json_auth_req(const char *name, const char *password);
json_t *etcd_json_watch_req(const char *key, const char *range_end, int64_t start_revision,
                            bool progress_notify);

/* etcd_prefix_end: owned range end of a prefix (last byte +1, as etcd's clients do). */
char *etcd_prefix_end(const char *prefix) MUST_CHECK;

/* --- replies ----------------------------------------------------------------------- */

/*
 * etcd_json_error: true if reply is an error answer, in either form the gateway uses:
 * {"error":"msg","code":N} (unary calls) or {"error":{"grpc_code":N,"message":..}}
 * (inside a stream). *code gets the gRPC code and msg the message.
 */
bool etcd_json_error(const json_t *reply, int *code, char *msg, size_t msglen);
bool etcd_json_header(const json_t *reply, struct etcd_header *hdr, char *err,
                      size_t errlen) MUST_CHECK;
bool etcd_json_range_reply(const json_t *reply, struct etcd_kvs *out, char *err,
                           size_t errlen) MUST_CHECK;
bool etcd_json_txn_reply(const json_t *reply, struct etcd_txn_reply *out, char *err,
                         size_t errlen) MUST_CHECK;
bool etcd_json_lease_grant_reply(const json_t *reply, int64_t *lease, int *ttl_s, char *err,
                                 size_t errlen) MUST_CHECK;
/* etcd_json_keepalive_reply: *ttl_s 0 means the lease is gone (expired or revoked). */
bool etcd_json_keepalive_reply(const json_t *reply, int *ttl_s, char *err,
                               size_t errlen) MUST_CHECK;
bool etcd_json_auth_reply(const json_t *reply, char *token, size_t tokenlen, char *err,
                          size_t errlen) MUST_CHECK;
bool etcd_json_watch_msg(const json_t *msg, struct etcd_watch_msg *out, char *err,
                         size_t errlen) MUST_CHECK;

void etcd_kv_free(struct etcd_kv *kv);
void etcd_kvs_free(struct etcd_kvs *kvs);
void etcd_txn_reply_free(struct etcd_txn_reply *r);
void etcd_watch_msg_free(struct etcd_watch_msg *m);

const char *etcd_target_str(enum etcd_target t);
const char *etcd_cmp_result_str(enum etcd_cmp_result r);

/* --- watch stream splitting ----------------------------------------------------------- */

/*
 * A watch reply is one long HTTP body holding a sequence of JSON objects (newline-
 * separated by the gateway). Network chunks split and join them arbitrarily; the
 * splitter buffers and hands over each complete object once.
 */
struct etcd_stream {
	struct buf pending; /* bytes not yet consumed */
	size_t max_bytes;   /* a message larger than this is an error */
};

/* Called with each complete message (borrowed); return false to stop. */
typedef bool etcd_stream_fn(const json_t *msg, void *arg);

enum etcd_stream_rc {
	ETCD_STREAM_OK = 0,  /* all complete messages delivered; a partial one may be buffered */
	ETCD_STREAM_STOPPED, /* the callback returned false */
	ETCD_STREAM_BAD,     /* not JSON, or a message over max_bytes */
	ETCD_STREAM__COUNT
};

void etcd_stream_init(struct etcd_stream *s, size_t max_bytes);
void etcd_stream_deinit(struct etcd_stream *s);
void etcd_stream_reset(struct etcd_stream *s);
enum etcd_stream_rc etcd_stream_feed(struct etcd_stream *s, const char *data, size_t len,
                                     etcd_stream_fn *fn, void *arg, char *err, size_t errlen);

#endif
