/*
 * router_notify.h: what the router tells systemd (pgha-router.service is Type=notify
 * with WatchdogSec=): READY=1 once it listens and has a view of the cluster, WATCHDOG=1
 * from its event loop, a STATUS= line that says where clients go, STOPPING=1.
 *
 * The summary and the status line are pure; the rest sends through util/sdnotify, a
 * no-op outside systemd. router_notify_tick (router_int.h) is the loop's entry point.
 */
#ifndef PGHA_ROUTER_ROUTER_NOTIFY_H
#define PGHA_ROUTER_ROUTER_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "router/router_target.h"

#define RT_NOTIFY_STATUS_LEN 160

/* What the status line is made of: a summary of the loop's state at one instant. */
struct rt_notify_view {
	bool has_view;         /* a valid cluster view has been applied */
	bool dcs_ok;           /* the etcd watch is current */
	bool switchover;       /* new read-write clients are held for a switchover */
	const char *rw_target; /* name of the eligible read-write target, NULL = none */
	int ro_targets;        /* eligible read-only targets */
	int clients;           /* open client connections, held ones included */
	int held;              /* of which waiting for a target */
};

struct rt_notify {
	int64_t watchdog_ms;               /* ping period: half of WATCHDOG_USEC; 0 = no watchdog */
	int64_t next_watchdog_ms;          /* next WATCHDOG=1 is due then */
	int64_t next_status_ms;            /* the status line is recomputed then */
	bool ready;                        /* READY=1 was sent */
	bool warned;                       /* a failed send was logged (once) */
	char status[RT_NOTIFY_STATUS_LEN]; /* the last STATUS= sent */
};

/* rt_notify_init: reads the watchdog period systemd armed for this process (if any). */
void rt_notify_init(struct rt_notify *n, int64_t now_ms);
/* rt_notify_view_of: the summary of tbl at now_ms, with the loop's client counts. */
void rt_notify_view_of(const struct rt_table *tbl, int64_t now_ms, bool dcs_ok, int clients,
                       int held, struct rt_notify_view *out);
/*
 * rt_notify_status_line: e.g. "rw -> pg2, ro -> 2 replicas, 12 clients"; before the
 * first view "waiting for etcd: no view of the cluster yet, 3 clients (3 held)".
 */
void rt_notify_status_line(const struct rt_notify_view *v, char *out, size_t size);
/*
 * rt_notify_watchdog: WATCHDOG=1 when due. Called by the event loop on every
 * iteration, and only there: a stuck loop stops the pings. Returns when the next ping
 * is due (INT64_MAX without a watchdog).
 */
int64_t rt_notify_watchdog(struct rt_notify *n, int64_t now_ms);
/* rt_notify_status_due: READY or a status line should be computed now. */
bool rt_notify_status_due(const struct rt_notify *n, bool has_view, int64_t now_ms);
/*
 * rt_notify_update: READY=1 (with the status line) the first time v has a view, else
 * STATUS= when the line changed. Returns when the line is next recomputed.
 */
int64_t rt_notify_update(struct rt_notify *n, const struct rt_notify_view *v, int64_t now_ms);
/* rt_notify_stopping: STOPPING=1 and a last status line, once the loop has ended. */
void rt_notify_stopping(struct rt_notify *n, int clients);

#endif
