/*
 * test_ops.c: the pure parts of the commands that talk to a cluster: option parsing
 * (and the command lines of up and down), the restart/reinit plans, --set into the
 * configuration, merge patches, the configuration as YAML, the unified diff, the
 * history table, and where a command finds its cluster (--dir, -c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli/cli.h"
#include "cli/ops_args.h"
#include "cli/ops_config.h"
#include "cli/ops_ctx.h"
#include "cli/ops_diff.h"
#include "cli/ops_history.h"
#include "cli/ops_plan.h"
#include "dcs/dcs.h"
#include "lab/lab.h"
#include "util/args.h"
#include "util/fsutil.h"
#include "util/buf.h"
#include "util/xalloc.h"
#include "sys_fixture.h"
#include "view_fixture.h"

/* --- helpers ---------------------------------------------------------------------------- */

/* parse: ops_args_parse of a NULL-terminated list of arguments (argv[0] = the command). */
static enum cli_parse parse(enum ops_cmd cmd, struct ops_args *a, char *err, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	const char *s;

	argv[argc++] = (char *)(uintptr_t)ops_cmd_name(cmd);
	va_start(ap, err);
	while ((s = va_arg(ap, const char *)) != NULL && argc < 31)
		argv[argc++] = (char *)(uintptr_t)s;
	va_end(ap);
	argv[argc] = NULL;
	err[0] = '\0';
	return ops_args_parse(cmd, argc, argv, a, err, 256);
}

static void expect_error(enum cli_parse rc, const char *err, const char *fragment)
{
	assert_int_equal(rc, CLI_PARSE_ERROR);
	if (strstr(err, fragment) == NULL)
		fail_msg("error '%s' does not contain '%s'", err, fragment);
}

/* --- ops_args ------------------------------------------------------------------------- */

static void test_args_switchover(void **state)
{
	struct ops_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(OPS_SWITCHOVER, &a, err, "--dir", "/x", "--candidate", "node2",
	                       "--leader", "node1", "--force", "--scheduled", "2026-01-01T10:00",
	                       NULL),
	                 CLI_PARSE_OK);
	assert_string_equal(a.target.dir, "/x");
	assert_string_equal(a.candidate, "node2");
	assert_string_equal(a.leader, "node1");
	assert_true(a.force);
	assert_string_equal(a.scheduled, "2026-01-01T10:00");
	/* --primary is patronictl's alias of --leader; "now" means not scheduled */
	assert_int_equal(
	    parse(OPS_SWITCHOVER, &a, err, "--primary", "n1", "--scheduled", "now", NULL),
	    CLI_PARSE_OK);
	assert_string_equal(a.leader, "n1");
	assert_null(a.scheduled);
	assert_false(a.force);
	assert_null(a.candidate);
	assert_int_equal(parse(OPS_SWITCHOVER, &a, err, "--help", NULL), CLI_PARSE_HELP);
	assert_int_equal(parse(OPS_SWITCHOVER, &a, err, "-h", NULL), CLI_PARSE_HELP);
}

static void test_args_errors(void **state)
{
	struct ops_args a;
	char err[256];

	(void)state;
	expect_error(parse(OPS_SWITCHOVER, &a, err, "--bogus", NULL), err, "--bogus");
	expect_error(parse(OPS_SWITCHOVER, &a, err, "--json", NULL), err,
	             "switchover does not take option --json");
	expect_error(parse(OPS_HISTORY, &a, err, "--force", NULL), err, "does not take");
	expect_error(parse(OPS_SWITCHOVER, &a, err, "--candidate", NULL), err, "needs a value");
	expect_error(parse(OPS_SWITCHOVER, &a, err, "--dir", "a", "-c", "b", NULL), err,
	             "either --dir or -c");
	expect_error(parse(OPS_SWITCHOVER, &a, err, "node2", NULL), err,
	             "unexpected argument 'node2'");
	expect_error(parse(OPS_FAILOVER, &a, err, "--force", NULL), err, "--candidate");
	expect_error(parse(OPS_FAILOVER, &a, err, "--candidate", "", NULL), err, "--candidate");
	expect_error(parse(OPS_SWITCHOVER, &a, err, "--leader", "n1", "--candidate", "n1", NULL),
	             err, "same member");
	expect_error(parse(OPS_FAILOVER, &a, err, "--scheduled", "x", "--candidate", "n", NULL),
	             err, "does not take");
}

static void test_args_nodes(void **state)
{
	struct ops_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(OPS_RESTART, &a, err, "node2", "--pending", "node3", "--pg-version",
	                       "15.4", "--timeout", "30", NULL),
	                 CLI_PARSE_OK);
	assert_int_equal(a.n_nodes, 2);
	assert_string_equal(a.nodes[0], "node2");
	assert_string_equal(a.nodes[1], "node3");
	assert_true(a.pending);
	assert_string_equal(a.pg_version, "15.4");
	assert_int_equal(a.timeout_s, 30);
	expect_error(parse(OPS_RESTART, &a, err, "--force", NULL), err, "name the member(s)");
	expect_error(parse(OPS_RESTART, &a, err, "n", "--timeout", "0", NULL), err, "--timeout");
	expect_error(parse(OPS_RESTART, &a, err, "n", "--timeout", "1x", NULL), err, "--timeout");
	expect_error(parse(OPS_RESTART, &a, err, "", NULL), err, "empty member name");
	assert_int_equal(parse(OPS_REINIT, &a, err, "n", "--wait", "--timeout", "60", NULL),
	                 CLI_PARSE_OK);
	assert_true(a.wait);
	expect_error(parse(OPS_REINIT, &a, err, "n", "--timeout", "60", NULL), err,
	             "--timeout goes with --wait");
	expect_error(parse(OPS_REINIT, &a, err, "n", "--pending", NULL), err, "does not take");
}

