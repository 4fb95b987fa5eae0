/*
 * ops_health.c: the health checks, judged from canned observations.
 */
#include "cli/ops_health.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "client/client_members.h"
#include "util/err.h"
#include "util/strutil.h"

static const char *const status_names[OPS_STATUS__COUNT] =
    {[OPS_PASS] = "PASS", [OPS_WARN] = "WARN", [OPS_FAIL] = "FAIL", [OPS_SKIP] = "SKIP"};

const char *ops_status_str(enum ops_status s)
{
	return (unsigned)s < OPS_STATUS__COUNT ? status_names[s] : "?";
}

static void add(struct ops_health *h, enum ops_status st, const char *name, const char *fmt, ...)
    PRINTF_LIKE(4, 5);

static void add(struct ops_health *h, enum ops_status st, const char *name, const char *fmt, ...)
{
	struct ops_check *c;
	va_list ap;

	if (h->n >= OPS_MAX_CHECKS)
		return;
	c = &h->checks[h->n++];
	c->status = st;
	snprintf(c->name, sizeof(c->name), "%s", name);
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	h->n_fail += st == OPS_FAIL;
	h->n_warn += st == OPS_WARN;
}

/* --- settings ------------------------------------------------------------------------ */

struct settings {
	int64_t max_lag_bytes;
	bool synchronous_mode;
};

/* settings_of: the stored config over pgha's defaults (as the agents read it). */
static void settings_of(const struct ops_health_input *in, struct settings *s)
{
	struct dyn_config d;

	client_cluster_dyn(in->view, &d);
	s->max_lag_bytes = in->max_lag_bytes >= 0 ? in->max_lag_bytes : d.maximum_lag_on_failover;
	s->synchronous_mode = d.synchronous_mode;
	dyn_config_free(&d);
}

/* --- etcd ------------------------------------------------------------------------------ */

static void check_etcd(const struct ops_health_input *in, struct ops_health *h)
{
	char bad[OPS_DETAIL_LEN] = "";
	int healthy = 0;

	for (int i = 0; i < in->n_etcd; i++) {
		const struct ops_etcd_probe *p = &in->etcd[i];

		if (p->healthy)
			healthy++;
		else
			err_append(bad, sizeof(bad), "%s %s", p->url,
			           p->answered ? "reports unhealthy" : p->err);
	}
	if (!in->view_ok)
		add(h, OPS_FAIL, "etcd quorum",
		    "no linearizable read (%s); %d/%d endpoints healthy%s%s", in->view_err, healthy,
		    in->n_etcd, bad[0] ? ": " : "", bad);
	else if (healthy < in->n_etcd)
		add(h, OPS_WARN, "etcd quorum", "linearizable read OK, %d/%d endpoints healthy: %s",
		    healthy, in->n_etcd, bad);
	else
		add(h, OPS_PASS, "etcd quorum", "%d/%d endpoints healthy, linearizable read OK",
		    healthy, in->n_etcd);
}

/* --- leader ---------------------------------------------------------------------------- */

static int member_index(const struct dcs_view *v, const char *name)
{
	for (int i = 0; i < v->n_members; i++)
		if (str_eq(v->members[i].name, name))
			return i;
	return -1;
}

static void describe_code(const struct ops_rest_probe *p, long code, char *out, size_t size)
{
	if (code == 0)
		snprintf(out, size, "REST API did not answer (%s)",
		         p->err[0] ? p->err : "no reply");
	else
		snprintf(out, size, "answered %ld", code);
}

static void check_leader(const struct ops_health_input *in, struct ops_health *h)
{
	const struct dcs_view *v = in->view;
	int li = v->has_leader ? member_index(v, v->leader) : -1;
	char others[OPS_DETAIL_LEN] = "";
	char why[OPS_DETAIL_LEN];

	for (int i = 0; i < v->n_members; i++)
		if (i != li && in->rest[i].primary_code == 200)
			err_append(others, sizeof(others), "%s", v->members[i].name);
	if (!v->has_leader) {
		add(h, OPS_FAIL, "leader", "no leader key (a failover or switchover in progress?)");
	} else if (li < 0) {
		add(h, OPS_FAIL, "leader", "the leader key names %s, which has no member key",
		    v->leader);
	} else if (in->rest[li].primary_code != 200) {
		describe_code(&in->rest[li], in->rest[li].primary_code, why, sizeof(why));
		add(h, OPS_FAIL, "leader", "%s holds the leader key but /primary %s", v->leader,
		    why);
	} else if (others[0]) {
		add(h, OPS_FAIL, "leader", "%s leads, but /primary also answers 200 on: %s",
		    v->leader, others);
	} else {
		add(h, OPS_PASS, "leader", "%s answers /primary 200 (timeline %d)", v->leader,
		    v->members[li].timeline);
	}
}

