/*
 * agent.c: the agent's lifetime: set-up, the HA loop's schedule, shutdown.
 *
 * The loop runs one cycle every loop_wait seconds, and at once when something that
 * matters happens: a change of the leader, config, failover, sync or initialize key
 * (the etcd watch), PostgreSQL exiting (a pidfd), or a signal. After a cycle that
 * changed something it runs again almost immediately, so that a multi-step change
 * (acquire, promote, publish) is not spread over several loop_waits.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include "api/api.h"
#include "ha/agent.h"
#include "ha/agent_int.h"
#include "ha/agent_ops.h"
#include "ha/ha_decide.h"
#include "ha/lease.h"
#include "log/log.h"
#include "pg/pg.h"
#include "pooler/pooler.h"
#include "util/clock.h"
#include "util/clocksrc.h"
#include "util/sdnotify.h"
#include "util/strutil.h"
#include "util/thread.h"
#include "util/xalloc.h"

#define RECYCLE_MS    20  /* pause between a cycle that changed something and the next */
#define RETRY_SOON_MS 100 /* re-run of a race lost to a transient state */

/* --- set-up ----------------------------------------------------------------------------- */

static int block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Blocked before any thread starts, so every thread inherits the mask and the
	 * signals reach only the signalfd read by the HA loop. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

