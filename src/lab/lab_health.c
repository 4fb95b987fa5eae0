/*
 * lab_health.c: the health verdict of a local cluster and the wait for it.
 */
#include "lab/lab_health.h"

#include <stdio.h>
#include <string.h>
#include "dcs/dcs.h"
#include "client/client.h"
#include "http/http.h"
#include "util/clock.h"
#include "util/proc.h"
#include "util/strutil.h"

#define PROBE_TIMEOUT_MS 1000
#define DCS_TIMEOUT_MS   1000

const char *lab_health_probe_path(const struct dcs_view *v, const char *name)
{
	return v->has_leader && str_eq(v->leader, name) ? "/primary" : "/replica";
}

static void eval_leader(const struct dcs_member *m, long code, struct lab_node_status *s)
{
	s->is_leader = true;
	s->ready = m && code == 200;
	if (m == NULL)
		snprintf(s->what, sizeof(s->what), "holds the leader key, no member key");
	else if (code == 200)
		snprintf(s->what, sizeof(s->what), "leader");
	else if (code == 0)
		snprintf(s->what, sizeof(s->what), "leader, REST API not answering");
	else
		snprintf(s->what, sizeof(s->what), "leader, state '%s', /primary answers %ld",
		         m->state, code);
}

static void eval_replica(const struct dcs_member *m, long code, struct lab_node_status *s)
{
	s->is_leader = false;
	s->ready = false;
	if (m == NULL)
		snprintf(s->what, sizeof(s->what), "not registered in etcd");
	else if (!str_eq(m->state, "running"))
		snprintf(s->what, sizeof(s->what), "state '%s'", m->state);
	else if (!str_eq(m->replication_state, "streaming"))
		snprintf(s->what, sizeof(s->what), "running, replication '%s'",
		         m->replication_state[0] ? m->replication_state : "none");
	else if (code != 200)
		snprintf(s->what, sizeof(s->what), "streaming, /replica answers %ld", code);
	else {
		snprintf(s->what, sizeof(s->what), "streaming");
		s->ready = true;
	}
}

/*
 * eval_sync: in synchronous mode, with standbys to choose from, the sync key must name
 * one for the leader (a new leader names one once a standby has caught up with it).
 */
static void eval_sync(const struct lab_plan *p, const struct dcs_view *v, struct lab_health *h)
{
	const struct dcs_sync *s = &v->sync;

	h->sync_ok = true;
	h->sync_standby[0] = '\0';
	if (s->present && h->has_leader && str_eq(s->leader, h->leader) && s->n_standbys > 0)
		snprintf(h->sync_standby, sizeof(h->sync_standby), "%s", s->standbys[0]);
	else if (p->n_nodes > 1 && client_synchronous_mode(v))
		h->sync_ok = false;
}

void lab_health_eval(const struct lab_plan *p, const struct dcs_view *v, const long *codes,
                     const int64_t *min_revision, struct lab_health *h)
{
	h->has_leader = false;
	h->leader[0] = '\0';
	h->healthy = true;
	for (int k = 0; k < p->n_nodes; k++) {
		const char *name = p->nodes[k].name;
		const struct dcs_member *m = dcs_view_member(v, name);
		struct lab_node_status *s = &h->nodes[k];
		bool leads = v->has_leader && str_eq(v->leader, name);

		if (leads) {
			h->has_leader = true;
			snprintf(h->leader, sizeof(h->leader), "%s", name);
		}
		if (m && min_revision && m->mod_revision <= min_revision[k]) {
			s->is_leader = leads;
			s->ready = false;
			snprintf(s->what, sizeof(s->what), "member key from before this start");
		} else if (leads) {
			eval_leader(m, codes[k], s);
		} else {
			eval_replica(m, codes[k], s);
		}
		h->healthy = h->healthy && s->ready;
	}
	eval_sync(p, v, h);
	h->healthy = h->healthy && h->has_leader && h->sync_ok;
}

/* --- polling --------------------------------------------------------------------- */

static long probe(const struct lab_cluster *c, const struct lab_node_ports *n, const char *path)
{
	char base[LAB_URL_LEN];
	char url[LAB_URL_LEN + 16];
	char err[256];
	struct tls_client tls;
	long status = 0;

	lab_api_url(c, n, base, sizeof(base));
	snprintf(url, sizeof(url), "%s%s", base, path);
	lab_tls_client(c, &tls);
	if (!http_get(url, &tls, PROBE_TIMEOUT_MS, &status, NULL, err, sizeof(err)))
		return 0;
	return status;
}

