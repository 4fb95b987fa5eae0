/*
 * ops_ctx.c: target, credentials, REST calls and prompts of the operations commands.
 */
#include "cli/ops_ctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/ops_http.h"
#include "config/config.h"
#include "lab/lab_members.h"
#include "lab/lab_secrets.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define READ_TIMEOUT_MS 1500 /* per etcd endpoint tried */

/* --- credentials ----------------------------------------------------------------------- */

static void creds_from_lab(const struct lab_cluster *c, struct ops_creds *cr)
{
	struct lab_secrets s;
	char dir[PATH_MAX];
	char err[256];

	if (!lab_path(c, "secrets", dir, sizeof(dir)) ||
	    !lab_secrets_load(&s, dir, err, sizeof(err))) {
		snprintf(cr->note, sizeof(cr->note), "the lab's secrets could not be read (%.200s)",
		         err);
		return;
	}
	snprintf(cr->rest_user, sizeof(cr->rest_user), "%s", LAB_RESTAPI_USER);
	snprintf(cr->rest_password, sizeof(cr->rest_password), "%s", s.restapi);
	snprintf(cr->pg_user, sizeof(cr->pg_user), "%s", LAB_SUPERUSER);
	snprintf(cr->pg_password, sizeof(cr->pg_password), "%s", s.superuser);
	snprintf(cr->note, sizeof(cr->note), "credentials from %.200s", dir);
	memset(&s, 0, sizeof(s));
}

static void creds_from_config(const char *path, struct ops_creds *cr)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg)); /* large: keep it off the stack */
	struct config_msgs errors = {0};

	if (!config_load(path, cfg, &errors, NULL)) {
		snprintf(cr->note, sizeof(cr->note), "%.200s could not be read", path);
		free(cfg);
		return;
	}
	snprintf(cr->rest_user, sizeof(cr->rest_user), "%s", cfg->restapi.username);
	snprintf(cr->rest_password, sizeof(cr->rest_password), "%s", cfg->restapi.password);
	snprintf(cr->pg_user, sizeof(cr->pg_user), "%s", cfg->postgresql.superuser.username);
	snprintf(cr->pg_password, sizeof(cr->pg_password), "%s",
	         cfg->postgresql.superuser.password);
	snprintf(cr->note, sizeof(cr->note), "restapi.authentication of %.200s%s", path,
	         cfg->restapi.username[0] ? "" : " (not set)");
	config_free(cfg);
	free(cfg);
}

static void creds_from_env(struct ops_creds *cr)
{
	const char *user = getenv("PGHA_REST_USER");
	const char *password = getenv("PGHA_REST_PASSWORD");

	if (user != NULL)
		snprintf(cr->rest_user, sizeof(cr->rest_user), "%s", user);
	if (password != NULL)
		snprintf(cr->rest_password, sizeof(cr->rest_password), "%s", password);
	if (user != NULL || password != NULL)
		snprintf(cr->note, sizeof(cr->note), "PGHA_REST_USER / PGHA_REST_PASSWORD");
}

bool ops_ctx_open(const char *cmd, const struct cli_target_args *a, struct ops_ctx *ctx, char *err,
                  size_t errlen)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->cmd = cmd;
	if (!cli_target_resolve(a, &ctx->target, err, errlen))
		return false;
	if (ctx->target.dir[0] != '\0') {
		if (!lab_cluster_load(ctx->target.dir, &ctx->lab, err, errlen))
			return false;
		ctx->is_lab = true;
		creds_from_lab(&ctx->lab, &ctx->creds);
	} else {
		creds_from_config(a->config, &ctx->creds);
	}
	creds_from_env(&ctx->creds);
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

/* --- etcd ---------------------------------------------------------------------------- */

struct dcs *ops_dcs_open(const struct ops_ctx *ctx, bool watch)
{
	const char *eps[CLI_MAX_ETCD + 1];
	struct dcs_options o = {.endpoints = eps,
	                        .namespace_ = ctx->target.namespace_,
	                        .scope = ctx->target.scope,
	                        .request_timeout_ms = READ_TIMEOUT_MS,
	                        .watch = watch};

	for (int i = 0; i < ctx->target.n_etcd; i++)
		eps[i] = ctx->target.etcd[i];
	eps[ctx->target.n_etcd] = NULL;
	return dcs_open(&o);
}

bool ops_read_view(const struct ops_ctx *ctx, struct dcs_view *v)
{
	if (cli_target_read(&ctx->target, READ_TIMEOUT_MS, v))
		return true;
	fprintf(stderr, "pgha %s: cannot reach etcd (", ctx->cmd);
	for (int i = 0; i < ctx->target.n_etcd; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", ctx->target.etcd[i]);
	fprintf(stderr, ") to read cluster \"%s\"\n", ctx->target.scope);
	return false;
}

/* --- REST ------------------------------------------------------------------------------ */

bool ops_api_url(const char *api_url, const char *endpoint, char *out, size_t size)
{
	const char *host;
	size_t len;
	int n;

	if (str_has_prefix(api_url, "http://"))
		host = api_url + strlen("http://");
	else if (str_has_prefix(api_url, "https://"))
		host = api_url + strlen("https://");
	else
		return false;
	len = strcspn(host, "/?#");
	if (len == 0)
		return false;
	n = snprintf(out, size, "%.*s/%s", (int)(host - api_url + (ptrdiff_t)len), api_url,
	             endpoint);
	return n > 0 && (size_t)n < size;
}

long ops_rest(const struct ops_ctx *ctx, const struct dcs_member *m, const char *method,
              const char *endpoint, const char *body, int timeout_ms, struct buf *reply, char *err,
              size_t errlen)
{
	char url[CLI_URL_LEN + 64];
	struct ops_http_req req = {.method = method,
	                           .url = url,
	                           .body = body,
	                           .user = ctx->creds.rest_user,
	                           .password = ctx->creds.rest_password,
	                           .timeout_ms = timeout_ms};
	long status;

	if (!ops_api_url(m->api_url, endpoint, url, sizeof(url))) {
		snprintf(err, errlen, "member %s has no usable api_url ('%s')", m->name,
		         m->api_url);
		return OPS_HTTP_UNSENT;
	}
	if (!ops_http_do(&req, &status, reply, err, errlen))
		return status == OPS_HTTP_UNSENT ? OPS_HTTP_UNSENT : 0;
	return status;
}

void ops_auth_hint(const struct ops_ctx *ctx)
{
	fprintf(stderr,
	        "pgha %s: the REST API refused our credentials (%s); set PGHA_REST_USER and "
	        "PGHA_REST_PASSWORD to restapi.authentication's\n",
	        ctx->cmd, ctx->creds.note[0] ? ctx->creds.note : "none configured");
}

/* --- terminal ------------------------------------------------------------------------ */

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

void ops_print_members(const struct ops_ctx *ctx, const struct dcs_view *v)
{
	struct buf table;

	buf_init(&table);
	lab_members_table(v, ctx->target.scope, &table);
	fputs(table.data, stdout);
	buf_free(&table);
	fflush(stdout);
}
