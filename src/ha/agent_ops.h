/*
 * agent_ops.h: the callbacks the agent gives the REST API (struct api_ops).
 * Thread-safe; called from the REST server's threads.
 */
#ifndef PGHA_HA_AGENT_OPS_H
#define PGHA_HA_AGENT_OPS_H

#include "api/api.h"

/* agent_ops_snapshot: deep copy of the agent's published state. ctx is the agent. */
void agent_ops_snapshot(void *ctx, struct api_snapshot *out);
/* agent_ops_operation: carries out a validated unsafe request; returns the HTTP status. */
int agent_ops_operation(void *ctx, const struct api_request *req, struct buf *out);

#endif
