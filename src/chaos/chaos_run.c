/*
 * chaos_run.c: the sequence of one chaos run (see chaos_run.h).
 */
#include "chaos/chaos_run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "chaos/chaos_fault.h"
#include "chaos/chaos_guard.h"
#include "chaos/chaos_observe.h"
#include "chaos/chaos_pq.h"
#include "chaos/chaos_probe.h"
#include "chaos/chaos_verify.h"
#include "chaos/chaos_writer.h"
#include "client/client_handover.h"
#include "util/clock.h"
#include "util/compiler.h"
#include "util/proc.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define WARMUP_MS       2000 /* writes before the fault */
#define AFTER_ACK_MS    1000 /* writes after the first acknowledgement after the fault */
#define POLL_MS         20
#define FREEZE_EXTRA_MS 2000 /* a freeze lasts TTL + this */
#define UP_EXIT_WAIT_MS 30000
#define DCS_TIMEOUT_MS  1500  /* per etcd endpoint tried */
#define VERIFY_WAIT_MS  15000 /* for a leader that answers the verification read */
/* The direct writer's ids: above any the writer through the client path reaches in a run. */
#define DIRECT_ID_OFFSET 900000
#define SETUP_SQL                                                                              \
	"CREATE TABLE IF NOT EXISTS chaos_ids (id bigint PRIMARY KEY, at timestamptz DEFAULT " \
	"now()); CREATE TABLE IF NOT EXISTS chaos_probe (node text, at timestamptz DEFAULT "   \
	"now()); TRUNCATE chaos_probe"

struct run {
	const struct chaos_args *a;
	const struct chaos_target *t;
	struct dcs *d;
	struct chaos_timeline tl;
	struct chaos_observer *obs;
	struct chaos_probe *probe;
	struct chaos_writer *w;      /* through the client path (t->rw) */
	struct chaos_writer *direct; /* partitions: a session straight to the victim */
	struct chaos_fault f;
	struct chaos_result *res;
	int64_t id_base;
	int64_t heal_at_ms; /* > 0 while a healing fault is in place */
	int64_t cut_us;     /* partitions: the cut was made... */
	int64_t heal_us;    /* ... and healed */
	pid_t up_pid;       /* what brings the victim back, 0 = none */
};

static int64_t since_t0_ms(const struct run *r)
{
	return (clock_now_us() - r->res->t0_us) / 1000;
}

static bool interrupted(struct run *r)
{
	r->res->interrupted = r->res->interrupted || chaos_guard_interrupted();
	return r->res->interrupted;
}

/* --- before the fault --------------------------------------------------------------- */

/* wait_healthy: until chaos_healthy or the deadline; the leader into res->victim. */
static bool wait_healthy(struct run *r, int64_t deadline_ms)
{
	char why[256] = "";
	struct chaos_cluster_obs o;

	while (!interrupted(r)) {
		chaos_observe_get(r->obs, &o);
		if (chaos_healthy(&o, why, sizeof(why))) {
			snprintf(r->res->victim, sizeof(r->res->victim), "%s", o.leader);
			return true;
		}
		if (clock_now_ms() > deadline_ms) {
			client_say("chaos", "the cluster is not healthy: %s", why);
			return false;
		}
		clock_sleep_ms(100);
	}
	return false;
}

static bool setup_tables(struct run *r, int64_t deadline_ms)
{
	char err[512] = "";

	while (clock_now_ms() < deadline_ms && !interrupted(r)) {
		PGconn *c = chaos_pq_connect(r->t->rw, err, sizeof(err));
		enum chaos_pq_result res = CHAOS_PQ_ERROR;

		if (c != NULL)
			res = chaos_pq_exec(c, SETUP_SQL, 0, NULL, 10000, NULL, NULL, 0, err,
			                    sizeof(err));
		PQfinish(c);
		if (res == CHAOS_PQ_OK)
			return true;
		clock_sleep_ms(200);
	}
	client_say("chaos", "cannot create the chaos tables through %s: %s", r->t->rw, err);
	return false;
}

