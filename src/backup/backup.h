/*
 * backup.h: pgBackRest as pgha drives it: its configuration files, its command lines,
 * and what its `info` says (the backups, the archive, the recovery window), plus the
 * pure rules built on that: which backup is due, and which backup a replica may be
 * made from. pgha writes no backup code of its own: pgBackRest copies, compresses,
 * checksums, archives and restores.
 *
 * Files of one node, all under pgbackrest.path (docs/backup.md):
 *   pgbackrest.conf  the node's own: pg1 = its data directory. archive-push and
 *                    archive-get (archive_command, restore_command), stanza-create,
 *                    check, info, restore;
 *   backup.conf      the leader's, written before each backup: pg1 = itself, then the
 *                    members a backup may copy its files from (backup-standby);
 *   source.conf      another repository, read only: a new cluster made from a backup;
 *   log/, lock/, spool/  per node: pgBackRest's locks and async spool are per stanza,
 *                    so nodes sharing a host (a lab) must not share them.
 *
 * Rendering and parsing are pure; backup_exec runs a command and logs its failure.
 */
#ifndef PGHA_BACKUP_BACKUP_H
#define PGHA_BACKUP_BACKUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "config/config.h"
#include "util/buf.h"
#include "util/compiler.h"

#define BACKUP_LABEL_LEN 64
#define BACKUP_WAL_LEN   32 /* a WAL file name: 24 hex digits */

/* --- files and command lines --------------------------------------------------------------- */

struct backup_paths {
	char conf[PATH_MAX];        /* <path>/pgbackrest.conf */
	char backup_conf[PATH_MAX]; /* <path>/backup.conf */
	char source_conf[PATH_MAX]; /* <path>/source.conf */
	char log[PATH_MAX];         /* <path>/log */
	char lock[PATH_MAX];        /* <path>/lock */
	char spool[PATH_MAX];       /* <path>/spool */
};

/* backup_paths_of: the files under pb->path; false if a path does not fit. */
bool backup_paths_of(const struct pgbackrest_conf *pb, struct backup_paths *out) MUST_CHECK;

/* One PostgreSQL instance as pgBackRest's pgN-* options name it. */
struct backup_pg {
	const char *path;       /* data directory */
	int port;               /* PostgreSQL's port */
	const char *socket_dir; /* pgBackRest connects through the unix socket */
	const char *user;       /* the superuser (peer authentication as the OS user) */
};

struct backup_conf_input {
	const char *member;                 /* named in the header comment */
	const struct pgbackrest_conf *pb;   /* stanza, options */
	const struct backup_paths *paths;   /* log, lock and spool directories */
	const struct backup_policy *policy; /* retention; NULL: none written */
	const struct backup_pg *pgs;        /* pg1 first */
	int n_pgs;
	/* Another repository (source.conf): its options replace every repo* option of pb,
	 * and source_stanza names the section. NULL: the cluster's own repository. */
	const struct pg_params *source;
	const char *source_stanza;
};

/*
 * backup_conf_render: a pgBackRest configuration file: [global] with the options
 * (pgha's paths and retention last), [<stanza>] with pg1..pgN. Values are written as
 * they are (pgBackRest reads to the end of the line; config.c refused line breaks).
 */
void backup_conf_render(const struct backup_conf_input *in, struct buf *out);

/*
 * backup_archive_command / backup_restore_command: PostgreSQL's archive_command and
 * restore_command for a node: `'<bin>' '--config=<conf>' '--stanza=<stanza>'
 * archive-push "%p"` (archive-get %f "%p"), every word shell-quoted.
 */
void backup_archive_command(const char *bin, const char *conf, const char *stanza, struct buf *out);
void backup_restore_command(const char *bin, const char *conf, const char *stanza, struct buf *out);

/* A pgBackRest command line: bin --config=C --stanza=S [options] command. */
struct backup_cmd {
	const char *bin;
	const char *conf;
	const char *stanza;
};

/*
 * backup_argv: owned, NULL-terminated argv (free with backup_argv_free); opts may be
 * NULL. Options go before the command, as pgBackRest accepts them.
 */
char **backup_argv(const struct backup_cmd *c, const char *const *opts, const char *command);
void backup_argv_free(char **argv);

/* What a restore restores. */
enum backup_target_kind {
	BACKUP_TARGET_LATEST = 0, /* the latest backup, then every archived WAL */
	BACKUP_TARGET_TIME,       /* the newest backup before the time, then WAL up to it */
	BACKUP_TARGET_SET,        /* that backup, up to its consistency point */
	BACKUP_TARGET__COUNT
};

struct backup_target {
	enum backup_target_kind kind;
	char value[64]; /* TIME: 'YYYY-MM-DD HH:MM:SS+ZZ'; SET: the backup's label */
};

/*
 * backup_restore_opts: the options of a restore into pg_path (NULL: pg1-path): for a
 * target (recovery then promotes), or as a standby (standby true: --type=standby,
 * set = the backup to use, "" = the newest). delta: only what differs is copied.
 * Owned vector (backup_argv_free).
 */
char **backup_restore_opts(const char *pg_path, const struct backup_target *t, bool standby,
                           const char *set, bool delta);

/*
 * backup_exec: runs argv (as the calling user), at most timeout_ms, with its output
 * appended to log_path (stdout into out instead, when out is not NULL: `info`'s JSON).
 * False when it fails or times out, logged with the command and its last words.
 */
bool backup_exec(char *const *argv, int timeout_ms, const char *log_path,
                 struct buf *out) MUST_CHECK;
