/*
 * clocksrc.c: real and simulated time (see clocksrc.h).
 *
 * Simulated waits: a waiter registers (deadline, the cv it waits on) in the clock's
 * list under the clock's lock, releases its own mutex and sleeps on the clock's
 * wake_cv until it is marked woken, by clocksrc_signal on its cv or by time passing
 * its deadline. Only the clock's lock is ever taken while the caller's mutex is held
 * (never the other way round), so the clock cannot deadlock with its users.
 */
#include "util/clocksrc.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "util/clock.h"
#include "util/compiler.h"
#include "util/xalloc.h"

struct sim_waiter {
	int64_t deadline_ms;
	const pthread_cond_t *cv; /* signalled through clocksrc_signal; NULL for a sleep */
	bool counted;             /* a counted thread (not the test's own) */
	bool woken;
	struct sim_waiter *next;
};

struct clocksrc {
	bool sim;
	pthread_mutex_t lk;      /* guards everything below */
	pthread_cond_t wake_cv;  /* a waiter was marked woken */
	pthread_cond_t idle_cv;  /* a counted thread started to wait, or exited */
	int64_t now_ms;          /* simulated time */
	bool free_running;       /* clocksrc_sim_release: every wait ends at once */
	int threads;             /* counted threads */
	int waiting;             /* counted threads waiting, not yet woken */
	struct sim_waiter *list; /* every waiter not yet gone */
};

static struct clocksrc real_clock = {.sim = false};

struct clocksrc *clocksrc_real(void)
{
	return &real_clock;
}

struct clocksrc *clocksrc_sim_new(int64_t start_ms)
{
	struct clocksrc *c = xcalloc(1, sizeof(*c));

	c->sim = true;
	c->now_ms = start_ms;
	pthread_mutex_init(&c->lk, NULL);
	pthread_cond_init(&c->wake_cv, NULL);
	pthread_cond_init(&c->idle_cv, NULL);
	return c;
}

void clocksrc_sim_free(struct clocksrc *c)
{
	if (c == NULL || !c->sim)
		return;
	pthread_cond_destroy(&c->wake_cv);
	pthread_cond_destroy(&c->idle_cv);
	pthread_mutex_destroy(&c->lk);
	free(c);
}

bool clocksrc_is_sim(const struct clocksrc *c)
{
	return c != NULL && c->sim;
}

int64_t clocksrc_now_ms(struct clocksrc *c)
{
	int64_t now;

	if (!clocksrc_is_sim(c))
		return clock_now_ms();
	pthread_mutex_lock(&c->lk);
	now = c->now_ms;
	pthread_mutex_unlock(&c->lk);
	return now;
}

void clocksrc_cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t ca;

	/* Timed waits count on CLOCK_MONOTONIC: a wall-clock step cannot stretch them. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
}

/* --- real time ------------------------------------------------------------------------ */

