/*
 * dcs_types.h: the cluster as seen in the DCS (etcd), in Patroni's layout, as plain
 * values. No I/O and no library types here: the HA decision core reads these.
 *
 * Keys live under /<namespace>/<scope>/ : leader, members/<name>, config, initialize,
 * sync, failover, failsafe, history, status. See docs/patroni.md.
 */
#ifndef PGHA_DCS_DCS_TYPES_H
#define PGHA_DCS_DCS_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#define DCS_NAME_LEN    64
#define DCS_URL_LEN     256
#define DCS_MAX_MEMBERS 16
#define DCS_MAX_SYNC    8
#define DCS_MAX_HISTORY 64

/* pgha's extension of a primary's member key: its WAL archiving ("archive"). */
struct dcs_archive {
	bool present;
	int ready;               /* WAL files waiting to be archived */
	int64_t oldest_ready_ms; /* epoch ms the oldest of them became ready; 0 = none */
	char last_archived_wal[64];
	int64_t last_archived_ms; /* epoch ms; 0 = never */
	int64_t failed_count;
	char last_failed_wal[64];
	int64_t last_failed_ms; /* epoch ms; 0 = never */
};

/* pgha's extension: where pgBackRest reaches the member's PostgreSQL ("pgbackrest"). */
struct dcs_backup_pg {
	char path[DCS_URL_LEN];        /* data directory, "" = not published */
	char socket_path[DCS_URL_LEN]; /* unix socket directory */
	int port;
};

/* What a member publishes about itself in members/<name> (JSON in etcd). */
struct dcs_member {
	char name[DCS_NAME_LEN];
	char conn_url[DCS_URL_LEN]; /* postgres://host:port/postgres */
	char api_url[DCS_URL_LEN];  /* http://host:port/patroni */
	char host[DCS_URL_LEN];     /* derived from conn_url */
	int port;                   /* derived from conn_url */
	char pooler[DCS_URL_LEN];   /* pgha extension: PgBouncer "host:port", "" if none */
	char state[32];             /* running, starting, stopped, creating replica, ... */
	char role[32];              /* primary (or master), replica, demoted, uninitialized */
	bool has_xlog;              /* xlog_location present */
	uint64_t xlog_location;     /* primary: flush LSN; replica: max(receive, replay) */
	uint64_t receive_lsn;       /* replicas; 0 if unknown */
	uint64_t replay_lsn;        /* replicas; 0 if unknown */
	char replication_state[24]; /* "streaming", "in archive recovery" or "" */
	int timeline;               /* 0 if unknown */
	bool nofailover;            /* tags */
	bool noloadbalance;
	bool nosync;
	int failover_priority;          /* default 1; 0 = never promote */
	bool pause;                     /* member reports the cluster paused */
	int64_t mod_revision;           /* etcd revision of the key */
	int64_t lease;                  /* etcd lease the key is attached to */
	struct dcs_archive archive;     /* pgha: a primary's archiving */
	struct dcs_backup_pg backup_pg; /* pgha: for a backup from this member */
};

/*
 * dcs_request_outcome: how a request ended. The request that replaces it in the key
 * carries it along: its requester polls, and may look only after the next request was
 * written.
 */
struct dcs_request_outcome {
	char id[40];
	char state[16]; /* done, failed, ready */
	char result[256];
	int timeline; /* restore: the new timeline */
};

/*
 * pgha's request keys, which Patroni does not have: "backup" (a backup or a check asked
 * of the leader) and "restore" (the cluster brought back to a point in time). The
 * requester writes one (create-if-absent, or over a finished one); who carries it out
 * writes its state back, each write a compare on mod_revision.
 */
struct dcs_request {
	bool present;              /* the key exists and parsed */
	int64_t mod_revision;      /* set whenever the key exists, even unreadable */
	char id[40];               /* the requester's, to recognise its own */
	char kind[16];             /* backup: full, diff, incr, check; restore: time, latest, set */
	char target[64];           /* restore: the time or the backup's label */
	char leader[DCS_NAME_LEN]; /* restore: the member restored (the leader asked) */
	int from_timeline;         /* restore: the cluster's timeline when asked */
	char state[16];            /* "" (asked), then running, done, failed; restore:
	                              restoring, ready, failed */
	char member[DCS_NAME_LEN]; /* who carries it out */
	int timeline;              /* restore: the new timeline, once ready */
	char result[256];          /* backup: the label; failed: why; restore: what was kept */
	char requested_at[40];     /* ISO 8601 */
	struct dcs_request_outcome previous; /* the request this one replaced, if it had ended */
};

/* The sync key: who may be promoted in synchronous mode. */
struct dcs_sync {
	bool present;                              /* key exists and parsed */
	char leader[DCS_NAME_LEN];                 /* "" means sync mode not active */
	char standbys[DCS_MAX_SYNC][DCS_NAME_LEN]; /* sync_standby, split on ',' */
	int n_standbys;
	int64_t mod_revision; /* for CAS writes; set even if malformed */
};

