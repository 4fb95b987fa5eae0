/*
 * ha_decide.c: the HA decision core.
 *
 * Structure: derive a handful of facts from the input (derive_facts), then walk the
 * rule table (rules[]) top to bottom; the first rule whose condition holds builds the
 * plan. The order of the table is the priority of the rules: safety first (shutdown,
 * fencing, refusing foreign data), then getting a data directory, then starting
 * PostgreSQL, then the roles of a running node.
 *
 * Pure: no I/O, clock, allocation, logging or globals (checked by `make lint`).
 */
#include "ha/ha_decide.h"

#include <stdio.h>
#include "ha/ha_failsafe.h"
#include <string.h>
#include "util/compiler.h"
#include "util/strutil.h"

/* Name standing in synchronous_standby_names when strict mode has no standby: no
 * standby is called this, so commits block until a real one is added. */
#define STRICT_PLACEHOLDER "pgha_strict_sync_placeholder"

/* Facts derived once from the input; the rule conditions read only these. */
struct facts {
	const struct ha_input *in;
	const struct dcs_view *view;
	const struct dcs_member *leader; /* members/<leader>, NULL if unknown */
	bool key_mine;                   /* the view shows the leader key with our name */
	bool i_hold;                     /* leader key ours and before the fence deadline */
	int64_t deadline;                /* the fencing deadline in force (ha_failsafe.h) */
	bool past_deadline;              /* we held it but could not renew in time */
	bool window_open;                /* we confirmed a primary over POST /failsafe */
	bool fs_allows;                  /* the failsafe key lets us take the free key */
	bool leader_other;               /* someone else holds the key */
	bool no_leader;
	bool running, primary, replica, starting, down;
	bool data_empty, data_invalid, data_primary, data_present;
	bool init_absent; /* no initialize key: no cluster yet */
	bool sysid_mismatch;
};

static bool eq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static void derive_facts(const struct ha_input *in, struct facts *f)
{
	const struct dcs_view *v = &in->view;
	const struct pg_observation *pg = &in->pg;
	bool key_mine = v->has_leader && eq(v->leader, in->name);

	memset(f, 0, sizeof(*f));
	f->key_mine = key_mine;
	f->in = in;
	f->view = v;
	f->leader = dcs_view_leader_member(v);
	f->deadline = ha_effective_deadline(&in->lease);
	f->past_deadline = in->lease.held && in->now_ms >= f->deadline;
	/* The lease thread's word counts only while the view does not contradict it. */
	f->i_hold = in->lease.held && !f->past_deadline && (key_mine || !in->dcs_ok);
	f->leader_other = v->has_leader && !key_mine;
	f->no_leader = !v->has_leader;
	f->running = pg->proc == PG_PROC_RUNNING && pg->connected;
	f->primary = f->running && !pg->in_recovery;
	f->replica = f->running && pg->in_recovery;
	f->starting = pg->proc == PG_PROC_STARTING || pg->proc == PG_PROC_STOPPING ||
	              (pg->proc == PG_PROC_RUNNING && !pg->connected);
	f->down = pg->proc == PG_PROC_STOPPED || pg->proc == PG_PROC_CRASHED;
	f->data_empty = pg->data == PG_DATA_EMPTY;
	f->data_invalid = pg->data == PG_DATA_INVALID;
	f->data_primary = pg->data == PG_DATA_SHUT_DOWN || pg->data == PG_DATA_IN_PRODUCTION;
	f->data_present = !f->data_empty && !f->data_invalid;
	f->init_absent = !v->has_initialize;
	f->sysid_mismatch = f->data_present && v->has_initialize && v->initialize[0] &&
	                    pg->system_id[0] && !eq(v->initialize, pg->system_id);
	f->window_open = !f->primary && in->now_ms < in->failsafe.window_until_ms;
	f->fs_allows = ha_fs_key_allows(&v->failsafe, in->name);
}

/* --- plan building ------------------------------------------------------------------ */

static void add(struct ha_decision *d, enum ha_action_kind kind, const char *target)
{
	struct ha_action *a;

	if (d->n_actions >= HA_MAX_ACTIONS)
		return; /* plans are short by construction; the unit tests check the bound */
	a = &d->actions[d->n_actions++];
	a->kind = kind;
	if (!str_copy(a->target, sizeof(a->target), target ? target : ""))
		a->target[0] = '\0';
}

static void set_detail(struct ha_decision *d, const char *who)
{
	if (!str_copy(d->detail, sizeof(d->detail), who ? who : ""))
		d->detail[0] = '\0';
}

static const char *leader_name(const struct facts *f)
{
	return f->leader_other ? f->view->leader : "";
}

/* leader_ready: the leader's PostgreSQL runs, so it can serve a clone or a rewind. */
static bool leader_ready(const struct facts *f)
{
	return f->leader && eq(f->leader->state, "running");
}

/* --- leader race -------------------------------------------------------------------- */

static bool in_sync_set(const struct dcs_view *v, const char *name)
{
	return str_eq_nocase(v->sync.leader, name) || dcs_sync_has(&v->sync, name);
}

/*
 * ha_sync_restricts: a sync key that exists but cannot be read restricts too (to
 * nobody): when unsure who holds the last acknowledged commit, nobody is promoted.
 * A sync key that names no leader (synchronous mode just switched on, not claimed
 * yet) restricts nothing: no commit was acknowledged synchronously so far.
 */
bool ha_sync_restricts(const struct dcs_view *v, bool synchronous_mode)
{
	const struct dcs_sync *s = &v->sync;

	return synchronous_mode &&
	       ((s->present && s->leader[0] != '\0') || (!s->present && s->mod_revision != 0));
}

static bool sync_restricts(const struct ha_input *in)
{
	return ha_sync_restricts(&in->view, in->settings.synchronous_mode);
}

bool ha_member_eligible(const struct dcs_view *v, const struct dcs_member *m, const char *leader,
                        bool synchronous_mode)
{
	if (eq(m->name, leader) || m->nofailover || m->failover_priority <= 0)
		return false;
	/* A member the failsafe key does not name may never take the key (R-RACE). */
	if (!ha_fs_key_allows(&v->failsafe, m->name))
		return false;
	return !ha_sync_restricts(v, synchronous_mode) || dcs_sync_has(&v->sync, m->name);
}

bool ha_member_streaming(const struct dcs_member *m)
{
	return eq(m->state, "running") && eq(m->replication_state, "streaming");
}

static bool is_handing_over(const struct dcs_view *v, const char *name)
{
	return v->failover.present && v->failover.leader[0] && eq(v->failover.leader, name);
}

static bool peer_eligible(const struct ha_input *in, const struct ha_peer *p)
{
	if (p->nofailover || p->failover_priority <= 0 || !p->running)
		return false;
	if (is_handing_over(&in->view, p->name) || !ha_fs_key_allows(&in->view.failsafe, p->name))
		return false;
	return !sync_restricts(in) || in_sync_set(&in->view, p->name);
}

