/*
 * client_sql.h: where does a PostgreSQL session land? One libpq session, opened as a
 * user would (host and port, or a service of a pg_service.conf with the passfile it
 * names), asks the server whether it is in recovery, its cluster_name (the agent sets
 * it to the member's name) and its port. Through the router and PgBouncer PostgreSQL
 * sees a unix-socket client, so the port comes from the server's setting, not from
 * inet_server_port(). Used by `pgha health` (poolers, router) and `pgha up` (the
 * router's read-write service).
 *
 * Blocks for at most the timeouts given (pq.h's deadlines). Does not log: errors go to
 * err, in one line.
 */
#ifndef PGHA_CLIENT_CLIENT_SQL_H
#define PGHA_CLIENT_CLIENT_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include "client/client.h"
#include "util/buf.h"
#include "util/compiler.h"

/* Where to connect: a service of a service file, or host and port. */
struct client_sql_target {
	const char *service_file; /* with service: PGSERVICEFILE for this session */
	const char *service;      /* NULL: host and port */
	const char *host;         /* "127.0.0.1", a socket directory... */
	int port;
	const char *user;             /* NULL or "": libpq's default (PGUSER...) */
	const char *password;         /* NULL or "": libpq's default (passfile...) */
	const char *application_name; /* what pg_stat_activity shows */
	const char *sslmode;          /* NULL or "": libpq's default */
	const char *sslrootcert;      /* NULL or "": libpq's default */
	int connect_timeout_ms;       /* until the session is up */
	int query_timeout_ms;         /* then until the answer */
};

struct client_landing {
	bool in_recovery;           /* pg_is_in_recovery() */
	char node[CLIENT_NAME_LEN]; /* current_setting('cluster_name') */
	int pg_port;                /* current_setting('port') */
};

/*
 * client_sql_landing: connects to t, runs the query and fills out. False with err set
 * ("cannot connect: ...", "query failed: ...") when the connection or the query fails
 * or exceeds its timeout.
 */
bool client_sql_landing(const struct client_sql_target *t, struct client_landing *out, char *err,
                        size_t errlen) MUST_CHECK;
/*
 * client_sql_tls_conninfo: c's pg_sslmode and pg_sslrootcert as conninfo words
 * (" sslmode='verify-full' sslrootcert='...'"), appended to out; nothing when unset.
 */
void client_sql_tls_conninfo(const struct client *c, struct buf *out);

#endif
