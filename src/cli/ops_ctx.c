/*
 * ops_ctx.c: target, credentials, reads, prompts and the members listing of the
 * commands that talk to a cluster.
 */
#include "cli/ops_ctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "client/client_members.h"
#include "util/clock.h"
#include "client/client_rest.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define READ_TIMEOUT_MS 1500 /* per etcd endpoint tried */

/* from_config: etcd3 hosts, scope, namespace and credentials of an agent configuration. */
static bool from_config(const char *path, struct client *c, char *err, size_t errlen)
{
	struct config_msgs errors = {0};
	struct config *cfg = xcalloc(1, sizeof(*cfg)); /* large: keep it off the stack */
	struct client_creds *cr = &c->creds;

	if (!config_load(path, cfg, &errors, NULL)) {
		snprintf(err, errlen, "%s",
		         errors.n > 0 ? errors.items[0] : "invalid configuration");
		free(cfg);
		return false;
	}
	snprintf(c->scope, sizeof(c->scope), "%s", cfg->scope);
	snprintf(c->namespace_, sizeof(c->namespace_), "%s", cfg->namespace_);
	for (int i = 0; i < cfg->etcd.n_hosts && i < CLIENT_MAX_ETCD; i++)
		snprintf(c->etcd[i], sizeof(c->etcd[i]), "%s://%s", cfg->etcd.protocol,
		         cfg->etcd.hosts[i]);
	c->n_etcd = MIN(cfg->etcd.n_hosts, CLIENT_MAX_ETCD);
	c->etcd_tls = cfg->etcd.tls;
	c->rest_tls = cfg->ctl.tls;
	/* The tools' sessions are the superuser's, with its TLS settings. */
	snprintf(c->pg_sslmode, sizeof(c->pg_sslmode), "%s", cfg->postgresql.superuser.sslmode);
	snprintf(c->pg_sslrootcert, sizeof(c->pg_sslrootcert), "%s",
	         cfg->postgresql.superuser.sslrootcert);
	/* ctl.authentication, which falls back on restapi.authentication (config_tls.c) */
	snprintf(cr->rest_user, sizeof(cr->rest_user), "%s", cfg->ctl.username);
	snprintf(cr->rest_password, sizeof(cr->rest_password), "%s", cfg->ctl.password);
	snprintf(cr->etcd_user, sizeof(cr->etcd_user), "%s", cfg->etcd.username);
	snprintf(cr->etcd_password, sizeof(cr->etcd_password), "%s", cfg->etcd.password);
	snprintf(cr->pg_user, sizeof(cr->pg_user), "%s", cfg->postgresql.superuser.username);
	snprintf(cr->pg_password, sizeof(cr->pg_password), "%s",
	         cfg->postgresql.superuser.password);
	snprintf(cr->note, sizeof(cr->note), "ctl or restapi.authentication of %.200s%s", path,
	         cfg->ctl.username[0] ? "" : " (not set)");
	config_free(cfg);
	free(cfg);
	if (c->n_etcd == 0)
		snprintf(err, errlen, "%s: no etcd3 hosts configured", path);
	return c->n_etcd > 0;
}

bool ops_ctx_open(const char *cmd, const struct cli_target_args *a, struct ops_ctx *ctx, char *err,
                  size_t errlen)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->cmd = cmd;
	if (a->config != NULL) {
		if (!from_config(a->config, &ctx->client, err, errlen))
			return false;
	} else {
		if (!lab_cluster_load(a->dir ? a->dir : LAB_DEFAULT_DIR, &ctx->lab, err, errlen))
			return false;
		ctx->is_lab = true;
		lab_client(&ctx->lab, &ctx->client);
	}
	client_creds_from_env(&ctx->client.creds);
	return true;
}

int ops_start(enum ops_cmd cmd, int argc, char **argv, struct ops_args *a, struct ops_ctx *ctx)
{
	char err[512];

	switch (ops_args_parse(cmd, argc, argv, a, err, sizeof(err))) {
	case CLI_PARSE_OK:
		break;
	case CLI_PARSE_HELP:
		fputs(ops_usage(cmd), stdout);
		return EXIT_OK;
	case CLI_PARSE_ERROR:
		fprintf(stderr, "pgha %s: %s\n\n%s", ops_cmd_name(cmd), err, ops_usage(cmd));
		return EXIT_USAGE;
	}
	if (!ops_ctx_open(ops_cmd_name(cmd), &a->target, ctx, err, sizeof(err))) {
		fprintf(stderr, "pgha %s: %s\n", ops_cmd_name(cmd), err);
		return EXIT_USAGE;
	}
	return -1;
}

