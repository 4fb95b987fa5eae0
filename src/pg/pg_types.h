/*
 * pg_types.h: what the agent observes of its local PostgreSQL, as plain values.
 * No I/O and no libpq types: the HA decision core reads these.
 */
#ifndef PGHA_PG_PG_TYPES_H
#define PGHA_PG_PG_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#define PG_MAX_REPLICATION 16
#define PG_NAME_LEN        64

/* The data directory, from pg_controldata (valid also while PostgreSQL is down). */
enum pg_data_state {
	PG_DATA_EMPTY = 0,          /* no data directory, or empty */
	PG_DATA_INVALID,            /* exists but is not a usable cluster (no PG_VERSION...) */
	PG_DATA_SHUT_DOWN,          /* "shut down": clean stop of a primary */
	PG_DATA_SHUT_DOWN_RECOVERY, /* "shut down in recovery": clean stop of a replica */
	PG_DATA_IN_PRODUCTION,      /* "in production": running or crashed primary */
	PG_DATA_IN_RECOVERY,        /* "in archive recovery": running or crashed replica */
	PG_DATA_OTHER,              /* starting up, shutting down, crash recovery... */
	PG_DATA__COUNT
};

/* The postmaster process as the agent supervises it. */
enum pg_proc_state {
	PG_PROC_STOPPED = 0, /* not running, stopped by us (or never started) */
	PG_PROC_STARTING,    /* started, not yet accepting connections */
	PG_PROC_RUNNING,     /* accepting connections */
	PG_PROC_STOPPING,    /* a stop is in progress */
	PG_PROC_CRASHED,     /* exited without being asked to */
	PG_PROC__COUNT
};

/* One row of pg_stat_replication, as a primary sees its standbys. */
struct pg_replica_conn {
	char application_name[PG_NAME_LEN]; /* the standby's member name */
	char client_addr[64];
	char state[24];      /* streaming, catchup, startup, backup... */
	char sync_state[16]; /* async, potential, sync, quorum */
	int sync_priority;
	uint64_t write_lsn;
	uint64_t flush_lsn;
	uint64_t replay_lsn;
};

/* WAL archiving as the primary sees it (pg_stat_archiver and archive_status/). */
struct pg_archiver {
	bool on;                 /* archive_mode is on */
	int ready;               /* files waiting to be archived (.ready) */
	int64_t oldest_ready_ms; /* epoch ms the oldest of them became ready; 0 = none */
	int64_t archived_count;  /* since the statistics were reset */
	int64_t failed_count;
	char last_archived_wal[64];
	int64_t last_archived_ms; /* epoch ms; 0 = never */
	char last_failed_wal[64];
	int64_t last_failed_ms; /* epoch ms; 0 = never */
};

struct pg_observation {
	enum pg_proc_state proc;     /* process supervision state */
	bool connected;              /* the observation query succeeded */
	enum pg_data_state data;     /* pg_controldata's state; when connected, from recovery */
	char system_id[32];          /* database system identifier, "" if unknown */
	int control_timeline;        /* latest checkpoint's TimeLineID (pg_control) */
	uint64_t control_checkpoint; /* latest checkpoint location */

	/* Below: only when connected. */
	bool in_recovery;     /* pg_is_in_recovery() */
	int timeline;         /* current timeline (primary: from WAL; replica: receiver/replay) */
	uint64_t wal_lsn;     /* primary: pg_current_wal_flush_lsn() */
	uint64_t receive_lsn; /* replica: pg_last_wal_receive_lsn(), 0 if none */
	uint64_t replay_lsn;  /* replica: pg_last_wal_replay_lsn() */
	int64_t replay_timestamp_ms; /* epoch ms of last replayed commit, 0 if none */
	bool replay_paused;
	bool receiver_streaming; /* pg_stat_wal_receiver.status = 'streaming' */
	char receiver_host[256]; /* sender_host of the WAL receiver */
	int receiver_port;
	char primary_slot_name[PG_NAME_LEN];
	char synchronous_standby_names[256]; /* current GUC value */
	bool pending_restart;                /* a changed parameter waits for a restart */
	int server_version;                  /* e.g. 150018 */
	int64_t postmaster_start_ms;         /* epoch ms */
	char postmaster_start_text[48];      /* "2026-11-25 18:00:00.123456+00" */
	struct pg_replica_conn replication[PG_MAX_REPLICATION];
	int n_replication;
	struct pg_archiver archiver; /* a primary's; zero on a standby */
};

const char *pg_data_state_str(enum pg_data_state s);
const char *pg_proc_state_str(enum pg_proc_state s);
/*
 * pg_observation_lsn: the position to compare in a race: a primary's flushed WAL, a
 * replica's max(received, replayed); 0 when not connected (unknown).
 */
uint64_t pg_observation_lsn(const struct pg_observation *o);

#endif
