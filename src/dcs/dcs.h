/*
 * dcs.h: the cluster store as the agent, the router and the tools use it:
 * Patroni's key layout on etcd v3 (JSON gateway), with a watch-fed cache.
 *
 * Every write that decides who leads is an etcd transaction with a compare (create
 * if absent, compare value, compare mod_revision); no plain put ever touches the
 * leader key after bootstrap. Reads come from a cache kept current by a watch
 * stream running in its own thread; dcs_wait() sleeps until the cache changes.
 *
 * Thread-safety: one struct dcs is used by one thread at a time for requests; the
 * watch thread only touches the cache, under a mutex. Blocking: every call blocks
 * up to the configured request timeout per etcd endpoint tried.
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

struct dcs;

/* Outcome of a compare-and-swap style write. */
enum dcs_cas {
	DCS_CAS_OK = 0,   /* the compare held and the write happened */
	DCS_CAS_CONFLICT, /* the compare failed: someone else's value/revision */
	DCS_CAS_ERROR     /* etcd unreachable or answered an error; outcome unknown */
};

struct dcs_options {
	const char *const *endpoints; /* "host:port" or "http://host:port", NULL-terminated */
	const char *namespace_;       /* "/service/" form or "service" */
	const char *scope;
	const char *member_name; /* whose lease/leader key this client manages; may be NULL */
	const char *username;    /* etcd auth, or NULL */
	const char *password;
	int request_timeout_ms; /* per endpoint attempt */
	bool watch;             /* start the watch thread (agent, router) */
};

/* dcs_open: client for the cluster; no network I/O yet. Owned; dcs_close frees it. */
struct dcs *dcs_open(const struct dcs_options *opt);
void dcs_close(struct dcs *d);
/* dcs_set_timeout: changes the per-attempt request timeout (ms). */
void dcs_set_timeout(struct dcs *d, int request_timeout_ms);
/* dcs_prefix: "/service/<scope>/". Borrowed. */
const char *dcs_prefix(const struct dcs *d);

/*
 * dcs_snapshot: a copy of the cluster view. With the watch running it is the cache
 * (no I/O; view->valid false until the first load or after the watch lost track for
 * longer than max_age_ms); without the watch it does one linearizable range read.
 * Owned contents: release with dcs_view_free().
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
/* dcs_wait_fd: an eventfd that is readable while a change is pending, for poll(). */
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
/* dcs_lease_revoke: drops the lease (graceful shutdown); its keys vanish with it. */
bool dcs_lease_revoke(struct dcs *d);

/* --- leader key (always CAS) ------------------------------------------------------- */

/* dcs_leader_acquire: create-if-absent of leader=<member_name> on our lease. */
enum dcs_cas dcs_leader_acquire(struct dcs *d);
/*
 * dcs_leader_renew: the leader's per-cycle ownership check: keepalive, then a txn
 * that compares leader == member_name and, when the key is on another lease (we had
 * to re-grant), re-attaches it with a put guarded by the same value compare.
 * *sent_ms as in dcs_lease_ensure. CONFLICT means someone else holds the key.
 */
enum dcs_cas dcs_leader_renew(struct dcs *d, int ttl_s, int64_t *sent_ms);
/* dcs_leader_release: delete leader if its value is member_name. */
enum dcs_cas dcs_leader_release(struct dcs *d);

/* --- other keys ------------------------------------------------------------------- */

/* dcs_member_put: writes members/<member_name> (JSON) on our lease, if it changed. */
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
enum dcs_cas dcs_sync_delete(struct dcs *d, int64_t mod_revision);
/* dcs_failover_write: failover key (switchover request); empty strings are omitted. */
bool dcs_failover_write(struct dcs *d, const char *leader, const char *member,
                        const char *scheduled_at) MUST_CHECK;
/* dcs_failover_clear: failover={} (CAS on mod_revision when >0). */
enum dcs_cas dcs_failover_clear(struct dcs *d, int64_t mod_revision);
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
 * in warn (one line per problem, may be NULL); it never fails the whole view.
 */
struct dcs_kv {
	const char *key;   /* full key, e.g. "/service/batman/members/pg1" */
	const char *value; /* decoded value, NUL-terminated */
	int64_t create_revision;
	int64_t mod_revision;
	int64_t lease;
};
void dcs_view_from_kvs(struct dcs_view *view, const char *prefix, const struct dcs_kv *kvs, int n,
                       int64_t revision, char *warn, size_t warnlen);
/* dcs_member_decode: parses a members/<name> value into m (name set by caller). */
bool dcs_member_decode(const char *json, struct dcs_member *m, char *err, size_t errlen);

#endif
