/*
 * cmd_config.c: `pgha pause`, `pgha resume`, `pgha show-config` and `pgha history`:
 * maintenance mode (ops_pause.h), and the config and history keys as read from etcd.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/ops_config.h"
#include "cli/ops_ctx.h"
#include "cli/ops_history.h"
#include "cli/ops_pause.h"
#include "util/strutil.h"

#define PAUSE_WAIT_S 30

/* --- pause / resume ---------------------------------------------------------------------- */

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
	rc = ops_pause(ctx, v, pause);
	if (rc == EXIT_OK && a->wait)
		rc = ops_pause_wait(ctx, v, pause, a->timeout_s > 0 ? a->timeout_s : PAUSE_WAIT_S);
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
