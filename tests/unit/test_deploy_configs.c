/*
 * test_deploy_configs.c: the example agent configuration that the Debian package
 * installs (/etc/pgha/agent.yml.example, from deploy/config/) loads without error or
 * warning, means what its comments say, and takes its passwords from the environment
 * file that pgha-agent.service reads (deploy/config/agent.env.example): without that
 * file the agent refuses to start (a user without its password).
 *
 * Run from the top of the tree (make unit does).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "pooler/pooler_conf.h"

#define AGENT_EXAMPLE "deploy/config/agent.yml.example"
#define ENV_EXAMPLE   "deploy/config/agent.env.example"

static void export_env_example(void);

/* load_example: the example as the unit loads it, with its environment file. */
static void load_example(struct config *cfg)
{
	struct config_msgs errors = {0};
	struct config_msgs warnings = {0};
	bool ok;

	export_env_example();
	ok = config_load(AGENT_EXAMPLE, cfg, &errors, &warnings);
	for (int i = 0; i < errors.n; i++)
		print_error("error: %s\n", errors.items[i]);
	for (int i = 0; i < warnings.n; i++)
		print_error("warning: %s\n", warnings.items[i]);
	assert_true(ok);
	assert_int_equal(warnings.n, 0);
}

static void test_agent_example_loads_cleanly(void **state)
{
	struct config cfg;

	(void)state;
	load_example(&cfg);
	assert_string_equal(cfg.scope, "main");
	assert_string_equal(cfg.namespace_, "/service/");
	assert_int_equal(cfg.etcd.n_hosts, 3);
	assert_string_equal(cfg.postgresql.connect_address, "10.0.1.11:5432");
	assert_string_equal(cfg.restapi.connect_address, "10.0.1.11:8008");
	assert_string_equal(cfg.postgresql.bin_dir, "/usr/lib/postgresql/15/bin");
	assert_true(cfg.pgbouncer.enabled);
	assert_string_equal(cfg.pgbouncer.listen, "0.0.0.0:6432");
	assert_true(cfg.bootstrap.dcs.synchronous_mode);
	assert_true(cfg.bootstrap.dcs.use_pg_rewind);
	/* TLS everywhere, as docs/security.md says */
	assert_string_equal(cfg.restapi.certfile, "/etc/pgha/tls/node.crt");
	assert_string_equal(cfg.etcd.protocol, "https");
	assert_string_equal(cfg.etcd.tls.cafile, "/etc/pgha/tls/ca.crt");
	assert_string_equal(cfg.ctl.tls.cafile, "/etc/pgha/tls/ca.crt");
	assert_string_equal(cfg.postgresql.replication.sslmode, "verify-full");
	assert_string_equal(cfg.pgbouncer.client_tls.sslmode, "require");
	config_free(&cfg);
}

/* PgBouncer listens everywhere; routers are told this node's address (members/ "pooler"). */
static void test_agent_example_publishes_a_reachable_pooler(void **state)
{
	struct config cfg;
	char pooler[CONFIG_HOST_LEN];

	(void)state;
	load_example(&cfg);
	assert_true(pooler_connect_address(&cfg, pooler, sizeof(pooler)));
	assert_string_equal(pooler, "10.0.1.11:6432");
	config_free(&cfg);
}

/* The example keeps pgha's fast-failover timings: it sets no ttl, loop_wait, retry. */
static void test_agent_example_keeps_default_timings(void **state)
{
	struct config cfg;
	struct dyn_config defaults;

	(void)state;
	load_example(&cfg);
	dyn_config_defaults(&defaults);
	assert_int_equal(cfg.bootstrap.dcs.ttl_s, defaults.ttl_s);
	assert_int_equal(cfg.bootstrap.dcs.loop_wait_s, defaults.loop_wait_s);
	assert_int_equal(cfg.bootstrap.dcs.retry_timeout_s, defaults.retry_timeout_s);
	dyn_config_free(&defaults);
	config_free(&cfg);
}

/* Applies KEY=VALUE lines of the env example as systemd's EnvironmentFile= would. */
static void export_env_example(void)
{
	char line[512];
	FILE *f = fopen(ENV_EXAMPLE, "r");
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *eq = strchr(line, '=');

		if (line[0] == '#' || !eq)
			continue;
		line[strcspn(line, "\n")] = '\0';
		*eq = '\0';
		assert_int_equal(setenv(line, eq + 1, 1), 0);
		n++;
	}
	fclose(f);
	assert_int_equal(n, 5);
}

static void unset_env_example(void)
{
	unsetenv("PATRONI_SUPERUSER_PASSWORD");
	unsetenv("PATRONI_REPLICATION_PASSWORD");
	unsetenv("PATRONI_REWIND_PASSWORD");
	unsetenv("PATRONI_RESTAPI_PASSWORD");
	unsetenv("PATRONI_ETCD3_PASSWORD");
}

static void test_passwords_come_from_the_unit_environment(void **state)
{
	struct config cfg;
	struct config_msgs errors = {0};

	(void)state;
	load_example(&cfg);
	assert_string_equal(cfg.postgresql.superuser.password, "change-me");
	assert_string_equal(cfg.postgresql.replication.password, "change-me-too");
	assert_string_equal(cfg.postgresql.rewind.password, "and-me");
	assert_string_equal(cfg.restapi.password, "and-me-as-well");
	assert_string_equal(cfg.etcd.password, "etcd-user-pgha");
	config_free(&cfg);
	/* Without the environment file the example names users without passwords: refused. */
	unset_env_example();
	assert_false(config_load(AGENT_EXAMPLE, &cfg, &errors, NULL));
	assert_non_null(strstr(errors.items[0], "is set but"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_agent_example_loads_cleanly),
	    cmocka_unit_test(test_agent_example_publishes_a_reachable_pooler),
	    cmocka_unit_test(test_agent_example_keeps_default_timings),
	    cmocka_unit_test(test_passwords_come_from_the_unit_environment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