void agent_kick(struct agent *a)
{
	uint64_t one = 1;

	if (write(a->kick_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_debug("kick: %s", strerror(errno));
}

static void wake_loop(void *arg)
{
	agent_kick(arg);
}

static void setup_dcs_options(struct agent *a)
{
	struct dcs_options *o = &a->dcs_opt;

	for (int i = 0; i < a->cfg.etcd.n_hosts; i++)
		a->endpoints[i] = a->cfg.etcd.hosts[i];
	a->endpoints[a->cfg.etcd.n_hosts] = NULL;
	memset(o, 0, sizeof(*o));
	o->endpoints = a->endpoints;
	o->namespace_ = a->cfg.namespace_;
	o->scope = a->cfg.scope;
	o->member_name = a->cfg.name;
	o->protocol = a->cfg.etcd.protocol;
	o->tls = &a->cfg.etcd.tls;
	o->username = a->cfg.etcd.username[0] ? a->cfg.etcd.username : NULL;
	o->password = a->cfg.etcd.password[0] ? a->cfg.etcd.password : NULL;
	o->request_timeout_ms = MAX(500, a->dyn->cfg.retry_timeout_s * 1000 / 2);
	/* The lease keeper's hedge delay (lease.c) for the loop's and the REST API's reads. */
	o->hedge_ms = MAX(100, a->dyn->cfg.ttl_s * 1000 / 20);
	o->clock = a->clock;
}

/* fence_pg: the lease keeper's fence (its fencer or renewer thread). */
static void fence_pg(void *arg)
{
	struct agent *a = arg;

	pg_fence_now(a->pg);
}

/* start_lease_keeper: false (logged) when it did not start whole: then we may not lead. */
static bool start_lease_keeper(struct agent *a, const struct agent_seams *seams)
{
	struct lease_options lo = {.dcs = &a->dcs_opt,
	                           .ttl_s = a->dyn->cfg.ttl_s,
	                           .fence = fence_pg,
	                           .fence_ctx = a,
	                           .notify = wake_loop,
	                           .notify_ctx = a,
	                           .fs_post = seams->fs_post ? seams->fs_post : agent_fs_round,
	                           .fs_post_ctx = seams->fs_post ? seams->fs_post_ctx : a,
	                           .clock = a->clock,
	                           .spawn = seams->spawn};

	a->lease = lease_keeper_start(&lo);
	return lease_keeper_ready(a->lease);
}

bool agent_open(struct agent *a, struct config *cfg, const struct agent_seams *seams)
{
	static const struct agent_seams none = {NULL, NULL, NULL, NULL, NULL};
	struct dcs_options api_opt;
	struct pg_node_options po;
	struct pg_archive archive;

	seams = seams != NULL ? seams : &none;
	memset(a, 0, sizeof(*a));
	a->cfg = *cfg; /* takes ownership of the owned parts */
	memset(cfg, 0, sizeof(*cfg));
	a->signal_fd = -1;
	a->clock = seams->clock != NULL ? seams->clock : clocksrc_real();
	a->dyn = agent_dyn_new(&a->cfg.bootstrap.dcs, -1);
	pthread_mutex_init(&a->dyn_mu, NULL);
	pthread_mutex_init(&a->status_mu, NULL);
	pthread_mutex_init(&a->api_dcs_mu, NULL);
	agent_fs_init(a);
	a->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	setup_dcs_options(a);
	a->dcs_opt.mem = seams->mem;
	a->dcs_opt.watch = true;
	a->dcs = dcs_open(&a->dcs_opt);
	api_opt = a->dcs_opt;
	api_opt.watch = false;
	a->api_dcs = dcs_open(&api_opt);
	if (!agent_backup_open(a))
		return false;
	agent_backup_archive(a, &archive);
	memset(&po, 0, sizeof(po));
	po.cfg = &a->cfg;
	po.dcs_params = &a->dyn->cfg.parameters;
	po.archive = &archive;
	po.death_signal = SIGKILL;
	a->pg = pg_node_new(&po);
	if (a->kick_fd < 0 || a->dcs == NULL || a->api_dcs == NULL || a->pg == NULL ||
	    !agent_backup_write_conf(a))
		return false; /* already logged (an eventfd only fails when out of files) */
	if (a->cfg.pgbouncer.enabled && (a->pooler = pooler_new(&a->cfg, NULL)) == NULL)
		return false;
	/* Without its fencer the node would hold the key with nobody to stop PostgreSQL
	 * at the deadline: stop here, and let systemd try again. */
	return start_lease_keeper(a, seams);
}

/* start_api: the REST API answers (503 on /health) even before etcd is reachable. */
static bool start_api(struct agent *a)
{
	static const enum api_verify_client verify[] = {
	    [CONFIG_VERIFY_NONE] = API_VERIFY_NONE,
	    [CONFIG_VERIFY_OPTIONAL] = API_VERIFY_OPTIONAL,
	    [CONFIG_VERIFY_REQUIRED] = API_VERIFY_REQUIRED,
	};
	const struct config *c = &a->cfg;
	struct api_options opt = {
	    .listen = c->restapi.listen,
	    .username = c->restapi.username,
	    .password = c->restapi.password,
	    .certfile = c->restapi.certfile,
	    .keyfile = c->restapi.keyfile,
	    .keyfile_password = c->restapi.keyfile_password,
	    .cafile = c->restapi.cafile,
	    .verify_client = verify[c->restapi.verify_client],
	    .allowlist = c->restapi.allowlist,
	    .allowlist_include_members = c->restapi.allowlist_include_members,
	};
	struct api_ops ops = {
	    .ctx = a,
	    .snapshot = agent_ops_snapshot,
	    .operation = agent_ops_operation,
	    .failsafe = agent_fs_post,
	};

	a->api = api_start(&opt, &ops);
	return a->api != NULL;
}

void agent_close(struct agent *a)
{
	api_stop(a->api);
	agent_backup_close(a);
	lease_keeper_stop(a->lease);
	pooler_free(a->pooler); /* after the shutdown cycle: the hand-over is not delayed */
	if (a->pg)
		pg_node_free(a->pg);
	if (a->api_dcs)
		dcs_close(a->api_dcs);
	if (a->dcs)
		dcs_close(a->dcs);
	api_snapshot_free(&a->status);
	agent_dyn_put(a->dyn);
	config_free(&a->cfg);
	pthread_mutex_destroy(&a->dyn_mu);
	pthread_mutex_destroy(&a->status_mu);
	pthread_mutex_destroy(&a->api_dcs_mu);
	agent_fs_free(a);
	if (a->signal_fd >= 0)
		close(a->signal_fd);
	if (a->kick_fd >= 0)
		close(a->kick_fd);
}

/* --- systemd -------------------------------------------------------------------------- */

/*
 * watchdog_main: pets systemd's watchdog while the HA loop makes progress (a cycle
 * started within the watchdog period) or runs a declared long action (a clone may take
 * hours). A loop stuck anywhere else stops the petting and systemd restarts the agent;
 * the fencer (lease.c) has stopped a primary long before.
 */
static void *watchdog_main(void *arg)
{
	struct agent *a = arg;
	int64_t period_ms = (int64_t)(sdnotify_watchdog_usec() / 1000);
	int64_t last_pet = 0;
	bool warned = false;

	while (!atomic_load(&a->watchdog_stop)) {
		int64_t now = clock_now_ms();
		bool alive =
		    now - atomic_load(&a->heartbeat_ms) < period_ms || atomic_load(&a->busy);

		if (alive && now - last_pet >= period_ms / 3) {
			sdnotify_watchdog();
			last_pet = now;
			warned = false;
		} else if (!alive && !warned) {
			log_error(
			    "the HA loop has not run for %lld ms: no longer petting systemd's "
			    "watchdog",
			    (long long)(now - atomic_load(&a->heartbeat_ms)));
			warned = true;
		}
		clock_sleep_ms(100);
	}
	return NULL;
}

/* start_watchdog: false (logged) when systemd expects pets we could not give. */
static bool start_watchdog(struct agent *a)
{
	int rc;

	atomic_store(&a->heartbeat_ms, clock_now_ms());
	if (sdnotify_watchdog_usec() == 0)
		return true;
	rc = thread_start(&a->watchdog, "watchdog", watchdog_main, a);
	a->watchdog_on = rc == 0;
	if (rc != 0)
		log_error("cannot start the systemd watchdog thread (%s): stopping", strerror(rc));
	return a->watchdog_on;
}

static void stop_watchdog(struct agent *a)
{
	atomic_store(&a->watchdog_stop, true);
	if (a->watchdog_on)
		pthread_join(a->watchdog, NULL);
}

/* --- one cycle --------------------------------------------------------------------------- */

/*
 * log_decision: each change of rule (or of its reason, or of whom it is about) once, also
 * to systemd.
 */
static void log_decision(struct agent *a, const struct ha_decision *d)
{
	if (d->rule == a->last_rule && a->last_reason && str_eq(d->reason, a->last_reason) &&
	    str_eq(d->detail, a->last_detail))
		return;
	sdnotify_status(d->reason);
	log_info("%s%s%s (rule %s, heading for %s)", d->reason, d->detail[0] ? ": " : "", d->detail,
	         ha_rule_name(d->rule), ha_role_name(d->role));
	a->last_rule = d->rule;
	a->last_reason = d->reason;
	snprintf(a->last_detail, sizeof(a->last_detail), "%s", d->detail);
}

/* mark_view: the parts of v (NULL: no view) whose change warrants an immediate cycle. */
static void mark_view(const struct dcs_view *v, struct agent_view_mark *m)
{
	memset(m, 0, sizeof(*m));
	if (v == NULL)
		return;
	m->valid = v->valid;
	m->has_leader = v->has_leader;
	memcpy(m->leader, v->leader, sizeof(m->leader));
	m->leader_rev = v->leader_mod_revision;
	m->config_rev = v->config_mod_revision;
	m->failover_rev = v->failover.present ? v->failover.mod_revision : 0;
	m->sync_rev = v->sync.present ? v->sync.mod_revision : 0;
	m->has_initialize = v->has_initialize;
}

int64_t agent_cycle(struct agent *a)
{
	struct ha_input *in = xcalloc(1, sizeof(*in));
	struct ha_decision d;
	int64_t next = (int64_t)a->dyn->cfg.loop_wait_s * 1000;

	atomic_store(&a->heartbeat_ms, clock_now_ms());
	agent_observe(a, in);
	mark_view(in->dcs_ok ? &in->view : NULL, &a->decided_on);
	ha_decide(in, &d);
	log_decision(a, &d);
	/* Publish what we observed before acting on it: a peer racing for the key while we
	 * hand it over must not read a stale "primary, running" from our REST API. */
	agent_publish(a, in, &d);
	if (agent_apply(a, in, &d))
		next = RECYCLE_MS;
	else if (d.retry_soon)
		next = MIN(next, RETRY_SOON_MS);
	agent_fs_after_cycle(a, in);
	/* A failsafe window that holds back a race: look again as soon as it closes. */
	if (in->now_ms < in->failsafe.window_until_ms)
		next = MIN(next, in->failsafe.window_until_ms - in->now_ms + 1);
	if (!in->shutdown)
		a->pooler_up = pooler_ensure(a->pooler);
	dcs_view_free(&in->view);
	free(in);
	return next;
}

/* --- waiting ------------------------------------------------------------------------------ */

static void mark_current_view(struct agent *a, struct agent_view_mark *m)
{
	struct dcs_view v;
	bool ok = dcs_snapshot(a->dcs, &v, a->dyn->cfg.ttl_s * 1000);

	/* As agent_observe judges it: an invalid view is no view. */
	mark_view(ok && v.valid ? &v : NULL, m);
	if (ok)
		dcs_view_free(&v);
}

static void handle_signals(struct agent *a)
{
	struct signalfd_siginfo si;

	while (read(a->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: reloading the configuration");
			atomic_store(&a->req.reload, true);
		} else {
			log_info("received %s: stopping", strsignal((int)si.ssi_signo));
			atomic_store(&a->req.shutdown, true);
		}
	}
}

/*
 * wait_next: sleeps until the next cycle is due, or returns early for a change that
 * matters: a signal, PostgreSQL exiting, a wake-up from the lease keeper or the REST
 * API, or a significant DCS change. Changes are measured against the view the last
 * cycle decided on, not the one at the start of the wait: a key written just before
 * (the REST API's failover key, whose kick ran a cycle before the watch delivered it)
 * may already be in the cache, and must still wake us.
 */
static void wait_next(struct agent *a)
{
	struct agent_view_mark now;
	uint64_t count;

	mark_current_view(a, &now);
	if (memcmp(&now, &a->decided_on, sizeof(now)) != 0)
		return;
	for (;;) {
		int64_t left = a->next_cycle_ms - clock_now_ms();
		struct pollfd fds[4] = {{.fd = a->signal_fd, .events = POLLIN},
		                        {.fd = a->kick_fd, .events = POLLIN},
		                        {.fd = dcs_wait_fd(a->dcs), .events = POLLIN},
		                        {.fd = pg_postmaster_fd(a->pg), .events = POLLIN}};

		if (left <= 0 || atomic_load(&a->req.shutdown))
			return;
		if (poll(fds, fds[3].fd >= 0 ? 4 : 3, (int)left) <= 0)
			continue;
		if (fds[0].revents) {
			handle_signals(a);
			return;
		}
		if (fds[1].revents) {
			if (read(a->kick_fd, &count, sizeof(count)) < 0)
				log_debug("kick read: %s", strerror(errno));
			return;
		}
		if (fds[3].fd >= 0 && fds[3].revents)
			return; /* the postmaster exited */
		if (fds[2].revents && dcs_wait(a->dcs, 0)) {
			mark_current_view(a, &now);
			if (memcmp(&now, &a->decided_on, sizeof(now)) != 0)
				return;
		}
	}
}

/* --- main ---------------------------------------------------------------------------------- */

static void announce(const struct agent *a)
{
	log_info("pgha agent starting: member %s of cluster %s (namespace %s), REST API on %s, "
	         "PostgreSQL on %s, data in %s",
	         a->cfg.name, a->cfg.scope, a->cfg.namespace_, a->cfg.restapi.listen,
	         a->cfg.postgresql.listen, a->cfg.postgresql.data_dir);
}

int agent_main(struct config *cfg)
{
	struct agent *a = xcalloc(1, sizeof(*a));
	int sfd = block_signals();
	int rc = 0;
	bool ready;

	/* Before any thread starts: the others read the ident on every log line. */
	log_set_ident(cfg->name);
	ready = agent_open(a, cfg, NULL);
	a->signal_fd = sfd;
	announce(a);
	if (!ready) {
		atomic_store(&a->req.shutdown, true);
		rc = 2;
	} else if (!start_api(a)) {
		log_error("cannot serve the REST API on %s: stopping", a->cfg.restapi.listen);
		atomic_store(&a->req.shutdown, true);
		rc = 1;
	} else if (!start_watchdog(a)) {
		atomic_store(&a->req.shutdown, true);
		rc = 2;
	} else {
		sdnotify_ready("REST API up; joining the cluster");
	}
	while (!atomic_load(&a->req.shutdown)) {
		int64_t next = agent_cycle(a);

		if (atomic_load(&a->req.reload))
			agent_reload(a);
		a->next_cycle_ms = clock_now_ms() + next;
		wait_next(a);
	}
	sdnotify_stopping();
	if (rc == 0)
		agent_cycle(a); /* the shutdown plan: stop PostgreSQL, hand the leader key over */
	stop_watchdog(a);
	log_info("pgha agent stopped");
	agent_close(a);
	free(a);
	return rc;
}
