/*
 * pooler_admin.c: PgBouncer's admin console through libpq, under a deadline (pq.h).
 */
#include "pooler/pooler_admin.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "pq/pq.h"
#include "util/clock.h"

/* connect_by: c up by deadline_ms; err says "connect: ..." otherwise. */
static bool connect_by(PGconn *c, int64_t deadline_ms, char *err, size_t errlen)
{
	char why[256];

	if (pq_connect_poll(c, deadline_ms, why, sizeof(why)) == PQ_READY)
		return true;
	snprintf(err, errlen, "connect: %s", why);
	return false;
}

/*
 * query_by: sql on c by deadline_ms; the first result's status decides, its first value
 * (if any) goes to out; the other results are read and dropped.
 */
static bool query_by(PGconn *c, const char *sql, int64_t deadline_ms, char *out, size_t outsize,
                     char *err, size_t errlen)
{
	enum pq_status st = pq_send(c, sql, 0, NULL) ? pq_await(c, deadline_ms, NULL) : PQ_BROKEN;
	PGresult *r = st == PQ_READY ? pq_first_result(c) : NULL;
	ExecStatusType rs = PQresultStatus(r);
	bool ok = r != NULL && (rs == PGRES_TUPLES_OK || rs == PGRES_COMMAND_OK);

	if (ok && out && PQntuples(r) > 0 && PQnfields(r) > 0)
		snprintf(out, outsize, "%s", PQgetvalue(r, 0, 0));
	else if (!ok && r != NULL)
		pq_message(err, errlen, "query: ", PQresultErrorMessage(r));
	else if (st == PQ_TIMEOUT)
		snprintf(err, errlen, "query: timed out");
	else if (!ok)
		pq_message(err, errlen, "query: ", PQerrorMessage(c));
	PQclear(r);
	return ok;
}

bool pooler_ping(const char *sock_dir, int port, const char *user, int timeout_ms, char *err,
                 size_t errlen)
{
	char port_text[16];
	/* No password from anywhere: not the environment, not a password file. */
	const char *keys[] = {"host", "port", "user", "dbname", "password", "passfile", NULL};
	const char *values[] = {sock_dir, port_text, user, "pgbouncer", "", "/dev/null", NULL};
	int64_t deadline_ms = clock_now_ms() + timeout_ms;
	PGconn *c;
	bool ok;

	snprintf(port_text, sizeof(port_text), "%d", port);
	c = PQconnectStartParams(keys, values, 0);
	/* Asked for the password it was not given: PgBouncer is up and answering. */
	ok = connect_by(c, deadline_ms, err, errlen) || PQconnectionNeedsPassword(c);
	PQfinish(c);
	return ok;
}

bool pooler_admin_query(const char *sock_dir, int port, const char *sql, int timeout_ms, char *out,
                        size_t outsize, char *err, size_t errlen)
{
	char port_text[16];
	const char *keys[] = {"host", "port", "user", "dbname", NULL};
	const char *values[] = {sock_dir, port_text, "pgbouncer", "pgbouncer", NULL};
	int64_t deadline_ms = clock_now_ms() + timeout_ms;
	PGconn *c;
	bool ok;

	snprintf(port_text, sizeof(port_text), "%d", port);
	if (out && outsize)
		out[0] = '\0';
	c = PQconnectStartParams(keys, values, 0);
	ok = connect_by(c, deadline_ms, err, errlen) &&
	     query_by(c, sql, deadline_ms, out, outsize, err, errlen);
	PQfinish(c);
	return ok;
}
