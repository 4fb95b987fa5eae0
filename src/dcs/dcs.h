/*
 * dcs.h: the cluster store as the agent, the router and the tools use it:
 * Patroni's key layout on etcd v3 (JSON gateway), with a watch-fed cache. Unit tests
 * run the same client on an in-memory cluster instead (dcs_options.mem, dcs_mem.h).
 *
 * Every write that decides who leads is an etcd transaction with a compare (create
 * if absent, compare value, compare mod_revision); no plain put ever touches the
 * leader key after bootstrap. Reads come from a cache kept current by a watch
 * stream running in its own thread; dcs_wait() sleeps until the cache changes.
 *
 * Thread-safety: the functions that manage this member's lease and keys (dcs_lease_*,
 * dcs_leader_*, dcs_member_put, dcs_sync_*, dcs_history_write, dcs_initialize_*) keep
 * state in struct dcs and belong to one thread (the HA loop). The others (snapshots,
 * reads, dcs_wait/dcs_wake, config and failover writes) may be called from any thread:
 * requests are serialised by the etcd client's mutex. The watch thread has its own
 * client and only touches the cache, under a mutex. Blocking: a call tries the etcd
 * endpoints in turn, each for up to request_timeout_ms, and gives up after
 * op_timeout_ms overall; reads are hedged (etcd.h).
 *
 * Errors: functions return false and log the cause once (etcd's error message,
 * curl's error); callers only decide what to do.
 */
#ifndef PGHA_DCS_DCS_H
#define PGHA_DCS_DCS_H

#include <stdbool.h>
#include <stdint.h>
#include "dcs/dcs_types.h"
#include "util/compiler.h"
#include "util/tls.h"

struct dcs;
struct dcs_mem;
struct clocksrc;

/* Outcome of a compare-and-swap style write. */
enum dcs_cas {
	DCS_CAS_OK = 0,   /* the compare held and the write happened */
	DCS_CAS_CONFLICT, /* the compare failed: someone else's value/revision */
	DCS_CAS_ERROR     /* etcd unreachable or answered an error; outcome unknown */
};

struct dcs_options {
	const char *const *endpoints; /* "host:port" or "http(s)://host:port", NULL-terminated */
	const char *protocol;         /* etcd3.protocol for "host:port": NULL/"http" or "https" */
	const struct tls_client *tls; /* https: etcd3.cacert, cert, key (copied); NULL = none */
	const char *namespace_;       /* "/service/" form or "service" */
	const char *scope;
	const char *member_name; /* whose lease/leader key this client manages; may be NULL */
	const char *username;    /* etcd auth, or NULL */
	const char *password;
	int request_timeout_ms; /* per endpoint attempt */
	int op_timeout_ms;      /* one call across endpoints; 0 = request_timeout_ms x endpoints */
	int hedge_ms;           /* a read unanswered this long goes to the next endpoint too;
	                           0 = request_timeout_ms / 3 (etcd.h) */
	bool watch;             /* start the watch thread (agent, router) */
	int watch_check_ms;     /* a silent watch stream is verified after this; 0 = 2500 */
	struct dcs_mem *mem;    /* tests: the in-memory cluster (dcs_mem.h) instead of etcd */
	struct clocksrc *clock; /* lease sent-times are read on it; NULL = the real clock */
};

/*
 * dcs_open: client for the cluster. No network I/O in the calling thread; with
 * opt->watch the watch thread starts loading the cache at once. Owned; dcs_close
 * frees it. NULL (logged) on bad options (no endpoint, no scope) or when a resource
 * (eventfd, thread) cannot be had: callers must check.
 */
struct dcs *dcs_open(const struct dcs_options *opt);
void dcs_close(struct dcs *d);
/*
 * dcs_set_timeouts: the per-attempt request timeout (<= 0 keeps it), the deadline of a
 * whole call and the hedge delay (0: derived, as dcs_options says), in ms.
 */
void dcs_set_timeouts(struct dcs *d, int request_timeout_ms, int op_timeout_ms, int hedge_ms);
/* dcs_prefix: "/service/<scope>/". Borrowed. */
const char *dcs_prefix(const struct dcs *d);

/*
 * dcs_snapshot: a copy of the cluster view. With the watch running it is the cache
 * (no I/O; the first call waits up to op_timeout_ms for the first load and returns
 * false if there is none; view->valid is false once the watch has lost track for
 * longer than max_age_ms, < 0 = any age); without the watch it does one linearizable
 * range read. Owned contents: release with dcs_view_free(). Malformed values are
 * logged (once per distinct set of problems) and left out.
 */
