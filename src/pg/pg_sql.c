/*
 * pg_sql.c: the agent's libpq connection with deadlines (see pg_sql.h).
 */
#include "pg/pg_sql.h"

#include <stdio.h>
#include <string.h>
#include "log/log.h"
#include "pq/pq.h"
#include "util/clock.h"
#include "util/strutil.h"

void pg_sql_init(struct pg_sql *s, const char *socket_dir, int port, const char *user,
                 const char *passfile)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->host, sizeof(s->host), "%s", socket_dir);
	snprintf(s->port, sizeof(s->port), "%d", port);
	snprintf(s->user, sizeof(s->user), "%s", user);
	snprintf(s->passfile, sizeof(s->passfile), "%s", passfile);
	snprintf(s->dbname, sizeof(s->dbname), "postgres");
	s->statement_timeout_ms = -1;
}

void pg_sql_set_dbname(struct pg_sql *s, const char *dbname)
{
	snprintf(s->dbname, sizeof(s->dbname), "%s", dbname);
}

void pg_sql_close(struct pg_sql *s)
{
	if (s->conn)
		PQfinish(s->conn);
	s->conn = NULL;
	s->statement_timeout_ms = -1;
}

static void notice_receiver(void *arg, const PGresult *res)
{
	char msg[512];

	(void)arg;
	pq_message(msg, sizeof(msg), "postgres: ", PQresultErrorMessage(res));
	log_info("%s", msg);
}

bool pg_sql_connect(struct pg_sql *s, int64_t deadline_ms, char *err, size_t errlen)
{
	static const char *const keys[] = {
	    "host", "port", "user", "dbname", "passfile", "application_name", "options", NULL};
	const char *vals[] = {
	    s->host, s->port, s->user, s->dbname, s->passfile, "pgha agent", "-c DateStyle=ISO",
	    NULL};
	PGconn *c;

	if (s->conn && PQstatus(s->conn) == CONNECTION_OK)
		return true;
	pg_sql_close(s);
	switch (pq_connect(keys, vals, deadline_ms, &c, err, errlen)) {
	case PQ_READY:
		break;
	case PQ_TIMEOUT:
		snprintf(err, errlen, "connecting to %s:%s timed out", s->host, s->port);
		return false;
	case PQ_BROKEN:
		return false;
	}
	PQsetNoticeReceiver(c, notice_receiver, NULL);
	s->conn = c;
	return true;
}

void pg_sql_clear(PGresult **res, int nres)
{
	for (int i = 0; i < nres; i++)
		PQclear(res[i]);
}

/* abandon: drops a connection whose state is unknown; the next call reconnects. */
static bool abandon(struct pg_sql *s, PGresult **res, int *nres, char *err, size_t errlen,
                    const char *why)
{
	pq_message(err, errlen, "", why);
	pg_sql_close(s);
	pg_sql_clear(res, *nres);
	*nres = 0;
	return false;
}

/* collect: reads every result of the query sent, keeping the first ones. */
static bool collect(struct pg_sql *s, int64_t deadline_ms, PGresult **res, int *nres, char *err,
                    size_t errlen)
{
	bool ok = true;
	PGresult *r;

	for (;;) {
		switch (pq_await(s->conn, deadline_ms, NULL)) {
		case PQ_READY:
			break;
		case PQ_TIMEOUT:
			return abandon(s, res, nres, err, errlen, "query timed out");
		case PQ_BROKEN:
			return abandon(s, res, nres, err, errlen, PQerrorMessage(s->conn));
		}
		if ((r = PQgetResult(s->conn)) == NULL)
			break;
		if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK &&
		    ok) {
			pq_message(err, errlen, "", PQresultErrorMessage(r));
			ok = false;
		}
		if (*nres < PG_SQL_MAX_RESULTS)
			res[(*nres)++] = r;
		else
			PQclear(r);
		if (PQstatus(s->conn) == CONNECTION_BAD)
			break;
	}
	if (!ok) {
		pg_sql_clear(res, *nres);
		*nres = 0;
	}
	return ok;
}

static bool send_query(struct pg_sql *s, const char *sql, int nparams, const char *const *params,
                       int64_t deadline_ms, PGresult **res, int *nres, char *err, size_t errlen)
{
	bool ok;

	*nres = 0;
	if (!pq_send(s->conn, sql, nparams, params)) {
		pq_message(err, errlen, "", PQerrorMessage(s->conn));
		pg_sql_close(s);
		return false;
	}
	ok = collect(s, deadline_ms, res, nres, err, errlen);
	if (s->conn && PQstatus(s->conn) == CONNECTION_BAD)
		pg_sql_close(s);
	return ok;
}

/* set_statement_timeout: the server gives up on its own at the client's deadline. */
static bool set_statement_timeout(struct pg_sql *s, int timeout_ms, int64_t deadline_ms, char *err,
                                  size_t errlen)
{
	char sql[64];
	PGresult *res[PG_SQL_MAX_RESULTS];
	int nres;

	if (s->statement_timeout_ms == timeout_ms)
		return true;
	snprintf(sql, sizeof(sql), "SET statement_timeout = %d", timeout_ms);
	if (!send_query(s, sql, 0, NULL, deadline_ms, res, &nres, err, errlen))
		return false;
	pg_sql_clear(res, nres);
	s->statement_timeout_ms = timeout_ms;
	return true;
}

bool pg_sql_query(struct pg_sql *s, const char *sql, int nparams, const char *const *params,
                  int timeout_ms, PGresult **res, int *nres, char *err, size_t errlen)
{
	int64_t deadline_ms = clock_now_ms() + timeout_ms;

	*nres = 0;
	if (!pg_sql_connect(s, deadline_ms, err, errlen) ||
	    !set_statement_timeout(s, timeout_ms, deadline_ms, err, errlen))
		return false;
	return send_query(s, sql, nparams, params, deadline_ms, res, nres, err, errlen);
}

bool pg_sql_run(struct pg_sql *s, const char *what, const char *sql, int nparams,
                const char *const *params, int timeout_ms, PGresult **out)
{
	PGresult *res[PG_SQL_MAX_RESULTS];
	int nres;
	char err[512];

	if (out)
		*out = NULL;
	if (!pg_sql_query(s, sql, nparams, params, timeout_ms, res, &nres, err, sizeof(err))) {
		log_error("%s: %s", what, err);
		return false;
	}
	if (out && nres > 0) {
		*out = res[nres - 1];
		nres--;
	}
	pg_sql_clear(res, nres);
	return true;
}
