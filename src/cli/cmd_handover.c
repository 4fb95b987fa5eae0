/*
 * cmd_handover.c: `pgha switchover` and `pgha failover`: hand the leader role over,
 * as patronictl does: show the members, check the request, ask (unless --force), POST
 * to the leader's REST API, print its reply and the members again. The agents do the
 * work (ha/agent_ops.c): the leader's agent answers once the new leader holds the key.
 * When that REST API cannot be reached at all, the request goes into the failover key
 * instead, which the leader's HA loop (or the race, if the leader is gone) carries out:
 * patronictl's "falling back to DCS".
 */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/ops_ctx.h"
#include "cli/ops_plan.h"
#include "client/client_handover.h"
#include "dcs/dcs.h"
#include "ha/ha_decide.h"
#include "util/clock.h"
#include "util/xalloc.h"

#define DCS_POLL_MS 200 /* how often the fallback looks for the new leader */

static enum ops_confirm ask(const struct ops_ctx *ctx, const struct ops_args *a,
                            const struct client_handover *h)
{
	char demote[DCS_NAME_LEN + 40] = "";
	char *q;
	enum ops_confirm answer;

	if (h->leader[0])
		snprintf(demote, sizeof(demote), ", demoting current leader %s", h->leader);
	if (h->scheduled_at[0])
		q = xasprintf("Are you sure you want to schedule %s of cluster %s at %s%s?",
		              h->action, ctx->client.scope, h->scheduled_at, demote);
	else
		q = xasprintf("Are you sure you want to %s cluster %s%s?", h->action,
		              ctx->client.scope, demote);
	answer = ops_confirm(ctx, q, a->force);
	free(q);
	return answer;
}

/*
 * await_dcs: waits for the agents to carry out the request written to the failover key:
 * done when the leader moved; failed when the key was cleared without that (the agents
 * found nobody to hand over to) or nothing happened in time.
 */
static int await_dcs(const struct ops_ctx *ctx, const struct client_handover *h, int wait_ms)
{
	int64_t deadline = clock_now_ms() + wait_ms;
	struct dcs_view v;

	while (clock_now_ms() < deadline) {
		if (ops_read_view(ctx, &v)) {
			bool done = ha_handover_done(&v, h->leader, h->candidate),
			     dropped = !done && !v.failover.present;

			if (done)
				printf("%s is the new leader\n", v.leader);
			dcs_view_free(&v);
			if (done || dropped) {
				if (dropped)
					fprintf(stderr,
					        "pgha %s: the agents cleared the request "
					        "without a new leader (no eligible candidate?)\n",
					        ctx->cmd);
				return done ? EXIT_OK : EXIT_FAILED;
			}
		}
		clock_sleep_ms(DCS_POLL_MS);
	}
	fprintf(stderr,
	        "pgha %s: no new leader within %d s; the request stays in the failover "
	        "key for the agents\n",
	        ctx->cmd, wait_ms / 1000);
	return EXIT_FAILED;
}

/* fall_back_to_dcs: the REST API could not be reached: ask through the failover key. */
static int fall_back_to_dcs(const struct ops_ctx *ctx, const struct dcs_view *v,
                            const struct client_handover *h, const char *why)
{
	struct dcs *d = ops_dcs_open(ctx, false);
	bool written = d && dcs_failover_write(d, h->leader, h->candidate, h->scheduled_at);
	char when[40];

	dcs_close(d);
	clock_wall_iso8601(when, sizeof(when));
	if (!written) {
		fprintf(stderr,
		        "pgha %s: %s's REST API did not answer (%s), and writing the "
		        "failover key to etcd failed too\n",
		        ctx->cmd, h->target, why);
		return EXIT_UNAVAIL;
	}
	printf("%s Could not %s using %s's REST API (%s), falling back to DCS\n", when, h->action,
	       h->target, why);
	if (h->scheduled_at[0])
		return EXIT_OK; /* the leader's agent carries it out when it is due */
	return await_dcs(ctx, h, client_handover_wait_ms(v));
}

