/*
 * ha_apply.c: carries out a plan from ha_decide(), one action at a time.
 *
 * Every action is idempotent (a crash in the middle of a plan is simply retried by
 * the next cycle) and reports failure, which ends the plan: an ACQUIRE_LEADER that
 * loses its compare-and-swap stops everything after it, PROMOTE included.
 * Failures are logged here, once, with the action and its target.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ha/agent_int.h"
#include "ha/ha_decide.h"
#include "ha/lease.h"
#include "ha/publish.h"
#include "log/log.h"
#include "pg/pg.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/strutil.h"
#include "util/xalloc.h"

/* Outcome of one action. */
enum step {
	STEP_FAILED = 0, /* stop the plan */
	STEP_SAME,       /* done, nothing changed (no need to re-run the cycle) */
	STEP_CHANGED     /* done, state changed: observe again soon */
};

struct ctx {
	struct agent *a;
	const struct ha_input *in;
	const struct ha_decision *d;
	const struct ha_action *act;
};

#define START_WAIT_MS    10000   /* how long a start waits before the loop takes over */
#define CLONE_TIMEOUT_MS 3600000 /* pg_basebackup of a big cluster takes long */
#define STOP_TIMEOUT_MS  30000

/* --- role configuration -------------------------------------------------------------- */

static bool standby_conf(struct ctx *c, const char *target, struct pg_role_conf *rc)
{
	const struct dcs_member *m = target[0] ? dcs_view_member(&c->in->view, target) : NULL;

	memset(rc, 0, sizeof(*rc));
	rc->standby = true;
	if (c->a->dyn->cfg.use_slots)
		pg_slot_name(c->a->cfg.name, rc->slot_name, sizeof(rc->slot_name));
	if (target[0] && (m == NULL || m->host[0] == '\0' || m->port <= 0)) {
		log_error("cannot follow %s: its member key has no usable conn_url", target);
		return false;
	}
	if (m) {
		snprintf(rc->upstream_host, sizeof(rc->upstream_host), "%s", m->host);
		rc->upstream_port = m->port;
	}
	return true;
}

/* primary_conf: the published sync standbys stay required across a restart. */
static void primary_conf(struct ctx *c, const char *ssn, struct pg_role_conf *rc)
{
	const struct dcs_sync *s = &c->in->view.sync;

	memset(rc, 0, sizeof(*rc));
	if (ssn) {
		snprintf(rc->synchronous_standby_names, sizeof(rc->synchronous_standby_names), "%s",
		         ssn);
	} else if (c->a->dyn->cfg.synchronous_mode && s->present &&
	           str_eq(s->leader, c->a->cfg.name)) {
		ha_render_ssn(MAX(1, MIN(c->a->dyn->cfg.synchronous_node_count, s->n_standbys)),
		              s->standbys, s->n_standbys, rc->synchronous_standby_names,
		              sizeof(rc->synchronous_standby_names));
	}
}

static void set_upstream(struct agent *a, const char *target)
{
	snprintf(a->upstream, sizeof(a->upstream), "%s", target ? target : "");
}

/* --- lifecycle actions ----------------------------------------------------------------- */

static enum step start_pg(struct ctx *c, const struct pg_role_conf *rc, const char *upstream)
{
	struct agent *a = c->a;

	agent_set_state(a, "starting", c->in);
	if (!pg_start(a->pg, rc)) {
		a->pg_start_failed = true;
		agent_set_state(a, NULL, c->in);
		return STEP_FAILED;
	}
	a->pg_start_failed = false;
	set_upstream(a, upstream);
	if (!pg_wait_ready(a->pg, START_WAIT_MS))
		log_info("PostgreSQL still starting after %d s; the HA loop keeps watching it",
		         START_WAIT_MS / 1000);
	agent_set_state(a, NULL, c->in);
	return STEP_CHANGED;
}

static enum step act_start_replica(struct ctx *c)
{
	struct pg_role_conf rc;