/* The failover key: a pending switchover (leader set) or manual failover (member only). */
struct dcs_failover {
	bool present;                  /* key exists, parsed, and is not {} */
	char leader[DCS_NAME_LEN];     /* switchover from this leader; "" = any */
	char member[DCS_NAME_LEN];     /* candidate; "" = any eligible */
	char scheduled_at[40];         /* ISO 8601 or "" */
	int64_t scheduled_at_epoch_ms; /* parsed scheduled_at; 0 = now */
	int64_t mod_revision;          /* set whenever the key exists, even as {} or garbage */
};

/* How the failsafe key reads. */
enum dcs_fs_key {
	DCS_FS_ABSENT = 0, /* no such key: no restriction */
	DCS_FS_VALID,      /* a non-empty object of member name -> api_url */
	DCS_FS_INVALID     /* exists but unreadable (not JSON, not such an object, empty) */
};

/*
 * The failsafe key (Patroni 3.0's failsafe_mode): the members a primary cut off from
 * etcd must hear from over their REST API to keep running, as the leader last wrote
 * them. While it exists, only a member it names may take the free leader key.
 */
struct dcs_failsafe {
	enum dcs_fs_key state;
	char names[DCS_MAX_MEMBERS][DCS_NAME_LEN];
	char api_urls[DCS_MAX_MEMBERS][DCS_URL_LEN]; /* http://host:port/patroni */
	int n;
	int64_t mod_revision; /* set whenever the key exists, even unreadable (CAS over it) */
};

/* One line of the history key: the switch from timeline tl to tl+1 at lsn. */
struct dcs_history_entry {
	int timeline;
	uint64_t switch_lsn;
	char reason[64];
	char timestamp[40];
	char new_leader[DCS_NAME_LEN];
};

struct dcs_view {
	bool valid;       /* a complete, current snapshot of the prefix */
	int64_t revision; /* etcd revision the view reflects */

	bool has_leader;           /* the key exists (even with an unreadable value) */
	char leader[DCS_NAME_LEN]; /* value of the leader key; "" if unreadable */
	int64_t leader_lease;      /* lease the leader key is attached to */
	int64_t leader_mod_revision;
	int64_t leader_create_revision; /* the leadership "epoch" */

	bool has_initialize; /* the key exists: never initdb a new cluster */
	char initialize[32]; /* system identifier, "" while bootstrapping */

	bool has_config;             /* key present and a JSON object */
	int64_t config_mod_revision; /* set whenever the key exists (CAS over garbage) */
	char *config_json;           /* owned raw text of the config key, or NULL */

	struct dcs_sync sync;
	struct dcs_failover failover;
	struct dcs_failsafe failsafe;

	struct dcs_history_entry history[DCS_MAX_HISTORY]; /* oldest first, newest kept */
	int n_history;
	char *history_json; /* owned raw text of the history key, or NULL */

	bool has_status;
	uint64_t status_optime; /* leader's last WAL position (status.optime) */

	struct dcs_request backup;  /* pgha's "backup" key */
	struct dcs_request restore; /* pgha's "restore" key */

	struct dcs_member members[DCS_MAX_MEMBERS]; /* sorted by name */
	int n_members;
	int n_members_refused; /* > 0: etcd held this many members, more than DCS_MAX_MEMBERS,
	                          so the view is invalid and members is empty */
};

/* dcs_view_member: the member called name, or NULL. Borrowed. */
const struct dcs_member *dcs_view_member(const struct dcs_view *v, const char *name);
/* dcs_view_leader_member: members/<leader>, or NULL when unknown. Borrowed. */
const struct dcs_member *dcs_view_leader_member(const struct dcs_view *v);
/* dcs_sync_has: name is listed as a sync standby (case-insensitive, as Patroni). */
bool dcs_sync_has(const struct dcs_sync *s, const char *name);
/* dcs_failsafe_has: the failsafe key names name (exactly, as member names are). */
bool dcs_failsafe_has(const struct dcs_failsafe *fs, const char *name);
/* dcs_failsafe_url: the api_url the failsafe key gives name, or NULL. Borrowed. */
const char *dcs_failsafe_url(const struct dcs_failsafe *fs, const char *name);
/* dcs_view_timeline: cluster timeline from history (last tl + 1; 1 when empty). */
int dcs_view_timeline(const struct dcs_view *v);
/* dcs_request_pending: r exists and is neither finished nor failed. */
bool dcs_request_pending(const struct dcs_request *r);
/*
 * dcs_request_follow: next is to replace current (the key as read): it carries current's
 * outcome if current has ended, else none.
 */
void dcs_request_follow(struct dcs_request *next, const struct dcs_request *current);
/*
 * dcs_request_outcome_of: request id's outcome when the key (as read) holds the request
 * that replaced it: out = its id, state, result and timeline (present). False when the
 * key does not carry it.
 */
bool dcs_request_outcome_of(const struct dcs_request *key, const char *id, struct dcs_request *out);
/* dcs_member_is_primary_role: role "primary" or "master" (Patroni 3.x). */
bool dcs_member_is_primary_role(const struct dcs_member *m);

#endif
