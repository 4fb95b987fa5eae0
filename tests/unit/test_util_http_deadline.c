/*
 * test_util_http_deadline.c: the HTTP servers' total request deadline
 * (util/http_deadline.h) on socket pairs: a connection past its deadline is shut down
 * (its peer sees the end of the stream) whatever it trickled meanwhile; a request being
 * answered has none; a kept-alive connection's next request gets a fresh one; the
 * watcher thread does it on its own. The servers' use of it is tested over real HTTP in
 * test_api_live (the REST API) and 42_router_hostile.sh (the router's /health).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "util/http_deadline.h"
#include "util/clock.h"
#include "util/clocksrc.h"

/* peer_closed: the other end of a pair sees the end of the stream within wait_ms. */
static bool peer_closed(int fd, int wait_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char c;

	return poll(&p, 1, wait_ms) == 1 && recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

static void test_deadline_rules(void **state)
{
	struct clocksrc *clk = clocksrc_sim_new(1000);
	struct http_deadlines *d = http_deadline_new(10000, clk);
	int a[2], b[2];
	struct http_deadline_conn *ca, *cb;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
	ca = http_deadline_track(d, a[0]);
	clocksrc_sim_advance(clk, 5000);
	cb = http_deadline_track(d, b[0]);
	/* Trickling bytes does not move a deadline: only the request's arrival does. */
	assert_int_equal(send(a[1], "G", 1, 0), 1);
	clocksrc_sim_advance(clk, 4999);
	assert_int_equal(http_deadline_reap(d), 0);
	clocksrc_sim_advance(clk, 1);
	assert_int_equal(http_deadline_reap(d), 1);
	assert_true(peer_closed(a[1], 1000));
	assert_false(peer_closed(b[1], 0));
	/* Shut down once, not again. */
	assert_int_equal(http_deadline_reap(d), 0);
	/* b's request arrived whole: it may take as long as its answer needs. */
	http_deadline_answering(d, cb);
	clocksrc_sim_advance(clk, 60000);
	assert_int_equal(http_deadline_reap(d), 0);
	/* Its next request (kept alive) gets a deadline of its own, from now. */
	http_deadline_next(d, cb);
	clocksrc_sim_advance(clk, 9999);
	assert_int_equal(http_deadline_reap(d), 0);
	clocksrc_sim_advance(clk, 1);
	assert_int_equal(http_deadline_reap(d), 1);
	assert_true(peer_closed(b[1], 1000));
	assert_int_equal(http_deadline_reaped(d), 2);
	http_deadline_untrack(d, ca);
	http_deadline_untrack(d, cb);
	http_deadline_free(d);
	clocksrc_sim_free(clk);
	for (int i = 0; i < 2; i++) {
		close(a[i]);
		close(b[i]);
	}
}

/* The watcher thread shuts a late connection down by itself, about on time. */
static void test_deadline_watcher(void **state)
{
	struct http_deadlines *d = http_deadline_new(300, NULL);
	int p[2];
	int64_t start = clock_now_ms();

	(void)state;
	assert_int_equal(http_deadline_start(d), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p), 0);
	(void)http_deadline_track(d, p[0]);
	assert_true(peer_closed(p[1], 3000));
	assert_true(clock_now_ms() - start >= 300);
	assert_int_equal(http_deadline_reaped(d), 1);
	/* Freed with a connection still tracked (the server untracks all first). */
	http_deadline_free(d);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_deadline_rules),
	    cmocka_unit_test(test_deadline_watcher),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
