/*
 * api_deadline.h: a total deadline for each HTTP request's head and body.
 *
 * libmicrohttpd times out idle connections only: a client that sends its request head
 * one byte every few seconds keeps its connection for as long as it likes, and enough
 * of them fill the server, so health checks fail (issue 9: 20 s of failed /patroni
 * probes). Here every connection is tracked from accept to close: its request's head
 * and body must have arrived within timeout_ms of the accept (or, on a kept-alive
 * connection, of the end of the previous request). Past that, a watcher thread shuts
 * the socket down; libmicrohttpd then sees the stream end and closes the connection in
 * its own thread. While a request is answered (an operation may take a minute) it has
 * no deadline.
 *
 * The fd a watcher shuts down is never another connection's: libmicrohttpd reports a
 * connection closed (api_deadline_untrack, under the same lock as the watcher's scan)
 * before it closes the socket. Thread-safe.
 */
#ifndef PGHA_API_API_DEADLINE_H
#define PGHA_API_API_DEADLINE_H

#include <stdint.h>
#include "util/compiler.h"

struct api_deadlines;
struct api_conn;
struct clocksrc;

/* api_deadline_new: no thread yet; clock NULL = the real one. Owned: api_deadline_free. */
struct api_deadlines *api_deadline_new(int timeout_ms, struct clocksrc *clock);
/* api_deadline_start: the watcher thread (checks twice a second). 0 or an errno value. */
int api_deadline_start(struct api_deadlines *d) MUST_CHECK;
/* api_deadline_free: stops the watcher and frees d (every connection untracked first). */
void api_deadline_free(struct api_deadlines *d);

/* api_deadline_track: a new connection on socket fd, whose first request starts now. */
struct api_conn *api_deadline_track(struct api_deadlines *d, int fd);
/* api_deadline_untrack: the connection is closed; c is freed. */
void api_deadline_untrack(struct api_deadlines *d, struct api_conn *c);
/* api_deadline_answering: c's request has arrived whole: no deadline while it is answered. */
void api_deadline_answering(struct api_deadlines *d, struct api_conn *c);
/* api_deadline_next: c's request is done; the next one (kept-alive) starts now. */
void api_deadline_next(struct api_deadlines *d, struct api_conn *c);
/* api_deadline_reap: shuts down every connection past its deadline; how many. */
int api_deadline_reap(struct api_deadlines *d);
/* api_deadline_reaped: connections shut down so far. */
uint64_t api_deadline_reaped(struct api_deadlines *d);

#endif