static uint64_t my_lsn(const struct ha_input *in)
{
	return pg_observation_lsn(&in->pg);
}

static bool self_eligible(const struct ha_input *in, bool manual)
{
	const struct ha_settings *s = &in->settings;
	const struct dcs_view *v = &in->view;
	uint64_t lsn = my_lsn(in);

	if (s->nofailover || s->failover_priority <= 0 || is_handing_over(v, in->name))
		return false;
	if (manual) /* a named candidate in a leaderless cluster: the operator decided */
		return true;
	if (v->has_status && v->status_optime > lsn &&
	    v->status_optime - lsn > (uint64_t)s->max_lag_bytes)
		return false;
	if (sync_restricts(in) && !in_sync_set(v, in->name))
		return false;
	return !s->check_timeline || in->pg.timeline >= dcs_view_timeline(v);
}

/* ranks_before: total order for equal WAL positions: priority, former leader, name. */
static bool ranks_before(const struct ha_input *in, const char *a, int prio_a, const char *b,
                         int prio_b)
{
	const char *former = in->view.sync.leader;

	if (prio_a != prio_b)
		return prio_a > prio_b;
	if (str_eq_nocase(a, former) != str_eq_nocase(b, former))
		return str_eq_nocase(a, former);
	return strcmp(a, b) < 0;
}

static const struct ha_peer *find_peer(const struct ha_input *in, const char *name)
{
	for (int i = 0; i < in->n_peers; i++) {
		if (eq(in->peers[i].name, name))
			return &in->peers[i];
	}
	return NULL;
}

/* defer_to_candidate: a failover request names a healthy other member. */
static bool defer_to_candidate(const struct ha_input *in, const char **who)
{
	const struct dcs_failover *fo = &in->view.failover;
	const struct ha_peer *p;

	if (!fo->present || fo->member[0] == '\0' || eq(fo->member, in->name))
		return false;
	p = find_peer(in, fo->member);
	if (p == NULL || !p->reachable || !p->running)
		return false;
	*who = fo->member;
	return true;
}

enum ha_race_outcome ha_race(const struct ha_input *in, const char **who)
{
	const struct dcs_failover *fo = &in->view.failover;
	bool named = fo->present && eq(fo->member, in->name);
	uint64_t lsn = my_lsn(in);

	*who = "";
	/* While a failsafe key exists only the members it names may race: a primary cut
	 * off from etcd asks exactly those (docs/agent.md, "Failsafe mode"). */
	if (!ha_fs_key_allows(&in->view.failsafe, in->name))
		return HA_RACE_NOT_LISTED;
	if (!in->peers_probed)
		return HA_RACE_NOT_PROBED;
	if (defer_to_candidate(in, who))
		return HA_RACE_DEFER_CANDIDATE;
	if (!self_eligible(in, named && fo->leader[0] == '\0'))
		return HA_RACE_INELIGIBLE;
	for (int i = 0; i < in->n_peers; i++) {
		const struct ha_peer *p = &in->peers[i];

		if (!p->reachable || eq(p->name, in->name))
			continue;
		*who = p->name;
		if (p->is_primary)
			return HA_RACE_PRIMARY_ALIVE;
		if (named || !peer_eligible(in, p))
			continue;
		if (p->lsn > lsn)
			return HA_RACE_BEHIND_PEER;
		if (p->lsn == lsn && ranks_before(in, p->name, p->failover_priority, in->name,
		                                  in->settings.failover_priority))
			return HA_RACE_BEHIND_PEER;
	}
	*who = "";
	return HA_RACE_WIN;
}

/* --- synchronous replication ---------------------------------------------------------- */

void ha_render_ssn(int num, const char (*names)[DCS_NAME_LEN], int n, char *out, size_t size)
{
	size_t used;

	out[0] = '\0';
	if (n <= 0)
		return;
	used = (size_t)snprintf(out, size, "FIRST %d (", num);
	for (int i = 0; i < n && used < size; i++)
		used +=
		    (size_t)snprintf(out + used, size - used, "%s\"%s\"", i ? ", " : "", names[i]);
	if (used < size)
		snprintf(out + used, size - used, ")");
}

static const struct pg_replica_conn *find_conn(const struct pg_observation *pg, const char *name)
{
	for (int i = 0; i < pg->n_replication; i++) {
		if (str_eq_nocase(pg->replication[i].application_name, name))
			return &pg->replication[i];
	}
	return NULL;
}

/* A member that can serve as synchronous standby, with its replication connection. */
struct sync_cand {
	const struct dcs_member *member;
	const struct pg_replica_conn *conn;
	bool is_sync; /* already published in the sync key */
};

static bool sync_candidate(const struct ha_input *in, const struct dcs_member *m,
                           struct sync_cand *out)
{
	const struct pg_replica_conn *c = find_conn(&in->pg, m->name);

	if (eq(m->name, in->name) || m->nosync || c == NULL || !eq(c->state, "streaming"))
		return false;
	out->member = m;
	out->conn = c;
	out->is_sync = dcs_sync_has(&in->view.sync, m->name);
	return true;
}

/* better_sync: a is a better sync standby than b: already sync, further ahead, name. */
static bool better_sync(const struct sync_cand *a, const struct sync_cand *b)
{
	if (a->is_sync != b->is_sync)
		return a->is_sync;
	if (a->conn->flush_lsn != b->conn->flush_lsn)
		return a->conn->flush_lsn > b->conn->flush_lsn;
	return strcmp(a->member->name, b->member->name) < 0;
}

/* choose_sync: the best synchronous_node_count candidates' names, best first. */
static int choose_sync(const struct ha_input *in, char (*chosen)[DCS_NAME_LEN], int max)
{
	struct sync_cand all[DCS_MAX_MEMBERS];
	int n = 0;

	for (int i = 0; i < in->view.n_members && n < DCS_MAX_MEMBERS; i++) {
		struct sync_cand c;
		int pos = n;

		if (!sync_candidate(in, &in->view.members[i], &c))
			continue;
		for (; pos > 0 && better_sync(&c, &all[pos - 1]); pos--)
			all[pos] = all[pos - 1];
		all[pos] = c;
		n++;
	}
	for (int i = 0; i < n && i < max; i++)
		memcpy(chosen[i], all[i].member->name, DCS_NAME_LEN);
	return MIN(n, max);
}

static bool name_in(const char *name, const char (*names)[DCS_NAME_LEN], int n)
{
	for (int i = 0; i < n; i++) {
		if (str_eq_nocase(names[i], name))
			return true;
	}
	return false;
}

