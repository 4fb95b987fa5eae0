/*
 * agent_int.h: the agent's state and the functions its files share. Private to ha/.
 *
 *   observe (ha_observe.c)  PostgreSQL, the DCS view from the watch cache, the lease,
 *                           and the peers' /patroni when the leader key is free
 *   decide  (ha_decide.c)   pure: a plan of actions and a reason
 *   apply   (ha_apply.c)    idempotent I/O; stops at the first failed action
 *   publish (ha_observe.c)  members/<name>, status, and the REST API's snapshot
 *
 * The thread contract (docs/agent.md, "Threads", tells it to users):
 *  - the HA loop (the thread that called agent_main) owns struct agent: every field
 *    not marked otherwise is read and written by it alone;
 *  - REST API threads (agent_ops.c) read only what is marked "REST": the published
 *    snapshot under status_mu, the dynamic configuration through agent_dyn_get, the
 *    REST client under api_dcs_mu, the request flags (atomics), the watch cache
 *    (dcs_snapshot is thread-safe), and they call agent_kick;
 *  - the lease keeper's threads reach the agent only through its callbacks
 *    (agent_kick, the fence); the watchdog thread reads heartbeat_ms and busy;
 *  - PostgreSQL is started, stopped, promoted and reconfigured by the HA loop alone;
 *    the fencer may stop it immediately (pg_fence_now, which is thread-safe), nobody
 *    else touches it.
 */
#ifndef PGHA_HA_AGENT_INT_H
#define PGHA_HA_AGENT_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "api/api.h"
#include "api/api_snapshot.h"
#include "backup/backup.h"
#include "config/config.h"
#include "dcs/dcs.h"
#include "ha/ha_failsafe.h"
#include "ha/ha_types.h"
#include "ha/lease.h"
#include "util/thread.h"

struct lease_keeper;
struct pg_node;
struct pg_archive;
struct pg_role_conf;
struct pooler;
struct api_server;
struct clocksrc;
struct dcs_mem;

/* Requests from the REST API to the HA loop (one slot each; the loop clears them). REST */
struct agent_requests {
	atomic_bool restart;     /* POST /restart */
	atomic_bool reinit;      /* POST /reinitialize */
	atomic_bool reload;      /* POST /reload or SIGHUP */
	atomic_bool shutdown;    /* SIGTERM/SIGINT */
	atomic_int restart_done; /* generation counters the API waits on */
	atomic_int reinit_done;
};

/* What of the DCS view warrants an immediate cycle when it changes (agent.c). */
struct agent_view_mark {
	bool valid;
	bool has_leader;
	char leader[DCS_NAME_LEN];
	int64_t leader_rev, config_rev, failover_rev, sync_rev;
	bool has_initialize;
};

/* pgBackRest as the HA loop drives it (agent_backup.c). HA loop only. */
struct agent_backup {
	bool enabled;
	struct backup_paths paths;
	struct backup_cmd cmd;    /* bin, the node's pgbackrest.conf, the stanza */
	char job_log[PATH_MAX];   /* the jobs' output */
	char info_json[PATH_MAX]; /* info's JSON */
	pid_t job_pid;            /* the running job, 0 = none */
	char job_kind[16];        /* stanza, info, check, full, diff, incr */
	char job_request[40];     /* the request it carries out, "" = the leader's own */
	off_t job_log_offset;     /* where its output starts in job_log */
	int64_t job_started_ms;
	bool stanza_ok;          /* created or found since this node leads */
	bool info_known;         /* info read since this node leads */
	char answer_request[40]; /* a backup request answered once info names its label */
	int64_t retry_at_ms;     /* after a failed job, the schedule waits until then */
	struct backup_info info; /* the repository as last read */
};

/*
 * failsafe_mode on this node (agent_failsafe.c; docs/agent.md, "Failsafe mode"). The
 * replica side (what POST /failsafe is judged on, and the window it opens) is shared
 * with the REST threads under mu; the rest is the HA loop's.
 */
