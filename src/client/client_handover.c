/*
 * client_handover.c: planning and sending a switchover / failover (see client_handover.h).
 */
#include "client/client_handover.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "client/client_rest.h"
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

static bool is_candidate(const struct dcs_member *m, const char *leader)
{
	return !str_eq(m->name, leader) && !m->nofailover;
}

static bool check_candidate(const struct client_handover *h, const struct dcs_view *v,
                            const char *scope_msg, char *err, size_t errlen)
{
	const struct dcs_member *m;
	int n = 0;

	for (int i = 0; i < v->n_members; i++)
		n += is_candidate(&v->members[i], h->leader);
	if (n == 0)
		return plan_fail(err, errlen, "no candidates found to %s to", h->action);
	if (!h->candidate[0])
		return true;
	if (str_eq(h->candidate, h->leader))
		return plan_fail(err, errlen, "%s target and source are the same (%s)", h->action,
		                 h->candidate);
	m = dcs_view_member(v, h->candidate);
	if (m == NULL)
		return plan_fail(err, errlen, "member %s does not exist in %s", h->candidate,
		                 scope_msg);
	if (m->nofailover)
		return plan_fail(err, errlen, "member %s has the nofailover tag", h->candidate);
	return true;
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
	wait_s = dcs_handover_wait_s(d.loop_wait_s);
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
