/*
 * pg_observe.c: the observation query: everything the HA loop and the REST API need
 * to know about the running PostgreSQL, in one round trip (two statements sent as
 * one simple query).
 *
 * Timeline. A primary's current timeline is the one it writes WAL on: the first 8
 * hex digits of pg_walfile_name(pg_current_wal_lsn()). pg_control's checkpoint
 * timeline would be wrong right after a promotion (PostgreSQL 15 promotes without
 * waiting for a checkpoint, so pg_control keeps the old timeline until the next one
 * completes). A replica's timeline is the one its WAL receiver last received
 * (pg_stat_wal_receiver.received_tli), which follows a timeline switch of the
 * upstream as soon as WAL of the new timeline arrives; without a receiver
 * (disconnected, archive recovery) the best SQL-visible value is the larger of the
 * latest restartpoint's and the minimum recovery point's timelines.
 */
#include "pg/pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log/log.h"
#include "util/strutil.h"

#define LSN(x) "pg_catalog.pg_wal_lsn_diff(" x ", '0/0')::bigint"

/* Column order is read by parse_main(). In recovery, pg_current_wal_* would fail:
 * CASE keeps them unevaluated. is_in_recovery is read once, so the row is coherent.
 * Written by hand, a column or two a line: clang-format breaks it at every macro. */
/* clang-format off */
static const char OBSERVE_SQL[] =
    "SELECT s.rec,"
    " CASE WHEN s.rec THEN NULL ELSE " LSN("pg_catalog.pg_current_wal_flush_lsn()") " END,"
    " CASE WHEN s.rec THEN NULL ELSE  pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn()) END,"
    " " LSN("pg_catalog.pg_last_wal_receive_lsn()") ","
    " " LSN("pg_catalog.pg_last_wal_replay_lsn()") ","
    " (extract(epoch FROM pg_catalog.pg_last_xact_replay_timestamp()) * 1000)::bigint,"
    " CASE WHEN s.rec THEN pg_catalog.pg_is_wal_replay_paused() ELSE false END,"
    " r.status, r.received_tli, r.sender_host, r.sender_port, r.slot_name,"
    " pg_catalog.current_setting('synchronous_standby_names'),"
    " (extract(epoch FROM pg_catalog.pg_postmaster_start_time()) * 1000)::bigint,"
    " pg_catalog.pg_postmaster_start_time()::text,"
    " c.timeline_id, " LSN("c.checkpoint_lsn") ","
    " y.system_identifier::text,"
    " v.min_recovery_end_timeline,"
    " EXISTS (SELECT 1 FROM pg_catalog.pg_settings WHERE pending_restart),"
    " pg_catalog.current_setting('archive_mode') <> 'off',"
    " CASE WHEN s.rec THEN NULL ELSE (SELECT count(*) FROM pg_catalog.pg_ls_archive_statusdir()"
    "   WHERE name LIKE '%.ready') END,"
    " CASE WHEN s.rec THEN NULL ELSE (SELECT (extract(epoch FROM min(modification)) * 1000)::bigint"
    "   FROM pg_catalog.pg_ls_archive_statusdir() WHERE name LIKE '%.ready') END,"
    " a.archived_count, a.last_archived_wal,"
    " (extract(epoch FROM a.last_archived_time) * 1000)::bigint,"
    " a.failed_count, a.last_failed_wal,"
    " (extract(epoch FROM a.last_failed_time) * 1000)::bigint"
    " FROM (SELECT pg_catalog.pg_is_in_recovery() AS rec) s"
    " CROSS JOIN pg_catalog.pg_stat_archiver a"
    " CROSS JOIN pg_catalog.pg_control_checkpoint() c"
    " CROSS JOIN pg_catalog.pg_control_system() y"
    " CROSS JOIN pg_catalog.pg_control_recovery() v"
    " LEFT JOIN pg_catalog.pg_stat_wal_receiver r ON true;"
    "SELECT application_name, pg_catalog.host(client_addr), state, sync_state, sync_priority,"
    " " LSN("write_lsn") ", " LSN("flush_lsn") ", " LSN("replay_lsn")
    " FROM pg_catalog.pg_stat_replication"
    " ORDER BY application_name, pid LIMIT 16";
/* clang-format on */
#define MAIN_COLUMNS 29