/* --- replicas -------------------------------------------------------------------------- */

static void format_bytes(uint64_t n, char *out, size_t size)
{
	if (n >= 1024 * 1024)
		snprintf(out, size, "%.1f MB", (double)n / (1024.0 * 1024.0));
	else if (n >= 1024)
		snprintf(out, size, "%.1f kB", (double)n / 1024.0);
	else
		snprintf(out, size, "%llu B", (unsigned long long)n);
}

static void check_replica(const struct ops_health_input *in, const struct client_member_row *r,
                          int idx, const struct settings *s, struct ops_health *h)
{
	const struct ops_rest_probe *p = &in->rest[idx];
	char name[OPS_CHECK_NAME];
	char bad[OPS_DETAIL_LEN] = "";
	char lag[32] = "unknown";

	snprintf(name, sizeof(name), "replica %s", r->m->name);
	if (r->has_lag)
		format_bytes(r->lag_bytes, lag, sizeof(lag));
	if (!str_eq(r->m->state, "running"))
		err_append(bad, sizeof(bad), "state '%s'", r->m->state);
	if (!str_eq(r->m->replication_state, "streaming"))
		err_append(bad, sizeof(bad), "not streaming (replication_state '%s')",
		           r->m->replication_state);
	if (p->replica_code != 200) {
		char why[OPS_DETAIL_LEN];

		describe_code(p, p->replica_code, why, sizeof(why));
		err_append(bad, sizeof(bad), "/replica %s", why);
	}
	if (r->has_lag && (int64_t)r->lag_bytes > s->max_lag_bytes)
		err_append(bad, sizeof(bad), "lag %s over the limit of %lld bytes", lag,
		           (long long)s->max_lag_bytes);
	if (bad[0])
		add(h, OPS_FAIL, name, "%s", bad);
	else if (!r->has_lag)
		add(h, OPS_WARN, name, "streaming, /replica 200, lag unknown (no leader position)");
	else
		add(h, OPS_PASS, name, "streaming, lag %s, /replica 200", lag);
}

static void check_replicas(const struct ops_health_input *in, const struct settings *s,
                           struct ops_health *h)
{
	struct client_member_row rows[DCS_MAX_MEMBERS];
	int n = client_members_rows(in->view, rows, DCS_MAX_MEMBERS);
	int replicas = 0;

	for (int i = 0; i < n; i++) {
		if (rows[i].role == DCS_ROLE_LEADER)
			continue;
		check_replica(in, &rows[i], i, s, h);
		replicas++;
	}
	for (int k = 0; k < in->n_expected; k++) {
		char name[OPS_CHECK_NAME];

		if (dcs_view_member(in->view, in->expected[k]) != NULL ||
		    (in->view->has_leader && str_eq(in->view->leader, in->expected[k])))
			continue; /* present, or the leader (judged by check_leader) */
		snprintf(name, sizeof(name), "replica %s", in->expected[k]);
		add(h, OPS_FAIL, name, "no member key in etcd (is its agent running?)");
		replicas++;
	}
	if (replicas == 0)
		add(h, OPS_WARN, "replicas", "the cluster has no replica");
}

/* --- sync standby ---------------------------------------------------------------------- */

static bool streams(const struct dcs_view *v, const char *name)
{
	const struct dcs_member *m = dcs_view_member(v, name);

	return m && str_eq(m->state, "running") && str_eq(m->replication_state, "streaming");
}

static void check_sync(const struct ops_health_input *in, const struct settings *s,
                       struct ops_health *h)
{
	const struct dcs_sync *sy = &in->view->sync;
	char good[OPS_DETAIL_LEN] = "";
	char bad[OPS_DETAIL_LEN] = "";