int ops_run(enum ops_cmd cmd, int argc, char **argv, ops_view_fn *fn)
{
	struct ops_args a;
	struct ops_ctx *ctx = xcalloc(1, sizeof(*ctx)); /* large: keep it off the stack */
	struct dcs_view v;
	int rc = ops_start(cmd, argc, argv, &a, ctx);

	if (rc < 0 && !ops_read_view(ctx, &v))
		rc = EXIT_UNAVAIL;
	if (rc < 0) {
		rc = fn(ctx, &a, &v);
		dcs_view_free(&v);
	}
	free(ctx);
	return rc;
}

/* unreachable: "pgha WHO: cannot reach etcd (...) to read cluster "scope"" on stderr. */
static void unreachable(const char *who, const struct client *c)
{
	struct buf msg;

	buf_init(&msg);
	client_unreachable(c, &msg);
	fprintf(stderr, "pgha%s%s: %s\n", who[0] ? " " : "", who, msg.data);
	buf_free(&msg);
}

struct dcs *ops_dcs_open(const struct ops_ctx *ctx, bool watch)
{
	return client_dcs_open(&ctx->client, READ_TIMEOUT_MS, watch);
}

bool ops_read_view(const struct ops_ctx *ctx, struct dcs_view *v)
{
	if (client_read_view(&ctx->client, READ_TIMEOUT_MS, v))
		return true;
	unreachable(ctx->cmd, &ctx->client);
	return false;
}

bool ops_wait_view(const struct ops_ctx *ctx, int64_t deadline_ms, int poll_ms, ops_view_cond *done,
                   const void *arg)
{
	while (clock_now_ms() < deadline_ms) {
		struct dcs_view v;
		bool ok;

		clock_sleep_ms(poll_ms);
		if (!client_read_view(&ctx->client, READ_TIMEOUT_MS, &v))
			continue;
		ok = done(&v, arg);
		dcs_view_free(&v);
		if (ok)
			return true;
	}
	return false;
}

void ops_auth_hint(const struct ops_ctx *ctx)
{
	fprintf(stderr,
	        "pgha %s: the REST API refused our credentials (%s); set PGHA_REST_USER and "
	        "PGHA_REST_PASSWORD to restapi.authentication's\n",
	        ctx->cmd, ctx->client.creds.note[0] ? ctx->client.creds.note : "none configured");
}

enum ops_confirm ops_confirm(const struct ops_ctx *ctx, const char *question, bool force)
{
	char line[64];

	if (force)
		return OPS_CONFIRM_YES;
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr,
		        "pgha %s: not asking \"%s\": stdin is not a terminal; add --force to go "
		        "ahead without confirmation\n",
		        ctx->cmd, question);
		return OPS_CONFIRM_NO_TTY;
	}
	printf("%s [y/N]: ", question);
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return OPS_CONFIRM_NO;
	str_trim(line);
	return str_eq_nocase(line, "y") || str_eq_nocase(line, "yes") ? OPS_CONFIRM_YES
	                                                              : OPS_CONFIRM_NO;
}

/* print_table: the members table of v (of the cluster called scope) on stdout. */
static void print_table(const struct dcs_view *v, const char *scope)
{
	struct buf table;

	buf_init(&table);
	client_members_table(v, scope, &table);
	fputs(table.data, stdout);
	buf_free(&table);
	fflush(stdout);
}

void ops_print_members(const struct ops_ctx *ctx, const struct dcs_view *v)
{
	print_table(v, ctx->client.scope);
}

static void print_list_json(const struct client *c, const struct dcs_view *v,
                            const struct client_failsafe *fs)
{
	json_t *o = client_members_json(v, c, clock_wall_epoch_s() * 1000);
	char *text;

	json_object_set_new(o, "failsafe", client_failsafe_json(fs, v));
	text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", text ? text : "{}");
	fflush(stdout);
	free(text);
	json_decref(o);
}

int ops_list(const struct client *c, bool json)
{
	struct dcs_view v;
	struct client_failsafe fs;
	struct buf line;

	if (!client_read_view(c, READ_TIMEOUT_MS, &v)) {
		unreachable("", c);
		return EXIT_UNAVAIL;
	}
	client_failsafe_state(c, &v, READ_TIMEOUT_MS, &fs);
	if (json) {
		print_list_json(c, &v, &fs);
	} else {
		print_table(&v, c->scope);
		buf_init(&line);
		client_failsafe_line(&fs, &line);
		fputs(line.data, stdout);
		fflush(stdout);
		buf_free(&line);
	}
	dcs_view_free(&v);
	return EXIT_OK;
}
