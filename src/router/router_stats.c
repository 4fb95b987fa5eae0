/*
 * router_stats.c: /health JSON (jansson) and /metrics Prometheus text from a
 * published struct router_stats. Pure: no I/O, no clock, no logging.
 */
#include "router/router_stats.h"

#include <inttypes.h>
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include "util/compiler.h"

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

/* A counter or gauge as stored: its type and where it is in its struct. */
enum value_kind {
	VALUE_BOOL,
	VALUE_INT,
	VALUE_U64,
};

static uint64_t value_at(const void *base, size_t at, enum value_kind kind)
{
	const char *p = (const char *)base + at;

	switch (kind) {
	case VALUE_BOOL:
		return *(const bool *)(const void *)p;
	case VALUE_INT:
		return (uint64_t) * (const int *)(const void *)p;
	case VALUE_U64:
		return *(const uint64_t *)(const void *)p;
	}
	return 0;
}

/* --- per listener ----------------------------------------------------------------------- */

struct listener_metric {
	const char *name;
	const char *type;
	const char *help;
	enum value_kind kind;
	size_t at; /* in struct router_stats_listener */
};

#define LMETRIC(n, t, h, k, f)                                        \
	{                                                             \
		n, t, h, k, offsetof(struct router_stats_listener, f) \
	}

static const struct listener_metric listener_table[] = {
    LMETRIC("pgha_router_accepted_total", "counter", "Client connections accepted.", VALUE_U64,
            accepted),
    LMETRIC("pgha_router_client_connections", "gauge", "Open client connections.", VALUE_INT,
            active),
    LMETRIC("pgha_router_held_connections", "gauge", "Clients waiting for a target.", VALUE_INT,
            held),
    LMETRIC("pgha_router_held_total", "counter", "Clients that had to wait for a target.",
            VALUE_U64, held_total),
    LMETRIC("pgha_router_hold_timeouts_total", "counter",
            "Clients closed after waiting hold_timeout.", VALUE_U64, hold_timeouts),
    LMETRIC("pgha_router_hold_abandoned_total", "counter", "Clients that left while held.",
            VALUE_U64, hold_abandoned),
    LMETRIC("pgha_router_connect_failures_total", "counter",
            "Backend connects that failed or timed out.", VALUE_U64, connect_failures),
    LMETRIC("pgha_router_fenced_total", "counter",
            "Sessions closed because their target changed role.", VALUE_U64, fenced),
    LMETRIC("pgha_router_bytes_in_total", "counter", "Bytes from clients to targets.", VALUE_U64,
            bytes_in),
    LMETRIC("pgha_router_bytes_out_total", "counter", "Bytes from targets to clients.", VALUE_U64,
            bytes_out),
    LMETRIC("pgha_router_target_changes_total", "counter",
            "Times a target became or stopped being eligible.", VALUE_U64, target_changes),
    LMETRIC("pgha_router_login_timeouts_total", "counter",
            "Clients closed for sending no first message within login_timeout.", VALUE_U64,
            login_timeouts),
    LMETRIC("pgha_router_bad_startups_total", "counter",
            "Clients refused for a first message no PostgreSQL client sends.", VALUE_U64,
            bad_startups),
    LMETRIC("pgha_router_address_refusals_total", "counter",
            "Clients refused at max_clients_per_address.", VALUE_U64, address_refusals),
    LMETRIC("pgha_router_idle_timeouts_total", "counter",
            "Sessions closed after client_idle_timeout without a byte either way.", VALUE_U64,
            idle_timeouts),
    LMETRIC("pgha_router_cancel_requests_total", "counter",
            "CancelRequests forwarded to the targets holding sessions.", VALUE_U64, cancels),
};

static void listener_metrics(const struct router_stats *s, struct buf *out)
{
	for (const struct listener_metric *m = listener_table;
	     m < listener_table + ARRAY_LEN(listener_table); m++) {
		header(out, m->name, m->type, m->help);
		for (int l = 0; l < RT__COUNT; l++) {
			if (s->l[l].addr[0] == '\0')
				continue; /* a disabled listener has no series */
			buf_printf(out, "%s{listener=\"%s\"} %" PRIu64 "\n", m->name,
			           rt_listener_str((enum rt_listener)l),
			           value_at(&s->l[l], m->at, m->kind));
		}
	}
}

/* --- per target --------------------------------------------------------------------------- */

/* One metric of every target: one series, or one per listener or direction. */
struct target_metric {
	const char *name;
	const char *type;
	const char *help;
	enum value_kind kind;
	int n_series;
	const char *labels[RT__COUNT]; /* extra labels of each series */
	size_t at[RT__COUNT];          /* in struct router_stats_target */
};

#define AT(f) offsetof(struct router_stats_target, f)
#define LISTENERS                                      \
	{                                              \
		",listener=\"rw\"", ",listener=\"ro\"" \
	}
#define PER_LISTENER(f)                    \
	2, LISTENERS,                      \
	{                                  \
		AT(f[RT_RW]), AT(f[RT_RO]) \
	}

static const struct target_metric target_table[] = {
    {"pgha_router_target_up", "gauge", "Target takes new sessions (listener rw or ro).", VALUE_BOOL,
     PER_LISTENER(eligible)},
    {"pgha_router_target_leader",
     "gauge",
     "Target holds the leader key.",
     VALUE_BOOL,
     1,
     {""},
     {AT(is_leader)}},
    {"pgha_router_target_sessions", "gauge", "Open sessions per target.", VALUE_INT,
     PER_LISTENER(sessions)},
    {"pgha_router_target_sessions_total", "counter", "Sessions sent to a target.", VALUE_U64,
     PER_LISTENER(sessions_total)},
    /* "in" is into the target: what clients sent */
    {"pgha_router_target_bytes_total",
     "counter",
     "Bytes relayed per target.",
     VALUE_U64,
     2,
     {",direction=\"in\"", ",direction=\"out\""},
     {AT(bytes_out), AT(bytes_in)}},
    {"pgha_router_target_checks_failed_total",
     "counter",
     "Health checks that did not answer 200.",
     VALUE_U64,
     1,
     {""},
     {AT(checks_failed)}},
};

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
	for (const struct target_metric *m = target_table;
	     m < target_table + ARRAY_LEN(target_table); m++) {
		header(out, m->name, m->type, m->help);
		for (const struct router_stats_target *t = s->t; t < s->t + s->n_targets; t++)
			for (int i = 0; i < m->n_series; i++)
				target_line(out, m->name, t, m->labels[i],
				            value_at(t, m->at[i], m->kind));
	}
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
