/*
 * test_config.c: config/ (YAML config with Patroni's keys, dynamic config JSON,
 * yaml_to_json typing, pg_params).
 *
 * Configs are loaded from strings named "t.yml" (so messages read "t.yml:LINE: ...")
 * and from the files in tests/unit/fixtures/config/ (run from the repository root,
 * as `make unit` does).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config/config.h"
#include "config/config_engine.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define FIXTURES "tests/unit/fixtures/config/"

/* The smallest valid config: 9 lines, so that tests can put their lines first. */
#define CORE "scope: batman\nname: pg1\n"
#define REST "restapi:\n  listen: 127.0.0.1:8008\n"
#define ETCD "etcd3:\n  hosts: 127.0.0.1:2379\n"
#define PG   "postgresql:\n  listen: 127.0.0.1:5432\n  data_dir: /tmp/pgha-test/pg1\n"
#define BASE CORE REST ETCD PG

struct loaded {
	struct config cfg;
	struct config_msgs errors;
	struct config_msgs warnings;
	bool ok;
};

static struct loaded *load(const char *yaml)
{
	struct loaded *l = xcalloc(1, sizeof(*l));

	l->ok = config_load_string(yaml, "t.yml", &l->cfg, &l->errors, &l->warnings);
	return l;
}

static struct loaded *load_file(const char *path)
{
	struct loaded *l = xcalloc(1, sizeof(*l));

	l->ok = config_load(path, &l->cfg, &l->errors, &l->warnings);
	return l;
}

static void unload(struct loaded *l)
{
	config_free(&l->cfg);
	free(l);
}

static void print_msgs(const char *what, const struct config_msgs *m)
{
	for (int i = 0; i < m->n; i++)
		print_message("  %s[%d] %s\n", what, i, m->items[i]);
}

static bool has_msg(const struct config_msgs *m, const char *text)
{
	for (int i = 0; i < m->n; i++)
		if (strstr(m->items[i], text) != NULL)
			return true;
	return false;
}

/* The message list has an item containing text; prints the list otherwise. */
static void expect_msg(const struct config_msgs *m, const char *text)
{
	if (has_msg(m, text))
		return;
	print_message("no message contains \"%s\"; got:\n", text);
	print_msgs("msg", m);
	fail();
}

static void expect_ok(const struct loaded *l)
{
	if (l->ok)
		return;
	print_msgs("error", &l->errors);
	fail();
}

/* Loading yaml fails with an error containing text. */
static void expect_error(const char *yaml, const char *text)
{
	struct loaded *l = load(yaml);

	if (l->ok)
		print_message("expected an error \"%s\" for:\n%s\n", text, yaml);
	assert_false(l->ok);
	expect_msg(&l->errors, text);
	unload(l);
}

/* Loading yaml succeeds with a warning containing text. */
static void expect_warning(const char *yaml, const char *text)
{
	struct loaded *l = load(yaml);

	expect_ok(l);
	expect_msg(&l->warnings, text);
	unload(l);
}

