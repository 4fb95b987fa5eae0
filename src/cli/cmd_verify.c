/*
 * cmd_verify.c: `pgha verify`: the nine checks of ops_verify.h against a lab (--dir) or
 * any cluster (-c FILE, with --exec for the failover and --router-rw/--router-ro for the
 * endpoints). One pass of `pgha health`'s probes answers six of them; a row written on
 * the primary and read on every replica completes replication; a kill-primary run of
 * `pgha chaos` under a write load answers failover, zero data loss and the rejoin.
 *
 * The failover is real: the primary's host is lost and comes back. Progress goes to
 * stderr, the table (or --json) to stdout. Exit status 0 only when all nine pass.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "chaos/chaos_pq.h"
#include "chaos/chaos_run.h"
#include "chaos/chaos_target.h"
#include "cli/cli.h"
#include "cli/ops_ctx.h"
#include "cli/ops_probe.h"
#include "cli/ops_verify.h"
#include "log/log.h"
#include "util/clock.h"
#include "util/compiler.h"
#include "util/conninfo.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define REPLAY_WAIT_MS 10000 /* a committed row reaches every streaming replica within */
#define SETTLE_MS      15000 /* for a cluster to settle before its health is judged */
#define REPLAY_SQL_MS  5000
#define REPLAY_TABLE                                                                              \
	"CREATE TABLE IF NOT EXISTS pgha_verify (token text PRIMARY KEY, at timestamptz DEFAULT " \
	"now())"

struct verify_run {
	const struct ops_ctx *ctx;
	const struct ops_args *a;
	struct ops_health_obs obs;
	struct ops_health health;
	struct chaos_target t;
	struct ops_verify v;
	char rw[CHAOS_CONNINFO_LEN]; /* the writer's way in, from --router-rw */
};

static double since_s(int64_t start_ms)
{
	return (double)(clock_now_ms() - start_ms) / 1000.0;
}

/* sql: one statement on a new session to conninfo; its first value into out (if any). */
static bool sql(const char *conninfo, const char *stmt, const char *param, char *out, size_t outlen,
                char *err, size_t errlen)
{
	PGconn *c = chaos_pq_connect(conninfo, err, errlen);
	const char *params[1] = {param};
	bool ok = c && chaos_pq_exec(c, stmt, param ? 1 : 0, param ? params : NULL, REPLAY_SQL_MS,
	                             NULL, out, outlen, err, errlen) == CHAOS_PQ_OK;

	PQfinish(c);
	return ok;
}

/* replayed: every node but the leader has the row, read directly from its PostgreSQL. */
static bool replayed(const struct verify_run *r, const char *leader, const char *token,
                     char *missing, size_t len)
{
	char count[16];
	char err[256];

	for (int k = 0; k < r->t.n_nodes; k++) {
		const struct chaos_node *n = &r->t.nodes[k];

		if (str_eq(n->name, leader))
			continue;
		if (!sql(n->conninfo, "SELECT count(*) FROM pgha_verify WHERE token = $1", token,
		         count, sizeof(count), err, sizeof(err)) ||
		    !str_eq(count, "1")) {
			snprintf(missing, len, "%s", n->name);
			return false;
		}
	}
	return true;
}

/* replay: a row written on the leader, then waited for on every replica. */
static void replay(struct verify_run *r)
{
	const struct dcs_view *view = &r->obs.view;
	const struct chaos_node *l =
	    r->obs.in.view_ok && view->has_leader ? chaos_target_node(&r->t, view->leader) : NULL;
	char token[64];
	char err[256] = "";
	char missing[DCS_NAME_LEN] = "";
	int64_t start = clock_now_ms();
	bool ok;

	snprintf(token, sizeof(token), "verify-%" PRId64,
	         clock_wall_epoch_s() * 1000000 + clock_now_us() % 1000000);
	if (l == NULL || !sql(l->conninfo, REPLAY_TABLE, NULL, NULL, 0, err, sizeof(err)) ||
	    !sql(l->conninfo, "INSERT INTO pgha_verify (token) VALUES ($1)", token, NULL, 0, err,
	         sizeof(err))) {
		ops_verify_replay(false, since_s(start), l ? err : "no leader to write on", &r->v);
		return;
	}
	while (!(ok = replayed(r, l->name, token, missing, sizeof(missing))) &&
	       clock_now_ms() - start < REPLAY_WAIT_MS)
		clock_sleep_ms(50);
	if (ok)
		snprintf(err, sizeof(err),
		         "a row written on %s replayed on every replica in %.2f s", l->name,
		         since_s(start));
	else
		snprintf(err, sizeof(err), "a row written on %s is not on %s after %d s", l->name,
		         missing, REPLAY_WAIT_MS / 1000);
	ops_verify_replay(ok, since_s(start), err, &r->v);
}

