/*
 * agent.h: one node's HA agent (Patroni's role): `pgha agent`.
 *
 * The agent runs the HA loop (observe, decide, publish, apply) in the calling thread,
 * with its helpers in threads of their own: the etcd watch, the lease keeper's renewer
 * and fencer, the REST API, systemd's watchdog. Its state is private to ha/
 * (agent_int.h, which also states which thread owns what); docs/agent.md describes
 * the threads for users.
 */
#ifndef PGHA_HA_AGENT_H
#define PGHA_HA_AGENT_H

#include "config/config.h"

/*
 * agent_main: runs the agent for a loaded and validated configuration, which it takes
 * over (cfg is left empty), until SIGTERM or SIGINT; SIGHUP reloads. Returns the
 * process exit code: 0 after a clean stop, 1 when the REST API could not listen, 2
 * when the agent could not start (etcd client, PostgreSQL node, lease keeper).
 */
int agent_main(struct config *cfg);

#endif
