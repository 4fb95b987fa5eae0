/*
 * chaos_observe.c: the DCS and REST observer threads (see chaos_observe.h).
 */
#include "chaos/chaos_observe.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "chaos/chaos_etcd.h"
#include "client/client_rest.h"
#include "http/http.h"
#include "util/clock.h"
#include "util/compiler.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define DCS_WAIT_MS     20 /* the watch wakes us at once; this bounds a missed wake-up */
#define REST_TIMEOUT_MS 300
#define ETCD_TIMEOUT_MS 150

struct chaos_observer {
	struct dcs *d;
	const struct chaos_target *t;
	struct chaos_timeline *tl;
	pthread_t threads[3]; /* thread_mains' threads */
	int n_threads;        /* started */
	atomic_bool stop;
	pthread_mutex_t mu; /* guards below */
	bool armed;
	char last_holder[DCS_NAME_LEN]; /* the last value the leader key had ("" never) */
	struct chaos_cluster_obs obs;
};

/* --- DCS ------------------------------------------------------------------------------ */

static void dcs_event(struct chaos_observer *o, const struct dcs_view *v)
{
	struct chaos_cluster_obs *s = &o->obs;
	int64_t now = clock_now_us();

	if (v->has_leader && !str_eq(o->last_holder, v->leader)) {
		s->leader_changes += o->armed && o->last_holder[0];
		snprintf(o->last_holder, sizeof(o->last_holder), "%s", v->leader);
	}
	if (o->armed && s->has_leader && !v->has_leader)
		chaos_timeline_add(o->tl, now, "leader key gone (%s's lease expired or released)",
		                   s->leader);
	else if (o->armed && v->has_leader && (!s->has_leader || !str_eq(s->leader, v->leader)))
		chaos_timeline_add(o->tl, now, "%s acquired leader key", v->leader);
}

static void dcs_apply(struct chaos_observer *o, const struct dcs_view *v)
{
	struct chaos_cluster_obs *s = &o->obs;

	pthread_mutex_lock(&o->mu);
	dcs_event(o, v);
	s->dcs_ok = v->valid;
	s->has_leader = v->has_leader;
	snprintf(s->leader, sizeof(s->leader), "%s", v->has_leader ? v->leader : "");
	s->has_sync = v->sync.present;
	snprintf(s->sync_leader, sizeof(s->sync_leader), "%s", v->sync.leader);
	snprintf(s->sync_standby, sizeof(s->sync_standby), "%s",
	         v->sync.n_standbys > 0 ? v->sync.standbys[0] : "");
	pthread_mutex_unlock(&o->mu);
}

static void *dcs_main(void *arg)
{
	struct chaos_observer *o = arg;

	while (!atomic_load(&o->stop)) {
		struct dcs_view v;

		if (dcs_snapshot(o->d, &v, -1)) {
			dcs_apply(o, &v);
			dcs_view_free(&v);
		} else {
			pthread_mutex_lock(&o->mu);
			o->obs.dcs_ok = false;
			pthread_mutex_unlock(&o->mu);
		}
		(void)dcs_wait(o->d, DCS_WAIT_MS);
	}
	return NULL;
}

/* --- REST ----------------------------------------------------------------------------- */

static void copy_str(json_t *o, const char *key, char *out, size_t size)
{
	const char *s = json_string_value(json_object_get(o, key));

	snprintf(out, size, "%s", s ? s : "");
}

/* parse_patroni: GET /patroni's body into n (name and seen_* marks kept). */
static bool parse_patroni(const char *body, struct chaos_node_obs *n)
{
	json_t *j = json_loads(body, 0, NULL);
	json_t *rs;

	if (!json_is_object(j)) {
		json_decref(j);
		return false;
	}
	copy_str(j, "role", n->role, sizeof(n->role));
	if (str_eq(n->role, "master"))
		snprintf(n->role, sizeof(n->role), "primary");
	copy_str(j, "state", n->state, sizeof(n->state));
	n->timeline = (int)json_integer_value(json_object_get(j, "timeline"));
	rs = json_object_get(j, "replication_state");
	n->has_replication_state = json_is_string(rs);
	n->streaming = n->has_replication_state && str_eq(json_string_value(rs), "streaming");
	n->failsafe_active = json_is_true(json_object_get(j, "failsafe_mode_is_active"));
	json_decref(j);
	return true;
}

static void rest_event(struct chaos_observer *o, const struct chaos_node_obs *old,
                       struct chaos_node_obs *n)
{
	int64_t now = clock_now_us();

	int max_tl = old->max_timeline;

	n->max_timeline = MAX(max_tl, n->timeline);
	if (!o->armed)
		return;
	/* a new timeline, not a node reporting again (a resumed freeze shows stale state) */
	if (str_eq(n->role, "primary") && str_eq(n->state, "running") && n->timeline > max_tl)
		chaos_timeline_add(o->tl, now, "%s promoted (timeline %d)", n->name, n->timeline);
	if (str_eq(n->state, "rewinding") && !n->seen_rewinding) {
		n->seen_rewinding = true;
		chaos_timeline_add(o->tl, now, "%s running pg_rewind", n->name);
	}
	if (str_eq(n->state, "creating replica") && !n->seen_recloning) {
		n->seen_recloning = true;
		chaos_timeline_add(o->tl, now, "%s re-cloning from the leader", n->name);
	}
}

