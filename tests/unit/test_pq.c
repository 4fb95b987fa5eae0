/*
 * test_pq.c: pq/ without a PostgreSQL: libpq's messages in one line, and connections
 * that must end at the caller's deadline (a server that accepts and never answers,
 * as a frozen PostgreSQL does) or fail at once (nobody listening). Statements under a
 * deadline run against real servers in test_pg_live.c and the chaos scenarios.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "pq/pq.h"
#include "util/clock.h"
#include "sys_fixture.h"

static enum pq_status connect_to(int port, int timeout_ms, PGconn **c, char *err, size_t errlen)
{
	char port_s[16];
	const char *keys[] = {"host", "port", "dbname", "user", "sslmode", NULL};
	const char *values[] = {"127.0.0.1", port_s, "postgres", "nobody", "disable", NULL};

	snprintf(port_s, sizeof(port_s), "%d", port);
	return pq_connect(keys, values, clock_now_ms() + timeout_ms, c, err, errlen);
}

static void test_message_one_line(void **state)
{
	char out[64];

	(void)state;
	pq_message(out, sizeof(out), "query failed: ", "ERROR:  x\n\tDETAIL:  y\n");
	assert_string_equal(out, "query failed: ERROR:  x  DETAIL:  y");
	pq_message(out, sizeof(out), "", "");
	assert_string_equal(out, "unknown error");
	pq_message(out, sizeof(out), "", NULL);
	assert_string_equal(out, "unknown error");
}

static void test_connect_refused(void **state)
{
	char err[256] = "";
	PGconn *c = (PGconn *)&c;
	int port;

	(void)state;
	close(listener(&port));
	assert_int_equal(connect_to(port, 2000, &c, err, sizeof(err)), PQ_BROKEN);
	assert_null(c);
	assert_non_null(strstr(err, "refused"));
	assert_null(strchr(err, '\n'));
}

/* A server that never answers the startup packet: the deadline ends the wait. */
static void test_connect_deadline(void **state)
{
	char err[256] = "";
	PGconn *c = NULL;
	int64_t t0 = clock_now_ms();
	int port;
	int fd = listener(&port); /* never accepted: the kernel completes the handshake */

	(void)state;
	assert_int_equal(connect_to(port, 300, &c, err, sizeof(err)), PQ_TIMEOUT);
	assert_null(c);
	assert_string_equal(err, "timed out");
	assert_true(clock_now_ms() - t0 >= 300);
	assert_true(clock_now_ms() - t0 < 10000); /* ended by the deadline, not by libpq */
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_message_one_line),
	    cmocka_unit_test(test_connect_refused),
	    cmocka_unit_test(test_connect_deadline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