bool dcs_snapshot(struct dcs *d, struct dcs_view *view, int max_age_ms) MUST_CHECK;
/* dcs_read: one linearizable range read of the prefix, bypassing the cache. */
bool dcs_read(struct dcs *d, struct dcs_view *view) MUST_CHECK;
void dcs_view_free(struct dcs_view *view);
void dcs_view_copy(struct dcs_view *dst, const struct dcs_view *src);
/*
 * dcs_wait: blocks until the cache changes (a watch event), dcs_wake() is called, or
 * timeout_ms passes. Returns true when woken by a change or a wake-up.
 */
bool dcs_wait(struct dcs *d, int timeout_ms);
/* dcs_wake: wakes a dcs_wait() in another thread (REST API requests, signals). */
void dcs_wake(struct dcs *d);
/*
 * dcs_wait_fd: an eventfd that is readable while a change is pending, for poll();
 * dcs_wait(d, 0) then consumes it. Changes are: any key of the prefix, and the watch
 * losing or regaining its stream. Borrowed; valid until dcs_close.
 */
int dcs_wait_fd(struct dcs *d);
/* dcs_watch_healthy: the watch stream is connected and current. */
bool dcs_watch_healthy(struct dcs *d);

/* --- lease ---------------------------------------------------------------------- */

/*
 * dcs_lease_ensure: makes sure this client holds a live lease of ttl_s seconds:
 * keepalive of the current one, a new grant if it is gone (or ttl changed).
 * *sent_ms gets the CLOCK_BOOTTIME time the successful request was sent: the lease
 * cannot expire before sent_ms + ttl (the fencing deadline is computed from it).
 */
bool dcs_lease_ensure(struct dcs *d, int ttl_s, int64_t *sent_ms) MUST_CHECK;
/* dcs_lease_id: the current lease, 0 if none. */
int64_t dcs_lease_id(const struct dcs *d);
/*
 * dcs_lease_attach: use lease_id (kept alive by another client of the same member,
 * e.g. the agent's lease keeper) for this client's member key. 0 detaches.
 */
void dcs_lease_attach(struct dcs *d, int64_t lease_id);
/* dcs_lease_revoke: drops the lease (graceful shutdown); its keys vanish with it. True
 * also when there was no lease or etcd had already dropped it. */
bool dcs_lease_revoke(struct dcs *d);

/* --- leader key (always CAS) ------------------------------------------------------- */

/*
 * dcs_leader_acquire: create-if-absent of leader=<member_name> on our lease (call
 * dcs_lease_ensure first; a lease etcd no longer knows is re-granted once). OK also
 * when the key already is ours on our lease (a retried request whose first reply was
 * lost). failsafe_rev >= 0: only while the failsafe key is still at that mod_revision
 * (0 = absent), as the race that decided this saw it; -1: no such compare.
 */
enum dcs_cas dcs_leader_acquire(struct dcs *d, int64_t failsafe_rev);

/* What a leader renewal found. */
enum dcs_renew {
	DCS_RENEW_OK = 0, /* the key is ours, on our live lease */
	DCS_RENEW_ABSENT, /* the key is gone (expired, revoked with its lease, deleted) */
	DCS_RENEW_OTHER,  /* someone else holds it */
	DCS_RENEW_ERROR   /* etcd unreachable or answered an error: nothing learnt */
};
/*
 * dcs_leader_renew: the leader's per-cycle ownership check: keepalive (or a new grant
 * when the lease is gone), then a read-only txn comparing leader == member_name and
 * its lease == ours; when the key is ours on another lease (we had to re-grant), it
 * is re-attached by a put guarded by the value and the old lease. *sent_ms as in
 * dcs_lease_ensure.
 */
enum dcs_renew dcs_leader_renew(struct dcs *d, int ttl_s, int64_t *sent_ms);
/*
 * dcs_leader_release: delete leader if its value is member_name and, when known, its
 * create revision the one we took (OK if already gone).
 */
enum dcs_cas dcs_leader_release(struct dcs *d);

/* --- other keys ------------------------------------------------------------------- */

/*
 * dcs_member_put: writes members/<member_name> (JSON) on our lease, unless the same
 * value on the same lease was written last time (and the watch cache, when current,
 * agrees), which keeps the idle request rate down.
 */
