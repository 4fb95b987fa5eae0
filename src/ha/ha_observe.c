/*
 * ha_observe.c: the observe and publish steps of the HA loop.
 *
 * Observe gathers one consistent input for ha_decide(): the DCS view (from the watch
 * cache, no I/O), PostgreSQL (one SQL round trip), the lease keeper's state and, only
 * when the leader key is free, the peers' /patroni. Publish writes what this node
 * says about itself: members/<name> (skipped by the DCS layer when unchanged), the
 * status key on the leader, and the REST API's snapshot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ha/agent_int.h"
#include "ha/ha_decide.h"
#include "ha/ha_failsafe.h"
#include "ha/lease.h"
#include "ha/peers.h"
#include "ha/publish.h"
#include "log/log.h"
#include "pg/pg.h"
#include "pooler/pooler.h"
#include "pooler/pooler_conf.h"
#include "util/clock.h"
#include "util/clocksrc.h"
#include "util/strutil.h"
#include "util/xalloc.h"

void agent_conn_url(const struct agent *a, char *out, size_t size)
{
	snprintf(out, size, "postgres://%s/postgres", a->cfg.postgresql.connect_address);
}

/* Patroni's rule: a REST API with a certificate serves, and is announced as, https. */
void agent_api_url(const struct agent *a, char *out, size_t size)
{
	snprintf(out, size, "%s://%s/patroni", a->cfg.restapi.certfile[0] ? "https" : "http",
	         a->cfg.restapi.connect_address);
}

void agent_refresh_dyn(struct agent *a, const struct dcs_view *view)
{
	char err[256] = "";
	struct dyn_config d;
	json_t *obj;

	if (!view->has_config || view->config_mod_revision == a->dyn->revision)
		return;
	obj = json_loads(view->config_json, 0, NULL);
	dyn_config_defaults(&d); /* keys missing from etcd take pgha's defaults */
	if (obj == NULL || !dyn_config_from_json(&d, obj, err, sizeof(err)))
		log_warn("the cluster's config key is not a JSON object; using the defaults");
	else if (err[0])
		log_warn("config key: %s", err);
	json_decref(obj);
	agent_dyn_publish(a, agent_dyn_new(&d, view->config_mod_revision));
	dyn_config_free(&d);
	lease_keeper_set_ttl(a->lease, a->dyn->cfg.ttl_s);
	if (!pg_node_set_params(a->pg, &a->dyn->cfg.parameters))
		log_warn("new PostgreSQL parameters stored, but the reload failed");
	if (!agent_backup_write_conf(a)) /* the retention */
		log_warn("pgbackrest.conf not rewritten for the new configuration");
	log_info("dynamic configuration (revision %lld): ttl %d s, loop_wait %d s, "
	         "synchronous_mode %s%s, pause %s",
	         (long long)a->dyn->revision, a->dyn->cfg.ttl_s, a->dyn->cfg.loop_wait_s,
	         a->dyn->cfg.synchronous_mode ? "on" : "off",
	         a->dyn->cfg.synchronous_mode_strict ? " (strict)" : "",
	         a->dyn->cfg.pause ? "on" : "off");
}

static void fill_settings(const struct agent *a, struct ha_settings *s)
{
	const struct dyn_config *d = &a->dyn->cfg;

	s->ttl_ms = (int64_t)d->ttl_s * 1000;
	s->max_lag_bytes = d->maximum_lag_on_failover;
	s->primary_start_timeout_ms = (int64_t)d->primary_start_timeout_s * 1000;
	s->switchover_sync_wait_ms = (int64_t)ha_handover_wait_s(d->loop_wait_s) * 1000;
	s->synchronous_mode = d->synchronous_mode;
	s->synchronous_mode_strict = d->synchronous_mode_strict;
	s->synchronous_node_count = d->synchronous_node_count;
	s->pause = d->pause;
	s->check_timeline = d->check_timeline;
	s->nofailover = a->cfg.tags.nofailover;
	s->nosync = a->cfg.tags.nosync;
	s->failover_priority = a->cfg.tags.nofailover ? 0 : a->cfg.tags.failover_priority;
}

