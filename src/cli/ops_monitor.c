/*
 * ops_monitor.c: monitor events and screen.
 */
#include "cli/ops_monitor.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "client/client_members.h"
#include "util/strutil.h"

void ops_mon_snapshot(const struct dcs_view *v, struct mon_snapshot *s)
{
	struct client_member_row rows[DCS_MAX_MEMBERS];
	int n = client_members_rows(v, rows, DCS_MAX_MEMBERS);

	memset(s, 0, sizeof(*s));
	s->has_leader = v->has_leader;
	snprintf(s->leader, sizeof(s->leader), "%s", v->leader);
	s->paused = client_paused(v);
	for (int i = 0; i < n; i++) {
		struct mon_member *m = &s->members[s->n_members++];

		snprintf(m->name, sizeof(m->name), "%s", rows[i].m->name);
		snprintf(m->role, sizeof(m->role), "%s", dcs_role_str(rows[i].role));
		snprintf(m->state, sizeof(m->state), "%s", rows[i].state);
		m->timeline = rows[i].m->timeline;
	}
}

/* --- events -------------------------------------------------------------------------- */

struct events {
	char (*v)[OPS_MON_EVENT_LEN];
	int n;
	int max;
};

static void event(struct events *e, const char *fmt, ...) PRINTF_LIKE(2, 3);

static void event(struct events *e, const char *fmt, ...)
{
	va_list ap;

	if (e->n >= e->max)
		return;
	va_start(ap, fmt);
	vsnprintf(e->v[e->n++], OPS_MON_EVENT_LEN, fmt, ap);
	va_end(ap);
}

static const struct mon_member *find(const struct mon_snapshot *s, const char *name)
{
	for (int i = 0; i < s->n_members; i++)
		if (str_eq(s->members[i].name, name))
			return &s->members[i];
	return NULL;
}

static void describe(const struct mon_member *m, char *out, size_t size)
{
	if (m->timeline > 0)
		snprintf(out, size, "%s, %s, timeline %d", m->role, m->state, m->timeline);
	else
		snprintf(out, size, "%s, %s", m->role, m->state);
}

static void leader_events(const struct mon_snapshot *a, const struct mon_snapshot *b,
                          struct events *e)
{
	if (a->has_leader && b->has_leader && !str_eq(a->leader, b->leader))
		event(e, "leader %s -> %s", a->leader, b->leader);
	else if (a->has_leader && !b->has_leader)
		event(e, "no leader: %s released the leader key or its lease expired", a->leader);
	else if (!a->has_leader && b->has_leader)
		event(e, "%s took the leader key", b->leader);
	if (a->paused != b->paused)
		event(e, "maintenance mode %s", b->paused ? "on (paused)" : "off (resumed)");
}

/* member_events: one member present in both snapshots. */
static void member_events(const struct mon_member *a, const struct mon_member *b, struct events *e)
{
	bool leadership = str_eq(a->role, "leader") || str_eq(b->role, "leader");

	/* a change of leader is reported once, by leader_events */
	if (!str_eq(a->role, b->role) && !leadership)
		event(e, "%s: %s -> %s", b->name, a->role, b->role);
	if (!str_eq(a->state, b->state))
		event(e, "%s: %s -> %s", b->name, a->state, b->state);
	if (a->timeline != b->timeline && a->timeline > 0 && b->timeline > 0)
		event(e, "%s: timeline %d -> %d", b->name, a->timeline, b->timeline);
}

int ops_mon_diff(const struct mon_snapshot *prev, const struct mon_snapshot *cur,
                 char events[][OPS_MON_EVENT_LEN], int max)
{
	struct events e = {events, 0, max};
	char what[128];

	if (prev == NULL) {
		for (int i = 0; i < cur->n_members; i++) {
			describe(&cur->members[i], what, sizeof(what));
			event(&e, "%s: %s", cur->members[i].name, what);
		}
		if (!cur->has_leader)
			event(&e, "no leader");
		if (cur->paused)
			event(&e, "maintenance mode on (paused)");
		return e.n;
	}
	leader_events(prev, cur, &e);
	for (int i = 0; i < prev->n_members; i++)
		if (find(cur, prev->members[i].name) == NULL)
			event(&e, "%s left (its member key is gone)", prev->members[i].name);
	for (int i = 0; i < cur->n_members; i++) {
		const struct mon_member *b = &cur->members[i];
		const struct mon_member *a = find(prev, b->name);

		if (a != NULL) {
			member_events(a, b, &e);
			continue;
		}
		describe(b, what, sizeof(what));
		event(&e, "%s joined: %s", b->name, what);
	}
	return e.n;
}

/* --- log ----------------------------------------------------------------------------- */

void ops_mon_log_add(struct mon_log *log, const char *when, const char *text)
{
	struct mon_event *ev = &log->ring[log->next];

	snprintf(ev->when, sizeof(ev->when), "%s", when);
	snprintf(ev->text, sizeof(ev->text), "%s", text);
	log->next = (log->next + 1) % OPS_MON_RING;
	if (log->n < OPS_MON_RING)
		log->n++;
}

const struct mon_event *ops_mon_log_get(const struct mon_log *log, int k)
{
	if (k < 0 || k >= log->n)
		return NULL;
	return &log->ring[(log->next - 1 - k + 2 * OPS_MON_RING) % OPS_MON_RING];
}

/* --- screen -------------------------------------------------------------------------- */

void ops_mon_screen(const struct dcs_view *v, const char *scope, const char *now, bool watch_ok,
                    const struct mon_log *log, int n_events, struct buf *out)
{
	int shown = MIN(n_events, log->n);

	buf_printf(out, "pgha monitor: cluster %s at %s (Ctrl-C quits)\n\n", scope, now);
	if (!watch_ok)
		buf_puts(out, "WARNING: the etcd watch is not current; the view may be stale\n\n");
	client_members_table(v, scope, out);
	if (shown <= 0)
		return;
	buf_puts(out, "\nRecent events:\n");
	for (int k = shown - 1; k >= 0; k--) {
		const struct mon_event *ev = ops_mon_log_get(log, k);

		buf_printf(out, "  %s  %s\n", ev->when, ev->text);
	}
}