	if (!standby_conf(c, c->act->target, &rc))
		return STEP_FAILED;
	log_info("starting PostgreSQL as a replica%s%s", c->act->target[0] ? " of " : "",
	         c->act->target[0] ? c->act->target : " (read-only, no upstream)");
	return start_pg(c, &rc, c->act->target);
}

static enum step act_start_primary(struct ctx *c)
{
	struct pg_role_conf rc;

	primary_conf(c, NULL, &rc);
	log_info("starting PostgreSQL as primary (this node holds the leader key)");
	return start_pg(c, &rc, "");
}

static enum step act_stop(struct ctx *c, enum pg_stop_mode mode)
{
	if (c->in->pg.proc == PG_PROC_STOPPED || c->in->pg.proc == PG_PROC_CRASHED)
		return STEP_SAME;
	agent_set_state(c->a, "stopping", c->in);
	if (!pg_stop(c->a->pg, mode, STOP_TIMEOUT_MS)) {
		agent_set_state(c->a, NULL, c->in);
		return STEP_FAILED;
	}
	agent_set_state(c->a, NULL, c->in);
	if (mode == PG_STOP_IMMEDIATE)
		lease_disarm(c->a->lease);
	return STEP_CHANGED;
}

static enum step act_restart(struct ctx *c)
{
	struct pg_role_conf rc;
	bool standby = c->in->pg.in_recovery;

	atomic_store(&c->a->req.restart, false);
	if (standby ? !standby_conf(c, c->a->upstream, &rc) : (primary_conf(c, NULL, &rc), false))
		return STEP_FAILED;
	log_info("restarting PostgreSQL (requested)");
	if (!pg_stop(c->a->pg, PG_STOP_FAST, STOP_TIMEOUT_MS))
		return STEP_FAILED;
	if (start_pg(c, &rc, standby ? c->a->upstream : "") == STEP_FAILED)
		return STEP_FAILED;
	atomic_fetch_add(&c->a->req.restart_done, 1);
	return STEP_CHANGED;
}

static enum step act_follow(struct ctx *c)
{
	struct pg_role_conf rc;

	if (!standby_conf(c, c->act->target, &rc))
		return STEP_FAILED;
	log_info("following the new leader %s", c->act->target);
	if (!pg_reconfigure(c->a->pg, &rc))
		return STEP_FAILED;
	set_upstream(c->a, c->act->target);
	return STEP_CHANGED;
}

/* --- data directory actions ------------------------------------------------------------- */

static const struct dcs_member *target_member(struct ctx *c)
{
	const struct dcs_member *m = dcs_view_member(&c->in->view, c->act->target);

	if (m == NULL || m->host[0] == '\0' || m->port <= 0)
		log_error("%s: no usable conn_url for member %s", ha_action_name(c->act->kind),
		          c->act->target);
	return m && m->host[0] && m->port > 0 ? m : NULL;
}

static enum step act_clone(struct ctx *c)
{
	const struct dcs_member *m = target_member(c);
	bool ok;

	if (m == NULL)
		return STEP_FAILED;
	log_info("creating the data directory of a replica of %s (%s:%d)", m->name, m->host,
	         m->port);
	agent_set_state(c->a, "creating replica", c->in);
	ok = agent_clone(c->a, c->in, m);
	agent_set_state(c->a, NULL, c->in);
	return ok ? STEP_CHANGED : STEP_FAILED;
}

static enum step act_reinit(struct ctx *c)
{
	atomic_store(&c->a->req.reinit, false);
	if (act_stop(c, PG_STOP_FAST) == STEP_FAILED)
		return STEP_FAILED;
	/* The old data directory is kept aside, never deleted silently. */
	if (!pg_move_data_aside(c->a->pg, "reinit", NULL, 0))
		return STEP_FAILED;
	c->a->rewind_failed_for[0] = '\0';
	if (act_clone(c) == STEP_FAILED)
		return STEP_FAILED;
	atomic_fetch_add(&c->a->req.reinit_done, 1);
	return STEP_CHANGED;
}

static enum step act_rewind(struct ctx *c)
{
	const struct dcs_member *m = target_member(c);
	enum pg_rewind_result r;

