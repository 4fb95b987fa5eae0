/*
 * ops_monitor.h: what `pgha monitor` shows: the events between two views of the
 * cluster (leader changes, members joining and leaving, role, state and timeline
 * changes, maintenance mode) and the screen (members table + recent events).
 *
 * Roles and states follow the members table (client_members.h, dcs_roles.h): a
 * non-leader is "sync_standby" or "replica", and its state is its replication state
 * ("streaming", "in archive recovery") when it publishes one.
 *
 * Pure: views in, text out; the caller supplies the time stamps.
 */
#ifndef PGHA_CLI_OPS_MONITOR_H
#define PGHA_CLI_OPS_MONITOR_H

#include <stdbool.h>
#include "dcs/dcs_types.h"
#include "util/buf.h"

#define OPS_MON_EVENT_LEN 192
#define OPS_MON_RING      200 /* events remembered (monitor --events is capped to it) */
#define OPS_MON_TIME_LEN  40

struct mon_member {
	char name[DCS_NAME_LEN];
	char role[16];  /* leader, sync_standby, replica */
	char state[32]; /* running, streaming, stopped... */
	int timeline;   /* 0 = unknown */
};

/* The part of a view the events are computed from. */
struct mon_snapshot {
	bool has_leader;
	char leader[DCS_NAME_LEN];
	bool paused; /* config key "pause" */
	struct mon_member members[DCS_MAX_MEMBERS];
	int n_members;
};

struct mon_event {
	char when[OPS_MON_TIME_LEN];
	char text[OPS_MON_EVENT_LEN];
};

/* The last OPS_MON_RING events, oldest dropped first. Zero-initialise it. */
struct mon_log {
	struct mon_event ring[OPS_MON_RING];
	int next; /* slot of the next event */
	int n;    /* events stored, <= OPS_MON_RING */
};

/* ops_mon_snapshot: the monitored facts of v. */
void ops_mon_snapshot(const struct dcs_view *v, struct mon_snapshot *s);
/*
 * ops_mon_diff: the events from prev to cur (prev NULL: the initial state, one event
 * per member), into events[max]; returns how many.
 */
int ops_mon_diff(const struct mon_snapshot *prev, const struct mon_snapshot *cur,
                 char events[][OPS_MON_EVENT_LEN], int max);
/* ops_mon_log_add: remembers one event with its time stamp. */
void ops_mon_log_add(struct mon_log *log, const char *when, const char *text);
/* ops_mon_log_get: the k-th most recent event (0 = newest), or NULL. */
const struct mon_event *ops_mon_log_get(const struct mon_log *log, int k);
/*
 * ops_mon_screen: the full-screen view (without the clear-screen sequence): a title
 * with scope and time, the members table, maintenance mode, a warning when the watch
 * is not current, and the last n_events events, newest last.
 */
void ops_mon_screen(const struct dcs_view *v, const char *scope, const char *now, bool watch_ok,
                    const struct mon_log *log, int n_events, struct buf *out);

#endif
