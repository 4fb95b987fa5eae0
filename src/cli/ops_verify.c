/*
 * ops_verify.c: the nine checks of `pgha verify`, judged and rendered (see ops_verify.h).
 */
#include "cli/ops_verify.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "util/compiler.h"
#include "util/strutil.h"

static const char *const names[VERIFY__COUNT] = {
    [VERIFY_ETCD_QUORUM] = "etcd quorum",
    [VERIFY_ELECTION] = "primary election",
    [VERIFY_REPLICATION] = "streaming replication",
    [VERIFY_HEALTH_ENDPOINTS] = "health endpoints",
    [VERIFY_PORTS] = "read-write/read-only ports",
    [VERIFY_FAILOVER] = "automatic failover",
    [VERIFY_NO_LOSS] = "zero data loss",
    [VERIFY_REJOIN] = "old primary rejoins",
    [VERIFY_POOLERS] = "PgBouncer on every node",
};

const char *ops_verify_name(enum ops_verify_check c)
{
	return (unsigned)c < VERIFY__COUNT ? names[c] : "?";
}

static void set(struct ops_verify *v, enum ops_verify_check c, bool ok, double seconds,
                const char *fmt, ...) PRINTF_LIKE(5, 6);

static void set(struct ops_verify *v, enum ops_verify_check c, bool ok, double seconds,
                const char *fmt, ...)
{
	struct ops_verify_row *r = &v->rows[c];
	va_list ap;

	r->done = true;
	r->status = ok ? OPS_PASS : OPS_FAIL;
	r->seconds = seconds;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

/* A group of health checks: by exact name, or by "prefix " for one per member. */
struct group {
	int n;                /* matched */
	int bad;              /* of which FAIL (or, with warn_fails, WARN) */
	const char *first;    /* the first one's detail */
	const char *bad_name; /* the first bad one's name and detail */
	const char *bad_detail;
};

static struct group group_of(const struct ops_health *h, const char *name, bool prefix,
                             bool warn_fails)
{
	struct group g = {0};

	for (int i = 0; i < h->n; i++) {
		const struct ops_check *c = &h->checks[i];
		bool match = prefix ? str_has_prefix(c->name, name) : str_eq(c->name, name);

		if (!match)
			continue;
		g.first = g.n++ ? g.first : c->detail;
		if (c->status == OPS_FAIL || (warn_fails && c->status == OPS_WARN)) {
			g.bad_name = g.bad++ ? g.bad_name : c->name;
			g.bad_detail = g.bad > 1 ? g.bad_detail : c->detail;
		}
	}
	return g;
}

/* set_group: row c passes when the group matched and nothing in it is bad. */
static void set_group(struct ops_verify *v, enum ops_verify_check c, const struct group *g,
                      double seconds, const char *none)
{
	if (g->n == 0)
		set(v, c, false, seconds, "%s", none);
	else if (g->bad > 0)
		set(v, c, false, seconds, "%s: %s", g->bad_name, g->bad_detail);
	else
		set(v, c, true, seconds, "%s", g->first);
}

/* endpoints: /primary 200 on the leader alone, /replica 200 on every other member. */
static void endpoints(const struct ops_health_input *in, double seconds, struct ops_verify *v)
{
	const struct dcs_view *view = in->view;

	if (!in->view_ok || !view->has_leader) {
		set(v, VERIFY_HEALTH_ENDPOINTS, false, seconds, "no leader to tell apart");
		return;
	}
	for (int i = 0; i < view->n_members; i++) {
		const struct ops_rest_probe *p = &in->rest[i];
		bool leads = str_eq(view->members[i].name, view->leader);

		if (leads ? p->primary_code == 200 && p->replica_code != 200
		          : p->replica_code == 200 && p->primary_code != 200)
			continue;
		set(v, VERIFY_HEALTH_ENDPOINTS, false, seconds,
		    "%s (%s): /primary %ld, /replica %ld%s%s", view->members[i].name,
		    leads ? "the leader" : "a replica", p->primary_code, p->replica_code,
		    p->err[0] ? ": " : "", p->err);
		return;
	}
	set(v, VERIFY_HEALTH_ENDPOINTS, true, seconds,
	    "/primary 200 on %s only, /replica 200 on the %d other member%s", view->leader,
	    view->n_members - 1, view->n_members == 2 ? "" : "s");
}

/* replicas: every replica streaming, and the synchronous standby where there is one. */
static void replicas(const struct ops_health *h, double seconds, struct ops_verify *v)
{
	struct group g = group_of(h, "replica ", true, false);
	struct group none = group_of(h, "replicas", false, true);
	struct group sync = group_of(h, "sync standby", false, false);

	if (none.bad > 0 || g.n == 0)
		set(v, VERIFY_REPLICATION, false, seconds, "the cluster has no replica");
	else if (g.bad > 0 || sync.bad > 0)
		set_group(v, VERIFY_REPLICATION, g.bad ? &g : &sync, seconds, "");
	else
		set(v, VERIFY_REPLICATION, true, seconds, "%d replica%s streaming", g.n,
		    g.n == 1 ? "" : "s");
}

void ops_verify_from_health(const struct ops_health_input *in, const struct ops_health *h,
                            double seconds, struct ops_verify *v)
{
	struct group g = group_of(h, "etcd quorum", false, false);
	struct group rw = group_of(h, "router rw", false, true);
	struct group ro = group_of(h, "router ro", false, true);

	set_group(v, VERIFY_ETCD_QUORUM, &g, seconds, "not checked");
	g = group_of(h, "leader", false, true);
	set_group(v, VERIFY_ELECTION, &g, seconds, "not checked");
	replicas(h, seconds, v);
	endpoints(in, seconds, v);
	if (rw.n == 0 || ro.n == 0)
		set(v, VERIFY_PORTS, false, seconds,
		    "no router to check: give --router-rw and --router-ro (the endpoints)");
	else if (rw.bad || ro.bad)
		set_group(v, VERIFY_PORTS, rw.bad ? &rw : &ro, seconds, "not checked");
	else
		set(v, VERIFY_PORTS, true, seconds, "%s; %s", rw.first, ro.first);
	g = group_of(h, "pooler", true, true); /* "pooler X" and "poolers" (none: WARN) */
	set_group(v, VERIFY_POOLERS, &g, seconds, "no member publishes a pooler");
	if (g.n > 0 && g.bad == 0)
		set(v, VERIFY_POOLERS, true, seconds,
		    "%d of %d members: a query through each "
		    "member's PgBouncer lands on that member",
		    g.n, in->view_ok ? in->view->n_members : g.n);
}

void ops_verify_replay(bool ok, double seconds, const char *detail, struct ops_verify *v)
{
	struct ops_verify_row *r = &v->rows[VERIFY_REPLICATION];
	char first[OPS_DETAIL_LEN];

	if (r->done && r->status == OPS_FAIL)
		return; /* a replica not streaming says more than the row that did not arrive */
	snprintf(first, sizeof(first), "%s", r->done ? r->detail : "");
	set(v, VERIFY_REPLICATION, ok, seconds, "%s%s%s", detail, first[0] ? "; " : "", first);
}

void ops_verify_from_chaos(const struct chaos_result *r, struct ops_verify *v)
{
	bool failed_over = r->t0_us > 0 && r->new_leader[0] && !str_eq(r->new_leader, r->victim);

	if (!failed_over)
		set(v, VERIFY_FAILOVER, false, r->downtime_s,
		    r->t0_us > 0 ? "%s lost, but no other member leads" : "the fault never ran%s",
		    r->t0_us > 0 ? r->victim : "");
	else if (r->downtime_s < 0)
		set(v, VERIFY_FAILOVER, false, -1, "%s leads, but no write was acknowledged after",
		    r->new_leader);
	else
		set(v, VERIFY_FAILOVER, true, r->downtime_s,
		    "%s's host lost: %s leads; writes paused %.2f s", r->victim, r->new_leader,
		    r->downtime_s);
	if (r->t0_us == 0 || !r->verified)
		set(v, VERIFY_NO_LOSS, false, -1, "the acknowledged writes could not be checked");
	else
		set(v, VERIFY_NO_LOSS, r->lost_acked == 0 && r->acked > 0 && !r->split_brain, -1,
		    "%lld acknowledged write%s, %lld missing on %s%s", (long long)r->acked,
		    r->acked == 1 ? "" : "s", (long long)r->lost_acked, r->new_leader,
		    r->split_brain ? "; two writable primaries at once" : "");
	if (r->rejoined)
		set(v, VERIFY_REJOIN, true, r->rejoin_s, "%s back as a replica%s", r->victim,
		    r->rewound ? " via pg_rewind" : " (no pg_rewind needed)");
	else
		set(v, VERIFY_REJOIN, false, -1, "%s did not rejoin",
		    r->t0_us ? r->victim : "the victim");
}

void ops_verify_skip_failover(struct ops_verify *v, const char *why)
{
	set(v, VERIFY_FAILOVER, false, -1, "%s", why);
	set(v, VERIFY_NO_LOSS, false, -1, "%s", why);
	set(v, VERIFY_REJOIN, false, -1, "%s", why);
}

int ops_verify_passed(const struct ops_verify *v)
{
	int n = 0;

	for (int i = 0; i < VERIFY__COUNT; i++)
		n += v->rows[i].done && v->rows[i].status == OPS_PASS;
	return n;
}

static const char *row_status(const struct ops_verify_row *r)
{
	return r->done ? ops_status_str(r->status) : "FAIL";
}

void ops_verify_text(const struct ops_verify *v, struct buf *out)
{
	int passed = ops_verify_passed(v);

	for (int i = 0; i < VERIFY__COUNT; i++) {
		const struct ops_verify_row *r = &v->rows[i];

		buf_printf(out, "%d  %-4s  %-27s ", i + 1, row_status(r), names[i]);
		if (r->done && r->seconds >= 0)
			buf_printf(out, "%7.2f s  ", r->seconds);
		else
			buf_puts(out, "      -    ");
		buf_printf(out, "%s\n", r->done ? r->detail : "not run");
	}
	buf_printf(out, "%d of %d checks passed: %s\n", passed, VERIFY__COUNT,
	           passed == VERIFY__COUNT ? "the cluster does what it is for"
	                                   : "the cluster FAILED verification");
}

json_t *ops_verify_json(const struct ops_verify *v)
{
	json_t *checks = json_array();
	int passed = ops_verify_passed(v);

	for (int i = 0; i < VERIFY__COUNT; i++) {
		const struct ops_verify_row *r = &v->rows[i];
		json_t *s = r->done && r->seconds >= 0
		                ? json_real((double)llround(r->seconds * 1000.0) / 1000.0)
		                : json_null();

		json_array_append_new(checks, json_pack("{s:s, s:s, s:o, s:s}", "name", names[i],
		                                        "status", row_status(r), "seconds", s,
		                                        "detail", r->done ? r->detail : "not run"));
	}
	return json_pack("{s:b, s:i, s:i, s:o}", "passed", passed == VERIFY__COUNT, "passed_checks",
	                 passed, "checks_total", VERIFY__COUNT, "checks", checks);
}
