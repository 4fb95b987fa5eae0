/*
 * router.h: `pgha router`: a single-threaded epoll TCP router in front of the
 * cluster. The RW listener forwards to the member that holds the leader key and
 * answers /primary; the RO listener spreads over members answering /replica. While no
 * target is eligible, new clients are held (up to hold_timeout) instead of refused.
 *
 * Threads: the loop (everything on the data path), the DCS watch (dcs.h) and the
 * HTTP endpoint's (libmicrohttpd) thread, which only reads published counters.
 */
#ifndef PGHA_ROUTER_ROUTER_H
#define PGHA_ROUTER_ROUTER_H

#include <stdbool.h>
#include "router/router_config.h"
#include "util/compiler.h"

struct router;

/*
 * router_new: binds the listeners and the HTTP endpoint, connects to etcd (watch)
 * and prepares the loop. SIGTERM, SIGINT and SIGHUP must already be blocked in the
 * calling thread (the loop reads them from a signalfd, and the threads started here
 * inherit the mask). NULL (logged) on failure. cfg is copied.
 */
struct router *router_new(const struct router_config *cfg);
/* router_run: runs the loop until SIGTERM/SIGINT; returns true on a clean stop. */
bool router_run(struct router *r) MUST_CHECK;
/* router_free: closes every session, listener and thread. NULL is a no-op. */
void router_free(struct router *r);

#endif
