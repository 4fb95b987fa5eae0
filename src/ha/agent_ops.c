/*
 * agent_ops.c: the agent's side of the REST API's unsafe requests (api_ops).
 *
 * Runs in the REST server's operation threads, never in the HA loop: a switchover
 * writes the failover key (validated as Patroni validates it) and then waits for the
 * leader to change, while the HA loops of the nodes carry it out. Requests that
 * concern this node only (restart, reinitialize, reload) are handed to the HA loop
 * through flags and a kick, and waited for where Patroni waits.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api/api.h"
#include "ha/agent_int.h"
#include "ha/agent_ops.h"
#include "ha/ha_decide.h"
#include "ha/ha_failsafe.h"
#include "ha/lease.h"
#include "log/log.h"
#include "util/clocksrc.h"
#include "util/strutil.h"

#define POLL_MS 50

static void reply(struct buf *out, const char *fmt, ...) PRINTF_LIKE(2, 3);

static void reply(struct buf *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(out, fmt, ap);
	va_end(ap);
}

/* current_view: the watch cache (fresh to within milliseconds). */
static bool current_view(struct agent *a, const struct dyn_config *dyn, struct dcs_view *v)
{
	if (dcs_snapshot(a->dcs, v, dyn->ttl_s * 1000) && v->valid)
		return true;
	dcs_view_free(v);
	return false;
}

/* --- switchover and failover ------------------------------------------------------- */

/* handover_status: Patroni's status code for a refused switchover or failover. */
static int handover_status(enum ha_handover_check c)
{
	return c == HA_HANDOVER_PAUSED_ANY || c == HA_HANDOVER_SAME ? 400 : 412;
}

/*
 * check_handover: the cluster rules (ha_handover.c) against the current view;
 * returns 0 when the request may be written, else the status with the reason in out.
 * *sync_pending: it may, but the leader will wait for a synchronous standby to be
 * named first (HA_HANDOVER_SYNC_PENDING).
 */
static int check_handover(const struct dyn_config *dyn, const struct dcs_view *v,
                          const struct api_request *req, bool leaderless, struct buf *out,
                          bool *sync_pending)
{
	struct ha_handover_req r = {.leader = req->leader,
	                            .candidate = req->candidate,
	                            .synchronous_mode = dyn->synchronous_mode,
	                            .pause = dyn->pause};
	enum ha_handover_check c =
	    leaderless ? ha_failover_check(v, &r) : ha_switchover_check(v, &r);
	const struct dcs_member *m = dcs_view_member(v, req->candidate);

	*sync_pending = c == HA_HANDOVER_SYNC_PENDING;
	if (c == HA_HANDOVER_OK || c == HA_HANDOVER_SYNC_PENDING)
		return 0;
	reply(out, "%s", ha_handover_check_str(c));
	if (c == HA_HANDOVER_UNKNOWN_CANDIDATE || c == HA_HANDOVER_NOFAILOVER)
		reply(out, ": %s", req->candidate);
	else if (c == HA_HANDOVER_UNHEALTHY && m != NULL)
		reply(out, ": %s (state %s%s%s)", m->name, m->state,
		      m->replication_state[0] ? ", " : "", m->replication_state);
	return handover_status(c);
}

/*
 * explain_cancel: the leader cleared the failover key of a due switchover without
 * handing over (ha_decide.c: nobody could take over, or the synchronous standby it
 * waited for was not named in time): 412, with the rules' reason on the view it left.
 */
static int explain_cancel(const struct dyn_config *dyn, const struct dcs_view *v,
                          const struct api_request *req, struct buf *out)
{
	bool pending = false;

	if (check_handover(dyn, v, req, false, out, &pending) != 0)
		return 412;
	if (pending)
		reply(out, "%s: no synchronous standby was named within %d seconds",
		      ha_handover_check_str(HA_HANDOVER_NO_CANDIDATE),
		      ha_handover_wait_s(dyn->loop_wait_s));
	else
		reply(out, "%s when the leader was to hand over",
		      ha_handover_check_str(HA_HANDOVER_NO_CANDIDATE));
	return 412;
}

/*
 * wait_for_leader: polls the view for wait_s until the leader is someone else (or
 * req's candidate): 200; or the leader old cancels the request: 412 (explain_cancel).
 */