/* writer_conninfo: conninfo with the writer's connect_timeout and application_name. */
static char *writer_conninfo(const char *conninfo, const char *app)
{
	return xasprintf("%s connect_timeout=2 application_name=%s", conninfo, app);
}

static bool start_writers(struct run *r)
{
	const struct chaos_node *v = chaos_target_node(r->t, r->res->victim);
	char *ci = writer_conninfo(r->t->rw, "pgha-chaos");

	r->id_base = clock_wall_epoch_s() * 1000000; /* a fresh range per run */
	r->w = chaos_writer_start(ci, r->id_base);
	free(ci);
	if (r->w == NULL)
		return false;
	if (!chaos_scenario_partition(r->a->scenario) || v == NULL)
		return true;
	ci = writer_conninfo(v->conninfo, "pgha-chaos-direct");
	r->direct = chaos_writer_start(ci, r->id_base + DIRECT_ID_OFFSET);
	free(ci);
	return r->direct != NULL;
}

static bool start_load(struct run *r)
{
	struct chaos_writer_stats st;
	int64_t deadline_ms = clock_now_ms() + 1000L * r->a->timeout_s;

	r->probe = chaos_probe_start(r->t);
	if (r->probe == NULL || !start_writers(r)) {
		client_say("chaos", "cannot start the writer and probe threads");
		return false;
	}
	clock_sleep_ms(WARMUP_MS);
	do {
		chaos_writer_stats(r->w, &st);
		if (st.acked > 0)
			return true;
		clock_sleep_ms(100);
	} while (clock_now_ms() < deadline_ms && !interrupted(r));
	client_say("chaos", "the writer got no acknowledgement before the fault: %s",
	           st.last_error);
	return false;
}

/* --- the fault ---------------------------------------------------------------------- */

static int ttl_ms(struct run *r)
{
	struct dcs_view v;
	struct dyn_config d;
	int ttl_s = 30;

	if (dcs_snapshot(r->d, &v, -1)) {
		client_cluster_dyn(&v, &d);
		ttl_s = d.ttl_s;
		dyn_config_free(&d);
		dcs_view_free(&v);
	}
	return ttl_s * 1000;
}

/* fault_ms: how long the fault lasts before it heals; 0 when it does not heal. */
static int fault_ms(struct run *r)
{
	if (r->a->duration_s > 0)
		return r->a->duration_s * 1000;
	if (r->a->scenario == CHAOS_FREEZE_PRIMARY)
		return ttl_ms(r) + FREEZE_EXTRA_MS;
	return chaos_scenario_duration_s(r->a->scenario) * 1000;
}

/* prepare: whether the fault can be carried out on the victim, before any load. */
static bool prepare(struct run *r)
{
	char err[768];

	r->f = (struct chaos_fault){.s = r->a->scenario,
	                            .t = r->t,
	                            .exec = r->a->exec,
	                            .etcd_followers = r->a->etcd_victims == CHAOS_ETCD_FOLLOWERS,
	                            .timeout_s = r->a->timeout_s};
	snprintf(r->f.victim, sizeof(r->f.victim), "%s", r->res->victim);
	if (chaos_fault_prepare(&r->f, err, sizeof(err)))
		return true;
	client_say("chaos", "%s", err);
	return false;
}

/* switchover: the request `pgha switchover --leader VICTIM --force` sends. */
static bool switchover(struct run *r, char *err, size_t errlen)
{
	struct client_handover_req req = {.leader = r->res->victim};
	struct client_handover h;
	struct dcs_view v;
	struct buf reply;
	long code;

	if (!dcs_read(r->d, &v)) {
		snprintf(err, errlen, "cannot read the cluster from etcd");
		return false;
	}
	if (!client_plan_handover(&req, &v, &h, err, errlen)) {
		dcs_view_free(&v);
		return false;
	}
	buf_init(&reply);
	code = client_handover_send(r->t->cl, &v, &h, &reply, err, errlen);
	chaos_timeline_add(&r->tl, clock_now_us(), "switchover answered: %ld %s", code,
	                   str_trim(reply.data));
	if (code != 200 && code != 202 && code > 0)
		snprintf(err, errlen, "switchover refused: %ld %s", code, reply.data);
	buf_free(&reply);
	client_handover_free(&h);
	dcs_view_free(&v);
	return code == 200 || code == 202;
}