/*
 * backup_exec_as: backup_exec as the user uid:gid (the repository's and the node's
 * files belong to it: a tool run as root must not leave root's files among them). The
 * caller must be root.
 */
bool backup_exec_as(char *const *argv, int timeout_ms, const char *log_path, struct buf *out,
                    uid_t uid, gid_t gid) MUST_CHECK;
/* backup_command_name: the pgBackRest command of argv (its last word), for messages. */
const char *backup_command_name(char *const *argv);

/* --- info ------------------------------------------------------------------------------------ */

enum backup_type {
	BACKUP_NONE = 0,
	BACKUP_FULL,
	BACKUP_DIFF,
	BACKUP_INCR,
	BACKUP_TYPE__COUNT
};

/* backup_type_name: "full", "diff", "incr" ("none"); backup_type_parse: the inverse. */
const char *backup_type_name(enum backup_type t);
enum backup_type backup_type_parse(const char *s);

/* One backup of the repository, from `pgbackrest info --output=json`. */
struct backup_set {
	char label[BACKUP_LABEL_LEN];
	enum backup_type type;
	char prior[BACKUP_LABEL_LEN]; /* diff, incr: the backup it depends on */
	int64_t start_s, stop_s;      /* epoch seconds */
	uint64_t lsn_start, lsn_stop;
	int timeline; /* of its first WAL file */
	char wal_start[BACKUP_WAL_LEN], wal_stop[BACKUP_WAL_LEN];
	int64_t size;       /* database bytes */
	int64_t delta;      /* bytes this backup copied */
	int64_t repo_size;  /* bytes in the repository (compressed) */
	int64_t repo_delta; /* of which this backup's own */
	bool error;         /* pgBackRest found an error in it (not usable for a replica) */
};

struct backup_info {
	char stanza[CONFIG_NAME_LEN];
	int status_code; /* 0 ok, 1 missing stanza path, 2 no valid backups, 3 missing stanza
	                    data, 99 other; -1: the stanza is not in the output */
	char status_message[256];
	bool backup_running; /* a backup holds the stanza's lock on this host */
	char system_id[32];
	char archive_min[BACKUP_WAL_LEN], archive_max[BACKUP_WAL_LEN]; /* "" if none */
	struct backup_set *sets;                                       /* owned, oldest first */
	int n_sets;
};

/*
 * backup_info_parse: the stanza's part of `info --output=json`. False (err set) when
 * the text is not pgBackRest's JSON; a stanza missing from it is status -1.
 */
bool backup_info_parse(const char *json, const char *stanza, struct backup_info *out, char *err,
                       size_t errlen) MUST_CHECK;
void backup_info_free(struct backup_info *info);
/* backup_info_newest: the newest backup without error of type t (BACKUP_NONE: any), or NULL. */
const struct backup_set *backup_info_newest(const struct backup_info *info, enum backup_type t);
/* backup_info_find: the backup called label, or NULL. */
const struct backup_set *backup_info_find(const struct backup_info *info, const char *label);

/*
 * The recovery window: a restore can reach any time from the stop of the oldest good
 * backup (pgBackRest needs a backup that ended before the target) to the last WAL the
 * leader archived (last_archived_s; at least the backup's end; 0 when unknown: the
 * window is then open-ended).
 */
struct backup_window {
	bool known;      /* there is a good backup */
	int64_t from_s;  /* epoch */
	int64_t until_s; /* epoch; 0 = unknown */
};
void backup_info_window(const struct backup_info *info, int64_t last_archived_s,
                        struct backup_window *out);

/*
 * backup_info_json: `pgha backup list --json`: {"stanza", "status": {code, message},
 * "running", "archive": {"min", "max", "last_archived"}, "window": {"from", "until"},
 * "backups": [{label, type, prior, start, stop, duration_s, size, delta, repo_size,
 * repo_delta, timeline, lsn_start, lsn_stop, wal_start, wal_stop, error}]} with ISO
 * 8601 UTC times. Owned.
 */
json_t *backup_info_json(const struct backup_info *info, int64_t last_archived_s);
/* backup_info_table: the same as a table with a header and the window under it. */
void backup_info_table(const struct backup_info *info, int64_t last_archived_s, struct buf *out);

/* --- rules (pure) ------------------------------------------------------------------------------
 */

/*
 * backup_due: the type of backup the policy wants now (BACKUP_NONE: none). A backup
 * also counts for the weaker types (a full is a diff and an incr; a diff an incr), so
 * one backup never follows another because of it. Without any full backup, anything
 * scheduled is a full (pgBackRest would make it one). Backups with an error count for
 * nothing.
 */
enum backup_type backup_due(const struct backup_policy *p, const struct backup_info *info,
                            int64_t now_s);

/* One timeline switch of the leader's history: tl ended at switch_lsn. */
struct backup_fork {
	int timeline;
	uint64_t switch_lsn;
};

/*
 * backup_pick_for_replica: the newest good backup a replica of the current leader can
 * be restored from and then follow the leader: taken on the leader's timeline, or on
 * an earlier timeline of its history and ended (its stop LSN) before that timeline
 * forked. A backup from a timeline the leader did not come from (a branch abandoned
 * by a point-in-time restore) could replay WAL the leader never had. NULL: none
 * fits (use another method).
 */
const struct backup_set *backup_pick_for_replica(const struct backup_info *info,
                                                 const struct backup_fork *history, int n,
                                                 int leader_timeline);

#endif
