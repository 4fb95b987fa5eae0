/*
 * chaos_timeline.h: the events of one chaos run ("node2 acquired leader key"), each
 * stamped with clock_now_us(), appended from any thread and read back in time order.
 *
 * Thread-safe (one mutex); the sorting and median helpers are pure.
 */
#ifndef PGHA_CHAOS_CHAOS_TIMELINE_H
#define PGHA_CHAOS_CHAOS_TIMELINE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "util/compiler.h"

#define CHAOS_EVENT_LEN 160

struct chaos_event {
	int64_t t_us;                /* clock_now_us() when it happened */
	char text[CHAOS_EVENT_LEN];  /* "node2 promoted (timeline 3)" */
};

struct chaos_timeline {
	pthread_mutex_t mu;
	struct chaos_event *ev; /* owned, in arrival order */
	int n;
	int cap;
};

void chaos_timeline_init(struct chaos_timeline *tl);
void chaos_timeline_deinit(struct chaos_timeline *tl);
/* chaos_timeline_add: one event at t_us (truncated to CHAOS_EVENT_LEN - 1 bytes). */
void chaos_timeline_add(struct chaos_timeline *tl, int64_t t_us, const char *fmt, ...)
    PRINTF_LIKE(3, 4);
/*
 * chaos_timeline_copy: the events sorted by time (arrival order among equal times) into
 * a new array (owned, free it); *n gets their number.
 */
struct chaos_event *chaos_timeline_copy(struct chaos_timeline *tl, int *n);
/* chaos_events_sort: stable sort by t_us. Pure. */
void chaos_events_sort(struct chaos_event *ev, int n);
/* chaos_median: median of v[0..n) (sorts v in place); 0 for n == 0. Pure. */
double chaos_median(double *v, int n);

#endif