/* fault_in_place: the fault is in place now (signals sent, cut made, request answered). */
static void fault_in_place(struct run *r)
{
	int64_t now = clock_now_us();
	enum chaos_scenario s = r->a->scenario;

	/* PostgreSQL untouched: a write on the session of before proves as much as a new one */
	chaos_writer_settle(r->w, now, chaos_scenario_etcd(s) || chaos_scenario_partition(s));
	if (r->direct) {
		r->cut_us = now;
		chaos_writer_settle(r->direct, now, true);
	}
	if (r->f.duration_ms > 0)
		r->heal_at_ms = clock_now_ms() + r->f.duration_ms;
}

static bool inject(struct run *r)
{
	char err[768];
	char what[CHAOS_WHAT_LEN] = "";
	enum chaos_scenario s = r->a->scenario;
	bool ok;

	r->f.duration_ms = s == CHAOS_SWITCHOVER ? 0 : fault_ms(r);
	r->res->fault_s = r->f.duration_ms / 1000.0;
	r->res->t0_us = clock_now_us();
	chaos_writer_mark(r->w, r->res->t0_us);
	if (r->direct)
		chaos_writer_mark(r->direct, r->res->t0_us);
	chaos_observe_arm(r->obs);
	if (s == CHAOS_SWITCHOVER) {
		chaos_timeline_add(&r->tl, r->res->t0_us, "fault: switchover %s", r->res->victim);
		ok = switchover(r, err, sizeof(err));
	} else {
		ok = chaos_fault_inject(&r->f, what, sizeof(what), err, sizeof(err));
		chaos_timeline_add(&r->tl, r->res->t0_us, "fault: %s: %s", chaos_scenario_str(s),
		                   what);
	}
	fault_in_place(r);
	if (!ok)
		client_say("chaos", "%s", err);
	return ok;
}

/* heal: the end of a healing fault; the direct writer's window closes with it. */
static void heal(struct run *r)
{
	char err[768];
	char what[CHAOS_WHAT_LEN] = "";
	bool ok;

	if (r->direct) {
		chaos_writer_stop(r->direct);
		r->heal_us = clock_now_us();
	}
	ok = chaos_fault_heal(&r->f, what, sizeof(what), err, sizeof(err));
	chaos_timeline_add(&r->tl, clock_now_us(), "%s", ok ? what : "heal failed");
	if (!ok)
		client_say("chaos", "healing the fault: %s", err);
	r->heal_at_ms = 0;
	chaos_writer_settle(r->w, clock_now_us(), true); /* writes must work after the heal */
}

/* tick: what must happen at a time whatever else is waited for (the end of a fault). */
static void tick(struct run *r)
{
	if (r->heal_at_ms > 0 && (clock_now_ms() >= r->heal_at_ms || interrupted(r)))
		heal(r);
}

/* --- after the fault ---------------------------------------------------------------- */

/* wait_ms: ticks for ms (or until interrupted). */
static void wait_ms(struct run *r, int ms)
{
	for (int64_t end = clock_now_ms() + ms; clock_now_ms() < end && !interrupted(r);) {
		tick(r);
		clock_sleep_ms(POLL_MS);
	}
	tick(r);
}

/*
 * wait_recovery: until the fault healed and a write on a session opened after the
 * fault (any session, for a fault that leaves PostgreSQL alone) and sent after it
 * was in place, or healed, is acknowledged (see chaos_writer.h); then AFTER_ACK_MS
 * more. The downtime is the longest stretch without acknowledgement since the fault.
 */