static const char *val(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static int64_t get_i64(const PGresult *r, int row, int col)
{
	const char *v = val(r, row, col);
	int64_t x;

	return v && str_parse_i64(v, &x) ? x : 0;
}

static bool get_bool(const PGresult *r, int row, int col)
{
	const char *v = val(r, row, col);

	return v && v[0] == 't';
}

/* get_str: display strings; an over-long value is cut (it is only shown). */
static void get_str(const PGresult *r, int row, int col, char *out, size_t size)
{
	const char *v = val(r, row, col);

	snprintf(out, size, "%s", v ? v : "");
}

/* walfile_timeline: "00000002000000000000000A" -> 2. */
static int walfile_timeline(const char *name)
{
	char hex[9];

	if (name == NULL || strlen(name) != 24)
		return 0;
	memcpy(hex, name, 8);
	hex[8] = '\0';
	return (int)strtol(hex, NULL, 16);
}

static int replica_timeline(const PGresult *r)
{
	int received = (int)get_i64(r, 0, 8);
	int checkpoint = (int)get_i64(r, 0, 15);
	int min_recovery = (int)get_i64(r, 0, 18);

	if (received > 0)
		return received;
	return MAX(checkpoint, min_recovery);
}

/* parse_archiver: columns 20..28 (a primary's archiving). */
static void parse_archiver(const PGresult *r, struct pg_archiver *a)
{
	a->on = get_bool(r, 0, 20);
	a->ready = (int)get_i64(r, 0, 21);
	a->oldest_ready_ms = get_i64(r, 0, 22);
	a->archived_count = get_i64(r, 0, 23);
	get_str(r, 0, 24, a->last_archived_wal, sizeof(a->last_archived_wal));
	a->last_archived_ms = get_i64(r, 0, 25);
	a->failed_count = get_i64(r, 0, 26);
	get_str(r, 0, 27, a->last_failed_wal, sizeof(a->last_failed_wal));
	a->last_failed_ms = get_i64(r, 0, 28);
}

static void parse_main(const PGresult *r, struct pg_observation *o)
{
	o->in_recovery = get_bool(r, 0, 0);
	o->wal_lsn = (uint64_t)get_i64(r, 0, 1);
	o->timeline = o->in_recovery ? replica_timeline(r) : walfile_timeline(val(r, 0, 2));
	o->receive_lsn = (uint64_t)get_i64(r, 0, 3);
	o->replay_lsn = (uint64_t)get_i64(r, 0, 4);
	o->replay_timestamp_ms = get_i64(r, 0, 5);
	o->replay_paused = get_bool(r, 0, 6);
	o->receiver_streaming = str_eq(val(r, 0, 7) ? val(r, 0, 7) : "", "streaming");
	get_str(r, 0, 9, o->receiver_host, sizeof(o->receiver_host));
	o->receiver_port = (int)get_i64(r, 0, 10);
	get_str(r, 0, 11, o->primary_slot_name, sizeof(o->primary_slot_name));
	get_str(r, 0, 12, o->synchronous_standby_names, sizeof(o->synchronous_standby_names));
	o->postmaster_start_ms = get_i64(r, 0, 13);
	get_str(r, 0, 14, o->postmaster_start_text, sizeof(o->postmaster_start_text));
	o->control_timeline = (int)get_i64(r, 0, 15);
	o->control_checkpoint = (uint64_t)get_i64(r, 0, 16);
	get_str(r, 0, 17, o->system_id, sizeof(o->system_id));
	o->pending_restart = get_bool(r, 0, 19);
	if (!o->in_recovery)
		parse_archiver(r, &o->archiver);
	/* Connected means running; pg_control says the same in these words. */
	o->data = o->in_recovery ? PG_DATA_IN_RECOVERY : PG_DATA_IN_PRODUCTION;
}

/*
 * remember_timeline: a standby whose upstream just stopped has no WAL receiver, and
 * its restartpoint may still name the previous timeline until the next checkpoint.
 * The timeline it last received on is the one it replays: keep it across the gap.
 */
static void remember_timeline(struct pg_node *n, const PGresult *r, struct pg_observation *o)
{
	int received = (int)get_i64(r, 0, 8);

	if (!o->in_recovery)
		return;
	if (received > 0)
		n->received_tli = received;
	else if (n->received_tli > o->timeline)
		o->timeline = n->received_tli;
}

static void parse_replication(const PGresult *r, struct pg_observation *o)
{
	int rows = MIN(PQntuples(r), PG_MAX_REPLICATION);

	for (int i = 0; i < rows; i++) {
		struct pg_replica_conn *c = &o->replication[i];

		get_str(r, i, 0, c->application_name, sizeof(c->application_name));
		get_str(r, i, 1, c->client_addr, sizeof(c->client_addr));
		get_str(r, i, 2, c->state, sizeof(c->state));
		get_str(r, i, 3, c->sync_state, sizeof(c->sync_state));
		c->sync_priority = (int)get_i64(r, i, 4);
		c->write_lsn = (uint64_t)get_i64(r, i, 5);
		c->flush_lsn = (uint64_t)get_i64(r, i, 6);
		c->replay_lsn = (uint64_t)get_i64(r, i, 7);
	}
	o->n_replication = rows;
}

/* note_failure: a PostgreSQL that is down fails every cycle; say so once. */
static void note_failure(struct pg_node *n, const char *err)
{
	if (n->sql.failure_logged || n->proc.state == PG_PROC_STARTING) {
		log_debug("cannot observe PostgreSQL: %s", err);
		return;
	}
	log_warn("cannot observe PostgreSQL: %s", err);
	n->sql.failure_logged = true;
}

bool pg_observe_sql(struct pg_node *n, struct pg_observation *o, int timeout_ms)
{
	PGresult *res[PG_SQL_MAX_RESULTS];
	int nres = 0;
	char err[512];

	if (!pg_sql_query(&n->sql, OBSERVE_SQL, 0, NULL, timeout_ms, res, &nres, err,
	                  sizeof(err))) {
		note_failure(n, err);
		return false;
	}
	if (nres != 2 || PQntuples(res[0]) != 1 || PQnfields(res[0]) != MAIN_COLUMNS) {
		log_error("observation query: unexpected result shape");
		pg_sql_clear(res, nres);
		return false;
	}
	if (n->sql.failure_logged)
		log_info("PostgreSQL answers again");
	n->sql.failure_logged = false;
	parse_main(res[0], o);
	remember_timeline(n, res[0], o);
	parse_replication(res[1], o);
	o->server_version = n->sql.conn ? PQserverVersion(n->sql.conn) : 0;
	o->connected = true;
	pg_sql_clear(res, nres);
	return true;
}
