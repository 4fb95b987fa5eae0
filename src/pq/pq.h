/*
 * pq.h: libpq under a deadline: connecting, waiting for a statement's result, and
 * libpq's messages as one line. The one session helper of pgha: the agent's
 * connection to its PostgreSQL (pg/pg_sql.c), the tooling's probes (client/) and the
 * chaos workload (chaos/) all wait through it.
 *
 * A PostgreSQL that is frozen (SIGSTOP, stuck I/O), a router holding a client, or a
 * primary waiting for a synchronous standby that is gone never answers; none of them
 * may hang the caller past its deadline. Connecting and waiting use libpq's
 * asynchronous API and poll(2) against the caller's deadline (clock_now_ms time).
 *
 * Below pg/ and client/ (it knows nothing of either): libpq and util/ only. Does not
 * log; not thread-safe per connection (one thread drives one PGconn).
 */
#ifndef PGHA_PQ_PQ_H
#define PGHA_PQ_PQ_H

#include <libpq-fe.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/compiler.h"

/* How often pq_await looks at its stop flag while nothing arrives. */
#define PQ_STOP_POLL_MS 50

enum pq_status {
	PQ_READY = 0, /* connected / the result is complete */
	PQ_TIMEOUT,   /* the deadline passed (or stop was raised) first */
	PQ_BROKEN     /* libpq reported a failure: PQerrorMessage says which */
};

/*
 * pq_connect: PQconnectStartParams(keys, values, 0) driven until the session is up
 * (*out set, PQ_READY) or deadline_ms passes or libpq fails (*out NULL, err set to
 * libpq's message in one line, or "timed out"). Blocks until then at most.
 */
enum pq_status pq_connect(const char *const *keys, const char *const *values, int64_t deadline_ms,
                          PGconn **out, char *err, size_t errlen) MUST_CHECK;
/*
 * pq_connect_poll: drives c (from PQconnectStart or PQconnectStartParams; NULL is "out
 * of memory") until the session is up or deadline_ms passes or libpq fails, as
 * pq_connect, but c stays the caller's (PQfinish), for what it says after a failure
 * (PQconnectionNeedsPassword...).
 */
enum pq_status pq_connect_poll(PGconn *c, int64_t deadline_ms, char *err, size_t errlen) MUST_CHECK;
/*
 * pq_send: sends sql with n text params; without params in the simple protocol (which
 * allows several ';'-separated statements). False when libpq refused to send.
 */
bool pq_send(PGconn *c, const char *sql, int n, const char *const *params) MUST_CHECK;
/*
 * pq_await: reads input until the sent statement's results are complete (PQgetResult
 * will not block): PQ_READY; PQ_TIMEOUT when deadline_ms passes or *stop (may be NULL)
 * is raised; PQ_BROKEN when reading failed (the connection is gone; the message is in
 * PQerrorMessage, and PQgetResult returns it as an error result).
 */
enum pq_status pq_await(PGconn *c, int64_t deadline_ms, const atomic_bool *stop);
/*
 * pq_first_result: every pending result read, the first kept (owned: PQclear), the
 * others cleared; NULL when there was none. Call after PQ_READY.
 */
PGresult *pq_first_result(PGconn *c);
/*
 * pq_message: prefix and libpq's (possibly multi-line, newline-terminated) message
 * msg as one line into out: newlines and tabs become spaces, trailing blanks go, and
 * an empty msg reads "unknown error".
 */
void pq_message(char *out, size_t size, const char *prefix, const char *msg);

#endif