/* writer_conninfo: the chaos writer's way in through --router-rw (HOST:PORT). */
static bool writer_conninfo(struct verify_run *r, char *err, size_t errlen)
{
	const struct client_creds *cr = &r->ctx->client.creds;
	char host[256];
	char port[16];
	int p;
	struct buf b;

	if (!str_split_hostport(r->a->router_rw, host, sizeof(host), &p)) {
		snprintf(err, errlen, "--router-rw: expected HOST:PORT, got '%s'", r->a->router_rw);
		return false;
	}
	snprintf(port, sizeof(port), "%d", p);
	buf_init(&b);
	conninfo_append(&b, "host", host);
	conninfo_append(&b, "port", port);
	conninfo_append(&b, "dbname", "postgres");
	conninfo_append(&b, "user", cr->pg_user[0] ? cr->pg_user : "postgres");
	if (cr->pg_password[0])
		conninfo_append(&b, "password", cr->pg_password);
	snprintf(r->rw, sizeof(r->rw), "%s", b.data);
	buf_free(&b);
	return true;
}

/* target: the cluster as chaos sees it: a lab, or the members read from etcd. */
static bool target(struct verify_run *r)
{
	const struct client *cl = &r->ctx->client;
	char err[512] = "cannot read the members from etcd";
	bool ok;

	if (r->ctx->is_lab)
		ok = chaos_target_from_lab(&r->ctx->lab, cl, NULL, &r->t, err, sizeof(err));
	else
		ok = r->obs.in.view_ok && writer_conninfo(r, err, sizeof(err)) &&
		     chaos_target_from_view(&r->obs.view, cl, r->rw, &r->t, err, sizeof(err));
	if (!ok)
		client_say("verify", "%s", err);
	return ok;
}

/* failover: kill-primary under a write load, as `pgha chaos` runs it. */
static void failover(struct verify_run *r)
{
	struct chaos_args ca = {.scenario = CHAOS_KILL_PRIMARY,
	                        .scenario_set = true,
	                        .exec = r->a->exec,
	                        .timeout_s =
	                            r->a->timeout_s ? r->a->timeout_s : CHAOS_DEFAULT_TIMEOUT_S};
	struct chaos_result res;

	client_say("verify", "failover: losing the primary's host under a write load (pgha "
	                     "chaos --scenario kill-primary)...");
	(void)chaos_run(&ca, &r->t, &res);
	ops_verify_from_chaos(&res, &r->v);
	chaos_result_free(&res);
}

static void print(const struct verify_run *r)
{
	struct buf out;

	if (r->a->target.json) {
		json_t *j = ops_verify_json(&r->v);
		char *text =
		    json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));

		printf("%s\n", text ? text : "{}");
		free(text);
		json_decref(j);
	} else {
		buf_init(&out);
		buf_printf(&out, "pgha verify: cluster \"%s\"\n", r->ctx->client.scope);
		ops_verify_text(&r->v, &out);
		fputs(out.data, stdout);
		buf_free(&out);
	}
	fflush(stdout);
}

/* health_ok: the six rows one health pass answers all passed. */
static bool health_ok(const struct ops_verify *v)
{
	static const enum ops_verify_check rows[] = {VERIFY_ETCD_QUORUM, VERIFY_ELECTION,
	                                             VERIFY_REPLICATION, VERIFY_HEALTH_ENDPOINTS,
	                                             VERIFY_PORTS,       VERIFY_POOLERS};

	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		if (v->rows[rows[i]].status != OPS_PASS)
			return false;
	}
	return true;
}

/*
 * observe: health passes until the six rows pass, or SETTLE_MS: a cluster just started
 * or just healed takes a moment to name its synchronous standby. The last pass counts.
 */
static void observe(struct verify_run *r)
{
	int64_t deadline = clock_now_ms() + SETTLE_MS;

	for (;;) {
		int64_t start = clock_now_ms();

		ops_health_obs_free(&r->obs);
		memset(&r->health, 0, sizeof(r->health));
		ops_health_observe(r->ctx, r->a, &r->obs);
		ops_health_eval(&r->obs.in, &r->health);
		ops_verify_from_health(&r->obs.in, &r->health, since_s(start), &r->v);
		if (health_ok(&r->v) || clock_now_ms() >= deadline)
			return;
		clock_sleep_ms(500);
	}
}

static void verify(struct verify_run *r)
{
	client_say("verify", "checking etcd, the members, the endpoints and the poolers...");
	observe(r);
	if (!target(r))
		return;
	replay(r);
	if (health_ok(&r->v)) {
		failover(r);
		return;
	}
	/* a failover proves nothing on a cluster that is already unwell, and risks it */
	client_say("verify", "not losing the primary of a cluster that fails the checks above");
	ops_verify_skip_failover(&r->v, "not run: the cluster failed the checks above");
}

int cmd_verify(int argc, char **argv)
{
	struct ops_args a;
	struct ops_ctx *ctx = xcalloc(1, sizeof(*ctx)); /* large: keep them off the stack */
	struct verify_run *r = xcalloc(1, sizeof(*r));
	int rc = ops_start(OPS_VERIFY, argc, argv, &a, ctx);

	if (rc < 0) {
		log_set_level(LOG_LEVEL_WARN); /* the DCS client's routine messages */
		r->ctx = ctx;
		r->a = &a;
		verify(r);
		print(r);
		rc = ops_verify_passed(&r->v) == VERIFY__COUNT ? EXIT_OK : EXIT_FAILED;
		ops_health_obs_free(&r->obs);
	}
	free(r);
	free(ctx);
	return rc;
}
