/*
 * agent_dyn.c: the agent's dynamic configuration, one immutable snapshot per config
 * key revision, shared by reference count between the HA loop and the REST threads.
 *
 * Why not a lock around the struct: a REST request reads several fields across a wait
 * of seconds (a switchover reads loop_wait after checking pause); it keeps the
 * configuration it started with, whole, while the loop moves on to a new one.
 */
#include <stdlib.h>
#include "ha/agent_int.h"
#include "util/xalloc.h"

struct agent_dyn *agent_dyn_new(const struct dyn_config *cfg, int64_t revision)
{
	struct agent_dyn *d = xcalloc(1, sizeof(*d));

	atomic_init(&d->refs, 1);
	d->revision = revision;
	dyn_config_copy(&d->cfg, cfg);
	return d;
}

struct agent_dyn *agent_dyn_get(struct agent *a)
{
	struct agent_dyn *d;

	pthread_mutex_lock(&a->dyn_mu);
	d = a->dyn;
	atomic_fetch_add(&d->refs, 1);
	pthread_mutex_unlock(&a->dyn_mu);
	return d;
}

void agent_dyn_put(struct agent_dyn *d)
{
	/* acq_rel: the last holder sees every other holder's reads completed before it frees. */
	if (d == NULL || atomic_fetch_sub_explicit(&d->refs, 1, memory_order_acq_rel) != 1)
		return;
	dyn_config_free(&d->cfg);
	free(d);
}

void agent_dyn_publish(struct agent *a, struct agent_dyn *d)
{
	struct agent_dyn *old;

	pthread_mutex_lock(&a->dyn_mu);
	old = a->dyn;
	a->dyn = d;
	pthread_mutex_unlock(&a->dyn_mu);
	agent_dyn_put(old);
}
