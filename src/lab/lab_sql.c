/*
 * lab_sql.c: one libpq session through the lab's pg_service.conf, against a deadline.
 */
#include "lab/lab_sql.h"

#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/clock.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define MIN_TIMEOUT_MS 2000
#define LANDING_SQL                                                                           \
	"SELECT pg_catalog.pg_is_in_recovery(), pg_catalog.current_setting('cluster_name'), " \
	"pg_catalog.current_setting('port')"

/* one_line: a libpq message (possibly several lines) as one line into err. */
static void one_line(const char *what, const char *msg, char *err, size_t errlen)
{
	char clean[512];

	snprintf(clean, sizeof(clean), "%s", msg ? msg : "");
	str_trim(clean);
	for (char *c = clean; *c; c++) {
		if (*c == '\n')
			*c = ' ';
	}
	snprintf(err, errlen, "%s: %s", what, clean[0] ? clean : "no detail");
}

/* wait_socket: the connection's socket ready for events before deadline_ms. */
static bool wait_socket(PGconn *conn, short events, int64_t deadline_ms)
{
	struct pollfd pfd = {.fd = PQsocket(conn), .events = events};
	int64_t left_ms = deadline_ms - clock_now_ms();

	return pfd.fd >= 0 && left_ms > 0 && poll(&pfd, 1, (int)left_ms) > 0;
}

/*
 * start_conn: PQconnectStartParams with PGSERVICEFILE set for the call only: libpq
 * reads the service file (and the passfile it names) while it starts the connection.
 */
static PGconn *start_conn(const char *service_file, const char *service)
{
	const char *keys[] = {"service", "application_name", NULL};
	const char *values[] = {service, "pgha-up", NULL};
	const char *old = getenv("PGSERVICEFILE");
	char *saved = old ? xstrdup(old) : NULL;
	PGconn *conn;

	setenv("PGSERVICEFILE", service_file, 1);
	conn = PQconnectStartParams(keys, values, 0);
	if (saved) {
		setenv("PGSERVICEFILE", saved, 1);
		free(saved);
	} else {
		unsetenv("PGSERVICEFILE");
	}
	return conn;
}

/* finish_connect: drives PQconnectPoll until the session is up or deadline_ms passes. */
static bool finish_connect(PGconn *conn, int64_t deadline_ms, char *err, size_t errlen)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;

	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED || PQstatus(conn) == CONNECTION_BAD) {
			one_line("cannot connect", PQerrorMessage(conn), err, errlen);
			return false;
		}
		if (!wait_socket(conn, st == PGRES_POLLING_READING ? POLLIN : POLLOUT,
		                 deadline_ms)) {
			snprintf(err, errlen, "cannot connect: no answer in time");
			return false;
		}
		st = PQconnectPoll(conn);
	}
	return true;
}

/* query_result: the one result of LANDING_SQL before deadline_ms, or NULL. */
static PGresult *query_result(PGconn *conn, int64_t deadline_ms)
{
	PGresult *res = NULL;
	PGresult *r;

	if (!PQsendQuery(conn, LANDING_SQL))
		return NULL;
	while (PQisBusy(conn)) {
		if (!wait_socket(conn, POLLIN, deadline_ms) || !PQconsumeInput(conn))
			return NULL;
	}
	while ((r = PQgetResult(conn)) != NULL) {
		if (res == NULL)
			res = r;
		else
			PQclear(r);
	}
	return res;
}

static bool read_landing(PGconn *conn, int64_t deadline_ms, struct lab_landing *out, char *err,
                         size_t errlen)
{
	PGresult *res = query_result(conn, deadline_ms);
	bool ok = res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	          PQnfields(res) == 3;

	if (ok) {
		out->in_recovery = str_eq(PQgetvalue(res, 0, 0), "t");
		ok = str_copy(out->node, sizeof(out->node), PQgetvalue(res, 0, 1)) &&
		     str_parse_int(PQgetvalue(res, 0, 2), &out->pg_port);
		if (!ok)
			snprintf(err, errlen, "unexpected answer ('%.64s', '%.16s')",
			         PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
	} else if (res) {
		one_line("query failed", PQresultErrorMessage(res), err, errlen);
	} else {
		const char *msg = PQerrorMessage(conn);

		one_line("query failed", msg[0] ? msg : "no answer in time", err, errlen);
	}
	PQclear(res);
	return ok;
}

bool lab_sql_landing(const char *service_file, const char *service, int timeout_ms,
                     struct lab_landing *out, char *err, size_t errlen)
{
	int64_t deadline_ms = clock_now_ms() + MAX(timeout_ms, MIN_TIMEOUT_MS);
	PGconn *conn = start_conn(service_file, service);
	bool ok;

	memset(out, 0, sizeof(*out));
	if (conn == NULL) {
		snprintf(err, errlen, "cannot connect: out of memory");
		return false;
	}
	ok = finish_connect(conn, deadline_ms, err, errlen) &&
	     read_landing(conn, deadline_ms, out, err, errlen);
	PQfinish(conn);
	return ok;
}
