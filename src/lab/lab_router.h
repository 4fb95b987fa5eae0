/*
 * lab_router.h: the lab's router, `pgha router -c DIR/router.yml` (pid file
 * DIR/run/router.pid, log DIR/logs/router.log): its command lines, and the wait until
 * clients get through it.
 *
 * "Through" means: the router's /health answers 200 (a read-write target is eligible)
 * and a `service=rw` session opened with the lab's pg_service.conf lands on the leader,
 * not in recovery. That session proves the whole client path: pg_service.conf and the
 * passfile, the router, the leader's PgBouncer (which authenticates the superuser with
 * the password of its auth file) and PostgreSQL.
 *
 * lab_router_landing_ok is pure; lab_router_wait polls (HTTP, libpq). Does not log.
 */
#ifndef PGHA_LAB_LAB_ROUTER_H
#define PGHA_LAB_LAB_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "client/client_sql.h"
#include "lab/lab_cluster.h"
#include "util/buf.h"
#include "util/compiler.h"

#define LAB_ROUTER_ARGC 6 /* pgha router [--check] -c FILE NULL */

/*
 * lab_router_argv: argv[LAB_ROUTER_ARGC] for `pgha router [--check] -c DIR/router.yml`;
 * config[size] receives the path, which argv borrows. False if the path does not fit.
 */
bool lab_router_argv(const struct lab_cluster *c, bool check, char *config, size_t size,
                     const char **argv) MUST_CHECK;
/*
 * lab_router_landing_ok: a read-write session that landed on rw is right when it is on
 * leader and not in recovery; else false with why saying where it landed.
 */
bool lab_router_landing_ok(const struct client_landing *rw, const char *leader, char *why,
                           size_t whylen);
/*
 * lab_router_wait: polls until the router answers /health 200 and service=rw lands on
 * leader (true, *rw = where it landed), or until deadline_ms (CLOCK_BOOTTIME) passes or
 * the router (pid, when > 0) exits (false, why gets the last thing missing). Blocks.
 */
bool lab_router_wait(const struct lab_cluster *c, pid_t pid, const char *leader,
                     int64_t deadline_ms, struct client_landing *rw, struct buf *why) MUST_CHECK;

#endif