	if (m == NULL || act_stop(c, PG_STOP_FAST) == STEP_FAILED)
		return STEP_FAILED;
	log_info("rewinding the data directory to the new leader %s with pg_rewind", m->name);
	agent_set_state(c->a, "rewinding", c->in);
	r = pg_rewind(c->a->pg, m->host, m->port, CLONE_TIMEOUT_MS);
	agent_set_state(c->a, NULL, c->in);
	switch (r) {
	case PG_REWIND_DONE:
		return STEP_CHANGED;
	case PG_REWIND_SOURCE_NOT_READY:
		return STEP_FAILED; /* data untouched: the next loop tries again */
	case PG_REWIND_FAILED:
		break;
	}
	log_error("pg_rewind from %s failed: the data directory will be set aside and "
	          "cloned again",
	          m->name);
	snprintf(c->a->rewind_failed_for, sizeof(c->a->rewind_failed_for), "%s", m->name);
	return STEP_FAILED;
}

/* --- leadership actions --------------------------------------------------------------------- */

static enum step cas_step(enum dcs_cas r, const char *what)
{
	switch (r) {
	case DCS_CAS_OK:
		return STEP_CHANGED;
	case DCS_CAS_CONFLICT:
		log_info("%s: someone else got there first", what);
		return STEP_FAILED;
	case DCS_CAS_ERROR:
		break;
	}
	return STEP_FAILED; /* already logged by the DCS layer */
}

/*
 * act_acquire: a running primary takes its vanished key back; anyone else races, and
 * only outside a failsafe window (agent_fs_begin_race), with the failsafe key still as
 * the decision saw it (an acquire applied late must not outlive a change of the list).
 */
static enum step act_acquire(struct ctx *c)
{
	const struct pg_observation *pg = &c->in->pg;
	bool ours = c->in->view.has_leader && str_eq(c->in->view.leader, c->a->cfg.name);
	bool primary = pg->proc == PG_PROC_RUNNING && pg->connected && !pg->in_recovery;
	int64_t fs_rev = primary || ours ? -1 : c->in->view.failsafe.mod_revision;
	enum dcs_cas r;
	enum step s;

	if (!primary && !agent_fs_begin_race(c->a))
		return STEP_FAILED;
	r = lease_acquire(c->a->lease, ours, fs_rev);
	if (!primary)
		agent_fs_end_race(c->a, r == DCS_CAS_OK);
	s = cas_step(r, "leader key");
	if (s != STEP_FAILED)
		log_info("acquired the leader key%s", ours      ? " (re-attached to our lease)"
		                                      : primary ? " back"
		                                                : "");
	return s;
}

static enum step act_release(struct ctx *c)
{
	uint64_t optime = c->in->pg.control_checkpoint;
	char *status;

	/* Tell the others where our WAL ends, so that lag checks use the final position. */
	if (optime > 0) {
		status = publish_status_json(optime);
		if (!dcs_status_write(c->a->dcs, status))
			log_debug("status not written before releasing the key");
		free(status);
	}
	if (lease_release(c->a->lease) == DCS_CAS_ERROR)
		return STEP_FAILED;
	log_info("released the leader key");
	return STEP_CHANGED;
}

static enum step act_initialize_race(struct ctx *c)
{
	enum step s = cas_step(dcs_initialize_race(c->a->dcs), "bootstrap race");

	if (s != STEP_FAILED)
		log_info("won the bootstrap race: initializing a new cluster");
	return s;
}

static void bootstrap_cleanup(struct ctx *c)
{
	if (!pg_stop(c->a->pg, PG_STOP_IMMEDIATE, STOP_TIMEOUT_MS))
		log_error("could not stop PostgreSQL after a failed bootstrap");
	if (c->in->view.has_leader == false)
		lease_disarm(c->a->lease);
	if (!dcs_initialize_cancel(c->a->dcs))
		log_error("could not remove the initialize key; remove it by hand to retry");
	if (!pg_move_data_aside(c->a->pg, "failed-bootstrap", NULL, 0))
		log_error("could not move the failed bootstrap's data directory aside");
}

