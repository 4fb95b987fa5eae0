/*
 * http_deadline.c: the request deadline of the HTTP servers' connections (http_deadline.h).
 *
 * A list of the open connections under one mutex; the watcher scans it twice a second
 * (at most a few hundred entries: the server's connection limit).
 */
#include "util/http_deadline.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include "util/clocksrc.h"
#include "util/thread.h"
#include "util/xalloc.h"

#define WATCH_PERIOD_MS 500

struct http_deadline_conn {
	int fd;
	int64_t deadline_ms; /* CLOCKSRC_FOREVER while answered or once shut down */
	struct http_deadline_conn *prev, *next;
};

struct http_deadlines {
	int timeout_ms;
	struct clocksrc *clock;
	pthread_mutex_t mu; /* guards everything below */
	pthread_cond_t cv;  /* stop */
	struct http_deadline_conn *head;
	atomic_uint_fast64_t reaped; /* read without the lock */
	bool stop;
	bool started;
	pthread_t thread;
};

struct http_deadlines *http_deadline_new(int timeout_ms, struct clocksrc *clock)
{
	struct http_deadlines *d = xcalloc(1, sizeof(*d));

	d->timeout_ms = timeout_ms;
	d->clock = clock;
	pthread_mutex_init(&d->mu, NULL);
	clocksrc_cond_init(&d->cv);
	return d;
}

static void *watch(void *arg)
{
	struct http_deadlines *d = arg;

	pthread_mutex_lock(&d->mu);
	while (!d->stop) {
		pthread_mutex_unlock(&d->mu);
		(void)http_deadline_reap(d);
		pthread_mutex_lock(&d->mu);
		if (!d->stop)
			clocksrc_wait(d->clock, &d->cv, &d->mu,
			              clocksrc_now_ms(d->clock) + WATCH_PERIOD_MS);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

int http_deadline_start(struct http_deadlines *d)
{
	int rc = thread_start(&d->thread, "api-deadline", watch, d);

	d->started = rc == 0;
	return rc;
}

void http_deadline_free(struct http_deadlines *d)
{
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	d->stop = true;
	clocksrc_signal(d->clock, &d->cv);
	pthread_mutex_unlock(&d->mu);
	if (d->started)
		pthread_join(d->thread, NULL);
	while (d->head != NULL)
		http_deadline_untrack(d, d->head);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

struct http_deadline_conn *http_deadline_track(struct http_deadlines *d, int fd)
{
	struct http_deadline_conn *c = xcalloc(1, sizeof(*c));

	c->fd = fd;
	pthread_mutex_lock(&d->mu);
	c->deadline_ms = clocksrc_now_ms(d->clock) + d->timeout_ms;
	c->next = d->head;
	if (d->head != NULL)
		d->head->prev = c;
	d->head = c;
	pthread_mutex_unlock(&d->mu);
	return c;
}

void http_deadline_untrack(struct http_deadlines *d, struct http_deadline_conn *c)
{
	pthread_mutex_lock(&d->mu);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		d->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&d->mu);
	free(c);
}

void http_deadline_answering(struct http_deadlines *d, struct http_deadline_conn *c)
{
	pthread_mutex_lock(&d->mu);
	c->deadline_ms = CLOCKSRC_FOREVER;
	pthread_mutex_unlock(&d->mu);
}

void http_deadline_next(struct http_deadlines *d, struct http_deadline_conn *c)
{
	pthread_mutex_lock(&d->mu);
	c->deadline_ms = clocksrc_now_ms(d->clock) + d->timeout_ms;
	pthread_mutex_unlock(&d->mu);
}

int http_deadline_reap(struct http_deadlines *d)
{
	int64_t now_ms = clocksrc_now_ms(d->clock);
	int n = 0;

	pthread_mutex_lock(&d->mu);
	for (struct http_deadline_conn *c = d->head; c != NULL; c = c->next) {
		if (now_ms < c->deadline_ms)
			continue;
		/* Counted first: whoever sees the socket end sees the count. Not close(): the
		 * fd stays libmicrohttpd's until it reports the close. */
		atomic_fetch_add(&d->reaped, 1);
		(void)shutdown(c->fd, SHUT_RDWR);
		c->deadline_ms = CLOCKSRC_FOREVER;
		n++;
	}
	pthread_mutex_unlock(&d->mu);
	return n;
}

uint64_t http_deadline_reaped(struct http_deadlines *d)
{
	return atomic_load(&d->reaped);
}