static int wait_for_leader(struct agent *a, const struct dyn_config *dyn,
                           const struct api_request *req, const char *old, int wait_s,
                           struct buf *out)
{
	int64_t deadline = clocksrc_now_ms(a->clock) + 1000LL * wait_s;
	bool seen = false; /* our request in the failover key: its absence now means news */

	while (clocksrc_now_ms(a->clock) < deadline) {
		struct dcs_view v;
		int code = 0;

		clocksrc_sleep_ms(a->clock, POLL_MS);
		if (!current_view(a, dyn, &v))
			continue;
		if (ha_handover_done(&v, old, req->candidate)) {
			reply(out, "Successfully %s over to \"%s\"", old[0] ? "switched" : "failed",
			      v.leader);
			code = 200;
		} else if (seen && old[0] && !v.failover.present && str_eq(v.leader, old)) {
			code = explain_cancel(dyn, &v, req, out);
		}
		seen = seen || v.failover.present;
		dcs_view_free(&v);
		if (code != 0)
			return code;
	}
	reply(out, "%s status unknown after %d seconds", old[0] ? "Switchover" : "Failover",
	      wait_s);
	return 503;
}

static int write_failover_key(struct agent *a, const char *leader, const char *cand,
                              const char *scheduled_at, struct buf *out)
{
	bool ok;

	pthread_mutex_lock(&a->api_dcs_mu);
	ok = dcs_failover_write(a->api_dcs, leader, cand, scheduled_at);
	pthread_mutex_unlock(&a->api_dcs_mu);
	if (!ok) {
		reply(out, "failed to write failover key");
		return 503;
	}
	agent_kick(a);
	return 0;
}

static int op_switchover(struct agent *a, const struct dyn_config *dyn,
                         const struct api_request *req, struct buf *out)
{
	struct dcs_view v;
	char leader[DCS_NAME_LEN];
	int wait_s = ha_handover_wait_s(dyn->loop_wait_s);
	bool pending = false;
	int code;

	if (!current_view(a, dyn, &v)) {
		reply(out, "the cluster's state in etcd is unknown");
		return 503;
	}
	code = check_handover(dyn, &v, req, false, out, &pending);
	snprintf(leader, sizeof(leader), "%s", v.leader);
	dcs_view_free(&v);
	if (code == 0)
		code = write_failover_key(a, leader, req->candidate, req->scheduled_at, out);
	if (code != 0)
		return code;
	log_info("switchover requested from %s to %s%s%s%s", leader,
	         req->candidate[0] ? req->candidate : "the best candidate",
	         req->scheduled_at[0] ? " at " : "", req->scheduled_at,
	         pending ? " (the sync key names no synchronous standby yet: the leader waits "
	                   "for one)"
	                 : "");
	if (req->scheduled_at_epoch_ms > 0) {
		reply(out, "Switchover scheduled");
		return 202;
	}
	return wait_for_leader(a, dyn, req, leader, pending ? 2 * wait_s : wait_s, out);
}

static int op_failover(struct agent *a, const struct dyn_config *dyn, const struct api_request *req,
                       struct buf *out)
{
	struct dcs_view v;
	bool pending = false; /* never, for a leaderless cluster */
	int code;

	if (!current_view(a, dyn, &v)) {
		reply(out, "the cluster's state in etcd is unknown");
		return 503;
	}
	if (v.has_leader) { /* a failover with a running leader is a switchover (Patroni) */
		dcs_view_free(&v);
		return op_switchover(a, dyn, req, out);
	}
	code = check_handover(dyn, &v, req, true, out, &pending);
	dcs_view_free(&v);
	if (code == 0)
		code = write_failover_key(a, "", req->candidate, "", out);
	if (code != 0)
		return code;
	log_warn("manual failover to %s requested in a leaderless cluster", req->candidate);
	return wait_for_leader(a, dyn, req, "", ha_handover_wait_s(dyn->loop_wait_s), out);
}

