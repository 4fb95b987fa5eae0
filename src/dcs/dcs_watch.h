/*
 * dcs_watch.h: the thread that keeps an in-memory copy of the cluster's etcd prefix
 * current through a watch stream, and wakes waiters on every change.
 *
 * How it stays honest (never silently stale):
 *  - every request and the stream carry "hasleader": a member that loses its raft
 *    leader refuses new requests at once and cancels the stream after a few election
 *    timeouts, so a partitioned member cannot feed us an old world;
 *  - the stream asks for progress notifications: an etcd started with a short
 *    --experimental-watch-progress-notify-interval keeps a quiet stream talking;
 *  - when the stream has been silent for check_ms (no event, no notification), one
 *    small linearizable range on the stream's own member (newest key of the prefix and
 *    the key count) proves that the member still serves and that the copy matches; a
 *    failure or a mismatch that in-flight events do not explain reconnects elsewhere.
 * Idle cost: zero requests with progress notifications shorter than check_ms,
 * otherwise one tiny request per check_ms.
 */
#ifndef PGHA_DCS_DCS_WATCH_H
#define PGHA_DCS_DCS_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include "dcs/dcs.h"
#include "dcs/etcd.h"
#include "util/compiler.h"

struct dcs_watch;

/*
 * The default silence before a check: 2.5 progress notifications of an etcd run as pgha
 * runs it (every second): a stream on a stalled member is replaced within about 3 s.
 */
#define DCS_WATCH_CHECK_MS 2500

struct dcs_watch_options {
	const struct etcd_options *etcd; /* the watch uses its own client and connection */
	const char *prefix;              /* "/service/batman/" */
	int wake_fd;                     /* eventfd written on every change (borrowed) */
	int check_ms;                    /* silence after which the stream is verified */
};

/* dcs_watch_start: starts the thread. Owned; NULL (logged) if it cannot start. */
struct dcs_watch *dcs_watch_start(const struct dcs_watch_options *opt) MUST_CHECK;
/* dcs_watch_stop: stops the thread (waits for it) and frees everything. NULL is fine. */
void dcs_watch_stop(struct dcs_watch *w);
void dcs_watch_set_timeouts(struct dcs_watch *w, int request_timeout_ms, int op_timeout_ms);
/*
 * dcs_watch_view: a copy of the cached view. Waits up to wait_ms for the first load;
 * false if there is none yet. view->valid is false once the stream has been lost for
 * longer than max_age_ms (< 0: any age).
 */
bool dcs_watch_view(struct dcs_watch *w, struct dcs_view *view, int max_age_ms,
                    int wait_ms) MUST_CHECK;
/* dcs_watch_is_synced: the stream is up and current. */
bool dcs_watch_is_synced(struct dcs_watch *w);
/* dcs_watch_check_soon: verify the stream now (after a failed compare-and-swap). */
void dcs_watch_check_soon(struct dcs_watch *w);
/*
 * dcs_watch_contradicts: the cache, current and at or past since_revision (the revision
 * of our own write of key), shows key with another value or lease, or not at all. False
 * when the cache cannot tell (not current, or not there yet).
 */
bool dcs_watch_contradicts(struct dcs_watch *w, const char *key, const char *value, int64_t lease,
                           int64_t since_revision);

/* dcs_log_warnings: logs the codec's warning lines (modified in place), one per line. */
void dcs_log_warnings(char *warn);

#endif
