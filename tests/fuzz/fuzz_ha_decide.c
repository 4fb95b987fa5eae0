/*
 * fuzz_ha_decide.c: a property harness of the decision core (ha_decide) on hostile
 * inputs: any DCS view (leader key of anyone or unreadable, members with any state,
 * sync and failover keys naming anyone, histories), any local PostgreSQL, any lease,
 * any peers. The safety rules must hold for every one of them:
 *  - never PROMOTE without holding the leader key or first taking it;
 *  - never START_PRIMARY without holding it; BOOTSTRAP only after winning the
 *    initialize race;
 *  - never take the key (ACQUIRE_LEADER) while the view shows someone else holding it,
 *    or without a current view;
 *  - plans are bounded and well-formed, and the same input gives the same plan.
 * The rules are tests/unit/ha_invariants.h's, which the exhaustive sweep of
 * test_ha_decide.c checks on three-member worlds; this goes where the sweep does not
 * (unreadable keys, strangers, odd names, any counts).
 */
#include "fuzz.h"
#include "ha/ha_decide.h"
#include "ha_invariants.h"

#define NOW 1000000

struct reader {
	const uint8_t *d;
	size_t n, at;
};

static unsigned u8(struct reader *r)
{
	return r->at < r->n ? r->d[r->at++] : 0;
}

static uint64_t lsn(struct reader *r)
{
	return (uint64_t)u8(r) << 20 | (uint64_t)u8(r) << 8;
}

/* A name out of a few, so that they collide with ours and each other. */
static const char *name(struct reader *r)
{
	static const char *const names[] = {"n1", "n2", "n3", "n4", "", "N2", "n1 ", "x"};

	return names[u8(r) % 8];
}

static const char *pick(struct reader *r, const char *const *from, unsigned n)
{
	return from[u8(r) % n];
}

static void fill_member(struct reader *r, struct dcs_member *m, const char *who)
{
	static const char *const roles[] = {"primary", "master", "replica", "demoted", ""};
	static const char *const states[] = {"running", "streaming", "stopped", "starting",
	                                     "crashed"};

	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", who);
	snprintf(m->role, sizeof(m->role), "%s", pick(r, roles, 5));
	snprintf(m->state, sizeof(m->state), "%s", pick(r, states, 5));
	snprintf(m->api_url, sizeof(m->api_url), "http://%s:8008/patroni", who);
	snprintf(m->conn_url, sizeof(m->conn_url), "postgres://%s:5432/postgres", who);
	snprintf(m->host, sizeof(m->host), "%s", who);
	m->port = 5432;
	m->has_xlog = u8(r) & 1;
	m->xlog_location = lsn(r);
	m->timeline = (int)(u8(r) % 4);
	m->nofailover = u8(r) % 5 == 0;
	m->failover_priority = (int)(u8(r) % 3);
	snprintf(m->replication_state, sizeof(m->replication_state), "%s",
	         u8(r) & 1 ? "streaming" : "");
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dcs_member *)a)->name, ((const struct dcs_member *)b)->name);
}

/* fill_members: up to 6, sorted and without duplicates, as the decoder gives them. */
static void fill_members(struct reader *r, struct dcs_view *v)
{
	int n = (int)(u8(r) % 7);

	for (int i = 0; i < n; i++) {
		const char *who = name(r);

		if (who[0] != '\0' && dcs_view_member(v, who) == NULL) {
			fill_member(r, &v->members[v->n_members++], who);
			qsort(v->members, (size_t)v->n_members, sizeof(v->members[0]), name_cmp);
		}
	}
}

static void fill_keys(struct reader *r, struct dcs_view *v)
{
	unsigned b = u8(r);

	v->has_leader = b & 1;
	snprintf(v->leader, sizeof(v->leader), "%s", v->has_leader ? name(r) : "");
	v->leader_lease = 5;
	v->has_initialize = b & 2;
	snprintf(v->initialize, sizeof(v->initialize), "%s", b & 4 ? "111" : b & 8 ? "" : "222");
	v->sync.present = b & 16;
	v->sync.mod_revision = b & 32 ? 9 : 0;
	snprintf(v->sync.leader, sizeof(v->sync.leader), "%s", name(r));
	v->sync.n_standbys = (int)(u8(r) % 3);
	for (int i = 0; i < v->sync.n_standbys; i++)
		snprintf(v->sync.standbys[i], sizeof(v->sync.standbys[i]), "%s", name(r));
	v->failover.present = b & 64;
	snprintf(v->failover.leader, sizeof(v->failover.leader), "%s", name(r));
	snprintf(v->failover.member, sizeof(v->failover.member), "%s", name(r));
	v->failover.scheduled_at_epoch_ms = u8(r) & 1 ? NOW + 1000 : 0;
	v->n_history = (int)(u8(r) % 3);
	for (int i = 0; i < v->n_history; i++)
		v->history[i] = (struct dcs_history_entry){.timeline = i + 1, .switch_lsn = lsn(r)};
	v->has_status = b & 128;
	v->status_optime = lsn(r);
}

