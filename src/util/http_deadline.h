/*
 * http_deadline.h: a total deadline for each HTTP request's head and body.
 *
 * libmicrohttpd times out idle connections only: a client that sends its request head
 * one byte every few seconds keeps its connection for as long as it likes, and enough
 * of them fill the server, so health checks fail (issue 9: 20 s of failed /patroni
 * probes). Here every connection is tracked from accept to close: its request's head
 * and body must have arrived within timeout_ms of the accept (or, on a kept-alive
 * connection, of the end of the previous request). Past that, a watcher thread shuts
 * the socket down; libmicrohttpd then sees the stream end and closes the connection in
 * its own thread. While a request is answered (an operation may take a minute) it has
 * no deadline. Used by both servers on libmicrohttpd: the REST API (api/api_server.c)
 * and the router's /health and /metrics (router/router_http.c), which load balancers
 * probe. It knows only sockets and threads, hence util/.
 *
 * The fd a watcher shuts down is never another connection's: libmicrohttpd reports a
 * connection closed (http_deadline_untrack, under the same lock as the watcher's scan)
 * before it closes the socket. Thread-safe.
 */
#ifndef PGHA_UTIL_HTTP_DEADLINE_H
#define PGHA_UTIL_HTTP_DEADLINE_H

#include <stdint.h>
#include "util/compiler.h"

struct http_deadlines;
struct http_deadline_conn;
struct clocksrc;

/* http_deadline_new: no thread yet; clock NULL = the real one. Owned: http_deadline_free. */
struct http_deadlines *http_deadline_new(int timeout_ms, struct clocksrc *clock);
/* http_deadline_start: the watcher thread (checks twice a second). 0 or an errno value. */
int http_deadline_start(struct http_deadlines *d) MUST_CHECK;
/* http_deadline_free: stops the watcher and frees d (every connection untracked first). */
void http_deadline_free(struct http_deadlines *d);

/* http_deadline_track: a new connection on socket fd, whose first request starts now. */
struct http_deadline_conn *http_deadline_track(struct http_deadlines *d, int fd);
/* http_deadline_untrack: the connection is closed; c is freed. */
void http_deadline_untrack(struct http_deadlines *d, struct http_deadline_conn *c);
/* http_deadline_answering: c's request has arrived whole: no deadline while it is answered. */
void http_deadline_answering(struct http_deadlines *d, struct http_deadline_conn *c);
/* http_deadline_next: c's request is done; the next one (kept-alive) starts now. */
void http_deadline_next(struct http_deadlines *d, struct http_deadline_conn *c);
/* http_deadline_reap: shuts down every connection past its deadline; how many. */
int http_deadline_reap(struct http_deadlines *d);
/* http_deadline_reaped: connections shut down so far. */
uint64_t http_deadline_reaped(struct http_deadlines *d);

#endif
