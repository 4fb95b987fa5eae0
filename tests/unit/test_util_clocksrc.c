/*
 * test_util_clocksrc.c: simulated time, on which the lease keeper's and the DCS's
 * sequence tests rely: waiters wake at their deadlines in order, every counted thread
 * has run before the time moves on, a signal wakes its waiter, and a wait by the
 * test's own thread drives the time. Real time waits as long as asked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>
#include "util/clock.h"
#include "util/clocksrc.h"
#include "util/thread.h"

#define START 1000000

/* A log of (thread, time) wake-ups, in the order they happened. */
struct wakes {
	pthread_mutex_t mu;
	char who[64];
	int64_t at[64];
	int n;
};

static void note(struct wakes *w, char who, int64_t at)
{
	pthread_mutex_lock(&w->mu);
	if (w->n < 64) {
		w->who[w->n] = who;
		w->at[w->n++] = at;
	}
	pthread_mutex_unlock(&w->mu);
}

struct sleeper {
	struct clocksrc *clock;
	struct wakes *log;
	char name;
	int64_t period_ms;
	int rounds;
};

static void *sleeper_main(void *arg)
{
	struct sleeper *s = arg;

	clocksrc_thread_begin(s->clock);
	for (int i = 0; i < s->rounds; i++) {
		clocksrc_sleep_ms(s->clock, s->period_ms);
		note(s->log, s->name, clocksrc_now_ms(s->clock));
	}
	clocksrc_thread_exit(s->clock);
	return NULL;
}

static void start(struct sleeper *s, pthread_t *t)
{
	clocksrc_thread_add(s->clock);
	assert_int_equal(thread_start(t, "sleeper", sleeper_main, s), 0);
}

/* Two periodic threads: each wakes exactly on its deadlines, in time order. */
static void test_deadlines_in_order(void **state)
{
	struct clocksrc *c = clocksrc_sim_new(START);
	struct wakes log = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct sleeper a = {c, &log, 'a', 100, 10}, b = {c, &log, 'b', 250, 4};
	pthread_t ta, tb;

	(void)state;
	start(&a, &ta);
	start(&b, &tb);
	clocksrc_sim_settle(c);
	assert_int_equal(log.n, 0); /* nothing runs before the time moves */
	clocksrc_sim_advance(c, 1000);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_int_equal(clocksrc_now_ms(c), START + 1000);
	assert_int_equal(log.n, 14);
	for (int i = 0, na = 0, nb = 0; i < log.n; i++) {
		if (i > 0)
			assert_true(log.at[i] >= log.at[i - 1]);
		if (log.who[i] == 'a')
			assert_int_equal(log.at[i], START + 100 * ++na);
		else
			assert_int_equal(log.at[i], START + 250 * ++nb);
	}
	clocksrc_sim_free(c);
}

struct flag_waiter {
	struct clocksrc *clock;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool flag;
	int64_t seen_at; /* time the flag was seen, 0 = not yet */
};

static void *flag_main(void *arg)
{
	struct flag_waiter *f = arg;

	clocksrc_thread_begin(f->clock);
	pthread_mutex_lock(&f->mu);
	while (!f->flag)
		clocksrc_wait(f->clock, &f->cv, &f->mu, CLOCKSRC_FOREVER);
	f->seen_at = clocksrc_now_ms(f->clock);
	pthread_mutex_unlock(&f->mu);
	clocksrc_thread_exit(f->clock);
	return NULL;
}

/* A signal wakes a waiter without the time moving; settling waits until it ran. */
static void test_signal_wakes(void **state)
{
	struct flag_waiter f = {.mu = PTHREAD_MUTEX_INITIALIZER};
	pthread_t t;

	(void)state;
	f.clock = clocksrc_sim_new(START);
	clocksrc_cond_init(&f.cv);
	clocksrc_thread_add(f.clock);
	assert_int_equal(thread_start(&t, "waiter", flag_main, &f), 0);
	clocksrc_sim_advance(f.clock, 5000); /* waits forever: time alone does nothing */
	assert_int_equal(f.seen_at, 0);
	pthread_mutex_lock(&f.mu);
	f.flag = true;
	clocksrc_signal(f.clock, &f.cv);
	pthread_mutex_unlock(&f.mu);
	clocksrc_sim_settle(f.clock);
	pthread_join(t, NULL);
	assert_int_equal(f.seen_at, START + 5000);
	pthread_cond_destroy(&f.cv);
	clocksrc_sim_free(f.clock);
}

/* The test's own (uncounted) wait moves the time, waking the others on the way. */
static void test_uncounted_wait_drives_time(void **state)
{
	struct clocksrc *c = clocksrc_sim_new(START);
	struct wakes log = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct sleeper a = {c, &log, 'a', 300, 1};
	pthread_t t;

	(void)state;
	start(&a, &t);
	clocksrc_sim_settle(c);
	clocksrc_sleep_ms(c, 500);
	assert_int_equal(clocksrc_now_ms(c), START + 500);
	clocksrc_sim_settle(c);
	pthread_join(t, NULL);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.at[0], START + 300); /* on time, while the test slept */
	clocksrc_sim_free(c);
}

/* Real time: a timed wait lasts until its deadline (no signal comes). */
static void test_real_wait(void **state)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv;
	struct clocksrc *c = clocksrc_real();
	int64_t t0 = clocksrc_now_ms(NULL), deadline = t0 + 30;

	(void)state;
	assert_false(clocksrc_is_sim(c));
	clocksrc_cond_init(&cv);
	pthread_mutex_lock(&mu);
	while (clocksrc_now_ms(c) < deadline)
		clocksrc_wait(c, &cv, &mu, deadline);
	pthread_mutex_unlock(&mu);
	assert_true(clock_now_ms() - t0 >= 30);
	pthread_cond_destroy(&cv);
	clocksrc_sim_free(c); /* the real clock is never freed */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_deadlines_in_order),
	    cmocka_unit_test(test_signal_wakes),
	    cmocka_unit_test(test_uncounted_wait_drives_time),
	    cmocka_unit_test(test_real_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
