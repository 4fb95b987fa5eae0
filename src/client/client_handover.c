/*
 * client_handover.c: planning and sending a switchover / failover (see client_handover.h).
 */
#include "client/client_handover.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "client/client_rest.h"
#include "ha/ha_decide.h"
#include "util/strutil.h"

static bool plan_fail(char *err, size_t errlen, const char *fmt, ...) PRINTF_LIKE(3, 4);

static bool plan_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return false;
}

/*
 * check_candidate: the cluster's switchover / failover rules (ha/ha_handover.c), the
 * same the agents apply, in patronictl's words. They matter here also because the
 * request may go straight into the failover key when the leader's REST API does not
 * answer.
 */
static bool check_candidate(struct client_handover *h, const struct dcs_view *v,
                            const char *scope_msg, char *err, size_t errlen)
{
	struct dyn_config d;
	struct ha_handover_req r = {.leader = h->leader, .candidate = h->candidate};
	const struct dcs_member *m = dcs_view_member(v, h->candidate);
	enum ha_handover_check c;

	client_cluster_dyn(v, &d);
	r.synchronous_mode = d.synchronous_mode;
	r.pause = d.pause;
	h->sync_wait_s = ha_handover_wait_s(d.loop_wait_s);
	dyn_config_free(&d);
	c = h->leader[0] ? ha_switchover_check(v, &r) : ha_failover_check(v, &r);
	if (c != HA_HANDOVER_SYNC_PENDING)
		h->sync_wait_s = 0;
	switch (c) {
	case HA_HANDOVER_OK:
		return true;
	case HA_HANDOVER_SYNC_PENDING:
		return true;
	case HA_HANDOVER_SAME:
		return plan_fail(err, errlen, "%s target and source are the same (%s)", h->action,
		                 h->candidate);
	case HA_HANDOVER_UNKNOWN_CANDIDATE:
		return plan_fail(err, errlen, "member %s does not exist in %s", h->candidate,
		                 scope_msg);
	case HA_HANDOVER_NOFAILOVER:
		return plan_fail(err, errlen, "member %s has the %s", h->candidate,
		                 m && m->nofailover ? "nofailover tag" : "failover_priority 0");
	case HA_HANDOVER_NOT_SYNC:
		return plan_fail(err, errlen,
		                 "member %s is not a synchronous standby (synchronous_mode is on)",
		                 h->candidate);
	case HA_HANDOVER_UNHEALTHY:
		return plan_fail(
		    err, errlen, "member %s is not healthy enough to take over (%s%s%s)",
		    h->candidate, m ? m->state : "", m && m->replication_state[0] ? ", " : "",
		    m ? m->replication_state : "");
	case HA_HANDOVER_NO_CANDIDATE:
		return plan_fail(err, errlen, "no candidates found to %s to", h->action);
	case HA_HANDOVER_NO_LEADER:
	case HA_HANDOVER_NOT_LEADER:
	case HA_HANDOVER_PAUSED_ANY:
	case HA_HANDOVER__COUNT:
		break;
	}
	return plan_fail(err, errlen, "%s", ha_handover_check_str(c));
}

static char *handover_body(const struct client_handover *h)
{
	json_t *o = json_object();
	char *text;

	if (h->leader[0])
		json_object_set_new(o, "leader", json_string(h->leader));
	if (h->candidate[0])
		json_object_set_new(o, "candidate", json_string(h->candidate));
	if (h->scheduled_at[0])
		json_object_set_new(o, "scheduled_at", json_string(h->scheduled_at));
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return text;
}

bool client_plan_handover(const struct client_handover_req *r, const struct dcs_view *v,
                          struct client_handover *h, char *err, size_t errlen)
{
	const char *cur = v->has_leader ? v->leader : "";

	memset(h, 0, sizeof(*h));
	h->action = !r->failover || r->leader ? "switchover" : "failover";
	if (str_eq(h->action, "switchover") && !cur[0])
		return plan_fail(err, errlen, "the cluster has no leader%s",
		                 !r->failover ? ": use pgha failover --candidate NAME" : "");
	if (r->leader && !str_eq(r->leader, cur))
		return plan_fail(err, errlen, "member %s is not the leader (the leader is %s)",
		                 r->leader, cur[0] ? cur : "nobody");
	if (!str_copy(h->leader, sizeof(h->leader), cur) ||
	    !str_copy(h->candidate, sizeof(h->candidate), r->candidate ? r->candidate : "") ||
	    !str_copy(h->scheduled_at, sizeof(h->scheduled_at),
	              r->scheduled_iso ? r->scheduled_iso : ""))
		return plan_fail(err, errlen, "a name is too long");
	if (!check_candidate(h, v, "the cluster", err, errlen))
		return false;
	/* the leader's agent coordinates; without a leader, the candidate's does */
	snprintf(h->target, sizeof(h->target), "%s", cur[0] ? cur : h->candidate);
	if (dcs_view_member(v, h->target) == NULL)
		return plan_fail(err, errlen, "%s has no member key, so its REST API is unknown",
		                 h->target);
	h->body = handover_body(h);
	return true;
}

void client_handover_free(struct client_handover *h)
{
	free(h->body);
	h->body = NULL;
}

int client_handover_wait_ms(const struct dcs_view *v)
{
	struct dyn_config d;
	int wait_s;

	client_cluster_dyn(v, &d);
	wait_s = ha_handover_wait_s(d.loop_wait_s);
	if (ha_sync_pending(v, d.synchronous_mode))
		wait_s *= 2; /* as long again for the synchronous standby first */
	dyn_config_free(&d);
	return wait_s * 1000;
}

long client_handover_send(const struct client *c, const struct dcs_view *v,
                          const struct client_handover *h, struct buf *reply, char *err,
                          size_t errlen)
{
	const struct dcs_member *m = dcs_view_member(v, h->target);

	if (m == NULL) {
		snprintf(err, errlen, "%s has no member key, so its REST API is unknown",
		         h->target);
		return HTTP_UNSENT;
	}
	/* the agent answers once the handover is carried out: give it that long, and more */
	return client_rest(c, m, "POST", h->action, h->body, client_handover_wait_ms(v) + 15000,
	                   reply, err, errlen);
}
