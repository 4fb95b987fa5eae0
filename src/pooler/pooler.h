/*
 * pooler.h: the node's PgBouncer, supervised by its agent.
 *
 * The agent calls pooler_ensure() every HA cycle: it writes pgbouncer.ini and the auth
 * file when their contents change, starts PgBouncer as the agent's child if it is not
 * running (never daemonized: we keep the pid, and a parent-death SIGKILL means it cannot
 * outlive the agent), restarts it with backoff when it dies, and reloads it (SIGHUP) or
 * restarts it when its configuration changed. It pools connections to the local
 * PostgreSQL over its unix socket; clients authenticate end to end with SCRAM (see
 * pooler_conf.c for the design). Its files live in a run directory of their own:
 * pgbouncer.ini, userlist.txt, pgbouncer.log (its stderr) and its unix socket.
 *
 * Not here: choosing whether the node runs a pooler (pgbouncer.enabled, the caller's
 * decision), publishing its address (pooler_connect_address in pooler_conf.h gives it),
 * routing. Not thread-safe: use one struct pooler from the HA loop's thread only (the
 * parent-death signal is tied to the thread that started PgBouncer).
 *
 * Every function accepts p == NULL (no pooler on this node) and then does nothing.
 * Errors are logged once, here, where the detail is known.
 */
#ifndef PGHA_POOLER_POOLER_H
#define PGHA_POOLER_POOLER_H

#include <stdbool.h>
#include <sys/types.h>
#include "config/config.h"
#include "util/compiler.h"

struct pooler;

/*
 * pooler_new: owned; nothing is started. cfg is borrowed for the pooler's lifetime and
 * re-read by every pooler_ensure (a changed configuration is applied). run_dir: where
 * PgBouncer's files live (created 0700), NULL for "<data_dir>.pgbouncer". Returns NULL
 * (logged) when the configuration cannot work: bad pgbouncer.listen, paths, sizes.
 */
struct pooler *pooler_new(const struct config *cfg, const char *run_dir);

/*
 * pooler_ensure: one supervision step; never blocks for more than about a second.
 * Returns true when PgBouncer is running (it may still be starting up: see
 * pooler_healthy), false when it is down (waiting for its restart backoff, or it cannot
 * start: already logged).
 */
bool pooler_ensure(struct pooler *p) MUST_CHECK;

/*
 * pooler_stop: stops PgBouncer now: SIGINT (safe shutdown: lets running transactions
 * end) for up to 2 s, then SIGTERM (immediate) for 1 s, then SIGKILL. Blocks until it is
 * gone. A later pooler_ensure starts it again.
 */
void pooler_stop(struct pooler *p);

/*
 * pooler_fd: a pidfd that becomes readable when PgBouncer exits, for the agent's poll();
 * -1 while it is not running. Owned by the pooler; valid until the next pooler_ensure,
 * pooler_stop or pooler_free, so fetch it again before each poll.
 */
int pooler_fd(const struct pooler *p);

/* pooler_pid: PgBouncer's pid, 0 when not running. */
pid_t pooler_pid(const struct pooler *p);

/*
 * pooler_healthy: running and answering: a login on its unix socket is answered with a
 * password request within timeout_ms (pooler_ping; e.g. 500). Cheap and silent in
 * PgBouncer's log, so it may run every cycle. Blocks up to timeout_ms. Does not reap or
 * restart (pooler_ensure does); failures are logged at debug level only.
 */
bool pooler_healthy(struct pooler *p, int timeout_ms);

/* pooler_run_dir: the directory of PgBouncer's files (its log is pgbouncer.log there). */
const char *pooler_run_dir(const struct pooler *p);

/* pooler_free: stops PgBouncer if it runs (pooler_stop), then frees p. */
void pooler_free(struct pooler *p);

#endif