static void log_dcs_state(struct agent *a, bool ok, int64_t now)
{
	if (ok) {
		if (a->waiting_logged_ms)
			log_info("etcd reachable again");
		a->waiting_logged_ms = 0;
		a->last_dcs_ok_s = clock_wall_epoch_s();
		return;
	}
	if (a->waiting_logged_ms == 0 || now - a->waiting_logged_ms >= 10000) {
		log_warn("waiting for etcd at %s%s (no current view of the cluster): retrying",
		         a->cfg.etcd.hosts[0],
		         a->cfg.etcd.n_hosts > 1 ? " and the other endpoints" : "");
		a->waiting_logged_ms = now;
	}
}

static void observe_pg(struct agent *a, struct ha_input *in)
{
	pg_observe(a->pg, &in->pg, 1000);
	if (in->pg.proc == PG_PROC_CRASHED) {
		if (a->crashed_since_ms == 0) {
			a->crashed_since_ms = in->now_ms;
			log_error("PostgreSQL exited unexpectedly (postmaster pid gone)");
		}
	} else if (in->pg.proc == PG_PROC_RUNNING) {
		a->crashed_since_ms = 0;
	}
	in->crashed_since_ms = a->crashed_since_ms;
	/* Slots made while we were primary do not survive a demotion (rewind, clone):
	 * the next time we lead they are made again. */
	if (!(in->pg.connected && !in->pg.in_recovery))
		a->slots_for[0] = '\0';
	in->pg_start_failed = a->pg_start_failed;
}

/*
 * observe_failover: since when the failover key (this revision of it) has been due: a
 * due switchover waits for a synchronous standby that long at most (ha_decide.c).
 */
static void observe_failover(struct agent *a, struct ha_input *in)
{
	const struct dcs_failover *fo = &in->view.failover;

	if (!in->dcs_ok || !fo->present || fo->scheduled_at_epoch_ms > in->wall_now_ms) {
		a->failover_due_since_ms = 0;
	} else if (a->failover_due_since_ms == 0 || a->failover_due_rev != fo->mod_revision) {
		a->failover_due_since_ms = in->now_ms;
		a->failover_due_rev = fo->mod_revision;
	}
	in->failover_due_since_ms = a->failover_due_since_ms;
}

/*
 * need_peers: the leader key is free and we could race, or it carries our name but not
 * our lease (we take it only as a race winner would): ask everybody.
 */
static bool need_peers(const struct ha_input *in)
{
	bool ours_unheld =
	    in->view.has_leader && str_eq(in->view.leader, in->name) && !in->lease.held;

	return in->dcs_ok && (!in->view.has_leader || ours_unheld) &&
	       in->pg.proc == PG_PROC_RUNNING && in->pg.connected && in->pg.in_recovery;
}

/*
 * probe_peers: every member's /patroni, and the members the view lacks that could still
 * be running as primary (the failsafe list, the last leader). A quarter ttl at most: a
 * silent peer costs the race that long.
 */
static void probe_peers(struct agent *a, struct ha_input *in)
{
	struct dcs_failsafe *extra = xmalloc(sizeof(*extra));
	int timeout = (int)MAX(500, in->settings.ttl_ms / 4);

	agent_fs_probe_extra(a, in, extra);
	in->n_peers = peers_probe(&in->view, extra, in->name, &a->cfg.ctl.tls, timeout, in->peers,
	                          DCS_MAX_MEMBERS);
	in->peers_probed = true;
	free(extra);
}

void agent_observe(struct agent *a, struct ha_input *in)
{
	memset(in, 0, sizeof(*in));
	in->now_ms = clocksrc_now_ms(a->clock);
	in->wall_now_ms = clock_wall_epoch_s() * 1000;
	memcpy(in->name, a->cfg.name, sizeof(in->name));
	in->dcs_ok = dcs_snapshot(a->dcs, &in->view, a->dyn->cfg.ttl_s * 1000) && in->view.valid;
	log_dcs_state(a, in->dcs_ok, in->now_ms);
	if (in->dcs_ok)
		agent_refresh_dyn(a, &in->view);
	fill_settings(a, &in->settings);
	observe_failover(a, in);
	observe_pg(a, in);
	in->lease = lease_state(a->lease);
	memcpy(in->upstream, a->upstream, sizeof(in->upstream));
	in->rewind_failed = a->rewind_failed_for[0] && in->view.has_leader &&
	                    str_eq(a->rewind_failed_for, in->view.leader);
	agent_backup_observe(a, in);
	in->shutdown = atomic_load(&a->req.shutdown);
	in->restart_requested = atomic_load(&a->req.restart);
	in->reinit_requested = atomic_load(&a->req.reinit);
	agent_fs_observe(a, in);
	if (need_peers(in))
		probe_peers(a, in);
}