static void fill_pg(struct reader *r, struct ha_input *in)
{
	struct pg_observation *pg = &in->pg;
	unsigned b = u8(r);

	pg->proc = (enum pg_proc_state)(u8(r) % PG_PROC__COUNT);
	pg->data = (enum pg_data_state)(u8(r) % PG_DATA__COUNT);
	pg->connected = b & 1;
	pg->in_recovery = b & 2;
	snprintf(pg->system_id, sizeof(pg->system_id), "%s", b & 4 ? "111" : b & 8 ? "222" : "");
	pg->timeline = (int)(u8(r) % 4);
	pg->control_timeline = pg->timeline;
	pg->wal_lsn = lsn(r);
	pg->receive_lsn = lsn(r);
	pg->replay_lsn = lsn(r);
	pg->receiver_streaming = b & 16;
	pg->n_replication = (int)(u8(r) % 4);
	for (int i = 0; i < pg->n_replication; i++) {
		struct pg_replica_conn *c = &pg->replication[i];

		snprintf(c->application_name, sizeof(c->application_name), "%s", name(r));
		snprintf(c->state, sizeof(c->state), "streaming");
		snprintf(c->sync_state, sizeof(c->sync_state), "%s", u8(r) & 1 ? "sync" : "async");
		c->flush_lsn = c->replay_lsn = c->write_lsn = lsn(r);
	}
	in->pg_start_failed = b & 32;
	in->rewind_failed = b & 64;
	in->crashed_since_ms = b & 128 ? NOW - 60000 : 0;
	snprintf(in->upstream, sizeof(in->upstream), "%s", name(r));
}

static void fill_input(struct reader *r, struct ha_input *in)
{
	unsigned b = u8(r), c = u8(r);

	memset(in, 0, sizeof(*in));
	in->now_ms = NOW;
	in->wall_now_ms = NOW;
	snprintf(in->name, sizeof(in->name), "n1");
	in->settings = (struct ha_settings){.ttl_ms = 30000,
	                                    .max_lag_bytes = (int64_t)u8(r) << 16,
	                                    .primary_start_timeout_ms = b & 1 ? 0 : 300000,
	                                    .synchronous_mode = b & 2,
	                                    .synchronous_mode_strict = b & 4,
	                                    .synchronous_node_count = 1,
	                                    .pause = b & 8,
	                                    .check_timeline = b & 16,
	                                    .nofailover = b & 32,
	                                    .failover_priority = (int)(u8(r) % 3)};
	fill_pg(r, in);
	in->dcs_ok = c & 1;
	in->view.valid = in->dcs_ok;
	fill_keys(r, &in->view);
	fill_members(r, &in->view);
	in->lease.held = c & 2;
	in->lease.deadline_ms = c & 4 ? NOW + 5000 : NOW - 1;
	in->peers_probed = c & 8;
	in->n_peers = (int)(u8(r) % 4);
	for (int i = 0; i < in->n_peers; i++) {
		struct ha_peer *p = &in->peers[i];
		unsigned f = u8(r);

		*p = (struct ha_peer){.reachable = f & 1,
		                      .running = f & 2,
		                      .is_primary = f & 4,
		                      .lsn = lsn(r),
		                      .timeline = (int)(f >> 3 & 3),
		                      .nofailover = f & 32,
		                      .failover_priority = (int)(f >> 6)};
		snprintf(p->name, sizeof(p->name), "%s", name(r));
	}
	in->shutdown = c & 16;
	in->restart_requested = c & 32;
	in->reinit_requested = c & 64;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ha_input in; /* large: not on the stack */
	static struct ha_decision d, again;
	struct reader r = {.d = data, .n = size, .at = 0};
	const char *why;

	fill_input(&r, &in);
	ha_decide(&in, &d);
	why = plan_violation(&in, &d);
	if (why != NULL)
		fprintf(stderr, "rule %s: %s\n", ha_rule_name(d.rule), why);
	FUZZ_CHECK(why == NULL);
	FUZZ_CHECK(memchr(d.detail, '\0', sizeof(d.detail)) && memchr(d.ssn, '\0', sizeof(d.ssn)));
	ha_decide(&in, &again);
	FUZZ_CHECK(memcmp(&d, &again, sizeof(d)) == 0);
	return 0;
}