static void wait_recovery(struct run *r)
{
	struct chaos_writer_stats st;
	int64_t limit_ms = 1000L * r->a->timeout_s + r->f.duration_ms;

	do {
		tick(r);
		chaos_writer_stats(r->w, &st);
		if (st.recovered_us && r->heal_at_ms == 0)
			break;
		clock_sleep_ms(POLL_MS);
	} while (since_t0_ms(r) < limit_ms && !interrupted(r));
	if (st.first_err_us)
		chaos_timeline_add(&r->tl, st.first_err_us, "first write error");
	if (!st.recovered_us || r->heal_at_ms != 0) {
		r->res->downtime_s = -1;
		return;
	}
	wait_ms(r, AFTER_ACK_MS);
	chaos_writer_stats(r->w, &st);
	if (st.gap_from_us > r->res->t0_us)
		chaos_timeline_add(&r->tl, st.gap_from_us,
		                   "last acknowledged write before the outage");
	chaos_timeline_add(&r->tl, st.gap_to_us, "first acknowledged write");
	r->res->downtime_s = (double)(st.gap_to_us - st.gap_from_us) / 1e6;
}

static void restart_victim(struct run *r)
{
	char err[512];
	enum chaos_scenario s = r->a->scenario;

	if (!r->res->restart || (s != CHAOS_KILL_PRIMARY && s != CHAOS_KILL_AGENT) ||
	    interrupted(r))
		return;
	r->up_pid =
	    chaos_fault_restart(&r->f, r->a->timeout_s * CHAOS_REJOIN_FACTOR, err, sizeof(err));
	if (r->up_pid < 0) {
		client_say("chaos", "cannot restart %s: %s", r->res->victim, err);
		r->up_pid = 0;
		return;
	}
	chaos_timeline_add(&r->tl, clock_now_us(), "%s restarted (%s, pid %d)", r->res->victim,
	                   r->a->exec ? "--exec, phase restart" : "pgha up", (int)r->up_pid);
}

/* victim_back: healthy, with the victim leading again or a replica of the leader. */
static bool victim_back(struct run *r, struct chaos_cluster_obs *o)
{
	char why[256];

	chaos_observe_get(r->obs, o);
	return chaos_healthy(o, why, sizeof(why)) && chaos_node_obs_find(o, r->res->victim);
}

static void note_rejoined(struct run *r, const struct chaos_cluster_obs *o)
{
	const struct chaos_node_obs *v = chaos_node_obs_find(o, r->res->victim);

	r->res->rejoined = true;
	r->res->rewound = v->seen_rewinding;
	r->res->rejoin_s = (double)since_t0_ms(r) / 1000.0;
	chaos_timeline_add(&r->tl, clock_now_us(), "%s %s", r->res->victim,
	                   str_eq(o->leader, r->res->victim) ? "leads again, cluster healed"
	                   : v->seen_rewinding               ? "rejoined via pg_rewind"
	                   : v->seen_recloning               ? "rejoined (re-cloned)"
	                                                     : "rejoined");
}

static void wait_heal(struct run *r)
{
	struct chaos_cluster_obs o;
	int64_t limit_ms = 1000L * r->a->timeout_s * CHAOS_REJOIN_FACTOR + r->f.duration_ms;

	r->res->rejoin_s = -1;
	while (r->res->restart && since_t0_ms(r) < limit_ms && !interrupted(r)) {
		tick(r);
		if (r->heal_at_ms == 0 && victim_back(r, &o)) {
			note_rejoined(r, &o);
			return;
		}
		clock_sleep_ms(POLL_MS);
	}
	while (r->heal_at_ms > 0) /* --no-restart: a healing fault still heals */
		wait_ms(r, POLL_MS);
}

/*
 * read_present: the ids of this run in [id_base+1, hi], read directly from the leader's
 * PostgreSQL; the leader may still be settling (a run cut short by a signal): it gets
 * VERIFY_WAIT_MS to answer. The leader's name into leader.
 */
