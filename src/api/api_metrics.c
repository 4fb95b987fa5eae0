/*
 * api_metrics.c: GET /metrics, Prometheus text format. The patroni_* series are
 * Patroni 4.x's (names, help texts, labels scope and name), so existing
 * dashboards and alerts keep working; pgha_* series add what pgha knows beyond
 * that (lock lifetime left, loop punctuality, lag). Pure: now_ms is passed in.
 */
#include "api/api_render.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "util/compiler.h"
#include "util/strutil.h"

/* Patroni's PostgresqlState indexes; they never change (monitoring relies on them). */
static const char *const pg_states[] = {
    "initializing new cluster",
    "initdb failed",
    "running custom bootstrap script",
    "custom bootstrap failed",
    "creating replica",
    "running",
    "starting",
    "starting after custom bootstrap",
    "start failed",
    "restarting",
    "restart failed",
    "stopping",
    "stopped",
    "stop failed",
    "crashed",
};

struct metrics {
	struct buf *out;
	char labels[2 * 3 * DCS_NAME_LEN + 32]; /* {scope="..",name=".."}, escaped */
};

/* escape_label: a label value with \, " and newline escaped, as the format wants. */
static void escape_label(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in != '\0' && o + 3 < size; in++) {
		if (*in == '\\' || *in == '"') {
			out[o++] = '\\';
			out[o++] = *in;
		} else if (*in == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

static void emit(struct metrics *m, const char *name, const char *type, const char *help,
                 const char *value)
{
	buf_printf(m->out, "# HELP %s %s\n# TYPE %s %s\n%s%s %s\n", name, help, name, type, name,
	           m->labels, value);
}

static void emit_int(struct metrics *m, const char *name, const char *type, const char *help,
                     int64_t value)
{
	char text[32];

	snprintf(text, sizeof(text), "%" PRId64, value);
	emit(m, name, type, help, text);
}

/* emit_epoch: epoch ms as seconds with a fraction (Patroni prints a float), 0 if unset. */
static void emit_epoch(struct metrics *m, const char *name, const char *help, int64_t epoch_ms)
{
	char text[40];

	if (epoch_ms <= 0)
		snprintf(text, sizeof(text), "0");
	else
		snprintf(text, sizeof(text), "%" PRId64 ".%03d", epoch_ms / 1000,
		         (int)(epoch_ms % 1000));
	emit(m, name, "gauge", help, text);
}

/* padded_version: Patroni's semver without periods, each part zero-padded: 4.1.4 -> 040104. */
static void padded_version(const char *version, char *out, size_t size)
{
	size_t o = 0;
	const char *p = version;

	out[0] = '\0';
	for (int part = 0; part < 3 && o + 1 < size; part++) {
		int v = 0;

		while (*p >= '0' && *p <= '9' && v < 1000)
			v = v * 10 + (*p++ - '0');
		o += (size_t)snprintf(out + o, size - o, "%02d", v);
		if (*p == '.')
			p++;
	}
}

static int state_index(const char *state)
{
	for (size_t i = 0; i < ARRAY_LEN(pg_states); i++) {
		if (str_eq(state, pg_states[i]))
			return (int)i;
	}
	return -1;
}

static void emit_identity(struct metrics *m, const struct api_snapshot *s,
                          const struct api_facts *f)
{
	char version[16];

	padded_version(s->version, version, sizeof(version));
	emit(m, "patroni_version", "gauge", "Patroni semver without periods.", version);
	emit_int(m, "patroni_postgres_running", "gauge",
	         "Value is 1 if Postgres is running, 0 otherwise.", str_eq(f->state, "running"));
	emit_epoch(m, "patroni_postmaster_start_time", "Epoch seconds since Postgres started.",
	           f->sql_ok ? s->pg.postmaster_start_ms : 0);
	emit_int(m, "patroni_primary", "gauge",
	         "Value is 1 if this node is the leader, 0 otherwise.", f->is_primary);
	emit_int(m, "patroni_xlog_location", "counter",
	         "Current location of the Postgres transaction log, 0 if this node is not the "
	         "leader.",
	         f->sql_ok && !f->is_replica ? (int64_t)s->pg.wal_lsn : 0);
	emit_int(m, "patroni_standby_leader", "gauge",
	         "Value is 1 if this node is the standby_leader, 0 otherwise.",
	         str_eq(f->role, "standby_leader"));
	emit_int(m, "patroni_replica", "gauge",
	         "Value is 1 if this node is a replica, 0 otherwise.", f->is_replica);
	emit_int(m, "patroni_sync_standby", "gauge",
	         "Value is 1 if this node is a sync standby, 0 otherwise.", f->is_sync);
	emit_int(m, "patroni_quorum_standby", "gauge",
	         "Value is 1 if this node is a quorum standby, 0 otherwise.", 0);
}

static void emit_replication(struct metrics *m, const struct api_snapshot *s,
                             const struct api_facts *f)
{
	bool replica = f->sql_ok && f->is_replica;

	emit_int(m, "patroni_xlog_received_location", "counter",
	         "Current location of the received Postgres transaction log, 0 if this node is "
	         "not a replica.",
	         replica ? (int64_t)f->received_lsn : 0);
	emit_int(m, "patroni_xlog_replayed_location", "counter",
	         "Current location of the replayed Postgres transaction log, 0 if this node is "
	         "not a replica.",
	         replica ? (int64_t)f->replayed_lsn : 0);
	emit_epoch(m, "patroni_xlog_replayed_timestamp",
	           "Current timestamp of the replayed Postgres transaction log, 0 if null.",
	           replica ? s->pg.replay_timestamp_ms : 0);
	emit_int(m, "patroni_xlog_paused", "gauge",
	         "Value is 1 if the Postgres xlog is paused, 0 otherwise.",
	         replica && s->pg.replay_paused);
	if (f->sql_ok && s->pg.server_version >= 90600) {
		emit_int(m, "patroni_postgres_streaming", "gauge",
		         "Value is 1 if Postgres is streaming, 0 otherwise.", f->streaming);
		/* pgha never configures restore_command: no archive recovery. */
		emit_int(m, "patroni_postgres_in_archive_recovery", "gauge",
		         "Value is 1 if Postgres is replicating from archive, 0 otherwise.", 0);
	}
}

static void emit_cluster(struct metrics *m, const struct api_snapshot *s, const struct api_facts *f)
{
	emit_int(m, "patroni_postgres_server_version", "gauge",
	         "Version of Postgres (if running), 0 otherwise.",
	         f->sql_ok ? s->pg.server_version : 0);
	emit_int(m, "patroni_cluster_unlocked", "gauge",
	         "Value is 1 if the cluster is unlocked, 0 if locked.", f->cluster_unlocked);
	emit_int(m, "patroni_failsafe_mode_is_active", "gauge",
	         "Value is 1 if failsafe mode is active, 0 if inactive.", f->failsafe_active);
	emit_int(m, "patroni_postgres_timeline", "counter",
	         "Postgres timeline of this node (if running), 0 otherwise.",
	         f->sql_ok ? s->pg.timeline : 0);
	emit_int(m, "patroni_dcs_last_seen", "gauge",
	         "Epoch timestamp when DCS was last contacted successfully by Patroni.",
	         s->dcs_last_seen_s);
	emit_int(m, "patroni_pending_restart", "gauge",
	         "Value is 1 if the node needs a restart, 0 otherwise.", s->pending_restart);
	emit_int(m, "patroni_is_paused", "gauge",
	         "Value is 1 if auto failover is disabled, 0 otherwise.", s->pause);
	emit_int(m, "patroni_postgres_state", "gauge",
	         "Numeric representation of Postgres state (0=initializing new cluster ... "
	         "5=running ... 12=stopped ... 14=crashed, -1=other).",
	         state_index(f->state));
	emit_int(m, "patroni_failover_priority", "gauge",
	         "Failover priority of this node (0 = never promoted).",
	         s->nofailover ? 0 : s->failover_priority);
}

static void emit_failsafe(struct metrics *m, const struct api_snapshot *s)
{
	emit_int(m, "pgha_failsafe_mode", "gauge",
	         "Value is 1 if failsafe_mode is on in the dynamic configuration, 0 otherwise.",
	         s->failsafe_mode);
	emit_int(m, "pgha_failsafe_rounds_confirmed_total", "counter",
	         "Failsafe rounds of this primary that every member of the failsafe key accepted.",
	         (int64_t)s->failsafe_confirmed);
	emit_int(m, "pgha_failsafe_rounds_failed_total", "counter",
	         "Failsafe rounds of this primary that a member refused or did not answer in "
	         "time (or that came back past the deadline).",
	         (int64_t)s->failsafe_failed);
}

static void emit_pgha(struct metrics *m, const struct api_snapshot *s, const struct api_facts *f,
                      int64_t now_ms)
{
	int64_t lease_left_ms = f->is_leader ? s->leader_valid_until_ms - now_ms : 0;
	int64_t lag_bytes = -1;

	if (f->sql_ok && f->is_replica)
		lag_bytes = f->leader_optime > f->replayed_lsn
		                ? (int64_t)(f->leader_optime - f->replayed_lsn)
		                : 0;
	emit_int(m, "pgha_leader", "gauge",
	         "Value is 1 while this node holds an unexpired leader lock, 0 otherwise.",
	         f->is_leader);
	emit_int(m, "pgha_leader_lock_remaining_ms", "gauge",
	         "Milliseconds until this node's leader lock expires unless renewed, 0 if none.",
	         lease_left_ms);
	emit_int(m, "pgha_dcs_ok", "gauge",
	         "Value is 1 if the last DCS operation succeeded and the view is current.",
	         f->dcs_available);
	emit_int(m, "pgha_ha_loop_due_in_ms", "gauge",
	         "Milliseconds until the next HA cycle is due (negative: it is late).",
	         s->next_cycle_ms - now_ms);
	emit_int(m, "pgha_snapshot_age_ms", "gauge",
	         "Age of the state this API answers from, in milliseconds.", now_ms - s->now_ms);
	emit_int(m, "pgha_replication_lag_bytes", "gauge",
	         "Replayed WAL behind the leader's last known position, -1 if not a replica.",
	         lag_bytes);
	emit_int(m, "pgha_cluster_members", "gauge", "Members registered in the DCS view.",
	         s->view.valid ? s->view.n_members : 0);
	emit_failsafe(m, s);
}

/* emit_archive: a primary's WAL archiving (pgBackRest); -1 and 0 elsewhere. */
static void emit_archive(struct metrics *m, const struct api_snapshot *s)
{
	const struct pg_archiver *a = &s->pg.archiver;
	bool on = s->pg.connected && !s->pg.in_recovery && a->on;
	int64_t lag_s =
	    on && a->ready > 0 && a->oldest_ready_ms > 0 && s->wall_ms > a->oldest_ready_ms
	        ? (s->wall_ms - a->oldest_ready_ms) / 1000
	        : 0;

	emit_int(m, "pgha_archive_ready_files", "gauge",
	         "WAL files waiting to be archived on this primary, -1 if it does not archive.",
	         on ? a->ready : -1);
	emit_int(m, "pgha_archive_lag_seconds", "gauge",
	         "How long the oldest WAL file waiting to be archived has waited, in seconds.",
	         lag_s);
	emit_int(m, "pgha_archived_files_total", "counter",
	         "WAL files archived since the statistics were reset (pg_stat_archiver).",
	         on ? a->archived_count : 0);
	emit_int(m, "pgha_archive_failures_total", "counter",
	         "Failed archive_command runs since the statistics were reset.",
	         on ? a->failed_count : 0);
	emit_epoch(m, "pgha_archive_last_archived_time",
	           "Epoch seconds of the last WAL file archived, 0 if none.",
	           on ? a->last_archived_ms : 0);
	emit_epoch(m, "pgha_archive_last_failed_time",
	           "Epoch seconds of the last failed archive_command, 0 if none.",
	           on ? a->last_failed_ms : 0);
}

void api_render_metrics(const struct api_snapshot *s, const struct api_facts *f, int64_t now_ms,
                        struct buf *out)
{
	struct metrics m = {.out = out};
	char scope[2 * DCS_NAME_LEN];
	char name[2 * DCS_NAME_LEN];

	escape_label(s->scope, scope, sizeof(scope));
	escape_label(s->name, name, sizeof(name));
	snprintf(m.labels, sizeof(m.labels), "{scope=\"%s\",name=\"%s\"}", scope, name);
	emit_identity(&m, s, f);
	emit_replication(&m, s, f);
	emit_cluster(&m, s, f);
	emit_pgha(&m, s, f, now_ms);
	emit_archive(&m, s);
}