static void strv_free_for_test(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static void assert_json_eq(json_t *actual, const char *expected_text)
{
	json_t *expected = json_loads(expected_text, JSON_DECODE_ANY, NULL);

	assert_non_null(expected);
	if (!json_equal(actual, expected)) {
		char *a = json_dumps(actual, JSON_SORT_KEYS | JSON_ENCODE_ANY);

		print_message("json: got %s\n      want %s\n", a ? a : "NULL", expected_text);
		free(a);
		json_decref(expected);
		fail();
	}
	json_decref(expected);
}

/* --- fixtures ---------------------------------------------------------------------- */

static void test_full_fixture(void **state)
{
	struct loaded *l = load_file(FIXTURES "full.yml");
	const struct config *c = &l->cfg;

	(void)state;
	expect_ok(l);
	assert_int_equal(l->warnings.n, 0);
	assert_true(str_has_suffix(c->path, "/" FIXTURES "full.yml"));
	assert_string_equal(c->scope, "batman");
	assert_string_equal(c->namespace_, "/service/");
	assert_string_equal(c->name, "pg1");
	assert_string_equal(c->log_level, "debug");
	assert_string_equal(c->restapi.listen, "0.0.0.0:8008");
	assert_string_equal(c->restapi.connect_address, "10.0.0.1:8008");
	assert_string_equal(c->restapi.username, "admin");
	assert_string_equal(c->restapi.password, "s3cret");
	assert_int_equal(c->etcd.n_hosts, 3);
	assert_string_equal(c->etcd.hosts[0], "10.0.0.11:2379");
	assert_string_equal(c->etcd.hosts[2], "10.0.0.13:2379");
	assert_string_equal(c->etcd.protocol, "http");
	assert_string_equal(c->etcd.username, "root");
	assert_string_equal(c->etcd.password, "etcdpass");
	assert_int_equal(c->bootstrap.dcs.ttl_s, 30);
	assert_int_equal(c->bootstrap.dcs.loop_wait_s, 10);
	assert_int_equal(c->bootstrap.dcs.retry_timeout_s, 10);
	assert_int_equal(c->bootstrap.dcs.maximum_lag_on_failover, 1048576);
	assert_int_equal(c->bootstrap.dcs.primary_start_timeout_s, 300);
	assert_true(c->bootstrap.dcs.synchronous_mode);
	assert_false(c->bootstrap.dcs.synchronous_mode_strict);
	assert_int_equal(c->bootstrap.dcs.synchronous_node_count, 1);
	assert_true(c->bootstrap.dcs.check_timeline);
	assert_false(c->bootstrap.dcs.pause);
	assert_true(c->bootstrap.dcs.use_pg_rewind);
	assert_true(c->bootstrap.dcs.use_slots);
	assert_int_equal(c->bootstrap.dcs.parameters.n, 8);
	assert_string_equal(pg_params_get(&c->bootstrap.dcs.parameters, "max_connections"), "100");
	assert_string_equal(pg_params_get(&c->bootstrap.dcs.parameters, "wal_log_hints"), "on");
	assert_string_equal(pg_params_get(&c->bootstrap.dcs.parameters, "archive_mode"), "off");
	assert_string_equal(
	    pg_params_get(&c->bootstrap.dcs.parameters, "checkpoint_completion_target"), "0.9");
	assert_string_equal(pg_params_get(&c->bootstrap.dcs.parameters, "archive_command"),
	                    "cp %p ../wal_archive/%f");
	assert_string_equal(c->bootstrap.initdb[0], "--encoding=UTF8");
	assert_string_equal(c->bootstrap.initdb[1], "--data-checksums");
	assert_string_equal(c->bootstrap.initdb[2], "--locale=C.UTF-8");
	assert_null(c->bootstrap.initdb[3]);
	assert_string_equal(c->bootstrap.pg_hba[1], "host all all 0.0.0.0/0 scram-sha-256");
	assert_null(c->bootstrap.pg_hba[2]);
	assert_string_equal(c->postgresql.listen, "0.0.0.0:5432");
	assert_string_equal(c->postgresql.connect_address, "10.0.0.1:5432");
	assert_int_equal(c->postgresql.port, 5432);
	assert_string_equal(c->postgresql.data_dir, "/var/lib/postgresql/15/main");
	assert_string_equal(c->postgresql.bin_dir, "/usr/lib/postgresql/15/bin");
	assert_string_equal(c->postgresql.pgpass, "/var/lib/postgresql/pgpass");
	assert_string_equal(c->postgresql.socket_dir, "/var/run/postgresql");
	assert_string_equal(c->postgresql.superuser.username, "postgres");
	assert_string_equal(c->postgresql.superuser.password, "zalando");
	assert_string_equal(c->postgresql.replication.username, "replicator");
	assert_string_equal(c->postgresql.replication.password, "rep-pass");
	assert_string_equal(c->postgresql.rewind.username, "rewind_user");
	assert_string_equal(c->postgresql.rewind.password, "rewind_password");
	assert_string_equal(pg_params_get(&c->postgresql.parameters, "shared_buffers"), "128MB");
	assert_string_equal(pg_params_get(&c->postgresql.parameters, "jit"), "off");
	assert_string_equal(c->postgresql.pg_hba[0], "local all all peer");
	assert_true(c->postgresql.use_pg_rewind && c->postgresql.use_pg_rewind_set);
	assert_true(c->postgresql.remove_data_directory_on_rewind_failure);
	assert_false(c->tags.nofailover);
	assert_true(c->tags.noloadbalance);
	assert_true(c->tags.clonefrom);
	assert_false(c->tags.nosync);
	assert_int_equal(c->tags.failover_priority, 3);
	assert_json_eq(c->tags.all,
	               "{\"nofailover\":false,\"noloadbalance\":true,\"clonefrom\":true,"
	               "\"nosync\":false,\"failover_priority\":3,\"zone\":\"eu-west-1a\"}");
	assert_true(c->pgbouncer.enabled);
	assert_string_equal(c->pgbouncer.listen, "0.0.0.0:6432");
	assert_string_equal(c->pgbouncer.bin, "/usr/sbin/pgbouncer");
	assert_int_equal(c->pgbouncer.pool_size, 50);
	assert_int_equal(c->pgbouncer.max_client_conn, 2000);
	assert_string_equal(c->pgbouncer.pool_mode, "transaction");
	unload(l);
}

/* Patroni's own example (docs/postgres0.yml from the Debian package), unchanged. */
static void test_patroni_example_fixture(void **state)
{
	struct loaded *l = load_file(FIXTURES "patroni-postgres0.yml");
	char cwd[PATH_MAX], expect[PATH_MAX + 64];

	(void)state;
	expect_ok(l);
	expect_msg(&l->warnings, "patroni-postgres0.yml:25: 'etcd' section read as 'etcd3'");
	expect_msg(&l->warnings, "patroni-postgres0.yml:98: 'bootstrap.users' is not supported");
	assert_string_equal(l->cfg.etcd.hosts[0], "127.0.0.1:2379");
	assert_int_equal(l->cfg.bootstrap.dcs.ttl_s, 30);
	assert_string_equal(l->cfg.postgresql.pgpass, "/tmp/pgpass0");
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(expect, sizeof(expect), "%s/data/postgresql0", cwd);
	assert_string_equal(l->cfg.postgresql.data_dir, expect); /* relative: made absolute */
	snprintf(expect, sizeof(expect), "%s/data/postgresql0/..", cwd);
	assert_string_equal(l->cfg.postgresql.socket_dir, expect); /* '..' from data_dir */
	assert_string_equal(l->cfg.bootstrap.initdb[0], "--encoding=UTF8");
	assert_string_equal(l->cfg.bootstrap.initdb[1], "--data-checksums");
	/* bootstrap.dcs as written, with pgha's effective values filled in. */
	assert_json_eq(json_object_get(l->cfg.bootstrap.dcs_json, "ttl"), "30");
	assert_json_eq(json_object_get(l->cfg.bootstrap.dcs_json, "synchronous_mode"), "true");
	unload(l);
}

static void test_missing_file(void **state)
{
	struct loaded *l = load_file(FIXTURES "no-such-file.yml");

	(void)state;
	assert_false(l->ok);
	expect_msg(&l->errors, "no-such-file.yml: cannot read: No such file or directory");
	unload(l);
}

/* --- defaults ------------------------------------------------------------------------- */

static void test_defaults(void **state)
{
	struct loaded *l = load(BASE);
	const struct config *c = &l->cfg;
	struct dyn_config d;

	(void)state;
	expect_ok(l);
	assert_int_equal(l->warnings.n, 0);
	assert_string_equal(c->path, "t.yml");
	assert_string_equal(c->namespace_, "/service/");
	assert_string_equal(c->log_level, "info");
	assert_string_equal(c->restapi.connect_address, "127.0.0.1:8008");
	assert_string_equal(c->restapi.username, "");
	assert_string_equal(c->postgresql.connect_address, "127.0.0.1:5432");
	assert_int_equal(c->postgresql.port, 5432);
	assert_string_equal(c->postgresql.bin_dir, "/usr/lib/postgresql/15/bin");
	assert_string_equal(c->postgresql.pgpass, "/tmp/pgha-test/pg1.pgpass");
	assert_string_equal(c->postgresql.socket_dir, "");
	assert_string_equal(c->postgresql.superuser.username, "postgres");
	assert_string_equal(c->postgresql.superuser.password, "");
	assert_string_equal(c->postgresql.replication.username, "replicator");
	assert_string_equal(c->postgresql.rewind.username, "postgres");
	assert_true(c->postgresql.use_pg_rewind);
	assert_false(c->postgresql.use_pg_rewind_set);
	assert_false(c->postgresql.remove_data_directory_on_rewind_failure);
	assert_null(c->postgresql.pg_hba);
	assert_null(c->bootstrap.pg_hba);
	assert_string_equal(c->bootstrap.initdb[0], "--data-checksums");
	assert_null(c->bootstrap.initdb[1]);
	assert_string_equal(c->etcd.protocol, "http");
	assert_false(c->pgbouncer.enabled);
	assert_string_equal(c->pgbouncer.bin, "/usr/sbin/pgbouncer");
	assert_int_equal(c->pgbouncer.pool_size, 20);
	assert_int_equal(c->pgbouncer.max_client_conn, 1000);
	assert_string_equal(c->pgbouncer.pool_mode, "session");
	assert_false(c->tags.nofailover);
	assert_int_equal(c->tags.failover_priority, 1);
	assert_json_eq(c->tags.all, "{}");
	dyn_config_defaults(&d);
	assert_memory_equal(&c->bootstrap.dcs, &d, sizeof(d));
	assert_json_eq(
	    c->bootstrap.dcs_json,
	    "{\"ttl\":2,\"loop_wait\":1,\"retry_timeout\":1,"
	    "\"maximum_lag_on_failover\":1048576,\"primary_start_timeout\":0,"
	    "\"synchronous_mode\":true,\"synchronous_mode_strict\":false,"
	    "\"synchronous_node_count\":1,\"check_timeline\":true,\"failsafe_mode\":"
	    "false,\"pause\":false,"
	    "\"postgresql\":{\"use_pg_rewind\":true,\"use_slots\":true,"
	    "\"remove_data_directory_on_rewind_failure\":false},"
	    "\"backup\":{\"full_every\":0,\"diff_every\":0,\"incr_every\":0,\"retention_full\":2,"
	    "\"retention_full_type\":\"count\",\"retention_diff\":0,\"standby\":true}}");
	unload(l);
}

static void test_dyn_config_defaults(void **state)
{
	struct dyn_config d;

	(void)state;
	memset(&d, 0xff, sizeof(d));
	dyn_config_defaults(&d);
	assert_int_equal(d.ttl_s, 2);
	assert_int_equal(d.loop_wait_s, 1);
	assert_int_equal(d.retry_timeout_s, 1);
	assert_int_equal(d.maximum_lag_on_failover, 1048576);
	assert_int_equal(d.primary_start_timeout_s, 0);
	assert_true(d.synchronous_mode);
	assert_false(d.synchronous_mode_strict);
	assert_int_equal(d.synchronous_node_count, 1);
	assert_false(d.pause);
	assert_true(d.check_timeline);
	assert_true(d.use_pg_rewind);
	assert_true(d.use_slots);
	assert_false(d.remove_data_directory_on_rewind_failure);
	assert_int_equal(d.parameters.n, 0);
	assert_null(d.pg_hba);
	assert_true(dyn_config_timing_ok(&d));
}

static void test_namespace_normalised(void **state)
{
	static const char *const forms[][2] = {
	    {"service", "/service/"},     {"/service", "/service/"}, {"service/", "/service/"},
	    {"/service/", "/service/"},   {"//a//b//", "/a/b/"},     {"/", "/"},
	    {"pgha/prod", "/pgha/prod/"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char yaml[512];
		struct loaded *l;

		snprintf(yaml, sizeof(yaml), "namespace: '%s'\n" BASE, forms[i][0]);
		l = load(yaml);
		expect_ok(l);
		assert_string_equal(l->cfg.namespace_, forms[i][1]);
		unload(l);
	}
	expect_error("namespace: ''\n" BASE, "t.yml:1: namespace: must not be empty");
}

static void test_log_levels(void **state)
{
	static const char *const forms[][2] = {{"DEBUG", "debug"},
	                                       {"info", "info"},
	                                       {"WARNING", "warn"},
	                                       {"ERROR", "error"},
	                                       {"CRITICAL", "error"}};

	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char yaml[512];
		struct loaded *l;

		snprintf(yaml, sizeof(yaml), "log:\n  level: %s\n" BASE, forms[i][0]);
		l = load(yaml);
		expect_ok(l);
		assert_string_equal(l->cfg.log_level, forms[i][1]);
		unload(l);
	}
	expect_error("log:\n  level: verbose\n" BASE, "t.yml:2: log.level: 'verbose' is not a log");
	expect_warning(
	    "log:\n  dir: /var/log\n" BASE,
	    "t.yml:2: 'log.dir' is not supported by pgha, ignored (pgha logs to stderr)");
}

static void test_users_and_env(void **state)
{
	struct loaded *l;
	const char *yaml =
	    "postgresql:\n  listen: 127.0.0.1:5432\n  data_dir: /d\n"
	    "  authentication:\n    superuser:\n      username: admin\n"
	    "      password: from-file\n    replication:\n      password:\n" CORE REST ETCD;

	(void)state;
	l = load(yaml);
	expect_ok(l);
	assert_string_equal(l->cfg.postgresql.superuser.password, "from-file");
	assert_string_equal(l->cfg.postgresql.replication.username, "replicator");
	assert_string_equal(l->cfg.postgresql.replication.password, ""); /* "password:" */
	assert_string_equal(l->cfg.postgresql.rewind.username, "admin"); /* = superuser */
	assert_string_equal(l->cfg.postgresql.rewind.password, "from-file");
	unload(l);

	/* The environment wins over the file, as in Patroni. */
	setenv("PATRONI_SUPERUSER_PASSWORD", "from-env", 1);
	setenv("PATRONI_REPLICATION_PASSWORD", "rep-env", 1);
	setenv("PATRONI_REPLICATION_USERNAME", "repl", 1);
	setenv("PATRONI_RESTAPI_USERNAME", "api", 1);
	setenv("PATRONI_RESTAPI_PASSWORD", "api-env", 1);
	setenv("PATRONI_ETCD3_USERNAME", "etcd-user", 1);
	setenv("PATRONI_ETCD3_PASSWORD", "etcd-env", 1);
	l = load(yaml);
	unsetenv("PATRONI_SUPERUSER_PASSWORD");
	unsetenv("PATRONI_REPLICATION_PASSWORD");
	unsetenv("PATRONI_REPLICATION_USERNAME");
	unsetenv("PATRONI_RESTAPI_USERNAME");
	unsetenv("PATRONI_RESTAPI_PASSWORD");
	unsetenv("PATRONI_ETCD3_USERNAME");
	unsetenv("PATRONI_ETCD3_PASSWORD");
	expect_ok(l);
	assert_string_equal(l->cfg.postgresql.superuser.password, "from-env");
	assert_string_equal(l->cfg.postgresql.rewind.password, "from-env");
	assert_string_equal(l->cfg.postgresql.replication.username, "repl");
	assert_string_equal(l->cfg.postgresql.replication.password, "rep-env");
	assert_string_equal(l->cfg.restapi.password, "api-env");
	assert_string_equal(l->cfg.etcd.username, "etcd-user");
	assert_string_equal(l->cfg.etcd.password, "etcd-env");
	/* The tools' and peers' REST credentials fall back on restapi's (Patroni's ctl). */
	assert_string_equal(l->cfg.ctl.username, "api");
	assert_string_equal(l->cfg.ctl.password, "api-env");
	unload(l);

	setenv("PATRONI_REWIND_PASSWORD", "rw-env", 1);
	l = load("postgresql:\n  listen: 127.0.0.1:5432\n  data_dir: /d\n  authentication:\n"
	         "    rewind:\n      username: rw\n      password: rw-file\n" CORE REST ETCD);
	unsetenv("PATRONI_REWIND_PASSWORD");
	expect_ok(l);
	assert_string_equal(l->cfg.postgresql.rewind.username, "rw");
	assert_string_equal(l->cfg.postgresql.rewind.password, "rw-env");
	unload(l);
}

static void test_connect_address_defaults(void **state)
{
	struct loaded *l;

	(void)state;
	l = load(
	    "postgresql:\n  listen: '10.0.0.5,127.0.0.1:5433'\n  data_dir: /d\n" CORE REST ETCD);
	expect_ok(l);
	assert_string_equal(l->cfg.postgresql.connect_address, "10.0.0.5:5433");
	assert_int_equal(l->cfg.postgresql.port, 5433);
	unload(l);
	expect_error("postgresql:\n  listen: '*:5432'\n  data_dir: /d\n" CORE REST ETCD,
	             "t.yml:2: postgresql.listen '*:5432' is not an address other nodes can "
	             "connect to: set postgresql.connect_address");
	expect_error("restapi:\n  listen: 0.0.0.0:8008\n" CORE ETCD PG,
	             "t.yml:2: restapi.listen '0.0.0.0:8008' is not an address other nodes can "
	             "connect to: set restapi.connect_address");
	expect_error("restapi:\n  listen: ':8008'\n" CORE ETCD PG, "set restapi.connect_address");
	expect_error(
	    "restapi:\n  listen: 127.0.0.1:8008\n  connect_address: '*:8008'\n" CORE ETCD PG,
	    "t.yml:3: restapi.connect_address: '*:8008' is not an address other nodes can "
	    "connect to");
	l = load("restapi:\n  listen: '[::1]:8008'\n" CORE ETCD PG);
	expect_ok(l);
	assert_string_equal(l->cfg.restapi.connect_address, "[::1]:8008");
	unload(l);
}

/* --- etcd ----------------------------------------------------------------------------- */

static void expect_hosts(const char *etcd_yaml, int n, const char *first, const char *last)
{
	char yaml[1024];
	struct loaded *l;

	snprintf(yaml, sizeof(yaml), "%s" CORE REST PG, etcd_yaml);
	l = load(yaml);
	expect_ok(l);
	assert_int_equal(l->cfg.etcd.n_hosts, n);
	assert_string_equal(l->cfg.etcd.hosts[0], first);
	assert_string_equal(l->cfg.etcd.hosts[n - 1], last);
	unload(l);
}

static void test_etcd_hosts(void **state)
{
	(void)state;
	expect_hosts("etcd3:\n  hosts:\n  - a:1\n  - b:2\n", 2, "a:1", "b:2");
	expect_hosts("etcd3:\n  hosts: 'a:1, b:2,c'\n", 3, "a:1", "c:2379");
	expect_hosts("etcd3:\n  host: 10.0.0.1\n", 1, "10.0.0.1:2379", "10.0.0.1:2379");
	expect_hosts("etcd3:\n  url: http://10.0.0.1:2380\n", 1, "10.0.0.1:2380", "10.0.0.1:2380");
	expect_hosts("etcd3:\n  hosts: ['http://a:1', '[::1]:2379', '[fe80::1]:3']\n", 3, "a:1",
	             "[fe80::1]:3");
	expect_hosts("etcd:\n  host: 127.0.0.1:2379\n", 1, "127.0.0.1:2379", "127.0.0.1:2379");
	expect_warning("etcd3:\n  hosts: a:1\n  host: b:2\n" CORE REST PG,
	               "t.yml:3: etcd3.host ignored: etcd3.hosts is set");
	expect_warning("etcd:\n  hosts: a:1\n" CORE REST PG,
	               "t.yml:1: 'etcd' section read as 'etcd3': pgha always uses etcd's v3 API");
	expect_error("etcd3:\n  hosts: a:1\n  protocol: udp\n" CORE REST PG,
	             "t.yml:3: etcd3.protocol: 'udp' is not a protocol (http or https)");
	expect_error("etcd3:\n  hosts: ['http://a:1', 'https://b:2']\n" CORE REST PG,
	             "t.yml:2: etcd3.hosts: both http:// and https:// endpoints");
	expect_error("etcd3:\n  hosts: ['https://b:2']\n  protocol: http\n" CORE REST PG,
	             "t.yml:3: etcd3.protocol: http, but the hosts are written https://");
	expect_error("etcd3:\n  hosts: [a:1, 'b:99999']\n" CORE REST PG,
	             "t.yml:2: etcd3.hosts: 'b:99999' is not host:port");
	expect_error("etcd3:\n  hosts:\n  - a:1\n  - {x: 1}\n" CORE REST PG,
	             "t.yml:4: etcd3.hosts: expected a string, got a mapping");
	expect_error("etcd:\n  cacert: /ca.pem\n  hosts: a:1\n" CORE REST PG,
	             "t.yml:2: etcd3.cacert and etcd3.cert are for TLS, but etcd3.protocol is "
	             "http: set etcd3.protocol: https");
	expect_error("etcd3:\n  hosts: a:1\netcd:\n  hosts: b:1\n" CORE REST PG,
	             "t.yml:3: both 'etcd' and 'etcd3' sections: keep only one");
	expect_error(CORE REST PG, "t.yml: missing required key 'etcd3.hosts'");
	expect_error("etcd3:\n  hosts: ''\n" CORE REST PG,
	             "t.yml:2: etcd3: no etcd endpoint given");
	expect_error("etcd3:\n  hosts: 'a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q'\n" CORE REST PG,
	             "t.yml:2: etcd3.hosts: more than 16 endpoints");
}

/* --- errors with their lines --------------------------------------------------------- */

/* Patroni's TLS keys: read into their fields; ctl falls back on restapi, pair by pair. */
static void test_tls_keys(void **state)
{
	struct loaded *l;

	(void)state;
	l = load("restapi:\n  listen: 127.0.0.1:8008\n  certfile: /t/n.crt\n  keyfile: /t/n.key\n"
	         "  keyfile_password: kp\n  cafile: /t/ca.crt\n  verify_client: optional\n"
	         "  allowlist: [10.0.0.0/8, 127.0.0.1]\n  allowlist_include_members: true\n"
	         "etcd3:\n  hosts: ['https://a:1', b:2]\n  cacert: /t/ca.crt\n  cert: /t/e.crt\n"
	         "  key: /t/e.key\n  username: u\n  password: p\n" CORE PG
	         "  authentication:\n    replication:\n      sslmode: verify-full\n"
	         "      sslrootcert: /t/ca.crt\n"
	         "pgbouncer:\n  client_tls_sslmode: require\n  client_tls_cert_file: /t/n.crt\n"
	         "  client_tls_key_file: /t/n.key\n");
	expect_ok(l);
	assert_string_equal(l->cfg.restapi.certfile, "/t/n.crt");
	assert_int_equal(l->cfg.restapi.verify_client, CONFIG_VERIFY_OPTIONAL);
	assert_string_equal(l->cfg.restapi.allowlist[1], "127.0.0.1");
	assert_true(l->cfg.restapi.allowlist_include_members);
	assert_string_equal(l->cfg.etcd.protocol, "https"); /* from the https:// host */
	assert_string_equal(l->cfg.etcd.hosts[0], "a:1");
	assert_string_equal(l->cfg.etcd.tls.cafile, "/t/ca.crt");
	assert_string_equal(l->cfg.etcd.tls.keyfile, "/t/e.key");
	assert_string_equal(l->cfg.postgresql.replication.sslmode, "verify-full");
	assert_string_equal(l->cfg.pgbouncer.client_tls.sslmode, "require");
	assert_string_equal(l->cfg.pgbouncer.client_tls.protocols, "secure");
	assert_string_equal(l->cfg.pgbouncer.server_tls.sslmode, "disable");
	/* ctl: nothing set, so restapi's CA and certificate pair */
	assert_string_equal(l->cfg.ctl.tls.cafile, "/t/ca.crt");
	assert_string_equal(l->cfg.ctl.tls.certfile, "/t/n.crt");
	assert_string_equal(l->cfg.ctl.tls.key_password, "kp");
	assert_false(l->cfg.ctl.tls.insecure);
	unload(l);

	l = load("ctl:\n  insecure: true\n  cacert: /c/ca\n  certfile: /c/c\n  keyfile: /c/k\n"
	         "restapi:\n  listen: 127.0.0.1:8008\n  certfile: /t/n.crt\n  keyfile: /t/n.key\n"
	         "  cafile: /t/ca.crt\n" CORE ETCD PG);
	expect_ok(l);
	assert_true(l->cfg.ctl.tls.insecure);
	assert_string_equal(l->cfg.ctl.tls.cafile, "/c/ca");
	assert_string_equal(l->cfg.ctl.tls.keyfile, "/c/k");
	unload(l);
}

/*
 * Each half of a credential or certificate pair is refused, with both keys named:
 * a username without its password would make "user:" a valid login, a certificate
 * without its key or a client CA on plain http protects nothing.
 */
static const struct {
	const char *yaml;
	const char *error;
} unsafe_halves[] = {
    {"restapi:\n  listen: 127.0.0.1:8008\n  authentication:\n    username: u\n",
     "t.yml:4: restapi.authentication.username is set but "
     "restapi.authentication.password (or PATRONI_RESTAPI_PASSWORD) is not"},
    {"restapi:\n  listen: 127.0.0.1:8008\n  authentication:\n    password: p\n",
     "t.yml:4: restapi.authentication.password is set but "
     "restapi.authentication.username (or PATRONI_RESTAPI_USERNAME) is not"},
    {"restapi:\n  listen: 127.0.0.1:8008\n  certfile: /c\n",
     "t.yml:3: restapi.certfile is set but restapi.keyfile is not"},
    {"restapi:\n  listen: 127.0.0.1:8008\n  keyfile: /k\n",
     "t.yml:3: restapi.keyfile is set but restapi.certfile is not"},
    {"restapi:\n  listen: 127.0.0.1:8008\n  verify_client: required\n",
     "t.yml:3: restapi.verify_client: required needs restapi.certfile"},
    {"restapi:\n  listen: 127.0.0.1:8008\n  certfile: /c\n  keyfile: /k\n"
     "  verify_client: optional\n",
     "t.yml:5: restapi.verify_client: optional needs restapi.cafile"},
    {"restapi:\n  listen: 127.0.0.1:8008\n  verify_client: sometimes\n",
     "t.yml:3: restapi.verify_client: 'sometimes' is not supported"},
    {"etcd3:\n  hosts: a:1\n  username: u\n",
     "t.yml:3: etcd3.username is set but etcd3.password (or PATRONI_ETCD3_PASSWORD)"},
    {"etcd3:\n  hosts: a:1\n  password: p\n",
     "t.yml:3: etcd3.password is set but etcd3.username (or PATRONI_ETCD3_USERNAME)"},
    {"etcd3:\n  hosts: a:1\n  protocol: https\n  cert: /c\n",
     "t.yml:4: etcd3.cert is set but etcd3.key is not"},
    {"ctl:\n  keyfile: /k\n", "t.yml:2: ctl.keyfile is set but ctl.certfile is not"},
    {"ctl:\n  authentication:\n    username: u\n",
     "t.yml:3: ctl.authentication.username is set but ctl.authentication.password"},
    {"postgresql:\n  listen: 127.0.0.1:5432\n  data_dir: /d\n  authentication:\n"
     "    replication:\n      sslkey: /k\n",
     "t.yml:6: postgresql.authentication.replication.sslkey is set but "
     "postgresql.authentication.replication.sslcert is not"},
    {"postgresql:\n  listen: 127.0.0.1:5432\n  data_dir: /d\n  authentication:\n"
     "    rewind:\n      sslmode: very-full\n",
     "t.yml:6: postgresql.authentication.rewind.sslmode: 'very-full' is not supported"},
    {"pgbouncer:\n  client_tls_sslmode: require\n",
     "t.yml:2: pgbouncer.client_tls_sslmode: require needs "
     "pgbouncer.client_tls_cert_file and pgbouncer.client_tls_key_file"},
    {"pgbouncer:\n  server_tls_sslmode: verify-full\n",
     "t.yml:2: pgbouncer.server_tls_sslmode: verify-full needs "
     "pgbouncer.server_tls_ca_file"},
};

static void test_unsafe_halves_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(unsafe_halves); i++) {
		char yaml[1024];
		const char *y = unsafe_halves[i].yaml;

		snprintf(yaml, sizeof(yaml), "%s%s%s%s%s", y, CORE,
		         strstr(y, "restapi:") ? "" : REST, strstr(y, "etcd3:") ? "" : ETCD,
		         strstr(y, "postgresql:") ? "" : PG);
		expect_error(yaml, unsafe_halves[i].error);
	}
	/* From the environment too: a unit whose password file is missing fails to start. */
	setenv("PATRONI_RESTAPI_USERNAME", "u", 1);
	expect_error(BASE, "restapi.authentication.username is set but");
	unsetenv("PATRONI_RESTAPI_USERNAME");
}