static bool bootstrap_publish(struct ctx *c)
{
	struct agent *a = c->a;
	char sysid[32];
	char *config;
	bool ok;

	if (lease_acquire(a->lease, false, -1) != DCS_CAS_OK) {
		log_error("bootstrap: could not take the leader key");
		return false;
	}
	if (!pg_data_system_id(a->pg, sysid, sizeof(sysid)) || !dcs_initialize_set(a->dcs, sysid))
		return false;
	config = json_dumps(a->cfg.bootstrap.dcs_json, JSON_COMPACT);
	ok = c->in->view.has_config ||
	     dcs_config_write(a->dcs, config ? config : "{}", 0) != DCS_CAS_ERROR;
	free(config);
	log_info("new cluster initialized (system identifier %s); this node is its leader", sysid);
	return ok;
}

/* new_cluster: a running primary of a new cluster: initdb, or bootstrap.method. */
static bool new_cluster(struct ctx *c)
{
	struct pg_role_conf rc;

	if (c->a->cfg.bootstrap.method.name[0] != '\0')
		return agent_bootstrap_method(c->a, c->in);
	memset(&rc, 0, sizeof(rc));
	return pg_initdb(c->a->pg) && pg_start(c->a->pg, &rc) && pg_wait_ready(c->a->pg, 120000);
}

static enum step act_bootstrap(struct ctx *c)
{
	agent_set_state(c->a, "initializing new cluster", c->in);
	if (!new_cluster(c) || !pg_bootstrap_roles(c->a->pg, PG_ADMIN_TIMEOUT_MS) ||
	    !bootstrap_publish(c)) {
		log_error(
		    "bootstrap failed; the data directory is set aside and the race reopened");
		bootstrap_cleanup(c);
		agent_set_state(c->a, NULL, c->in);
		return STEP_FAILED;
	}
	set_upstream(c->a, "");
	agent_set_state(c->a, NULL, c->in);
	return STEP_CHANGED;
}

static enum step act_register_sysid(struct ctx *c)
{
	if (cas_step(dcs_initialize_race(c->a->dcs), "initialize key") == STEP_FAILED)
		return STEP_FAILED;
	if (!dcs_initialize_set(c->a->dcs, c->in->pg.system_id))
		return STEP_FAILED;
	log_info("registered the existing data directory (system identifier %s) as the cluster",
	         c->in->pg.system_id);
	return STEP_CHANGED;
}

/* --- promotion ------------------------------------------------------------------------------ */

static enum step act_sync_claim(struct ctx *c)
{
	const struct ha_decision *d = c->d;
	const char *names[DCS_MAX_SYNC];

	for (int i = 0; i < d->n_sync_names; i++)
		names[i] = d->sync_names[i];
	return cas_step(
	    dcs_sync_write(c->a->dcs, names, d->n_sync_names,
	                   c->in->view.sync.mod_revision), /* set for a malformed key too */
	    "sync key");
}

static enum step act_promote(struct ctx *c)
{
	log_info("promoting PostgreSQL to primary");
	if (!pg_promote(c->a->pg, 60000))
		return STEP_FAILED;
	set_upstream(c->a, "");
	agent_publish_promoted(c->a, c->in);
	/* No CHECKPOINT here: PostgreSQL requests one itself after promotion, and pg_rewind
	 * on the old primary checkpoints this node first if its control file still shows
	 * the old timeline (pg_rewind in src/pg/pg_clone.c). */
	return STEP_CHANGED;
}

bool agent_write_history(struct agent *a, const struct ha_input *in)
{
	int tl;
	char path[PATH_MAX + 64], ts[40];
	char *text, *json;
	struct pg_observation now;
	bool ok;

	pg_observe(a->pg, &now, 1000);
	tl = now.timeline;
	if (tl <= 1)
		return true;
	snprintf(path, sizeof(path), "%s/pg_wal/%08X.history", a->cfg.postgresql.data_dir, tl);
	text = fs_read_file(path, NULL);
	if (text == NULL) {
		log_warn("cannot read %s: history key not updated", path);
		return true;
	}
	clock_wall_iso8601(ts, sizeof(ts));
	json = publish_history_json(text, &in->view, ts, a->cfg.name);
	ok = json && dcs_history_write(a->dcs, json);
	free(json);
	free(text);
	return ok;
}