#define AGENT_FS_WRITES 4
struct agent_fs {
	pthread_mutex_t mu;               /* guards the fields marked REST */
	struct ha_fs_replica replica;     /* REST: the judge's facts, refreshed each cycle */
	int64_t ttl_ms;                   /* REST: a window lasts this long */
	int64_t window_until_ms;          /* REST: 0 = no window */
	char window_leader[DCS_NAME_LEN]; /* REST */
	uint64_t lsn;                     /* REST: received/replayed LSN, the "lsn" header */
	int64_t refusal_logged_ms;        /* REST: the last refusal logged */
	char user[CONFIG_NAME_LEN];       /* restapi credentials the rounds send (set once) */
	char password[CONFIG_SECRET_LEN];

	/* HA loop only. */
	struct ha_fs_write writes[AGENT_FS_WRITES]; /* lists written that may still matter */
	int n_writes;
	struct dcs_failsafe seen;         /* members of recent views, with api_url */
	int64_t seen_ms[DCS_MAX_MEMBERS]; /* missing from current views since, 0: present */
	char leader_url[DCS_URL_LEN];     /* api_url of the last leader (race probes) */
};

/*
 * The dynamic configuration in effect: immutable once published, shared by reference.
 * The HA loop replaces it when the config key changes (agent_refresh_dyn) and reads
 * its own a->dyn without a lock (it is the only writer of the pointer); any other
 * thread takes a reference with agent_dyn_get and drops it with agent_dyn_put, so a
 * replacement never frees what a REST request is reading.
 */
struct agent_dyn {
	atomic_int refs;
	int64_t revision;      /* mod_revision of the config key, -1: bootstrap.dcs */
	struct dyn_config cfg; /* owned */
};

struct agent {
	struct config cfg;      /* the node's YAML configuration; reloads change tags, parameters,
	                           pool settings and the log level (HA loop only) */
	struct clocksrc *clock; /* time of the loop and of the REST waits (REST) */
	pthread_mutex_t dyn_mu; /* guards the pointer dyn for readers other than the loop */
	struct agent_dyn *dyn;  /* REST through agent_dyn_get */
	const char *endpoints[CONFIG_MAX_ETCD + 1]; /* borrowed from cfg */
	struct dcs_options dcs_opt;
	struct dcs *dcs;            /* HA loop's client; runs the watch (REST: dcs_snapshot) */
	struct dcs *api_dcs;        /* REST API's client (switchover, config) */
	pthread_mutex_t api_dcs_mu; /* REST: one request at a time on api_dcs */
	struct lease_keeper *lease; /* thread-safe */
	struct pg_node *pg;
	struct pooler *pooler; /* PgBouncer, when pgbouncer.enabled */
	bool pooler_up;        /* it ran at the end of the last cycle */
	struct api_server *api;
	int signal_fd;
	int kick_fd; /* eventfd: the lease keeper or the REST API wants a cycle (REST) */

	/* Memory across cycles. */
	char upstream[DCS_NAME_LEN];          /* member our standby config points at */
	char rewind_failed_for[DCS_NAME_LEN]; /* leader a rewind from failed */
	int64_t crashed_since_ms;             /* PostgreSQL seen crashed since, 0 if not */
	int64_t failover_due_since_ms;        /* the failover key below seen due since, or 0 */
	int64_t failover_due_rev;             /* that key's revision */
	bool pg_start_failed;
	enum ha_rule last_rule;
	const char *last_reason; /* static text of the last decision logged */
	char last_detail[DCS_NAME_LEN * 2];
	char state_override[32]; /* "creating replica"... during long actions */
	char slots_for[1024];    /* member names the slots were last made for */
	int64_t slots_synced_ms; /* when the slots were last made */
	uint64_t status_optime;  /* last status optime written */
	int64_t status_written_ms;
	int64_t last_dcs_ok_s; /* epoch s of the last good DCS view */
	int64_t next_cycle_ms;
	struct agent_view_mark decided_on; /* the view the last cycle decided on */
	int64_t waiting_logged_ms;         /* rate limit for "waiting for etcd" */

	struct agent_backup backup; /* pgBackRest (agent_backup.c) */

	struct agent_requests req; /* REST */
	struct agent_fs fs;        /* REST in part, see above */

	/* systemd's watchdog is petted by a thread of its own while the HA loop progresses. */
	_Atomic int64_t heartbeat_ms; /* CLOCK_BOOTTIME ms the last cycle started */
	atomic_bool busy;             /* a long action (clone, rewind, stop) is running */
	atomic_bool watchdog_stop;
	pthread_t watchdog;
	bool watchdog_on;

