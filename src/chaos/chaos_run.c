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
#include "chaos/chaos_observe.h"
#include "chaos/chaos_pq.h"
#include "chaos/chaos_probe.h"
#include "chaos/chaos_report.h"
#include "chaos/chaos_verify.h"
#include "chaos/chaos_writer.h"
#include "client/client_handover.h"
#include "client/client_sql.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/proc.h"
#include "util/strutil.h"

#define WARMUP_MS       2000 /* writes before the fault */
#define AFTER_ACK_MS    1000 /* writes after the first acknowledgement after the fault */
#define POLL_MS         20
#define FREEZE_EXTRA_MS 2000 /* a freeze lasts TTL + this */
#define UP_EXIT_WAIT_MS 30000
#define DCS_TIMEOUT_MS  1500 /* per etcd endpoint tried */
#define SETUP_SQL                                                                              \
	"CREATE TABLE IF NOT EXISTS chaos_ids (id bigint PRIMARY KEY, at timestamptz DEFAULT " \
	"now()); CREATE TABLE IF NOT EXISTS chaos_probe (node text, at timestamptz DEFAULT "   \
	"now()); TRUNCATE chaos_probe"

struct run {
	const struct chaos_args *a;
	const struct client *cl;
	const struct lab_cluster *c;
	struct dcs *d;
	struct chaos_timeline tl;
	struct chaos_observer *obs;
	struct chaos_probe *probe;
	struct chaos_writer *w;
	struct chaos_victim victim;
	struct chaos_result res;
	char passfile[PATH_MAX];
	struct buf pg_tls; /* sslmode and sslrootcert for sessions by host and port */
	int64_t id_base;
	int64_t freeze_until_ms; /* > 0 while the victim is frozen */
	pid_t up_pid;            /* `pgha up` bringing the victim back, 0 = none */
};

static int64_t since_t0_ms(const struct run *r)
{
	return (clock_now_us() - r->res.t0_us) / 1000;
}

/* --- before the fault --------------------------------------------------------------- */

static bool client_env(struct run *r)
{
	char service[PATH_MAX];

	if (!lab_path(r->c, "pg_service.conf", service, sizeof(service)) ||
	    !lab_path(r->c, "pgpass", r->passfile, sizeof(r->passfile)) || !fs_exists(service) ||
	    !fs_exists(r->passfile)) {
		client_say("chaos",
		           "%s has no pg_service.conf and pgpass: not a lab written by pgha up",
		           r->c->dir);
		return false;
	}
	setenv("PGSERVICEFILE", service, 1);
	setenv("PGPASSFILE", r->passfile, 1);
	client_sql_tls_conninfo(r->cl, &r->pg_tls);
	return true;
}

/* wait_healthy: until chaos_healthy or the deadline; the leader into r->res.victim. */
static bool wait_healthy(struct run *r, int64_t deadline_ms)
{
	char why[256] = "";
	struct chaos_cluster_obs o;

	for (;;) {
		chaos_observe_get(r->obs, &o);
		if (chaos_healthy(&o, why, sizeof(why))) {
			snprintf(r->res.victim, sizeof(r->res.victim), "%s", o.leader);
			return true;
		}
		if (clock_now_ms() > deadline_ms) {
			client_say("chaos", "the cluster is not healthy: %s", why);
			return false;
		}
		clock_sleep_ms(100);
	}
}

static bool setup_tables(int64_t deadline_ms)
{
	char err[512] = "";

	while (clock_now_ms() < deadline_ms) {
		PGconn *c = chaos_pq_connect("service=rw connect_timeout=5", err, sizeof(err));
		enum chaos_pq_result res = CHAOS_PQ_ERROR;

		if (c != NULL)
			res = chaos_pq_exec(c, SETUP_SQL, 0, NULL, 10000, NULL, NULL, 0, err,
			                    sizeof(err));
		PQfinish(c);
		if (res == CHAOS_PQ_OK)
			return true;
		clock_sleep_ms(200);
	}
	client_say("chaos", "cannot create the chaos tables through service=rw: %s", err);
	return false;
}

