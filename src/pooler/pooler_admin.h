/*
 * pooler_admin.h: one command on PgBouncer's admin console, with a hard deadline.
 *
 * Connects over PgBouncer's unix socket as user "pgbouncer" to database "pgbouncer",
 * which PgBouncer admits without a password only from its own OS user: the agent that
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
 * pooler_admin_query: runs sql (e.g. "SHOW VERSION", "RECONNECT") within timeout_ms in
 * all. The first column of the first row, if any, goes to out (when out is not NULL;
 * "" if there is no row). False with err set on any failure, including the deadline.
 */
bool pooler_admin_query(const char *sock_dir, int port, const char *sql, int timeout_ms, char *out,
                        size_t outsize, char *err, size_t errlen) MUST_CHECK;

#endif
