/*
 * pg.h: the agent's local PostgreSQL: its files, its process and its state.
 *
 * The postmaster is started directly (no pg_ctl) as a child of the agent, with a
 * parent-death signal, so that PostgreSQL cannot outlive its agent: a primary whose
 * agent died stops acknowledging writes at once (docs/design.md, invariant 5).
 * The agent owns postgresql.conf (rendered from the merged parameters, role and
 * upstream on every start), standby.signal and pg_hba.conf; initdb's original
 * postgresql.conf is kept as postgresql.base.conf and included first.
 *
 * Blocking: every call blocks, bounded by its timeout. Errors are logged once here
 * (with PostgreSQL's message or the tool's output) and reported as false.
 */
#ifndef PGHA_PG_PG_H
#define PGHA_PG_PG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "config/config.h"
#include "pg/pg_types.h"
#include "util/compiler.h"

struct pg_node;

/* Bound of the calls that take no timeout (pg_initdb uses 5 minutes). */
#define PG_ADMIN_TIMEOUT_MS 10000
#define PG_CMD_LEN          (PATH_MAX + 256) /* archive_command, restore_command */

/* How the local PostgreSQL should run; rendered into postgresql.conf by pg_start. */
struct pg_role_conf {
	bool standby;            /* write standby.signal and primary_conninfo */
	char upstream_host[256]; /* primary to stream from ("" = none yet) */
	int upstream_port;
	char slot_name[PG_NAME_LEN];         /* primary_slot_name, "" = none */
	char synchronous_standby_names[256]; /* for a primary */
	/*
	 * A restore's one start: archive recovery (recovery.signal) up to a target, then
	 * promotion. Never kept: the next role rendered has none of it, so a restored node
	 * cannot stop at an old target again and promote itself as a standby.
	 */
	bool recovery;
	char recovery_target[32];         /* "recovery_target_time", "recovery_target"
	                                     ("immediate")...; "" = the end of the archive */
	char recovery_target_value[64];   /* its value */
	char restore_command[PG_CMD_LEN]; /* another repository's ("" = the node's own) */
	bool keep_auto_conf;              /* a bootstrap command's own recovery settings (Patroni's
	                                     keep_existing_recovery_conf): postgresql.auto.conf untouched */
};

/*
 * Continuous archiving managed by pgha (pgBackRest): the commands pgha owns in
 * postgresql.conf, with archive_mode on, on every node (a standby archives nothing
 * until it is promoted). Empty: the user's parameters decide, as without pgha.
 */
struct pg_archive {
	char archive_command[PG_CMD_LEN];
	char restore_command[PG_CMD_LEN];
};

struct pg_node_options {
	const struct config *cfg;           /* borrowed for the node's lifetime */
	const struct pg_params *dcs_params; /* cluster-wide parameters (copied) */
	const struct pg_archive *archive;   /* pgha's archiving (copied); NULL = none */
	const char *log_path; /* postmaster's and tools' output; NULL = <data_dir>.log */
	/* Sent to the postmaster when the agent dies (SIGKILL; 0 = none). Linux sends it
	 * when the *thread* that called pg_start exits: call pg_start from a thread that
	 * lives as long as the agent. */
	int death_signal;
};

/*
 * pg_node_new: owned; nothing is started. NULL (logged) if the configuration cannot
 * be used: postgresql.listen without a port, paths too long for a unix socket...
 * The log (<data_dir>.log) and the unix socket directory (<data_dir>.sock, when
 * postgresql.socket_dir is unset) live next to the data directory, not inside it:
 * pg_basebackup and pg_rewind copy every file of their source's data directory, and
 * pg_rewind fails on a socket. The passfile defaults to <data_dir>.pgpass.
 * Threads: one thread drives a node; only pg_fence_now may be called from another.
 */
struct pg_node *pg_node_new(const struct pg_node_options *opt) MUST_CHECK;
void pg_node_free(struct pg_node *n);
/*
 * pg_node_set_params: new cluster-wide parameters. When they differ from the current
 * ones, a running PostgreSQL reloads its re-rendered configuration at once (a stopped
 * one gets them at its next start). False if the reload failed (logged).
 */
bool pg_node_set_params(struct pg_node *n, const struct pg_params *dcs_params);
/*
 * pg_node_set_archive: new archiving commands (NULL: none); a running PostgreSQL
 * reloads (archive_command and restore_command need no restart; archive_mode does,
 * and shows as pending_restart). False if the reload failed.
 */
bool pg_node_set_archive(struct pg_node *n, const struct pg_archive *archive);
/* pg_reload: re-renders the configuration files for the current role and reloads a
 * running PostgreSQL (after the node's YAML changed). True when not running. */