static void test_args_edit_config(void **state)
{
	struct ops_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(OPS_EDIT_CONFIG, &a, err, "--set", "a=1", "-s", "b=2", "--pg",
	                       "work_mem=8MB", "-p", "x=y", "-q", "--force", "--apply", "f.yml",
	                       NULL),
	                 CLI_PARSE_OK);
	assert_int_equal(a.sets.n, 2);
	assert_string_equal(a.sets.v[1], "b=2");
	assert_int_equal(a.pg_sets.n, 2);
	assert_string_equal(a.pg_sets.v[0], "work_mem=8MB");
	assert_true(a.quiet);
	assert_string_equal(a.apply_file, "f.yml");
	expect_error(parse(OPS_EDIT_CONFIG, &a, err, "--apply", "a", "--replace", "b", NULL), err,
	             "either --apply or --replace");
	expect_error(parse(OPS_EDIT_CONFIG, &a, err, "--apply", "-", NULL), err, "--force");
	expect_error(parse(OPS_EDIT_CONFIG, &a, err, "--replace", "-", NULL), err, "--force");
	assert_int_equal(parse(OPS_EDIT_CONFIG, &a, err, "--replace", "-", "--force", NULL),
	                 CLI_PARSE_OK);
}

static void test_args_monitor_health(void **state)
{
	struct ops_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(OPS_MONITOR, &a, err, NULL), CLI_PARSE_OK);
	assert_int_equal(a.interval_ms, OPS_DEFAULT_INTERVAL_MS);
	assert_int_equal(a.events, OPS_DEFAULT_EVENTS);
	assert_int_equal(parse(OPS_MONITOR, &a, err, "--interval", "0.5", "--events", "3", NULL),
	                 CLI_PARSE_OK);
	assert_int_equal(a.interval_ms, 500);
	assert_int_equal(a.events, 3);
	expect_error(parse(OPS_MONITOR, &a, err, "--interval", "0", NULL), err, "--interval");
	expect_error(parse(OPS_MONITOR, &a, err, "--interval", "nan", NULL), err, "--interval");
	expect_error(parse(OPS_MONITOR, &a, err, "--events", "100000", NULL), err, "--events");
	assert_int_equal(parse(OPS_HEALTH, &a, err, "--json", "--max-lag", "16kB", "--router-rw",
	                       "127.0.0.1:5432", NULL),
	                 CLI_PARSE_OK);
	assert_true(a.target.json);
	assert_int_equal(a.max_lag_bytes, 16 * 1024);
	assert_string_equal(a.router_rw, "127.0.0.1:5432");
	assert_null(a.router_ro);
	assert_int_equal(parse(OPS_HEALTH, &a, err, NULL), CLI_PARSE_OK);
	assert_int_equal(a.max_lag_bytes, -1);
	expect_error(parse(OPS_HEALTH, &a, err, "--max-lag", "lots", NULL), err, "--max-lag");
	/* verify: a lab needs nothing more; another cluster its fault action and endpoint */
	assert_int_equal(parse(OPS_VERIFY, &a, err, "--json", "--timeout", "60", NULL),
	                 CLI_PARSE_OK);
	assert_int_equal(a.timeout_s, 60);
	assert_int_equal(parse(OPS_VERIFY, &a, err, "-c", "/etc/pgha/cluster.yml", "--exec",
	                       "relay", "--router-rw", "nlb:5432", "--router-ro", "nlb:5433", NULL),
	                 CLI_PARSE_OK);
	assert_string_equal(a.exec, "relay");
	assert_string_equal(a.router_ro, "nlb:5433");
	expect_error(parse(OPS_VERIFY, &a, err, "-c", "/x.yml", "--router-rw", "nlb:5432", NULL),
	             err, "needs --exec COMMAND");
	expect_error(parse(OPS_VERIFY, &a, err, "-c", "/x.yml", "--exec", "relay", NULL), err,
	             "--router-rw HOST:PORT");
	expect_error(parse(OPS_HEALTH, &a, err, "--exec", "relay", NULL), err, "--exec");
	/* every command has a usage text naming it */
	for (int c = 0; c < OPS__COUNT; c++)
		assert_non_null(strstr(ops_usage((enum ops_cmd)c), ops_cmd_name((enum ops_cmd)c)));
}

/* --- restart / reinit plans -------------------------------------------------------------- */