static int op_switchover_cancel(struct agent *a, const struct dyn_config *dyn, struct buf *out)
{
	struct dcs_view v;
	enum dcs_cas r;

	if (!current_view(a, dyn, &v)) {
		reply(out, "the cluster's state in etcd is unknown");
		return 503;
	}
	if (!v.failover.present || v.failover.scheduled_at_epoch_ms == 0) {
		dcs_view_free(&v);
		reply(out, "no switchover is scheduled");
		return 404;
	}
	pthread_mutex_lock(&a->api_dcs_mu);
	r = dcs_failover_clear(a->api_dcs, v.failover.mod_revision);
	pthread_mutex_unlock(&a->api_dcs_mu);
	dcs_view_free(&v);
	if (r == DCS_CAS_OK) {
		reply(out, "scheduled switchover deleted");
		return 200;
	}
	reply(out, r == DCS_CAS_CONFLICT ? "the failover key changed meanwhile" : "etcd error");
	return r == DCS_CAS_CONFLICT ? 409 : 503;
}

/* --- node requests -------------------------------------------------------------------- */

static bool restart_conditions(struct agent *a, const struct api_request *req)
{
	struct api_snapshot s;
	bool ok = true;

	pthread_mutex_lock(&a->status_mu);
	s = a->status; /* only scalar fields are read */
	pthread_mutex_unlock(&a->status_mu);
	if (req->restart_pending && !s.pending_restart)
		ok = false;
	if (req->role[0] && !(str_eq(req->role, s.role) ||
	                      (str_eq(req->role, "master") && str_eq(s.role, "primary"))))
		ok = false;
	if (req->postgres_version > 0 && s.pg.server_version >= req->postgres_version)
		ok = false;
	return ok;
}

static int op_restart(struct agent *a, const struct api_request *req, struct buf *out)
{
	int before = atomic_load(&a->req.restart_done);
	int64_t deadline =
	    clocksrc_now_ms(a->clock) + 1000LL * (req->timeout_s > 0 ? req->timeout_s : 120);

	if (req->scheduled_at_epoch_ms > 0) {
		reply(out, "scheduled restarts are not supported by pgha; restart now instead");
		return 503;
	}
	if (!restart_conditions(a, req)) {
		reply(out, "restart conditions are not satisfied");
		return 503;
	}
	atomic_store(&a->req.restart, true);
	agent_kick(a);
	while (clocksrc_now_ms(a->clock) < deadline) {
		clocksrc_sleep_ms(a->clock, POLL_MS);
		if (atomic_load(&a->req.restart_done) != before) {
			reply(out, "restarted successfully");
			return 200;
		}
	}
	reply(out, "restart failed");
	return 503;
}

static int op_reinitialize(struct agent *a, struct buf *out)
{
	bool leader;

	pthread_mutex_lock(&a->status_mu);
	leader = a->status.holds_leader;
	pthread_mutex_unlock(&a->status_mu);
	if (leader) {
		reply(out, "I am the leader, can not reinitialize");
		return 503;
	}
	atomic_store(&a->req.reinit, true);
	agent_kick(a);
	reply(out, "reinitialize started");
	return 200;
}

/* --- dynamic configuration ---------------------------------------------------------------- */

/* merge_patch: RFC 7396 JSON merge patch of target by patch (null removes a key). */
static void merge_patch(json_t *target, const json_t *patch)
{
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)(uintptr_t)patch, key, value)
	{
		json_t *cur = json_object_get(target, key);

		if (json_is_null(value))
			json_object_del(target, key);
		else if (json_is_object(value) && json_is_object(cur))
			merge_patch(cur, value);
		else
			json_object_set(target, key, value);
	}
}

static int validate_config(const json_t *cfg, struct buf *out)
{
	struct dyn_config d;
	char err[256] = "";

	dyn_config_defaults(&d);
	if (!dyn_config_from_json(&d, cfg, err, sizeof(err)) || err[0]) {
		dyn_config_free(&d);
		reply(out, "invalid configuration: %s", err[0] ? err : "not an object");
		return 400;
	}
	dyn_config_free(&d);
	return 0;
}