static void poll_node(struct chaos_observer *o, int k)
{
	char url[DCS_URL_LEN + 16];
	char err[256];
	struct buf body;
	long status = 0;
	struct chaos_node_obs n;

	pthread_mutex_lock(&o->mu);
	n = o->obs.nodes[k];
	pthread_mutex_unlock(&o->mu);
	buf_init(&body);
	n.answered =
	    client_api_url(o->t->nodes[k].api_url, "patroni", url, sizeof(url)) &&
	    http_get(url, &o->t->cl->rest_tls, REST_TIMEOUT_MS, &status, &body, err, sizeof(err)) &&
	    status == 200 && parse_patroni(body.data, &n);
	if (!n.answered)
		snprintf(n.state, sizeof(n.state), "not answering");
	buf_free(&body);
	pthread_mutex_lock(&o->mu);
	rest_event(o, &o->obs.nodes[k], &n);
	o->obs.nodes[k] = n;
	pthread_mutex_unlock(&o->mu);
}

/* note_failsafe: a round in which some node reported failsafe counts for its length. */
static void note_failsafe(struct chaos_observer *o, int64_t round_us)
{
	bool any = false;

	pthread_mutex_lock(&o->mu);
	for (int k = 0; k < o->obs.n; k++)
		any = any || (o->obs.nodes[k].answered && o->obs.nodes[k].failsafe_active);
	if (o->armed && any)
		o->obs.failsafe_us += round_us;
	pthread_mutex_unlock(&o->mu);
}

static void *rest_main(void *arg)
{
	struct chaos_observer *o = arg;

	while (!atomic_load(&o->stop)) {
		int64_t start = clock_now_us();
		int64_t next = clock_now_ms() + CHAOS_OBSERVE_REST_MS;

		for (int k = 0; k < o->t->n_nodes && !atomic_load(&o->stop); k++)
			poll_node(o, k);
		while (!atomic_load(&o->stop) && clock_now_ms() < next)
			clock_sleep_ms(MIN(20, next - clock_now_ms()));
		note_failsafe(o, clock_now_us() - start);
	}
	return NULL;
}

/* --- etcd's raft ------------------------------------------------------------------------ */

static void etcd_apply(struct chaos_observer *o, int leader)
{
	struct chaos_cluster_obs *s = &o->obs;

	pthread_mutex_lock(&o->mu);
	if (leader != s->etcd_leader) {
		if (o->armed && leader >= 0 && s->etcd_leader >= 0)
			s->etcd_leader_changes++;
		if (o->armed)
			chaos_timeline_add(o->tl, clock_now_us(),
			                   leader >= 0 ? "etcd raft leader: %s"
			                               : "etcd: no raft leader known%s",
			                   leader >= 0 ? chaos_target_etcd_name(o->t, leader) : "");
		s->etcd_leader = leader;
	}
	pthread_mutex_unlock(&o->mu);
}

static void *etcd_main(void *arg)
{
	struct chaos_observer *o = arg;
	struct chaos_etcd_view v = {0};

	while (!atomic_load(&o->stop)) {
		int64_t next = clock_now_ms() + CHAOS_OBSERVE_ETCD_MS;

		chaos_etcd_status(o->t->cl, ETCD_TIMEOUT_MS, &v);
		etcd_apply(o, v.leader);
		while (!atomic_load(&o->stop) && clock_now_ms() < next)
			clock_sleep_ms(MIN(20, next - clock_now_ms()));
	}
	return NULL;
}

/*
 * The observer's threads, in start order (the DCS view first: the REST poller reads
 * it); etcd's raft last, only when asked for.
 */
static void *(*const thread_mains[])(void *) = {dcs_main, rest_main, etcd_main};

/* --- API ------------------------------------------------------------------------------ */

struct chaos_observer *chaos_observe_start(struct dcs *d, const struct chaos_target *t,
                                           struct chaos_timeline *tl, bool watch_etcd)
{
	struct chaos_observer *o = xcalloc(1, sizeof(*o));
	size_t n_threads = ARRAY_LEN(thread_mains) - !watch_etcd;

	o->d = d;
	o->t = t;
	o->tl = tl;
	atomic_init(&o->stop, false);
	pthread_mutex_init(&o->mu, NULL);
	o->obs.n = t->n_nodes;
	o->obs.etcd_leader = -1;
	for (int k = 0; k < t->n_nodes; k++)
		snprintf(o->obs.nodes[k].name, sizeof(o->obs.nodes[k].name), "%s",
		         t->nodes[k].name);
	for (size_t i = 0; i < n_threads; i++) {
		if (pthread_create(&o->threads[i], NULL, thread_mains[i], o) != 0) {
			chaos_observe_stop(o); /* joins what started */
			return NULL;
		}
		o->n_threads++;
	}
	return o;
}

void chaos_observe_arm(struct chaos_observer *o)
{
	pthread_mutex_lock(&o->mu);
	o->armed = true;
	for (int k = 0; k < o->obs.n; k++) {
		o->obs.nodes[k].seen_rewinding = false;
		o->obs.nodes[k].seen_recloning = false;
	}
	pthread_mutex_unlock(&o->mu);
}

void chaos_observe_get(struct chaos_observer *o, struct chaos_cluster_obs *out)
{
	pthread_mutex_lock(&o->mu);
	*out = o->obs;
	pthread_mutex_unlock(&o->mu);
}

void chaos_observe_stop(struct chaos_observer *o)
{
	if (o == NULL)
		return;
	atomic_store(&o->stop, true);
	dcs_wake(o->d);
	for (int i = 0; i < o->n_threads; i++)
		pthread_join(o->threads[i], NULL);
	pthread_mutex_destroy(&o->mu);
	free(o);
}
