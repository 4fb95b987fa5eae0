/*
 * cmd_node.c: `pgha restart NODE...` and `pgha reinit NODE...`: requests to the named
 * members' own REST APIs (POST /restart, POST /reinitialize), after confirmation, with
 * one "Success: ..." or "Failed: ..." line per member, as patronictl prints them.
 * reinit --wait then follows each member's GET /patroni until PostgreSQL runs again
 * from the new copy and streams.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/ops_ctx.h"
#include "cli/ops_plan.h"
#include "client/client_rest.h"
#include "util/clock.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define RESTART_DEFAULT_S  120 /* the agent's own bound when no --timeout is given */
#define REST_TIMEOUT_MS    10000
#define REINIT_WAIT_S      600
#define REINIT_POLL_MS     500
#define PATRONI_TIMEOUT_MS 2000

/* ask_members: "Are you sure you want to <verb> members a, b?" */
static enum ops_confirm ask_members(const struct ops_ctx *ctx, const struct ops_args *a,
                                    const char *verb)
{
	struct buf q;
	enum ops_confirm answer;

	buf_init(&q);
	buf_printf(&q, "Are you sure you want to %s members ", verb);
	for (int i = 0; i < a->n_nodes; i++)
		buf_printf(&q, "%s%s", i ? ", " : "", a->nodes[i]);
	buf_puts(&q, "?");
	answer = ops_confirm(ctx, q.data, a->force);
	buf_free(&q);
	return answer;
}

static int confirm_status(enum ops_confirm c, const struct ops_ctx *ctx)
{
	if (c == OPS_CONFIRM_NO)
		fprintf(stderr, "pgha %s: aborted\n", ctx->cmd);
	return c == OPS_CONFIRM_NO_TTY ? EXIT_USAGE : EXIT_FAILED;
}

/* --- restart ------------------------------------------------------------------------------ */

/*
 * post_member: POST endpoint on m with body, and patronictl's line about it: "Success:
 * restart on member m", "Failed: reinitialize for member m, status code=...". Returns
 * the HTTP status (0 or less when the agent did not answer).
 */
static long post_member(const struct ops_ctx *ctx, const struct dcs_member *m, const char *what,
                        const char *endpoint, const char *body, int timeout_ms)
{
	bool restart = str_eq(what, "restart");
	struct buf reply;
	char err[256];
	long code;

	buf_init(&reply);
	code = client_rest(&ctx->client, m, "POST", endpoint, body, timeout_ms, &reply, err,
	                   sizeof(err));
	if (code == 200)
		printf("Success: %s %s member %s\n", what, restart ? "on" : "for", m->name);
	else if (code == 202 && restart)
		printf("Success: restart scheduled on member %s\n", m->name);
	else if (code == 409 && restart)
		printf("Failed: another restart is already scheduled on member %s\n", m->name);
	else if (code <= 0)
		printf("Failed: %s for member %s, its REST API did not answer (%s)\n", what,
		       m->name, err);
	else
		printf("Failed: %s for member %s, status code=%ld, (%s)\n", what, m->name, code,
		       reply.data);
	if (code == 401)
		ops_auth_hint(ctx);
	buf_free(&reply);
	fflush(stdout);
	return code;
}

static bool restart_one(const struct ops_ctx *ctx, const struct dcs_member *m, const char *body,
                        int timeout_ms)
{
	long code = post_member(ctx, m, "restart", "restart", body, timeout_ms);

	return code == 200 || code == 202;
}

static int do_restart(const struct ops_ctx *ctx, const struct ops_args *a, const struct dcs_view *v)
{
	char iso[OPS_ISO_LEN] = "";
	char err[256];
	char *body;
	int failed = 0;
	int timeout_ms = 1000 * ((a->timeout_s > 0 ? a->timeout_s : RESTART_DEFAULT_S) + 30);
	enum ops_confirm c;

	if (a->scheduled && !ops_schedule_iso(a->scheduled, iso, sizeof(iso), err, sizeof(err))) {
		fprintf(stderr, "pgha restart: %s\n", err);
		return EXIT_FAILED;
	}
	body = ops_restart_body(a, iso, client_paused(v), err, sizeof(err));
	if (body == NULL) {
		fprintf(stderr, "pgha restart: %s\n", err);
		return EXIT_FAILED;
	}
	c = ask_members(ctx, a, "restart");
	for (int i = 0; c == OPS_CONFIRM_YES && i < a->n_nodes; i++)
		failed += !restart_one(ctx, dcs_view_member(v, a->nodes[i]), body, timeout_ms);
	free(body);
	if (c != OPS_CONFIRM_YES)
		return confirm_status(c, ctx);
	return failed ? EXIT_FAILED : EXIT_OK;
}