/* --- publish ------------------------------------------------------------------------ */

static const char *pg_state_name(const struct agent *a, const struct ha_input *in)
{
	if (a->state_override[0])
		return a->state_override;
	switch (in->pg.proc) {
	case PG_PROC_RUNNING:
		return in->pg.connected ? "running" : "starting";
	case PG_PROC_STARTING:
		return "starting";
	case PG_PROC_STOPPING:
		return "stopping";
	case PG_PROC_CRASHED:
		return "crashed";
	case PG_PROC_STOPPED:
	case PG_PROC__COUNT:
		break;
	}
	return "stopped";
}

static const char *pg_role_name(const struct ha_input *in, bool holds)
{
	const struct pg_observation *pg = &in->pg;

	if (pg->proc == PG_PROC_RUNNING && pg->connected)
		return pg->in_recovery ? "replica" : "primary";
	if (pg->data == PG_DATA_EMPTY || pg->data == PG_DATA_INVALID)
		return "uninitialized";
	if (pg->data == PG_DATA_SHUT_DOWN || pg->data == PG_DATA_IN_PRODUCTION)
		return holds ? "primary" : "demoted";
	return "replica";
}

/* backup_pg: where pgBackRest reaches this node, when it fits the member key. */
static const struct dcs_backup_pg *backup_pg(struct agent *a, struct dcs_backup_pg *out)
{
	if (!a->backup.enabled ||
	    !str_copy(out->path, sizeof(out->path), a->cfg.postgresql.data_dir) ||
	    !str_copy(out->socket_path, sizeof(out->socket_path), pg_node_socket_dir(a->pg)))
		return NULL;
	out->port = a->cfg.postgresql.port;
	return out;
}

static void publish_member(struct agent *a, const struct ha_input *in, const char *state,
                           const char *role)
{
	struct dcs_backup_pg bpg;
	char conn_url[300], api_url[300], pooler[CONFIG_HOST_LEN] = "";
	struct member_facts f = {
	    .conn_url = conn_url,
	    .api_url = api_url,
	    .pooler = pooler,
	    .state = state,
	    .role = role,
	    .pg = &in->pg,
	    .tags = a->cfg.tags.all,
	    .pause = a->dyn->cfg.pause,
	    .archive = in->pg.connected && !in->pg.in_recovery && in->pg.archiver.on
	                   ? &in->pg.archiver
	                   : NULL,
	    .backup_pg = backup_pg(a, &bpg),
	};
	char *json;

	dcs_lease_attach(a->dcs, lease_id(a->lease)); /* the member key lives on it */
	agent_conn_url(a, conn_url, sizeof(conn_url));
	agent_api_url(a, api_url, sizeof(api_url));
	if (a->pooler_up && !pooler_connect_address(&a->cfg, pooler, sizeof(pooler)))
		pooler[0] = '\0';
	json = publish_member_json(&f);
	if (in->dcs_ok && !dcs_member_put(a->dcs, json))
		log_debug("member key not written this cycle");
	free(json);
}

/* publish_status: the leader's optime for everyone's lag, at most once per loop_wait. */
static void publish_status(struct agent *a, const struct ha_input *in)
{
	char *json;

	if (in->pg.wal_lsn == a->status_optime ||
	    in->now_ms - a->status_written_ms < (int64_t)a->dyn->cfg.loop_wait_s * 1000)
		return;
	json = publish_status_json(in->pg.wal_lsn);
	if (dcs_status_write(a->dcs, json)) {
		a->status_optime = in->pg.wal_lsn;
		a->status_written_ms = in->now_ms;
	}
	free(json);
}

/* publish_failsafe: the snapshot's failsafe fields. status_mu held. */
static void publish_failsafe(struct agent *a, const struct ha_lease *lease, struct api_snapshot *s)
{
	struct lease_fs_stats st;

	lease_fs_stats(a->lease, &st);
	s->failsafe_mode = a->dyn->cfg.failsafe_mode;
	s->failsafe_until_ms = agent_fs_live_until(a, lease);
	s->failsafe_confirmed = st.confirmed;
	s->failsafe_failed = st.refused + st.late;
}