bool pg_reload(struct pg_node *n);

/* --- observation ---------------------------------------------------------------- */

/*
 * pg_observe: fills o: process state and (when it can connect within timeout_ms) the
 * SQL observation in one round trip, which also reads pg_control; otherwise the data
 * directory's facts from pg_controldata. Never fails: what could not be observed is
 * left unset (o->connected false). A frozen PostgreSQL costs timeout_ms (plus the
 * few ms of pg_controldata); the connection is kept and re-made after a failure.
 */
void pg_observe(struct pg_node *n, struct pg_observation *o, int timeout_ms);
/* pg_proc_state: supervision state without I/O (reaps the child if it exited). */
enum pg_proc_state pg_proc_state(struct pg_node *n);
/* pg_postmaster_fd: pollable fd readable when the postmaster exits, or -1 if not running. */
int pg_postmaster_fd(struct pg_node *n);
pid_t pg_postmaster_pid(const struct pg_node *n);
/* pg_node_socket_dir: the unix socket directory (absolute). Borrowed. */
const char *pg_node_socket_dir(const struct pg_node *n);
/* pg_data_system_id: the data directory's system identifier ("" if none) into out. */
bool pg_data_system_id(struct pg_node *n, char *out, size_t size);

/* --- lifecycle -------------------------------------------------------------------- */

/*
 * pg_initdb: initdb with bootstrap.initdb options (plus --data-checksums, which
 * pg_rewind relies on), the superuser and its password, then pgha's pg_hba.conf.
 */
bool pg_initdb(struct pg_node *n) MUST_CHECK;
/*
 * pg_bootstrap_roles: on a new primary, creates (or updates) the replication user
 * (LOGIN REPLICATION) and the rewind user (LOGIN + the functions pg_rewind needs)
 * and sets their passwords (sent already SCRAM-hashed). Idempotent.
 */
bool pg_bootstrap_roles(struct pg_node *n, int timeout_ms) MUST_CHECK;
/*
 * pg_basebackup: clones the data directory from host:port with the replication user
 * (fast checkpoint, WAL streamed). A non-empty data directory is moved aside first
 * (renamed data_dir.<timestamp>, never deleted). extra: more options ("--max-rate=10M",
 * Patroni's basebackup section), NULL-terminated, or NULL.
 */
bool pg_basebackup(struct pg_node *n, const char *host, int port, const char *const *extra,
                   int timeout_ms) MUST_CHECK;
enum pg_rewind_result {
	PG_REWIND_DONE,
	PG_REWIND_SOURCE_NOT_READY, /* nothing touched: try again later */
	PG_REWIND_FAILED,           /* the caller may re-clone */
};
/*
 * pg_rewind: rewinds the (stopped) data directory to the source primary; PostgreSQL
 * 15's pg_rewind runs crash recovery first if the target was not shut down cleanly
 * (standby.signal is removed for that; pg_start writes it again). PostgreSQL 15's
 * pg_rewind takes the source's timeline from its pg_control, stale until the first
 * checkpoint after a promotion, and accepts a source still in recovery; either way the
 * rewound node can never start. So the source is checked first over a superuser
 * connection: it must be out of recovery (waited for a few seconds, else
 * PG_REWIND_SOURCE_NOT_READY) and is CHECKPOINTed if needed. pg_rewind itself uses the
 * rewind user (superuser if unset). pg_rewind's output is logged.
 */
enum pg_rewind_result pg_rewind(struct pg_node *n, const char *host, int port,
                                int timeout_ms) MUST_CHECK;
/*
 * pg_move_data_aside: renames data_dir to data_dir.<suffix>.<timestamp> (never
 * deletes); the new name into moved_to (may be NULL). True too when there was nothing.
 */
bool pg_move_data_aside(struct pg_node *n, const char *suffix, char *moved_to,
                        size_t size) MUST_CHECK;
/*
 * pg_start: renders the files for role (postgresql.conf, standby.signal, pg_hba.conf,
 * pg_ident.conf, passfile) and starts the postmaster; does not wait for it to accept
 * connections (pg_wait_ready). After a SIGKILLed postmaster it first waits (up to
 * 10 s) for the orphaned backends to release the old shared memory.
 */
bool pg_start(struct pg_node *n, const struct pg_role_conf *role) MUST_CHECK;
/*
 * pg_wait_ready: waits until PostgreSQL accepts connections; false at once if the
 * postmaster exits (its exit status and the log's last lines are logged), or after
 * timeout_ms (a standby accepts connections only once consistent).
 */
