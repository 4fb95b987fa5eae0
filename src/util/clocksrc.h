/*
 * clocksrc.h: the time that threads read and wait on: real, or simulated for tests.
 *
 * Code that keeps deadlines (the lease keeper and its fencer, the HA loop's clock,
 * the REST API's waits, the in-memory DCS's leases) reads the time and waits through
 * a struct clocksrc instead of calling the system, so that unit tests can run it on
 * simulated time: sequences of renewals, deadlines and fencing then run in
 * microseconds and the same way every time.
 *
 * Real time is CLOCK_BOOTTIME, as clock_now_ms() (util/clock.h). Its waits are
 * pthread_cond_timedwait on condition variables made by clocksrc_cond_init.
 *
 * Simulated time moves only when a thread that is not counted (the test's own) waits:
 * clocksrc_sim_advance, or any wait or sleep of that thread (a slow request it makes,
 * its wait for a counted thread's answer). It wakes the waiters whose deadlines pass,
 * earliest first, and lets every counted thread run until it waits again before it
 * moves on. Two rules make that work:
 *  - a thread that waits on simulated time is counted (clocksrc_thread_add, _begin,
 *    _exit below), and never blocks, other than on the clock, on a lock that the
 *    driving thread holds;
 *  - a condition variable a counted thread waits on is signalled with
 *    clocksrc_signal, so that the clock knows the waiter runs again.
 * One uncounted thread drives the time at a time.
 * Nothing here logs.
 */
#ifndef PGHA_UTIL_CLOCKSRC_H
#define PGHA_UTIL_CLOCKSRC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define CLOCKSRC_FOREVER INT64_MAX /* a deadline that never passes */

struct clocksrc;

/* clocksrc_real: the system's clock. Shared and never freed; callers may pass NULL for it. */
struct clocksrc *clocksrc_real(void);
/* clocksrc_sim_new: a simulated clock reading start_ms. Owned: clocksrc_sim_free. */
struct clocksrc *clocksrc_sim_new(int64_t start_ms);
/* clocksrc_sim_free: frees c once no thread uses it; the real clock is left alone. */
void clocksrc_sim_free(struct clocksrc *c);
bool clocksrc_is_sim(const struct clocksrc *c);

/* clocksrc_now_ms: the time in ms (c NULL: the real clock). */
int64_t clocksrc_now_ms(struct clocksrc *c);
/* clocksrc_cond_init: a condition variable clocksrc_wait can use on any clock. */
void clocksrc_cond_init(pthread_cond_t *cv);
/*
 * clocksrc_wait: with mu held, waits until cv is signalled or deadline_ms (on c) has
 * come, and returns with mu held again. As with pthread_cond_wait, the caller checks
 * its condition in a loop: a return says neither which nor that anything changed.
 */
void clocksrc_wait(struct clocksrc *c, pthread_cond_t *cv, pthread_mutex_t *mu,
                   int64_t deadline_ms);
/* clocksrc_signal: wakes every waiter of cv; call it with cv's mutex held. */
void clocksrc_signal(struct clocksrc *c, pthread_cond_t *cv);
/* clocksrc_sleep_ms: sleeps ms on c. */
void clocksrc_sleep_ms(struct clocksrc *c, int64_t ms);

/*
 * Counting a thread that waits on simulated time (all three are no-ops on real time):
 * clocksrc_thread_add by its creator before the thread is created (so that settling
 * waits for it to reach its first wait), clocksrc_thread_begin first thing in the
 * thread, clocksrc_thread_exit as it ends (or by the creator if it did not start).
 */
void clocksrc_thread_add(struct clocksrc *c);
void clocksrc_thread_begin(struct clocksrc *c);
void clocksrc_thread_exit(struct clocksrc *c);

/*
 * clocksrc_sim_advance: moves simulated time forward by ms, stopping at each waiter's
 * deadline on the way (earliest first) until every counted thread waits again, and
 * returns when the time reads start + ms and all counted threads wait. The same as a
 * sleep of the calling (uncounted) thread.
 */
void clocksrc_sim_advance(struct clocksrc *c, int64_t ms);
/* clocksrc_sim_settle: returns once every counted thread waits (time does not move). */
void clocksrc_sim_settle(struct clocksrc *c);
/*
 * clocksrc_sim_release: from now on time runs as fast as the threads wait (every timed
 * wait jumps to its deadline): a test's teardown, so that threads caught in a slow
 * request or a sleep can be stopped and joined.
 */
void clocksrc_sim_release(struct clocksrc *c);

#endif