static void publish_snapshot(struct agent *a, const struct ha_input *in, const char *state,
                             const char *role, const char *reason)
{
	struct api_snapshot *s = &a->status;
	struct ha_lease lease = lease_state(a->lease);

	pthread_mutex_lock(&a->status_mu);
	api_snapshot_free(s);
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", a->cfg.name);
	snprintf(s->scope, sizeof(s->scope), "%s", a->cfg.scope);
	snprintf(s->version, sizeof(s->version), "%s", PUBLISH_PATRONI_VERSION);
	s->ttl_s = a->dyn->cfg.ttl_s;
	s->loop_wait_s = a->dyn->cfg.loop_wait_s;
	s->maximum_lag_on_failover = a->dyn->cfg.maximum_lag_on_failover;
	s->synchronous_mode = a->dyn->cfg.synchronous_mode;
	s->pause = a->dyn->cfg.pause;
	s->tags_json = a->cfg.tags.all ? json_dumps(a->cfg.tags.all, JSON_COMPACT) : NULL;
	s->noloadbalance = a->cfg.tags.noloadbalance;
	s->nofailover = a->cfg.tags.nofailover;
	s->failover_priority = a->cfg.tags.failover_priority;
	snprintf(s->state, sizeof(s->state), "%s", state);
	snprintf(s->role, sizeof(s->role), "%s", role);
	s->pg = in->pg;
	/* Ours until the deadline, also while a current view shows the key gone (expired
	 * while we ran on failsafe; the keeper takes it back) or etcd cannot be read. */
	s->holds_leader = lease.held && (!in->dcs_ok || !in->view.has_leader ||
	                                 str_eq(in->view.leader, a->cfg.name));
	s->leader_valid_until_ms = ha_effective_deadline(&lease);
	publish_failsafe(a, &lease, s);
	s->dcs_ok = in->dcs_ok;
	s->dcs_last_seen_s = a->last_dcs_ok_s;
	s->next_cycle_ms = a->next_cycle_ms;
	s->now_ms = in->now_ms;
	s->wall_ms = in->wall_now_ms;
	snprintf(s->last_reason, sizeof(s->last_reason), "%s", reason ? reason : "");
	dcs_view_copy(&s->view, &in->view);
	pthread_mutex_unlock(&a->status_mu);
}

/*
 * agent_set_state: republishes in the middle of a plan. The cycle's observation is
 * stale once an action stopped or started PostgreSQL, so the process state is read
 * again (no I/O): a peer racing for the key must not see a stopped primary as running.
 */
void agent_set_state(struct agent *a, const char *state, const struct ha_input *in)
{
	struct ha_lease lease = lease_state(a->lease);
	struct ha_input *now = xmalloc(sizeof(*now));
	enum pg_proc_state proc = pg_proc_state(a->pg);
	const char *role;

	*now = *in; /* shallow: the view's owned parts stay in's */
	if (proc != now->pg.proc) {
		now->pg.proc = proc;
		now->pg.connected = false;
	}
	role = pg_role_name(now, lease.held);
	snprintf(a->state_override, sizeof(a->state_override), "%s", state ? state : "");
	atomic_store(&a->busy, state != NULL);
	if (now->dcs_ok && lease_id(a->lease) != 0)
		publish_member(a, now, pg_state_name(a, now), role);
	publish_snapshot(a, now, pg_state_name(a, now), role, state);
	free(now);
}

void agent_publish_promoted(struct agent *a, const struct ha_input *in)
{
	struct ha_input *now;

	if (!lease_state(a->lease).held)
		return;
	now = xmalloc(sizeof(*now));
	*now = *in; /* shallow: the view's owned parts stay in's */
	pg_observe(a->pg, &now->pg, 1000);
	/* The key may have been taken earlier in this very plan, after in was observed. */
	now->view.has_leader = true;
	snprintf(now->view.leader, sizeof(now->view.leader), "%s", a->cfg.name);
	publish_snapshot(a, now, pg_state_name(a, now), pg_role_name(now, true), NULL);
	free(now);
}

void agent_publish(struct agent *a, const struct ha_input *in, const struct ha_decision *d)
{
	struct ha_lease lease = lease_state(a->lease);
	const char *state = pg_state_name(a, in);
	const char *role = pg_role_name(in, lease.held);

	if (in->dcs_ok && lease_id(a->lease) != 0) /* the member key lives on our lease */
		publish_member(a, in, state, role);
	if (in->dcs_ok && lease.held && in->pg.connected && !in->pg.in_recovery)
		publish_status(a, in);
	publish_snapshot(a, in, state, role, d->reason);
}
