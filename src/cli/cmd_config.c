/*
 * cmd_config.c: `pgha pause`, `pgha resume`, `pgha show-config` and `pgha history`:
 * maintenance mode through the agents' PATCH /config (leader first, then any member
 * that answers, as patronictl does), and the config and history keys as read from etcd.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/ops_config.h"
#include "cli/ops_ctx.h"
#include "cli/ops_history.h"
#include "client/client_rest.h"
#include "util/clock.h"
#include "util/strutil.h"

#define PATCH_TIMEOUT_MS 10000
#define PAUSE_POLL_MS    250
#define PAUSE_WAIT_S     30

/* --- pause / resume ---------------------------------------------------------------------- */

/* patch_pause: PATCH /config on the leader, else on each member until one answers. */
static int patch_pause(const struct ops_ctx *ctx, const struct dcs_view *v, bool pause)
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

static bool all_report(const struct dcs_view *before, const struct dcs_view *now, bool pause)
{
	for (int i = 0; i < before->n_members; i++) {
		const struct dcs_member *m = dcs_view_member(now, before->members[i].name);

		if (m != NULL && m->pause != pause)
			return false;
	}
	return true;
}

/* wait_pause: until every member that was there reports the new state in its key. */
static int wait_pause(const struct ops_ctx *ctx, const struct dcs_view *before, bool pause,
                      int timeout_s)
{
	int64_t deadline = clock_now_ms() + 1000LL * timeout_s;

	printf("'%s' request sent, waiting until it is recognized by all nodes\n",
	       pause ? "pause" : "resume");
	fflush(stdout);
	while (clock_now_ms() < deadline) {
		struct dcs_view v;
		bool done;

		clock_sleep_ms(PAUSE_POLL_MS);
		if (!client_read_view(&ctx->client, 1500, &v))
			continue;
		done = all_report(before, &v, pause);
		dcs_view_free(&v);
		if (done)
			return EXIT_OK;
	}
	printf("Failed: not every member recognized the %s state after %d seconds\n",
	       pause ? "pause" : "resume", timeout_s);
	return EXIT_FAILED;
}

static int toggle_pause(const struct ops_ctx *ctx, const struct ops_args *a,
                        const struct dcs_view *v)
{
	bool pause = a->cmd == OPS_PAUSE;
	int rc;

	if (client_paused(v) == pause) {
		fprintf(stderr, "pgha %s: the cluster is %s paused\n", ctx->cmd,
		        pause ? "already" : "not");
		return EXIT_FAILED;
	}
	rc = patch_pause(ctx, v, pause);
	if (rc == EXIT_OK && a->wait)
		rc = wait_pause(ctx, v, pause, a->timeout_s > 0 ? a->timeout_s : PAUSE_WAIT_S);
	if (rc == EXIT_OK)
		printf("Success: cluster management is %s\n", pause ? "paused" : "resumed");
	return rc;
}

int cmd_pause(int argc, char **argv)
{
	return ops_run(OPS_PAUSE, argc, argv, toggle_pause);
}

int cmd_resume(int argc, char **argv)
{
	return ops_run(OPS_RESUME, argc, argv, toggle_pause);
}

/* --- show-config and history ---------------------------------------------------------------- */

static void print_json(json_t *j)
{
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	printf("%s\n", text ? text : "null");
	free(text);
}

static int show_config(const struct ops_ctx *ctx, const struct ops_args *a,
                       const struct dcs_view *v)
{
	json_t *cfg = v->config_json ? json_loads(v->config_json, 0, NULL) : NULL;
	struct buf yaml;
	char err[256];
	bool ok = true;

	if (!json_is_object(cfg)) {
		fprintf(stderr, "pgha %s: the cluster has %s configuration in etcd\n", ctx->cmd,
		        v->config_json ? "an unreadable" : "no");
		json_decref(cfg);
		return EXIT_FAILED;
	}
	buf_init(&yaml);
	if (a->target.json)
		print_json(cfg);
	else if ((ok = ops_config_yaml(cfg, &yaml, err, sizeof(err))))
		fputs(yaml.data, stdout);
	else
		fprintf(stderr, "pgha %s: %s\n", ctx->cmd, err);
	buf_free(&yaml);
	json_decref(cfg);
	return ok ? EXIT_OK : EXIT_FAILED;
}

static int show_history(const struct ops_ctx *ctx, const struct ops_args *a,
                        const struct dcs_view *v)
{
	char err[256];
	json_t *h = ops_history_json(v->history_json, err, sizeof(err));
	struct buf table;

	if (h == NULL) {
		fprintf(stderr, "pgha %s: %s\n", ctx->cmd, err);
		return EXIT_FAILED;
	}
	if (a->target.json) {
		print_json(h);
	} else {
		buf_init(&table);
		ops_history_table(h, &table);
		fputs(table.data, stdout);
		buf_free(&table);
	}
	json_decref(h);
	return EXIT_OK;
}

static int show(const struct ops_ctx *ctx, const struct ops_args *a, const struct dcs_view *v)
{
	return a->cmd == OPS_HISTORY ? show_history(ctx, a, v) : show_config(ctx, a, v);
}

int cmd_show_config(int argc, char **argv)
{
	return ops_run(OPS_SHOW_CONFIG, argc, argv, show);
}

int cmd_history(int argc, char **argv)
{
	return ops_run(OPS_HISTORY, argc, argv, show);
}