static void test_type_errors(void **state)
{
	(void)state;
	expect_error("restapi:\n  listen: [127.0.0.1:8008]\n" CORE ETCD PG,
	             "t.yml:2: restapi.listen: expected a string, got a list");
	expect_error("restapi: 8008\n" CORE ETCD PG,
	             "t.yml:1: restapi: expected a mapping, got an integer");
	expect_error("name: yes\nscope: s\n" REST ETCD PG,
	             "t.yml:1: name: expected a string, got a boolean (quote it: 'yes')");
	expect_error(BASE "pgbouncer:\n  pool_size: lots\n",
	             "t.yml:11: pgbouncer.pool_size: expected an integer, got a string");
	expect_error(BASE "pgbouncer:\n  enabled: maybe\n  listen: a:1\n",
	             "t.yml:11: pgbouncer.enabled: expected a boolean (true/false), got a string");
	expect_error(BASE "tags:\n  nofailover: [1]\n",
	             "t.yml:11: tags.nofailover: expected a boolean (true/false), got a list");
	expect_error(BASE "tags: [a]\n", "t.yml:10: tags: expected a mapping, got a list");
	expect_error(BASE "bootstrap:\n  dcs:\n    ttl: soon\n",
	             "t.yml:12: bootstrap.dcs.ttl: expected an integer, got a string");
	expect_error(BASE "bootstrap:\n  pg_hba: 'host all all'\n",
	             "t.yml:11: bootstrap.pg_hba: expected a list of strings, got a string");
	expect_error(BASE "bootstrap:\n  dcs:\n    postgresql: [x]\n",
	             "t.yml:12: bootstrap.dcs.postgresql: expected a mapping, got a list");
	expect_error("name: \"a\\0b\"\nscope: s\n" REST ETCD PG,
	             "t.yml:1: name: contains a NUL character");
	expect_error("name: "
	             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
	             "scope: s\n" REST ETCD PG,
	             "t.yml:1: name: too long (at most 63 bytes)");
}

static void test_value_errors(void **state)
{
	(void)state;
	expect_error("restapi:\n  listen: 127.0.0.1:80800\n" CORE ETCD PG,
	             "t.yml:2: restapi.listen: '127.0.0.1:80800' is not host:port with a port "
	             "from 1 to 65535");
	expect_error("restapi:\n  listen: 127.0.0.1\n" CORE ETCD PG,
	             "t.yml:2: restapi.listen: '127.0.0.1' is not host:port");
	expect_error("restapi:\n  listen: 127.0.0.1:0\n" CORE ETCD PG, "t.yml:2: restapi.listen");
	expect_error(BASE "bootstrap:\n  dcs:\n    ttl: 0\n",
	             "t.yml:12: bootstrap.dcs.ttl: 0 is out of range (1 to 86400)");
	expect_error(
	    BASE "bootstrap:\n  dcs:\n    maximum_lag_on_failover: -1\n",
	    "t.yml:12: bootstrap.dcs.maximum_lag_on_failover: -1 is out of range (at least "
	    "0)");
	expect_error(BASE "bootstrap:\n  dcs:\n    synchronous_mode: quorum\n",
	             "t.yml:12: bootstrap.dcs.synchronous_mode: quorum is not supported by pgha");
	expect_error(BASE "bootstrap:\n  dcs:\n    synchronous_node_count: 9\n",
	             "t.yml:12: bootstrap.dcs.synchronous_node_count: 9 is out of range (1 to 8)");
	expect_error(BASE "bootstrap:\n  dcs:\n    standby_cluster:\n      host: x\n",
	             "t.yml:12: bootstrap.dcs.standby_cluster: standby clusters are not supported");
	expect_error(
	    BASE "bootstrap:\n  dcs:\n    ttl: 4\n    loop_wait: 5\n",
	    "t.yml:11: bootstrap.dcs: ttl (4) must be at least 2 s (etcd's minimum lease), "
	    "loop_wait (5) and retry_timeout (1) at least 1 s, and loop_wait at most ttl");
	expect_error(BASE "bootstrap:\n  dcs:\n    ttl: 1\n", "ttl (1) must be at least 2 s");
	expect_error(BASE "bootstrap:\n  method: wal_e\n",
	             "t.yml:11: bootstrap.wal_e: a method of your own needs a command");
	expect_error(BASE "pgbouncer:\n  pool_mode: statement\n",
	             "t.yml:11: pgbouncer.pool_mode: 'statement' is not supported");
	expect_error(BASE "pgbouncer:\n  max_client_conn: 0\n",
	             "t.yml:11: pgbouncer.max_client_conn: 0 is out of range (1 to 1000000)");
	expect_error(BASE "pgbouncer:\n  enabled: true\n",
	             "t.yml:11: pgbouncer.listen: required when pgbouncer.enabled is true");
	expect_error(BASE "tags:\n  failover_priority: -1\n",
	             "t.yml:11: tags.failover_priority: -1 is out of range (0 to 1000000)");
	expect_error("scope: a/b\nname: n\n" REST ETCD PG,
	             "t.yml:1: scope: 'a/b' must not contain");
}