	pthread_mutex_t status_mu;  /* guards status */
	struct api_snapshot status; /* what the REST API serves (REST under status_mu) */
};

/* --- the dynamic configuration (agent_dyn.c) ---------------------------------------- */

/* agent_dyn_new: a snapshot of cfg (copied) at revision, one reference. */
struct agent_dyn *agent_dyn_new(const struct dyn_config *cfg, int64_t revision);
/* agent_dyn_get: a reference to the configuration in effect (any thread). */
struct agent_dyn *agent_dyn_get(struct agent *a);
/* agent_dyn_put: drops a reference; the last one frees. NULL is fine. */
void agent_dyn_put(struct agent_dyn *d);
/* agent_dyn_publish: makes d (whose reference it takes) the configuration in effect;
 * HA loop only. */
void agent_dyn_publish(struct agent *a, struct agent_dyn *d);

/* --- set-up and the loop (agent.c) ------------------------------------------------------ */

/* Where the agent's DCS, time and threads come from: unit tests' seams (NULL: etcd,
 * real time, thread_start). */
struct agent_seams {
	struct dcs_mem *mem;
	struct clocksrc *clock;
	thread_spawn_fn *spawn;
	lease_fs_post_fn *fs_post; /* NULL: agent_fs_round (HTTP) */
	void *fs_post_ctx;
};
/*
 * agent_open: sets a up for cfg (taken over), opening its DCS clients, PostgreSQL node,
 * PgBouncer and lease keeper; false (logged) if any cannot start, the lease keeper's
 * fencer included. agent_close releases whatever was opened, even after a failure.
 */
bool agent_open(struct agent *a, struct config *cfg, const struct agent_seams *seams);
void agent_close(struct agent *a);
/* agent_cycle: observe, decide, publish, apply; returns ms until the next cycle is due. */
int64_t agent_cycle(struct agent *a);

/* --- failsafe_mode (agent_failsafe.c) ------------------------------------------------- */

void agent_fs_init(struct agent *a);
void agent_fs_free(struct agent *a);
/*
 * agent_fs_observe: in->failsafe from what this node knows; and, with a current view,
 * the leader it last saw, the members seen lately (the list's debounce), a window the
 * view contradicts closed (someone else holds the key).
 */
void agent_fs_observe(struct agent *a, struct ha_input *in);
/* agent_fs_probe_extra: members to probe in a race that the view lacks (failsafe list,
 * last leader): a primary running on failsafe has no member key any more. */
void agent_fs_probe_extra(struct agent *a, const struct ha_input *in, struct dcs_failsafe *out);
/*
 * agent_fs_begin_race: before taking the leader key: false while a window is open (a
 * confirmed primary may still write); else no POST is accepted until agent_fs_end_race.
 * agent_fs_end_race: acquired: this node leads now and refuses every POST.
 */
bool agent_fs_begin_race(struct agent *a);
void agent_fs_end_race(struct agent *a, bool acquired);
/* agent_fs_after_cycle: what the lease keeper needs, after a cycle with a current view. */
void agent_fs_after_cycle(struct agent *a, const struct ha_input *in);
/* agent_fs_publish / agent_fs_delete: the failsafe key actions (leader only). */
enum dcs_cas agent_fs_publish(struct agent *a, const struct ha_input *in,
                              const struct dcs_failsafe *list);
enum dcs_cas agent_fs_delete(struct agent *a, const struct ha_input *in);
/*
 * agent_fs_live_until: when failsafe stops carrying this node (0: it does not): the
 * primary's failsafe deadline while it rests on one, or a replica's window. Any thread.
 */
int64_t agent_fs_live_until(struct agent *a, const struct ha_lease *lease);
/* agent_fs_post: POST /failsafe (api_ops.failsafe; REST threads). */
int agent_fs_post(void *ctx, const struct api_failsafe_post *req, struct buf *reply, char *lsn,
                  size_t lsnlen);
/* agent_fs_round: lease_fs_post_fn over HTTP with this node's REST credentials. */
void agent_fs_round(void *ctx, const struct dcs_failsafe *targets, const char *body, int timeout_ms,
                    bool *accepted);

/* --- between the agent's own files ---------------------------------------------------- */

