/*
 * chaos_pq.c: statements with a client-side deadline (see chaos_pq.h).
 */
#include "chaos/chaos_pq.h"

#include <stdio.h>
#include <string.h>
#include "pq/pq.h"
#include "util/clock.h"

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
		pq_message(err, errlen, "", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeReceiver(c, on_notice, &notices);
	return c;
}

enum chaos_pq_result chaos_pq_exec(PGconn *conn, const char *sql, int n, const char *const *params,
                                   int timeout_ms, atomic_bool *stop, char *out, size_t outlen,
                                   char *err, size_t errlen)
{
	enum chaos_pq_result r = CHAOS_PQ_ERROR;
	PGresult *res;

	notices.unacked = false;
	/* without parameters, the simple protocol: it allows several statements */
	if (!pq_send(conn, sql, n, params)) {
		pq_message(err, errlen, "", PQerrorMessage(conn));
		return CHAOS_PQ_ERROR;
	}
	/* PQ_BROKEN: the connection failed; the error is in the result read below */
	if (pq_await(conn, clock_now_ms() + timeout_ms, stop) == PQ_TIMEOUT) {
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
			pq_message(err, errlen, "", PQresultErrorMessage(res));
			r = CHAOS_PQ_ERROR;
		}
		PQclear(res);
	}
	if (r == CHAOS_PQ_OK && notices.unacked) {
		snprintf(err, errlen,
		         "committed locally only (synchronous replication wait "
		         "cancelled)");
		r = CHAOS_PQ_UNACKED;
	}
	return r;
}