static bool start_load(struct run *r)
{
	struct chaos_probe_node nodes[LAB_MAX_NODES];
	struct chaos_writer_stats st;
	int64_t deadline_ms = clock_now_ms() + 1000L * r->a->timeout_s;

	for (int k = 0; k < r->c->plan.n_nodes; k++) {
		snprintf(nodes[k].name, sizeof(nodes[k].name), "%s", r->c->plan.nodes[k].name);
		nodes[k].pg_port = r->c->plan.nodes[k].pg_port;
	}
	r->probe = chaos_probe_start(nodes, r->c->plan.n_nodes, r->cl->creds.pg_user, r->passfile,
	                             r->pg_tls.data);
	r->id_base = clock_wall_epoch_s() * 1000000; /* a fresh range per run */
	r->w = chaos_writer_start("service=rw connect_timeout=2 application_name=pgha-chaos",
	                          r->id_base);
	if (r->probe == NULL || r->w == NULL) {
		client_say("chaos", "cannot start the writer and probe threads");
		return false;
	}
	clock_sleep_ms(WARMUP_MS);
	do {
		chaos_writer_stats(r->w, &st);
		if (st.acked > 0)
			return true;
		clock_sleep_ms(100);
	} while (clock_now_ms() < deadline_ms);
	client_say("chaos", "the writer got no acknowledgement before the fault: %s",
	           st.last_error);
	return false;
}

/* --- the fault ---------------------------------------------------------------------- */

static int freeze_ms(struct run *r)
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
	return ttl_s * 1000 + FREEZE_EXTRA_MS;
}

/* switchover: the request `pgha switchover --leader VICTIM --force` sends. */
static bool switchover(struct run *r, char *err, size_t errlen)
{
	struct client_handover_req req = {.leader = r->res.victim};
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
	code = client_handover_send(r->cl, &v, &h, &reply, err, errlen);
	chaos_timeline_add(&r->tl, clock_now_us(), "switchover answered: %ld %s", code,
	                   str_trim(reply.data));
	if (code != 200 && code != 202 && code > 0)
		snprintf(err, errlen, "switchover refused: %ld %s", code, reply.data);
	buf_free(&reply);
	client_handover_free(&h);
	dcs_view_free(&v);
	return code == 200 || code == 202;
}

static bool inject(struct run *r)
{
	char err[512];
	enum chaos_scenario s = r->a->scenario;

	if (!chaos_victim_find(r->c, r->res.victim, s, &r->victim, err, sizeof(err))) {
		client_say("chaos", "%s", err);
		return false;
	}
	if (s == CHAOS_FREEZE_PRIMARY)
		r->freeze_until_ms = clock_now_ms() + freeze_ms(r);
	r->res.t0_us = clock_now_us();
	chaos_writer_mark(r->w, r->res.t0_us);
	chaos_observe_arm(r->obs);
	chaos_timeline_add(&r->tl, r->res.t0_us, "fault: %s %s", chaos_scenario_str(s),
	                   r->res.victim);
	if (s == CHAOS_SWITCHOVER ? switchover(r, err, sizeof(err))
	                          : chaos_fault_inject(s, &r->victim, err, sizeof(err))) {
		chaos_writer_settle(r->w, clock_now_us());
		return true;
	}
	client_say("chaos", "%s", err);
	return false;
}

/* tick: what must happen at a time whatever else is waited for (the end of a freeze). */
static void tick(struct run *r)
{
	if (r->freeze_until_ms > 0 && clock_now_ms() >= r->freeze_until_ms) {
		chaos_fault_resume(&r->victim);
		chaos_timeline_add(&r->tl, clock_now_us(), "SIGCONT to %s's %d processes",
		                   r->res.victim, r->victim.n_tree);
		r->freeze_until_ms = 0;
	}
}

/* --- after the fault ---------------------------------------------------------------- */

/*
 * wait_recovery: until a write on a session opened after the fault was in place is
 * acknowledged (see chaos_writer.h), then
 * AFTER_ACK_MS more. The downtime is the longest stretch without acknowledgement since
 * the fault (from it, or from the last acknowledgement after it, to the next one).
 */