static void test_missing_required(void **state)
{
	(void)state;
	expect_error("name: n\n" REST ETCD PG, "t.yml: missing required key 'scope'");
	expect_error("scope: s\n" REST ETCD PG, "t.yml: missing required key 'name'");
	expect_error(CORE ETCD PG, "t.yml: missing required key 'restapi.listen'");
	expect_error(CORE REST ETCD "postgresql:\n  data_dir: /d\n",
	             "t.yml: missing required key 'postgresql.listen'");
	expect_error(CORE REST ETCD "postgresql:\n  listen: a:1\n",
	             "t.yml: missing required key 'postgresql.data_dir'");
	expect_error("name:\nscope: s\n" REST ETCD PG, "t.yml:1: name: must not be empty");
	expect_error("restapi:\n  listen: ~\n" CORE ETCD PG,
	             "t.yml:2: restapi.listen: must not be empty");
}

/* Every problem in a file is reported at once, not only the first. */
static void test_all_errors_reported(void **state)
{
	struct loaded *l = load("scope: [x]\nrestapi:\n  listen: x:0\n" ETCD PG
	                        "bootstrap:\n  dcs:\n    ttl: -3\n");

	(void)state;
	assert_false(l->ok);
	expect_msg(&l->errors, "t.yml:1: scope: expected a string");
	expect_msg(&l->errors, "t.yml:3: restapi.listen");
	expect_msg(&l->errors, "t.yml:11: bootstrap.dcs.ttl");
	expect_msg(&l->errors, "missing required key 'name'");
	/* Not "scope: must not be empty" on top: the refused value's error says it. */
	assert_int_equal(l->errors.n, 4);
	/* On failure nothing is left to free. */
	assert_null(l->cfg.bootstrap.dcs_json);
	assert_null(l->cfg.bootstrap.initdb);
	assert_null(l->cfg.tags.all);
	assert_string_equal(l->cfg.name, "");
	unload(l);
}

static void test_messages_capped(void **state)
{
	char *yaml = xstrdup(BASE);
	struct loaded *l;

	(void)state;
	for (int i = 0; i < 100; i++) {
		char *next = xasprintf("%sunknown_%d: 1\n", yaml, i);

		free(yaml);
		yaml = next;
	}
	l = load(yaml);
	free(yaml);
	expect_ok(l);
	assert_int_equal(l->warnings.n, CONFIG_MAX_MSGS);
	assert_string_equal(l->warnings.items[CONFIG_MAX_MSGS - 1], "(further messages omitted)");
	assert_string_equal(l->warnings.items[0], "t.yml:10: unknown key 'unknown_0' ignored");
	unload(l);
}

static void test_null_message_lists(void **state)
{
	struct config cfg;

	(void)state;
	assert_true(config_load_string(BASE "what: 1\n", "t.yml", &cfg, NULL, NULL));
	config_free(&cfg);
	assert_false(config_load_string("what: [\n", "t.yml", &cfg, NULL, NULL));
}

/* --- unknown and unsupported keys -------------------------------------------------------- */

static void test_unknown_keys_warned(void **state)
{
	struct loaded *l = load(BASE "frobnicate: 1\n"
	                             "restapi.listen: 1.2.3.4:1\n"
	                             "watchdog:\n  mode: required\n"
	                             "citus:\n  group: 1\n"
	                             "zookeeper:\n  hosts: [a]\n");

	(void)state;
	expect_ok(l);
	expect_msg(&l->warnings, "t.yml:10: unknown key 'frobnicate' ignored");
	expect_msg(&l->warnings, "t.yml:11: unknown key 'restapi.listen' ignored");
	expect_msg(&l->warnings, "t.yml:12: 'watchdog' is not supported by pgha, ignored");
	expect_msg(&l->warnings, "t.yml:14: 'citus' is not supported by pgha, ignored");
	expect_msg(&l->warnings, "t.yml:16: 'zookeeper' is not supported by pgha, ignored (pgha "
	                         "uses etcd)");
	assert_string_equal(l->cfg.restapi.listen, "127.0.0.1:8008");
	unload(l);

	l = load("restapi:\n  listen: 127.0.0.1:8008\n  ciphers: HIGH\n  colour: red\n"
	         "postgresql:\n  listen: a:1\n  data_dir: /d\n  callbacks:\n    on_start: /x\n"
	         "  create_replica_methods: [basebackup]\n  authentication:\n    superuser:\n"
	         "      sslcrldir: /x\n    admin:\n      username: x\n"
	         "bootstrap:\n  post_init: /x.sh\n  dcs:\n    failsafe_mode: true\n"
	         "    bogus: 1\n    postgresql:\n      pg_ident: []\n      nope: 2\n"
	         "tags:\n  replicatefrom: pg2\n" CORE ETCD);
	expect_ok(l);
	expect_msg(&l->warnings, "t.yml:3: 'restapi.ciphers' is not supported by pgha, ignored "
	                         "(TLS 1.2 and 1.3 with GnuTLS's default ciphers)");
	expect_msg(&l->warnings, "t.yml:4: unknown key 'restapi.colour' ignored");
	expect_msg(&l->warnings, "t.yml:8: 'postgresql.callbacks' is not supported by pgha");
	assert_int_equal(l->cfg.postgresql.n_create_replica_methods, 1);
	expect_msg(&l->warnings, "t.yml:13: 'postgresql.authentication.superuser.sslcrldir' is "
	                         "not supported by pgha");
	expect_msg(&l->warnings, "t.yml:14: unknown key 'postgresql.authentication.admin' ignored");
	expect_msg(&l->warnings, "t.yml:17: 'bootstrap.post_init' is not supported by pgha");
	expect_msg(&l->warnings, "t.yml:20: unknown key 'bootstrap.dcs.bogus' ignored");
	expect_msg(&l->warnings, "t.yml:22: 'bootstrap.dcs.postgresql.pg_ident' is not supported");
	expect_msg(&l->warnings, "t.yml:23: unknown key 'bootstrap.dcs.postgresql.nope' ignored");
	expect_msg(&l->warnings, "t.yml:25: 'tags.replicatefrom' is not supported by pgha");
	/* failsafe_mode is a key like any other now, written to etcd with the section. */
	assert_true(l->cfg.bootstrap.dcs.failsafe_mode);
	assert_json_eq(json_object_get(l->cfg.bootstrap.dcs_json, "failsafe_mode"), "true");
	unload(l);
}

/* --- pgbackrest, replica and bootstrap methods, slots --------------------------------- */

static void test_pgbackrest_section(void **state)
{
	struct loaded *l = load(BASE "pgbackrest:\n  options:\n    repo1-type: s3\n"
	                             "    repo1-s3-bucket: b\n    archive-async: true\n"
	                             "    process-max: 2\n");
	const struct pgbackrest_conf *pb = &l->cfg.pgbackrest;

	(void)state;
	expect_ok(l);
	assert_true(pb->enabled);
	assert_string_equal(pb->stanza, "batman"); /* the scope */
	assert_string_equal(pb->bin, "/usr/bin/pgbackrest");
	assert_string_equal(pb->path, "/tmp/pgha-test/pg1.pgbackrest");
	assert_string_equal(pg_params_get(&pb->options, "repo1-type"), "s3");
	assert_string_equal(pg_params_get(&pb->options, "archive-async"), "y");
	assert_string_equal(pg_params_get(&pb->options, "process-max"), "2");
	/* pgha's defaults for what was not given */
	assert_string_equal(pg_params_get(&pb->options, "repo1-path"), "/var/lib/pgbackrest");
	assert_string_equal(pg_params_get(&pb->options, "compress-type"), "zst");
	unload(l);

	l = load(BASE "pgbackrest:\n");
	expect_ok(l);
	assert_true(l->cfg.pgbackrest.enabled);
	unload(l);
	l = load(BASE "pgbackrest:\n  enabled: false\n  stanza: main\n");
	expect_ok(l);
	assert_false(l->cfg.pgbackrest.enabled);
	unload(l);
	l = load(BASE);
	expect_ok(l);
	assert_false(l->cfg.pgbackrest.enabled);
	unload(l);
}

static void test_pgbackrest_refusals(void **state)
{
	(void)state;
	expect_error(BASE "pgbackrest:\n  options:\n    pg1-path: /x\n",
	             "t.yml:12: pgbackrest.options.pg1-path: not allowed here (pgha names the "
	             "cluster's members itself)");
	expect_error(BASE "pgbackrest:\n  options:\n    archive-push-queue-max: 1GB\n",
	             "pgBackRest would drop WAL");
	expect_error(BASE "pgbackrest:\n  options:\n    repo1-retention-full: 4\n",
	             "set backup.retention_* in the cluster's configuration");
	expect_error(BASE "pgbackrest:\n  options:\n    lock-path: /x\n", "lock-path: not allowed");
	expect_error(BASE "pgbackrest:\n  options:\n    repo1_path: /x\n",
	             "'repo1_path' is not a pgBackRest option name");
	expect_error(BASE "pgbackrest:\n  options:\n    repo1-path: [a]\n",
	             "pgbackrest.options.repo1-path: expected a value, got a list");
	expect_error(BASE "pgbackrest:\n  stanza: a/b\n", "'a/b' is not a stanza name");
	expect_error(BASE "pgbackrest: yes\n", "t.yml:10: pgbackrest: expected a mapping");
	expect_warning(BASE "pgbackrest:\n  options:\n    repo1-path:\n",
	               "pgbackrest.options.repo1-path: no value, ignored");
}

static void test_replica_methods(void **state)
{
	struct loaded *l =
	    load(CORE REST ETCD PG "  create_replica_methods:\n    - pgbackrest\n"
	                           "    - wal_e\n    - basebackup\n"
	                           "  wal_e:\n    command: /bin/restore --x 'a b'\n"
	                           "    keep_data: true\n    no_master: 1\n"
	                           "    envdir: /etc/wal-e\n"
	                           "  basebackup:\n    - verbose\n    - max-rate: 100M\n"
	                           "pgbackrest:\n");
	const struct replica_method *m = l->cfg.postgresql.create_replica_methods;

	(void)state;
	expect_ok(l);
	assert_int_equal(l->cfg.postgresql.n_create_replica_methods, 3);
	assert_string_equal(m[0].name, "pgbackrest");
	assert_null(m[0].command);
	assert_string_equal(m[1].name, "wal_e");
	assert_string_equal(m[1].command[0], "/bin/restore");
	assert_string_equal(m[1].command[2], "a b");
	assert_null(m[1].command[3]);
	assert_true(m[1].keep_data);
	assert_true(m[1].no_leader);
	assert_false(m[1].no_params);
	assert_string_equal(pg_params_get(&m[1].params, "envdir"), "/etc/wal-e");
	assert_string_equal(m[2].name, "basebackup");
	assert_string_equal(pg_params_get(&m[2].params, "verbose"), "");
	assert_string_equal(pg_params_get(&m[2].params, "max-rate"), "100M");
	assert_int_equal(l->warnings.n, 0);
	unload(l);

	expect_error(BASE "  create_replica_methods: [wal_g]\n",
	             "postgresql.wal_g: a method of your own needs a command");
	expect_error(BASE "  create_replica_methods: [pgbackrest]\n",
	             "pgha's own pgbackrest method needs the pgbackrest section");
	expect_error(BASE "  create_replica_methods: [x]\n  x:\n    command: \"a 'b\"\n",
	             "postgresql.x.command: unterminated ' quote");
	expect_error(BASE "  create_replica_methods: basebackup\n",
	             "postgresql.create_replica_methods: expected a list of method names");
	expect_warning(BASE "  pgbackrest:\n    command: x\n",
	               "'postgresql.pgbackrest' is not used: postgresql.create_replica_methods "
	               "does not name pgbackrest");
	expect_warning(BASE "  nonsense: 1\n", "unknown key 'postgresql.nonsense' ignored");
}