static void test_plan_nodes(void **state)
{
	struct ops_args a;
	struct dcs_view v;
	char err[256];

	(void)state;
	three_nodes(&v, false);
	assert_int_equal(parse(OPS_RESTART, &a, err, "node1", "node3", NULL), CLI_PARSE_OK);
	assert_true(ops_plan_nodes(&a, &v, err, sizeof(err)));
	assert_int_equal(parse(OPS_RESTART, &a, err, "node3", "node7", NULL), CLI_PARSE_OK);
	assert_false(ops_plan_nodes(&a, &v, err, sizeof(err)));
	assert_non_null(strstr(err, "node7 does not exist"));
	assert_int_equal(parse(OPS_RESTART, &a, err, "node3", "node3", NULL), CLI_PARSE_OK);
	assert_false(ops_plan_nodes(&a, &v, err, sizeof(err)));
	assert_non_null(strstr(err, "named twice"));
	assert_int_equal(parse(OPS_REINIT, &a, err, "node2", NULL), CLI_PARSE_OK);
	assert_true(ops_plan_nodes(&a, &v, err, sizeof(err)));
	assert_int_equal(parse(OPS_REINIT, &a, err, "node1", NULL), CLI_PARSE_OK);
	assert_false(ops_plan_nodes(&a, &v, err, sizeof(err)));
	assert_non_null(strstr(err, "node1 is the leader"));
	dcs_view_free(&v);
}

static void test_restart_body(void **state)
{
	struct ops_args a;
	char err[256];
	char *body;

	(void)state;
	assert_int_equal(parse(OPS_RESTART, &a, err, "n", NULL), CLI_PARSE_OK);
	body = ops_restart_body(&a, "", false, err, sizeof(err));
	assert_string_equal(body, "{}");
	free(body);
	assert_int_equal(parse(OPS_RESTART, &a, err, "n", "--pending", "--pg-version", "15.4",
	                       "--timeout", "30", NULL),
	                 CLI_PARSE_OK);
	body = ops_restart_body(&a, "2030-01-01T00:00:00+00:00", false, err, sizeof(err));
	assert_string_equal(body, "{\"restart_pending\":true,\"postgres_version\":\"15.4\","
	                          "\"timeout\":30,\"schedule\":\"2030-01-01T00:00:00+00:00\"}");
	free(body);
	assert_null(ops_restart_body(&a, "2030-01-01T00:00:00+00:00", true, err, sizeof(err)));
	assert_non_null(strstr(err, "paused"));
	assert_int_equal(parse(OPS_RESTART, &a, err, "n", "--pg-version", "fifteen", NULL),
	                 CLI_PARSE_OK);
	assert_null(ops_restart_body(&a, "", false, err, sizeof(err)));
	assert_non_null(strstr(err, "invalid PostgreSQL version"));
}

static void test_schedule_iso(void **state)
{
	char out[OPS_ISO_LEN];
	char err[256];
	char *old_tz = getenv("TZ") ? xstrdup(getenv("TZ")) : NULL;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_true(
	    ops_schedule_iso("2026-11-25T21:00:00+01:00", out, sizeof(out), err, sizeof(err)));
	assert_string_equal(out, "2026-11-25T20:00:00+00:00");
	setenv("TZ", "Europe/Paris", 1);
	tzset();
	/* no zone: local time, written with its offset (winter: +01:00, summer: +02:00) */
	assert_true(ops_schedule_iso("2026-11-25 21:30", out, sizeof(out), err, sizeof(err)));
	assert_string_equal(out, "2026-11-25T21:30:00+01:00");
	assert_true(ops_schedule_iso("2026-07-01T08:00Z", out, sizeof(out), err, sizeof(err)));
	assert_string_equal(out, "2026-07-01T10:00:00+02:00");
	assert_false(ops_schedule_iso("tomorrow", out, sizeof(out), err, sizeof(err)));
	assert_non_null(strstr(err, "ISO 8601"));
	assert_false(ops_schedule_iso("2026-02-30T10:00Z", out, sizeof(out), err, sizeof(err)));
	if (old_tz)
		setenv("TZ", old_tz, 1);
	else
		unsetenv("TZ");
	tzset();
	free(old_tz);
}

/* write_cluster_json: a 3-node lab's cluster.json (base port 6500) in dir. */
static void write_cluster_json(const char *dir, const char *scope)
{
	char path[PATH_MAX + 16];
	char *text = xasprintf(
	    "{\"format\": 1, \"dir\": \"%s\", \"scope\": \"%s\", \"namespace\": \"/service/\","
	    " \"os_user\": \"postgres\", \"ports\": {\"base_port\": 6500, \"etcd\": ["
	    "{\"name\": \"etcd1\", \"client_port\": 6500, \"peer_port\": 6503},"
	    "{\"name\": \"etcd2\", \"client_port\": 6501, \"peer_port\": 6504},"
	    "{\"name\": \"etcd3\", \"client_port\": 6502, \"peer_port\": 6505}], \"nodes\": ["
	    "{\"name\": \"node1\", \"pg_port\": 6510, \"api_port\": 6511, \"pgbouncer_port\": "
	    "6512}],"
	    " \"router\": {\"rw_port\": 5432, \"ro_port\": 5433, \"http_port\": 6506}},"
	    " \"binaries\": {\"pgha\": \"/usr/bin/pgha\", \"pg_bin_dir\": \"/pg\","
	    " \"etcd\": \"/usr/bin/etcd\"}}\n",
	    dir, scope);

	snprintf(path, sizeof(path), "%s/cluster.json", dir);
	assert_true(fs_write_atomic(path, text, strlen(text), 0644));
	free(text);
}

