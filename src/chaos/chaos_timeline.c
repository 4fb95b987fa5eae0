/*
 * chaos_timeline.c: the run's events (see chaos_timeline.h).
 */
#include "chaos/chaos_timeline.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/xalloc.h"

void chaos_timeline_init(struct chaos_timeline *tl)
{
	memset(tl, 0, sizeof(*tl));
	pthread_mutex_init(&tl->mu, NULL);
}

void chaos_timeline_deinit(struct chaos_timeline *tl)
{
	free(tl->ev);
	pthread_mutex_destroy(&tl->mu);
	tl->ev = NULL;
	tl->n = tl->cap = 0;
}

void chaos_timeline_add(struct chaos_timeline *tl, int64_t t_us, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&tl->mu);
	if (tl->n == tl->cap) {
		tl->cap = tl->cap ? tl->cap * 2 : 32;
		tl->ev = xrealloc(tl->ev, (size_t)tl->cap * sizeof(*tl->ev));
	}
	tl->ev[tl->n].t_us = t_us;
	va_start(ap, fmt);
	vsnprintf(tl->ev[tl->n].text, sizeof(tl->ev[tl->n].text), fmt, ap);
	va_end(ap);
	tl->n++;
	pthread_mutex_unlock(&tl->mu);
}

struct chaos_event *chaos_timeline_copy(struct chaos_timeline *tl, int *n)
{
	struct chaos_event *out;

	pthread_mutex_lock(&tl->mu);
	*n = tl->n;
	out = xcalloc((size_t)(tl->n ? tl->n : 1), sizeof(*out));
	if (tl->n)
		memcpy(out, tl->ev, (size_t)tl->n * sizeof(*out));
	pthread_mutex_unlock(&tl->mu);
	chaos_events_sort(out, *n);
	return out;
}

/* Insertion sort: stable, and a run has a few dozen events. */
void chaos_events_sort(struct chaos_event *ev, int n)
{
	for (int i = 1; i < n; i++) {
		struct chaos_event e = ev[i];
		int j = i - 1;

		while (j >= 0 && ev[j].t_us > e.t_us) {
			ev[j + 1] = ev[j];
			j--;
		}
		ev[j + 1] = e;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return (x > y) - (x < y);
}

double chaos_median(double *v, int n)
{
	if (n <= 0)
		return 0.0;
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}