static bool read_present(struct run *r, int64_t hi, char *leader, size_t size, int64_t **present,
                         size_t *n_present)
{
	struct chaos_cluster_obs o;
	const struct chaos_node *n;
	int64_t deadline = clock_now_ms() + VERIFY_WAIT_MS;
	char err[512] = "no leader";

	for (;;) {
		chaos_observe_get(r->obs, &o);
		snprintf(leader, size, "%s", o.has_leader ? o.leader : "");
		n = o.has_leader ? chaos_target_node(r->t, o.leader) : NULL;
		if (n && chaos_read_ids(n->conninfo, r->id_base + 1, hi, present, n_present, err,
		                        sizeof(err)))
			return true;
		if (clock_now_ms() >= deadline)
			break;
		clock_sleep_ms(500);
	}
	client_say("chaos", "cannot read chaos_ids on the leader (%s): %s",
	           leader[0] ? leader : "none", err);
	return false;
}

/* verify: every acknowledged id (of both writers) on the leader. */
static void verify(struct run *r)
{
	size_t n_acked, n_direct = 0, n_present;
	const int64_t *acked = chaos_writer_acked(r->w, &n_acked);
	const int64_t *direct = r->direct ? chaos_writer_acked(r->direct, &n_direct) : NULL;
	int64_t *present = NULL;
	int64_t hi = n_direct ? direct[n_direct - 1] : n_acked ? acked[n_acked - 1] : r->id_base;

	r->res->acked = (int64_t)(n_acked + n_direct);
	if (!read_present(r, hi, r->res->new_leader, sizeof(r->res->new_leader), &present,
	                  &n_present))
		return;
	r->res->verified = true;
	r->res->lost_acked = chaos_count_missing(acked, n_acked, present, n_present) +
	                     chaos_count_missing(direct, n_direct, present, n_present);
	free(present);
}

/* check_writers: one writer at a time, and (partition-primary) none on the cut side. */
static void check_writers(struct run *r)
{
	const char *names[CHAOS_MAX_NODES];
	const struct chaos_sample *s;
	struct chaos_writer_stats st;
	int n;
	int victim = chaos_target_index(r->t, r->res->victim);

	for (int k = 0; k < r->t->n_nodes; k++)
		names[k] = r->t->nodes[k].name;
	s = chaos_probe_samples(r->probe, &n);
	r->res->split_brain = chaos_split_brain(s, n, names, r->res->t0_us, r->res->split_detail,
	                                        sizeof(r->res->split_detail));
	r->res->isolated_acks = -1;
	if (r->a->scenario != CHAOS_PARTITION_PRIMARY || r->direct == NULL || r->cut_us == 0)
		return;
	chaos_writer_stats(r->direct, &st);
	r->res->isolated_acks =
	    st.acked_since_settle +
	    chaos_acks_sent_within(s, n, victim, r->cut_us, r->heal_us ? r->heal_us : INT64_MAX);
	if (st.recovered_us)
		chaos_timeline_add(&r->tl, st.recovered_us,
		                   "%s acknowledged a direct write sent after the cut",
		                   r->res->victim);
}

/* reap_up: what brings the victim back ends once it is up; stop it by pid if it hangs. */
static void reap_up(struct run *r)
{
	int status;

	if (r->up_pid <= 0)
		return;
	if (proc_wait(r->up_pid, UP_EXIT_WAIT_MS, &status) != 1) {
		client_say("chaos", "the restart (pid %d) still runs; stopping it", (int)r->up_pid);
		(void)proc_stop(r->up_pid, SIGTERM, 5000);
	}
	r->up_pid = 0;
}