static void wait_recovery(struct run *r)
{
	struct chaos_writer_stats st;
	int64_t limit_ms = 1000L * r->a->timeout_s;

	do {
		tick(r);
		chaos_writer_stats(r->w, &st);
		if (st.recovered_us)
			break;
		clock_sleep_ms(POLL_MS);
	} while (since_t0_ms(r) < limit_ms);
	if (st.first_err_us)
		chaos_timeline_add(&r->tl, st.first_err_us, "first write error");
	if (!st.recovered_us) {
		r->res.downtime_s = -1;
		return;
	}
	for (int64_t end = clock_now_ms() + AFTER_ACK_MS; clock_now_ms() < end;) {
		tick(r);
		clock_sleep_ms(POLL_MS);
	}
	chaos_writer_stats(r->w, &st);
	if (st.gap_from_us > r->res.t0_us)
		chaos_timeline_add(&r->tl, st.gap_from_us,
		                   "last acknowledged write before the outage");
	chaos_timeline_add(&r->tl, st.gap_to_us, "first acknowledged write");
	r->res.downtime_s = (double)(st.gap_to_us - st.gap_from_us) / 1e6;
}

static void restart_victim(struct run *r)
{
	char err[512];
	enum chaos_scenario s = r->a->scenario;

	if (!r->res.restart || (s != CHAOS_KILL_PRIMARY && s != CHAOS_KILL_AGENT))
		return;
	r->up_pid =
	    chaos_restart_lab(r->c, r->a->timeout_s * CHAOS_REJOIN_FACTOR, err, sizeof(err));
	if (r->up_pid < 0) {
		client_say("chaos", "cannot restart %s: %s", r->res.victim, err);
		r->up_pid = 0;
		return;
	}
	chaos_timeline_add(&r->tl, clock_now_us(), "%s restarted (pgha up --dir %s, pid %d)",
	                   r->res.victim, r->c->dir, (int)r->up_pid);
}

/* victim_back: healthy, with the victim leading again or a replica of the leader. */
static bool victim_back(struct run *r, struct chaos_cluster_obs *o)
{
	char why[256];

	chaos_observe_get(r->obs, o);
	return chaos_healthy(o, why, sizeof(why)) && chaos_node_obs_find(o, r->res.victim);
}

static void wait_heal(struct run *r)
{
	struct chaos_cluster_obs o;
	const struct chaos_node_obs *v;
	int64_t limit_ms = 1000L * r->a->timeout_s * CHAOS_REJOIN_FACTOR;

	r->res.rejoin_s = -1;
	while (r->res.restart && since_t0_ms(r) < limit_ms) {
		tick(r);
		if (r->freeze_until_ms == 0 && victim_back(r, &o)) {
			v = chaos_node_obs_find(&o, r->res.victim);
			r->res.rejoined = true;
			r->res.rejoin_s = (double)since_t0_ms(r) / 1000.0;
			chaos_timeline_add(&r->tl, clock_now_us(), "%s %s", r->res.victim,
			                   str_eq(o.leader, r->res.victim)
			                       ? "leads again, cluster healed"
			                   : v->seen_rewinding ? "rejoined via pg_rewind"
			                   : v->seen_recloning ? "rejoined (re-cloned)"
			                                       : "rejoined");
			return;
		}
		clock_sleep_ms(POLL_MS);
	}
	while (r->freeze_until_ms > 0) { /* --no-restart: a frozen victim still resumes */
		tick(r);
		clock_sleep_ms(POLL_MS);
	}
}

/* verify: every acknowledged id on the leader, read directly from its PostgreSQL. */
static void verify(struct run *r)
{
	struct chaos_cluster_obs o;
	const struct lab_node_ports *n;
	const int64_t *acked;
	int64_t *present = NULL;
	size_t n_acked;
	size_t n_present;
	char conninfo[PATH_MAX + 256];
	char err[512];

	chaos_observe_get(r->obs, &o);
	snprintf(r->res.new_leader, sizeof(r->res.new_leader), "%s", o.has_leader ? o.leader : "");
	acked = chaos_writer_acked(r->w, &n_acked);
	r->res.acked = (int64_t)n_acked;
	n = o.has_leader ? lab_plan_node(&r->c->plan, o.leader) : NULL;
	if (n == NULL) {
		client_say("chaos", "no leader to verify the writes on");
		return;
	}
	snprintf(
	    conninfo, sizeof(conninfo),
	    "host=127.0.0.1 port=%d dbname=postgres user='%s' passfile='%s' connect_timeout=5%s",
	    n->pg_port, r->cl->creds.pg_user, r->passfile, r->pg_tls.data);
	if (!chaos_read_ids(conninfo, r->id_base + 1, n_acked ? acked[n_acked - 1] : r->id_base,
	                    &present, &n_present, err, sizeof(err))) {
		client_say("chaos", "cannot read chaos_ids on %s: %s", o.leader, err);
		return;
	}
	r->res.verified = true;
	r->res.lost_acked = chaos_count_missing(acked, n_acked, present, n_present);
	free(present);
}