static enum step act_write_history(struct ctx *c)
{
	return agent_write_history(c->a, c->in) ? STEP_SAME : STEP_FAILED;
}

static enum step act_clear_failover(struct ctx *c)
{
	return cas_step(dcs_failover_clear(c->a->dcs, c->in->view.failover.mod_revision),
	                "failover key") == STEP_FAILED
	           ? STEP_FAILED
	           : STEP_SAME;
}

/* --- leader housekeeping -----------------------------------------------------------------------
 */

#define SLOTS_RECHECK_MS 30000 /* a slot dropped by someone else is made again this soon */

/* wanted_slots: the other members' physical slots, then the permanent ones. */
static int wanted_slots(struct ctx *c, struct slot_spec *out, int max, struct buf *key)
{
	const struct dcs_view *v = &c->in->view;
	const struct dyn_config *d = &c->a->dyn->cfg;
	char own[DCS_NAME_LEN];
	int n = 0;

	pg_slot_name(c->a->cfg.name, own, sizeof(own));
	for (int i = 0; i < v->n_members && n < max; i++) {
		if (str_eq(v->members[i].name, c->a->cfg.name))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		pg_slot_name(v->members[i].name, out[n].name, sizeof(out[n].name));
		snprintf(out[n].type, sizeof(out[n].type), "physical");
		buf_printf(key, "%s,", out[n++].name);
	}
	for (int i = 0; i < d->n_slots && n < max; i++) {
		if (!str_eq(d->slots[i].name, own)) {
			out[n] = d->slots[i];
			buf_printf(key, "%s,", out[n++].name);
		}
	}
	return n;
}

static enum step act_sync_slots(struct ctx *c)
{
	const struct dyn_config *d = &c->a->dyn->cfg;
	struct slot_spec wanted[DCS_MAX_MEMBERS + CONFIG_MAX_SLOTS];
	struct buf key;
	int n;

	buf_init(&key);
	/* use_slots off: no slot is wanted, and those pgha made go. */
	n = d->use_slots ? wanted_slots(c, wanted, (int)ARRAY_LEN(wanted), &key) : 0;
	if (!str_eq(key.data, c->a->slots_for) ||
	    c->in->now_ms - c->a->slots_synced_ms >= SLOTS_RECHECK_MS) {
		/* A failure is not worth stopping the plan for: retried next cycle. */
		if (pg_sync_slots(c->a->pg, wanted, n, d->ignore_slots, d->n_ignore_slots)) {
			snprintf(c->a->slots_for, sizeof(c->a->slots_for), "%s", key.data);
			c->a->slots_synced_ms = c->in->now_ms;
		}
	}
	buf_free(&key);
	return STEP_SAME;
}

static enum step act_set_ssn(struct ctx *c)
{
	struct pg_role_conf rc;

	primary_conf(c, c->d->ssn, &rc);
	log_info("synchronous_standby_names = '%s'", c->d->ssn);
	return pg_reconfigure(c->a->pg, &rc) ? STEP_CHANGED : STEP_FAILED;
}

static enum step act_publish_sync(struct ctx *c)
{
	const struct ha_decision *d = c->d;
	enum step s = act_sync_claim(c);
	char list[DCS_MAX_SYNC * DCS_NAME_LEN] = "";

	for (int i = 0; i < d->n_sync_names; i++) {
		strcat(list, i ? "," : "");
		strcat(list, d->sync_names[i]);
	}
	if (s != STEP_FAILED)
		log_info("sync key: synchronous standby %s", list[0] ? list : "(none)");
	return s;
}