/* observed: what the observer counted, and the writers' errors, into the result. */
static void observed(struct run *r)
{
	struct chaos_cluster_obs o;
	struct chaos_writer_stats st;

	chaos_observe_get(r->obs, &o);
	r->res->leader_changes = o.leader_changes;
	r->res->etcd_leader_changes =
	    chaos_scenario_etcd(r->a->scenario) ? o.etcd_leader_changes : -1;
	r->res->failsafe_s = (double)o.failsafe_us / 1e6;
	for (int i = 0; i < r->f.n_etcd; i++)
		snprintf(r->res->etcd_victims + strlen(r->res->etcd_victims),
		         sizeof(r->res->etcd_victims) - strlen(r->res->etcd_victims), "%s%s",
		         i ? " " : "", chaos_target_etcd_name(r->t, r->f.etcd[i]));
	chaos_writer_stats(r->w, &st);
	r->res->errors = st.errors;
	r->res->connect_errors = st.connect_errors;
}

/* --- the sequence ------------------------------------------------------------------- */

/* fault_and_after: from the load to the verdict; false when the fault never ran. */
static bool fault_and_after(struct run *r)
{
	bool injected = start_load(r) && inject(r);

	if (!injected) {
		if (r->heal_at_ms > 0) /* half done (one of two members stopped...): undo now */
			heal(r);
		return false;
	}
	wait_recovery(r);
	chaos_writer_stop(r->w);
	restart_victim(r);
	wait_heal(r);
	reap_up(r);
	chaos_probe_stop(r->probe);
	check_writers(r);
	verify(r);
	observed(r);
	return true;
}

static void stop_threads(struct run *r)
{
	if (r->heal_at_ms > 0)
		heal(r);
	if (r->w) {
		chaos_writer_stop(r->w);
		chaos_writer_free(r->w);
	}
	if (r->direct) {
		chaos_writer_stop(r->direct);
		chaos_writer_free(r->direct);
	}
	chaos_probe_free(r->probe);
	chaos_observe_stop(r->obs);
	dcs_close(r->d);
}

static void result_init(struct chaos_result *res, const struct chaos_args *a)
{
	memset(res, 0, sizeof(*res));
	res->scenario = a->scenario;
	res->timeout_s = a->timeout_s;
	res->restart = !a->no_restart;
	res->downtime_s = -1;
	res->rejoin_s = -1;
	res->etcd_leader_changes = -1;
	res->isolated_acks = -1;
}

/* outcome: the verdict of a run that got as far as the fault (or was stopped before). */
static enum chaos_outcome outcome(struct run *r, bool ran)
{
	r->res->events = chaos_timeline_copy(&r->tl, &r->res->n_events);
	if (!ran) {
		r->res->t0_us = 0; /* nothing to report */
		return r->res->interrupted ? CHAOS_INTERRUPTED : CHAOS_FAILED;
	}
	if (chaos_result_judge(r->res))
		return CHAOS_PASSED;
	return r->res->interrupted ? CHAOS_INTERRUPTED : CHAOS_FAILED;
}

enum chaos_outcome chaos_run(const struct chaos_args *a, const struct chaos_target *t,
                             struct chaos_result *res)
{
	struct run r = {.a = a, .t = t, .res = res};
	enum chaos_outcome rc = CHAOS_FAILED;
	int64_t heal_ms = 1000L * a->timeout_s * CHAOS_REJOIN_FACTOR;

	result_init(res, a);
	chaos_guard_install();
	chaos_timeline_init(&r.tl);
	r.d = client_dcs_open(t->cl, DCS_TIMEOUT_MS, true);
	r.obs = r.d ? chaos_observe_start(r.d, t, &r.tl, chaos_scenario_etcd(a->scenario)) : NULL;
	if (r.obs == NULL) {
		client_say("chaos", "cannot follow the cluster in etcd");
		rc = CHAOS_NO_ETCD;
	} else if (!wait_healthy(&r, clock_now_ms() + heal_ms)) {
		rc = interrupted(&r) ? CHAOS_INTERRUPTED : CHAOS_FAILED;
	} else if (!prepare(&r)) {
		rc = CHAOS_CANNOT;
	} else if (setup_tables(&r, clock_now_ms() + 1000L * a->timeout_s)) {
		rc = outcome(&r, fault_and_after(&r));
	}
	stop_threads(&r);
	chaos_guard_clear();
	chaos_timeline_deinit(&r.tl);
	return rc;
}
