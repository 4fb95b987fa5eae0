/*
 * router_stats.c: /health JSON (jansson) and /metrics Prometheus text from a
 * published struct router_stats. Pure: no I/O, no clock, no logging.
 */
#include "router/router_stats.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>

bool router_stats_rw_ok(const struct router_stats *s)
{
	for (int i = 0; i < s->n_targets; i++) {
		if (s->t[i].eligible[RT_RW])
			return true;
	}
	return false;
}

static json_t *target_json(const struct router_stats_target *t)
{
	return json_pack("{s:s, s:s, s:b, s:b, s:b, s:b, s:i, s:i, s:i, s:i}", "name", t->name,
	                 "addr", t->addr, "present", t->present, "leader", t->is_leader, "rw",
	                 t->eligible[RT_RW], "ro", t->eligible[RT_RO], "health", t->health,
	                 "last_status", t->last_status, "rw_sessions", t->sessions[RT_RW],
	                 "ro_sessions", t->sessions[RT_RO]);
}

void router_stats_health_json(const struct router_stats *s, struct buf *out)
{
	json_t *targets = json_array();
	json_t *root;
	char *text;
	int n_ro = 0;

	for (int i = 0; i < s->n_targets; i++) {
		json_array_append_new(targets, target_json(&s->t[i]));
		n_ro += s->t[i].eligible[RT_RO];
	}
	root = json_pack("{s:s, s:b, s:b, s:s?, s:b, s:i, s:i, s:i, s:o}", "status",
	                 router_stats_rw_ok(s) ? "ok" : "no read-write target", "dcs_ok", s->dcs_ok,
	                 "has_view", s->has_view, "leader", s->leader[0] != '\0' ? s->leader : NULL,
	                 "switchover_pending", s->switchover_pending, "ro_targets", n_ro, "held_rw",
	                 s->l[RT_RW].held, "held_ro", s->l[RT_RO].held, "targets", targets);
	text = json_dumps(root, JSON_COMPACT);
	buf_puts(out, text);
	buf_puts(out, "\n");
	free(text);
	json_decref(root);
}

/* --- Prometheus ----------------------------------------------------------------------- */

/* label: a label value with \, " and newline escaped (text format 0.0.4). */
static void label(struct buf *out, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			buf_printf(out, "\\%c", *v);
		else if (*v == '\n')
			buf_puts(out, "\\n");
		else
			buf_append(out, v, 1);
	}
}