static int write_config(struct agent *a, json_t *cfg, int64_t rev, struct buf *out)
{
	char *text = json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS);
	enum dcs_cas r;

	pthread_mutex_lock(&a->api_dcs_mu);
	r = dcs_config_write(a->api_dcs, text, rev);
	pthread_mutex_unlock(&a->api_dcs_mu);
	if (r == DCS_CAS_OK) {
		buf_puts(out, text);
		agent_kick(a);
	}
	free(text);
	if (r == DCS_CAS_CONFLICT)
		reply(out, "Conflict");
	else if (r == DCS_CAS_ERROR)
		reply(out, "failed to write the config key");
	return r == DCS_CAS_OK ? 200 : r == DCS_CAS_CONFLICT ? 409 : 502;
}

static int op_config_patch(struct agent *a, const struct api_request *req, struct buf *out)
{
	struct dcs_view v;
	json_t *cfg;
	int code;

	pthread_mutex_lock(&a->api_dcs_mu);
	code = dcs_read(a->api_dcs, &v) ? 0 : 503;
	pthread_mutex_unlock(&a->api_dcs_mu);
	if (code) {
		reply(out, "etcd unreachable");
		return code;
	}
	cfg = v.has_config ? json_loads(v.config_json, 0, NULL) : NULL;
	if (!json_is_object(cfg)) {
		json_decref(cfg);
		dcs_view_free(&v);
		reply(out, "config not found or not a JSON object");
		return 503;
	}
	merge_patch(cfg, req->config);
	code = validate_config(cfg, out);
	if (code == 0)
		code = write_config(a, cfg, v.config_mod_revision, out);
	json_decref(cfg);
	dcs_view_free(&v);
	return code;
}

static int op_config_put(struct agent *a, const struct api_request *req, struct buf *out)
{
	int code = validate_config(req->config, out);

	return code ? code : write_config(a, req->config, -1, out);
}

/* --- entry points ----------------------------------------------------------------------------- */

/*
 * agent_ops_snapshot: the published snapshot, with the leader's deadline read live from
 * the lease keeper: failsafe rounds move it every ttl/8 and a fence ends it at once,
 * while the HA loop may be busy (an etcd call that times out) and publish a second
 * later. /primary answers 200 exactly while PostgreSQL may take writes.
 */
void agent_ops_snapshot(void *ctx, struct api_snapshot *out)
{
	struct agent *a = ctx;
	struct ha_lease lease = lease_state(a->lease);

	pthread_mutex_lock(&a->status_mu);
	api_snapshot_copy(out, &a->status);
	pthread_mutex_unlock(&a->status_mu);
	out->holds_leader = out->holds_leader && lease.held;
	out->leader_valid_until_ms = ha_effective_deadline(&lease);
	out->failsafe_until_ms = agent_fs_live_until(a, &lease);
}

/* dispatch: one operation, with the dynamic configuration it started with. */
static int dispatch(struct agent *a, const struct dyn_config *dyn, const struct api_request *req,
                    struct buf *out)
{
	switch (req->op) {
	case API_OP_SWITCHOVER:
		return op_switchover(a, dyn, req, out);
	case API_OP_FAILOVER:
		return op_failover(a, dyn, req, out);
	case API_OP_SWITCHOVER_CANCEL:
		return op_switchover_cancel(a, dyn, out);
	case API_OP_RESTART:
		return op_restart(a, req, out);
	case API_OP_RESTART_CANCEL:
		reply(out, "no restarts are scheduled");
		return 404;
	case API_OP_REINITIALIZE:
		return op_reinitialize(a, out);
	case API_OP_RELOAD:
		atomic_store(&a->req.reload, true);
		agent_kick(a);
		reply(out, "reload scheduled");
		return 202;
	case API_OP_CONFIG_PATCH:
		return op_config_patch(a, req, out);
	case API_OP_CONFIG_PUT:
		return op_config_put(a, req, out);
	case API_OP__COUNT:
		break;
	}
	reply(out, "unknown operation");
	return 501;
}

int agent_ops_operation(void *ctx, const struct api_request *req, struct buf *out)
{
	struct agent *a = ctx;
	struct agent_dyn *dyn = agent_dyn_get(a); /* the HA loop may replace it meanwhile */
	int code;

	log_info("REST API: %s requested", api_op_str(req->op));
	code = dispatch(a, &dyn->cfg, req, out);
	agent_dyn_put(dyn);
	return code;
}
