/*
 * cli_common.c: cluster targets (--dir / -c) and the members listing.
 */
#include "cli/cli_common.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "config/config.h"
#include "dcs/dcs.h"
#include "lab/lab_cluster.h"
#include "lab/lab_members.h"
#include "util/buf.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define READ_TIMEOUT_MS 1500 /* per etcd endpoint tried */

enum {
	OPT_DIR = 1000,
	OPT_JSON,
	OPT_HELP
};

static const struct option target_options[] = {
    {"dir", required_argument, NULL, OPT_DIR},
    {"config", required_argument, NULL, 'c'},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static enum cli_parse parse_error(char *err, size_t errlen, const char *fmt, const char *arg)
{
	snprintf(err, errlen, fmt, arg);
	return CLI_PARSE_ERROR;
}

enum cli_parse cli_parse_target_args(int argc, char **argv, struct cli_target_args *a, char *err,
                                     size_t errlen)
{
	int c;

	*a = (struct cli_target_args){0};
	optind = 0; /* a fresh scan, even if getopt ran before in this process */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:h", target_options, NULL)) != -1) {
		const char *cur = optind > 0 && optind - 1 < argc ? argv[optind - 1] : "?";

		if (c == OPT_DIR)
			a->dir = optarg;
		else if (c == 'c')
			a->config = optarg;
		else if (c == OPT_JSON)
			a->json = true;
		else if (c == 'h' || c == OPT_HELP)
			return CLI_PARSE_HELP;
		else if (c == ':')
			return parse_error(err, errlen, "option %s needs a value", cur);
		else
			return parse_error(err, errlen, "unknown option %s", cur);
	}
	if (optind < argc)
		return parse_error(err, errlen, "unexpected argument '%s'", argv[optind]);
	if (a->dir && a->config)
		return parse_error(err, errlen, "%s", "use either --dir or -c, not both");
	return CLI_PARSE_OK;
}

static bool from_lab(const char *dir, struct cli_target *t, char *err, size_t errlen)
{
	struct lab_cluster c;

	if (!lab_cluster_load(dir, &c, err, errlen))
		return false;
	snprintf(t->scope, sizeof(t->scope), "%s", c.scope);
	snprintf(t->namespace_, sizeof(t->namespace_), "%s", c.namespace_);
	snprintf(t->dir, sizeof(t->dir), "%s", c.dir);
	for (int i = 0; i < LAB_N_ETCD; i++)
		lab_etcd_url(&c, i, t->etcd[i], sizeof(t->etcd[i]));
	t->n_etcd = LAB_N_ETCD;
	return true;
}

static bool from_config(const char *path, struct cli_target *t, char *err, size_t errlen)
{
	struct config_msgs errors = {0};
	struct config_msgs warnings = {0};
	struct config *cfg = xcalloc(1, sizeof(*cfg)); /* large: keep it off the stack */
	bool ok = config_load(path, cfg, &errors, &warnings);

	if (!ok) {
		snprintf(err, errlen, "%s",
		         errors.n > 0 ? errors.items[0] : "invalid configuration");
		free(cfg);
		return false;
	}
	snprintf(t->scope, sizeof(t->scope), "%s", cfg->scope);
	snprintf(t->namespace_, sizeof(t->namespace_), "%s", cfg->namespace_);
	for (int i = 0; i < cfg->etcd.n_hosts && i < CLI_MAX_ETCD; i++)
		snprintf(t->etcd[i], sizeof(t->etcd[i]), "http://%s", cfg->etcd.hosts[i]);
	t->n_etcd = MIN(cfg->etcd.n_hosts, CLI_MAX_ETCD);
	config_free(cfg);
	free(cfg);
	if (t->n_etcd == 0)
		snprintf(err, errlen, "%s: no etcd3 hosts configured", path);
	return t->n_etcd > 0;
}

bool cli_target_resolve(const struct cli_target_args *a, struct cli_target *t, char *err,
                        size_t errlen)
{
	memset(t, 0, sizeof(*t));
	if (a->config)
		return from_config(a->config, t, err, errlen);
	return from_lab(a->dir ? a->dir : LAB_DEFAULT_DIR, t, err, errlen);
}

bool cli_target_read(const struct cli_target *t, int timeout_ms, struct dcs_view *view)
{
	const char *eps[CLI_MAX_ETCD + 1];
	struct dcs_options o = {.endpoints = eps,
	                        .namespace_ = t->namespace_,
	                        .scope = t->scope,
	                        .request_timeout_ms = timeout_ms};
	struct dcs *d;
	bool ok;

	for (int i = 0; i < t->n_etcd; i++)
		eps[i] = t->etcd[i];
	eps[t->n_etcd] = NULL;
	memset(view, 0, sizeof(*view));
	d = dcs_open(&o);
	if (d == NULL)
		return false;
	ok = dcs_read(d, view);
	dcs_close(d);
	return ok;
}

static void print_json(const struct cli_target *t, const struct dcs_view *v)
{
	const char *urls[CLI_MAX_ETCD];
	struct lab_list_meta meta = {
	    .scope = t->scope, .namespace_ = t->namespace_, .etcd_urls = urls, .n_etcd = t->n_etcd};
	json_t *o;
	char *text;

	for (int i = 0; i < t->n_etcd; i++)
		urls[i] = t->etcd[i];
	o = lab_members_json(v, &meta);
	text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", text ? text : "{}");
	free(text);
	json_decref(o);
}

int cli_print_members(const struct cli_target *t, bool json)
{
	struct dcs_view v;
	struct buf table;

	if (!cli_target_read(t, READ_TIMEOUT_MS, &v)) {
		fprintf(stderr, "pgha: cannot reach etcd (");
		for (int i = 0; i < t->n_etcd; i++)
			fprintf(stderr, "%s%s", i ? ", " : "", t->etcd[i]);
		fprintf(stderr, ") to read cluster \"%s\"\n", t->scope);
		return EXIT_UNAVAIL;
	}
	if (json) {
		print_json(t, &v);
	} else {
		buf_init(&table);
		lab_members_table(&v, t->scope, &table);
		fputs(table.data, stdout);
		buf_free(&table);
	}
	dcs_view_free(&v);
	fflush(stdout);
	return EXIT_OK;
}