/* note_changes: carries since_ms over from prev and prints what changed. */
static void note_changes(const struct lab_cluster *c, const struct lab_health *prev,
                         struct lab_health *cur, int64_t now_ms, int64_t start_ms, FILE *progress)
{
	for (int k = 0; k < c->plan.n_nodes; k++) {
		struct lab_node_status *s = &cur->nodes[k];

		if (str_eq(s->what, prev->nodes[k].what)) {
			s->since_ms = prev->nodes[k].since_ms;
			continue;
		}
		s->since_ms = now_ms;
		if (progress)
			fprintf(progress, "  %5.1f s  %s: %s\n",
			        (double)(now_ms - start_ms) / 1000.0, c->plan.nodes[k].name,
			        s->what);
	}
	if (progress && cur->sync_standby[0] && !str_eq(cur->sync_standby, prev->sync_standby))
		fprintf(progress, "  %5.1f s  sync key: %s is the synchronous standby\n",
		        (double)(now_ms - start_ms) / 1000.0, cur->sync_standby);
	if (progress)
		fflush(progress);
}

static bool condition_met(const struct lab_cluster *c, const struct lab_wait *w,
                          const struct lab_health *h)
{
	const struct lab_node_ports *n;

	if (w->only_leader == NULL)
		return h->healthy;
	n = lab_plan_node(&c->plan, w->only_leader);
	return n && h->has_leader && str_eq(h->leader, w->only_leader) &&
	       h->nodes[n - c->plan.nodes].ready;
}

static void explain(const struct lab_cluster *c, const struct lab_wait *w,
                    const struct lab_health *h, int64_t now_ms, struct buf *why)
{
	if (!h->has_leader)
		buf_printf(why, "no node holds the leader key\n");
	else if (!h->sync_ok && w->only_leader == NULL)
		buf_printf(why,
		           "the sync key names no synchronous standby of %s (synchronous_mode "
		           "is on)\n",
		           h->leader);
	for (int k = 0; k < c->plan.n_nodes; k++) {
		const struct lab_node_status *s = &h->nodes[k];

		if (s->ready || (w->only_leader && !str_eq(w->only_leader, c->plan.nodes[k].name)))
			continue;
		buf_printf(why, "%s: %s for %lld s\n", c->plan.nodes[k].name, s->what,
		           (long long)((now_ms - s->since_ms) / 1000));
	}
}

/* agents_alive: false, with why set, when a watched agent is gone. */
static bool agents_alive(const struct lab_cluster *c, const struct lab_wait *w, struct buf *why)
{
	for (int k = 0; w->agent_pids && k < c->plan.n_nodes; k++) {
		if (w->agent_pids[k] > 0 && !proc_alive(w->agent_pids[k])) {
			buf_printf(why, "%s: the agent (pid %d) exited\n", c->plan.nodes[k].name,
			           (int)w->agent_pids[k]);
			return false;
		}
	}
	return true;
}

/* poll_once: one DCS read and one probe per node into cur; false if etcd did not answer. */
static bool poll_once(const struct lab_cluster *c, const struct lab_wait *w, struct dcs *d,
                      struct lab_health *cur)
{
	struct dcs_view view;
	long codes[LAB_MAX_NODES] = {0};

	memset(&view, 0, sizeof(view));
	if (!dcs_read(d, &view))
		return false;
	for (int k = 0; k < c->plan.n_nodes; k++)
		codes[k] = probe(c, &c->plan.nodes[k],
		                 lab_health_probe_path(&view, c->plan.nodes[k].name));
	lab_health_eval(&c->plan, &view, codes, w->min_revision, cur);
	dcs_view_free(&view);
	return true;
}

bool lab_health_wait(const struct lab_cluster *c, const struct lab_wait *w, struct buf *why,
                     struct lab_health *last)
{
	struct client cl;
	struct dcs *d;
	struct lab_health prev = {0};
	int64_t start_ms = clock_now_ms();
	bool ok = false;
	bool dcs_ok = true;

	lab_client(c, &cl);
	d = client_dcs_open(&cl, DCS_TIMEOUT_MS, false);
	if (d == NULL) {
		buf_puts(why, "cannot create an etcd client\n");
		return false;
	}
	for (int k = 0; k < LAB_MAX_NODES; k++)
		prev.nodes[k].since_ms = start_ms;
	for (;;) {
		struct lab_health cur = prev;
		int64_t now_ms;

		if (!agents_alive(c, w, why))
			break;
		dcs_ok = poll_once(c, w, d, &cur); /* on failure cur keeps the last verdict */
		now_ms = clock_now_ms();
		note_changes(c, &prev, &cur, now_ms, start_ms, w->progress);
		prev = cur;
		if ((ok = condition_met(c, w, &cur)))
			break;
		if (now_ms >= w->deadline_ms) {
			if (!dcs_ok)
				buf_puts(why, "etcd did not answer the last read\n");
			explain(c, w, &cur, now_ms, why);
			break;
		}
		clock_sleep_ms(LAB_HEALTH_POLL_MS);
	}
	dcs_close(d);
	if (last)
		*last = prev;
	return ok;
}