static void real_wait(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t deadline_ms)
{
	struct timespec ts;
	int64_t left = deadline_ms - clock_now_ms();

	if (deadline_ms == CLOCKSRC_FOREVER) {
		pthread_cond_wait(cv, mu);
		return;
	}
	if (left <= 0)
		return;
	/* Deadlines are on CLOCK_BOOTTIME; condition variables wait on CLOCK_MONOTONIC. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += left / 1000;
	ts.tv_nsec += (left % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(cv, mu, &ts);
}

/* --- simulated time (c->lk held) --------------------------------------------------------- */

static void mark_woken(struct clocksrc *c, struct sim_waiter *w)
{
	w->woken = true;
	if (w->counted)
		c->waiting--;
}

/* wake_due: marks every waiter whose deadline has come; true if there was one. */
static bool wake_due(struct clocksrc *c)
{
	bool any = false;

	for (struct sim_waiter *w = c->list; w != NULL; w = w->next) {
		if (!w->woken && w->deadline_ms <= c->now_ms) {
			mark_woken(c, w);
			any = true;
		}
	}
	if (any)
		pthread_cond_broadcast(&c->wake_cv);
	return any;
}

static void unlink_waiter(struct clocksrc *c, const struct sim_waiter *w)
{
	struct sim_waiter **p = &c->list;

	while (*p != w)
		p = &(*p)->next;
	*p = w->next;
}

static void wait_idle(struct clocksrc *c)
{
	while (c->waiting < c->threads)
		pthread_cond_wait(&c->idle_cv, &c->lk);
}

/* next_deadline: the earliest deadline of a waiter not yet woken. */
static int64_t next_deadline(const struct clocksrc *c)
{
	int64_t next = CLOCKSRC_FOREVER;

	for (const struct sim_waiter *w = c->list; w != NULL; w = w->next)
		if (!w->woken && w->deadline_ms < next)
			next = w->deadline_ms;
	return next;
}

/*
 * drive: the waiting of an uncounted thread (w registered): it moves the time itself,
 * deadline by deadline, each time after every counted thread has run and waits again,
 * until w is woken (signalled, or its own deadline came).
 */
static void drive(struct clocksrc *c, struct sim_waiter *w)
{
	for (;;) {
		int64_t next;

		wait_idle(c);
		if (w->woken)
			return;
		next = next_deadline(c);
		if (next == CLOCKSRC_FOREVER) {
			/* Every thread waits for a signal that nobody can send any more. */
			fprintf(stderr, "clocksrc: simulated time deadlocked\n");
			abort();
		}
		c->now_ms = MAX(c->now_ms, next);
		(void)wake_due(c);
	}
}

/*
 * sim_block: waits (c->lk held) until marked woken, releasing mu (if not NULL) on
 * the way; returns whether it did. A counted thread sleeps until someone moves the
 * time or signals it; an uncounted one moves the time itself (drive). Once the clock
 * runs free (teardown), a timed wait jumps straight to its deadline.
 */
static bool sim_block(struct clocksrc *c, const pthread_cond_t *cv, pthread_mutex_t *mu,
                      int64_t deadline_ms, bool counted)
{
	struct sim_waiter w = {.deadline_ms = deadline_ms, .cv = cv, .counted = counted};

	if (deadline_ms <= c->now_ms)
		return false;
	if (c->free_running && deadline_ms != CLOCKSRC_FOREVER) {
		c->now_ms = deadline_ms;
		(void)wake_due(c);
		return false;
	}
	w.next = c->list;
	c->list = &w;
	if (counted) {
		c->waiting++;
		pthread_cond_broadcast(&c->idle_cv);
	}
	if (mu != NULL)
		pthread_mutex_unlock(mu);
	if (counted) {
		while (!w.woken)
			pthread_cond_wait(&c->wake_cv, &c->lk);
	} else {
		drive(c, &w);
	}
	unlink_waiter(c, &w);
	return mu != NULL;
}

/* The clock the calling thread was counted on (clocksrc_thread_begin), if any. */
static _Thread_local const struct clocksrc *counted_on;

static bool counted_thread(const struct clocksrc *c)
{
	return counted_on == c;
}

void clocksrc_wait(struct clocksrc *c, pthread_cond_t *cv, pthread_mutex_t *mu, int64_t deadline_ms)
{
	bool released;

	if (!clocksrc_is_sim(c)) {
		real_wait(cv, mu, deadline_ms);
		return;
	}
	pthread_mutex_lock(&c->lk);
	released = sim_block(c, cv, mu, deadline_ms, counted_thread(c));
	pthread_mutex_unlock(&c->lk);
	if (released)
		pthread_mutex_lock(mu);
}

void clocksrc_signal(struct clocksrc *c, pthread_cond_t *cv)
{
	bool any = false;

	if (!clocksrc_is_sim(c)) {
		pthread_cond_broadcast(cv);
		return;
	}
	pthread_mutex_lock(&c->lk);
	for (struct sim_waiter *w = c->list; w != NULL; w = w->next) {
		if (!w->woken && w->cv == cv) {
			mark_woken(c, w);
			any = true;
		}
	}
	if (any) {
		pthread_cond_broadcast(&c->wake_cv);
		pthread_cond_broadcast(&c->idle_cv); /* an uncounted driver checks its flag */
	}
	pthread_mutex_unlock(&c->lk);
}

void clocksrc_sleep_ms(struct clocksrc *c, int64_t ms)
{
	if (!clocksrc_is_sim(c)) {
		clock_sleep_ms(ms);
		return;
	}
	pthread_mutex_lock(&c->lk);
	(void)sim_block(c, NULL, NULL, c->now_ms + ms, counted_thread(c));
	pthread_mutex_unlock(&c->lk);
}

void clocksrc_thread_add(struct clocksrc *c)
{
	if (!clocksrc_is_sim(c))
		return;
	pthread_mutex_lock(&c->lk);
	c->threads++;
	pthread_mutex_unlock(&c->lk);
}

void clocksrc_thread_begin(struct clocksrc *c)
{
	if (clocksrc_is_sim(c))
		counted_on = c;
}

void clocksrc_thread_exit(struct clocksrc *c)
{
	if (!clocksrc_is_sim(c))
		return;
	if (counted_on == c)
		counted_on = NULL;
	pthread_mutex_lock(&c->lk);
	c->threads--;
	pthread_cond_broadcast(&c->idle_cv);
	pthread_mutex_unlock(&c->lk);
}

void clocksrc_sim_advance(struct clocksrc *c, int64_t ms)
{
	/* The test's own sleep: time moves, deadline by deadline, to now + ms. */
	pthread_mutex_lock(&c->lk);
	(void)sim_block(c, NULL, NULL, c->now_ms + ms, false);
	wait_idle(c);
	pthread_mutex_unlock(&c->lk);
}

void clocksrc_sim_release(struct clocksrc *c)
{
	pthread_mutex_lock(&c->lk);
	c->free_running = true;
	for (struct sim_waiter *w = c->list; w != NULL; w = w->next) {
		if (!w->woken && w->deadline_ms != CLOCKSRC_FOREVER) {
			c->now_ms = MAX(c->now_ms, w->deadline_ms);
			mark_woken(c, w);
		}
	}
	pthread_cond_broadcast(&c->wake_cv);
	pthread_mutex_unlock(&c->lk);
}

void clocksrc_sim_settle(struct clocksrc *c)
{
	pthread_mutex_lock(&c->lk);
	wait_idle(c);
	pthread_mutex_unlock(&c->lk);
}
