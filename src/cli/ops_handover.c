/*
 * ops_handover.c: the switchover / failover request (see ops_handover.h).
 */
#include "cli/ops_handover.h"

#include <stdio.h>
#include "cli/ops_http.h"
#include "config/config.h"
#include "ha/ha_decide.h"

int ops_handover_wait_ms(const struct dcs_view *v)
{
	struct dyn_config d;
	int wait_s;

	ops_cluster_dyn(v, &d);
	wait_s = ha_handover_wait_s(d.loop_wait_s);
	dyn_config_free(&d);
	return wait_s * 1000;
}

/* reply_timeout_ms: how long the leader's agent may take to answer. */
static int reply_timeout_ms(const struct dcs_view *v)
{
	return ops_handover_wait_ms(v) + 15000;
}

long ops_handover_send(const struct ops_ctx *ctx, const struct dcs_view *v,
                       const struct ops_handover *h, struct buf *reply, char *err, size_t errlen)
{
	const struct dcs_member *m = dcs_view_member(v, h->target);

	if (m == NULL) {
		snprintf(err, errlen, "%s has no member key, so its REST API is unknown",
		         h->target);
		return OPS_HTTP_UNSENT;
	}
	return ops_rest(ctx, m, "POST", h->action, h->body, reply_timeout_ms(v), reply, err,
	                errlen);
}