static void set_sync_names(struct ha_decision *d, const char (*names)[DCS_NAME_LEN], int n)
{
	d->n_sync_names = 0;
	for (int i = 0; i < n && i < DCS_MAX_SYNC; i++) {
		memcpy(d->sync_names[d->n_sync_names++], names[i], DCS_NAME_LEN);
	}
}

static void add_sync_name(struct ha_decision *d, const char *name)
{
	if (d->n_sync_names < DCS_MAX_SYNC && !name_in(name, d->sync_names, d->n_sync_names) &&
	    str_copy(d->sync_names[d->n_sync_names], DCS_NAME_LEN, name))
		d->n_sync_names++;
}

/*
 * plan_sync: one step towards the desired synchronous standbys, keeping Patroni's order
 * so that the sync key never names a standby that may lack an acknowledged commit:
 * remove from the key before removing from synchronous_standby_names; add to
 * synchronous_standby_names first and publish only once PostgreSQL reports it sync.
 */
static void plan_sync(const struct ha_input *in, struct ha_decision *d)
{
	const struct dcs_sync *ps = &in->view.sync;
	char want[DCS_MAX_SYNC][DCS_NAME_LEN];
	int k = MAX(1, MIN(in->settings.synchronous_node_count, DCS_MAX_SYNC));
	int n = choose_sync(in, want, k);
	bool mine = ps->present && eq(ps->leader, in->name);
	int np = mine ? ps->n_standbys : 0;

	if (!mine) { /* claim the key first: {leader: me, sync_standby: null} */
		d->n_sync_names = 0;
		add(d, HA_ACT_PUBLISH_SYNC, NULL);
		return;
	}
	for (int i = 0; i < np; i++) {
		if (!name_in(ps->standbys[i], want, n)) {
			d->n_sync_names = 0;
			for (int j = 0; j < np; j++)
				if (name_in(ps->standbys[j], want, n))
					add_sync_name(d, ps->standbys[j]);
			add(d, HA_ACT_PUBLISH_SYNC, NULL);
			return;
		}
	}
	if (n > 0)
		ha_render_ssn(n, (const char(*)[DCS_NAME_LEN])want, n, d->ssn, sizeof(d->ssn));
	else if (in->settings.synchronous_mode_strict && np > 0)
		ha_render_ssn(MIN(k, np), ps->standbys, np, d->ssn, sizeof(d->ssn));
	else if (in->settings.synchronous_mode_strict)
		snprintf(d->ssn, sizeof(d->ssn), "FIRST 1 (\"%s\")", STRICT_PLACEHOLDER);
	if (!eq(d->ssn, in->pg.synchronous_standby_names)) {
		add(d, HA_ACT_SET_SSN, NULL);
		return;
	}
	set_sync_names(d, ps->standbys, np);
	for (int i = 0; i < n; i++) {
		const struct pg_replica_conn *c = find_conn(&in->pg, want[i]);

		if (c && !name_in(want[i], ps->standbys, np) &&
		    (eq(c->sync_state, "sync") || eq(c->sync_state, "quorum")))
			add_sync_name(d, want[i]);
	}
	if (d->n_sync_names != np)
		add(d, HA_ACT_PUBLISH_SYNC, NULL);
}

static void plan_sync_off(const struct ha_input *in, struct ha_decision *d)
{
	if (in->pg.synchronous_standby_names[0] != '\0')
		add(d, HA_ACT_SET_SSN, NULL); /* d->ssn stays "" */
}

/* plan_claim_and_promote: the steps of a new leader, after it has the key. */
static void plan_promote(const struct facts *f, struct ha_decision *d)
{
	const struct ha_input *in = f->in;
	const struct dcs_sync *ps = &f->view->sync;

	d->n_sync_names = 0;
	if (in->settings.synchronous_mode) {
		/* Strict mode keeps the other sync standbys named, so commits block until
		 * one of them follows us; otherwise we start asynchronous, as Patroni does. */
		if (in->settings.synchronous_mode_strict) {
			for (int i = 0; i < ps->n_standbys; i++)
				if (!str_eq_nocase(ps->standbys[i], in->name))
					add_sync_name(d, ps->standbys[i]);
			if (d->n_sync_names > 0)
				ha_render_ssn(1, d->sync_names, d->n_sync_names, d->ssn,
				              sizeof(d->ssn));
			else
				snprintf(d->ssn, sizeof(d->ssn), "FIRST 1 (\"%s\")",
				         STRICT_PLACEHOLDER);
			add(d, HA_ACT_SET_SSN, NULL);
		}
		add(d, HA_ACT_SYNC_CLAIM, NULL);
	}
	add(d, HA_ACT_PROMOTE, NULL);
	/* Slots first: the replicas re-point to us at once and stream through them. */
	add(d, HA_ACT_SYNC_SLOTS, NULL);
	add(d, HA_ACT_WRITE_HISTORY, NULL);
	if (f->view->failover.present)
		add(d, HA_ACT_CLEAR_FAILOVER, NULL);
}

/* --- backups ------------------------------------------------------------------------------ */

/*
 * plan_backup: the leader's next pgBackRest job, one at a time: the stanza first, then
 * what the repository holds, then a request (`pgha backup`), then the schedule. After
 * a failed job only requests are served for a while: the requester wants to hear why.
 */
static void plan_backup(const struct facts *f, struct ha_decision *d)
{
	static const char *const due_names[] = {"", "full", "diff", "incr"};
	const struct ha_backup *b = &f->in->backup;
	bool request = dcs_request_pending(&f->view->backup);

	if (!b->enabled || b->job_running)
		return;
	if (b->retry_wait) {
		if (request)
			add(d, HA_ACT_BACKUP_JOB, "request");
	} else if (!b->stanza_ok) {
		add(d, HA_ACT_BACKUP_JOB, "stanza");
	} else if (!b->info_known) {
		add(d, HA_ACT_BACKUP_JOB, "info");
	} else if (request) {
		add(d, HA_ACT_BACKUP_JOB, "request");
	} else if (b->due > 0 && b->due < (int)ARRAY_LEN(due_names)) {
		add(d, HA_ACT_BACKUP_JOB, due_names[b->due]);
	}
}

/* --- switchover ------------------------------------------------------------------------ */

/* asks_me: the failover key asks this node (or whoever leads) to hand over. */
static bool asks_me(const struct facts *f)
{
	const struct dcs_failover *fo = &f->view->failover;

	return fo->present && (!fo->leader[0] || eq(fo->leader, f->in->name));
}

/*
 * switchover_target: the request's candidate (any member without one) that may take
 * over from us (ha_member_eligible) and streams from us now: the leader's own evidence
 * of health. NULL when the request is not for us, not due yet, or nobody can.
 */