	if (!s->synchronous_mode) {
		add(h, OPS_SKIP, "sync standby", "synchronous_mode is off");
		return;
	}
	if (!sy->present || !sy->leader[0]) {
		add(h, OPS_FAIL, "sync standby", "synchronous_mode is on but the sync key is %s",
		    sy->present ? "inactive" : "missing");
		return;
	}
	if (!in->view->has_leader || !str_eq_nocase(sy->leader, in->view->leader)) {
		add(h, OPS_FAIL, "sync standby", "the sync key names leader %s, the leader is %s",
		    sy->leader, in->view->has_leader ? in->view->leader : "nobody");
		return;
	}
	for (int i = 0; i < sy->n_standbys; i++) {
		if (streams(in->view, sy->standbys[i]))
			err_append(good, sizeof(good), "%s", sy->standbys[i]);
		else
			err_append(bad, sizeof(bad), "%s", sy->standbys[i]);
	}
	if (good[0])
		add(h, OPS_PASS, "sync standby", "%s streaming%s%s", good,
		    bad[0] ? "; not streaming: " : "", bad);
	else if (bad[0])
		add(h, OPS_FAIL, "sync standby", "listed but not streaming: %s", bad);
	else
		add(h, OPS_FAIL, "sync standby",
		    "no synchronous standby: commits are acknowledged by the leader alone");
}

/* --- WAL archive ------------------------------------------------------------------------- */

#define ARCHIVE_WARN_S 60  /* a WAL file waiting this long: archiving lags */
#define ARCHIVE_FAIL_S 300 /* this long: archiving is stuck */

static void check_archive(const struct ops_health_input *in, struct ops_health *h)
{
	const struct dcs_member *m = dcs_view_leader_member(in->view);
	const struct dcs_archive *a = m != NULL ? &m->archive : NULL;
	int64_t waiting_s;

	if (a == NULL || !a->present) {
		add(h, OPS_SKIP, "WAL archive",
		    "the leader publishes no archiving (no pgbackrest)");
		return;
	}
	waiting_s = a->ready > 0 && a->oldest_ready_ms > 0
	                ? (in->wall_now_ms - a->oldest_ready_ms) / 1000
	                : 0;
	if (a->last_failed_ms > a->last_archived_ms)
		add(h, OPS_FAIL, "WAL archive", "archiving %s fails (%lld failures): see %s's log",
		    a->last_failed_wal, (long long)a->failed_count, m->name);
	else if (waiting_s >= ARCHIVE_WARN_S)
		add(h, waiting_s >= ARCHIVE_FAIL_S ? OPS_FAIL : OPS_WARN, "WAL archive",
		    "%d WAL files waiting, the oldest for %lld s", a->ready, (long long)waiting_s);
	else
		add(h, OPS_PASS, "WAL archive", "%d waiting; last archived %s", a->ready,
		    a->last_archived_wal[0] ? a->last_archived_wal : "none yet");
}

/* --- poolers and router -------------------------------------------------------------- */

/* landed_on: which member a session reached: by cluster_name, else by port; NULL. */
static const struct dcs_member *landed_on(const struct dcs_view *v, const struct ops_sql_probe *p)
{
	const struct dcs_member *found = NULL;
	int by_port = 0;

	if (p->cluster_name[0])
		return dcs_view_member(v, p->cluster_name);
	for (int i = 0; i < v->n_members; i++) {
		if (v->members[i].port == p->port) {
			found = &v->members[i];
			by_port++;
		}
	}
	return by_port == 1 ? found : NULL;
}

static void check_poolers(const struct ops_health_input *in, struct ops_health *h)
{
	const struct dcs_view *v = in->view;
	int n = 0;

	for (int i = 0; i < v->n_members; i++) {
		const struct dcs_member *m = &v->members[i];
		const struct ops_sql_probe *p = &in->pooler[i];
		const struct dcs_member *at;
		char name[OPS_CHECK_NAME];

		if (!m->pooler[0])
			continue;
		n++;
		snprintf(name, sizeof(name), "pooler %s", m->name);
		at = p->ok ? landed_on(v, p) : NULL;
		if (!p->tried || !p->ok)
			add(h, OPS_FAIL, name, "%s: %s", m->pooler,
			    p->tried ? p->err : "not probed");
		else if (at != NULL && at != m)
			add(h, OPS_FAIL, name, "%s leads to %s instead of %s", m->pooler, at->name,
			    m->name);
		else
			add(h, OPS_PASS, name, "SELECT 1 through %s", m->pooler);
	}
	if (n == 0)
		add(h, OPS_WARN, "poolers", "no member publishes a pooler (pgbouncer not enabled)");
}

