/*
 * test_lab.c: the local cluster tooling (lab/ and the --dir/-c helpers of cli/):
 * port plan, cluster.json, secrets, generated files (router.yml read back by the
 * router's own loader), the members table and JSON, the health and router verdicts,
 * option parsing, bind tests and pid-based process handling.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>
#include "config/config.h"
#include "lab/lab.h"
#include "lab/lab_backup.h"
#include "lab/lab_cluster.h"
#include "lab/lab_etcd.h"
#include "lab/lab_health.h"
#include "lab/lab_layout.h"
#include "lab/lab_place.h"
#include "lab/lab_plan.h"
#include "lab/lab_procs.h"
#include "lab/lab_render.h"
#include "lab/lab_router.h"
#include "lab/lab_running.h"
#include "lab/lab_secrets.h"
#include "router/router_config.h"
#include "util/buf.h"
#include "sys_fixture.h"
#include "view_fixture.h"
#include "util/fsutil.h"
#include "util/proc.h"
#include "util/xalloc.h"

/* Unit tests that need a port use this part of the range given to the lab tests. */
#define TEST_BASE_PORT 30500

/* --- fixtures -------------------------------------------------------------------------- */

static void make_cluster(struct lab_cluster *c, int n_nodes)
{
	char err[256];

	memset(c, 0, sizeof(*c));
	strcpy(c->dir, "/srv/lab");
	strcpy(c->scope, "pgha-lab");
	strcpy(c->namespace_, "/service/");
	strcpy(c->os_user, "postgres");
	strcpy(c->pgha_bin, "/usr/bin/pgha");
	strcpy(c->pg_bin_dir, "/usr/lib/postgresql/15/bin");
	strcpy(c->etcd_bin, "/usr/bin/etcd");
	assert_true(
	    lab_plan_make(6500, n_nodes, LAB_DEFAULT_ROUTER_PORT, &c->plan, err, sizeof(err)));
}

static void make_secrets(struct lab_secrets *s)
{
	memset(s, 0, sizeof(*s)); /* no etcd users: a lab made before them */
	strcpy(s->superuser, "SuperPw1");
	strcpy(s->replication, "ReplPw2");
	strcpy(s->rewind, "RewindPw3");
	strcpy(s->restapi, "ApiPw4");
}

/* --- port plan --------------------------------------------------------------------------- */

static void test_plan_layout(void **state)
{
	struct lab_plan p;
	char err[256];

	(void)state;
	assert_true(lab_plan_make(6500, 3, LAB_DEFAULT_ROUTER_PORT, &p, err, sizeof(err)));
	assert_string_equal(p.etcd[0].name, "etcd1");
	assert_int_equal(p.etcd[0].client_port, 6500);
	assert_int_equal(p.etcd[2].client_port, 6502);
	assert_int_equal(p.etcd[0].peer_port, 6503);
	assert_int_equal(p.etcd[2].peer_port, 6505);
	assert_int_equal(p.router_http_port, 6506);
	assert_int_equal(p.router_rw_port, 5432); /* not base-relative: PostgreSQL's usual port */
	assert_int_equal(p.router_ro_port, 5433);
	assert_string_equal(p.nodes[1].name, "node2");
	assert_int_equal(p.nodes[1].pg_port, 6520);
	assert_int_equal(p.nodes[1].api_port, 6521);
	assert_int_equal(p.nodes[1].bouncer_port, 6522);
	assert_true(lab_plan_make(6500, 9, LAB_DEFAULT_ROUTER_PORT, &p, err, sizeof(err)));
	assert_int_equal(p.nodes[8].bouncer_port, 6592);
	assert_true(lab_plan_validate(&p, err, sizeof(err)));
	assert_ptr_equal(lab_plan_node(&p, "node9"), &p.nodes[8]);
	assert_null(lab_plan_node(&p, "node10"));
}

static void test_plan_limits(void **state)
{
	struct lab_plan p;
	char err[256];

	(void)state;
	assert_false(lab_plan_make(6500, 0, LAB_DEFAULT_ROUTER_PORT, &p, err, sizeof(err)));
	assert_non_null(strstr(err, "--nodes"));
	assert_false(lab_plan_make(6500, 10, LAB_DEFAULT_ROUTER_PORT, &p, err, sizeof(err)));
	assert_false(lab_plan_make(1023, 3, LAB_DEFAULT_ROUTER_PORT, &p, err, sizeof(err)));
	assert_non_null(strstr(err, "--base-port"));
	assert_true(lab_plan_make(65436, 3, LAB_DEFAULT_ROUTER_PORT, &p, err,
	                          sizeof(err))); /* P+99 = 65535 */
	assert_false(lab_plan_make(65437, 3, LAB_DEFAULT_ROUTER_PORT, &p, err, sizeof(err)));
	/* The router's ports: R and R+1 within 1024..65535, named by their option. */
	assert_true(lab_plan_make(6500, 3, 1024, &p, err, sizeof(err)));
	assert_true(lab_plan_make(6500, 3, 65534, &p, err, sizeof(err)));
	assert_int_equal(p.router_ro_port, 65535);
	assert_false(lab_plan_make(6500, 3, 1023, &p, err, sizeof(err)));
	assert_string_equal(err, "--router-port must be between 1024 and 65534 (got 1023)");
	assert_false(lab_plan_make(6500, 3, 65535, &p, err, sizeof(err)));
	assert_non_null(strstr(err, "--router-port"));
}

/* plan_uses: port is one of the plan's own (base-relative) ports, from the layout rule. */
static bool plan_uses(int base, int n_nodes, int port)
{
	int off = port - base;

	if (off >= 0 && off <= 6) /* etcd clients, peers, the router's HTTP */
		return true;
	return off >= 10 && off / 10 <= n_nodes && off % 10 <= 2;
}

/* Every router port in and around the plan: accepted exactly when R and R+1 are free. */
static void test_plan_router_ports(void **state)
{
	struct lab_plan p;
	char err[256];

	(void)state;
	for (int nodes = 1; nodes <= LAB_MAX_NODES; nodes++) {
		for (int r = 29990; r <= 30110; r++) {
			bool fits = !plan_uses(30000, nodes, r) && !plan_uses(30000, nodes, r + 1);

			err[0] = '\0';
			assert_int_equal(lab_plan_make(30000, nodes, r, &p, err, sizeof(err)),
			                 fits);
			if (fits)
				assert_true(lab_plan_validate(&p, err, sizeof(err)));
			else
				assert_non_null(strstr(err, "pick another --router-port"));
		}
	}
	assert_false(lab_plan_make(30000, 3, 30019, &p, err, sizeof(err)));
	assert_string_equal(err, "--router-port 30019: the router's read-only port 30020 is also "
	                         "node2's PostgreSQL port; pick another --router-port");
	assert_false(lab_plan_make(30000, 3, 30006, &p, err, sizeof(err)));
	assert_string_equal(err, "--router-port 30006: the router's read-write port 30006 is also "
	                         "router's HTTP (/health) port; pick another --router-port");
	/* Inside the plan's span, where nothing else is planned: fine. */
	assert_true(lab_plan_make(30000, 3, 30050, &p, err, sizeof(err)));
	assert_int_equal(p.router_rw_port, 30050);
	assert_int_equal(p.router_ro_port, 30051);
}

static void test_plan_ports_distinct(void **state)
{
	struct lab_plan p;
	struct lab_port_use ports[LAB_MAX_PORTS];
	char err[256];
	int n;

	(void)state;
	for (int nodes = 1; nodes <= LAB_MAX_NODES; nodes++) {
		assert_true(
		    lab_plan_make(30000, nodes, LAB_DEFAULT_ROUTER_PORT, &p, err, sizeof(err)));
		n = lab_plan_ports(&p, ports, LAB_MAX_PORTS);
		assert_int_equal(n, 2 * LAB_N_ETCD + 3 + 3 * nodes);
		for (int i = 0; i < n; i++) {
			bool client = ports[i].kind == LAB_PORT_ROUTER_RW ||
			              ports[i].kind == LAB_PORT_ROUTER_RO;

			/* Only the router's client ports are outside the base-relative span. */
			assert_int_equal(ports[i].port >= 30000 &&
			                     ports[i].port < 30000 + LAB_PLAN_SPAN,
			                 !client);
			for (int j = 0; j < i; j++)
				assert_int_not_equal(ports[i].port, ports[j].port);
		}
	}
	assert_string_equal(ports[7].owner, "router");
	assert_int_equal(ports[7].kind, LAB_PORT_ROUTER_RO);
	assert_int_equal(ports[7].port, 5433);
	assert_int_equal(ports[8].kind, LAB_PORT_ROUTER_HTTP);
	assert_int_equal(ports[8].port, 30006);
	assert_string_equal(lab_port_kind_str(LAB_PORT_API), "REST API");
	assert_string_equal(lab_port_kind_option(LAB_PORT_ROUTER_RO), "--router-port");
	assert_string_equal(lab_port_kind_option(LAB_PORT_ROUTER_HTTP), "--base-port");
	assert_string_equal(lab_port_kind_option(LAB_PORT_PG), "--base-port");
}

