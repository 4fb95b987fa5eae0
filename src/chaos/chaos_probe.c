/*
 * chaos_probe.c: the one-writer probe threads (see chaos_probe.h).
 */
#include "chaos/chaos_probe.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "chaos/chaos_pq.h"
#include "util/clock.h"
#include "util/compiler.h"
#include "util/strutil.h"
#include "util/xalloc.h"

/* A frozen node must not stall its thread for long: the answer is due well within this. */
#define PROBE_TIMEOUT_MS 1500

struct probe_thread {
	struct chaos_probe *p;
	int node;
	char name[DCS_NAME_LEN];
	char conninfo[CHAOS_CONNINFO_LEN];
	pthread_t thread;
	bool started;
};

struct chaos_probe {
	atomic_bool stop;
	struct probe_thread threads[CHAOS_MAX_NODES];
	int n;
	pthread_mutex_t mu; /* guards the samples */
	struct chaos_sample *samples;
	int n_samples;
	int cap_samples;
};

static void add_sample(struct chaos_probe *p, int node, int64_t sent_us, bool acked)
{
	pthread_mutex_lock(&p->mu);
	if (p->n_samples == p->cap_samples) {
		p->cap_samples = p->cap_samples ? p->cap_samples * 2 : 1024;
		p->samples = xrealloc(p->samples, (size_t)p->cap_samples * sizeof(*p->samples));
	}
	p->samples[p->n_samples++] = (struct chaos_sample){
	    .node = node, .t_sent_us = sent_us, .t_us = clock_now_us(), .acked = acked};
	pthread_mutex_unlock(&p->mu);
}

/*
 * probe_once: true when the node, not in recovery, acknowledged a probe commit; *sent_us
 * gets the time the INSERT was sent (the commit happened between then and now).
 */
static bool probe_once(struct probe_thread *t, int64_t *sent_us)
{
	const char *params[1] = {t->name};
	char in_recovery[8] = "";
	char err[256];
	PGconn *c = chaos_pq_connect(t->conninfo, err, sizeof(err));
	bool acked = false;

	if (c == NULL)
		return false;
	if (chaos_pq_exec(c, "SELECT pg_is_in_recovery()", 0, NULL, PROBE_TIMEOUT_MS, &t->p->stop,
	                  in_recovery, sizeof(in_recovery), err, sizeof(err)) == CHAOS_PQ_OK &&
	    str_eq(in_recovery, "f")) {
		*sent_us = clock_now_us();
		acked = chaos_pq_exec(c, "INSERT INTO chaos_probe(node) VALUES ($1)", 1, params,
		                      PROBE_TIMEOUT_MS, &t->p->stop, NULL, 0, err,
		                      sizeof(err)) == CHAOS_PQ_OK;
	}
	PQfinish(c);
	return acked;
}

static void *probe_main(void *arg)
{
	struct probe_thread *t = arg;

	while (!atomic_load(&t->p->stop)) {
		int64_t next = clock_now_ms() + CHAOS_PROBE_PERIOD_MS;
		int64_t sent_us = clock_now_us();
		bool acked = probe_once(t, &sent_us);

		if (atomic_load(&t->p->stop))
			break;
		add_sample(t->p, t->node, sent_us, acked);
		while (!atomic_load(&t->p->stop) && clock_now_ms() < next)
			clock_sleep_ms(MIN(20, next - clock_now_ms()));
	}
	return NULL;
}

struct chaos_probe *chaos_probe_start(const struct chaos_target *target)
{
	struct chaos_probe *p = xcalloc(1, sizeof(*p));

	atomic_init(&p->stop, false);
	pthread_mutex_init(&p->mu, NULL);
	p->n = MIN(target->n_nodes, CHAOS_MAX_NODES);
	for (int k = 0; k < p->n; k++) {
		struct probe_thread *t = &p->threads[k];

		t->p = p;
		t->node = k;
		snprintf(t->name, sizeof(t->name), "%s", target->nodes[k].name);
		snprintf(t->conninfo, sizeof(t->conninfo), "%s", target->nodes[k].conninfo);
		t->started = pthread_create(&t->thread, NULL, probe_main, t) == 0;
		if (!t->started) {
			chaos_probe_free(p);
			return NULL;
		}
	}
	return p;
}

void chaos_probe_stop(struct chaos_probe *p)
{
	atomic_store(&p->stop, true);
	for (int k = 0; k < p->n; k++) {
		if (p->threads[k].started)
			pthread_join(p->threads[k].thread, NULL);
		p->threads[k].started = false;
	}
}

const struct chaos_sample *chaos_probe_samples(const struct chaos_probe *p, int *n)
{
	*n = p->n_samples;
	return p->samples;
}

void chaos_probe_free(struct chaos_probe *p)
{
	if (p == NULL)
		return;
	chaos_probe_stop(p); /* a no-op after the caller's stop */
	pthread_mutex_destroy(&p->mu);
	free(p->samples);
	free(p);
}