static const char *switchover_target(const struct facts *f)
{
	const struct ha_input *in = f->in;
	const struct dcs_failover *fo = &f->view->failover;

	if (!asks_me(f) || fo->scheduled_at_epoch_ms > in->wall_now_ms)
		return NULL;
	for (int i = 0; i < f->view->n_members; i++) {
		const struct dcs_member *m = &f->view->members[i];
		const struct pg_replica_conn *c = find_conn(&in->pg, m->name);

		if (fo->member[0] && !eq(fo->member, m->name))
			continue;
		if (ha_member_eligible(f->view, m, in->name, in->settings.synchronous_mode) && c &&
		    eq(c->state, "streaming"))
			return m->name;
	}
	return NULL;
}

/* What becomes of a due switchover that nobody can carry out now. */
enum due_untaken {
	DUE_CANCEL,           /* nobody could: cancel it */
	DUE_WAIT_SYNC,        /* a candidate runs, the sync key names no standby yet: wait */
	DUE_SYNC_NEVER_NAMED, /* the same, past switchover_sync_wait_ms: cancel it */
};

/* awaited_candidate: the request's candidate (any member without one) may take over
 * once the sync key names it (ha_member_awaits_sync). */
static bool awaited_candidate(const struct facts *f)
{
	const struct dcs_failover *fo = &f->view->failover;

	for (int i = 0; i < f->view->n_members; i++) {
		const struct dcs_member *m = &f->view->members[i];

		if ((!fo->member[0] || eq(fo->member, m->name)) &&
		    ha_member_awaits_sync(f->view, m, f->in->name,
		                          f->in->settings.synchronous_mode))
			return true;
	}
	return false;
}

/*
 * due_untaken: a new leader names its synchronous standby only once one has caught up
 * (ha_sync_pending): a switchover that falls due meanwhile waits for it, as long as
 * switchover_sync_wait_ms after it was first seen due, instead of being dropped at once.
 * Waiting changes nothing: the leader keeps leading and nobody is promoted.
 */
static enum due_untaken due_untaken(const struct facts *f)
{
	const struct ha_input *in = f->in;

	if (!asks_me(f) || !awaited_candidate(f))
		return DUE_CANCEL;
	if (in->failover_due_since_ms > 0 &&
	    in->now_ms - in->failover_due_since_ms < in->settings.switchover_sync_wait_ms)
		return DUE_WAIT_SYNC;
	return DUE_SYNC_NEVER_NAMED;
}

/* plan_due_untaken: wait for a synchronous standby, or cancel the request, saying why. */
static void plan_due_untaken(const struct facts *f, struct ha_decision *d)
{
	const struct dcs_failover *fo = &f->view->failover;
	enum due_untaken what = due_untaken(f);

	set_detail(d, fo->member); /* "" for the best candidate */
	if (what == DUE_WAIT_SYNC) {
		d->reason =
		    "switchover due: waiting for the sync key to name a synchronous standby";
		return;
	}
	d->reason = what == DUE_SYNC_NEVER_NAMED
	                ? "switchover due, but no synchronous standby was named in time: cancelled"
	                : "switchover due, but nobody can take over: cancelled";
	add(d, HA_ACT_CLEAR_FAILOVER, NULL);
}

/* --- rule conditions and plans ----------------------------------------------------------- */

static bool history_behind(const struct facts *f)
{
	int tl = f->in->pg.timeline;

	return tl > 1 && dcs_view_timeline(f->view) != tl;
}

static bool can_hand_over(const struct facts *f)
{
	const struct ha_input *in = f->in;

	if (in->settings.primary_start_timeout_ms > 0 &&
	    (in->crashed_since_ms == 0 ||
	     in->now_ms - in->crashed_since_ms < in->settings.primary_start_timeout_ms))
		return false;
	/* Our PostgreSQL is down, so the member keys are the only evidence of health. */
	for (int i = 0; i < f->view->n_members; i++) {
		const struct dcs_member *m = &f->view->members[i];

		if (ha_member_eligible(f->view, m, in->name, in->settings.synchronous_mode) &&
		    ha_member_streaming(m))
			return true;
	}
	return false;
}

/* diverged: this standby holds WAL the leader's timeline does not (needs a rewind). */
static bool diverged(const struct facts *f)
{
	const struct ha_input *in = f->in;
	int tl = in->pg.timeline;

	if (!f->leader || in->pg.receiver_streaming || !eq(in->upstream, f->view->leader))
		return false;
	if (f->leader->timeline > 0 && tl > f->leader->timeline)
		return true;
	for (int i = 0; i < f->view->n_history; i++) {
		if (f->view->history[i].timeline == tl)
			return my_lsn(in) > f->view->history[i].switch_lsn;
	}
	return false;
}

static bool c_shutdown(const struct facts *f)
{
	return f->in->shutdown;
}

static void p_shutdown(const struct facts *f, struct ha_decision *d)
{
	d->role = HA_ROLE_STOPPED;
	if (!f->down)
		add(d, HA_ACT_STOP_FAST, NULL);
	/* Paused, Patroni leaves the key in place; otherwise hand the cluster over now
	 * instead of making the others wait for the lease to expire. */
	if (f->i_hold && !f->in->settings.pause)
		add(d, HA_ACT_RELEASE_LEADER, NULL);
}

static bool c_dcs_lost_fence(const struct facts *f)
{
	return !f->in->dcs_ok && f->primary && !f->i_hold;
}

static void p_fence(const struct facts *f, struct ha_decision *d)
{
	(void)f;
	d->role = HA_ROLE_REPLICA;
	add(d, HA_ACT_STOP_IMMEDIATE, NULL);
}

static void p_dcs_lost_fence(const struct facts *f, struct ha_decision *d)
{
	p_fence(f, d);
	add(d, HA_ACT_START_REPLICA, NULL); /* read-only, no upstream until etcd returns */
}

static bool c_dcs_lost(const struct facts *f)
{
	return !f->in->dcs_ok;
}

static void p_dcs_lost(const struct facts *f, struct ha_decision *d)
{
	d->role = f->primary ? HA_ROLE_PRIMARY : f->data_present ? HA_ROLE_REPLICA : HA_ROLE_NONE;
	if (f->primary && ha_fs_carries(&f->in->lease, f->in->now_ms))
		set_detail(d, "every failsafe member confirms this primary (failsafe)");
	if (f->down && f->data_present && !f->i_hold && !f->in->pg_start_failed)
		add(d, HA_ACT_START_REPLICA, f->data_primary ? "" : f->in->upstream);
}

static bool c_sysid_mismatch(const struct facts *f)
{
	return f->sysid_mismatch || f->data_invalid;
}

static void p_refuse(const struct facts *f, struct ha_decision *d)
{
	d->role = HA_ROLE_NONE;
	if (f->data_invalid)
		snprintf(d->detail, sizeof(d->detail), "it exists but holds no usable cluster");
	else
		snprintf(d->detail, sizeof(d->detail),
		         "its system identifier is %s, the cluster's %s", f->in->pg.system_id,
		         f->view->initialize);
	if (!f->down)
		add(d, HA_ACT_STOP_FAST, NULL);
}