static void test_plan_validate_rejects(void **state)
{
	struct lab_plan p;
	char err[256];

	(void)state;
	assert_true(lab_plan_make(6500, 3, LAB_DEFAULT_ROUTER_PORT, &p, err, sizeof(err)));
	p.nodes[2].api_port = 6511; /* node1's REST API */
	assert_false(lab_plan_validate(&p, err, sizeof(err)));
	assert_non_null(strstr(err, "port 6511 planned twice"));
	assert_true(lab_plan_make(6500, 3, LAB_DEFAULT_ROUTER_PORT, &p, err, sizeof(err)));
	strcpy(p.nodes[1].name, "node1");
	assert_false(lab_plan_validate(&p, err, sizeof(err)));
	assert_non_null(strstr(err, "used twice"));
	assert_true(lab_plan_make(6500, 3, LAB_DEFAULT_ROUTER_PORT, &p, err, sizeof(err)));
	strcpy(p.nodes[1].name, "node 2");
	assert_false(lab_plan_validate(&p, err, sizeof(err)));
	assert_true(lab_plan_make(6500, 3, LAB_DEFAULT_ROUTER_PORT, &p, err, sizeof(err)));
	strcpy(p.nodes[1].name, "router"); /* its pid file would be the router's */
	assert_false(lab_plan_validate(&p, err, sizeof(err)));
	assert_string_equal(err, "invalid member name 'router'");
	assert_true(lab_plan_make(6500, 3, LAB_DEFAULT_ROUTER_PORT, &p, err, sizeof(err)));
	p.router_ro_port = 6510;
	assert_false(lab_plan_validate(&p, err, sizeof(err)));
	assert_non_null(
	    strstr(err, "port 6510 planned twice (router read-only, node1 PostgreSQL)"));
	assert_true(lab_plan_make(6500, 3, LAB_DEFAULT_ROUTER_PORT, &p, err, sizeof(err)));
	p.etcd[0].peer_port = 70000;
	assert_false(lab_plan_validate(&p, err, sizeof(err)));
}

static void test_plan_format(void **state)
{
	struct lab_plan p;
	struct buf b;
	char err[256];

	(void)state;
	assert_true(lab_plan_make(6500, 2, LAB_DEFAULT_ROUTER_PORT, &p, err, sizeof(err)));
	buf_init(&b);
	lab_plan_format(&p, &b);
	assert_string_equal(b.data, "Port plan (base port 6500, everything on 127.0.0.1):\n"
	                            "  etcd1   client 6500  peer 6503\n"
	                            "  etcd2   client 6501  peer 6504\n"
	                            "  etcd3   client 6502  peer 6505\n"
	                            "  node1   postgres 6510  rest-api 6511  pgbouncer 6512\n"
	                            "  node2   postgres 6520  rest-api 6521  pgbouncer 6522\n"
	                            "  router  read-write 5432  read-only 5433  http 6506\n");
	buf_free(&b);
}

/* --- cluster.json -------------------------------------------------------------------------- */

static void test_cluster_json_round_trip(void **state)
{
	struct lab_cluster c;
	struct lab_cluster back;
	char err[256];
	char *text;
	json_t *j;

	(void)state;
	make_cluster(&c, 4);
	text = lab_cluster_to_json(&c);
	assert_true(lab_cluster_from_json(text, &back, err, sizeof(err)));
	assert_memory_equal(&c, &back, sizeof(c));
	/* What other readers (lib.sh, people) rely on. */
	j = json_loads(text, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "scope")), "pgha-lab");
	assert_string_equal(json_string_value(json_object_get(j, "namespace")), "/service/");
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "etcd"), 2)),
	                    "http://127.0.0.1:6502");
	assert_int_equal(json_array_size(json_object_get(j, "nodes")), 4);
	assert_string_equal(json_string_value(json_object_get(j, "os_user")), "postgres");
	{
		const json_t *router = json_object_get(json_object_get(j, "ports"), "router");

		assert_int_equal(json_integer_value(json_object_get(router, "rw_port")), 5432);
		assert_int_equal(json_integer_value(json_object_get(router, "ro_port")), 5433);
		assert_int_equal(json_integer_value(json_object_get(router, "http_port")), 6506);
	}
	json_decref(j);
	assert_null(strstr(text, "\"link\"")); /* only a relocated lab has one */
	free(text);
	/* A relocated lab records the link it was asked for; a relative one is refused. */
	strcpy(c.link, "/root/pgha/pgha-lab");
	text = lab_cluster_to_json(&c);
	assert_true(lab_cluster_from_json(text, &back, err, sizeof(err)));
	assert_string_equal(back.link, "/root/pgha/pgha-lab");
	assert_string_equal(lab_shown_dir(&back), "/root/pgha/pgha-lab");
	free(text);
	strcpy(c.link, "pgha-lab");
	text = lab_cluster_to_json(&c);
	assert_false(lab_cluster_from_json(text, &back, err, sizeof(err)));
	assert_string_equal(err, "\"link\" must be an absolute path");
	free(text);
}

/* broken: cluster.json text of make_cluster with one replacement applied. */
static bool parses_after(const char *from, const char *to, char *err, size_t errlen)
{
	struct lab_cluster c;
	struct lab_cluster back;
	char *text;
	char *at;
	struct buf b;
	bool ok;

	make_cluster(&c, 3);
	text = lab_cluster_to_json(&c);
	at = strstr(text, from);
	assert_non_null(at);
	buf_init(&b);
	buf_append(&b, text, (size_t)(at - text));
	buf_puts(&b, to);
	buf_puts(&b, at + strlen(from));
	ok = lab_cluster_from_json(b.data, &back, err, errlen);
	buf_free(&b);
	free(text);
	return ok;
}

static void test_cluster_json_rejects(void **state)
{
	struct lab_cluster c;
	char err[256];

	(void)state;
	assert_false(lab_cluster_from_json("{", &c, err, sizeof(err)));
	assert_false(lab_cluster_from_json("[]", &c, err, sizeof(err)));
	assert_false(parses_after("\"format\": 1", "\"format\": 2", err, sizeof(err)));
	assert_non_null(strstr(err, "format"));
	assert_false(
	    parses_after("\"scope\": \"pgha-lab\"", "\"scope\": \"a b\"", err, sizeof(err)));
	assert_false(parses_after("\"scope\": \"pgha-lab\"", "\"scope\": 7", err, sizeof(err)));
	assert_non_null(strstr(err, "scope"));
	assert_false(
	    parses_after("\"dir\": \"/srv/lab\"", "\"dir\": \"srv/lab\"", err, sizeof(err)));
	assert_false(parses_after("\"pg_port\": 6520", "\"pg_port\": 6510", err, sizeof(err)));
	assert_non_null(strstr(err, "planned twice"));
	assert_false(parses_after("\"api_port\": 6521", "\"api_port\": 0", err, sizeof(err)));
	assert_false(parses_after("\"rw_port\": 5432", "\"rw_port\": \"5432\"", err, sizeof(err)));
	assert_non_null(strstr(err, "rw_port"));
	assert_false(parses_after("\"http_port\": 6506", "\"http_port\": null", err, sizeof(err)));
	assert_false(parses_after("\"ro_port\": 5433", "\"ro_port\": 6520", err, sizeof(err)));
	assert_non_null(strstr(err, "planned twice"));
	assert_false(parses_after("\"router\": {", "\"router\": 7, \"x\": {", err, sizeof(err)));
	assert_non_null(strstr(err, "ports.router"));
	/* no migration for a cluster.json older than the router: it is refused, clearly */
	assert_false(parses_after("\"router\": {", "\"no_router\": {", err, sizeof(err)));
	assert_non_null(strstr(err, "ports.router"));
	assert_false(parses_after("\"binaries\"", "\"binaries_\"", err, sizeof(err)));
	assert_true(
	    parses_after("\"os_user\": \"postgres\"", "\"os_user\": \"alice\"", err, sizeof(err)));
}

static void test_cluster_load_checks_dir(void **state)
{
	char *dir = make_tmpdir();
	struct lab_cluster c;
	struct lab_cluster back;
	char err[512];

	(void)state;
	make_cluster(&c, 3);
	strcpy(c.dir, dir);
	assert_true(lab_cluster_save(&c, err, sizeof(err)));
	assert_true(lab_cluster_load(dir, &back, err, sizeof(err)));
	assert_string_equal(back.dir, dir);
	assert_string_equal(lab_shown_dir(&back), dir);
	{ /* through a link to it (a relocated lab's), the same directory */
		char link[PATH_MAX];

		snprintf(link, sizeof(link), "%s.link", dir);
		assert_int_equal(symlink(dir, link), 0);
		assert_true(lab_cluster_load(link, &back, err, sizeof(err)));
		assert_string_equal(back.dir, dir);
		assert_int_equal(unlink(link), 0);
	}
	/* A cluster.json naming another directory is refused (down would remove c.dir). */
	strcpy(c.dir, "/somewhere/else");
	{
		char path[PATH_MAX];
		char *text = lab_cluster_to_json(&c);

		snprintf(path, sizeof(path), "%s/cluster.json", dir);
		assert_true(fs_write_atomic(path, text, strlen(text), 0644));
		free(text);
	}
	assert_false(lab_cluster_load(dir, &back, err, sizeof(err)));
	assert_non_null(strstr(err, "/somewhere/else"));
	assert_false(lab_cluster_load("/nonexistent-pgha-lab", &back, err, sizeof(err)));
	remove_tmpdir(dir);
}

