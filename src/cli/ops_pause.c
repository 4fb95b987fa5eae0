/*
 * ops_pause.c: maintenance mode through the agents' PATCH /config (see ops_pause.h).
 */
#include "cli/ops_pause.h"

#include <stdio.h>
#include "cli/cli.h"
#include "client/client_rest.h"
#include "util/clock.h"

#define PATCH_TIMEOUT_MS 10000
#define PAUSE_POLL_MS    250

int ops_pause(const struct ops_ctx *ctx, const struct dcs_view *v, bool pause)
{
	const struct dcs_member *order[DCS_MAX_MEMBERS];
	const struct dcs_member *leader = dcs_view_leader_member(v);
	const char *body = pause ? "{\"pause\":true}" : "{\"pause\":null}";
	const char *what = pause ? "pause" : "resume";
	int n = 0;

	if (leader)
		order[n++] = leader;
	for (int i = 0; i < v->n_members; i++)
		if (&v->members[i] != leader)
			order[n++] = &v->members[i];
	for (int i = 0; i < n; i++) {
		struct buf reply;
		char err[256];
		long code;

		buf_init(&reply);
		code = client_rest(&ctx->client, order[i], "PATCH", "config", body,
		                   PATCH_TIMEOUT_MS, &reply, err, sizeof(err));
		if (code <= 0)
			fprintf(stderr, "pgha %s: member %s is not accessible (%s)\n", what,
			        order[i]->name, err);
		else if (code != 200)
			printf("Failed: %s cluster management status code=%ld, (%s)\n", what, code,
			       reply.data);
		if (code == 401)
			ops_auth_hint(ctx);
		buf_free(&reply);
		if (code > 0)
			return code == 200 ? EXIT_OK : EXIT_FAILED;
	}
	fprintf(stderr, "pgha %s: cannot find an accessible cluster member\n", what);
	return EXIT_UNAVAIL;
}

/* all_report: every member of the view before (arg) reports the state in its key. */
struct reported {
	const struct dcs_view *before;
	bool pause;
};

static bool all_report(const struct dcs_view *now, const void *arg)
{
	const struct reported *r = arg;

	for (int i = 0; i < r->before->n_members; i++) {
		const struct dcs_member *m = dcs_view_member(now, r->before->members[i].name);

		if (m != NULL && m->pause != r->pause)
			return false;
	}
	return true;
}

int ops_pause_wait(const struct ops_ctx *ctx, const struct dcs_view *before, bool pause,
                   int timeout_s)
{
	struct reported r = {before, pause};

	printf("'%s' request sent, waiting until it is recognized by all nodes\n",
	       pause ? "pause" : "resume");
	fflush(stdout);
	if (ops_wait_view(ctx, clock_now_ms() + 1000LL * timeout_s, PAUSE_POLL_MS, all_report, &r))
		return EXIT_OK;
	printf("Failed: not every member recognized the %s state after %d seconds\n",
	       pause ? "pause" : "resume", timeout_s);
	return EXIT_FAILED;
}
