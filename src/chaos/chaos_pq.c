/*
 * chaos_pq.c: statements with a client-side deadline (see chaos_pq.h).
 */
#include "chaos/chaos_pq.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include "util/clock.h"
#include "util/compiler.h"
#include "util/strutil.h"

#define POLL_MS 50

/* What PostgreSQL says when a commit's wait for its synchronous standby is cancelled. */
#define SYNC_CANCEL_TEXT "canceling wait for synchronous replication"

/* Per connection: set when the server warned that a commit was only local. */
struct notice_state {
	bool unacked;
};

static void on_notice(void *arg, const PGresult *res)
{
	struct notice_state *ns = arg;
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	if (msg != NULL && strstr(msg, SYNC_CANCEL_TEXT) != NULL)
		ns->unacked = true;
}

/* One notice_state per thread: each thread drives one connection at a time. */
static _Thread_local struct notice_state notices;

PGconn *chaos_pq_connect(const char *conninfo, char *err, size_t errlen)
{
	PGconn *c = PQconnectdb(conninfo);

	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errlen, "%s", PQerrorMessage(c));
		str_trim(err);
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeReceiver(c, on_notice, &notices);
	return c;
}

/* wait_result: until the result is complete, the deadline passes or stop is raised. */
static bool wait_result(PGconn *conn, int64_t deadline_ms, atomic_bool *stop)
{
	struct pollfd pfd = {.fd = PQsocket(conn), .events = POLLIN};

	while (PQisBusy(conn)) {
		int64_t left = deadline_ms - clock_now_ms();

		if (left <= 0 || (stop != NULL && atomic_load(stop)))
			return false;
		if (poll(&pfd, 1, (int)MIN(left, POLL_MS)) < 0 && errno != EINTR)
			return false;
		if (!PQconsumeInput(conn))
			return true; /* the error is in the result */
	}
	return true;
}

enum chaos_pq_result chaos_pq_exec(PGconn *conn, const char *sql, int n, const char *const *params,
                                   int timeout_ms, atomic_bool *stop, char *out, size_t outlen,
                                   char *err, size_t errlen)
{
	enum chaos_pq_result r = CHAOS_PQ_ERROR;
	PGresult *res;

	notices.unacked = false;
	/* without parameters, the simple protocol: it allows several statements */
	if (!(n == 0 ? PQsendQuery(conn, sql)
	             : PQsendQueryParams(conn, sql, n, NULL, params, NULL, NULL, 0))) {
		snprintf(err, errlen, "%s", PQerrorMessage(conn));
		return CHAOS_PQ_ERROR;
	}
	if (!wait_result(conn, clock_now_ms() + timeout_ms, stop)) {
		snprintf(err, errlen, "no answer within %d ms", timeout_ms);
		return CHAOS_PQ_TIMEOUT;
	}
	while ((res = PQgetResult(conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
			r = CHAOS_PQ_OK;
			if (out != NULL && PQntuples(res) > 0 && PQnfields(res) > 0)
				snprintf(out, outlen, "%s", PQgetvalue(res, 0, 0));
		} else {
			snprintf(err, errlen, "%s", PQresultErrorMessage(res));
			str_trim(err);
			r = CHAOS_PQ_ERROR;
		}
		PQclear(res);
	}
	if (r == CHAOS_PQ_OK && notices.unacked) {
		snprintf(err, errlen, "committed locally only (synchronous replication wait "
		                      "cancelled)");
		r = CHAOS_PQ_UNACKED;
	}
	return r;
}