static void test_scope_valid(void **state)
{
	char long_name[LAB_NAME_LEN + 1];

	(void)state;
	assert_true(lab_scope_valid("pgha-lab"));
	assert_true(lab_scope_valid("A_1"));
	assert_false(lab_scope_valid(""));
	assert_false(lab_scope_valid("a/b"));
	assert_false(lab_scope_valid("a b"));
	assert_false(lab_scope_valid("a\"b"));
	memset(long_name, 'a', LAB_NAME_LEN);
	long_name[LAB_NAME_LEN] = '\0';
	assert_false(lab_scope_valid(long_name));
	long_name[LAB_NAME_LEN - 1] = '\0';
	assert_true(lab_scope_valid(long_name));
}

/* --- secrets -------------------------------------------------------------------------------- */

static void test_password_from_bytes(void **state)
{
	unsigned char bytes[40];
	char pw[LAB_SECRET_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)i;
	assert_true(lab_password_from_bytes(bytes, sizeof(bytes), pw, sizeof(pw)));
	assert_string_equal(pw, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef");
	/* 248..255 would make some characters likelier: they are skipped. */
	memset(bytes, 250, sizeof(bytes));
	bytes[5] = 61;
	bytes[6] = 62;
	assert_false(lab_password_from_bytes(bytes, sizeof(bytes), pw, sizeof(pw)));
	assert_string_equal(pw, "9A");
	assert_false(lab_password_from_bytes(bytes, 3, pw, sizeof(pw)));
}

static void test_secrets_files(void **state)
{
	char *dir = make_tmpdir();
	char sdir[PATH_MAX];
	char path[PATH_MAX + 32];
	struct lab_secrets s;
	struct lab_secrets back;
	struct stat st;
	char err[512];

	(void)state;
	snprintf(sdir, sizeof(sdir), "%s/secrets", dir);
	assert_true(lab_secrets_generate(&s, err, sizeof(err)));
	assert_int_equal(strlen(s.superuser), LAB_SECRET_LEN - 1);
	assert_int_equal(strspn(s.superuser, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                                     "0123456789"),
	                 LAB_SECRET_LEN - 1);
	assert_string_not_equal(s.superuser, s.replication);
	assert_string_not_equal(s.rewind, s.restapi);
	assert_true(lab_secrets_save(&s, sdir, err, sizeof(err)));
	assert_int_equal(stat(sdir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/superuser", sdir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(lab_secrets_load(&back, sdir, err, sizeof(err)));
	assert_memory_equal(&s, &back, sizeof(s));
	/* A hand-edited secret with a quote in it would break the generated files. */
	assert_true(fs_write_atomic(path, "abc\"def\n", 8, 0600));
	assert_false(lab_secrets_load(&back, sdir, err, sizeof(err)));
	assert_non_null(strstr(err, "superuser"));
	assert_true(fs_write_atomic(path, "\n", 1, 0600));
	assert_false(lab_secrets_load(&back, sdir, err, sizeof(err)));
	snprintf(path, sizeof(path), "%s/rewind", sdir);
	assert_int_equal(unlink(path), 0);
	assert_false(lab_secrets_load(&back, sdir, err, sizeof(err)));
	remove_tmpdir(dir);
}

/* --- generated files ---------------------------------------------------------------------- */

/* yaml_ok: text is one well-formed YAML document (libyaml's own parser says so). */
static bool yaml_ok(const char *text)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	bool ok;

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
	ok = yaml_parser_load(&parser, &doc) == 1 && yaml_document_get_root_node(&doc) != NULL;
	if (ok)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return ok;
}

static void test_render_agent_yml(void **state)
{
	struct lab_cluster c;
	struct lab_secrets s;
	struct buf b;

	(void)state;
	make_cluster(&c, 3);
	make_secrets(&s);
	buf_init(&b);
	lab_render_agent_yml(&c, &s, NULL, 1, &b);
	assert_true(yaml_ok(b.data));
	assert_non_null(strstr(b.data, "\nscope: \"pgha-lab\"\n"));
	assert_non_null(strstr(b.data, "\nnamespace: \"/service/\"\n"));
	assert_non_null(strstr(b.data, "\nname: \"node2\"\n"));
	assert_non_null(strstr(b.data, "restapi:\n  listen: \"127.0.0.1:6521\"\n"
	                               "  connect_address: \"127.0.0.1:6521\"\n"
	                               "  authentication:\n    username: \"pgha\"\n"
	                               "    password: \"ApiPw4\"\n"));
	assert_non_null(strstr(b.data, "etcd3:\n  hosts:\n    - \"127.0.0.1:6500\"\n"
	                               "    - \"127.0.0.1:6501\"\n    - \"127.0.0.1:6502\"\n"));
	assert_non_null(strstr(b.data, "  initdb:\n    - data-checksums\n    - encoding: UTF8\n"));
	assert_non_null(strstr(b.data, "postgresql:\n  listen: \"127.0.0.1:6520\"\n"
	                               "  connect_address: \"127.0.0.1:6520\"\n"
	                               "  data_dir: \"/srv/lab/node2/data\"\n"
	                               "  bin_dir: \"/usr/lib/postgresql/15/bin\"\n"
	                               "  pgpass: \"/srv/lab/node2/pgpass\"\n"));
	assert_non_null(strstr(b.data, "    superuser:\n      username: \"postgres\"\n"
	                               "      password: \"SuperPw1\"\n"));
	assert_non_null(strstr(b.data, "    replication:\n      username: \"replicator\"\n"
	                               "      password: \"ReplPw2\"\n"));
	assert_non_null(strstr(b.data, "    rewind:\n      username: \"rewind_user\"\n"
	                               "      password: \"RewindPw3\"\n"));
	assert_non_null(strstr(b.data, "    max_connections: 100\n"));
	assert_non_null(
	    strstr(b.data, "  - \"host replication all 127.0.0.1/32 scram-sha-256\"\n"));
	assert_null(strstr(b.data, "trust"));
	buf_free(&b);
}

/* strv_has: the NULL-terminated list has s. */
static bool strv_has(char **list, const char *s)
{
	for (int i = 0; list && list[i]; i++) {
		if (strcmp(list[i], s) == 0)
			return true;
	}
	return false;
}

/* The agent's own parser reads the generated file as intended, without warnings. */
static void test_render_agent_yml_parses(void **state)
{
	struct lab_cluster c;
	struct lab_secrets s;
	struct config_msgs errors = {.n = 0};
	struct config_msgs warnings = {.n = 0};
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	struct buf b;

	(void)state;
	make_cluster(&c, 3);
	make_secrets(&s);
	buf_init(&b);
	lab_render_agent_yml(&c, &s, NULL, 2, &b);
	if (!config_load_string(b.data, "agent.yml", cfg, &errors, &warnings))
		fail_msg("agent.yml rejected: %s", errors.n ? errors.items[0] : "?");
	for (int i = 0; i < warnings.n; i++)
		print_message("warning: %s\n", warnings.items[i]);
	assert_int_equal(warnings.n, 0);
	assert_string_equal(cfg->scope, "pgha-lab");
	assert_string_equal(cfg->namespace_, "/service/");
	assert_string_equal(cfg->name, "node3");
	assert_string_equal(cfg->restapi.listen, "127.0.0.1:6531");
	assert_string_equal(cfg->restapi.connect_address, "127.0.0.1:6531");
	assert_string_equal(cfg->restapi.username, "pgha");
	assert_string_equal(cfg->restapi.password, "ApiPw4");
	assert_int_equal(cfg->etcd.n_hosts, 3);
	assert_string_equal(cfg->etcd.hosts[2], "127.0.0.1:6502");
	assert_string_equal(cfg->postgresql.listen, "127.0.0.1:6530");
	assert_string_equal(cfg->postgresql.connect_address, "127.0.0.1:6530");
	assert_string_equal(cfg->postgresql.data_dir, "/srv/lab/node3/data");
	assert_string_equal(cfg->postgresql.bin_dir, "/usr/lib/postgresql/15/bin");
	assert_string_equal(cfg->postgresql.pgpass, "/srv/lab/node3/pgpass");
	assert_string_equal(cfg->postgresql.superuser.username, "postgres");
	assert_string_equal(cfg->postgresql.superuser.password, "SuperPw1");
	assert_string_equal(cfg->postgresql.replication.username, "replicator");
	assert_string_equal(cfg->postgresql.replication.password, "ReplPw2");
	assert_string_equal(cfg->postgresql.rewind.username, "rewind_user");
	assert_string_equal(cfg->postgresql.rewind.password, "RewindPw3");
	assert_true(cfg->postgresql.use_pg_rewind);
	assert_true(cfg->bootstrap.dcs.failsafe_mode); /* on in every lab */
	assert_string_equal(pg_params_get(&cfg->postgresql.parameters, "max_connections"), "100");
	assert_string_equal(pg_params_get(&cfg->postgresql.parameters, "shared_buffers"), "32MB");
	assert_true(strv_has(cfg->bootstrap.initdb, "--data-checksums"));
	assert_true(strv_has(cfg->bootstrap.initdb, "--encoding=UTF8"));
	assert_true(strv_has(cfg->bootstrap.initdb, "--locale=C.UTF-8"));
	assert_true(strv_has(cfg->bootstrap.pg_hba, "host all all 127.0.0.1/32 scram-sha-256"));
	assert_true(
	    strv_has(cfg->postgresql.pg_hba, "host replication all 127.0.0.1/32 scram-sha-256"));
	config_free(cfg);
	free(cfg);
	buf_free(&b);
}

static void test_yaml_quote(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	lab_yaml_quote(&b, "a\"b\\c\td");
	assert_string_equal(b.data, "\"a\\\"b\\\\c\\x09d\"");
	buf_free(&b);
	/* A directory with YAML-special characters still renders valid YAML. */
	{
		struct lab_cluster c;
		struct lab_secrets s;

		make_cluster(&c, 1);
		strcpy(c.dir, "/srv/odd: dir #1 \"x\"");
		make_secrets(&s);
		buf_init(&b);
		lab_render_agent_yml(&c, &s, NULL, 0, &b);
		assert_true(yaml_ok(b.data));
		assert_non_null(
		    strstr(b.data, "data_dir: \"/srv/odd: dir #1 \\\"x\\\"/node1/data\""));
		buf_free(&b);
	}
}

/*
 * pgha up --backup-repo FILE: pgBackRest options for every node (the repository and how
 * to push to it), refused as the agent refuses them, and rendered into an agent.yml the
 * agent reads back with them (the file's process-max over the lab's default).
 */
static void test_backup_repo_file(void **state)
{
	static const char file[] = "# the bucket\nrepo1-type = s3\n\nrepo1-s3-bucket=b\n"
	                           "archive-async=y\nprocess-max=4\n";
	static const struct {
		const char *text, *err;
	} bad[] = {
	    {"repo1-type=s3\n\nspool-path=/x\n", "line 3: spool-path: not allowed here"},
	    {"pg1-path=/x\n", "line 1: pg1-path: not allowed here (pgha names"},
	    {"repo1-retention-full=2\n", "set backup.retention_*"},
	    {"archive-push-queue-max=1GB\n", "would drop WAL"},
	    {"\n\nrepo1-type\n", "line 3: not name=value"},
	    {"repo1_type=s3\n", "line 1: 'repo1_type' is not a pgBackRest option name"},
	    {"repo1-type=\n", "line 1: not name=value"},
	    {"=s3\n", "line 1: '' is not a pgBackRest option name"},
	};
	char *tmp = make_tmpdir(), path[PATH_MAX], err[256];
	struct lab_up_opts o = {0};
	struct lab_cluster c;
	struct lab_secrets s;
	struct lab_backup b;
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	struct buf y;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct pg_params p = {0};

		err[0] = '\0';
		assert_false(lab_backup_parse_repo(bad[i].text, &p, err, sizeof(err)));
		if (strstr(err, bad[i].err) == NULL)
			fail_msg("%s: got '%s', expected '%s'", bad[i].text, err, bad[i].err);
		pg_params_free(&p);
	}
	make_cluster(&c, 3);
	make_secrets(&s);
	snprintf(path, sizeof(path), "%s/repo.conf", tmp);
	assert_true(fs_write_atomic(path, file, strlen(file), 0600));
	o.backup_repo = path;
	assert_true(lab_backup_prepare(&c, &o, &b, err, sizeof(err)));
	buf_init(&y);
	lab_render_agent_yml(&c, &s, &b, 0, &y);
	if (!config_load_string(y.data, "agent.yml", cfg, NULL, NULL))
		fail_msg("agent.yml rejected:\n%s", y.data);
	assert_true(cfg->pgbackrest.enabled);
	assert_string_equal(pg_params_get(&cfg->pgbackrest.options, "repo1-type"), "s3");
	assert_string_equal(pg_params_get(&cfg->pgbackrest.options, "repo1-s3-bucket"), "b");
	assert_string_equal(pg_params_get(&cfg->pgbackrest.options, "archive-async"), "y");
	assert_string_equal(pg_params_get(&cfg->pgbackrest.options, "process-max"), "4");
	config_free(cfg);
	free(cfg);
	buf_free(&y);
	lab_backup_free(&b);
	remove_tmpdir(tmp);
}

static void test_render_pg_service(void **state)
{
	struct lab_cluster c;
	struct buf b;

	(void)state;
	make_cluster(&c, 3);
	buf_init(&b);
	lab_render_pg_service(&c, &b);
	/* rw and ro: the router's ports; each node: its PostgreSQL, direct. */
	assert_non_null(strstr(b.data, "\n[rw]\nhost=127.0.0.1\nport=5432\n"
	                               "dbname=postgres\nuser=postgres\npassfile=/srv/lab/pgpass\n"
	                               "connect_timeout=5\n"));
	assert_non_null(strstr(b.data,
	                       "\n[ro]\nhost=127.0.0.1\nport=5433\n"
	                       "dbname=postgres\nuser=postgres\npassfile=/srv/lab/pgpass\n"));
	assert_non_null(strstr(b.data, "\n[node3]\nhost=127.0.0.1\nport=6530\ndbname=postgres\n"
	                               "user=postgres\npassfile=/srv/lab/pgpass\n"));
	assert_null(strstr(b.data, "[node4]"));
	assert_null(strstr(b.data, "target_session_attrs"));
	buf_reset(&b);
	assert_true(lab_plan_make(6500, 3, 30008, &c.plan, (char[256]){0}, 256));
	lab_render_pg_service(&c, &b);
	assert_non_null(strstr(b.data, "\n[rw]\nhost=127.0.0.1\nport=30008\n"));
	assert_non_null(strstr(b.data, "\n[ro]\nhost=127.0.0.1\nport=30009\n"));
	buf_free(&b);
}

static void test_render_pgpass_and_patronictl(void **state)
{
	struct lab_cluster c;
	struct lab_secrets s;
	struct buf b;

	(void)state;
	make_cluster(&c, 2);
	make_secrets(&s);
	buf_init(&b);
	lab_render_pgpass(&c, &s, &b);
	/* the router's ports, then each node's PostgreSQL and PgBouncer */
	assert_string_equal(b.data, "127.0.0.1:5432:*:postgres:SuperPw1\n"
	                            "127.0.0.1:5433:*:postgres:SuperPw1\n"
	                            "127.0.0.1:6510:*:postgres:SuperPw1\n"
	                            "127.0.0.1:6512:*:postgres:SuperPw1\n"
	                            "127.0.0.1:6520:*:postgres:SuperPw1\n"
	                            "127.0.0.1:6522:*:postgres:SuperPw1\n");
	buf_reset(&b);
	lab_render_patronictl(&c, &s, &b);
	assert_true(yaml_ok(b.data));
	assert_non_null(strstr(b.data, "\nscope: \"pgha-lab\"\nnamespace: \"/service/\"\n"
	                               "etcd3:\n  hosts:\n    - \"127.0.0.1:6500\"\n"));
	/* the REST credentials, where Patroni 3.0's patronictl reads them */
	assert_non_null(strstr(b.data, "\nrestapi:\n  authentication:\n    username: \"pgha\"\n"
	                               "    password: \"ApiPw4\"\n"));
	assert_null(strstr(b.data, "SuperPw1"));
	buf_free(&b);
}

/* router.yml as the router itself reads it: the plan's listeners and etcd, pooler targets. */
static void test_render_router_yml(void **state)
{
	struct lab_cluster c;
	struct lab_secrets s;
	struct router_config cfg;
	struct buf b;
	char err[512];
	json_t *root;

	(void)state;
	make_cluster(&c, 3);
	assert_true(lab_plan_make(6500, 3, 30008, &c.plan, err, sizeof(err)));
	buf_init(&b);
	make_secrets(&s);
	lab_render_router_yml(&c, &s, &b);
	assert_true(yaml_ok(b.data));
	root = yaml_to_json(b.data, "router.yml", err, sizeof(err));
	assert_non_null(root);
	router_config_defaults(&cfg);
	if (!router_config_from_json(&cfg, root, err, sizeof(err)))
		fail_msg("router.yml rejected: %s", err);
	assert_string_equal(cfg.scope, "pgha-lab");
	assert_string_equal(cfg.namespace_, "/service/");
	assert_int_equal(cfg.n_etcd, 3);
	assert_string_equal(cfg.etcd_hosts[0], "127.0.0.1:6500");
	assert_string_equal(cfg.etcd_hosts[2], "127.0.0.1:6502");
	assert_string_equal(cfg.rw_listen, "127.0.0.1:30008");
	assert_string_equal(cfg.ro_listen, "127.0.0.1:30009");
	assert_string_equal(cfg.http_listen, "127.0.0.1:6506");
	assert_int_equal(cfg.target, ROUTER_TARGET_POOLER);
	assert_null(strstr(b.data, "password"));
	json_decref(root);
	buf_free(&b);
}

static void test_router_argv_and_landing(void **state)
{
	struct lab_cluster c;
	struct client_landing rw = {.in_recovery = false, .node = "node1", .pg_port = 6510};
	const char *argv[LAB_ROUTER_ARGC];
	char config[PATH_MAX];
	char why[256];

	(void)state;
	make_cluster(&c, 3);
	assert_true(lab_router_argv(&c, false, config, sizeof(config), argv));
	assert_string_equal(config, "/srv/lab/router.yml");
	assert_string_equal(argv[0], "/usr/bin/pgha");
	assert_string_equal(argv[1], "router");
	assert_string_equal(argv[2], "-c");
	assert_ptr_equal(argv[3], config);
	assert_null(argv[4]);
	assert_true(lab_router_argv(&c, true, config, sizeof(config), argv));
	assert_string_equal(argv[2], "--check");
	assert_ptr_equal(argv[4], config);
	assert_null(argv[5]);
	assert_false(lab_router_argv(&c, false, config, 10, argv));
	/* service=rw is right only on the leader, out of recovery. */
	assert_true(lab_router_landing_ok(&rw, "node1", why, sizeof(why)));
	assert_false(lab_router_landing_ok(&rw, "node2", why, sizeof(why)));
	assert_string_equal(why, "service=rw lands on node1 (port 6510), but node2 leads");
	rw.in_recovery = true;
	assert_false(lab_router_landing_ok(&rw, "node1", why, sizeof(why)));
	assert_string_equal(why,
	                    "service=rw lands on node1 (port 6510, in recovery), but node1 leads");
	rw.node[0] = '\0';
	rw.in_recovery = false;
	assert_false(lab_router_landing_ok(&rw, "node1", why, sizeof(why)));
	assert_non_null(strstr(why, "without cluster_name"));
}

static int file_mode(const char *dir, const char *rel)
{
	char path[PATH_MAX + 64];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

static char *read_rel(const char *dir, const char *rel)
{
	char path[PATH_MAX + 64];
	char *text;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	text = fs_read_file(path, NULL);
	assert_non_null(text);
	return text;
}

/* A fresh lab's files: modes, and client files that name the router and the secrets. */
static void test_layout_write(void **state)
{
	char *tmp = make_tmpdir();
	struct lab_runas ru = {0};
	struct lab_cluster c;
	struct lab_cluster back;
	char err[512];
	char line[128];
	char *text;
	char *pw;

	(void)state;
	make_cluster(&c, 2);
	snprintf(c.dir, sizeof(c.dir), "%s/lab", tmp);
	if (!lab_layout_write(&c, &ru, NULL, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(file_mode(c.dir, "cluster.json"), 0644);
	assert_int_equal(file_mode(c.dir, "router.yml"), 0600); /* etcd's password */
	assert_int_equal(file_mode(c.dir, "pg_service.conf"), 0644);
	assert_int_equal(file_mode(c.dir, "pgpass"), 0600);
	assert_int_equal(file_mode(c.dir, "patronictl.yml"), 0600);
	assert_int_equal(file_mode(c.dir, "secrets/etcd"), 0600);
	assert_int_equal(file_mode(c.dir, "tls"), -1); /* c.tls is false */
	assert_int_equal(file_mode(c.dir, "secrets/superuser"), 0600);
	assert_int_equal(file_mode(c.dir, "node2"), 0700);
	assert_int_equal(file_mode(c.dir, "node2/agent.yml"), 0600);
	assert_int_equal(file_mode(c.dir, "run"), 0755);
	assert_int_equal(file_mode(c.dir, "node3"), -1);
	text = read_rel(c.dir, "router.yml");
	assert_non_null(strstr(text, "rw_listen: \"127.0.0.1:5432\""));
	free(text);
	text = read_rel(c.dir, "pg_service.conf");
	assert_non_null(strstr(text, "[rw]\nhost=127.0.0.1\nport=5432\n"));
	assert_non_null(strstr(text, "[ro]\nhost=127.0.0.1\nport=5433\n"));
	free(text);
	pw = read_rel(c.dir, "secrets/superuser");
	pw[strcspn(pw, "\n")] = '\0';
	snprintf(line, sizeof(line), "127.0.0.1:5433:*:postgres:%s\n", pw);
	text = read_rel(c.dir, "pgpass");
	assert_non_null(strstr(text, line));
	free(text);
	free(pw);
	assert_true(lab_cluster_load(c.dir, &back, err, sizeof(err)));
	assert_int_equal(back.plan.router_rw_port, 5432);
	remove_tmpdir(tmp);
}

/* With TLS: a CA whose key is gone, a certificate per node and for etcd, keys 0600. */
static void test_layout_write_tls(void **state)
{
	char *tmp = make_tmpdir();
	struct lab_runas ru = {0};
	struct lab_cluster c;
	struct lab_cluster back;
	char err[512];
	char *text;

	(void)state;
	make_cluster(&c, 2);
	c.tls = true;
	snprintf(c.dir, sizeof(c.dir), "%s/lab", tmp);
	if (!lab_layout_write(&c, &ru, NULL, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(file_mode(c.dir, "tls/ca.crt"), 0644);
	assert_int_equal(file_mode(c.dir, "tls/ca.key"), -1);
	assert_int_equal(file_mode(c.dir, "tls/etcd.key"), 0600);
	assert_int_equal(file_mode(c.dir, "tls/node1.key"), 0600);
	assert_int_equal(file_mode(c.dir, "tls/node2.crt"), 0644);
	text = read_rel(c.dir, "node2/agent.yml");
	assert_non_null(strstr(text, "  certfile: \""));
	assert_non_null(strstr(text, "/tls/node2.crt\"\n"));
	free(text);
	assert_true(lab_cluster_load(c.dir, &back, err, sizeof(err)));
	assert_true(back.tls);
	remove_tmpdir(tmp);
}

/* What a TLS lab's files say, read back by the agent's and the router's own readers. */
static void test_render_tls(void **state)
{
	struct lab_cluster c;
	struct lab_secrets s;
	struct config_msgs errors = {.n = 0}, warnings = {.n = 0};
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	struct router_config rc;
	char err[512];
	json_t *root;
	struct buf b;

	(void)state;
	make_cluster(&c, 3);
	c.tls = true;
	make_secrets(&s);
	strcpy(s.etcd, "EtcdPw5");
	buf_init(&b);
	lab_render_agent_yml(&c, &s, NULL, 0, &b);
	if (!config_load_string(b.data, "agent.yml", cfg, &errors, &warnings))
		fail_msg("agent.yml rejected: %s", errors.n ? errors.items[0] : "?");
	assert_int_equal(warnings.n, 0);
	assert_string_equal(cfg->restapi.certfile, "/srv/lab/tls/node1.crt");
	assert_string_equal(cfg->restapi.keyfile, "/srv/lab/tls/node1.key");
	assert_string_equal(cfg->ctl.tls.cafile, "/srv/lab/tls/ca.crt");
	assert_string_equal(cfg->etcd.protocol, "https");
	assert_string_equal(cfg->etcd.tls.cafile, "/srv/lab/tls/ca.crt");
	assert_string_equal(cfg->etcd.username, "pgha");
	assert_string_equal(cfg->etcd.password, "EtcdPw5");
	assert_string_equal(cfg->postgresql.replication.sslmode, "verify-full");
	assert_string_equal(cfg->postgresql.rewind.sslrootcert, "/srv/lab/tls/ca.crt");
	assert_string_equal(pg_params_get(&cfg->postgresql.parameters, "ssl"), "on");
	assert_string_equal(pg_params_get(&cfg->postgresql.parameters, "ssl_key_file"),
	                    "/srv/lab/tls/node1.key");
	assert_true(strv_has(cfg->postgresql.pg_hba, "hostssl all all 127.0.0.1/32 scram-sha-256"));
	assert_false(strv_has(cfg->postgresql.pg_hba, "host all all 127.0.0.1/32 scram-sha-256"));
	assert_string_equal(cfg->pgbouncer.client_tls.sslmode, "require");
	config_free(cfg);
	free(cfg);
	buf_reset(&b);
	lab_render_router_yml(&c, &s, &b);
	root = yaml_to_json(b.data, "router.yml", err, sizeof(err));
	assert_non_null(root);
	router_config_defaults(&rc);
	if (!router_config_from_json(&rc, root, err, sizeof(err)))
		fail_msg("router.yml rejected: %s", err);
	assert_string_equal(rc.etcd_protocol, "https");
	assert_string_equal(rc.etcd_username, "pgha");
	assert_string_equal(rc.rest_tls.cafile, "/srv/lab/tls/ca.crt");
	json_decref(root);
	buf_reset(&b);
	lab_render_pg_service(&c, &b);
	assert_non_null(strstr(b.data, "\nsslmode=verify-full\nsslrootcert=/srv/lab/tls/ca.crt\n"));
	buf_reset(&b);
	lab_render_patronictl(&c, &s, &b);
	assert_non_null(strstr(b.data,
	                       "etcd3:\n  protocol: https\n  cacert: \"/srv/lab/tls/ca.crt\"\n"
	                       "  username: \"pgha\"\n  password: \"EtcdPw5\"\n"));
	assert_non_null(strstr(b.data, "ctl:\n  cacert: \"/srv/lab/tls/ca.crt\"\n"));
	buf_free(&b);
}

static void test_etcd_argv(void **state)
{
	struct lab_cluster c;
	char **argv;
	char marker[PATH_MAX];
	struct buf all;

	(void)state;
	make_cluster(&c, 3);
	argv = lab_etcd_argv(&c, 1);
	buf_init(&all);
	for (int i = 0; argv[i]; i++)
		buf_printf(&all, "%s\n", argv[i]);
	assert_string_equal(argv[0], "/usr/bin/etcd");
	assert_non_null(strstr(all.data, "\n--name=etcd2\n--data-dir=/srv/lab/etcd/e2\n"));
	assert_non_null(strstr(all.data, "\n--listen-client-urls=http://127.0.0.1:6501\n"));
	assert_non_null(strstr(all.data, "\n--listen-peer-urls=http://127.0.0.1:6504\n"));
	assert_non_null(strstr(all.data,
	                       "\n--initial-cluster=etcd1=http://127.0.0.1:6503,"
	                       "etcd2=http://127.0.0.1:6504,etcd3=http://127.0.0.1:6505\n"));
	/* The timing budget of docs/agent.md: a stalled raft leader replaced in 0.5-1 s. */
	assert_non_null(strstr(all.data, "\n--heartbeat-interval=50\n--election-timeout=500\n"
	                                 "--pre-vote=true\n"
	                                 "--experimental-watch-progress-notify-interval=1s\n"));
	assert_non_null(strstr(all.data, "\n--auto-compaction-mode=periodic\n"));
	assert_non_null(strstr(all.data, "\n--initial-cluster-token=pgha-lab-pgha-lab-6500\n"));
	assert_null(strstr(all.data, "--cert-file"));
	/* The marker that recognises the process is one of its arguments. */
	assert_true(lab_etcd_marker(&c, 1, marker, sizeof(marker)));
	assert_non_null(strstr(all.data, marker));
	buf_free(&all);
	lab_argv_free(argv);
	/* TLS: https for clients and peers, peers with a certificate of the lab's CA */
	c.tls = true;
	argv = lab_etcd_argv(&c, 0);
	buf_init(&all);
	for (int i = 0; argv[i]; i++)
		buf_printf(&all, "%s\n", argv[i]);
	assert_non_null(strstr(all.data, "\n--listen-client-urls=https://127.0.0.1:6500\n"));
	assert_non_null(strstr(all.data, "\n--initial-cluster=etcd1=https://127.0.0.1:6503,"));
	assert_non_null(strstr(all.data, "\n--cert-file=/srv/lab/tls/etcd.crt\n"
	                                 "--key-file=/srv/lab/tls/etcd.key\n"));
	assert_non_null(strstr(all.data, "\n--peer-trusted-ca-file=/srv/lab/tls/ca.crt\n"
	                                 "--peer-client-cert-auth\n"));
	buf_free(&all);
	lab_argv_free(argv);
}

/* --- health verdict -------------------------------------------------------------------------- */

static void healthy_view(struct dcs_view *v)
{
	canned_view(v);
	strcpy(v->members[2].state, "running");
	strcpy(v->members[2].replication_state, "streaming");
}

/* eval_all_200: the verdict on v with every REST probe answering 200. */
static void eval_all_200(const struct lab_plan *p, const struct dcs_view *v, struct lab_health *h)
{
	lab_health_eval(p, v, (long[]){200, 200, 200}, NULL, h);
}

/* eval_healthy: a 3-node plan and healthy_view, every REST probe answering 200. */
static void eval_healthy(struct lab_plan *p, struct dcs_view *v, struct lab_health *h)
{
	char err[256];

	assert_true(lab_plan_make(6500, 3, LAB_DEFAULT_ROUTER_PORT, p, err, sizeof(err)));
	healthy_view(v);
	eval_all_200(p, v, h);
}

static void test_health_eval(void **state)
{
	struct lab_plan p;
	struct dcs_view v;
	struct lab_health h;
	long ok_codes[3] = {200, 200, 200};

	(void)state;
	eval_healthy(&p, &v, &h);
	assert_true(h.healthy);
	assert_true(h.has_leader);
	assert_string_equal(h.leader, "node1");
	assert_string_equal(h.nodes[0].what, "leader");
	assert_string_equal(h.nodes[1].what, "streaming");
	assert_string_equal(lab_health_probe_path(&v, "node1"), "/primary");
	assert_string_equal(lab_health_probe_path(&v, "node2"), "/replica");

	/* The leader's REST API says it is not a primary (yet). */
	lab_health_eval(&p, &v, (long[]){503, 200, 200}, NULL, &h);
	assert_false(h.healthy);
	assert_false(h.nodes[0].ready);
	assert_string_equal(h.nodes[0].what, "leader, state 'running', /primary answers 503");

	/* A replica still cloning, another not streaming yet. */
	canned_view(&v);
	strcpy(v.members[1].replication_state, "in archive recovery");
	lab_health_eval(&p, &v, ok_codes, NULL, &h);
	assert_false(h.healthy);
	assert_string_equal(h.nodes[1].what, "running, replication 'in archive recovery'");
	assert_string_equal(h.nodes[2].what, "state 'creating replica'");

	/* Streaming but /replica refuses (e.g. noloadbalance): not healthy either. */
	healthy_view(&v);
	lab_health_eval(&p, &v, (long[]){200, 200, 0}, NULL, &h);
	assert_false(h.healthy);
	assert_string_equal(h.nodes[2].what, "streaming, /replica answers 0");
}

/* pgha up also waits for the sync key to name a standby (synchronous mode, the default):
 * a switchover asked for right after it finds its candidate named. */
static void test_health_eval_sync(void **state)
{
	struct lab_plan p;
	struct dcs_view v;
	struct lab_health h;
	char err[256];

	(void)state;
	eval_healthy(&p, &v, &h);
	assert_true(h.healthy && h.sync_ok);
	assert_string_equal(h.sync_standby, "node3");
	v.sync.n_standbys = 0; /* claimed by the leader, no standby named yet */
	eval_all_200(&p, &v, &h);
	assert_false(h.healthy);
	assert_false(h.sync_ok);
	assert_true(h.nodes[0].ready && h.nodes[1].ready && h.nodes[2].ready);
	assert_string_equal(h.sync_standby, "");
	strcpy(v.sync.leader, "node2"); /* a former leader's key names no standby of ours */
	v.sync.n_standbys = 1;
	eval_all_200(&p, &v, &h);
	assert_false(h.sync_ok);
	v.sync.present = false; /* no key at all */
	eval_all_200(&p, &v, &h);
	assert_false(h.healthy);
	v.has_config = true; /* synchronous mode off: nothing to wait for */
	v.config_json = (char *)(uintptr_t) "{\"synchronous_mode\":false}";
	eval_all_200(&p, &v, &h);
	assert_true(h.healthy);
	/* one node: no standby to name */
	v.has_config = false;
	v.config_json = NULL;
	assert_true(lab_plan_make(6500, 1, LAB_DEFAULT_ROUTER_PORT, &p, err, sizeof(err)));
	eval_all_200(&p, &v, &h);
	assert_true(h.healthy);
}

static void test_health_eval_old_keys(void **state)
{
	struct lab_plan p;
	struct dcs_view v;
	struct lab_health h;
	long codes[3] = {200, 200, 200};
	int64_t min_rev[3] = {0, 100, 100};
	char err[256];

	(void)state;
	assert_true(lab_plan_make(6500, 3, LAB_DEFAULT_ROUTER_PORT, &p, err, sizeof(err)));
	healthy_view(&v);
	v.members[0].mod_revision = 50; /* node1 was not restarted: any revision counts */
	v.members[1].mod_revision = 101;
	v.members[2].mod_revision = 100; /* written before node3's agent was started */
	lab_health_eval(&p, &v, codes, min_rev, &h);
	assert_false(h.healthy);
	assert_true(h.nodes[0].ready);
	assert_true(h.nodes[1].ready);
	assert_false(h.nodes[2].ready);
	assert_string_equal(h.nodes[2].what, "member key from before this start");
	v.members[2].mod_revision = 102;
	lab_health_eval(&p, &v, codes, min_rev, &h);
	assert_true(h.healthy);
	/* The same holds for the leader's own member key. */
	min_rev[0] = 60;
	lab_health_eval(&p, &v, codes, min_rev, &h);
	assert_false(h.healthy);
	assert_true(h.has_leader);
	assert_true(h.nodes[0].is_leader);
}

static void test_health_eval_no_leader(void **state)
{
	struct lab_plan p;
	struct dcs_view v;
	struct lab_health h;
	long codes[3] = {200, 200, 200};
	char err[256];

	(void)state;
	assert_true(lab_plan_make(6500, 3, LAB_DEFAULT_ROUTER_PORT, &p, err, sizeof(err)));
	healthy_view(&v);
	v.has_leader = false;
	lab_health_eval(&p, &v, codes, NULL, &h);
	assert_false(h.healthy);
	assert_false(h.has_leader);
	/* A member missing from etcd (not registered yet). */
	healthy_view(&v);
	v.n_members = 2;
	lab_health_eval(&p, &v, codes, NULL, &h);
	assert_false(h.healthy);
	assert_string_equal(h.nodes[2].what, "not registered in etcd");
	/* A leader key held by a node outside the plan does not count. */
	healthy_view(&v);
	strcpy(v.leader, "stranger");
	lab_health_eval(&p, &v, codes, NULL, &h);
	assert_false(h.has_leader);
	assert_false(h.healthy);
}

/* --- options -------------------------------------------------------------------------------- */

/* --- ports ---------------------------------------------------------------------------------- */

static int listen_on(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 1) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void test_ports_check(void **state)
{
	struct lab_plan p;
	const char *node1_only[] = {"node1", NULL};
	const char *node2_only[] = {"node2", NULL};
	const char *router_only[] = {"router", NULL};
	char err[512];
	int fd;

	(void)state;
	assert_true(lab_plan_make(TEST_BASE_PORT, 2, TEST_BASE_PORT + 8, &p, err, sizeof(err)));
	if (!lab_ports_check(&p, NULL, err, sizeof(err)))
		skip(); /* something else uses the test range right now */
	fd = listen_on(p.nodes[0].api_port);
	assert_true(fd >= 0);
	assert_false(lab_port_free(p.nodes[0].api_port, err, sizeof(err)));
	assert_false(lab_ports_check(&p, NULL, err, sizeof(err)));
	assert_string_equal(err, "port 30511 (node1 REST API) is not free: Address already in use\n"
	                         "Pick another --base-port (the plan uses ports 30500-30599).");
	assert_false(lab_ports_check(&p, node1_only, err, sizeof(err)));
	assert_true(lab_ports_check(&p, node2_only, err, sizeof(err)));
	assert_true(lab_ports_check(&p, router_only, err, sizeof(err)));
	close(fd);
	/* The router's ports are checked like the others, and name their own option. */
	fd = listen_on(p.router_ro_port);
	assert_true(fd >= 0);
	assert_true(lab_ports_check(&p, node1_only, err, sizeof(err)));
	assert_false(lab_ports_check(&p, router_only, err, sizeof(err)));
	assert_string_equal(err,
	                    "port 30509 (router read-only) is not free: Address already in use\n"
	                    "Pick other router ports with --router-port R (read-write R, "
	                    "read-only R+1; now 30508 and 30509).");
	close(fd);
	fd = listen_on(p.router_http_port);
	assert_true(fd >= 0);
	assert_false(lab_ports_check(&p, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "port 30506 (router HTTP (/health)) is not free"));
	assert_non_null(strstr(err, "--base-port"));
	close(fd);
	assert_true(lab_ports_check(&p, NULL, err, sizeof(err)));
}

/* --- processes ------------------------------------------------------------------------------ */

static void lab_in(struct lab_cluster *c, const char *dir)
{
	char path[PATH_MAX + 8];

	make_cluster(c, 2);
	strcpy(c->dir, dir);
	snprintf(path, sizeof(path), "%s/run", dir);
	assert_true(fs_mkdir_p(path, 0755));
	snprintf(path, sizeof(path), "%s/logs", dir);
	assert_true(fs_mkdir_p(path, 0755));
}

static void test_proc_start_find_stop(void **state)
{
	char *dir = make_tmpdir();
	const char *argv[] = {"/bin/sleep", "60", NULL};
	struct lab_runas ru = {0};
	struct lab_cluster c;
	char path[PATH_MAX];
	char err[256];
	bool killed[1];
	pid_t pid;

	(void)state;
	lab_in(&c, dir);
	pid = lab_proc_start(&c, &ru, "node1", argv, err, sizeof(err));
	assert_true(pid > 0);
	assert_true(lab_pid_path(&c, "node1", path, sizeof(path)));
	assert_int_equal(proc_pidfile_read(path), pid);
	assert_true(lab_cmdline_has(pid, "60"));
	assert_false(lab_cmdline_has(pid, "6"));
	/* Found only with the right marker: a recycled pid is not ours. */
	assert_int_equal(lab_proc_find(&c, "node1", "60"), pid);
	assert_int_equal(lab_proc_find(&c, "node1", "--data-dir=/elsewhere"), 0);
	assert_int_equal(lab_proc_find(&c, "node2", "60"), 0);
	assert_true(lab_procs_stop(&pid, 1, SIGTERM, 5000, killed));
	assert_false(killed[0]);
	assert_false(proc_alive(pid));
	assert_int_equal(lab_proc_find(&c, "node1", "60"), 0);
	/* A program that cannot start is reported, and no pid file is left pointing at it. */
	argv[0] = "/nonexistent/program";
	assert_int_equal(lab_proc_start(&c, &ru, "node2", argv, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/program"));
	remove_tmpdir(dir);
}

/* lab_running_scan finds the router by its pid file and router.yml on its command line. */
static void test_running_scan_router(void **state)
{
	char *dir = make_tmpdir();
	char config[PATH_MAX];
	const char *argv[] = {"/bin/sh", "-c", "sleep 60", "sh", config, NULL};
	const char *other[] = {"/bin/sleep", "60", NULL};
	struct lab_runas ru = {0};
	struct lab_cluster c;
	struct lab_running r;
	char err[256];
	pid_t pid;

	(void)state;
	lab_in(&c, dir);
	assert_true(lab_router_config(&c, config, sizeof(config)));
	lab_running_scan(&c, &r);
	assert_int_equal(r.router, 0);
	assert_int_equal(lab_running_count(&c, &r), 0);
	pid = lab_proc_start(&c, &ru, LAB_ROUTER_NAME, argv, err, sizeof(err));
	assert_true(pid > 0);
	lab_running_scan(&c, &r);
	assert_int_equal(r.router, pid);
	assert_int_equal(lab_running_count(&c, &r), 1);
	assert_int_equal(lab_running_agents(&c, &r), 0);
	assert_false(lab_running_all(&c, &r));
	assert_true(lab_procs_stop(&pid, 1, SIGTERM, 5000, NULL));
	/* A live pid whose command line does not name router.yml is not the router. */
	pid = lab_proc_start(&c, &ru, LAB_ROUTER_NAME, other, err, sizeof(err));
	assert_true(pid > 0);
	lab_running_scan(&c, &r);
	assert_int_equal(r.router, 0);
	assert_true(lab_procs_stop(&pid, 1, SIGTERM, 5000, NULL));
	remove_tmpdir(dir);
}

static void test_procs_stop_escalates(void **state)
{
	/* A process that ignores SIGTERM is SIGKILLed after the timeout. */
	const char *argv[] = {"/bin/sh", "-c", "trap '' TERM; sleep 60", NULL};
	struct proc_spec spec = {.argv = argv, .stdin_null = true};
	char err[256];
	bool killed[1];
	pid_t pid;

	(void)state;
	pid = proc_spawn(&spec, err, sizeof(err));
	assert_true(pid > 0);
	usleep(200 * 1000); /* let the shell install its trap */
	assert_true(lab_procs_stop(&pid, 1, SIGTERM, 300, killed));
	assert_true(killed[0]);
	assert_false(proc_alive(pid));
}

static void test_postmaster_find(void **state)
{
	char *dir = make_tmpdir();
	char *other = make_tmpdir();
	const char *argv[] = {"/bin/sleep", "60", NULL};
	struct proc_spec spec = {.argv = argv, .cwd = dir, .stdin_null = true};
	char path[PATH_MAX + 32];
	char text[64];
	char err[256];
	pid_t pid;

	(void)state;
	pid = proc_spawn(&spec, err, sizeof(err));
	assert_true(pid > 0);
	snprintf(path, sizeof(path), "%s/postmaster.pid", dir);
	snprintf(text, sizeof(text), "%d\n%s\n1700000000\n6510\n", (int)pid, dir);
	assert_true(fs_write_atomic(path, text, strlen(text), 0600));
	assert_int_equal(lab_postmaster_find(dir), pid);
	/* The same pid named in another data directory: its cwd does not match. */
	snprintf(path, sizeof(path), "%s/postmaster.pid", other);
	assert_true(fs_write_atomic(path, text, strlen(text), 0600));
	assert_int_equal(lab_postmaster_find(other), 0);
	assert_true(proc_stop(pid, SIGTERM, 5000));
	assert_int_equal(lab_postmaster_find(dir), 0);
	remove_tmpdir(other);
	remove_tmpdir(dir);
}

static void test_leader_hint(void **state)
{
	char *dir = make_tmpdir();
	struct lab_cluster c;
	char name[LAB_NAME_LEN];
	char path[PATH_MAX + 16];

	(void)state;
	lab_in(&c, dir);
	assert_false(lab_leader_hint_load(&c, name, sizeof(name)));
	assert_true(lab_leader_hint_save(&c, "node2"));
	assert_true(lab_leader_hint_load(&c, name, sizeof(name)));
	assert_string_equal(name, "node2");
	/* A hint naming a node outside the plan is ignored. */
	snprintf(path, sizeof(path), "%s/run/leader", dir);
	assert_true(fs_write_atomic(path, "node7\n", 6, 0644));
	assert_false(lab_leader_hint_load(&c, name, sizeof(name)));
	lab_leader_hint_clear(&c);
	assert_false(fs_exists(path));
	remove_tmpdir(dir);
}

static void test_former_leader(void **state)
{
	struct lab_plan p;
	char out[LAB_NAME_LEN];
	char err[256];

	(void)state;
	assert_true(lab_plan_make(6500, 3, LAB_DEFAULT_ROUTER_PORT, &p, err, sizeof(err)));
	assert_true(lab_former_leader(&p, "node2", "node3", "node1", out, sizeof(out)));
	assert_string_equal(out, "node2"); /* a live leader key wins */
	assert_true(lab_former_leader(&p, "", "node3", "node1", out, sizeof(out)));
	assert_string_equal(out, "node3"); /* then what pgha down recorded */
	assert_true(lab_former_leader(&p, NULL, NULL, "node1", out, sizeof(out)));
	assert_string_equal(out, "node1"); /* then the sync key */
	assert_true(lab_former_leader(&p, "stranger", "node9", "node3", out, sizeof(out)));
	assert_string_equal(out, "node3"); /* names outside the plan do not count */
	assert_false(lab_former_leader(&p, NULL, "", "", out, sizeof(out)));
}

/* --- where the lab lives ------------------------------------------------------------------- */

/* entries: how many names dir holds (. and .. aside). */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void test_place_elsewhere(void **state)
{
	char *tmp = make_tmpdir();
	char base[PATH_MAX], link[PATH_MAX], real[PATH_MAX], other[PATH_MAX], err[512];
	struct lab_cluster c;
	struct stat st;

	(void)state;
	snprintf(base, sizeof(base), "%s/labs", tmp);
	snprintf(link, sizeof(link), "%s/my lab!", tmp);
	assert_int_equal(mkdir(link, 0700), 0); /* an empty directory gives way to the link */
	assert_true(lab_place_elsewhere(base, link, real, sizeof(real), err, sizeof(err)));
	assert_int_equal(strncmp(real, base, strlen(base)), 0);
	assert_int_equal(strncmp(real + strlen(base), "/my_lab_.", 9), 0);
	assert_true(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
	assert_true(fs_same_file(link, real));
	assert_true(stat(real, &st) == 0 && (st.st_mode & 07777) == 0755);
	/* The link's place is taken now: refused, nothing left behind in base. */
	assert_false(lab_place_elsewhere(base, link, other, sizeof(other), err, sizeof(err)));
	assert_non_null(strstr(err, "cannot make"));
	assert_int_equal(entries(base), 1);
	/* A base others may write is refused (a lab runs as its OS user from there). */
	assert_int_equal(chmod(base, 0777), 0);
	snprintf(other, sizeof(other), "%s/second", tmp);
	assert_false(lab_place_elsewhere(base, other, other, sizeof(other), err, sizeof(err)));
	assert_non_null(strstr(err, "refusing"));
	assert_int_equal(chmod(base, 0755), 0);
	/* pgha down: the link goes with the directory, and the base once empty. */
	make_cluster(&c, 3);
	strcpy(c.dir, real);
	strcpy(c.link, link);
	assert_true(fs_rm_rf(real));
	assert_true(lab_place_unlink(&c));
	assert_false(lstat(link, &st) == 0);
	assert_false(fs_exists(base));
	/* A link that points elsewhere now is not ours to remove. */
	assert_int_equal(symlink("/", link), 0);
	assert_true(lab_place_unlink(&c));
	assert_true(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
	remove_tmpdir(tmp);
}

/* Relocation is for root running the lab as another user who cannot reach DIR. */
static void test_place_needed(void **state)
{
	char *tmp = make_tmpdir(); /* mkdtemp: mode 0700 */
	char dir[PATH_MAX], name[64], err[256];
	struct lab_runas ru;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/pgha-lab", tmp);
	ru = (struct lab_runas){0};
	assert_false(lab_place_needed(&ru, dir)); /* the lab runs as ourselves */
	if (geteuid() == 0 && getpwnam("postgres") != NULL) {
		assert_true(lab_user_resolve(NULL, &ru, name, sizeof(name), err, sizeof(err)));
		assert_true(lab_place_needed(&ru, dir));
		assert_int_equal(chmod(tmp, 0755), 0);
		assert_false(lab_place_needed(&ru, dir));
	}
	remove_tmpdir(tmp);
}

/* Every pgha up gives the lab its own copy of the binary, replaced atomically. */
static void test_install_binary(void **state)
{
	char *tmp = make_tmpdir();
	char want[PATH_MAX], err[512];
	struct lab_cluster c;
	struct stat first, again;
	size_t len = 0;
	char *data;

	(void)state;
	make_cluster(&c, 3);
	strcpy(c.dir, tmp);
	snprintf(want, sizeof(want), "%s/%s", tmp, LAB_BIN_REL);
	assert_true(lab_install_binary(&c, "/proc/self/exe", err, sizeof(err)));
	assert_string_equal(c.pgha_bin, want);
	assert_true(stat(want, &first) == 0 && (first.st_mode & 07777) == 0755);
	data = fs_read_file("/proc/self/exe", &len);
	assert_non_null(data);
	assert_int_equal((size_t)first.st_size, len);
	free(data);
	assert_true(lab_install_binary(&c, "/proc/self/exe", err, sizeof(err)));
	assert_true(stat(want, &again) == 0);
	assert_true(again.st_ino != first.st_ino); /* a new file: running copies keep theirs */
	assert_false(lab_install_binary(&c, "/nonexistent/pgha", err, sizeof(err)));
	assert_non_null(strstr(err, "cannot copy /nonexistent/pgha"));
	remove_tmpdir(tmp);
}

static void test_lock(void **state)
{
	char *dir = make_tmpdir();
	struct lab_cluster c;
	char err[512];
	int fd;
	int fd2;

	(void)state;
	lab_in(&c, dir);
	fd = lab_lock(&c, err, sizeof(err));
	assert_true(fd >= 0);
	/* A second up/down on the same directory is refused while the first one runs. */
	assert_int_equal(lab_lock(&c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "another pgha up or pgha down is working on"));
	lab_unlock(fd);
	fd2 = lab_lock(&c, err, sizeof(err));
	assert_true(fd2 >= 0);
	lab_unlock(fd2);
	strcpy(c.dir, "/nonexistent-pgha-lab");
	assert_int_equal(lab_lock(&c, err, sizeof(err)), -1);
	remove_tmpdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plan_layout),
	    cmocka_unit_test(test_plan_limits),
	    cmocka_unit_test(test_plan_router_ports),
	    cmocka_unit_test(test_plan_ports_distinct),
	    cmocka_unit_test(test_plan_validate_rejects),
	    cmocka_unit_test(test_plan_format),
	    cmocka_unit_test(test_cluster_json_round_trip),
	    cmocka_unit_test(test_cluster_json_rejects),
	    cmocka_unit_test(test_cluster_load_checks_dir),
	    cmocka_unit_test(test_scope_valid),
	    cmocka_unit_test(test_password_from_bytes),
	    cmocka_unit_test(test_secrets_files),
	    cmocka_unit_test(test_render_agent_yml),
	    cmocka_unit_test(test_render_agent_yml_parses),
	    cmocka_unit_test(test_yaml_quote),
	    cmocka_unit_test(test_backup_repo_file),
	    cmocka_unit_test(test_render_pg_service),
	    cmocka_unit_test(test_render_pgpass_and_patronictl),
	    cmocka_unit_test(test_render_router_yml),
	    cmocka_unit_test(test_router_argv_and_landing),
	    cmocka_unit_test(test_layout_write),
	    cmocka_unit_test(test_layout_write_tls),
	    cmocka_unit_test(test_render_tls),
	    cmocka_unit_test(test_etcd_argv),
	    cmocka_unit_test(test_health_eval),
	    cmocka_unit_test(test_health_eval_sync),
	    cmocka_unit_test(test_health_eval_old_keys),
	    cmocka_unit_test(test_health_eval_no_leader),
	    cmocka_unit_test(test_ports_check),
	    cmocka_unit_test(test_proc_start_find_stop),
	    cmocka_unit_test(test_running_scan_router),
	    cmocka_unit_test(test_procs_stop_escalates),
	    cmocka_unit_test(test_postmaster_find),
	    cmocka_unit_test(test_leader_hint),
	    cmocka_unit_test(test_former_leader),
	    cmocka_unit_test(test_place_elsewhere),
	    cmocka_unit_test(test_place_needed),
	    cmocka_unit_test(test_install_binary),
	    cmocka_unit_test(test_lock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
