/*
 * test_etcd_hedge.c: the etcd client's request rules (dcs/etcd_hedge.h): which member an
 * attempt goes to, when the next one starts while one is still out, and what each
 * answer etcd 3.4 gives during a stall, an election or a quorum loss means.
 *
 * What users rely on: a stalled member (the raft leader included) never holds a read or
 * a keepalive for longer than the hedge delay; a member that answered recently is asked
 * first; no member is ever dropped for good; and a write is never sent a second time
 * when the first copy may still land, unless its compares make a second copy harmless.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "dcs/etcd_hedge.h"
#include "dcs/etcd_json.h"

#define H 100 /* hedge delay */

static void rank(const struct etcd_hedge_member *m, int n, const int *want)
{
	int order[ETCD_HEDGE_MAX_MEMBERS];

	etcd_hedge_rank(m, n, order);
	for (int i = 0; i < n; i++)
		assert_int_equal(order[i], want[i]);
}

/* Answering members first (most recent first), then untried, then failing (oldest
 * failure first), stale ones last; a fresh client keeps the configured order. */
static void test_preference_order(void **state)
{
	struct etcd_hedge_member m[5] = {{0}};

	(void)state;
	rank(m, 3, (const int[]){0, 1, 2});
	m[0] = (struct etcd_hedge_member){.last_ok_ms = 100, .last_fail_ms = 200}; /* failing */
	m[1] = (struct etcd_hedge_member){.last_ok_ms = 300};                      /* answering */
	m[3] = (struct etcd_hedge_member){.last_ok_ms = 500, .stale = true};
	m[4] = (struct etcd_hedge_member){.last_ok_ms = 400};
	rank(m, 5, (const int[]){4, 1, 2, 0, 3});
	m[2] = (struct etcd_hedge_member){.last_fail_ms = 150}; /* failed earlier than m[0] */
	rank(m, 5, (const int[]){4, 1, 2, 0, 3});
	m[2].last_fail_ms = 250;
	rank(m, 5, (const int[]){4, 1, 0, 2, 3});
}

/*
 * The schedule during a stalled raft leader (members 0, 1, 2; 0 answered last and is
 * frozen, 1 and 2 forward to it and hang until the election): one attempt per member
 * every 2 hedge delays at most, never more than two out on one member, and a member
 * whose attempt is old is asked again while that attempt is still out.
 */
static void test_hedge_schedule(void **state)
{
	struct etcd_hedge_member m[3] = {
	    {.last_ok_ms = 50}, {.last_ok_ms = 40}, {.last_ok_ms = 30}};
	struct etcd_hedge_call c;
	int64_t t = 1000;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(etcd_hedge_pick(m, 3, &c, t, H), 0);
	c.last_launch_ms[0] = t, c.out[0] = 1;
	assert_int_equal(etcd_hedge_next_ms(ETCD_HEDGE_PARALLEL, t, H), t + H);
	t += H;
	assert_int_equal(etcd_hedge_pick(m, 3, &c, t, H), 1);
	c.last_launch_ms[1] = t, c.out[1] = 1;
	t += H;
	assert_int_equal(etcd_hedge_pick(m, 3, &c, t, H), 0); /* its attempt is 2h old */
	c.last_launch_ms[0] = t, c.out[0] = 2;
	t += H;
	/* 0 is at its limit, 1's attempt is 2h old: 1 again before 2 (1 ranks higher). */
	assert_int_equal(etcd_hedge_pick(m, 3, &c, t, H), 1);
	c.last_launch_ms[1] = t, c.out[1] = 2;
	assert_int_equal(etcd_hedge_pick(m, 3, &c, t, H), 2);
	c.last_launch_ms[2] = t, c.out[2] = 1;
	assert_int_equal(etcd_hedge_pick(m, 3, &c, t, H), -1); /* nobody pickable now */
	/* The first attempt on 0 timed out (300 ms): it failed, and ranks last from now. */
	c.out[0] = 1;
	m[0].last_fail_ms = t;
	t += 2 * H;
	assert_int_equal(etcd_hedge_pick(m, 3, &c, t, H), 2);
	c.last_launch_ms[2] = t, c.out[2] = 2;
	m[1].last_fail_ms = t; /* 1 fails too: 0 failed longest ago, so it goes first */
	c.out[1] = 1;
	assert_int_equal(etcd_hedge_pick(m, 3, &c, t, H), 0); /* still asked: never dropped */
}