static bool c_paused(const struct facts *f)
{
	return f->in->settings.pause;
}

/*
 * plan_paused_leader: what a paused leader still does: its members' slots (a replica
 * made again while paused, by a restore, streams through one; pgha drops only slots it
 * created) and its backups, none of them an automatic HA action.
 */
static void plan_paused_leader(const struct facts *f, struct ha_decision *d)
{
	add(d, HA_ACT_SYNC_SLOTS, NULL);
	plan_backup(f, d);
}

static void p_paused(const struct facts *f, struct ha_decision *d)
{
	d->role = f->primary ? HA_ROLE_PRIMARY : f->replica ? HA_ROLE_REPLICA : HA_ROLE_NONE;
	if (f->i_hold && !f->primary && !f->starting)
		add(d, HA_ACT_RELEASE_LEADER, NULL);
	else if (f->no_leader && f->primary)
		add(d, HA_ACT_ACQUIRE_LEADER, NULL);
	else if (f->i_hold && f->primary)
		plan_paused_leader(f, d);
}

/*
 * Restores (the restore key, `pgha restore`). The cluster is paused first, so nobody
 * fails over meanwhile. The leader that holds the key restores its own data; every
 * other member stops and waits until the leader is ready on its new timeline, then is
 * made again from it. Before the pause rule: a restore is carried out paused.
 */
static bool c_restore(const struct facts *f)
{
	const struct dcs_request *r = &f->view->restore;

	/* Our name on the key but not on our lease (the agent restarted): re-attach it
	 * first. A lease past its deadline is a fence, never a restore. */
	return dcs_request_pending(r) && eq(r->leader, f->in->name) &&
	       (f->i_hold || (f->key_mine && !f->in->lease.held));
}

static void p_restore(const struct facts *f, struct ha_decision *d)
{
	d->role = HA_ROLE_PRIMARY;
	if (!f->in->lease.held) /* our name on the key, not on our lease: the agent restarted */
		add(d, HA_ACT_ACQUIRE_LEADER, NULL);
	add(d, HA_ACT_RESTORE, NULL);
}

/* restoring_leader: the key holder is the member the restore key names. */
static bool restoring_leader(const struct facts *f)
{
	return f->view->has_leader && eq(f->view->leader, f->view->restore.leader);
}

static bool c_restore_wait(const struct facts *f)
{
	return dcs_request_pending(&f->view->restore) && restoring_leader(f) && f->leader_other;
}

static void p_restore_wait(const struct facts *f, struct ha_decision *d)
{
	d->role = HA_ROLE_NONE;
	set_detail(d, f->view->leader);
	if (!f->down)
		add(d, HA_ACT_STOP_FAST, NULL); /* nothing of the old timeline may serve or lead */
}

/* my_timeline: the running node's, else its data directory's last checkpoint's. */
static int my_timeline(const struct facts *f)
{
	return f->running ? f->in->pg.timeline : f->in->pg.control_timeline;
}

static bool c_restore_reclone(const struct facts *f)
{
	const struct dcs_request *r = &f->view->restore;

	return r->present && eq(r->state, "ready") && restoring_leader(f) && f->leader_other &&
	       leader_ready(f) && !f->i_hold &&
	       (f->data_empty || f->data_invalid || my_timeline(f) < r->timeline);
}

static bool c_bootstrap(const struct facts *f)
{
	const struct ha_settings *s = &f->in->settings;

	return f->no_leader && f->init_absent && f->data_empty && !s->nofailover &&
	       s->failover_priority > 0 && !f->window_open;
}

static void p_bootstrap(const struct facts *f, struct ha_decision *d)
{
	(void)f;
	d->role = HA_ROLE_PRIMARY;
	add(d, HA_ACT_INITIALIZE_RACE, NULL);
	add(d, HA_ACT_BOOTSTRAP, NULL);
}

static bool c_wait_bootstrap(const struct facts *f)
{
	return f->data_empty && f->no_leader;
}

static void p_wait(const struct facts *f, struct ha_decision *d)
{
	d->role = f->primary ? HA_ROLE_PRIMARY : f->data_present ? HA_ROLE_REPLICA : HA_ROLE_NONE;
}

static bool c_adopt_data(const struct facts *f)
{
	return f->init_absent && f->no_leader && f->data_present && f->in->pg.system_id[0];
}

static void p_adopt_data(const struct facts *f, struct ha_decision *d)
{
	p_wait(f, d);
	add(d, HA_ACT_REGISTER_SYSID, NULL);
}

static bool c_clone(const struct facts *f)
{
	return f->data_empty && f->leader_other && leader_ready(f);
}

static void p_clone(const struct facts *f, struct ha_decision *d)
{
	d->role = HA_ROLE_REPLICA;
	set_detail(d, leader_name(f));
	add(d, HA_ACT_CLONE, leader_name(f));
	add(d, HA_ACT_START_REPLICA, leader_name(f));
}

static bool c_wait_clone(const struct facts *f)
{
	return f->data_empty;
}

static bool c_reinit(const struct facts *f)
{
	return f->in->reinit_requested && f->leader_other && !f->i_hold && leader_ready(f);
}

static void p_reinit(const struct facts *f, struct ha_decision *d)
{
	d->role = HA_ROLE_REPLICA;
	set_detail(d, leader_name(f));
	add(d, HA_ACT_REINIT, leader_name(f));
	add(d, HA_ACT_START_REPLICA, leader_name(f));
}

/* key_ours_unheld: our name is on the key but not on our lease (agent restart, a
 * fenced primary whose lease survived, or an acquire etcd applied late). */
static bool key_ours_unheld(const struct facts *f)
{
	return f->key_mine && !f->in->lease.held && f->data_present;
}

/*
 * retake_allowed: a running primary re-attaches at once. Anyone else only as a racer
 * would take a free key: named by the failsafe key, and a running standby only if it
 * would win the race (no reachable primary, nobody better), since an acquire applied
 * late must not promote while the primary it raced against still runs.
 */
static bool retake_allowed(const struct facts *f)
{
	const char *who;

	if (f->primary)
		return true;
	if (!f->fs_allows)
		return false;
	return !f->replica || ha_race(f->in, &who) == HA_RACE_WIN;
}

static bool c_retake(const struct facts *f)
{
	return key_ours_unheld(f) && retake_allowed(f);
}

static void p_retake(const struct facts *f, struct ha_decision *d)
{
	d->role = f->primary ? HA_ROLE_PRIMARY : HA_ROLE_REPLICA;
	add(d, HA_ACT_ACQUIRE_LEADER, NULL);
}

static bool c_retake_refused(const struct facts *f)
{
	return key_ours_unheld(f);
}

