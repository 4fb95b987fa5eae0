/*
 * pq.c: libpq under a deadline (see pq.h).
 */
#include "pq/pq.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include "util/clock.h"

#define MAX_POLL_MS 60000 /* one poll(2) never sleeps longer: int and clock sanity */

/*
 * wait_socket: waits for events on c's socket until deadline_ms: true when ready (or
 * when poll failed for another reason than EINTR: libpq then says what is wrong).
 */
static bool wait_socket(PGconn *c, short events, int64_t deadline_ms, const atomic_bool *stop)
{
	struct pollfd p = {.fd = PQsocket(c), .events = events};

	if (p.fd < 0)
		return true; /* no socket: libpq reports the failure on the next call */
	for (;;) {
		int64_t left = deadline_ms - clock_now_ms();
		int slice;
		int r;

		if (left <= 0 || (stop != NULL && atomic_load(stop)))
			return false;
		slice = (int)MIN(left, stop != NULL ? PQ_STOP_POLL_MS : MAX_POLL_MS);
		r = poll(&p, 1, slice);
		if (r > 0 || (r == -1 && errno != EINTR))
			return true;
	}
}

enum pq_status pq_connect_poll(PGconn *c, int64_t deadline_ms, char *err, size_t errlen)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING; /* libpq's documented start */

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return PQ_BROKEN;
	}
	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED || PQstatus(c) == CONNECTION_BAD) {
			pq_message(err, errlen, "", PQerrorMessage(c));
			return PQ_BROKEN;
		}
		if (!wait_socket(c, st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline_ms,
		                 NULL)) {
			snprintf(err, errlen, "timed out");
			return PQ_TIMEOUT;
		}
		st = PQconnectPoll(c);
	}
	return PQ_READY;
}

enum pq_status pq_connect(const char *const *keys, const char *const *values, int64_t deadline_ms,
                          PGconn **out, char *err, size_t errlen)
{
	PGconn *c = PQconnectStartParams(keys, values, 0);
	enum pq_status st = pq_connect_poll(c, deadline_ms, err, errlen);

	if (st != PQ_READY) {
		PQfinish(c);
		c = NULL;
	}
	*out = c;
	return st;
}

bool pq_send(PGconn *c, const char *sql, int n, const char *const *params)
{
	return n == 0 ? PQsendQuery(c, sql)
	              : PQsendQueryParams(c, sql, n, NULL, params, NULL, NULL, 0);
}

enum pq_status pq_await(PGconn *c, int64_t deadline_ms, const atomic_bool *stop)
{
	while (PQisBusy(c)) {
		if (!wait_socket(c, POLLIN, deadline_ms, stop))
			return PQ_TIMEOUT;
		if (!PQconsumeInput(c))
			return PQ_BROKEN;
	}
	return PQ_READY;
}

PGresult *pq_first_result(PGconn *c)
{
	PGresult *first = NULL;
	PGresult *r;

	while ((r = PQgetResult(c)) != NULL) {
		if (first == NULL)
			first = r;
		else
			PQclear(r);
	}
	return first;
}

void pq_message(char *out, size_t size, const char *prefix, const char *msg)
{
	size_t n;

	snprintf(out, size, "%s%s", prefix, msg != NULL && msg[0] != '\0' ? msg : "unknown error");
	for (char *p = out; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\t' || *p == '\r')
			*p = ' ';
	}
	n = strlen(out);
	while (n > 0 && out[n - 1] == ' ')
		out[--n] = '\0';
}
