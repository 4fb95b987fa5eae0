/*
 * ops_plan.c: scheduled times, and the validation and request bodies of restart and reinit.
 */
#include "cli/ops_plan.h"

#include <jansson.h>
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

/* --- restart / reinit ----------------------------------------------------------------- */

/* bad_node: why NODE argument i cannot be asked, or NULL when it can. */
static const char *bad_node(const struct ops_args *a, int i, const struct dcs_view *v)
{
	const char *name = a->nodes[i];

	if (dcs_view_member(v, name) == NULL)
		return "member %s does not exist in the cluster";
	if (a->cmd == OPS_REINIT && v->has_leader && str_eq(v->leader, name))
		return "%s is the leader: only replicas can be reinitialized";
	for (int j = 0; j < i; j++)
		if (str_eq(a->nodes[j], name))
			return "member %s is named twice";
	return NULL;
}

bool ops_plan_nodes(const struct ops_args *a, const struct dcs_view *v, char *err, size_t errlen)
{
	for (int i = 0; i < a->n_nodes; i++) {
		const char *why = bad_node(a, i, v);

		if (why != NULL) {
			snprintf(err, errlen, why, a->nodes[i]);
			return false;
		}
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