/* p_retake_refused: give the key up if we may never use it; else wait for the race. */
static void p_retake_refused(const struct facts *f, struct ha_decision *d)
{
	const char *who = "";
	enum ha_race_outcome r = f->fs_allows ? ha_race(f->in, &who) : HA_RACE_NOT_LISTED;

	d->role = HA_ROLE_REPLICA;
	d->reason = ha_race_outcome_name(r);
	set_detail(d, who);
	if (r == HA_RACE_NOT_PROBED || r == HA_RACE_PRIMARY_ALIVE)
		d->retry_soon = true;
	else
		add(d, HA_ACT_RELEASE_LEADER, NULL);
}

/*
 * c_failsafe_window: we confirmed a primary over POST /failsafe less than a ttl ago: it
 * may still take writes without etcd, so we neither take the key, nor promote, nor
 * race, whatever etcd shows (R-WINDOW-FOLLOW in docs/agent.md).
 */
static bool c_failsafe_window(const struct facts *f)
{
	return f->window_open &&
	       (key_ours_unheld(f) || (f->i_hold && f->replica) || (f->replica && f->no_leader));
}

static void p_failsafe_window(const struct facts *f, struct ha_decision *d)
{
	d->role = HA_ROLE_REPLICA;
	set_detail(d, f->in->failsafe.window_leader);
}

/*
 * c_retake_vanished: our leader key vanished from a current view while we still hold
 * it by our lease (it expired while we ran on failsafe, or etcd revoked the lease when
 * a stalled member resumed): take it back, create-if-absent, unless the cluster moved
 * on (a newer timeline, a failover request for someone else).
 */
static bool c_retake_vanished(const struct facts *f)
{
	const struct dcs_failover *fo = &f->view->failover;
	bool other_named = fo->present && fo->member[0] && !eq(fo->member, f->in->name);

	return f->in->dcs_ok && f->no_leader && f->primary && f->in->lease.held &&
	       !f->past_deadline && f->in->pg.timeline >= dcs_view_timeline(f->view) &&
	       !other_named;
}

static void p_retake_vanished(const struct facts *f, struct ha_decision *d)
{
	(void)f;
	d->role = HA_ROLE_PRIMARY;
	add(d, HA_ACT_ACQUIRE_LEADER, NULL);
}

static bool c_lost_key_fence(const struct facts *f)
{
	return f->primary && f->past_deadline;
}

static bool c_crashed_handover(const struct facts *f)
{
	return f->i_hold && f->down && can_hand_over(f);
}

static void p_release(const struct facts *f, struct ha_decision *d)
{
	(void)f;
	d->role = HA_ROLE_REPLICA;
	add(d, HA_ACT_RELEASE_LEADER, NULL);
}

static bool c_primary_restart(const struct facts *f)
{
	return f->i_hold && f->down && f->data_present;
}

static void p_primary_restart(const struct facts *f, struct ha_decision *d)
{
	d->role = HA_ROLE_PRIMARY;
	if (f->data_primary) {
		add(d, HA_ACT_START_PRIMARY, NULL);
	} else { /* we won the key but PostgreSQL died before promoting: start, then promote */
		add(d, HA_ACT_START_REPLICA, NULL);
	}
}

/*
 * c_reclone: pg_rewind from this leader failed. Whatever the data directory says
 * (a former primary's, or a diverged replica's that PostgreSQL now refuses to start:
 * "requested timeline does not contain minimum recovery point"), starting it again
 * cannot work: clone afresh, the old directory set aside. That holds for a PostgreSQL
 * still starting on it, too: started while no leader ran, on a directory a failed
 * pg_rewind left half copied, it waits for WAL nobody sends and never opens.
 */
static bool c_reclone(const struct facts *f)
{
	return (f->down || f->starting) && f->data_present && f->in->rewind_failed &&
	       f->leader_other && leader_ready(f);
}

static void p_reclone(const struct facts *f, struct ha_decision *d)
{
	d->role = HA_ROLE_REPLICA;
	set_detail(d, leader_name(f));
	add(d, HA_ACT_REINIT, leader_name(f));
	add(d, HA_ACT_START_REPLICA, leader_name(f));
}

static bool c_rewind_former(const struct facts *f)
{
	return f->down && f->data_primary && f->leader_other && leader_ready(f);
}

static void p_rewind_former(const struct facts *f, struct ha_decision *d)
{
	d->role = HA_ROLE_REPLICA;
	set_detail(d, leader_name(f));
	add(d, HA_ACT_REWIND, leader_name(f));
	add(d, HA_ACT_START_REPLICA, leader_name(f));
}

static bool c_start_replica(const struct facts *f)
{
	/* A former primary waits for a running leader to rewind from, unless there is no
	 * leader at all: then it starts read-only to learn its WAL position for the race. */
	return f->down && f->data_present && !(f->data_primary && f->leader_other) &&
	       !is_handing_over(f->view, f->in->name);
}

static void p_start_replica(const struct facts *f, struct ha_decision *d)
{
	d->role = HA_ROLE_REPLICA;
	set_detail(d, leader_name(f));
	add(d, HA_ACT_START_REPLICA, leader_name(f));
}

static bool c_starting(const struct facts *f)
{
	return f->starting || f->down;
}

static bool c_restart(const struct facts *f)
{
	return f->in->restart_requested && f->running;
}

static void p_restart(const struct facts *f, struct ha_decision *d)
{
	d->role = f->primary ? HA_ROLE_PRIMARY : HA_ROLE_REPLICA;
	add(d, HA_ACT_RESTART, NULL);
}

/*
 * plan_failsafe: the leader keeps the failsafe key at the members it would ask, before
 * any change of the sync standbys (a member joins the list before it can become one);
 * with failsafe_mode off the key goes, since it restricts races while it exists.
 */
static void plan_failsafe(const struct ha_input *in, struct ha_decision *d)
{
	if (!in->failsafe.mode) {
		if (in->view.failsafe.state != DCS_FS_ABSENT)
			add(d, HA_ACT_DELETE_FAILSAFE, NULL);
		return;
	}
	ha_fs_desired(in, &d->failsafe);
	if (!ha_fs_same(&d->failsafe, &in->view.failsafe))
		add(d, HA_ACT_PUBLISH_FAILSAFE, NULL);
}

static bool c_leader(const struct facts *f)
{
	return f->i_hold && f->primary;
}