bool pg_wait_ready(struct pg_node *n, int timeout_ms) MUST_CHECK;

enum pg_stop_mode {
	PG_STOP_SMART = 0, /* SIGTERM: wait for clients */
	PG_STOP_FAST,      /* SIGINT: disconnect clients, shutdown checkpoint */
	PG_STOP_IMMEDIATE, /* SIGQUIT: no checkpoint; used for fencing */
	PG_STOP_KILL       /* SIGKILL of the postmaster (last resort) */
};
/*
 * pg_stop: stops the postmaster; escalates to SIGKILL after timeout_ms. true once it
 * is gone (also when it was not running).
 */
bool pg_stop(struct pg_node *n, enum pg_stop_mode mode, int timeout_ms) MUST_CHECK;
/*
 * pg_fence_now: async-signal-safe, lock-free immediate stop (SIGQUIT to the
 * postmaster), no wait; callable from any thread or a signal handler.
 */
void pg_fence_now(struct pg_node *n);

/* --- running node ----------------------------------------------------------------- */

/*
 * pg_promote: pg_promote(wait) on a running standby; true once out of recovery. The
 * running postmaster then counts as a primary (pg_reconfigure with a primary role is
 * a reload). Follow with pg_checkpoint before anyone rewinds from this node.
 */
bool pg_promote(struct pg_node *n, int timeout_ms) MUST_CHECK;
/*
 * pg_reconfigure: re-renders postgresql.conf for role and reloads (SIGHUP); a standby's
 * new upstream takes effect without a restart (PostgreSQL 13+ restarts the WAL
 * receiver). Returns false, touching nothing, if the change needs a restart (standby
 * <-> primary). PostgreSQL not running: nothing to do (pg_start renders), true.
 * Parameters that need a restart show up as pg_observation.pending_restart.
 */
bool pg_reconfigure(struct pg_node *n, const struct pg_role_conf *role) MUST_CHECK;
/* pg_checkpoint: CHECKPOINT (after promotion, so that pg_rewind sees the new timeline). */
bool pg_checkpoint(struct pg_node *n, int timeout_ms) MUST_CHECK;
/*
 * pg_sync_slots: creates the slots of wanted[] that are missing (a physical one
 * reserving WAL at once, a logical one in its database), and drops the slots this node
 * created itself earlier that are no longer wanted, unless active (retried on the next
 * call) or matching ignore[]. A slot it did not create (a backup tool's, a user's) is
 * never dropped: what this node created is recorded next to its data directory
 * (<data_dir>.slots). Temporary slots are never touched. False when a step failed
 * (logged); bounded by PG_ADMIN_TIMEOUT_MS per statement.
 */
bool pg_sync_slots(struct pg_node *n, const struct slot_spec *wanted, int n_wanted,
                   const struct slot_match *ignore, int n_ignore) MUST_CHECK;
/*
 * pg_archive_flush: on a primary, switches to a new WAL file and waits up to
 * timeout_ms until the one it closed is archived (pg_stat_archiver), so that the
 * archive holds every commit made so far. True at once when nothing was written since
 * the last switch. False (logged) on a standby, without archiving, or on timeout.
 */
bool pg_archive_flush(struct pg_node *n, int timeout_ms) MUST_CHECK;
/*
 * pg_data_adopt: a data directory written by another program (pgBackRest's restore, a
 * replica or bootstrap method's command) made the node's own: mode 0700, another
 * node's socket lock files removed, and (unless keep_auto_conf) postgresql.auto.conf
 * cleaned of what pgha owns (pg_start does that too) and of any recovery target. False
 * (logged) if it is not a data directory.
 */
bool pg_data_adopt(struct pg_node *n, bool keep_auto_conf) MUST_CHECK;
/* pg_exec: runs one SQL command as superuser (tests, chaos, small admin steps). */
bool pg_exec(struct pg_node *n, const char *sql, int timeout_ms) MUST_CHECK;

/* --- pure helpers (unit-tested) ------------------------------------------------------ */

/* pg_slot_name: Patroni's slot name for a member (lower-case, [a-z0-9_], u%04d escapes). */
void pg_slot_name(const char *member, char *out, size_t size);
/* pg_controldata_parse: pg_controldata output -> fields of o (data, system_id, timeline,
 * checkpoint). */
bool pg_controldata_parse(const char *text, struct pg_observation *o) MUST_CHECK;
/* pg_conninfo_quote: a libpq conninfo value, single-quoted and escaped; false if too long. */
bool pg_conninfo_quote(const char *value, char *out, size_t size) MUST_CHECK;

#endif