static void test_bootstrap_method(void **state)
{
	struct loaded *l = load(BASE "bootstrap:\n  method: pgbackrest\n  pgbackrest:\n"
	                             "    type: time\n    target: \"2026-12-07 21:21:47+00\"\n"
	                             "    repo1-path: /old/repo\n    stanza: old\n"
	                             "pgbackrest:\n");
	const struct replica_method *m = &l->cfg.bootstrap.method;

	(void)state;
	expect_ok(l);
	assert_string_equal(m->name, "pgbackrest");
	assert_null(m->command);
	assert_string_equal(pg_params_get(&m->params, "type"), "time");
	assert_string_equal(pg_params_get(&m->params, "repo1-path"), "/old/repo");
	unload(l);

	l = load(BASE "bootstrap:\n  method: clone\n  clone:\n    command: /bin/clone.sh\n"
	              "    keep_existing_recovery_conf: true\n    no_params: true\n"
	              "    recovery_conf:\n      recovery_target_action: promote\n"
	              "      restore_command: cp /a/%f %p\n");
	m = &l->cfg.bootstrap.method;
	expect_ok(l);
	assert_string_equal(m->command[0], "/bin/clone.sh");
	assert_true(m->keep_existing_recovery_conf);
	assert_true(m->no_params);
	assert_string_equal(pg_params_get(&m->recovery_conf, "restore_command"), "cp /a/%f %p");
	unload(l);

	l = load(BASE "bootstrap:\n  method: initdb\n");
	expect_ok(l);
	assert_string_equal(l->cfg.bootstrap.method.name, "");
	unload(l);
	expect_error(BASE "bootstrap:\n  method: basebackup\n", "basebackup makes replicas");
	expect_error(BASE "bootstrap:\n  method: pgbackrest\n",
	             "pgha's own pgbackrest method needs the pgbackrest section");
	expect_warning(BASE "bootstrap:\n  clone:\n    command: x\n",
	               "unknown key 'bootstrap.clone' ignored");
}

static void test_backup_policy_and_slots(void **state)
{
	struct loaded *l = load(BASE "bootstrap:\n  dcs:\n    backup:\n      full_every: 7d\n"
	                             "      incr_every: 3600\n      retention_full: 4\n"
	                             "      retention_full_type: time\n      standby: false\n"
	                             "    slots:\n      cdc:\n        type: logical\n"
	                             "        database: app\n        plugin: pgoutput\n"
	                             "      archiver: {type: physical}\n"
	                             "    ignore_slots:\n      - name: debezium\n"
	                             "      - type: logical\n        plugin: wal2json\n");
	const struct dyn_config *d = &l->cfg.bootstrap.dcs;

	(void)state;
	expect_ok(l);
	assert_int_equal(d->backup.full_every_s, 7 * 86400);
	assert_int_equal(d->backup.diff_every_s, 0);
	assert_int_equal(d->backup.incr_every_s, 3600);
	assert_int_equal(d->backup.retention_full, 4);
	assert_string_equal(d->backup.retention_full_type, "time");
	assert_false(d->backup.standby);
	assert_int_equal(d->n_slots, 2); /* sorted by name */
	assert_string_equal(d->slots[0].name, "archiver");
	assert_string_equal(d->slots[0].type, "physical");
	assert_string_equal(d->slots[1].name, "cdc");
	assert_string_equal(d->slots[1].plugin, "pgoutput");
	assert_int_equal(d->n_ignore_slots, 2);
	assert_string_equal(d->ignore_slots[0].name, "debezium");
	assert_string_equal(d->ignore_slots[1].type, "logical");
	assert_string_equal(d->ignore_slots[1].plugin, "wal2json");
	{
		json_t *j = dyn_config_to_json(d);

		assert_json_eq(
		    json_object_get(j, "slots"),
		    "{\"archiver\":{\"type\":\"physical\"},\"cdc\":{\"type\":\"logical\","
		    "\"database\":\"app\",\"plugin\":\"pgoutput\"}}");
		assert_json_eq(json_object_get(json_object_get(j, "backup"), "full_every"),
		               "604800");
		json_decref(j);
	}
	unload(l);
	expect_error(BASE "bootstrap:\n  dcs:\n    backup:\n      full_every: 7 days\n",
	             "backup.full_every: expected a duration");
	expect_error(BASE "bootstrap:\n  dcs:\n    backup:\n      retention_full_type: age\n",
	             "'age' is not supported");
	expect_error(BASE "bootstrap:\n  dcs:\n    slots:\n      cdc: {type: logical}\n",
	             "slots.cdc: a logical slot needs a database and a plugin");
	expect_error(BASE "bootstrap:\n  dcs:\n    slots:\n      Bad-Name: {}\n",
	             "'Bad-Name' is not a slot name");
	expect_error(BASE "bootstrap:\n  dcs:\n    slots:\n      x: {type: other}\n",
	             "type 'other' is neither physical nor logical");
	expect_error(BASE "bootstrap:\n  dcs:\n    ignore_slots: {name: x}\n",
	             "expected a list of slot properties");
}

/* --- malformed YAML --------------------------------------------------------------------- */

static void test_malformed_yaml(void **state)
{
	struct loaded *l;

	(void)state;
	expect_error("scope: s\nrestapi:\n\tlisten: a:1\n",
	             "t.yml:3:1: found character that cannot start any token while scanning for "
	             "the next token at line 3 (tabs cannot be used for indentation in YAML)");
	expect_error("scope: s\nname: 'pg1\nrestapi: {}\n",
	             "t.yml:4:1: found unexpected end of stream while scanning a quoted scalar at "
	             "line 2");
	expect_error(BASE "scope: other\n", "t.yml:10:1: duplicate key 'scope' (first at line 1)");
	l = load("restapi:\n  listen: a:1\n  listen: b:1\n" CORE ETCD PG);
	assert_int_equal(l->errors.n, 1); /* no "missing restapi.listen" noise after it */
	unload(l);
	expect_error("restapi:\n  listen: a:1\n  listen: b:1\n" CORE ETCD PG,
	             "t.yml:3:3: duplicate key 'listen' (first at line 2)");
	expect_error(BASE "bootstrap:\n  dcs:\n    ttl: 3\n    ttl: 4\n",
	             "t.yml:13:5: duplicate key 'ttl' (first at line 12)");
	expect_error(BASE "---\nscope: x\n", "t.yml:11:1: only one YAML document is allowed");
	expect_error("- a\n- b\n",
	             "t.yml:1: the configuration must be a mapping of keys, not a list");
	expect_error("", "t.yml: the configuration is empty");
	expect_error("# nothing\n", "t.yml: the configuration is empty");
	expect_error("scope: \xff\xfe\n", "t.yml:1: invalid");
	expect_error("? [a, b]\n: c\n" BASE, "t.yml:1:3: a key must be a plain value, not a list");
	expect_error("scope: *nope\n", "t.yml:1:8: found undefined alias");
	expect_error("a: b: c\n", "t.yml:1:5: mapping values are not allowed in this context");
}

/* --- values ----------------------------------------------------------------------------- */

static void test_parameters_as_text(void **state)
{
	struct loaded *l = load("postgresql:\n  listen: a:1\n  data_dir: /d\n  parameters:\n"
	                        "    wal_log_hints: on\n"
	                        "    jit: false\n"
	                        "    hot_standby: 'on'\n"
	                        "    max_connections: 100\n"
	                        "    checkpoint_completion_target: 0.90\n"
	                        "    unix_socket_permissions: 0750\n"
	                        "    Work_Mem: 4MB\n"
	                        "    search_path: '\"$user\", public'\n"
	                        "    pg_stat_statements.max: 1_000\n"
	                        "    unix_socket_directories: sockets\n"
	                        "    log_line_prefix:\n" CORE REST ETCD);
	const struct pg_params *p = &l->cfg.postgresql.parameters;

	(void)state;
	expect_ok(l);
	assert_string_equal(pg_params_get(p, "wal_log_hints"), "on");
	assert_string_equal(pg_params_get(p, "jit"), "off");
	assert_string_equal(pg_params_get(p, "hot_standby"), "on");
	assert_string_equal(pg_params_get(p, "max_connections"), "100");
	assert_string_equal(pg_params_get(p, "checkpoint_completion_target"), "0.90");
	assert_string_equal(pg_params_get(p, "unix_socket_permissions"), "0750");
	assert_string_equal(pg_params_get(p, "work_mem"), "4MB");
	assert_string_equal(p->items[p->n - 1].name, "work_mem"); /* sorted, lower case */
	assert_string_equal(pg_params_get(p, "search_path"), "\"$user\", public");
	assert_string_equal(pg_params_get(p, "pg_stat_statements.max"), "1_000");
	assert_null(pg_params_get(p, "log_line_prefix"));
	expect_msg(&l->warnings,
	           "t.yml:15: postgresql.parameters.log_line_prefix: no value, ignored");
	assert_string_equal(l->cfg.postgresql.socket_dir, "/d/sockets");
	unload(l);

	expect_error(
	    BASE "  parameters:\n    shared_buffers: [1]\n",
	    "t.yml:11: postgresql.parameters.shared_buffers: expected a value, got a list");
	expect_error(BASE "  parameters:\n    'bad name': 1\n",
	             "t.yml:11: postgresql.parameters: 'bad name' is not a parameter name");
	expect_error(BASE "  parameters:\n    application_name: \"a\\nb\"\n",
	             "t.yml:11: postgresql.parameters.application_name: the value spans several");
	expect_error(BASE "  parameters: [a]\n",
	             "t.yml:10: postgresql.parameters: expected a mapping of parameter: value");
}

static void test_initdb_forms(void **state)
{
	struct loaded *l;

	(void)state;
	l = load(BASE "bootstrap:\n  initdb:\n    encoding: UTF8\n    data-checksums: true\n"
	              "    no-locale: false\n    --auth-local: peer\n");
	expect_ok(l);
	assert_string_equal(l->cfg.bootstrap.initdb[0], "--encoding=UTF8");
	assert_string_equal(l->cfg.bootstrap.initdb[1], "--data-checksums");
	assert_string_equal(l->cfg.bootstrap.initdb[2], "--auth-local=peer");
	assert_null(l->cfg.bootstrap.initdb[3]);
	unload(l);

	l = load(BASE "bootstrap:\n  initdb: []\n");
	expect_ok(l);
	assert_null(l->cfg.bootstrap.initdb[0]);
	expect_msg(&l->warnings, "t.yml:11: bootstrap.initdb: without data-checksums, pg_rewind "
	                         "needs wal_log_hints: on");
	unload(l);

	l = load(BASE
	         "  parameters:\n    wal_log_hints: true\nbootstrap:\n  initdb: [locale: C]\n");
	expect_ok(l);
	assert_string_equal(l->cfg.bootstrap.initdb[0], "--locale=C");
	assert_int_equal(l->warnings.n, 0);
	unload(l);

	expect_error(BASE "bootstrap:\n  initdb:\n  - pgdata: /x\n",
	             "t.yml:12: bootstrap.initdb: 'pgdata' is not an initdb option pgha can pass");
	expect_error(BASE "bootstrap:\n  initdb:\n  - 'data checksums'\n",
	             "'data checksums' is not an initdb option");
	expect_error(BASE "bootstrap:\n  initdb:\n  - locale: [C]\n",
	             "t.yml:12: bootstrap.initdb.locale: expected a value, got a list");
	expect_error(BASE "bootstrap:\n  initdb: checksums\n",
	             "t.yml:11: bootstrap.initdb: expected a list of options, got a string");
}

static void test_tags(void **state)
{
	struct loaded *l;

	(void)state;
	l = load(BASE "tags:\n  failover_priority: 0\n  nosync: 'on'\n  rack: 7\n  x: null\n");
	expect_ok(l);
	assert_true(l->cfg.tags.nofailover); /* priority 0 means never */
	assert_true(l->cfg.tags.nosync);
	assert_json_eq(l->cfg.tags.all,
	               "{\"failover_priority\":0,\"nosync\":\"on\",\"rack\":7,\"x\":null}");
	unload(l);

	l = load(BASE "tags:\n  nofailover: true\n  failover_priority: 5\n");
	expect_ok(l);
	expect_msg(&l->warnings, "t.yml:10: tags: nofailover is true, so failover_priority 5 is "
	                         "ignored");
	assert_int_equal(l->cfg.tags.failover_priority, 0);
	unload(l);

	l = load(BASE "tags:\n");
	expect_ok(l);
	assert_json_eq(l->cfg.tags.all, "{}");
	unload(l);
}

