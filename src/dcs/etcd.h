/*
 * etcd.h: an etcd v3 client over the JSON gateway (POST /v3/...), with libcurl.
 *
 * Does: leases, range, put, delete, transactions and a streaming watch against a list
 * of endpoints. A call goes first to the member that answered most recently
 * (etcd_hedge.h ranks them). Reads, read-only transactions and keepalives are hedged:
 * when an attempt has not answered within the hedge delay, or failed (no connection,
 * timeout, 5xx, "no leader", "not capable", a stale raft term), the next member is
 * asked too, and the first answer wins; every attempt has its own deadline
 * (request_timeout_ms) and the call an overall one. Writes are never sent twice at
 * once: a write moves to another member only when the first cannot have applied it,
 * or when its compares make a second copy harmless (etcd_txn_req.retry_safe). Every
 * request carries "hasleader" so that a member cut off from its raft leader fails fast
 * instead of serving stale data or hanging. Does not: know Patroni's layout (dcs_*.c).
 *
 * Errors are logged here, once, with the endpoint; callers only act on the status.
 * Thread-safety: calls on one client are serialised by its mutex (one multi handle and
 * its connections). A watch stream belongs to the thread that opened it.
 */
#ifndef PGHA_DCS_ETCD_H
#define PGHA_DCS_ETCD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "dcs/etcd_json.h"
#include "util/compiler.h"
#include "util/tls.h"

struct etcd;
struct etcd_watch;

struct etcd_options {
	const char *const *endpoints; /* "host:port" or "http(s)://host:port", NULL-terminated */
	const char *protocol;         /* scheme of "host:port" endpoints: NULL/"http" or "https" */
	const struct tls_client *tls; /* https: CA, client certificate (copied); NULL = none */
	const char *username;         /* etcd authentication, or NULL */
	const char *password;
	int request_timeout_ms; /* one attempt on one endpoint (sub-second values work) */
	int op_timeout_ms; /* a whole call across endpoints; 0 = request_timeout_ms x endpoints */
	int hedge_ms;      /* a read unanswered this long is sent to the next member too;
	                      0 = request_timeout_ms / 3, at least 50 */
};

enum etcd_status {
	ETCD_OK = 0,
	ETCD_UNAVAILABLE, /* no endpoint answered in time; a write's outcome is unknown */
	ETCD_FAILED,      /* etcd answered with an error (logged; see etcd_last_error) */
	ETCD_NO_LEASE,    /* etcd answered "requested lease not found": grant a new one */
	ETCD_STATUS__COUNT
};

/* etcd_new: a client; no network I/O yet. NULL (err filled) if no endpoint is usable. */
struct etcd *etcd_new(const struct etcd_options *opt, char *err, size_t errlen) MUST_CHECK;
void etcd_free(struct etcd *c);
/* etcd_set_timeouts: request_timeout_ms <= 0 keeps the current one; op 0 = derived. */
void etcd_set_timeouts(struct etcd *c, int request_timeout_ms, int op_timeout_ms);
int etcd_op_timeout_ms(struct etcd *c);
/* etcd_set_hedge: the hedge delay (ms; 0 = derived as in etcd_options). */
void etcd_set_hedge(struct etcd *c, int hedge_ms);
/*
 * etcd_set_pinned: while pinned, a call makes one attempt on the current endpoint and
 * never moves on (the watch checks the member its stream is on).
 */
void etcd_set_pinned(struct etcd *c, bool pinned);
/*
 * etcd_next_endpoint: the current endpoint let the caller down (a watch stream ended):
 * it counts as failing and the best other one becomes current.
 */
void etcd_next_endpoint(struct etcd *c);
/* etcd_set_abort: calls return ETCD_UNAVAILABLE soon after *flag becomes true. */
void etcd_set_abort(struct etcd *c, const atomic_bool *flag);
/* etcd_endpoint: the current endpoint URL ("http://host:port"): the one that answered
 * last, where a watch stream opens. Borrowed. */
const char *etcd_endpoint(const struct etcd *c);
/* etcd_raft_term: the highest raft term seen in replies of the current etcd cluster. */
uint64_t etcd_raft_term(const struct etcd *c);
/*
 * etcd_last_error_code, etcd_last_error: gRPC code (ETCD_CODE_*) and message of the
 * client's last error answer, for messages; another thread's call may replace them.
 */
int etcd_last_error_code(const struct etcd *c);
const char *etcd_last_error(const struct etcd *c);
const char *etcd_status_str(enum etcd_status s);

/* Operations. Outputs are filled only on ETCD_OK (then owned by the caller). */
enum etcd_status etcd_range(struct etcd *c, const struct etcd_range_req *req, struct etcd_kvs *out,
                            struct etcd_header *hdr) MUST_CHECK;
/* etcd_put: *revision (may be NULL) gets the store revision of the write. */
enum etcd_status etcd_put(struct etcd *c, const char *key, const char *value, int64_t lease,
                          int64_t *revision) MUST_CHECK;
enum etcd_status etcd_delete(struct etcd *c, const char *key, const char *range_end,
                             int64_t *deleted) MUST_CHECK;
enum etcd_status etcd_txn(struct etcd *c, const struct etcd_txn_req *req,
                          struct etcd_txn_reply *out) MUST_CHECK;
/* etcd_lease_grant: *ttl_s gets the TTL etcd granted (it raises values below its minimum). */
enum etcd_status etcd_lease_grant(struct etcd *c, int ttl_s, int64_t *lease,
                                  int *granted_ttl_s) MUST_CHECK;
/* etcd_lease_keepalive: *ttl_s 0 means the lease is gone (expired or revoked). */
enum etcd_status etcd_lease_keepalive(struct etcd *c, int64_t lease, int *ttl_s) MUST_CHECK;
enum etcd_status etcd_lease_revoke(struct etcd *c, int64_t lease) MUST_CHECK;

/* --- watch stream ---------------------------------------------------------------------- */

/* Called for each message (borrowed); return false to end the stream. */
typedef bool etcd_watch_fn(const struct etcd_watch_msg *msg, void *arg);

/*
 * etcd_watch_open: starts POST /v3/watch for [key, range_end) from start_revision
 * (0 = now) with progress notifications, on the client's current endpoint. Does not
 * block; etcd_watch_run() moves the data. Owned: etcd_watch_close() frees it.
 */
struct etcd_watch *etcd_watch_open(struct etcd *c, const char *key, const char *range_end,
                                   int64_t start_revision, etcd_watch_fn *fn, void *arg);
/*
 * etcd_watch_run: receives for up to timeout_ms, delivering messages to fn. Returns
 * early when wake_fd (if >= 0) is readable. False once the stream has ended (closed by
 * etcd, an error message, a network error, or fn asked to stop); the cause is logged.
 */
bool etcd_watch_run(struct etcd_watch *w, int timeout_ms, int wake_fd);
void etcd_watch_close(struct etcd_watch *w);

#endif