/* agent_kick: run a cycle now (thread-safe; from the lease keeper and the REST API). */
void agent_kick(struct agent *a);
/* agent_reload: re-reads the YAML and applies what can change live (agent_reload.c). */
void agent_reload(struct agent *a);
/* Observation of one cycle (ha_observe.c). */
void agent_observe(struct agent *a, struct ha_input *in);
/* Applies the plan; returns true when something changed (re-run the cycle soon). */
bool agent_apply(struct agent *a, const struct ha_input *in, const struct ha_decision *d);
/* Publishes the member key, the status key (leader) and the REST snapshot. */
void agent_publish(struct agent *a, const struct ha_input *in, const struct ha_decision *d);
/*
 * agent_publish_promoted: right after a promotion, the REST API answers as the primary
 * it now is, instead of after the rest of the plan and the next cycle: routers and load
 * balancers confirm a new leader with GET /primary. Does nothing unless the lease
 * keeper holds the key.
 */
void agent_publish_promoted(struct agent *a, const struct ha_input *in);
/* agent_set_state: a Patroni state shown during a long action ("creating replica"). */
void agent_set_state(struct agent *a, const char *state, const struct ha_input *in);
/* agent_refresh_dyn: applies the etcd config key when it changed (HA loop only). */
void agent_refresh_dyn(struct agent *a, const struct dcs_view *view);
/* --- pgBackRest (agent_backup.c) ------------------------------------------------------------ */

/*
 * agent_backup_open: with the pgbackrest section on: pgbackrest's binary and the node's
 * directories (agent_backup_write_conf then writes its pgbackrest.conf). False
 * (logged) when one is missing: PostgreSQL would keep every WAL file it cannot archive.
 */
bool agent_backup_open(struct agent *a) MUST_CHECK;
/*
 * agent_backup_cancel: stops the running job, if any (a restore begins: the job would
 * read a primary that stops, or write into the repository the restore reads); its
 * request is answered failed with why.
 */
void agent_backup_cancel(struct agent *a, const char *why);
/* agent_backup_close: stops a running job, frees what was read. */
void agent_backup_close(struct agent *a);
/* agent_backup_write_conf: the node's pgbackrest.conf again (retention changed). */
bool agent_backup_write_conf(struct agent *a);
/* agent_backup_archive: the archive_command and restore_command PostgreSQL gets. */
void agent_backup_archive(const struct agent *a, struct pg_archive *out);
/* agent_backup_observe: reaps a finished job, forgets what only a leader knows, fills
 * in->backup. */
void agent_backup_observe(struct agent *a, struct ha_input *in);
/* agent_backup_start: starts the job what names (HA_ACT_BACKUP_JOB); false if it
 * could not. */
bool agent_backup_start(struct agent *a, const struct ha_input *in, const char *what);

/*
 * agent_restore: the leader's restore of the restore key's target (agent_restore.c):
 * its data directory replaced by pgBackRest's restore (the old one kept aside),
 * recovered to the target and promoted on a new timeline, then the key marked ready
 * (or failed, the old directory back in place). False when it could not go on.
 */
bool agent_restore(struct agent *a, const struct ha_input *in);
/*
 * agent_recover: starts PostgreSQL with role (a recovery start: recovery.signal and a
 * target, or the end of the archive) and waits up to timeout_ms until it has promoted
 * itself. False with why when PostgreSQL exits (a target out of the archive's reach)
 * or takes too long.
 */
bool agent_recover(struct agent *a, const struct pg_role_conf *role, int timeout_ms, char *why,
                   size_t size);
/*
 * agent_clone: the data directory of a replica of from, with create_replica_methods in
 * their order (agent_clone.c); false when none worked.
 */
bool agent_clone(struct agent *a, const struct ha_input *in, const struct dcs_member *from);
/*
 * agent_bootstrap_method: a new cluster's data with bootstrap.method (pgha's pgbackrest
 * restore, or the user's command), recovered and promoted, running as a primary.
 */
bool agent_bootstrap_method(struct agent *a, const struct ha_input *in);
/* agent_write_history: the history key from this primary's timeline history file. */
bool agent_write_history(struct agent *a, const struct ha_input *in);

/* agent_conn_url / agent_api_url: this node's published URLs. */
void agent_conn_url(const struct agent *a, char *out, size_t size);
void agent_api_url(const struct agent *a, char *out, size_t size);

#endif