static void header(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void listener_metric(struct buf *out, const struct router_stats *s, const char *name,
                            const char *type, const char *help, size_t offset, bool is_int)
{
	header(out, name, type, help);
	for (int l = 0; l < RT__COUNT; l++) {
		const char *base = (const char *)&s->l[l];
		uint64_t v = is_int ? (uint64_t) * (const int *)(const void *)(base + offset)
		                    : *(const uint64_t *)(const void *)(base + offset);

		if (s->l[l].addr[0] == '\0')
			continue;
		buf_printf(out, "%s{listener=\"%s\"} %" PRIu64 "\n", name,
		           rt_listener_str((enum rt_listener)l), v);
	}
}

#define LMETRIC(n, t, h, f, i) \
	listener_metric(out, s, n, t, h, offsetof(struct router_stats_listener, f), i)

static void listener_metrics(const struct router_stats *s, struct buf *out)
{
	LMETRIC("pgha_router_accepted_total", "counter", "Client connections accepted.", accepted,
	        false);
	LMETRIC("pgha_router_client_connections", "gauge", "Open client connections.", active,
	        true);
	LMETRIC("pgha_router_held_connections", "gauge", "Clients waiting for a target.", held,
	        true);
	LMETRIC("pgha_router_held_total", "counter", "Clients that had to wait for a target.",
	        held_total, false);
	LMETRIC("pgha_router_hold_timeouts_total", "counter",
	        "Clients closed after waiting hold_timeout.", hold_timeouts, false);
	LMETRIC("pgha_router_hold_abandoned_total", "counter", "Clients that left while held.",
	        hold_abandoned, false);
	LMETRIC("pgha_router_connect_failures_total", "counter",
	        "Backend connects that failed or timed out.", connect_failures, false);
	LMETRIC("pgha_router_fenced_total", "counter",
	        "Sessions closed because their target changed role.", fenced, false);
	LMETRIC("pgha_router_bytes_in_total", "counter", "Bytes from clients to targets.", bytes_in,
	        false);
	LMETRIC("pgha_router_bytes_out_total", "counter", "Bytes from targets to clients.",
	        bytes_out, false);
	LMETRIC("pgha_router_target_changes_total", "counter",
	        "Times a target became or stopped being eligible.", target_changes, false);
}

static void target_line(struct buf *out, const char *name, const struct router_stats_target *t,
                        const char *extra, uint64_t v)
{
	buf_printf(out, "%s{target=\"", name);
	label(out, t->name);
	buf_puts(out, "\",addr=\"");
	label(out, t->addr);
	buf_printf(out, "\"%s} %" PRIu64 "\n", extra, v);
}

static void target_metrics(const struct router_stats *s, struct buf *out)
{
	const struct router_stats_target *t;

	header(out, "pgha_router_target_up", "gauge",
	       "Target takes new sessions (listener rw or ro).");
	for (t = s->t; t < s->t + s->n_targets; t++) {
		target_line(out, "pgha_router_target_up", t, ",listener=\"rw\"",
		            t->eligible[RT_RW]);
		target_line(out, "pgha_router_target_up", t, ",listener=\"ro\"",
		            t->eligible[RT_RO]);
	}
	header(out, "pgha_router_target_leader", "gauge", "Target holds the leader key.");
	for (t = s->t; t < s->t + s->n_targets; t++)
		target_line(out, "pgha_router_target_leader", t, "", t->is_leader);
	header(out, "pgha_router_target_sessions", "gauge", "Open sessions per target.");
	for (t = s->t; t < s->t + s->n_targets; t++) {
		target_line(out, "pgha_router_target_sessions", t, ",listener=\"rw\"",
		            (uint64_t)t->sessions[RT_RW]);
		target_line(out, "pgha_router_target_sessions", t, ",listener=\"ro\"",
		            (uint64_t)t->sessions[RT_RO]);
	}
	header(out, "pgha_router_target_sessions_total", "counter", "Sessions sent to a target.");
	for (t = s->t; t < s->t + s->n_targets; t++) {
		target_line(out, "pgha_router_target_sessions_total", t, ",listener=\"rw\"",
		            t->sessions_total[RT_RW]);
		target_line(out, "pgha_router_target_sessions_total", t, ",listener=\"ro\"",
		            t->sessions_total[RT_RO]);
	}
	header(out, "pgha_router_target_bytes_total", "counter", "Bytes relayed per target.");
	for (t = s->t; t < s->t + s->n_targets; t++) {
		target_line(out, "pgha_router_target_bytes_total", t, ",direction=\"in\"",
		            t->bytes_out);
		target_line(out, "pgha_router_target_bytes_total", t, ",direction=\"out\"",
		            t->bytes_in);
	}
	header(out, "pgha_router_target_checks_failed_total", "counter",
	       "Health checks that did not answer 200.");
	for (t = s->t; t < s->t + s->n_targets; t++)
		target_line(out, "pgha_router_target_checks_failed_total", t, "", t->checks_failed);
}

void router_stats_prometheus(const struct router_stats *s, struct buf *out)
{
	header(out, "pgha_router_up", "gauge", "A read-write target is eligible.");
	buf_printf(out, "pgha_router_up %d\n", router_stats_rw_ok(s));
	header(out, "pgha_router_dcs_ok", "gauge", "The etcd watch is current.");
	buf_printf(out, "pgha_router_dcs_ok %d\n", s->dcs_ok);
	header(out, "pgha_router_switchover_pending", "gauge",
	       "New read-write clients are held for a switchover.");
	buf_printf(out, "pgha_router_switchover_pending %d\n", s->switchover_pending);
	header(out, "pgha_router_uptime_seconds", "gauge", "Seconds since the router started.");
	buf_printf(out, "pgha_router_uptime_seconds %" PRId64 "\n", s->uptime_ms / 1000);
	header(out, "pgha_router_accept_pauses_total", "counter",
	       "Times accepting paused (out of file descriptors or at max_clients).");
	buf_printf(out, "pgha_router_accept_pauses_total %" PRIu64 "\n", s->accept_pauses);
	listener_metrics(s, out);
	target_metrics(s, out);
}
