/*
 * ops_plan.c: validation and request bodies of switchover, failover, restart, reinit.
 */
#include "cli/ops_plan.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "api/api_request.h"
#include "util/iso8601.h"
#include "util/strutil.h"
#include "util/xalloc.h"

/* --- time ---------------------------------------------------------------------------- */

/* local_epoch: the wall-clock fields of utc_as_if (parsed as UTC) taken as local time. */
static time_t local_epoch(time_t utc_as_if)
{
	struct tm tm;

	gmtime_r(&utc_as_if, &tm);
	tm.tm_isdst = -1;
	return mktime(&tm);
}

bool ops_schedule_iso(const char *text, char *out, size_t size, char *err, size_t errlen)
{
	int64_t epoch_ms;
	enum iso8601_result rc = iso8601_parse(text, &epoch_ms);
	time_t secs;
	struct tm tm;
	char zone[8];
	char base[32];

	if (rc == ISO8601_INVALID) {
		snprintf(err, errlen,
		         "unable to parse scheduled time '%s': it should be ISO 8601, e.g. "
		         "2026-11-25T20:00 or 2026-11-25T20:00:00+01:00",
		         text);
		return false;
	}
	secs = (time_t)(epoch_ms / 1000);
	if (rc == ISO8601_NO_ZONE) /* local time, as patronictl reads it */
		secs = local_epoch(secs);
	localtime_r(&secs, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm); /* +0100 -> +01:00 */
	snprintf(out, size, "%s%.3s:%.2s", base, zone, zone + 3);
	return true;
}

void ops_cluster_dyn(const struct dcs_view *v, struct dyn_config *d)
{
	char err[256];
	json_t *cfg = v->config_json ? json_loads(v->config_json, 0, NULL) : NULL;

	dyn_config_defaults(d);
	if (json_is_object(cfg))
		(void)dyn_config_from_json(d, cfg, err, sizeof(err));
	json_decref(cfg);
}

/* --- switchover / failover ------------------------------------------------------------ */

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

static bool check_candidate(const struct ops_handover *h, const struct dcs_view *v,
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

static char *handover_body(const struct ops_handover *h)
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

bool ops_plan_handover(const struct ops_args *a, const char *scheduled_iso,
                       const struct dcs_view *v, struct ops_handover *h, char *err, size_t errlen)
{
	const char *cur = v->has_leader ? v->leader : "";

	memset(h, 0, sizeof(*h));
	h->action = a->cmd == OPS_SWITCHOVER || a->leader ? "switchover" : "failover";
	if (str_eq(h->action, "switchover") && !cur[0])
		return plan_fail(err, errlen, "the cluster has no leader%s",
		                 a->cmd == OPS_SWITCHOVER ? ": use pgha failover --candidate NAME"
		                                          : "");
	if (a->leader && !str_eq(a->leader, cur))
		return plan_fail(err, errlen, "member %s is not the leader (the leader is %s)",
		                 a->leader, cur[0] ? cur : "nobody");
	if (!str_copy(h->leader, sizeof(h->leader), cur) ||
	    !str_copy(h->candidate, sizeof(h->candidate), a->candidate ? a->candidate : "") ||
	    !str_copy(h->scheduled_at, sizeof(h->scheduled_at), scheduled_iso ? scheduled_iso : ""))
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

void ops_handover_free(struct ops_handover *h)
{
	free(h->body);
	h->body = NULL;
}

/* --- restart / reinit ----------------------------------------------------------------- */

bool ops_plan_nodes(const struct ops_args *a, const struct dcs_view *v, char *err, size_t errlen)
{
	for (int i = 0; i < a->n_nodes; i++) {
		const char *name = a->nodes[i];

		if (dcs_view_member(v, name) == NULL)
			return plan_fail(err, errlen, "member %s does not exist in the cluster",
			                 name);
		if (a->cmd == OPS_REINIT && v->has_leader && str_eq(v->leader, name))
			return plan_fail(err, errlen,
			                 "%s is the leader: only replicas can be reinitialized",
			                 name);
		for (int j = 0; j < i; j++)
			if (str_eq(a->nodes[j], name))
				return plan_fail(err, errlen, "member %s is named twice", name);
	}
	return true;
}

char *ops_restart_body(const struct ops_args *a, const char *scheduled_iso, bool paused, char *err,
                       size_t errlen)
{
	json_t *o;
	char *text;

	if (a->pg_version && api_parse_pg_version(a->pg_version) < 0) {
		snprintf(err, errlen, "invalid PostgreSQL version '%s': X.Y or X.Y.Z is accepted",
		         a->pg_version);
		return NULL;
	}
	if (scheduled_iso && scheduled_iso[0] && paused) {
		snprintf(err, errlen, "can't schedule a restart in the paused state");
		return NULL;
	}
	o = json_object();
	if (a->pending)
		json_object_set_new(o, "restart_pending", json_true());
	if (a->pg_version)
		json_object_set_new(o, "postgres_version", json_string(a->pg_version));
	if (a->timeout_s > 0)
		json_object_set_new(o, "timeout", json_integer(a->timeout_s));
	if (scheduled_iso && scheduled_iso[0])
		json_object_set_new(o, "schedule", json_string(scheduled_iso));
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return text;
}
