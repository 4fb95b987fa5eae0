/*
 * chaos_verify.c: the verdicts of a chaos run (see chaos_verify.h).
 */
#include "chaos/chaos_verify.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pq/pq.h"
#include "util/clock.h"
#include "util/compiler.h"
#include "util/strutil.h"
#include "util/xalloc.h"

/* The verification read comes after the run: the new primary answers it, or it failed. */
#define READ_TIMEOUT_MS 30000

/* --- health ----------------------------------------------------------------------------- */

const struct chaos_node_obs *chaos_node_obs_find(const struct chaos_cluster_obs *o,
                                                 const char *name)
{
	for (int k = 0; k < o->n; k++) {
		if (str_eq(o->nodes[k].name, name))
			return &o->nodes[k];
	}
	return NULL;
}

static bool replica_ok(const struct chaos_node_obs *n, int timeline, char *why, size_t whylen)
{
	if (!n->answered)
		snprintf(why, whylen, "%s: REST API not answering", n->name);
	else if (!str_eq(n->role, "replica") || !str_eq(n->state, "running"))
		snprintf(why, whylen, "%s: %s, %s", n->name, n->role, n->state);
	else if (n->has_replication_state && !n->streaming)
		snprintf(why, whylen, "%s: replica not streaming", n->name);
	else if (n->timeline != timeline)
		snprintf(why, whylen, "%s: timeline %d, the leader's is %d", n->name, n->timeline,
		         timeline);
	else
		return true;
	return false;
}

bool chaos_healthy(const struct chaos_cluster_obs *o, char *why, size_t whylen)
{
	const struct chaos_node_obs *l = o->has_leader ? chaos_node_obs_find(o, o->leader) : NULL;

	if (!o->dcs_ok) {
		snprintf(why, whylen, "no current view of etcd");
		return false;
	}
	if (l == NULL) {
		snprintf(why, whylen,
		         o->has_leader ? "leader %s is not a node of the lab" : "no leader",
		         o->leader);
		return false;
	}
	if (!l->answered || !str_eq(l->role, "primary") || !str_eq(l->state, "running")) {
		snprintf(why, whylen, "leader %s: %s, %s", l->name, l->answered ? l->role : "?",
		         l->state);
		return false;
	}
	for (int k = 0; k < o->n; k++) {
		if (&o->nodes[k] != l && !replica_ok(&o->nodes[k], l->timeline, why, whylen))
			return false;
	}
	if (o->has_sync && (!str_eq(o->sync_leader, l->name) || !o->sync_standby[0] ||
	                    str_eq(o->sync_standby, l->name))) {
		snprintf(why, whylen, "sync key names no standby of %s yet", l->name);
		return false;
	}
	return true;
}

/* --- lost writes ------------------------------------------------------------------------- */

int64_t chaos_count_missing(const int64_t *acked, size_t n, const int64_t *present, size_t m)
{
	int64_t missing = 0;
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		while (j < m && present[j] < acked[i])
			j++;
		if (j == m || present[j] != acked[i])
			missing++;
	}
	return missing;
}

bool chaos_read_ids(const char *conninfo, int64_t lo, int64_t hi, int64_t **ids, size_t *n,
                    char *err, size_t errlen)
{
	char los[24];
	char his[24];
	const char *params[2] = {los, his};
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r = NULL;
	enum pq_status st = PQ_BROKEN;

	*ids = NULL;
	*n = 0;
	snprintf(los, sizeof(los), "%" PRId64, lo);
	snprintf(his, sizeof(his), "%" PRId64, hi);
	if (PQstatus(c) == CONNECTION_OK &&
	    pq_send(c, "SELECT id FROM chaos_ids WHERE id BETWEEN $1 AND $2 ORDER BY id", 2,
	            params))
		st = pq_await(c, clock_now_ms() + READ_TIMEOUT_MS, NULL);
	if (st == PQ_READY)
		r = pq_first_result(c);
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		*n = (size_t)PQntuples(r);
		*ids = xcalloc(*n ? *n : 1, sizeof(**ids));
		for (size_t i = 0; i < *n; i++)
			(*ids)[i] = strtoll(PQgetvalue(r, (int)i, 0), NULL, 10);
	} else if (st == PQ_TIMEOUT) {
		snprintf(err, errlen, "no answer within %d s", READ_TIMEOUT_MS / 1000);
	} else {
		pq_message(err, errlen, "", r ? PQresultErrorMessage(r) : PQerrorMessage(c));
	}
	PQclear(r);
	PQfinish(c);
	return *ids != NULL;
}

/* --- one writer -------------------------------------------------------------------------- */

/* A span in which one node certainly acknowledged commits. */
struct core {
	int node;
	int64_t from_us; /* the answer to the run's first ack */
	int64_t to_us;   /* the sending of its last ack */
};

/* cores_of: the certain spans of every node's runs of two or more acks; owned array. */
static struct core *cores_of(const struct chaos_sample *s, int n, int *n_cores)
{
	struct core *out = xcalloc((size_t)(n ? n : 1), sizeof(*out));
	int max_node = -1;

	*n_cores = 0;
	for (int i = 0; i < n; i++)
		max_node = MAX(max_node, s[i].node);
	for (int node = 0; node <= max_node; node++) {
		const struct chaos_sample *first = NULL;
		const struct chaos_sample *last = NULL;

		for (int i = 0; i <= n; i++) {
			bool end = i == n || (s[i].node == node && !s[i].acked);

			if (i < n && s[i].node == node && s[i].acked) {
				first = first ? first : &s[i];
				last = &s[i];
			} else if (end && first) {
				if (first->t_us < last->t_sent_us)
					out[(*n_cores)++] =
					    (struct core){node, first->t_us, last->t_sent_us};
				first = last = NULL;
			}
		}
	}
	return out;
}

bool chaos_split_brain(const struct chaos_sample *s, int n, const char *const *names, int64_t t0_us,
                       char *detail, size_t detaillen)
{
	int n_cores;
	struct core *cores = cores_of(s, n, &n_cores);
	bool found = false;

	for (int i = 0; i < n && !found; i++) {
		if (!s[i].acked)
			continue;
		for (int c = 0; c < n_cores && !found; c++) {
			const struct core *k = &cores[c];

			if (k->node == s[i].node || s[i].t_sent_us < k->from_us ||
			    s[i].t_us > k->to_us)
				continue;
			found = true;
			snprintf(detail, detaillen,
			         "%s acknowledged a commit at T%+.2fs while %s was acknowledging "
			         "commits (T%+.2fs to T%+.2fs)",
			         names[s[i].node], (double)(s[i].t_us - t0_us) / 1e6,
			         names[k->node], (double)(k->from_us - t0_us) / 1e6,
			         (double)(k->to_us - t0_us) / 1e6);
		}
	}
	free(cores);
	return found;
}

int chaos_acks_sent_within(const struct chaos_sample *s, int n, int node, int64_t from_us,
                           int64_t to_us)
{
	int acks = 0;

	for (int i = 0; i < n; i++)
		acks += s[i].node == node && s[i].acked && s[i].t_sent_us >= from_us &&
		        s[i].t_sent_us < to_us;
	return acks;
}