/* post: sends the request; returns the exit status. */
static int post(const struct ops_ctx *ctx, const struct dcs_view *v,
                const struct client_handover *h)
{
	char err[256];
	char when[40];
	struct buf reply;
	long code;

	buf_init(&reply);
	code = client_handover_send(&ctx->client, v, h, &reply, err, sizeof(err));
	if (code == HTTP_UNSENT) {
		buf_free(&reply);
		return fall_back_to_dcs(ctx, v, h, err);
	}
	clock_wall_iso8601(when, sizeof(when));
	if (code == 200 || code == 202)
		printf("%s %s\n", when, reply.data);
	else if (code == 0)
		fprintf(stderr, "pgha %s: %s's REST API did not answer: %s\n", ctx->cmd, h->target,
		        err);
	else
		fprintf(stderr, "pgha %s: %s failed, details: %ld, %s\n", ctx->cmd, h->action, code,
		        reply.data);
	if (code == 401)
		ops_auth_hint(ctx);
	buf_free(&reply);
	if (code == 200 || code == 202)
		return EXIT_OK;
	return code == 0 ? EXIT_UNAVAIL : EXIT_FAILED;
}

/* plan: the request from the options and v; false (printed) if it cannot be asked. */
static bool plan(const struct ops_ctx *ctx, const struct ops_args *a, const struct dcs_view *v,
                 struct client_handover *h)
{
	char iso[OPS_ISO_LEN] = "";
	char err[256];
	struct client_handover_req req = {.failover = a->cmd == OPS_FAILOVER,
	                                  .leader = a->leader,
	                                  .candidate = a->candidate,
	                                  .scheduled_iso = iso};

	if (a->scheduled && !ops_schedule_iso(a->scheduled, iso, sizeof(iso), err, sizeof(err))) {
		fprintf(stderr, "pgha %s: %s\n", ctx->cmd, err);
		return false;
	}
	if (iso[0] && client_paused(v)) {
		fprintf(stderr, "pgha %s: can't schedule a switchover in the paused state\n",
		        ctx->cmd);
		return false;
	}
	if (!client_plan_handover(&req, v, h, err, sizeof(err))) {
		fprintf(stderr, "pgha %s: %s\n", ctx->cmd, err);
		return false;
	}
	if (h->sync_wait_s > 0)
		printf(
		    "Note: the sync key names no synchronous standby yet (a new leader names one "
		    "once a standby has caught up with it); %s waits up to %d s for one %s.\n",
		    h->target, h->sync_wait_s,
		    h->scheduled_at[0] ? "when the switchover is due" : "before handing over");
	return true;
}

static void print_after(const struct ops_ctx *ctx)
{
	struct dcs_view v;

	if (!ops_read_view(ctx, &v))
		return;
	ops_print_members(ctx, &v);
	dcs_view_free(&v);
}

static int handover(const struct ops_ctx *ctx, const struct ops_args *a, const struct dcs_view *v)
{
	struct client_handover h;
	int rc = EXIT_FAILED;

	printf("Current cluster topology\n");
	ops_print_members(ctx, v);
	if (!plan(ctx, a, v, &h))
		return EXIT_FAILED;
	switch (ask(ctx, a, &h)) {
	case OPS_CONFIRM_YES:
		rc = post(ctx, v, &h);
		break;
	case OPS_CONFIRM_NO:
		fprintf(stderr, "pgha %s: aborted\n", ctx->cmd);
		rc = EXIT_FAILED;
		break;
	case OPS_CONFIRM_NO_TTY:
		rc = EXIT_USAGE;
		break;
	}
	client_handover_free(&h);
	if (rc == EXIT_OK)
		print_after(ctx);
	return rc;
}

int cmd_switchover(int argc, char **argv)
{
	return ops_run(OPS_SWITCHOVER, argc, argv, handover);
}

int cmd_failover(int argc, char **argv)
{
	return ops_run(OPS_FAILOVER, argc, argv, handover);
}
