/*
 * pooler_admin.h: talking to a running PgBouncer, with a hard deadline: a liveness
 * probe, and one command on its admin console.
 *
 * The admin console connects over PgBouncer's unix socket as user "pgbouncer" to database
 * "pgbouncer", which PgBouncer admits without a password only from its own OS user: the agent that
 * started it (or a test running as that user). libpq does the protocol; the deadline is
 * kept with its asynchronous API, since connect_timeout cannot go below 2 s.
 * Library-like: no logging, messages in err.
 */
#ifndef PGHA_POOLER_POOLER_ADMIN_H
#define PGHA_POOLER_POOLER_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include "util/compiler.h"

/*
 * pooler_ping: true when PgBouncer answers a login on its unix socket within timeout_ms
 * by asking for a password, as PQping does (without its 2 s minimum). Logs in as user
 * (one PgBouncer knows from its auth file, so it answers without asking PostgreSQL) to
 * database "pgbouncer" with no password at all, so nothing is authenticated; PgBouncer
 * writes no log line for it (log_connections/log_disconnections are off), unlike a
 * command on the admin console.
 */
bool pooler_ping(const char *sock_dir, int port, const char *user, int timeout_ms, char *err,
                 size_t errlen) MUST_CHECK;

/*
 * pooler_admin_query: runs sql (e.g. "SHOW VERSION", "RECONNECT") within timeout_ms in
 * all. The first column of the first row, if any, goes to out (when out is not NULL;
 * "" if there is no row). False with err set on any failure, including the deadline.
 */
bool pooler_admin_query(const char *sock_dir, int port, const char *sql, int timeout_ms, char *out,
                        size_t outsize, char *err, size_t errlen) MUST_CHECK;

#endif