static void p_leader(const struct facts *f, struct ha_decision *d)
{
	const struct ha_input *in = f->in;
	const char *target = switchover_target(f);

	d->role = HA_ROLE_PRIMARY;
	if (target) {
		d->rule = HA_RULE_SWITCHOVER;
		set_detail(d, target);
		add(d, HA_ACT_HANDOVER, target);
		return;
	}
	plan_failsafe(in, d);
	if (history_behind(f))
		add(d, HA_ACT_WRITE_HISTORY, NULL);
	if (f->view->failover.present && f->view->failover.scheduled_at_epoch_ms <= in->wall_now_ms)
		plan_due_untaken(f, d); /* due, but nobody can carry it out now */
	add(d, HA_ACT_SYNC_SLOTS, NULL);
	if (in->settings.synchronous_mode)
		plan_sync(in, d);
	else
		plan_sync_off(in, d);
	plan_backup(f, d);
}

static bool c_demote(const struct facts *f)
{
	return f->primary && !f->i_hold;
}

static bool c_promote_held(const struct facts *f)
{
	return f->i_hold && f->replica;
}

static void p_promote_held(const struct facts *f, struct ha_decision *d)
{
	d->role = HA_ROLE_PRIMARY;
	plan_promote(f, d);
}

static bool c_rewind_diverged(const struct facts *f)
{
	return f->replica && f->leader_other && leader_ready(f) && diverged(f);
}

static void p_rewind_diverged(const struct facts *f, struct ha_decision *d)
{
	d->role = HA_ROLE_REPLICA;
	set_detail(d, leader_name(f));
	add(d, f->in->rewind_failed ? HA_ACT_REINIT : HA_ACT_REWIND, leader_name(f));
	add(d, HA_ACT_START_REPLICA, leader_name(f));
}

static bool c_follow(const struct facts *f)
{
	return f->replica && f->leader_other && !eq(f->in->upstream, f->view->leader);
}

static void p_follow(const struct facts *f, struct ha_decision *d)
{
	d->role = HA_ROLE_REPLICA;
	set_detail(d, leader_name(f));
	add(d, HA_ACT_FOLLOW, leader_name(f));
}

static bool c_race(const struct facts *f)
{
	return f->replica && f->no_leader;
}

static void p_race(const struct facts *f, struct ha_decision *d)
{
	const char *who;
	enum ha_race_outcome r = ha_race(f->in, &who);

	d->role = HA_ROLE_REPLICA;
	if (r != HA_RACE_WIN) {
		d->rule = HA_RULE_RACE_LOSE;
		d->reason = ha_race_outcome_name(r);
		d->retry_soon = r == HA_RACE_NOT_PROBED || r == HA_RACE_PRIMARY_ALIVE ||
		                r == HA_RACE_DEFER_CANDIDATE;
		set_detail(d, who);
		return;
	}
	d->role = HA_ROLE_PRIMARY;
	add(d, HA_ACT_ACQUIRE_LEADER, NULL);
	plan_promote(f, d);
}

static bool c_always(const struct facts *f)
{
	(void)f;
	return true;
}

static void p_idle(const struct facts *f, struct ha_decision *d)
{
	d->role = f->primary ? HA_ROLE_PRIMARY : HA_ROLE_REPLICA;
	set_detail(d, leader_name(f));
}

/* --- the table ---------------------------------------------------------------------------- */

struct rule {
	enum ha_rule id;
	bool (*when)(const struct facts *f);
	void (*plan)(const struct facts *f, struct ha_decision *d);
	const char *reason;
};

static const struct rule rules[] = {
    {HA_RULE_SHUTDOWN, c_shutdown, p_shutdown, "the agent is shutting down"},
    {HA_RULE_DCS_LOST_FENCE, c_dcs_lost_fence, p_dcs_lost_fence,
     "etcd unreachable and the lease is past its fencing deadline"},
    {HA_RULE_DCS_LOST_WAIT, c_dcs_lost, p_dcs_lost, "etcd unreachable: no role change"},
    {HA_RULE_SYSID_MISMATCH, c_sysid_mismatch, p_refuse,
     "the data directory does not belong to this cluster"},
    {HA_RULE_RESTORE, c_restore, p_restore, "restoring this leader's data from a backup"},
    {HA_RULE_RESTORE_WAIT, c_restore_wait, p_restore_wait,
     "the leader restores a backup: stopped until it is done"},
    {HA_RULE_RESTORE_RECLONE, c_restore_reclone, p_reinit,
     "the leader was restored on a new timeline: making this replica again from it"},
    {HA_RULE_PAUSED, c_paused, p_paused, "cluster paused: no automatic action"},
    {HA_RULE_BOOTSTRAP, c_bootstrap, p_bootstrap, "no cluster yet: racing to bootstrap it"},
    {HA_RULE_WAIT_BOOTSTRAP, c_wait_bootstrap, p_wait, "waiting for a leader to clone from"},
    {HA_RULE_ADOPT_DATA, c_adopt_data, p_adopt_data,
     "existing data directory and no cluster in etcd: registering it"},
    {HA_RULE_CLONE, c_clone, p_clone, "no data: cloning from the leader"},
    {HA_RULE_WAIT_LEADER_TO_CLONE, c_wait_clone, p_wait,
     "no data and the leader is not running yet"},
    {HA_RULE_REINIT, c_reinit, p_reinit, "reinitialize requested"},
    {HA_RULE_FAILSAFE_WINDOW, c_failsafe_window, p_failsafe_window,
     "a primary confirmed alive over REST within ttl (failsafe): not racing or promoting"},
    {HA_RULE_RETAKE_LEADER, c_retake, p_retake,
     "the leader key still carries our name: re-attaching it to our lease"},
    {HA_RULE_RETAKE_REFUSED, c_retake_refused, p_retake_refused,
     "the leader key carries our name but we may not lead now"},
    {HA_RULE_LOST_KEY_FENCE, c_lost_key_fence, p_fence,
     "leader lease not renewed before the fencing deadline"},
    {HA_RULE_RETAKE_VANISHED, c_retake_vanished, p_retake_vanished,
     "our leader key vanished while we held it (expired during failsafe, or revoked by "
     "etcd): taking it back"},
    {HA_RULE_PRIMARY_CRASHED_HANDOVER, c_crashed_handover, p_release,
     "PostgreSQL is down on the leader and a synchronous standby can take over"},
    {HA_RULE_PRIMARY_RESTART, c_primary_restart, p_primary_restart,
     "PostgreSQL is down on the leader and nobody can take over: restarting it"},
    {HA_RULE_RECLONE_AFTER_REWIND, c_reclone, p_reclone,
     "pg_rewind from the leader failed: cloning again"},
    {HA_RULE_REWIND_FORMER_PRIMARY, c_rewind_former, p_rewind_former,
     "former primary rejoining the new leader"},
    {HA_RULE_START_REPLICA, c_start_replica, p_start_replica, "starting as a replica"},
    {HA_RULE_STARTING, c_starting, p_wait, "waiting for PostgreSQL"},
    {HA_RULE_RESTART, c_restart, p_restart, "restart requested"},
    {HA_RULE_LEADER, c_leader, p_leader, "holding the leader key"},
    {HA_RULE_DEMOTE, c_demote, p_fence, "running as primary without the leader key"},
    {HA_RULE_PROMOTE_HELD, c_promote_held, p_promote_held, "holding the leader key: promoting"},
    {HA_RULE_REWIND_DIVERGED, c_rewind_diverged, p_rewind_diverged,
     "timeline diverged from the leader's"},
    {HA_RULE_FOLLOW, c_follow, p_follow, "following the leader"},
    {HA_RULE_RACE_WIN, c_race, p_race, "no leader: this node is the healthiest"},
    {HA_RULE_IDLE, c_always, p_idle, "no change"},
};

