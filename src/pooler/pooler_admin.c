/*
 * pooler_admin.c: PgBouncer's admin console through libpq's asynchronous API.
 */
#include "pooler/pooler_admin.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "util/clock.h"
#include "util/strutil.h"

/* wait_socket: true once the connection's socket is ready, false at the deadline. */
static bool wait_socket(PGconn *c, bool for_write, int64_t deadline_ms)
{
	struct pollfd p = {.fd = PQsocket(c), .events = for_write ? POLLOUT : POLLIN};

	for (;;) {
		int64_t left = deadline_ms - clock_now_ms();
		int r;

		if (left <= 0 || p.fd < 0)
			return false;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return true;
		if (r == 0 || errno != EINTR)
			return false;
	}
}

/* copy_error: libpq's message without its trailing newline. */
static void copy_error(PGconn *c, const char *what, char *err, size_t errlen)
{
	const char *m = PQerrorMessage(c);

	snprintf(err, errlen, "%s: %.*s", what, (int)strcspn(m, "\n"), m);
}

static bool connect_by(PGconn *c, int64_t deadline_ms, char *err, size_t errlen)
{
	/* libpq's documented start: act as if PQconnectPoll had asked for writing. */
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;

	if (PQstatus(c) == CONNECTION_BAD) {
		copy_error(c, "connect", err, errlen);
		return false;
	}
	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED) {
			copy_error(c, "connect", err, errlen);
			return false;
		}
		if (!wait_socket(c, st == PGRES_POLLING_WRITING, deadline_ms)) {
			snprintf(err, errlen, "connect: timed out");
			return false;
		}
		st = PQconnectPoll(c);
	}
	return true;
}

/* take_value: the first result's status and first value; the others are discarded. */
static bool take_value(PGresult *r, bool *seen, char *out, size_t outsize, char *err, size_t errlen)
{
	ExecStatusType st = PQresultStatus(r);
	bool first = !*seen;

	*seen = true;
	if (!first)
		return true;
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		snprintf(err, errlen, "query: %.*s", (int)strcspn(PQresultErrorMessage(r), "\n"),
		         PQresultErrorMessage(r));
		return false;
	}
	if (out && PQntuples(r) > 0 && PQnfields(r) > 0)
		snprintf(out, outsize, "%s", PQgetvalue(r, 0, 0));
	return true;
}

static bool query_by(PGconn *c, const char *sql, int64_t deadline_ms, char *out, size_t outsize,
                     char *err, size_t errlen)
{
	bool seen = false, ok = true;

	if (!PQsendQuery(c, sql)) {
		copy_error(c, "query", err, errlen);
		return false;
	}
	for (;;) {
		while (!PQisBusy(c)) {
			PGresult *r = PQgetResult(c);

			if (r == NULL)
				return ok && seen;
			ok = take_value(r, &seen, out, outsize, err, errlen) && ok;
			PQclear(r);
		}
		if (!wait_socket(c, false, deadline_ms)) {
			snprintf(err, errlen, "query: timed out");
			return false;
		}
		if (!PQconsumeInput(c)) {
			copy_error(c, "query", err, errlen);
			return false;
		}
	}
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
	if (c == NULL) {
		snprintf(err, errlen, "out of memory for a libpq connection");
		return false;
	}
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
	if (c == NULL) {
		snprintf(err, errlen, "out of memory for a libpq connection");
		return false;
	}
	ok = connect_by(c, deadline_ms, err, errlen) &&
	     query_by(c, sql, deadline_ms, out, outsize, err, errlen);
	PQfinish(c);
	return ok;
}
