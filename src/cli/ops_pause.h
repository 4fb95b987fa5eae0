/*
 * ops_pause.h: maintenance mode (pause) as `pgha pause`, `pgha resume` and `pgha
 * restore` set it: PATCH /config on the leader first, then on any member that answers,
 * as patronictl does; and the wait until every member reports it.
 */
#ifndef PGHA_CLI_OPS_PAUSE_H
#define PGHA_CLI_OPS_PAUSE_H

#include <stdbool.h>
#include "cli/ops_ctx.h"
#include "dcs/dcs_types.h"

/* ops_pause: {"pause": true} (or null to resume); the exit status, said on stderr/stdout. */
int ops_pause(const struct ops_ctx *ctx, const struct dcs_view *v, bool pause);
/* ops_pause_wait: until every member of before reports the state in its key. */
int ops_pause_wait(const struct ops_ctx *ctx, const struct dcs_view *before, bool pause,
                   int timeout_s);

#endif
