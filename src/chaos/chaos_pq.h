/*
 * chaos_pq.h: one statement on a libpq connection with a client-side deadline, for the
 * chaos writer and probe. A frozen (SIGSTOPped) server never answers, and a primary
 * waiting for a synchronous standby that is gone never acknowledges; neither may hang
 * the caller, and neither may count as an acknowledgement.
 *
 * A commit counts as acknowledged only when the server returned success without the
 * "canceling wait for synchronous replication" warning: PostgreSQL reports such a
 * commit as successful although it was only committed locally.
 *
 * Waits through pq.h. Does not log; blocks for at most timeout_ms (plus one poll
 * interval).
 */
#ifndef PGHA_CHAOS_CHAOS_PQ_H
#define PGHA_CHAOS_CHAOS_PQ_H

#include <libpq-fe.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

enum chaos_pq_result {
	CHAOS_PQ_OK = 0,  /* success, acknowledged */
	CHAOS_PQ_ERROR,   /* the server or the connection reported an error */
	CHAOS_PQ_UNACKED, /* success, but committed locally only (sync wait cancelled) */
	CHAOS_PQ_TIMEOUT, /* no answer within timeout_ms, or stop was raised */
};

/*
 * chaos_pq_connect: PQconnectdb(conninfo) with our notice receiver installed; NULL
 * (message in err) when it failed.
 */
PGconn *chaos_pq_connect(const char *conninfo, char *err, size_t errlen);
/*
 * chaos_pq_exec: runs sql with n text params; when out is not NULL, the first column
 * of the first row goes there. stop (may be NULL) is polled every PQ_STOP_POLL_MS. After
 * CHAOS_PQ_TIMEOUT or CHAOS_PQ_ERROR the connection must be dropped.
 */
enum chaos_pq_result chaos_pq_exec(PGconn *conn, const char *sql, int n, const char *const *params,
                                   int timeout_ms, atomic_bool *stop, char *out, size_t outlen,
                                   char *err, size_t errlen);

#endif