/* Writes: never in parallel; repeated after a failure only where it is harmless. */
static void test_write_policies(void **state)
{
	(void)state;
	assert_int_equal(etcd_hedge_next_ms(ETCD_HEDGE_SERIAL, 10, H), INT64_MAX);
	assert_int_equal(etcd_hedge_next_ms(ETCD_HEDGE_ONCE, 10, H), INT64_MAX);
	for (int p = 0; p < ETCD_HEDGE__COUNT; p++) {
		assert_true(etcd_hedge_retry((enum etcd_hedge_policy)p, ETCD_ANSWER_UNAPPLIED));
		assert_false(etcd_hedge_retry((enum etcd_hedge_policy)p, ETCD_ANSWER_OK));
		assert_false(etcd_hedge_retry((enum etcd_hedge_policy)p, ETCD_ANSWER_DEFINITE));
		assert_false(etcd_hedge_retry((enum etcd_hedge_policy)p, ETCD_ANSWER_AUTH));
	}
	assert_true(etcd_hedge_retry(ETCD_HEDGE_PARALLEL, ETCD_ANSWER_UNKNOWN));
	assert_true(etcd_hedge_retry(ETCD_HEDGE_SERIAL, ETCD_ANSWER_UNKNOWN));
	/* A plain put that may land late is not sent again: it could land after a newer one. */
	assert_false(etcd_hedge_retry(ETCD_HEDGE_ONCE, ETCD_ANSWER_UNKNOWN));
}

/* Every error etcd 3.4 gave in the stall, election and quorum-loss runs. */
static void test_classification(void **state)
{
	static const struct {
		long http;
		int code;
		const char *msg;
		enum etcd_answer want;
	} cases[] = {
	    {503, ETCD_CODE_UNAVAILABLE, "etcdserver: no leader", ETCD_ANSWER_UNAPPLIED},
	    {503, ETCD_CODE_UNAVAILABLE, "etcdserver: request timed out", ETCD_ANSWER_UNKNOWN},
	    {503, ETCD_CODE_UNAVAILABLE,
	     "etcdserver: request timed out, possibly due to previous leader failure",
	     ETCD_ANSWER_UNKNOWN},
	    {503, ETCD_CODE_UNAVAILABLE, "etcdserver: leader changed", ETCD_ANSWER_UNKNOWN},
	    {503, 0, "something else", ETCD_ANSWER_UNKNOWN},
	    {500, 2, "etcdserver: not capable", ETCD_ANSWER_UNAPPLIED},
	    {504, ETCD_CODE_DEADLINE_EXCEEDED, "context deadline exceeded", ETCD_ANSWER_UNKNOWN},
	    {404, ETCD_CODE_NOT_FOUND, "etcdserver: requested lease not found",
	     ETCD_ANSWER_DEFINITE},
	    {400, ETCD_CODE_INVALID_ARGUMENT, "etcdserver: key is not provided",
	     ETCD_ANSWER_DEFINITE},
	    {401, ETCD_CODE_UNAUTHENTICATED, "etcdserver: invalid auth token", ETCD_ANSWER_AUTH},
	    {400, ETCD_CODE_INVALID_ARGUMENT, "etcdserver: user name is empty", ETCD_ANSWER_AUTH},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum etcd_answer a =
		    etcd_hedge_classify_error(cases[i].http, cases[i].code, cases[i].msg);

		if (a != cases[i].want)
			fail_msg("\"%s\": %s, want %s", cases[i].msg, etcd_answer_str(a),
			         etcd_answer_str(cases[i].want));
	}
	/* No reply: connection refused (nothing sent) vs a timeout after sending. */
	assert_int_equal(etcd_hedge_classify_transport(false), ETCD_ANSWER_UNAPPLIED);
	assert_int_equal(etcd_hedge_classify_transport(true), ETCD_ANSWER_UNKNOWN);
	for (int a = 0; a < ETCD_ANSWER__COUNT; a++)
		assert_string_not_equal(etcd_answer_str((enum etcd_answer)a), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_preference_order),
	    cmocka_unit_test(test_hedge_schedule),
	    cmocka_unit_test(test_write_policies),
	    cmocka_unit_test(test_classification),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