#define ARGV(...) ((char *[]){__VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)))
/* PARSE_UP: `pgha up ...` over the defaults, as cmd_up reads it. */
#define PARSE_UP(o, err, ...)                                                                    \
	(lab_up_defaults(o), args_parse(cli_up_spec.opts, cli_up_spec.n_opts, ARGC(__VA_ARGS__), \
	                                ARGV(__VA_ARGS__), o, NULL, err, sizeof(err)))
#define PARSE_DOWN(o, err, ...)                                                  \
	(lab_down_defaults(o),                                                   \
	 args_parse(cli_down_spec.opts, cli_down_spec.n_opts, ARGC(__VA_ARGS__), \
	            ARGV(__VA_ARGS__), o, NULL, err, sizeof(err)))

static void test_up_opts(void **state)
{
	struct lab_up_opts o;
	char err[256];

	(void)state;
	assert_int_equal(PARSE_UP(&o, err, "up"), ARGS_OK);
	assert_string_equal(o.dir, "pgha-lab");
	assert_int_equal(o.n_nodes, 3);
	assert_int_equal(o.base_port, 6500);
	assert_int_equal(o.router_port, 5432);
	assert_string_equal(o.scope, "pgha-lab");
	assert_null(o.os_user);
	assert_int_equal(o.timeout_s, 120);
	assert_false(o.nodes_set || o.base_port_set || o.router_port_set || o.scope_set ||
	             o.pg_bin_dir_set);
	assert_int_equal(PARSE_UP(&o, err, "up", "--dir", "/x", "--nodes", "5", "--base-port=30000",
	                          "--scope", "s1", "--os-user", "bob", "--timeout", "30",
	                          "--pg-bin-dir", "/pg", "--router-port", "30008"),
	                 ARGS_OK);
	assert_string_equal(o.dir, "/x");
	assert_int_equal(o.n_nodes, 5);
	assert_int_equal(o.base_port, 30000);
	assert_string_equal(o.scope, "s1");
	assert_string_equal(o.os_user, "bob");
	assert_int_equal(o.timeout_s, 30);
	assert_string_equal(o.pg_bin_dir, "/pg");
	assert_int_equal(o.router_port, 30008);
	assert_true(o.nodes_set && o.base_port_set && o.router_port_set && o.scope_set &&
	            o.pg_bin_dir_set);
	assert_int_equal(PARSE_UP(&o, err, "up", "--help"), ARGS_HELP);
	assert_int_equal(PARSE_UP(&o, err, "up", "-h"), ARGS_HELP);
}

static void test_up_opts_errors(void **state)
{
	struct lab_up_opts o;
	char err[256];

	(void)state;
	assert_int_equal(PARSE_UP(&o, err, "up", "--nodes", "0"), ARGS_ERROR);
	assert_string_equal(err, "--nodes: expected an integer from 1 to 9, got '0'");
	assert_int_equal(PARSE_UP(&o, err, "up", "--nodes", "10"), ARGS_ERROR);
	assert_int_equal(PARSE_UP(&o, err, "up", "--nodes", "3x"), ARGS_ERROR);
	assert_int_equal(PARSE_UP(&o, err, "up", "--base-port", "80"), ARGS_ERROR);
	assert_non_null(strstr(err, "--base-port"));
	assert_int_equal(PARSE_UP(&o, err, "up", "--base-port", "65500"), ARGS_ERROR);
	assert_int_equal(PARSE_UP(&o, err, "up", "--router-port", "1023"), ARGS_ERROR);
	assert_string_equal(err,
	                    "--router-port: expected an integer from 1024 to 65534, got '1023'");
	assert_int_equal(PARSE_UP(&o, err, "up", "--router-port", "65535"), ARGS_ERROR);
	assert_int_equal(PARSE_UP(&o, err, "up", "--router-port", "5432a"), ARGS_ERROR);
	assert_int_equal(PARSE_UP(&o, err, "up", "--router-port"), ARGS_ERROR);
	assert_string_equal(err, "option --router-port needs a value");
	/* the scope's characters are checked by cmd_up (lab_scope_valid, test_lab.c) */
	assert_int_equal(PARSE_UP(&o, err, "up", "--timeout", "0"), ARGS_ERROR);
	assert_int_equal(PARSE_UP(&o, err, "up", "--bogus"), ARGS_ERROR);
	assert_string_equal(err, "up does not take option --bogus");
	assert_int_equal(PARSE_UP(&o, err, "up", "--dir"), ARGS_ERROR);
	assert_string_equal(err, "option --dir needs a value");
	assert_int_equal(PARSE_UP(&o, err, "up", "extra"), ARGS_ERROR);
	assert_string_equal(err, "unexpected argument 'extra'");
}

static void test_down_opts(void **state)
{
	struct lab_down_opts o;
	char err[256];

	(void)state;
	assert_int_equal(PARSE_DOWN(&o, err, "down"), ARGS_OK);
	assert_string_equal(o.dir, "pgha-lab");
	assert_false(o.keep);
	assert_int_equal(o.timeout_s, 60);
	assert_int_equal(PARSE_DOWN(&o, err, "down", "--keep", "--dir", "d", "--timeout", "5"),
	                 ARGS_OK);
	assert_true(o.keep);
	assert_string_equal(o.dir, "d");
	assert_int_equal(o.timeout_s, 5);
	assert_int_equal(PARSE_DOWN(&o, err, "down", "--nodes", "3"), ARGS_ERROR);
	assert_int_equal(PARSE_DOWN(&o, err, "down", "--timeout", "-1"), ARGS_ERROR);
	assert_int_equal(PARSE_DOWN(&o, err, "down", "x"), ARGS_ERROR);
}

