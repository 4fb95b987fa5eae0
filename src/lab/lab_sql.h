/*
 * lab_sql.h: where does a service of the lab's pg_service.conf land? One libpq session
 * opened exactly as a user would (`psql service=rw` with PGSERVICEFILE pointing at the
 * lab's file, its passfile included) asks the server whether it is in recovery, its
 * cluster_name (the agent sets it to the node's name) and its port. Through the router
 * and PgBouncer, PostgreSQL sees a unix-socket client, so the port comes from the
 * server's setting, not from inet_server_port().
 *
 * Blocks for at most timeout_ms (connect and query). Does not log: errors go to err.
 */
#ifndef PGHA_LAB_LAB_SQL_H
#define PGHA_LAB_LAB_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include "lab/lab_plan.h"
#include "util/compiler.h"

struct lab_landing {
	bool in_recovery;        /* pg_is_in_recovery() */
	char node[LAB_NAME_LEN]; /* current_setting('cluster_name') */
	int pg_port;             /* current_setting('port') */
};

/*
 * lab_sql_landing: connects to service (a section of service_file), runs the query and
 * fills out. False with err set when the connection or the query fails or exceeds
 * timeout_ms (at least 2 s: libpq's connect_timeout has a 2 s floor).
 */
bool lab_sql_landing(const char *service_file, const char *service, int timeout_ms,
                     struct lab_landing *out, char *err, size_t errlen) MUST_CHECK;

#endif