bool dcs_member_put(struct dcs *d, const char *json) MUST_CHECK;
/* dcs_initialize_race: create-if-absent of initialize="" (bootstrap race). */
enum dcs_cas dcs_initialize_race(struct dcs *d);
/* dcs_initialize_set: plain put of initialize=<sysid> by the bootstrap winner. */
bool dcs_initialize_set(struct dcs *d, const char *sysid) MUST_CHECK;
/* dcs_initialize_cancel: deletes initialize (a failed bootstrap). */
bool dcs_initialize_cancel(struct dcs *d) MUST_CHECK;
/* dcs_config_write: put of config; mod_revision -1 = unconditional, else CAS. */
enum dcs_cas dcs_config_write(struct dcs *d, const char *json, int64_t mod_revision);
/*
 * dcs_sync_write: sync={"leader":..,"sync_standby":..} as a CAS on mod_revision
 * (0 = create if absent), guarded too by leader == member_name so that a deposed
 * leader cannot rewrite it. standbys NULL/n 0 writes sync_standby null.
 */
enum dcs_cas dcs_sync_write(struct dcs *d, const char *const *standbys, int n,
                            int64_t mod_revision);
/* dcs_sync_delete: deletes sync, CAS on mod_revision (and leader == member_name if set). */
enum dcs_cas dcs_sync_delete(struct dcs *d, int64_t mod_revision);
/* dcs_failover_write: failover key (switchover request); empty strings are omitted. */
bool dcs_failover_write(struct dcs *d, const char *leader, const char *member,
                        const char *scheduled_at) MUST_CHECK;
/* dcs_failover_clear: failover={} (CAS on mod_revision when >0). */
enum dcs_cas dcs_failover_clear(struct dcs *d, int64_t mod_revision);
/*
 * dcs_request_write: pgha's request key name ("backup", "restore") = r, a CAS on
 * mod_revision (0 = create if absent). Any thread.
 */
enum dcs_cas dcs_request_write(struct dcs *d, const char *name, const struct dcs_request *r,
                               int64_t mod_revision);
/* dcs_request_delete: deletes it, a CAS on mod_revision. */
enum dcs_cas dcs_request_delete(struct dcs *d, const char *name, int64_t mod_revision);
/*
 * dcs_failsafe_write: failsafe=json (Patroni's {name: api_url}), by the leader only: a
 * CAS on the key's mod_revision as the view showed it (0 = absent) and on leader ==
 * member_name, so that a delayed older write can never bring back a list the leader no
 * longer asks. *new_revision (may be NULL) gets the key's revision after the write.
 */
enum dcs_cas dcs_failsafe_write(struct dcs *d, const char *json, int64_t mod_revision,
                                int64_t *new_revision);
/* dcs_failsafe_delete: deletes the failsafe key (failsafe_mode off), with the same CAS. */
enum dcs_cas dcs_failsafe_delete(struct dcs *d, int64_t mod_revision);
/* dcs_history_write: the history key (JSON array text); guarded by leader ownership. */
bool dcs_history_write(struct dcs *d, const char *json) MUST_CHECK;
/* dcs_status_write: status={"optime":..,"slots":{..}} (JSON object text). */
bool dcs_status_write(struct dcs *d, const char *json) MUST_CHECK;
/* dcs_delete_cluster: removes every key under the prefix (tests, `pgha remove`). */
bool dcs_delete_cluster(struct dcs *d) MUST_CHECK;

/* --- JSON codecs (pure; unit-tested with canned values) ---------------------------- */

/*
 * dcs_view_from_kvs: builds a view from decoded (key, value) pairs of one prefix
 * range. A malformed value is skipped (its member or key left out) and described
 * in warn (one line per problem, may be NULL); it never fails the whole view, with
 * one exception: more members than DCS_MAX_MEMBERS make the view invalid (valid
 * false, no member), because a decision on part of the members could pass over the
 * one that matters. A key holding a NUL byte is no key pgha reads (ignored, warned);
 * a value holding one is unreadable (read as "", warned).
 */
struct dcs_kv {
	const char *key;   /* full key, e.g. "/service/batman/members/pg1"; NUL after key_len */
	const char *value; /* decoded value; NUL after value_len */
	size_t key_len;    /* bytes in key, NULs included; 0 = strlen(key) */
	size_t value_len;  /* bytes in value, NULs included; 0 = strlen(value) */
	int64_t create_revision;
	int64_t mod_revision;
	int64_t lease;
};
void dcs_view_from_kvs(struct dcs_view *view, const char *prefix, const struct dcs_kv *kvs, int n,
                       int64_t revision, char *warn, size_t warnlen);
/* dcs_member_decode: parses a members/<name> value into m (name set by caller). */
bool dcs_member_decode(const char *json, struct dcs_member *m, char *err, size_t errlen);

#endif