static void test_target_args(void **state)
{
	struct ops_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(OPS_LIST, &a, err, NULL), CLI_PARSE_OK);
	assert_null(a.target.dir);
	assert_null(a.target.config);
	assert_false(a.target.json);
	assert_int_equal(parse(OPS_LIST, &a, err, "--dir", "d", "--json", NULL), CLI_PARSE_OK);
	assert_string_equal(a.target.dir, "d");
	assert_true(a.target.json);
	assert_int_equal(parse(OPS_LIST, &a, err, "-c", "f.yml", NULL), CLI_PARSE_OK);
	assert_string_equal(a.target.config, "f.yml");
	expect_error(parse(OPS_LIST, &a, err, "-c", "f", "--dir", "d", NULL), err,
	             "use either --dir or -c, not both");
	expect_error(parse(OPS_LIST, &a, err, "-c", NULL), err, "needs a value");
	expect_error(parse(OPS_LIST, &a, err, "--yaml", NULL), err, "--yaml");
	assert_int_equal(parse(OPS_LIST, &a, err, "--help", NULL), CLI_PARSE_HELP);
}

static void test_target_from_lab_dir(void **state)
{
	char *dir = make_tmpdir();
	struct cli_target_args a = {.dir = dir};
	struct ops_ctx *ctx = xcalloc(1, sizeof(*ctx));
	struct lab_cluster c;
	char err[512];

	(void)state;
	assert_false(ops_ctx_open("list", &a, ctx, err, sizeof(err)));
	assert_non_null(strstr(err, "cluster.json"));
	memset(&c, 0, sizeof(c));
	write_cluster_json(dir, "other");
	assert_true(ops_ctx_open("list", &a, ctx, err, sizeof(err)));
	assert_true(ctx->is_lab);
	assert_string_equal(ctx->client.scope, "other");
	assert_string_equal(ctx->client.namespace_, "/service/");
	assert_int_equal(ctx->client.n_etcd, 3);
	assert_string_equal(ctx->client.etcd[1], "http://127.0.0.1:6501");
	assert_string_equal(ctx->lab.dir, dir);
	/* no secrets in this directory: no credentials, and a note saying why */
	assert_string_equal(ctx->client.creds.rest_user, "");
	assert_non_null(strstr(ctx->client.creds.note, "secrets could not be read"));
	free(ctx);
	remove_tmpdir(dir);
}

