/*
 * pg_sql.h: one persistent libpq connection to the local PostgreSQL, as superuser
 * over the unix socket, where no call blocks past its deadline.
 *
 * Connecting and querying use libpq's asynchronous API and poll() against the
 * caller's deadline, so a PostgreSQL that is frozen (SIGSTOP, stuck I/O) costs at
 * most the timeout; statement_timeout makes the server give up as well. After a
 * timeout or a broken connection the connection is dropped and the next call
 * reconnects. Not thread-safe: one thread per connection.
 */
#ifndef PGHA_PG_PG_SQL_H
#define PGHA_PG_PG_SQL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <libpq-fe.h>
#include "util/compiler.h"

#define PG_SQL_MAX_RESULTS 4

struct pg_sql {
	PGconn *conn;        /* NULL when not connected */
	char host[PATH_MAX]; /* socket directory */
	char port[16];
	char user[64];
	char dbname[64]; /* "postgres" unless pg_sql_set_dbname */
	char passfile[PATH_MAX];
	int statement_timeout_ms; /* value set on conn; -1 = unknown */
	bool failure_logged;      /* connection failures are logged once until success */
};

/* pg_sql_init: remembers where to connect; does not connect. */
void pg_sql_init(struct pg_sql *s, const char *socket_dir, int port, const char *user,
                 const char *passfile);
void pg_sql_close(struct pg_sql *s);
/* pg_sql_set_dbname: the database of the next connection (default "postgres"). */
void pg_sql_set_dbname(struct pg_sql *s, const char *dbname);
/* pg_sql_connect: connects if not connected, by deadline_ms (clock_now_ms time). No logging. */
bool pg_sql_connect(struct pg_sql *s, int64_t deadline_ms, char *err, size_t errlen) MUST_CHECK;

/*
 * pg_sql_query: runs sql (several ';'-separated statements allowed when nparams is 0)
 * within timeout_ms and stores up to PG_SQL_MAX_RESULTS results in res (owned by the
 * caller: pg_sql_clear). false with a message in err on any error; then res holds
 * nothing. No logging.
 */
bool pg_sql_query(struct pg_sql *s, const char *sql, int nparams, const char *const *params,
                  int timeout_ms, PGresult **res, int *nres, char *err, size_t errlen) MUST_CHECK;
void pg_sql_clear(PGresult **res, int nres);
/*
 * pg_sql_run: one statement; logs failures (prefixed by what). If out is not NULL it
 * receives the result (owned, PQclear), else the result is discarded.
 */
bool pg_sql_run(struct pg_sql *s, const char *what, const char *sql, int nparams,
                const char *const *params, int timeout_ms, PGresult **out) MUST_CHECK;

#endif