static void check_one_writer(struct run *r)
{
	const char *names[LAB_MAX_NODES];
	const struct chaos_sample *s;
	int n;

	for (int k = 0; k < r->c->plan.n_nodes; k++)
		names[k] = r->c->plan.nodes[k].name;
	s = chaos_probe_samples(r->probe, &n);
	r->res.split_brain = chaos_split_brain(s, n, names, r->res.t0_us, r->res.split_detail,
	                                       sizeof(r->res.split_detail));
}

/* reap_up: `pgha up` ends once the cluster is healthy; stop it by pid if it hangs. */
static void reap_up(struct run *r)
{
	int status;

	if (r->up_pid <= 0)
		return;
	if (proc_wait(r->up_pid, UP_EXIT_WAIT_MS, &status) != 1) {
		client_say("chaos", "pgha up (pid %d) still runs; stopping it", (int)r->up_pid);
		(void)proc_stop(r->up_pid, SIGTERM, 5000);
	}
	r->up_pid = 0;
}

static enum chaos_outcome report(struct run *r)
{
	struct chaos_event *ev = chaos_timeline_copy(&r->tl, &r->res.n_events);
	bool ok;

	r->res.events = ev;
	ok = chaos_result_judge(&r->res);
	if (r->a->json) {
		char *text = chaos_report_json(&r->res);

		fputs(text, stdout);
		free(text);
	} else {
		struct buf out;

		buf_init(&out);
		chaos_report_text(&r->res, &out);
		fputs(out.data, stdout);
		buf_free(&out);
	}
	fflush(stdout);
	free(ev);
	r->res.events = NULL;
	return ok ? CHAOS_PASSED : CHAOS_FAILED;
}

/* --- the sequence ------------------------------------------------------------------- */

/* fault_and_after: from the fault to the verdict; the threads are running. */
static enum chaos_outcome fault_and_after(struct run *r)
{
	struct chaos_writer_stats st;

	if (!start_load(r) || !inject(r)) {
		while (r->freeze_until_ms > 0) {
			tick(r);
			clock_sleep_ms(POLL_MS);
		}
		return CHAOS_FAILED;
	}
	wait_recovery(r);
	chaos_writer_stop(r->w);
	restart_victim(r);
	wait_heal(r);
	reap_up(r);
	chaos_probe_stop(r->probe);
	check_one_writer(r);
	verify(r);
	chaos_writer_stats(r->w, &st);
	r->res.errors = st.errors;
	r->res.connect_errors = st.connect_errors;
	return report(r);
}

static void stop_threads(struct run *r)
{
	if (r->w) {
		chaos_writer_stop(r->w);
		chaos_writer_free(r->w);
	}
	chaos_probe_free(r->probe);
	chaos_observe_stop(r->obs);
	dcs_close(r->d);
}

enum chaos_outcome chaos_run(const struct chaos_args *a, const struct lab_cluster *c,
                             const struct client *cl)
{
	struct run r = {.a = a, .cl = cl, .c = c};
	enum chaos_outcome rc = CHAOS_FAILED;

	r.res.scenario = a->scenario;
	r.res.timeout_s = a->timeout_s;
	r.res.restart = !a->no_restart;
	r.res.downtime_s = -1;
	r.res.rejoin_s = -1;
	buf_init(&r.pg_tls);
	if (!client_env(&r)) {
		buf_free(&r.pg_tls);
		return CHAOS_NOT_A_LAB;
	}
	chaos_timeline_init(&r.tl);
	r.d = client_dcs_open(cl, DCS_TIMEOUT_MS, true);
	r.obs = r.d ? chaos_observe_start(r.d, r.c, &r.tl) : NULL;
	if (r.obs == NULL) {
		client_say("chaos", "cannot follow the cluster in etcd");
		rc = CHAOS_NO_ETCD;
	} else if (wait_healthy(&r, clock_now_ms() + 1000L * a->timeout_s * CHAOS_REJOIN_FACTOR) &&
	           setup_tables(clock_now_ms() + 1000L * a->timeout_s)) {
		rc = fault_and_after(&r);
	}
	stop_threads(&r);
	chaos_timeline_deinit(&r.tl);
	buf_free(&r.pg_tls);
	return rc;
}