static void test_target_from_config(void **state)
{
	char *dir = make_tmpdir();
	char path[PATH_MAX + 16];
	struct cli_target_args a = {.config = path};
	struct ops_ctx *ctx = xcalloc(1, sizeof(*ctx));
	const char *yaml = "scope: from-config\nname: pg1\n"
	                   "restapi:\n  listen: 127.0.0.1:8008\n"
	                   "  authentication:\n    username: admin\n    password: pw\n"
	                   "etcd3:\n  hosts: [127.0.0.1:6500, 127.0.0.1:6501]\n"
	                   "postgresql:\n  listen: 127.0.0.1:5432\n  data_dir: /tmp/x/pg1\n";
	char err[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/agent.yml", dir);
	assert_false(ops_ctx_open("list", &a, ctx, err, sizeof(err)));
	assert_true(fs_write_atomic(path, yaml, strlen(yaml), 0600));
	unsetenv("PGHA_REST_USER");
	unsetenv("PGHA_REST_PASSWORD");
	assert_true(ops_ctx_open("list", &a, ctx, err, sizeof(err)));
	assert_false(ctx->is_lab);
	assert_string_equal(ctx->client.scope, "from-config");
	assert_string_equal(ctx->client.namespace_, "/service/");
	assert_int_equal(ctx->client.n_etcd, 2);
	assert_string_equal(ctx->client.etcd[0], "http://127.0.0.1:6500");
	assert_string_equal(ctx->client.creds.rest_user, "admin");
	assert_string_equal(ctx->client.creds.rest_password, "pw");
	/* the environment overrides the REST credentials */
	setenv("PGHA_REST_USER", "other", 1);
	assert_true(ops_ctx_open("list", &a, ctx, err, sizeof(err)));
	assert_string_equal(ctx->client.creds.rest_user, "other");
	assert_string_equal(ctx->client.creds.rest_password, "pw");
	unsetenv("PGHA_REST_USER");
	/* A broken configuration is an error that names the file. */
	assert_true(fs_write_atomic(path, "scope: [\n", 10, 0600));
	assert_false(ops_ctx_open("list", &a, ctx, err, sizeof(err)));
	assert_non_null(strstr(err, "agent.yml"));
	free(ctx);
	remove_tmpdir(dir);
}

/* --- configuration -------------------------------------------------------------------------- */

static json_t *obj(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (j == NULL)
		fail_msg("bad test JSON %s: %s", text, e.text);
	return j;
}

static void assert_json(const json_t *j, const char *want)
{
	char *got = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	assert_string_equal(got, want);
	free(got);
}

static void test_config_set(void **state)
{
	json_t *c = obj("{\"ttl\":3,\"postgresql\":{\"use_slots\":true}}");
	char err[256];

	(void)state;
	/* values typed as YAML scalars */
	assert_true(ops_config_set(c, "loop_wait=2", err, sizeof(err)));
	assert_true(ops_config_set(c, "synchronous_mode = on", err, sizeof(err)));
	assert_true(ops_config_set(c, "postgresql.parameters.work_mem=8MB", err, sizeof(err)));
	assert_true(
	    ops_config_set(c, "postgresql.parameters.max_connections='100'", err, sizeof(err)));
	/* after postgresql.parameters the rest is one GUC name, dots included */
	assert_true(ops_config_set(c, "postgresql.parameters.auto_explain.log_min_duration=10", err,
	                           sizeof(err)));
	assert_true(ops_config_set(c, "tags.list=[a, 1]", err, sizeof(err)));
	assert_json(c, "{\"loop_wait\":2,\"postgresql\":{\"parameters\":{\"auto_explain.log_"
	               "min_duration\":10,\"max_connections\":\"100\",\"work_mem\":\"8MB\"},"
	               "\"use_slots\":true},\"synchronous_mode\":true,\"tags\":{\"list\":[\"a\","
	               "1]},\"ttl\":3}");
	/* an empty value removes the key, and objects it leaves empty */
	assert_true(ops_config_set(c, "tags.list=", err, sizeof(err)));
	assert_true(ops_config_set(c, "postgresql.parameters.work_mem=null", err, sizeof(err)));
	assert_true(ops_config_set(c, "absent.key=", err, sizeof(err)));
	assert_json(c, "{\"loop_wait\":2,\"postgresql\":{\"parameters\":{\"auto_explain.log_"
	               "min_duration\":10,\"max_connections\":\"100\"},\"use_slots\":true},"
	               "\"synchronous_mode\":true,\"ttl\":3}");
	/* a scalar on the path is replaced by an object */
	assert_true(ops_config_set(c, "ttl.x=1", err, sizeof(err)));
	assert_json(json_object_get(c, "ttl"), "{\"x\":1}");
	json_decref(c);
}

static void test_config_set_errors(void **state)
{
	json_t *c = obj("{\"ttl\":3}");
	char err[256];

	(void)state;
	assert_false(ops_config_set(c, "ttl", err, sizeof(err)));
	assert_non_null(strstr(err, "expected KEY=VALUE"));
	assert_false(ops_config_set(c, "=3", err, sizeof(err)));
	assert_non_null(strstr(err, "empty key"));
	assert_false(ops_config_set(c, "a..b=3", err, sizeof(err)));
	assert_non_null(strstr(err, "empty part"));
	assert_false(ops_config_set(c, "a.=3", err, sizeof(err)));
	assert_false(ops_config_set(c, "postgresql.parameters.=3", err, sizeof(err)));
	assert_false(ops_config_set(c, "ttl=[1, 2", err, sizeof(err)));
	assert_non_null(strstr(err, "not valid YAML"));
	assert_false(
	    ops_config_set(c, "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.A.B.C.D.E.F.G=1",
	                   err, sizeof(err)));
	assert_non_null(strstr(err, "nested too deeply"));
	assert_json(c, "{\"ttl\":3}"); /* nothing changed by the failures */
	json_decref(c);
}

static void test_merge_patch(void **state)
{
	/* RFC 7396 appendix A, a selection */
	static const char *const cases[][3] = {
	    {"{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
	    {"{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}"},
	    {"{\"a\":\"b\"}", "{\"a\":null}", "{}"},
	    {"{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}"},
	    {"{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
	    {"{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}"},
	    {"{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}"},
	    {"{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}"},
	    {"{\"e\":null}", "{\"a\":1}", "{\"a\":1,\"e\":null}"},
	    {"{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *target = obj(cases[i][0]);
		json_t *patch = obj(cases[i][1]);

		ops_config_merge_patch(target, patch);
		assert_json(target, cases[i][2]);
		json_decref(target);
		json_decref(patch);
	}
}

static void test_config_parse(void **state)
{
	char err[256];
	json_t *j;

	(void)state;
	j = ops_config_parse("loop_wait: 2\npostgresql:\n  parameters:\n    work_mem: 8MB\n", "f",
	                     err, sizeof(err));
	assert_json(j, "{\"loop_wait\":2,\"postgresql\":{\"parameters\":{\"work_mem\":\"8MB\"}}}");
	json_decref(j);
	j = ops_config_parse("{\"ttl\": 5, \"pause\": null}", "f", err, sizeof(err));
	assert_json(j, "{\"pause\":null,\"ttl\":5}");
	json_decref(j);
	j = ops_config_parse("", "f", err, sizeof(err));
	assert_json(j, "{}");
	json_decref(j);
	assert_null(ops_config_parse("- a\n- b\n", "f.yml", err, sizeof(err)));
	assert_non_null(strstr(err, "f.yml: expected a mapping"));
	assert_null(ops_config_parse("a: [1,\n", "f.yml", err, sizeof(err)));
	assert_non_null(strstr(err, "f.yml"));
}

static void assert_yaml(const char *json, const char *want)
{
	json_t *j = obj(json);
	struct buf out;
	char err[256];

	buf_init(&out);
	assert_true(ops_config_yaml(j, &out, err, sizeof(err)));
	assert_string_equal(out.data, want);
	buf_free(&out);
	json_decref(j);
}

static void test_config_yaml(void **state)
{
	(void)state;
	/* what patronictl show-config prints for the same config (yaml.safe_dump) */
	assert_yaml("{\"ttl\":3,\"loop_wait\":1,\"postgresql\":{\"use_slots\":true,\"parameters\":"
	            "{\"work_mem\":\"8MB\",\"max_connections\":100}},\"pause\":false,"
	            "\"maximum_lag_on_failover\":1048576}",
	            "loop_wait: 1\nmaximum_lag_on_failover: 1048576\npause: false\npostgresql:\n"
	            "  parameters:\n    max_connections: 100\n    work_mem: 8MB\n"
	            "  use_slots: true\nttl: 3\n");
	/* strings that would read back as something else are quoted */
	assert_yaml("{\"a\":\"on\",\"b\":\"123\",\"c\":\"\",\"d\":\"null\",\"e\":\"x: y\","
	            "\"f\":\"1.5\",\"g\":\"plain text\"}",
	            "a: 'on'\nb: '123'\nc: ''\nd: 'null'\ne: 'x: y'\nf: '1.5'\ng: plain text\n");
	assert_yaml("{\"l\":[1,\"two\",null,true],\"e\":{},\"z\":[],\"r\":2.5,\"i\":1.0}",
	            "e: {}\ni: 1.0\nl:\n- 1\n- two\n- null\n- true\nr: 2.5\nz: []\n");
	assert_yaml("{}", "{}\n");
}

static void test_config_yaml_round_trip(void **state)
{
	static const char *const docs[] = {
	    "{\"s\":\"yes\",\"t\":\"0x1F\",\"u\":\"~\",\"v\":\"- x\",\"w\":\"#c\",\"x\":\"a\\nb\"}",
	    "{\"pg_hba\":[\"host all all 0.0.0.0/0 md5\",\"local all all trust\"]}",
	    "{\"n\":{\"deep\":{\"er\":[{\"k\":\"v\"},[1,[2]]]}},\"big\":9007199254740993}",
	    "{\"q\":\"it's \\\"quoted\\\"\",\"sp\":\" lead\",\"tab\":\"a\\tb\",\"f\":-0.25}",
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_t *j = obj(docs[i]);
		json_t *back;
		struct buf out;

		buf_init(&out);
		assert_true(ops_config_yaml(j, &out, err, sizeof(err)));
		back = ops_config_parse(out.data, "yaml", err, sizeof(err));
		if (back == NULL || !json_equal(j, back))
			fail_msg("round trip of %s through\n%s\nfailed (%s)", docs[i], out.data,
			         err);
		json_decref(back);
		json_decref(j);
		buf_free(&out);
	}
}

static void test_config_check(void **state)
{
	json_t *good = obj("{\"ttl\":5,\"loop_wait\":2,\"retry_timeout\":1,\"postgresql\":"
	                   "{\"parameters\":{\"work_mem\":\"8MB\"}}}");
	json_t *bad = obj("{\"ttl\":\"soon\"}");
	char err[256];

	(void)state;
	assert_true(ops_config_check(good, err, sizeof(err)));
	assert_false(ops_config_check(bad, err, sizeof(err)));
	assert_non_null(strstr(err, "ttl"));
	json_decref(good);
	json_decref(bad);
}

/* --- diff ----------------------------------------------------------------------------------- */

#define ALPHA "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n"

static void assert_diff(const char *before, const char *after, const char *want)
{
	struct buf out;

	buf_init(&out);
	ops_diff_unified(before, after, "before", "after", 3, &out);
	assert_string_equal(out.data, want);
	buf_free(&out);
}

static void test_diff(void **state)
{
	(void)state;
	/* expected texts: Python's difflib.unified_diff on the same inputs */
	assert_diff(ALPHA, ALPHA, "");
	assert_diff(ALPHA, "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n",
	            "--- before\n+++ after\n@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n d\n e\n");
	assert_diff(ALPHA, "x\n" ALPHA, "--- before\n+++ after\n@@ -1,3 +1,4 @@\n+x\n a\n b\n c\n");
	assert_diff(ALPHA, ALPHA "n\n",
	            "--- before\n+++ after\n@@ -11,3 +11,4 @@\n k\n l\n m\n+n\n");
	/* far apart: two hunks; within 2*context: one */
	assert_diff(ALPHA, "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk\nL\nm\n",
	            "--- before\n+++ after\n@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n d\n e\n"
	            "@@ -9,5 +9,5 @@\n i\n j\n k\n-l\n+L\n m\n");
	assert_diff(ALPHA, "a\nB\nc\nd\ne\nf\ng\nH\ni\nj\nk\nl\nm\n",
	            "--- before\n+++ after\n@@ -1,11 +1,11 @@\n a\n-b\n+B\n c\n d\n e\n f\n g\n"
	            "-h\n+H\n i\n j\n k\n");
	assert_diff(ALPHA, "a\nb\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n",
	            "--- before\n+++ after\n@@ -1,6 +1,5 @@\n a\n b\n-c\n d\n e\n f\n");
	assert_diff("", "a\n", "--- before\n+++ after\n@@ -0,0 +1 @@\n+a\n");
	assert_diff("a\nb\n", "", "--- before\n+++ after\n@@ -1,2 +0,0 @@\n-a\n-b\n");
	/* a missing final newline does not count as a change */
	assert_diff("a\nb", "a\nb\n", "");
}

static void test_diff_large(void **state)
{
	struct buf a;
	struct buf b;
	struct buf out;

	(void)state;
	buf_init(&a);
	buf_init(&b);
	buf_init(&out);
	/* 3000 lines each, every line different: over the table limit, one hunk */
	for (int i = 0; i < 3000; i++) {
		buf_printf(&a, "a%d\n", i);
		buf_printf(&b, "b%d\n", i);
	}
	ops_diff_unified(a.data, b.data, "x", "y", 3, &out);
	assert_non_null(strstr(out.data, "@@ -1,3000 +1,3000 @@\n-a0\n"));
	assert_non_null(strstr(out.data, "-a2999\n+b0\n"));
	buf_free(&a);
	buf_free(&b);
	buf_free(&out);
}

/* --- history --------------------------------------------------------------------------------- */

static void test_history(void **state)
{
	static const char key[] =
	    "[[1,67109200,\"no recovery target specified\",\"2026-11-25T19:03:57.521+00:00\","
	    "\"node2\"],[2,83886240,\"no recovery target specified\"]]";
	char err[256];
	json_t *h;
	struct buf t;

	(void)state;
	h = ops_history_json(key, err, sizeof(err));
	assert_non_null(h);
	assert_json(h,
	            "[{\"lsn\":67109200,\"new_leader\":\"node2\",\"reason\":\"no recovery target "
	            "specified\",\"timeline\":1,\"timestamp\":\"2026-11-25T19:03:57.521+00:00\"},"
	            "{\"lsn\":83886240,\"new_leader\":null,\"reason\":\"no recovery target "
	            "specified\",\"timeline\":2,\"timestamp\":null}]");
	buf_init(&t);
	ops_history_table(h, &t);
	/* what patronictl history prints for the same key */
	assert_string_equal(
	    t.data,
	    "+----+----------+------------------------------+-------------------------------+-----"
	    "-------+\n"
	    "| TL |      LSN | Reason                       | Timestamp                     | New "
	    "Leader |\n"
	    "+----+----------+------------------------------+-------------------------------+-----"
	    "-------+\n"
	    "|  1 | 67109200 | no recovery target specified | 2026-11-25T19:03:57.521+00:00 | "
	    "node2      |\n"
	    "|  2 | 83886240 | no recovery target specified |                               |     "
	    "       |\n"
	    "+----+----------+------------------------------+-------------------------------+-----"
	    "-------+\n");
	buf_free(&t);
	json_decref(h);
}

static void test_history_edge(void **state)
{
	char err[256];
	json_t *h;
	struct buf t;

	(void)state;
	h = ops_history_json(NULL, err, sizeof(err));
	assert_json(h, "[]");
	buf_init(&t);
	ops_history_table(h, &t); /* header only */
	assert_string_equal(t.data, "+----+-----+--------+-----------+------------+\n"
	                            "| TL | LSN | Reason | Timestamp | New Leader |\n"
	                            "+----+-----+--------+-----------+------------+\n");
	buf_free(&t);
	json_decref(h);
	h = ops_history_json("[]", err, sizeof(err));
	assert_json(h, "[]");
	json_decref(h);
	assert_null(ops_history_json("{}", err, sizeof(err)));
	assert_non_null(strstr(err, "not a JSON array"));
	assert_null(ops_history_json("[[1]]", err, sizeof(err)));
	assert_non_null(strstr(err, "history line 1"));
	assert_null(ops_history_json("[[1,2],[\"x\",3]]", err, sizeof(err)));
	assert_non_null(strstr(err, "history line 2"));
	assert_null(ops_history_json("[[1,", err, sizeof(err)));
	/* a non-string reason is shown as unknown, not trusted */
	h = ops_history_json("[[1,2,{\"x\":1}]]", err, sizeof(err));
	assert_json(h, "[{\"lsn\":2,\"new_leader\":null,\"reason\":null,\"timeline\":1,"
	               "\"timestamp\":null}]");
	json_decref(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_args_switchover),
	    cmocka_unit_test(test_args_errors),
	    cmocka_unit_test(test_args_nodes),
	    cmocka_unit_test(test_args_edit_config),
	    cmocka_unit_test(test_args_monitor_health),
	    cmocka_unit_test(test_plan_nodes),
	    cmocka_unit_test(test_restart_body),
	    cmocka_unit_test(test_schedule_iso),
	    cmocka_unit_test(test_up_opts),
	    cmocka_unit_test(test_up_opts_errors),
	    cmocka_unit_test(test_down_opts),
	    cmocka_unit_test(test_target_args),
	    cmocka_unit_test(test_target_from_lab_dir),
	    cmocka_unit_test(test_target_from_config),
	    cmocka_unit_test(test_config_set),
	    cmocka_unit_test(test_config_set_errors),
	    cmocka_unit_test(test_merge_patch),
	    cmocka_unit_test(test_config_parse),
	    cmocka_unit_test(test_config_yaml),
	    cmocka_unit_test(test_config_yaml_round_trip),
	    cmocka_unit_test(test_config_check),
	    cmocka_unit_test(test_diff),
	    cmocka_unit_test(test_diff_large),
	    cmocka_unit_test(test_history),
	    cmocka_unit_test(test_history_edge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
