/*
 * router_notify.c: the router's sd_notify messages (see router_notify.h).
 *
 * systemd starts the units ordered after pgha-router once it says READY=1, so READY
 * waits for the first view of the cluster: before it the router listens but can only
 * hold clients. The watchdog is pinged from the event loop itself, at half the period
 * systemd expects, so a loop stuck for a whole period gets the router restarted; the
 * etcd watch and HTTP threads never ping. The status line is recomputed at most twice
 * a second and sent only when it changed: client counts move with every connection.
 */
#include "router/router_notify.h"

#include <stdio.h>
#include <string.h>
#include "dcs/dcs.h"
#include "log/log.h"
#include "router/router_int.h"
#include "util/compiler.h"
#include "util/sdnotify.h"

#define STATUS_EVERY_MS 500

void rt_notify_init(struct rt_notify *n, int64_t now_ms)
{
	memset(n, 0, sizeof(*n));
	n->watchdog_ms = (int64_t)(sdnotify_watchdog_usec() / 2000);
	if (n->watchdog_ms == 0 && sdnotify_watchdog_usec() > 0)
		n->watchdog_ms = 1; /* a sub-2 ms WatchdogSec: ping every iteration */
	n->next_watchdog_ms = now_ms;
	n->next_status_ms = now_ms;
}

void rt_notify_view_of(const struct rt_table *tbl, int64_t now_ms, bool dcs_ok, int clients,
                       int held, struct rt_notify_view *out)
{
	memset(out, 0, sizeof(*out));
	out->has_view = tbl->has_view;
	out->dcs_ok = dcs_ok;
	out->switchover = tbl->switchover_pending && tbl->hold_on_switchover;
	out->clients = clients;
	out->held = held;
	for (int i = 0; i < RT_MAX_TARGETS; i++) {
		if (out->rw_target == NULL && rt_eligible(tbl, i, RT_RW, now_ms))
			out->rw_target = tbl->t[i].name;
		if (rt_eligible(tbl, i, RT_RO, now_ms))
			out->ro_targets++;
	}
}

static const char *rw_part(const struct rt_notify_view *v)
{
	if (v->rw_target != NULL)
		return v->rw_target;
	return v->switchover ? "none (switchover: new clients held)" : "none (new clients held)";
}

void rt_notify_status_line(const struct rt_notify_view *v, char *out, size_t size)
{
	char clients[64];
	char ro[32];

	if (v->held > 0)
		snprintf(clients, sizeof(clients), "%d client%s (%d held)", v->clients,
		         v->clients == 1 ? "" : "s", v->held);
	else
		snprintf(clients, sizeof(clients), "%d client%s", v->clients,
		         v->clients == 1 ? "" : "s");
	if (!v->has_view) {
		snprintf(out, size, "waiting for etcd: no view of the cluster yet, %s", clients);
		return;
	}
	if (v->ro_targets == 0)
		snprintf(ro, sizeof(ro), "none");
	else
		snprintf(ro, sizeof(ro), "%d replica%s", v->ro_targets,
		         v->ro_targets == 1 ? "" : "s");
	snprintf(out, size, "rw -> %s, ro -> %s, %s%s", rw_part(v), ro, clients,
	         v->dcs_ok ? "" : "; etcd watch behind, routing on the last view");
}

/* sent: logs the first failure (systemd's socket gone is worth one line, not one a second). */
static void sent(struct rt_notify *n, enum sdnotify_result r, const char *what)
{
	if (r != SDNOTIFY_FAILED || n->warned)
		return;
	n->warned = true;
	log_warn("router: cannot tell systemd %s: %m", what);
}

int64_t rt_notify_watchdog(struct rt_notify *n, int64_t now_ms)
{
	if (n->watchdog_ms == 0)
		return INT64_MAX;
	if (now_ms >= n->next_watchdog_ms) {
		sent(n, sdnotify_watchdog(), "WATCHDOG=1");
		n->next_watchdog_ms = now_ms + n->watchdog_ms;
	}
	return n->next_watchdog_ms;
}

bool rt_notify_status_due(const struct rt_notify *n, bool has_view, int64_t now_ms)
{
	return now_ms >= n->next_status_ms || (has_view && !n->ready);
}

int64_t rt_notify_update(struct rt_notify *n, const struct rt_notify_view *v, int64_t now_ms)
{
	char line[RT_NOTIFY_STATUS_LEN];

	rt_notify_status_line(v, line, sizeof(line));
	if (v->has_view && !n->ready) {
		sent(n, sdnotify_ready(line), "READY=1");
		n->ready = true;
		snprintf(n->status, sizeof(n->status), "%s", line);
	} else if (strcmp(line, n->status) != 0) {
		sent(n, sdnotify_status(line), "STATUS=");
		snprintf(n->status, sizeof(n->status), "%s", line);
	}
	n->next_status_ms = now_ms + STATUS_EVERY_MS;
	return n->next_status_ms;
}

void rt_notify_stopping(struct rt_notify *n, int clients)
{
	char line[RT_NOTIFY_STATUS_LEN];

	sent(n, sdnotify_stopping(), "STOPPING=1");
	snprintf(line, sizeof(line), "stopping: closing %d client connection%s", clients,
	         clients == 1 ? "" : "s");
	sent(n, sdnotify_status(line), "STATUS=");
}

/* --- the loop's side ------------------------------------------------------------------- */

int64_t router_notify_tick(struct router *r)
{
	int64_t next = rt_notify_watchdog(&r->notify, r->now_ms);
	struct rt_notify_view v;

	if (!rt_notify_status_due(&r->notify, r->targets.has_view, r->now_ms))
		return MIN(next, r->notify.next_status_ms);
	rt_notify_view_of(&r->targets, r->now_ms, dcs_watch_healthy(r->dcs), r->n_clients,
	                  r->held[RT_RW].n + r->held[RT_RO].n, &v);
	return MIN(next, rt_notify_update(&r->notify, &v, r->now_ms));
}

void router_notify_stopping(struct router *r)
{
	rt_notify_stopping(&r->notify, r->n_clients);
}
