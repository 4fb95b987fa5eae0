/*
 * pooler_conf.h: what the node's PgBouncer runs with, derived from the agent's
 * configuration, and its two files (pgbouncer.ini and the auth file) rendered as text.
 *
 * Pure and library-like: no I/O, no clock, no logging; problems come back in err.
 * The supervisor (pooler.c) writes the files and runs the process; this module only
 * decides their contents, so that every setting and every quoting rule is unit-tested.
 *
 * Authentication design (see the comment at the top of pooler_conf.c for the reasons):
 * auth_type scram-sha-256 for every client; the superuser is the only entry of the auth
 * file, as a SCRAM verifier; every other role is looked up with auth_query through the
 * superuser, and PgBouncer logs in to PostgreSQL with the client's own SCRAM keys.
 *
 * TLS: pgbouncer.client_tls_* and server_tls_* are PgBouncer's own settings, written as
 * they are. With client_tls_sslmode require (pgha up's default) a client that does not
 * ask for TLS is refused; the router relays the client's SSLRequest to PgBouncer, so the
 * session is encrypted from the client to PgBouncer. PgBouncer reaches PostgreSQL over
 * its unix socket, where TLS does not apply: server_tls_* only matter for a PgBouncer
 * pointed at another host.
 */
#ifndef PGHA_POOLER_POOLER_CONF_H
#define PGHA_POOLER_POOLER_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "config/config.h"
#include "util/buf.h"
#include "util/compiler.h"

#define POOLER_DEFAULT_BIN             "/usr/sbin/pgbouncer"
#define POOLER_DEFAULT_POOL_SIZE       20
#define POOLER_DEFAULT_MAX_CLIENT_CONN 1000
#define POOLER_INI_NAME                "pgbouncer.ini"
#define POOLER_AUTH_NAME               "userlist.txt"
#define POOLER_LOG_NAME                "pgbouncer.log"
#define POOLER_BACKOFF_MAX_MS          30000        /* longest wait between two start attempts */
#define POOLER_RUN_SUFFIX              ".pgbouncer" /* default run dir: <data_dir>.pgbouncer */

/* Everything pgbouncer.ini depends on. Strings are validated by pooler_conf_from_config. */
struct pooler_conf {
	char listen_host[CONFIG_HOST_LEN]; /* listen_addr: address, list "a,b" or "*" */
	int listen_port;                   /* listen_port, also names the unix socket */
	char run_dir[PATH_MAX];            /* absolute: ini, auth file, log, unix socket */
	char pg_socket_dir[PATH_MAX];      /* absolute: the local PostgreSQL's socket directory */
	int pg_port;                       /* the local PostgreSQL's port */
	char auth_user[CONFIG_NAME_LEN]; /* the superuser: runs auth_query, sole auth file entry */
	int pool_size;                   /* default_pool_size: server connections per db/user */
	int max_client_conn;             /* max_client_conn */
	char pool_mode[16];              /* session | transaction */
	struct pooler_tls client_tls;    /* client_tls_*: clients and routers to PgBouncer */
	struct pooler_tls server_tls;    /* server_tls_*: PgBouncer to PostgreSQL */
};

/*
 * pooler_default_run_dir: "<data_dir>.pgbouncer", beside the data directory as the pg
 * module keeps "<data_dir>.sock" and "<data_dir>.log" (never inside it: pg_rewind and
 * pg_basebackup would copy or trip over PgBouncer's files). False if it does not fit.
 */
bool pooler_default_run_dir(const struct config *cfg, char *out, size_t size) MUST_CHECK;

/*
 * pooler_pg_socket_dir: the local PostgreSQL's unix socket directory as the pg module
 * resolves it: postgresql.socket_dir when set, else "<data_dir>.sock".
 */
bool pooler_pg_socket_dir(const struct config *cfg, char *out, size_t size) MUST_CHECK;

/*
 * pooler_conf_from_config: fills c from cfg's pgbouncer and postgresql sections and the
 * run directory (NULL = pooler_default_run_dir). Validates every value that ends up in
 * the files: addresses, ports, absolute paths without control characters, the unix
 * socket path length, pool mode and sizes (0 means the default). False with err set.
 */
bool pooler_conf_from_config(const struct config *cfg, const char *run_dir, struct pooler_conf *c,
                             char *err, size_t errlen) MUST_CHECK;

/* pooler_render_ini: pgbouncer.ini for c, appended to out. False (err set) on a bad value. */
bool pooler_render_ini(const struct pooler_conf *c, struct buf *out, char *err,
                       size_t errlen) MUST_CHECK;

/*
 * pooler_render_auth_file: the auth file (userlist.txt): one line for the superuser with
 * its SCRAM verifier ("SCRAM-SHA-256$..."); a plain password is refused.
 */
bool pooler_render_auth_file(const struct pooler_conf *c, const char *scram_verifier,
                             struct buf *out, char *err, size_t errlen) MUST_CHECK;

/*
 * pooler_conf_needs_restart: true when a and b differ in a setting PgBouncer reads only
 * at start (listen address and port, unix socket directory); other changes are applied
 * by a reload (SIGHUP).
 */
bool pooler_conf_needs_restart(const struct pooler_conf *a, const struct pooler_conf *b);

/*
 * pooler_connect_address: "host:port" clients use to reach this node's PgBouncer, as
 * published in the member key ("pooler"). A wildcard listen address ("*", 0.0.0.0, ::,
 * or a list) is replaced by the host of postgresql.connect_address (else of
 * restapi.connect_address). IPv6 hosts are bracketed. False if nothing usable is known.
 */
bool pooler_connect_address(const struct config *cfg, char *out, size_t size) MUST_CHECK;

/*
 * pooler_backoff_ms: delay before the n-th consecutive start attempt after a failure
 * (n >= 1): 0 for the first (a crash is repaired at once), then 500 ms doubling up to
 * 30 s, so a PgBouncer that cannot start does not spin.
 */
int64_t pooler_backoff_ms(int n);

#endif
