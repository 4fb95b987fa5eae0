/*
 * pg_sql.c: the agent's libpq connection with deadlines (see pg_sql.h).
 */
#include "pg/pg_sql.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include "log/log.h"
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
	s->statement_timeout_ms = -1;
}

void pg_sql_close(struct pg_sql *s)
{
	if (s->conn)
		PQfinish(s->conn);
	s->conn = NULL;
	s->statement_timeout_ms = -1;
}

/* copy_msg: libpq's (possibly multi-line) message as one line. */
static void copy_msg(char *err, size_t errlen, const char *prefix, const char *msg)
{
	size_t n;

	snprintf(err, errlen, "%s%s", prefix, msg && msg[0] ? msg : "unknown error");
	for (char *p = err; *p; p++) {
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	}
	n = strlen(err);
	while (n > 0 && err[n - 1] == ' ')
		err[--n] = '\0';
}

/* wait_socket: true when the socket is ready (or poll failed: libpq will say why). */
static bool wait_socket(PGconn *c, bool for_write, int64_t deadline_ms)
{
	struct pollfd p = {.fd = PQsocket(c), .events = for_write ? POLLOUT : POLLIN};

	for (;;) {
		int64_t left = deadline_ms - clock_now_ms();
		int r;

		if (left <= 0)
			return false;
		r = poll(&p, 1, (int)MIN(left, 60000));
		if (r > 0 || (r == -1 && errno != EINTR))
			return true;
	}
}

static void notice_receiver(void *arg, const PGresult *res)
{
	char msg[512];

	(void)arg;
	copy_msg(msg, sizeof(msg), "postgres: ", PQresultErrorMessage(res));
	log_info("%s", msg);
}

bool pg_sql_connect(struct pg_sql *s, int64_t deadline_ms, char *err, size_t errlen)
{
	static const char *const keys[] = {
	    "host", "port", "user", "dbname", "passfile", "application_name", "options", NULL};
	const char *vals[] = {
	    s->host, s->port, s->user, "postgres", s->passfile, "pgha agent", "-c DateStyle=ISO",
	    NULL};
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	PGconn *c;

	if (s->conn && PQstatus(s->conn) == CONNECTION_OK)
		return true;
	pg_sql_close(s);
	c = PQconnectStartParams(keys, vals, 0);
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	while (st != PGRES_POLLING_OK && PQstatus(c) != CONNECTION_BAD) {
		if (!wait_socket(c, st == PGRES_POLLING_WRITING, deadline_ms)) {
			snprintf(err, errlen, "connecting to %s:%s timed out", s->host, s->port);
			PQfinish(c);
			return false;
		}
		st = PQconnectPoll(c);
	}
	if (PQstatus(c) == CONNECTION_BAD) {
		copy_msg(err, errlen, "", PQerrorMessage(c));
		PQfinish(c);
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
	copy_msg(err, errlen, "", why);
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
		while (PQisBusy(s->conn)) {
			if (!wait_socket(s->conn, false, deadline_ms))
				return abandon(s, res, nres, err, errlen, "query timed out");
			if (!PQconsumeInput(s->conn))
				return abandon(s, res, nres, err, errlen, PQerrorMessage(s->conn));
		}
		if ((r = PQgetResult(s->conn)) == NULL)
			break;
		if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK &&
		    ok) {
			copy_msg(err, errlen, "", PQresultErrorMessage(r));
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
	int sent = nparams > 0
	               ? PQsendQueryParams(s->conn, sql, nparams, NULL, params, NULL, NULL, 0)
	               : PQsendQuery(s->conn, sql);
	bool ok;

	*nres = 0;
	if (!sent) {
		copy_msg(err, errlen, "", PQerrorMessage(s->conn));
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