static void test_string_values(void **state)
{
	struct loaded *l;

	(void)state;
	/* Numbers are fine as strings (as written); null is empty. */
	l = load("name: 0123\nscope: 1.50\n" REST ETCD
	         "postgresql:\n  listen: a:1\n  data_dir: /d\n  pgpass:\n");
	expect_ok(l);
	assert_string_equal(l->cfg.name, "0123");
	assert_string_equal(l->cfg.scope, "1.50");
	assert_string_equal(l->cfg.postgresql.pgpass, "/d.pgpass"); /* null: default */
	unload(l);

	l = load("restapi:\n  listen: 127.0.0.1:8008\n  authentication:\n" CORE ETCD PG);
	expect_ok(l); /* an empty section */
	unload(l);

	/* YAML merge keys and anchors work as in PyYAML. */
	l = load("x-common: &auth\n  username: u\n  password: p\n" BASE
	         "restapi:\n  listen: a:1\n  connect_address: b:2\n  authentication:\n    <<: "
	         "*auth\n    password: q\n");
	assert_false(l->ok); /* restapi twice */
	unload(l);
	l = load("x-common: &auth\n  username: u\n  password: p\n" CORE ETCD PG
	         "restapi:\n  listen: a:1\n  connect_address: b:2\n  authentication:\n    <<: "
	         "*auth\n    password: q\n");
	expect_ok(l);
	assert_string_equal(l->cfg.restapi.username, "u");
	assert_string_equal(l->cfg.restapi.password, "q");
	expect_msg(&l->warnings, "t.yml:1: unknown key 'x-common' ignored");
	unload(l);
}

static void test_bootstrap_dcs(void **state)
{
	struct loaded *l;
	const struct dyn_config *d;

	(void)state;
	l = load(BASE "bootstrap:\n  dcs:\n    ttl: '20'\n    loop_wait: 2\n    retry_timeout: 3\n"
	              "    maximum_lag_on_failover: 10MB\n    synchronous_mode: off\n"
	              "    master_start_timeout: 30\n    pause: null\n    postgresql:\n"
	              "      use_slots: no\n      remove_data_directory_on_rewind_failure: yes\n"
	              "      pg_hba: [local all all trust]\n      parameters:\n"
	              "        max_connections: 50\n"
	              "  pg_hba: [host all all 0.0.0.0/0 md5]\n");
	expect_ok(l);
	d = &l->cfg.bootstrap.dcs;
	assert_int_equal(d->ttl_s, 20);
	assert_int_equal(d->loop_wait_s, 2);
	assert_int_equal(d->retry_timeout_s, 3);
	assert_int_equal(d->maximum_lag_on_failover, 10 * 1024 * 1024);
	assert_false(d->synchronous_mode);
	assert_int_equal(d->primary_start_timeout_s, 30);
	assert_false(d->pause);
	assert_false(d->use_slots);
	assert_true(d->remove_data_directory_on_rewind_failure);
	assert_string_equal(d->pg_hba[0], "local all all trust");
	assert_string_equal(pg_params_get(&d->parameters, "max_connections"), "50");
	/* The section as written, with the effective values over it. */
	assert_json_eq(
	    l->cfg.bootstrap.dcs_json,
	    "{\"ttl\":20,\"loop_wait\":2,\"retry_timeout\":3,"
	    "\"maximum_lag_on_failover\":10485760,\"synchronous_mode\":false,"
	    "\"master_start_timeout\":30,\"primary_start_timeout\":30,\"pause\":false,"
	    "\"synchronous_mode_strict\":false,\"synchronous_node_count\":1,"
	    "\"check_timeline\":true,\"failsafe_mode\":false,\"postgresql\":{\"use_slots\":false,"
	    "\"use_pg_rewind\":true,\"remove_data_directory_on_rewind_failure\":true,"
	    "\"pg_hba\":[\"local all all trust\"],"
	    "\"parameters\":{\"max_connections\":50}},"
	    "\"backup\":{\"full_every\":0,\"diff_every\":0,\"incr_every\":0,\"retention_full\":2,"
	    "\"retention_full_type\":\"count\",\"retention_diff\":0,\"standby\":true}}");
	/* Effective values: local file over dcs, dcs pg_hba over bootstrap.pg_hba. */
	assert_true(config_use_pg_rewind(&l->cfg, d));
	assert_true(config_remove_data_on_rewind_failure(&l->cfg, d));
	assert_string_equal(config_pg_hba(&l->cfg, d)[0], "local all all trust");
	unload(l);
}

static void test_effective_values(void **state)
{
	struct loaded *l =
	    load("postgresql:\n  listen: a:1\n  data_dir: /d\n"
	         "  use_pg_rewind: false\n  pg_hba: []\n"
	         "  parameters:\n    work_mem: 8MB\n" CORE REST ETCD "bootstrap:\n  pg_hba: [x]\n");
	struct dyn_config d;
	struct pg_params p;

	(void)state;
	expect_ok(l);
	dyn_config_defaults(&d);
	d.remove_data_directory_on_rewind_failure = true;
	pg_params_set(&d.parameters, "work_mem", "4MB");
	pg_params_set(&d.parameters, "max_connections", "10");
	assert_false(config_use_pg_rewind(&l->cfg, &d)); /* local false wins over dcs true */
	assert_true(config_remove_data_on_rewind_failure(&l->cfg, &d)); /* not set locally */
	assert_null(config_pg_hba(&l->cfg, &d)[0]);                     /* local [] wins */
	config_pg_params(&l->cfg, &d, &p);
	assert_int_equal(p.n, 2);
	assert_string_equal(pg_params_get(&p, "work_mem"), "8MB");
	assert_string_equal(pg_params_get(&p, "max_connections"), "10");
	pg_params_free(&p);
	dyn_config_free(&d);
	unload(l);
}

/* --- yaml_to_json ------------------------------------------------------------------------- */

static void expect_json(const char *yaml, const char *json)
{
	char err[256] = "";
	json_t *v = yaml_to_json(yaml, "y.yml", err, sizeof(err));

	if (v == NULL)
		print_message("yaml_to_json failed: %s\n", err);
	assert_non_null(v);
	assert_json_eq(v, json);
	json_decref(v);
}

static void expect_json_error(const char *yaml, const char *text)
{
	char err[256] = "";
	json_t *v = yaml_to_json(yaml, "y.yml", err, sizeof(err));

	assert_null(v);
	if (strstr(err, text) == NULL)
		print_message("error \"%s\" lacks \"%s\"\n", err, text);
	assert_non_null(strstr(err, text));
}

/* Expected values checked against PyYAML 6 (yaml.safe_load), which Patroni uses. */
static void test_yaml_to_json_typing(void **state)
{
	(void)state;
	expect_json("[yes, No, ON, off, True, FALSE, y, n, Yes, oN]",
	            "[true,false,true,false,true,false,\"y\",\"n\",true,\"oN\"]");
	expect_json("[~, null, Null, NULL, '', nULL]", "[null,null,null,null,\"\",\"nULL\"]");
	expect_json("a:\nb: ~\n", "{\"a\":null,\"b\":null}");
	expect_json("[0x1F, 0o17, 017, 08, 1_000, +5, -0b101, 1:30, 190:20:30, 0, -0, 00, 0x_1F]",
	            "[31,\"0o17\",15,\"08\",1000,5,-5,90,685230,0,0,0,31]");
	expect_json("[9223372036854775807, -9223372036854775808]",
	            "[9223372036854775807,-9223372036854775808]");
	expect_json("[1e3, 1.0e+3, .5, -.5, 1., 1.5, 1:30.5, 1_0.5, 1.0e3, 6.8523015e+5]",
	            "[\"1e3\",1000.0,0.5,\"-.5\",1.0,1.5,90.5,10.5,\"1.0e3\",685230.15]");
	expect_json("[.inf, -.Inf, .NaN]", "[\".inf\",\"-.Inf\",\".NaN\"]");
	expect_json("[\"yes\", '123', 1.2.3, 2001-12-14, \"\"]",
	            "[\"yes\",\"123\",\"1.2.3\",\"2001-12-14\",\"\"]");
	expect_json("a: |\n  yes\nb: >-\n  1\n  2\n", "{\"a\":\"yes\\n\",\"b\":\"1 2\"}");
	expect_json("[!!int '42', !!bool 'yes', !!float '1', !!null '', !!int x]",
	            "[42,true,1.0,null,\"x\"]");
	expect_json("a: &x {k: 1, j: 2}\nb:\n  <<: *x\n  j: 3\n",
	            "{\"a\":{\"k\":1,\"j\":2},\"b\":{\"k\":1,\"j\":3}}");
	expect_json("a: &x {k: 1}\nc: &y {k: 2, m: 5}\nb:\n  <<: [*x, *y]\n",
	            "{\"a\":{\"k\":1},\"c\":{\"k\":2,\"m\":5},\"b\":{\"k\":1,\"m\":5}}");
	expect_json("'<<': 1\n", "{\"<<\":1}"); /* a quoted << is an ordinary key */
	expect_json("1: one\ntrue: t\n", "{\"1\":\"one\",\"true\":\"t\"}");
	expect_json("", "null");
	expect_json("--- 5\n...\n", "5");
	expect_json("é: ü\n", "{\"é\":\"ü\"}");
}

/* Every spelling PyYAML's resolver takes as a boolean or null, and near misses. */
static void test_yaml_to_json_bool_null_forms(void **state)
{
	static const char *const truths[] = {"yes",  "Yes", "YES", "true", "True",
	                                     "TRUE", "on",  "On",  "ON"};
	static const char *const lies[] = {"no",    "No",  "NO",  "false", "False",
	                                   "FALSE", "off", "Off", "OFF"};
	static const char *const nulls[] = {"~", "null", "Null", "NULL"};
	static const char *const strings[] = {"y",   "n",    "Y",    "N",    "yES", "tRUE",
	                                      "oFF", "nuLL", "none", "None", "1",   "0"};
	char yaml[64], json[64];

	(void)state;
	for (size_t i = 0; i < sizeof(truths) / sizeof(truths[0]); i++) {
		snprintf(yaml, sizeof(yaml), "[%s, %s, '%s']", truths[i], lies[i], truths[i]);
		snprintf(json, sizeof(json), "[true, false, \"%s\"]", truths[i]);
		expect_json(yaml, json);
	}
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++) {
		snprintf(yaml, sizeof(yaml), "[%s, \"%s\"]", nulls[i], nulls[i]);
		snprintf(json, sizeof(json), "[null, \"%s\"]", nulls[i]);
		expect_json(yaml, json);
	}
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		bool number = strings[i][0] == '1' || strings[i][0] == '0';

		snprintf(yaml, sizeof(yaml), "[%s]", strings[i]);
		snprintf(json, sizeof(json), number ? "[%s]" : "[\"%s\"]", strings[i]);
		expect_json(yaml, json);
	}
}

static void test_yaml_to_json_errors(void **state)
{
	(void)state;
	expect_json_error("a: 1\na: 2\n", "y.yml:2:1: duplicate key 'a' (first at line 1)");
	expect_json_error("a: [1\n", "y.yml:2:1: did not find expected ',' or ']'");
	expect_json_error("a: 1\n---\nb: 2\n", "y.yml:3:1: only one YAML document is allowed");
	expect_json_error("a: 99999999999999999999\n", "y.yml:1:4: integer 99999999999999999999 "
	                                               "does not fit in 64 bits");
	expect_json_error("a: &a [*a]\n", "too deep or too large");
	expect_json_error("a: &a {<<: *a}\n", "merge keys (<<) nested too deep or in a cycle");
	expect_json_error("a: {<<: 5}\n", "'<<' (merge key) needs a mapping");
	expect_json_error("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	                  "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	                  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	                  "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	                  "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	                  "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
	                  "too deep or too large");
	expect_json_error("a:\n\t- b\n", "tabs cannot be used for indentation");
}

/* --- dyn_config JSON ------------------------------------------------------------------- */

static json_t *parse_json(const char *text)
{
	json_t *v = json_loads(text, 0, NULL);

	assert_non_null(v);
	return v;
}

