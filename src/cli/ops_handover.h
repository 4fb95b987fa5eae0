/*
 * ops_handover.h: sending a planned switchover / failover (ops_plan.h) to the agent
 * that coordinates it. Shared by `pgha switchover` / `pgha failover` and by the
 * switchover scenario of `pgha chaos`, so both exercise exactly the same request.
 *
 * Does not print: the outcome is the HTTP status, the reply and err.
 */
#ifndef PGHA_CLI_OPS_HANDOVER_H
#define PGHA_CLI_OPS_HANDOVER_H

#include <stddef.h>
#include "cli/ops_ctx.h"
#include "cli/ops_plan.h"
#include "dcs/dcs_types.h"
#include "util/buf.h"

/*
 * ops_handover_send: POSTs h->body to h->action on h->target's REST API (members in v)
 * and waits for the answer, which the agent gives once the new leader holds the key
 * (up to 2*max(10, loop_wait) + 15 s). Returns the HTTP status (200/202 = done), or
 * when the agent did not answer (err says why) 0, or OPS_HTTP_UNSENT if it cannot have
 * seen the request; the body is appended to reply. Blocks.
 */
long ops_handover_send(const struct ops_ctx *ctx, const struct dcs_view *v,
                       const struct ops_handover *h, struct buf *reply, char *err, size_t errlen);

/* ops_handover_wait_ms: how long the agents may take to carry a request out. */
int ops_handover_wait_ms(const struct dcs_view *v);

#endif