/* --- reinit --------------------------------------------------------------------------------- */

/* jstr: the string member key of o, or "". */
static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* patroni_state: GET /patroni's state, postmaster_start_time and replication_state. */
static bool patroni_state(const struct ops_ctx *ctx, const struct dcs_member *m, char *state,
                          char *start_time, char *repl, size_t size)
{
	struct buf reply;
	char err[256];
	json_t *j;
	long code;

	buf_init(&reply);
	code = client_rest(&ctx->client, m, "GET", "patroni", NULL, PATRONI_TIMEOUT_MS, &reply, err,
	                   sizeof(err));
	j = code == 200 ? json_loads(reply.data, 0, NULL) : NULL;
	buf_free(&reply);
	if (j == NULL)
		return false;
	snprintf(state, size, "%s", jstr(j, "state"));
	snprintf(start_time, size, "%s", jstr(j, "postmaster_start_time"));
	snprintf(repl, size, "%s", jstr(j, "replication_state"));
	json_decref(j);
	return true;
}

/* wait_reinit: until PostgreSQL started after `before` runs and streams, or timeout. */
static bool wait_reinit(const struct ops_ctx *ctx, const struct dcs_member *m, const char *before,
                        int timeout_s)
{
	int64_t deadline = clock_now_ms() + 1000LL * timeout_s;
	char state[64];
	char start[64];
	char repl[64];

	printf("Waiting for reinitialize to complete on: %s\n", m->name);
	fflush(stdout);
	while (clock_now_ms() < deadline) {
		clock_sleep_ms(REINIT_POLL_MS);
		if (!patroni_state(ctx, m, state, start, repl, sizeof(state)))
			continue;
		if (!str_eq(start, before) && str_eq(state, "running") &&
		    str_eq(repl, "streaming")) {
			printf("Reinitialize is completed on: %s\n", m->name);
			return true;
		}
	}
	printf("Failed: %s did not stream again within %d s (state '%s')\n", m->name, timeout_s,
	       state);
	return false;
}

static bool reinit_one(const struct ops_ctx *ctx, const struct ops_args *a,
                       const struct dcs_member *m)
{
	char before[64] = "";
	char scratch[64];
	bool ok;

	if (a->wait)
		(void)patroni_state(ctx, m, scratch, before, scratch, sizeof(before));
	ok = post_member(ctx, m, "reinitialize", "reinitialize",
	                 a->force ? "{\"force\":true}" : "{}", REST_TIMEOUT_MS) == 200;
	if (ok && a->wait)
		ok = wait_reinit(ctx, m, before, a->timeout_s > 0 ? a->timeout_s : REINIT_WAIT_S);
	return ok;
}

static int do_reinit(const struct ops_ctx *ctx, const struct ops_args *a, const struct dcs_view *v)
{
	enum ops_confirm c = ask_members(ctx, a, "reinitialize");
	int failed = 0;

	if (c != OPS_CONFIRM_YES)
		return confirm_status(c, ctx);
	for (int i = 0; i < a->n_nodes; i++)
		failed += !reinit_one(ctx, a, dcs_view_member(v, a->nodes[i]));
	return failed ? EXIT_FAILED : EXIT_OK;
}

/* --- entry points --------------------------------------------------------------------------- */

static int node_command(const struct ops_ctx *ctx, const struct ops_args *a,
                        const struct dcs_view *v)
{
	char err[256];

	if (!ops_plan_nodes(a, v, err, sizeof(err))) {
		fprintf(stderr, "pgha %s: %s\n", ctx->cmd, err);
		return EXIT_FAILED;
	}
	return a->cmd == OPS_RESTART ? do_restart(ctx, a, v) : do_reinit(ctx, a, v);
}

int cmd_restart(int argc, char **argv)
{
	return ops_run(OPS_RESTART, argc, argv, node_command);
}

int cmd_reinit(int argc, char **argv)
{
	return ops_run(OPS_REINIT, argc, argv, node_command);
}