static void test_dyn_config_round_trip(void **state)
{
	struct dyn_config a, b;
	char err[256];
	json_t *j;

	(void)state;
	dyn_config_defaults(&a);
	a.ttl_s = 30;
	a.loop_wait_s = 10;
	a.retry_timeout_s = 10;
	a.maximum_lag_on_failover = 5;
	a.primary_start_timeout_s = 300;
	a.synchronous_mode = false;
	a.synchronous_mode_strict = true;
	a.synchronous_node_count = 2;
	a.pause = true;
	a.check_timeline = false;
	a.use_pg_rewind = false;
	a.use_slots = false;
	a.remove_data_directory_on_rewind_failure = true;
	pg_params_set(&a.parameters, "work_mem", "4MB");
	pg_params_set(&a.parameters, "max_connections", "100");
	a.pg_hba = xcalloc(3, sizeof(char *));
	a.pg_hba[0] = xstrdup("local all all trust");
	a.pg_hba[1] = xstrdup("host all all ::1/128 md5");
	j = dyn_config_to_json(&a);
	assert_json_eq(
	    j,
	    "{\"ttl\":30,\"loop_wait\":10,\"retry_timeout\":10,"
	    "\"maximum_lag_on_failover\":5,\"primary_start_timeout\":300,"
	    "\"synchronous_mode\":false,\"synchronous_mode_strict\":true,"
	    "\"synchronous_node_count\":2,\"check_timeline\":false,\"failsafe_mode\":"
	    "false,\"pause\":true,"
	    "\"postgresql\":{\"use_pg_rewind\":false,\"use_slots\":false,"
	    "\"remove_data_directory_on_rewind_failure\":true,"
	    "\"parameters\":{\"max_connections\":\"100\",\"work_mem\":\"4MB\"},"
	    "\"pg_hba\":[\"local all all trust\",\"host all all ::1/128 md5\"]},"
	    "\"backup\":{\"full_every\":0,\"diff_every\":0,\"incr_every\":0,\"retention_full\":2,"
	    "\"retention_full_type\":\"count\",\"retention_diff\":0,\"standby\":true}}");
	dyn_config_defaults(&b);
	assert_true(dyn_config_from_json(&b, j, err, sizeof(err)));
	assert_string_equal(err, "");
	json_decref(j);
	assert_int_equal(b.ttl_s, 30);
	assert_int_equal(b.loop_wait_s, 10);
	assert_int_equal(b.retry_timeout_s, 10);
	assert_int_equal(b.maximum_lag_on_failover, 5);
	assert_int_equal(b.primary_start_timeout_s, 300);
	assert_false(b.synchronous_mode);
	assert_true(b.synchronous_mode_strict);
	assert_int_equal(b.synchronous_node_count, 2);
	assert_true(b.pause);
	assert_false(b.check_timeline);
	assert_false(b.use_pg_rewind);
	assert_false(b.use_slots);
	assert_true(b.remove_data_directory_on_rewind_failure);
	assert_int_equal(b.parameters.n, 2);
	assert_string_equal(pg_params_get(&b.parameters, "work_mem"), "4MB");
	assert_string_equal(b.pg_hba[1], "host all all ::1/128 md5");
	assert_null(b.pg_hba[2]);
	dyn_config_free(&a);
	dyn_config_free(&b);
}

static void test_dyn_config_from_json_lenient(void **state)
{
	struct dyn_config d;
	char err[512];
	json_t *j = parse_json("{\"ttl\":\"20\",\"loop_wait\":5.0,\"retry_timeout\":\"5\","
	                       "\"maximum_lag_on_failover\":\"1MB\",\"synchronous_mode\":\"off\","
	                       "\"synchronous_mode_strict\":\"on\",\"check_timeline\":0,"
	                       "\"pause\":null,\"failsafe_mode\":true,\"whatever\":[1],"
	                       "\"postgresql\":{\"use_slots\":\"false\",\"parameters\":"
	                       "{\"wal_log_hints\":true,\"cpu_tuple_cost\":0.01,"
	                       "\"max_connections\":100,\"work_mem\":\"4MB\",\"gone\":null}}}");

	(void)state;
	dyn_config_defaults(&d);
	d.pause = true;
	assert_true(dyn_config_from_json(&d, j, err, sizeof(err)));
	assert_string_equal(err, "");
	assert_int_equal(d.ttl_s, 20);
	assert_int_equal(d.loop_wait_s, 5);
	assert_int_equal(d.retry_timeout_s, 5);
	assert_int_equal(d.maximum_lag_on_failover, 1048576);
	assert_false(d.synchronous_mode);
	assert_true(d.synchronous_mode_strict);
	assert_false(d.check_timeline);
	assert_false(d.pause); /* null = resumed */
	assert_false(d.use_slots);
	assert_int_equal(d.parameters.n, 4);
	assert_string_equal(pg_params_get(&d.parameters, "wal_log_hints"), "on");
	assert_string_equal(pg_params_get(&d.parameters, "cpu_tuple_cost"), "0.01");
	assert_string_equal(pg_params_get(&d.parameters, "max_connections"), "100");
	json_decref(j);

	/* A new object replaces the parameters; absent keys stay as they were. */
	j = parse_json("{\"postgresql\":{\"parameters\":{\"work_mem\":\"1MB\"}}}");
	assert_true(dyn_config_from_json(&d, j, err, sizeof(err)));
	assert_int_equal(d.parameters.n, 1);
	assert_int_equal(d.ttl_s, 20);
	json_decref(j);
	dyn_config_free(&d);
}

static void test_dyn_config_from_json_bad_values(void **state)
{
	struct dyn_config d;
	char err[2048];
	json_t *j = parse_json("{\"ttl\":\"x\",\"loop_wait\":0,\"maximum_lag_on_failover\":-5,"
	                       "\"synchronous_mode\":\"quorum\",\"synchronous_node_count\":1.5,"
	                       "\"check_timeline\":\"maybe\",\"standby_cluster\":{\"host\":\"h\"},"
	                       "\"postgresql\":{\"parameters\":{\"a b\":1},\"pg_hba\":[1],"
	                       "\"use_slots\":{}}}");

	(void)state;
	dyn_config_defaults(&d);
	assert_true(dyn_config_from_json(&d, j, err, sizeof(err)));
	json_decref(j);
	assert_non_null(strstr(err, "ttl: expected an integer, got a string"));
	assert_non_null(strstr(err, "loop_wait: 0 is out of range (1 to 86400)"));
	assert_non_null(strstr(err, "maximum_lag_on_failover: -5 is out of range (at least 0)"));
	assert_non_null(strstr(err, "synchronous_mode: quorum is not supported by pgha"));
	assert_non_null(strstr(err, "synchronous_node_count: expected an integer, got a number"));
	assert_non_null(strstr(err, "check_timeline: expected a boolean"));
	assert_non_null(strstr(err, "standby_cluster: standby clusters are not supported"));
	assert_non_null(strstr(err, "postgresql.parameters: 'a b' is not a parameter name"));
	/* JSON has no lines: the path says which item. */
	assert_non_null(
	    strstr(err, "postgresql.pg_hba: item 1: expected a string, got an integer"));
	assert_non_null(strstr(err, "postgresql.use_slots: expected a boolean"));
	/* Every bad value left its field alone. */
	{
		struct dyn_config def;

		dyn_config_defaults(&def);
		assert_memory_equal(&d, &def, sizeof(d));
	}
	j = parse_json("[1]");
	assert_false(dyn_config_from_json(&d, j, err, sizeof(err)));
	assert_string_equal(err, "the configuration is not a JSON object");
	json_decref(j);
	j = parse_json("{\"postgresql\":5}");
	assert_true(dyn_config_from_json(&d, j, err, sizeof(err)));
	assert_string_equal(err, "postgresql: expected a mapping, got an integer");
	json_decref(j);
	dyn_config_free(&d);
}

static void test_dyn_config_timing_fit(void **state)
{
	struct dyn_config d;
	char err[512];
	json_t *j;

	(void)state;
	dyn_config_defaults(&d);
	/* Short leases are fine (the lease keeper renews on its own)... */
	j = parse_json("{\"ttl\":2,\"loop_wait\":1,\"retry_timeout\":1}");
	assert_true(dyn_config_from_json(&d, j, err, sizeof(err)));
	json_decref(j);
	assert_int_equal(d.ttl_s, 2);
	assert_string_equal(err, "");
	assert_true(dyn_config_timing_ok(&d));
	/* ...a loop slower than the lease is lowered to it... */
	j = parse_json("{\"ttl\":10,\"loop_wait\":20,\"retry_timeout\":3}");
	assert_true(dyn_config_from_json(&d, j, err, sizeof(err)));
	json_decref(j);
	assert_int_equal(d.loop_wait_s, 10);
	assert_int_equal(d.retry_timeout_s, 3);
	assert_string_equal(err, "loop_wait lowered to 10 so that it does not exceed ttl");
	/* ...and a lease etcd cannot grant keeps the previous timings. */
	j = parse_json("{\"ttl\":1}");
	assert_true(dyn_config_from_json(&d, j, err, sizeof(err)));
	json_decref(j);
	assert_int_equal(d.ttl_s, 10);
	assert_int_equal(d.loop_wait_s, 10);
	assert_int_equal(d.retry_timeout_s, 3);
	assert_non_null(strstr(err, "ttl 1, loop_wait 10, retry_timeout 3 are not usable"));
	dyn_config_free(&d);
}

static void test_dyn_config_copy(void **state)
{
	struct dyn_config a, b;

	(void)state;
	dyn_config_defaults(&a);
	pg_params_set(&a.parameters, "x", "1");
	a.pg_hba = xcalloc(2, sizeof(char *));
	a.pg_hba[0] = xstrdup("local all all trust");
	a.ttl_s = 9;
	dyn_config_copy(&b, &a);
	dyn_config_free(&a);
	assert_int_equal(b.ttl_s, 9);
	assert_string_equal(pg_params_get(&b.parameters, "x"), "1");
	assert_string_equal(b.pg_hba[0], "local all all trust");
	dyn_config_free(&b);
	assert_int_equal(b.parameters.n, 0);
	assert_null(b.pg_hba);
}

/* --- dyn_config in YAML (pgha edit-config) ------------------------------------------------ */

static void test_dyn_config_yaml_lines(void **state)
{
	char err[1024];

	(void)state;
	assert_false(dyn_config_check_yaml("ttl: 0\n"
	                                   "postgresql:\n"
	                                   "  use_slots: maybe\n"
	                                   "  pg_hba:\n"
	                                   "  - host all all 0.0.0.0/0 md5\n"
	                                   "  - [x]\n"
	                                   "synchronous_mode: quorum\n",
	                                   "edit.yml", err, sizeof(err)));
	assert_string_equal(err,
	                    "edit.yml:1: ttl: 0 is out of range (1 to 86400)\n"
	                    "edit.yml:3: postgresql.use_slots: expected a boolean (true/false), "
	                    "got a string\n"
	                    "edit.yml:6: postgresql.pg_hba: expected a string, got a list\n"
	                    "edit.yml:7: synchronous_mode: quorum is not supported by pgha (use "
	                    "on or off)");
	/* Unknown and unused keys are stored as Patroni stores them; a patch may be partial. */
	assert_true(dyn_config_check_yaml("whatever: 1\nfailsafe_mode: true\nloop_wait: 60\n",
	                                  "edit.yml", err, sizeof(err)));
	assert_string_equal(err, "");
	assert_true(dyn_config_check_yaml("", "edit.yml", err, sizeof(err)));
	assert_true(dyn_config_check_yaml("# nothing\n", "edit.yml", err, sizeof(err)));
	assert_false(dyn_config_check_yaml("ttl: [\n", "edit.yml", err, sizeof(err)));
	assert_non_null(strstr(err, "edit.yml:2:1: did not find expected node content"));
	assert_false(dyn_config_check_yaml("- ttl\n", "edit.yml", err, sizeof(err)));
	assert_string_equal(err,
	                    "edit.yml:1: the configuration must be a mapping of keys, not a list");
}

/* --- the engine, on a table of its own --------------------------------------------------- */

struct sample {
	char name[8];
	int n;
	int64_t bytes;
	int ms;
	bool flag;
	bool pause;
	int kind;
	char **list;
	char hosts[2][16];
	int n_hosts;
	struct pg_params params;
	char mode[8];
};

static const char *const kinds[] = {"alpha", "beta", "gamma", NULL};

/* clang-format off */
#define S struct sample
static const struct cfg_key sample_keys[] = {
    CFG_STR_ROW(S, "name", name, "x", NULL),
    CFG_SECTION_ROW("num", 0),
    CFG_INT_ROW(S, "num.n", n, 1, 10, "5"),
    CFG_ALIAS_ROW("num.count", "num.n"),
    CFG_BYTES_ROW(S, "num.bytes", bytes, 0, "1kB", 0),
    CFG_SECONDS_MS_ROW(S, "num.wait", ms, 0, 60, "1.5"),
    CFG_SECTION_ROW("opts", CFG_F_STRICT),
    CFG_BOOL_ROW(S, "opts.flag", flag, "on", 0),
    CFG_BOOL_ROW(S, "opts.pause", pause, "false", CFG_F_NULL_DEFAULT),
    CFG_ENUM_ROW(S, "opts.kind", kind, kinds, "beta"),
    CFG_CHOICE_ROW(S, "opts.mode", mode, kinds, NULL),
    CFG_STRV_ROW(S, "list", list),
    CFG_HOSTS_ROW(S, "hosts", hosts, n_hosts, NULL),
    CFG_PARAMS_ROW(S, "params", params),
    CFG_IGNORED_ROW("old", "not used"),
    CFG_REFUSED_ROW("feature", "not here"),
    CFG_SECTION_ROW("user", 0),
    CFG_KEEP_ROW("user.*"),
    CFG_END_ROW,
};
#undef S
/* clang-format on */

