/*
 * chaos_report.c: verdict and renderings of a chaos run (see chaos_report.h).
 */
#include "chaos/chaos_report.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/compiler.h"
#include "util/xalloc.h"

static void problem(struct chaos_result *r, const char *fmt, ...) PRINTF_LIKE(2, 3);

static void problem(struct chaos_result *r, const char *fmt, ...)
{
	va_list ap;

	if (r->n_problems == CHAOS_MAX_PROBLEMS)
		return;
	va_start(ap, fmt);
	vsnprintf(r->problems[r->n_problems++], CHAOS_PROBLEM_LEN, fmt, ap);
	va_end(ap);
}

bool chaos_result_judge(struct chaos_result *r)
{
	r->n_problems = 0;
	if (r->acked == 0)
		problem(r, "no write was acknowledged at all");
	if (!r->verified)
		problem(r, "the acknowledged ids could not be read back from the new primary");
	else if (r->lost_acked > 0)
		problem(r, "%" PRId64 " acknowledged write%s lost", r->lost_acked,
		        r->lost_acked == 1 ? " was" : "s were");
	if (r->split_brain)
		problem(r, "more than one writable primary: %s", r->split_detail);
	if (r->downtime_s < 0 && !r->interrupted)
		problem(r, "no write was acknowledged within %d s of the fault", r->timeout_s);
	if (r->isolated_acks > 0)
		problem(r,
		        "the cut-off primary %s acknowledged %" PRId64 " commit%s sent after it "
		        "could no longer reach its synchronous standby",
		        r->victim, r->isolated_acks, r->isolated_acks == 1 ? "" : "s");
	if (r->interrupted)
		problem(r, "interrupted by a signal (the fault was healed first)");
	else if (r->restart && !r->rejoined)
		problem(r, "the cluster did not heal (%s back as a streaming replica) within %d s",
		        r->victim, r->timeout_s * CHAOS_REJOIN_FACTOR);
	return r->n_problems == 0;
}

void chaos_report_text(const struct chaos_result *r, struct buf *out)
{
	for (int i = 0; i < r->n_events; i++)
		buf_printf(out, "T%+.2fs  %s\n", (double)(r->events[i].t_us - r->t0_us) / 1e6,
		           r->events[i].text);
	buf_printf(out, "acked %" PRId64 ", lost %s%" PRId64 ", downtime ", r->acked,
	           r->verified ? "" : "unknown ", r->verified ? r->lost_acked : (int64_t)0);
	if (r->downtime_s >= 0)
		buf_printf(out, "%.2f s", r->downtime_s);
	else
		buf_puts(out, "unknown (no recovery)");
	if (r->rejoin_s >= 0)
		buf_printf(out, ", healed in %.2f s", r->rejoin_s);
	buf_printf(out, ", %d leader change%s", r->leader_changes,
	           r->leader_changes == 1 ? "" : "s");
	if (r->failsafe_s > 0)
		buf_printf(out, ", failsafe %.1f s", r->failsafe_s);
	if (r->isolated_acks >= 0)
		buf_printf(out, ", isolated primary acked %" PRId64, r->isolated_acks);
	buf_puts(out, "\n");
	for (int i = 0; i < r->n_problems; i++)
		buf_printf(out, "FAILED: %s\n", r->problems[i]);
}

/* round_ms: seconds rounded to the millisecond, for stable JSON. */
static double round_ms(double s)
{
	return (double)llround(s * 1000.0) / 1000.0;
}

/* num_or_null: seconds, or null when negative (it never happened). */
static json_t *num_or_null(double s)
{
	return s >= 0 ? json_real(round_ms(s)) : json_null();
}

static json_t *timeline_json(const struct chaos_result *r)
{
	json_t *a = json_array();

	for (int i = 0; i < r->n_events; i++) {
		double t = (double)(r->events[i].t_us - r->t0_us) / 1e6;

		json_array_append_new(
		    a, json_pack("{s:f, s:s}", "t", round_ms(t), "event", r->events[i].text));
	}
	return a;
}

/* int_or_null: n, or null when negative (not measured). */
static json_t *int_or_null(int64_t n)
{
	return n >= 0 ? json_integer(n) : json_null();
}

/* fault_json: what the fault was and what the cluster did about etcd and leadership. */
static void fault_json(const struct chaos_result *r, json_t *o)
{
	json_object_set_new(o, "fault_s",
	                    r->fault_s > 0 ? json_real(round_ms(r->fault_s)) : json_null());
	json_object_set_new(o, "etcd_victims",
	                    r->etcd_victims[0] ? json_string(r->etcd_victims) : json_null());
	json_object_set_new(o, "leader_changes", json_integer(r->leader_changes));
	json_object_set_new(o, "etcd_leader_changes", int_or_null(r->etcd_leader_changes));
	json_object_set_new(o, "failsafe_s", json_real(round_ms(MAX(r->failsafe_s, 0))));
	json_object_set_new(o, "isolated_primary_acks", int_or_null(r->isolated_acks));
	json_object_set_new(o, "rewound", json_boolean(r->rewound));
	json_object_set_new(o, "interrupted", json_boolean(r->interrupted));
}

char *chaos_report_json(const struct chaos_result *r)
{
	json_t *problems = json_array();
	json_t *o;
	char *text;
	char *out;

	for (int i = 0; i < r->n_problems; i++)
		json_array_append_new(problems, json_string(r->problems[i]));
	o = json_pack("{s:s, s:s, s:s?, s:o, s:I, s:o, s:I, s:I, s:b, s:o, s:b, s:b, s:o}",
	              "scenario", chaos_scenario_str(r->scenario), "victim", r->victim,
	              "new_leader", r->new_leader[0] ? r->new_leader : NULL, "downtime_s",
	              num_or_null(r->downtime_s), "acked", (json_int_t)r->acked, "lost_acked",
	              r->verified ? json_integer(r->lost_acked) : json_null(), "errors",
	              (json_int_t)r->errors, "connect_errors", (json_int_t)r->connect_errors,
	              "rejoined", r->rejoined, "rejoin_s", num_or_null(r->rejoin_s), "split_brain",
	              r->split_brain, "ok", r->n_problems == 0, "problems", problems);
	fault_json(r, o);
	json_object_set_new(o, "timeline", timeline_json(r));
	text = json_dumps(o, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	json_decref(o);
	out = xasprintf("%s\n", text ? text : "{}");
	free(text);
	return out;
}

void chaos_result_free(struct chaos_result *r)
{
	free(r->events);
	r->events = NULL;
	r->n_events = 0;
}