/* check_router: where a session through the router's rw (or ro) port landed. */
static void check_router(const struct ops_health_input *in, bool rw, struct ops_health *h)
{
	const struct ops_sql_probe *p = rw ? &in->router_rw_probe : &in->router_ro_probe;
	const char *addr = rw ? in->router_rw : in->router_ro;
	const char *name = rw ? "router rw" : "router ro";
	const struct dcs_member *at = p->ok ? landed_on(in->view, p) : NULL;
	const char *where = at ? at->name : p->cluster_name[0] ? p->cluster_name : "?";
	const char *leader = in->view->has_leader ? in->view->leader : "nobody";

	if (!p->ok)
		add(h, OPS_FAIL, name, "%s: %s", addr, p->err);
	else if (!rw && !p->in_recovery)
		add(h, OPS_FAIL, name, "%s lands on %s, which is not in recovery", addr, where);
	else if (!rw)
		add(h, OPS_PASS, name, "%s lands on %s, a replica (in recovery)", addr, where);
	else if (p->in_recovery)
		add(h, OPS_FAIL, name, "%s lands on %s, which is in recovery", addr, where);
	else if (!in->view->has_leader || at == NULL || !str_eq(at->name, in->view->leader))
		add(h, OPS_FAIL, name, "%s lands on %s, the leader is %s", addr, where, leader);
	else
		add(h, OPS_PASS, name, "%s lands on %s, the leader (read-write)", addr, where);
}

void ops_health_eval(const struct ops_health_input *in, struct ops_health *out)
{
	struct settings s;

	memset(out, 0, sizeof(*out));
	check_etcd(in, out);
	if (!in->view_ok || in->view == NULL)
		return; /* nothing else can be judged without the cluster's state */
	settings_of(in, &s);
	check_leader(in, out);
	check_replicas(in, &s, out);
	check_sync(in, &s, out);
	check_archive(in, out);
	check_poolers(in, out);
	if (!in->router_configured) {
		add(out, OPS_WARN, "router", "no router configured");
		return;
	}
	if (in->router_rw[0]) /* only the ports given are probed */
		check_router(in, true, out);
	if (in->router_ro[0])
		check_router(in, false, out);
}

/* --- rendering ----------------------------------------------------------------------- */

void ops_health_text(const struct ops_health *h, struct buf *out)
{
	int width = 0;
	char failed[OPS_DETAIL_LEN] = "";

	for (int i = 0; i < h->n; i++)
		width = MAX(width, (int)strlen(h->checks[i].name));
	for (int i = 0; i < h->n; i++) {
		const struct ops_check *c = &h->checks[i];

		buf_printf(out, "%s  %-*s  %s\n", ops_status_str(c->status), width, c->name,
		           c->detail);
		if (c->status == OPS_FAIL)
			err_append(failed, sizeof(failed), "%s", c->name);
	}
	if (h->n_fail > 0)
		buf_printf(out, "UNHEALTHY: %d check%s failed (%s)", h->n_fail,
		           h->n_fail == 1 ? "" : "s", failed);
	else
		buf_printf(out, "healthy: %d check%s", h->n, h->n == 1 ? "" : "s");
	if (h->n_warn > 0)
		buf_printf(out, ", %d warning%s", h->n_warn, h->n_warn == 1 ? "" : "s");
	buf_puts(out, "\n");
}

json_t *ops_health_json(const struct ops_health *h)
{
	json_t *checks = json_array();

	for (int i = 0; i < h->n; i++)
		json_array_append_new(checks,
		                      json_pack("{s:s, s:s, s:s}", "name", h->checks[i].name,
		                                "status", ops_status_str(h->checks[i].status),
		                                "detail", h->checks[i].detail));
	return json_pack("{s:b, s:i, s:i, s:o}", "healthy", h->n_fail == 0, "failed", h->n_fail,
	                 "warnings", h->n_warn, "checks", checks);
}