struct sample_run {
	struct sample v;
	struct config_msgs errors;
	struct config_msgs warnings;
	int n_errors;
};

static struct sample_run *sample_read(const char *yaml, const char *json)
{
	struct sample_run *r = xcalloc(1, sizeof(*r));
	struct cfg_ctx c;

	assert_true(cfg_defaults(sample_keys, &r->v));
	cfg_ctx_init(&c, sample_keys, &r->v, yaml ? "s.yml" : NULL, &r->errors, &r->warnings);
	if (yaml != NULL) {
		(void)cfg_read_yaml(&c, yaml, strlen(yaml));
	} else {
		json_t *j = parse_json(json);

		(void)cfg_read_json(&c, j);
		json_decref(j);
	}
	r->n_errors = c.n_errors;
	cfg_ctx_free(&c);
	return r;
}

static void sample_free(struct sample_run *r)
{
	strv_free_for_test(r->v.list);
	pg_params_free(&r->v.params);
	free(r);
}

static void test_engine_defaults_and_json(void **state)
{
	struct sample v = {.n = 0};
	json_t *j;

	(void)state;
	assert_true(cfg_defaults(sample_keys, &v));
	assert_string_equal(v.name, "x");
	assert_int_equal(v.n, 5);
	assert_int_equal(v.bytes, 1024);
	assert_int_equal(v.ms, 1500);
	assert_true(v.flag);
	assert_int_equal(v.kind, 1);
	assert_null(v.list);
	j = cfg_to_json(sample_keys, &v);
	assert_json_eq(j,
	               "{\"name\":\"x\",\"num\":{\"n\":5,\"bytes\":1024,\"wait\":1.5},"
	               "\"opts\":{\"flag\":true,\"pause\":false,\"kind\":\"beta\",\"mode\":\"\"},"
	               "\"hosts\":[],\"params\":{}}");
	json_decref(j);
}

static void test_engine_values(void **state)
{
	struct sample_run *r;

	(void)state;
	r = sample_read("name: 0123\nnum:\n  count: '7'\n  bytes: 16MB\n  wait: 2\n"
	                "opts:\n  flag: off\n  pause: ~\n  kind: gamma\n  mode: alpha\n"
	                "list: [a, 'b c']\nhosts: 'h:1, h:2'\nparams: {work_mem: 4MB, jit: false}\n"
	                "user:\n  anything: [1]\n",
	                NULL);
	assert_int_equal(r->n_errors, 0);
	assert_int_equal(r->warnings.n, 0);
	assert_string_equal(r->v.name, "0123");
	assert_int_equal(r->v.n, 7); /* through the alias */
	assert_int_equal(r->v.bytes, 16 << 20);
	assert_int_equal(r->v.ms, 2000);
	assert_false(r->v.flag);
	assert_false(r->v.pause);
	assert_int_equal(r->v.kind, 2);
	assert_string_equal(r->v.mode, "alpha");
	assert_string_equal(r->v.list[1], "b c");
	assert_int_equal(r->v.n_hosts, 2);
	assert_string_equal(r->v.hosts[1], "h:2");
	assert_string_equal(pg_params_get(&r->v.params, "jit"), "off");
	sample_free(r);
	/* JSON: the same keys, typed values; null keeps a value, or restores a default. */
	r = sample_read(NULL,
	                "{\"name\":null,\"num\":{\"n\":null,\"bytes\":2.0,\"wait\":0.25},"
	                "\"opts\":{\"pause\":null,\"flag\":1},\"list\":[],\"hosts\":[\"a:1\"]}");
	assert_int_equal(r->n_errors, 0);
	assert_string_equal(r->v.name, ""); /* a string's null is "" */
	assert_int_equal(r->v.n, 5);
	assert_int_equal(r->v.bytes, 2);
	assert_int_equal(r->v.ms, 250);
	assert_true(r->v.flag);
	assert_non_null(r->v.list);
	assert_null(r->v.list[0]);
	sample_free(r);
}

static void test_engine_errors(void **state)
{
	struct sample_run *r;

	(void)state;
	r = sample_read("num:\n  n: 11\n  bytes: lots\n  wait: 61\n"
	                "opts:\n  flag: maybe\n  kind: delta\n  colour: red\n"
	                "list: [ok, {x: 1}]\nhosts: [a, b, c]\nparams: {'a b': 1}\n"
	                "old: 1\nfeature: yes\nfeature2: no\n",
	                NULL);
	expect_msg(&r->errors, "s.yml:2: num.n: 11 is out of range (1 to 10)");
	expect_msg(&r->errors, "s.yml:3: num.bytes: expected a number of bytes (e.g. 1048576 or "
	                       "16MB), got a string");
	expect_msg(&r->errors, "s.yml:4: num.wait: 61 is out of range (0 to 60 seconds)");
	expect_msg(&r->errors, "s.yml:6: opts.flag: expected a boolean (true/false), got a string");
	expect_msg(&r->errors,
	           "s.yml:7: opts.kind: 'delta' is not supported (alpha, beta or gamma)");
	expect_msg(&r->errors, "s.yml:8: opts.colour: unknown key"); /* strict section */
	expect_msg(&r->errors, "s.yml:9: list: expected a string, got a mapping");
	expect_msg(&r->errors, "s.yml:10: hosts: more than 2 endpoints");
	expect_msg(&r->errors, "s.yml:11: params: 'a b' is not a parameter name");
	expect_msg(&r->errors, "s.yml:13: feature: not here");
	assert_int_equal(r->n_errors, 10);
	expect_msg(&r->warnings, "s.yml:12: 'old' is not supported by pgha, ignored (not used)");
	expect_msg(&r->warnings, "s.yml:14: unknown key 'feature2' ignored");
	/* Every refused value left its field as it was. */
	assert_int_equal(r->v.n, 5);
	assert_int_equal(r->v.bytes, 1024);
	assert_true(r->v.flag);
	assert_int_equal(r->v.kind, 1);
	assert_null(r->v.list);
	assert_int_equal(r->v.params.n, 0);
	sample_free(r);
	/* JSON has no lines: messages name the key path; a number is not a string. */
	r = sample_read(NULL, "{\"name\":5,\"num\":{\"n\":\"x\"},\"list\":[\"a\",true]}");
	expect_msg(&r->errors, "name: expected a string, got an integer");
	expect_msg(&r->errors, "num.n: expected an integer, got a string");
	expect_msg(&r->errors, "list: item 2: expected a string, got a boolean");
	assert_string_equal(r->errors.items[0], "name: expected a string, got an integer");
	sample_free(r);
}

/* --- pg_params ------------------------------------------------------------------------- */

static void test_pg_params(void **state)
{
	struct pg_params p = {NULL, 0}, q = {NULL, 0}, c;

	(void)state;
	pg_params_set(&p, "work_mem", "4MB");
	pg_params_set(&p, "Max_Connections", "100");
	pg_params_set(&p, "archive_mode", "on");
	assert_int_equal(p.n, 3);
	assert_string_equal(p.items[0].name, "archive_mode");
	assert_string_equal(p.items[1].name, "max_connections");
	assert_string_equal(p.items[2].name, "work_mem");
	assert_string_equal(pg_params_get(&p, "MAX_CONNECTIONS"), "100");
	assert_null(pg_params_get(&p, "shared_buffers"));
	pg_params_set(&p, "WORK_MEM", "8MB"); /* same setting: replaced */
	assert_int_equal(p.n, 3);
	assert_string_equal(pg_params_get(&p, "work_mem"), "8MB");
	pg_params_set(&p, "archive_mode", NULL); /* removed */
	pg_params_set(&p, "not_there", NULL);
	assert_int_equal(p.n, 2);
	assert_null(pg_params_get(&p, "archive_mode"));
	pg_params_set(&q, "work_mem", "1MB");
	pg_params_set(&q, "jit", "off");
	pg_params_merge(&p, &q);
	assert_int_equal(p.n, 3);
	assert_string_equal(pg_params_get(&p, "work_mem"), "1MB");
	assert_string_equal(p.items[0].name, "jit");
	pg_params_copy(&c, &p);
	pg_params_free(&p);
	assert_int_equal(p.n, 0);
	assert_null(p.items);
	assert_int_equal(c.n, 3);
	assert_string_equal(pg_params_get(&c, "max_connections"), "100");
	pg_params_free(&c);
	pg_params_free(&q);
	pg_params_copy(&c, &q); /* empty */
	assert_int_equal(c.n, 0);
	pg_params_copy(&c, NULL); /* NULL is empty too */
	assert_int_equal(c.n, 0);
	assert_true(pg_params_equal(&c, NULL));
	pg_params_set(&p, "work_mem", "1MB");
	pg_params_set(&p, "JIT", "off");
	pg_params_set(&q, "jit", "off");
	pg_params_set(&q, "work_mem", "1MB");
	assert_true(pg_params_equal(&p, &q)); /* order of setting and case do not matter */
	pg_params_set(&q, "work_mem", "2MB");
	assert_false(pg_params_equal(&p, &q));
	pg_params_set(&q, "work_mem", NULL);
	assert_false(pg_params_equal(&p, &q));
	assert_false(pg_params_equal(&p, NULL));
	pg_params_free(&p);
	pg_params_free(&q);
	assert_true(pg_params_valid_name("pg_stat_statements.max"));
	assert_true(pg_params_valid_name("_x"));
	assert_false(pg_params_valid_name("1x"));
	assert_false(pg_params_valid_name("a b"));
	assert_false(pg_params_valid_name("a=b"));
	assert_false(pg_params_valid_name(""));
	assert_true(pg_params_valid_value("'quoted' value"));
	assert_false(pg_params_valid_value("a\nb"));
	assert_false(pg_params_valid_value("a\rb"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_fixture),
	    cmocka_unit_test(test_patroni_example_fixture),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_dyn_config_defaults),
	    cmocka_unit_test(test_namespace_normalised),
	    cmocka_unit_test(test_log_levels),
	    cmocka_unit_test(test_users_and_env),
	    cmocka_unit_test(test_connect_address_defaults),
	    cmocka_unit_test(test_etcd_hosts),
	    cmocka_unit_test(test_tls_keys),
	    cmocka_unit_test(test_unsafe_halves_refused),
	    cmocka_unit_test(test_type_errors),
	    cmocka_unit_test(test_value_errors),
	    cmocka_unit_test(test_missing_required),
	    cmocka_unit_test(test_all_errors_reported),
	    cmocka_unit_test(test_messages_capped),
	    cmocka_unit_test(test_null_message_lists),
	    cmocka_unit_test(test_unknown_keys_warned),
	    cmocka_unit_test(test_malformed_yaml),
	    cmocka_unit_test(test_parameters_as_text),
	    cmocka_unit_test(test_initdb_forms),
	    cmocka_unit_test(test_tags),
	    cmocka_unit_test(test_string_values),
	    cmocka_unit_test(test_bootstrap_dcs),
	    cmocka_unit_test(test_effective_values),
	    cmocka_unit_test(test_yaml_to_json_typing),
	    cmocka_unit_test(test_yaml_to_json_bool_null_forms),
	    cmocka_unit_test(test_yaml_to_json_errors),
	    cmocka_unit_test(test_dyn_config_round_trip),
	    cmocka_unit_test(test_dyn_config_from_json_lenient),
	    cmocka_unit_test(test_dyn_config_from_json_bad_values),
	    cmocka_unit_test(test_dyn_config_timing_fit),
	    cmocka_unit_test(test_dyn_config_copy),
	    cmocka_unit_test(test_dyn_config_yaml_lines),
	    cmocka_unit_test(test_engine_defaults_and_json),
	    cmocka_unit_test(test_engine_values),
	    cmocka_unit_test(test_engine_errors),
	    cmocka_unit_test(test_pg_params),
	    cmocka_unit_test(test_pgbackrest_section),
	    cmocka_unit_test(test_pgbackrest_refusals),
	    cmocka_unit_test(test_replica_methods),
	    cmocka_unit_test(test_bootstrap_method),
	    cmocka_unit_test(test_backup_policy_and_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