void ha_decide(const struct ha_input *in, struct ha_decision *out)
{
	struct facts f;

	derive_facts(in, &f);
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < ARRAY_LEN(rules); i++) {
		if (!rules[i].when(&f))
			continue;
		out->rule = rules[i].id;
		out->reason = rules[i].reason;
		rules[i].plan(&f, out);
		return;
	}
}

/* --- names ------------------------------------------------------------------------------------ */

const char *ha_rule_name(enum ha_rule rule)
{
	static const char *const names[HA_RULE__COUNT] = {
	    [HA_RULE_SHUTDOWN] = "shutdown",
	    [HA_RULE_DCS_LOST_FENCE] = "dcs_lost_fence",
	    [HA_RULE_DCS_LOST_WAIT] = "dcs_lost_wait",
	    [HA_RULE_SYSID_MISMATCH] = "sysid_mismatch",
	    [HA_RULE_PAUSED] = "paused",
	    [HA_RULE_BOOTSTRAP] = "bootstrap",
	    [HA_RULE_WAIT_BOOTSTRAP] = "wait_bootstrap",
	    [HA_RULE_ADOPT_DATA] = "adopt_data",
	    [HA_RULE_CLONE] = "clone",
	    [HA_RULE_WAIT_LEADER_TO_CLONE] = "wait_leader_to_clone",
	    [HA_RULE_REINIT] = "reinit",
	    [HA_RULE_LOST_KEY_FENCE] = "lost_key_fence",
	    [HA_RULE_PRIMARY_CRASHED_HANDOVER] = "primary_crashed_handover",
	    [HA_RULE_PRIMARY_RESTART] = "primary_restart",
	    [HA_RULE_REWIND_FORMER_PRIMARY] = "rewind_former_primary",
	    [HA_RULE_RECLONE_AFTER_REWIND] = "reclone_after_rewind",
	    [HA_RULE_START_REPLICA] = "start_replica",
	    [HA_RULE_STARTING] = "starting",
	    [HA_RULE_LEADER] = "leader",
	    [HA_RULE_SWITCHOVER] = "switchover",
	    [HA_RULE_RETAKE_LEADER] = "retake_leader",
	    [HA_RULE_RETAKE_VANISHED] = "retake_vanished",
	    [HA_RULE_RETAKE_REFUSED] = "retake_refused",
	    [HA_RULE_FAILSAFE_WINDOW] = "failsafe_window",
	    [HA_RULE_DEMOTE] = "demote",
	    [HA_RULE_PROMOTE_HELD] = "promote_held",
	    [HA_RULE_REWIND_DIVERGED] = "rewind_diverged",
	    [HA_RULE_FOLLOW] = "follow",
	    [HA_RULE_RACE_WIN] = "race_win",
	    [HA_RULE_RACE_LOSE] = "race_lose",
	    [HA_RULE_RESTART] = "restart",
	    [HA_RULE_RESTORE] = "restore",
	    [HA_RULE_RESTORE_WAIT] = "restore_wait",
	    [HA_RULE_RESTORE_RECLONE] = "restore_reclone",
	    [HA_RULE_IDLE] = "idle",
	};

	return rule < HA_RULE__COUNT && names[rule] ? names[rule] : "?";
}

const char *ha_role_name(enum ha_role role)
{
	static const char *const names[HA_ROLE__COUNT] = {"none", "primary", "replica", "stopped"};

	return role < HA_ROLE__COUNT ? names[role] : "?";
}

const char *ha_action_name(enum ha_action_kind kind)
{
	static const char *const names[HA_ACT__COUNT] = {
	    [HA_ACT_INITIALIZE_RACE] = "initialize_race",
	    [HA_ACT_BOOTSTRAP] = "bootstrap",
	    [HA_ACT_REGISTER_SYSID] = "register_sysid",
	    [HA_ACT_CLONE] = "clone",
	    [HA_ACT_REINIT] = "reinit",
	    [HA_ACT_REWIND] = "rewind",
	    [HA_ACT_START_PRIMARY] = "start_primary",
	    [HA_ACT_START_REPLICA] = "start_replica",
	    [HA_ACT_STOP_FAST] = "stop_fast",
	    [HA_ACT_STOP_IMMEDIATE] = "stop_immediate",
	    [HA_ACT_RESTART] = "restart",
	    [HA_ACT_FOLLOW] = "follow",
	    [HA_ACT_ACQUIRE_LEADER] = "acquire_leader",
	    [HA_ACT_RELEASE_LEADER] = "release_leader",
	    [HA_ACT_SYNC_CLAIM] = "sync_claim",
	    [HA_ACT_PROMOTE] = "promote",
	    [HA_ACT_WRITE_HISTORY] = "write_history",
	    [HA_ACT_SYNC_SLOTS] = "sync_slots",
	    [HA_ACT_SET_SSN] = "set_ssn",
	    [HA_ACT_PUBLISH_SYNC] = "publish_sync",
	    [HA_ACT_CLEAR_FAILOVER] = "clear_failover",
	    [HA_ACT_HANDOVER] = "handover",
	    [HA_ACT_BACKUP_JOB] = "backup_job",
	    [HA_ACT_RESTORE] = "restore",
	    [HA_ACT_PUBLISH_FAILSAFE] = "publish_failsafe",
	    [HA_ACT_DELETE_FAILSAFE] = "delete_failsafe",
	};

	return kind < HA_ACT__COUNT && names[kind] ? names[kind] : "?";
}

const char *ha_race_outcome_name(enum ha_race_outcome outcome)
{
	static const char *const names[HA_RACE__COUNT] = {
	    [HA_RACE_WIN] = "won the leader race",
	    [HA_RACE_NOT_PROBED] = "peers not probed yet",
	    [HA_RACE_INELIGIBLE] = "not eligible for promotion",
	    [HA_RACE_PRIMARY_ALIVE] = "a primary is still running",
	    [HA_RACE_BEHIND_PEER] = "a healthier member is ahead",
	    [HA_RACE_DEFER_CANDIDATE] = "deferring to the failover candidate",
	    [HA_RACE_NOT_LISTED] = "not named in the failsafe key",
	};

	return outcome < HA_RACE__COUNT ? names[outcome] : "?";
}