/* act_handover: planned switchover: stop cleanly, let the target catch up, release. */
static enum step act_handover(struct ctx *c)
{
	log_info("switchover: handing the leader role over to %s", c->act->target);
	if (!pg_checkpoint(c->a->pg, 60000))
		log_warn("switchover: pre-stop checkpoint failed; the shutdown takes longer");
	/* act_stop publishes "stopped" at once: the target's race probes this node's REST
	 * API and would wait for its next loop if it still read "running". */
	if (act_stop(c, PG_STOP_FAST) == STEP_FAILED)
		return STEP_FAILED;
	/* The fast shutdown sent the standbys everything up to its checkpoint before the
	 * walsenders exited; the target is a synchronous standby, so no commit is missing. */
	return act_release(c);
}

/* --- dispatch ----------------------------------------------------------------------------------
 */

static enum step act_backup_job(struct ctx *c)
{
	/* Not worth stopping the plan for: the next cycle plans it again. */
	return agent_backup_start(c->a, c->in, c->act->target) ? STEP_CHANGED : STEP_SAME;
}

/* act_failsafe_key: publish or delete the failsafe key; a lost compare is not a change. */
static enum step act_failsafe_key(struct ctx *c)
{
	enum step st =
	    c->act->kind == HA_ACT_PUBLISH_FAILSAFE
	        ? cas_step(agent_fs_publish(c->a, c->in, &c->d->failsafe), "failsafe key")
	        : cas_step(agent_fs_delete(c->a, c->in), "failsafe key");

	return st == STEP_FAILED ? STEP_FAILED : STEP_SAME;
}

static enum step run(struct ctx *c)
{
	switch (c->act->kind) {
	case HA_ACT_INITIALIZE_RACE:
		return act_initialize_race(c);
	case HA_ACT_BOOTSTRAP:
		return act_bootstrap(c);
	case HA_ACT_REGISTER_SYSID:
		return act_register_sysid(c);
	case HA_ACT_CLONE:
		return act_clone(c);
	case HA_ACT_REINIT:
		return act_reinit(c);
	case HA_ACT_REWIND:
		return act_rewind(c);
	case HA_ACT_START_PRIMARY:
		return act_start_primary(c);
	case HA_ACT_START_REPLICA:
		return act_start_replica(c);
	case HA_ACT_STOP_FAST:
		return act_stop(c, PG_STOP_FAST);
	case HA_ACT_STOP_IMMEDIATE:
		return act_stop(c, PG_STOP_IMMEDIATE);
	case HA_ACT_RESTART:
		return act_restart(c);
	case HA_ACT_FOLLOW:
		return act_follow(c);
	case HA_ACT_ACQUIRE_LEADER:
		return act_acquire(c);
	case HA_ACT_RELEASE_LEADER:
		return act_release(c);
	case HA_ACT_SYNC_CLAIM:
		return act_sync_claim(c);
	case HA_ACT_PROMOTE:
		return act_promote(c);
	case HA_ACT_WRITE_HISTORY:
		return act_write_history(c);
	case HA_ACT_SYNC_SLOTS:
		return act_sync_slots(c);
	case HA_ACT_SET_SSN:
		return act_set_ssn(c);
	case HA_ACT_PUBLISH_SYNC:
		return act_publish_sync(c);
	case HA_ACT_CLEAR_FAILOVER:
		return act_clear_failover(c);
	case HA_ACT_HANDOVER:
		return act_handover(c);
	case HA_ACT_BACKUP_JOB:
		return act_backup_job(c);
	case HA_ACT_RESTORE:
		return agent_restore(c->a, c->in) ? STEP_CHANGED : STEP_FAILED;
	case HA_ACT_PUBLISH_FAILSAFE:
	case HA_ACT_DELETE_FAILSAFE:
		return act_failsafe_key(c);
	case HA_ACT__COUNT:
		break;
	}
	return STEP_FAILED;
}

bool agent_apply(struct agent *a, const struct ha_input *in, const struct ha_decision *d)
{
	struct ctx c = {.a = a, .in = in, .d = d};
	bool changed = false;

	for (int i = 0; i < d->n_actions; i++) {
		enum step s;

		c.act = &d->actions[i];
		s = run(&c);
		if (s == STEP_FAILED) {
			log_debug("plan stopped at %s", ha_action_name(c.act->kind));
			break;
		}
		changed |= s == STEP_CHANGED;
	}
	return changed;
}
