/*
 * pg_int.h: internals shared by the files of the pg module (not for other modules).
 *
 * pg_node.c owns the node and its lifecycle; pg_files.c writes the configuration
 * files; pg_clone.c creates data directories (initdb, pg_basebackup, pg_rewind);
 * pg_control.c reads pg_control; pg_tool.c runs PostgreSQL's programs;
 * pg_observe.c and pg_admin.c talk SQL through pg_sql.c; pg_proc.c keeps the process.
 */
#ifndef PGHA_PG_PG_INT_H
#define PGHA_PG_PG_INT_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>
#include "config/config.h"
#include "pg/pg.h"
#include "pg/pg_proc.h"
#include "pg/pg_sql.h"
#include "util/buf.h"
#include "util/compiler.h"

struct pg_conf_input;

struct pg_node {
	const struct config *cfg;    /* borrowed */
	struct pg_params dcs_params; /* owned copy of the cluster-wide parameters */
	struct pg_archive archive;   /* pgha's archiving; empty commands = none */
	char data_dir[PATH_MAX];     /* absolute */
	char bin_dir[PATH_MAX];      /* absolute or "" (PATH) */
	char pgpass[PATH_MAX];       /* absolute */
	char socket_dir[PATH_MAX];   /* absolute; default <data_dir>.sock (not inside it) */
	char log_path[PATH_MAX];     /* absolute */
	char slots_record[PATH_MAX]; /* <data_dir>.slots: the slots this node created */
	char os_user[64];            /* the agent's OS user, mapped to the superuser */
	int port;                    /* from postgresql.listen */
	int death_signal;
	struct pg_proc proc;
	struct pg_sql sql;
	struct pg_role_conf role; /* role the postmaster was last started with */
	off_t start_log_offset;   /* log size when the postmaster was last started */
	int received_tli; /* last timeline the WAL receiver reported, 0 = none since start */
};

/* pg_bin: owned path of a PostgreSQL program in bin_dir. */
char *pg_bin(const struct pg_node *n, const char *program);
/*
 * pg_tool_run: runs argv (argv[0] from pg_bin) with LC_ALL=C, its stderr (and stdout
 * unless out is given) appended to the node's log. On failure logs what happened
 * and the program's last output lines.
 */
bool pg_tool_run(const struct pg_node *n, const char *const *argv, int timeout_ms,
                 struct buf *out) MUST_CHECK;
/* pg_log_size: current size of the node's log (offset where new output starts). */
off_t pg_log_size(const struct pg_node *n);
/* pg_log_tail: logs the last lines written to the node's log since offset. */
void pg_log_tail(const struct pg_node *n, off_t offset, const char *what);

/* pg_files_write: passfile, pg_hba.conf, pg_ident.conf, postgresql.conf, standby.signal. */
bool pg_files_write(struct pg_node *n, const struct pg_role_conf *role) MUST_CHECK;
/* pg_files_passfile: (re)writes only the passfile (before initdb, basebackup, rewind). */
bool pg_files_passfile(const struct pg_node *n) MUST_CHECK;
/* pg_files_hba: (re)writes pg_hba.conf and pg_ident.conf. */
bool pg_files_hba(const struct pg_node *n) MUST_CHECK;
/* pg_files_remove_foreign: drops files a copy from another node brought along. */
void pg_files_remove_foreign(const struct pg_node *n);
/*
 * pg_files_clean_auto_conf: postgresql.auto.conf without what pgha owns for role and
 * without recovery targets (pg_auto_conf_clean); each removal logged. Only while
 * PostgreSQL is stopped (ALTER SYSTEM writes the file too).
 */
bool pg_files_clean_auto_conf(const struct pg_node *n, const struct pg_role_conf *role) MUST_CHECK;
/* pg_slots_forget: the node created no slot in its (new) data directory. */
void pg_slots_forget(const struct pg_node *n);
/* pg_files_conf_input: the rendering input of the node for role. */
void pg_files_conf_input(const struct pg_node *n, const struct pg_role_conf *role,
                         struct pg_conf_input *in);

/* pg_controldata_read: runs pg_controldata; fills data, system_id, control_*. */
bool pg_controldata_read(const struct pg_node *n, struct pg_observation *o,
                         int timeout_ms) MUST_CHECK;
/* pg_observe_sql: the one-round-trip observation query; false if not answered. */
bool pg_observe_sql(struct pg_node *n, struct pg_observation *o, int timeout_ms);

#endif
