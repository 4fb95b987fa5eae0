/*
 * test_pooler.c: pooler/ - PgBouncer's settings from the configuration, the rendered
 * pgbouncer.ini and auth file (read back the way PgBouncer reads them), the superuser's
 * SCRAM verifier, addresses and backoff; and the supervisor's life cycle (start, reload,
 * restart after a kill, backoff, stop) against a stand-in shell script, so that it runs
 * anywhere. The real PgBouncer is tested in tests/integration/test_pooler_live.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config/config.h"
#include "pooler/pooler.h"
#include "pooler/pooler_conf.h"
#include "pooler/pooler_secret.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/proc.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define VERIFIER "SCRAM-SHA-256$4096:c2FsdHNhbHQ=$U3RvcmVkS2V5:U2VydmVyS2V5"

/* --- fixtures ------------------------------------------------------------------------ */

static struct config *new_cfg(void)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));

	snprintf(cfg->name, sizeof(cfg->name), "node1");
	snprintf(cfg->postgresql.data_dir, sizeof(cfg->postgresql.data_dir), "/var/lib/pg/data");
	snprintf(cfg->postgresql.listen, sizeof(cfg->postgresql.listen), "127.0.0.1:5432");
	snprintf(cfg->postgresql.superuser.username, CONFIG_NAME_LEN, "postgres");
	snprintf(cfg->postgresql.superuser.password, CONFIG_SECRET_LEN, "s3cret");
	cfg->pgbouncer.enabled = true;
	snprintf(cfg->pgbouncer.listen, sizeof(cfg->pgbouncer.listen), "127.0.0.1:6432");
	return cfg;
}

static void default_conf(struct pooler_conf *c)
{
	struct config *cfg = new_cfg();
	char err[256];

	assert_true(pooler_conf_from_config(cfg, NULL, c, err, sizeof(err)));
	free(cfg);
}

/* One "key = value" of a rendered ini file, as PgBouncer's parser returns it. */
struct ini_entry {
	char section[32];
	char key[64];
	char value[512];
};

/*
 * parse_ini: reads text the way libusual's parse_ini_file does: comment lines start with
 * ';' or '#', "[name]" opens a section, "key = value" takes the rest of the line, trimmed.
 * Any other line fails the test.
 */
static int parse_ini(const char *text, struct ini_entry *out, int max)
{
	char *copy = xstrdup(text), *save = NULL, section[32] = "";
	int n = 0;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq;

		if (line[0] == ';' || line[0] == '#' || str_trim(line)[0] == '\0')
			continue;
		if (line[0] == '[') {
			assert_non_null(strchr(line, ']'));
			snprintf(section, sizeof(section), "%.*s", (int)strcspn(line + 1, "]"),
			         line + 1);
			continue;
		}
		eq = strchr(line, '=');
		assert_non_null(eq);
		assert_true(n < max);
		*eq = '\0';
		snprintf(out[n].section, sizeof(out[n].section), "%s", section);
		snprintf(out[n].key, sizeof(out[n].key), "%s", str_trim(line));
		snprintf(out[n].value, sizeof(out[n].value), "%s", str_trim(eq + 1));
		n++;
	}
	free(copy);
	return n;
}

static const char *ini_get(const struct ini_entry *e, int n, const char *section, const char *key)
{
	for (int i = 0; i < n; i++)
		if (str_eq(e[i].section, section) && str_eq(e[i].key, key))
			return e[i].value;
	return NULL;
}

/* --- configuration -> settings --------------------------------------------------------- */

static void test_conf_defaults(void **state)
{
	struct pooler_conf c;

	(void)state;
	default_conf(&c);
	assert_string_equal(c.run_dir, "/var/lib/pg/data.pgbouncer");
	assert_string_equal(c.pg_socket_dir, "/var/lib/pg/data.sock");
	assert_int_equal(c.pg_port, 5432);
	assert_string_equal(c.listen_host, "127.0.0.1");
	assert_int_equal(c.listen_port, 6432);
	assert_string_equal(c.auth_user, "postgres");
	assert_int_equal(c.pool_size, POOLER_DEFAULT_POOL_SIZE);
	assert_int_equal(c.max_client_conn, POOLER_DEFAULT_MAX_CLIENT_CONN);
	assert_string_equal(c.pool_mode, "session");
}

/* render_yaml: an agent YAML loaded as the agent loads it (config/), rendered into out. */
static void render_yaml(const char *yaml, struct buf *out)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	struct config_msgs errors, warnings;
	struct pooler_conf c;
	char err[256];

	memset(&errors, 0, sizeof(errors));
	if (!config_load_string(yaml, "t.yml", cfg, &errors, &warnings))
		fail_msg("config: %s", errors.n ? errors.items[0] : "?");
	assert_true(pooler_conf_from_config(cfg, NULL, &c, err, sizeof(err)));
	buf_init(out);
	assert_true(pooler_render_ini(&c, out, err, sizeof(err)));
	config_free(cfg);
	free(cfg);
}

#define YAML_BASE                                                        \
	"scope: batman\nname: pg1\nrestapi:\n  listen: 127.0.0.1:8008\n" \
	"etcd3:\n  hosts: 127.0.0.1:2379\n"                              \
	"postgresql:\n  listen: 127.0.0.1:5433\n"                        \
	"  data_dir: /tmp/pgha-test/pg1\n"                               \
	"  authentication:\n    superuser:\n      username: dba\n"       \
	"      password: pw\n"                                           \
	"pgbouncer:\n  enabled: true\n  listen: 127.0.0.1:6433\n"

/* From a YAML file as the agent loads it (config/), through to the rendered ini. */
static void test_conf_from_yaml(void **state)
{
	struct ini_entry e[64];
	struct buf out;
	int n;

	(void)state;
	render_yaml(YAML_BASE "  pool_mode: transaction\n  pool_size: 11\n", &out);
	n = parse_ini(out.data, e, 64);
	assert_string_equal(ini_get(e, n, "databases", "*"),
	                    "host='/tmp/pgha-test/pg1.sock' port=5433 auth_user='dba'");
	assert_string_equal(ini_get(e, n, "pgbouncer", "listen_port"), "6433");
	assert_string_equal(ini_get(e, n, "pgbouncer", "unix_socket_dir"),
	                    "/tmp/pgha-test/pg1.pgbouncer");
	assert_string_equal(ini_get(e, n, "pgbouncer", "pool_mode"), "transaction");
	assert_string_equal(ini_get(e, n, "pgbouncer", "default_pool_size"), "11");
	assert_string_equal(ini_get(e, n, "pgbouncer", "max_client_conn"), "1000");
	/* TLS: PgBouncer's own default (off), nothing written */
	assert_null(ini_get(e, n, "pgbouncer", "client_tls_sslmode"));
	assert_null(ini_get(e, n, "pgbouncer", "server_tls_sslmode"));
	buf_free(&out);
}

/* pgbouncer.client_tls_* and server_tls_* are written as PgBouncer's own keys. */
static void test_conf_tls(void **state)
{
	struct ini_entry e[64];
	struct buf out;
	int n;

	(void)state;
	render_yaml(YAML_BASE "  client_tls_sslmode: require\n"
	                      "  client_tls_cert_file: /etc/pgha/tls/node.crt\n"
	                      "  client_tls_key_file: /etc/pgha/tls/node.key\n"
	                      "  server_tls_sslmode: verify-full\n"
	                      "  server_tls_ca_file: /etc/pgha/tls/ca.crt\n"
	                      "  server_tls_protocols: tlsv1.3\n",
	            &out);
	n = parse_ini(out.data, e, 64);
	assert_string_equal(ini_get(e, n, "pgbouncer", "client_tls_sslmode"), "require");
	assert_string_equal(ini_get(e, n, "pgbouncer", "client_tls_protocols"), "secure");
	assert_string_equal(ini_get(e, n, "pgbouncer", "client_tls_cert_file"),
	                    "/etc/pgha/tls/node.crt");
	assert_string_equal(ini_get(e, n, "pgbouncer", "client_tls_key_file"),
	                    "/etc/pgha/tls/node.key");
	assert_null(ini_get(e, n, "pgbouncer", "client_tls_ca_file"));
	assert_string_equal(ini_get(e, n, "pgbouncer", "server_tls_sslmode"), "verify-full");
	assert_string_equal(ini_get(e, n, "pgbouncer", "server_tls_protocols"), "tlsv1.3");
	assert_string_equal(ini_get(e, n, "pgbouncer", "server_tls_ca_file"),
	                    "/etc/pgha/tls/ca.crt");
	buf_free(&out);
}

static void test_conf_explicit(void **state)
{
	struct config *cfg = new_cfg();
	struct pooler_conf c;
	char err[256];

	(void)state;
	snprintf(cfg->postgresql.socket_dir, PATH_MAX, "/run/postgresql");
	snprintf(cfg->postgresql.listen, CONFIG_HOST_LEN, "10.0.0.1,127.0.0.1:5433");
	snprintf(cfg->pgbouncer.listen, CONFIG_HOST_LEN, "[::1]:7000");
	snprintf(cfg->pgbouncer.pool_mode, sizeof(cfg->pgbouncer.pool_mode), "transaction");
	snprintf(cfg->postgresql.superuser.username, CONFIG_NAME_LEN, "admin");
	cfg->pgbouncer.pool_size = 7;
	cfg->pgbouncer.max_client_conn = 77;
	assert_true(pooler_conf_from_config(cfg, "/srv/bouncer", &c, err, sizeof(err)));
	assert_string_equal(c.run_dir, "/srv/bouncer");
	assert_string_equal(c.pg_socket_dir, "/run/postgresql");
	assert_int_equal(c.pg_port, 5433);
	assert_string_equal(c.listen_host, "::1");
	assert_int_equal(c.listen_port, 7000);
	assert_string_equal(c.auth_user, "admin");
	assert_int_equal(c.pool_size, 7);
	assert_int_equal(c.max_client_conn, 77);
	assert_string_equal(c.pool_mode, "transaction");
	free(cfg);
}

enum bad_field {
	BAD_BOUNCER_LISTEN,
	BAD_PG_LISTEN,
	BAD_SOCKET_DIR,
	BAD_DATA_DIR,
	BAD_SUPERUSER,
	BAD_POOL_MODE,
	BAD_POOL_SIZE,
	BAD_MAX_CLIENT,
	BAD_RUN_DIR
};

struct bad_case {
	enum bad_field field;
	const char *value;
	int number;
	const char *expect; /* a part of the error message */
};

static void apply_bad(struct config *cfg, const struct bad_case *b, const char **run_dir)
{
	switch (b->field) {
	case BAD_BOUNCER_LISTEN:
		snprintf(cfg->pgbouncer.listen, CONFIG_HOST_LEN, "%s", b->value);
		break;
	case BAD_PG_LISTEN:
		snprintf(cfg->postgresql.listen, CONFIG_HOST_LEN, "%s", b->value);
		break;
	case BAD_SOCKET_DIR:
		snprintf(cfg->postgresql.socket_dir, PATH_MAX, "%s", b->value);
		break;
	case BAD_DATA_DIR:
		snprintf(cfg->postgresql.data_dir, PATH_MAX, "%s", b->value);
		break;
	case BAD_SUPERUSER:
		snprintf(cfg->postgresql.superuser.username, CONFIG_NAME_LEN, "%s", b->value);
		break;
	case BAD_POOL_MODE:
		snprintf(cfg->pgbouncer.pool_mode, sizeof(cfg->pgbouncer.pool_mode), "%s",
		         b->value);
		break;
	case BAD_POOL_SIZE:
		cfg->pgbouncer.pool_size = b->number;
		break;
	case BAD_MAX_CLIENT:
		cfg->pgbouncer.max_client_conn = b->number;
		break;
	case BAD_RUN_DIR:
		*run_dir = b->value;
		break;
	}
}

static void test_conf_errors(void **state)
{
	static const char long_dir[] =
	    "/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const struct bad_case cases[] = {
	    {BAD_BOUNCER_LISTEN, "nope", 0, "pgbouncer.listen"},
	    {BAD_BOUNCER_LISTEN, "127.0.0.1:0", 0, "pgbouncer.listen"},
	    {BAD_BOUNCER_LISTEN, "127.0.0.1:70000", 0, "pgbouncer.listen"},
	    {BAD_BOUNCER_LISTEN, "a b:6432", 0, "pgbouncer.listen"},
	    {BAD_BOUNCER_LISTEN, "host\n[x]:6432", 0, "pgbouncer.listen"},
	    {BAD_BOUNCER_LISTEN, "", 0, "pgbouncer.listen"},
	    {BAD_PG_LISTEN, "localhost", 0, "postgresql.listen"},
	    {BAD_PG_LISTEN, "localhost:x", 0, "postgresql.listen"},
	    {BAD_SOCKET_DIR, "relative/sock", 0, "absolute"},
	    {BAD_SOCKET_DIR, "/run/pg\nlisten_port = 1", 0, "absolute"},
	    {BAD_DATA_DIR, "", 0, "run directory"},
	    {BAD_SUPERUSER, "", 0, "superuser"},
	    {BAD_SUPERUSER, "post\ngres", 0, "superuser"},
	    {BAD_POOL_MODE, "statement", 0, "pool_mode"},
	    {BAD_POOL_SIZE, "", -1, "pool_size"},
	    {BAD_POOL_SIZE, "", 10001, "pool_size"},
	    {BAD_MAX_CLIENT, "", 2000000, "max_client_conn"},
	    {BAD_RUN_DIR, "relative/run", 0, "absolute"},
	    {BAD_RUN_DIR, "/tmp/run ", 0, "absolute"},
	    {BAD_RUN_DIR, "/tmp/run\n", 0, "absolute"},
	    {BAD_RUN_DIR, long_dir, 0, "too long"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct config *cfg = new_cfg();
		const char *run_dir = NULL;
		struct pooler_conf c;
		char err[256] = "";

		apply_bad(cfg, &cases[i], &run_dir);
		if (pooler_conf_from_config(cfg, run_dir, &c, err, sizeof(err)))
			fail_msg("case %zu accepted", i);
		if (strstr(err, cases[i].expect) == NULL)
			fail_msg("case %zu: error '%s' lacks '%s'", i, err, cases[i].expect);
		free(cfg);
	}
}

/* --- rendering ---------------------------------------------------------------------------- */

static void test_render_ini_every_setting(void **state)
{
	static const char *const expected[][2] = {
	    {"listen_addr", "127.0.0.1"},
	    {"listen_port", "6432"},
	    {"unix_socket_dir", "/var/lib/pg/data.pgbouncer"},
	    {"unix_socket_mode", "0700"},
	    {"auth_type", "scram-sha-256"},
	    {"auth_file", "/var/lib/pg/data.pgbouncer/userlist.txt"},
	    {"admin_users", "postgres"},
	    {"pool_mode", "session"},
	    {"default_pool_size", "20"},
	    {"max_client_conn", "1000"},
	    {"ignore_startup_parameters", "extra_float_digits,options"},
	    {"server_reset_query", "DISCARD ALL"},
	    {"server_login_retry", "0.5"},
	    {"server_check_delay", "1"},
	    {"server_connect_timeout", "5"},
	    {"server_fast_close", "1"},
	    {"query_wait_timeout", "30"},
	    {"log_connections", "0"},
	    {"log_disconnections", "0"},
	};
	struct ini_entry e[64];
	struct pooler_conf c;
	struct buf out;
	char err[256];
	const char *q;
	int n;

	(void)state;
	default_conf(&c);
	buf_init(&out);
	assert_true(pooler_render_ini(&c, &out, err, sizeof(err)));
	n = parse_ini(out.data, e, 64);
	/* Exactly one database line and the [pgbouncer] keys above plus auth_query. */
	assert_int_equal(n, 1 + (int)ARRAY_LEN(expected) + 1);
	assert_string_equal(ini_get(e, n, "databases", "*"),
	                    "host='/var/lib/pg/data.sock' port=5432 auth_user='postgres'");
	for (size_t i = 0; i < ARRAY_LEN(expected); i++) {
		const char *v = ini_get(e, n, "pgbouncer", expected[i][0]);

		if (v == NULL || !str_eq(v, expected[i][1]))
			fail_msg("%s = %s, expected %s", expected[i][0], v ? v : "(missing)",
			         expected[i][1]);
	}
	q = ini_get(e, n, "pgbouncer", "auth_query");
	assert_non_null(q);
	assert_non_null(strstr(q, "FROM pg_catalog.pg_shadow WHERE usename = $1"));
	assert_non_null(strstr(q, "passwd IS NOT NULL"));
	assert_non_null(strstr(q, "valuntil"));
	buf_free(&out);
}

static void test_render_ini_sizes_and_mode(void **state)
{
	struct ini_entry e[64];
	struct pooler_conf c;
	struct buf out;
	char err[256];
	int n;

	(void)state;
	default_conf(&c);
	c.pool_size = 3;
	c.max_client_conn = 4242;
	snprintf(c.pool_mode, sizeof(c.pool_mode), "transaction");
	snprintf(c.listen_host, sizeof(c.listen_host), "*");
	buf_init(&out);
	assert_true(pooler_render_ini(&c, &out, err, sizeof(err)));
	n = parse_ini(out.data, e, 64);
	assert_string_equal(ini_get(e, n, "pgbouncer", "default_pool_size"), "3");
	assert_string_equal(ini_get(e, n, "pgbouncer", "max_client_conn"), "4242");
	assert_string_equal(ini_get(e, n, "pgbouncer", "pool_mode"), "transaction");
	assert_string_equal(ini_get(e, n, "pgbouncer", "listen_addr"), "*");
	buf_free(&out);
}

static void test_render_ini_quoting(void **state)
{
	struct ini_entry e[64];
	struct pooler_conf c;
	struct buf out;
	char err[256];
	int n;

	(void)state;
	default_conf(&c);
	snprintf(c.pg_socket_dir, sizeof(c.pg_socket_dir), "/tmp/it's a dir");
	snprintf(c.auth_user, sizeof(c.auth_user), "o'brien");
	buf_init(&out);
	assert_true(pooler_render_ini(&c, &out, err, sizeof(err)));
	n = parse_ini(out.data, e, 64);
	assert_string_equal(ini_get(e, n, "databases", "*"),
	                    "host='/tmp/it''s a dir' port=5432 auth_user='o''brien'");
	assert_string_equal(ini_get(e, n, "pgbouncer", "admin_users"), "o'brien");
	buf_free(&out);
}

static void test_render_ini_admin_users_only_when_listable(void **state)
{
	static const char *const names[] = {"a,b", " lead", "trail "};
	struct ini_entry e[64];
	struct pooler_conf c;
	struct buf out;
	char err[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		int n;

		default_conf(&c);
		snprintf(c.auth_user, sizeof(c.auth_user), "%s", names[i]);
		buf_init(&out);
		assert_true(pooler_render_ini(&c, &out, err, sizeof(err)));
		n = parse_ini(out.data, e, 64);
		assert_null(ini_get(e, n, "pgbouncer", "admin_users"));
		assert_non_null(ini_get(e, n, "pgbouncer", "auth_type"));
		buf_free(&out);
	}
}

static void test_render_ini_rejects_bad_values(void **state)
{
	struct pooler_conf c;
	struct buf out;
	char err[256];

	(void)state;
	buf_init(&out);
	default_conf(&c);
	snprintf(c.run_dir, sizeof(c.run_dir), "/tmp/x\nauth_type = trust");
	assert_false(pooler_render_ini(&c, &out, err, sizeof(err)));
	default_conf(&c);
	snprintf(c.pg_socket_dir, sizeof(c.pg_socket_dir), "sock");
	assert_false(pooler_render_ini(&c, &out, err, sizeof(err)));
	default_conf(&c);
	snprintf(c.listen_host, sizeof(c.listen_host), "x\ny");
	assert_false(pooler_render_ini(&c, &out, err, sizeof(err)));
	default_conf(&c);
	snprintf(c.auth_user, sizeof(c.auth_user), "a\nb");
	assert_false(pooler_render_ini(&c, &out, err, sizeof(err)));
	default_conf(&c);
	c.listen_port = 0;
	assert_false(pooler_render_ini(&c, &out, err, sizeof(err)));
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

static void test_render_auth_file(void **state)
{
	struct pooler_conf c;
	struct buf out;
	char err[256];
	const char *line;

	(void)state;
	default_conf(&c);
	buf_init(&out);
	assert_true(pooler_render_auth_file(&c, VERIFIER, &out, err, sizeof(err)));
	/* Comment lines start with ';'; the only entry is the superuser's verifier. */
	line = strstr(out.data, "\n\"");
	assert_non_null(line);
	assert_string_equal(line + 1, "\"postgres\" \"" VERIFIER "\"\n");
	for (const char *s = out.data; s && *s; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL)
		assert_true(*s == ';' || *s == '"');
	buf_reset(&out);
	snprintf(c.auth_user, sizeof(c.auth_user), "a\"b");
	assert_true(pooler_render_auth_file(&c, VERIFIER, &out, err, sizeof(err)));
	assert_non_null(strstr(out.data, "\n\"a\"\"b\" \""));
	buf_free(&out);
}

static void test_render_auth_file_refuses_plain_passwords(void **state)
{
	static const char *const bad[] = {"s3cret",
	                                  "",
	                                  "md5abcdef",
	                                  "SCRAM-SHA-256$4096:x\"y",
	                                  "SCRAM-SHA-256$4096: x",
	                                  "SCRAM-SHA-256$4096:x\ny"};
	struct pooler_conf c;
	struct buf out;
	char err[256];

	(void)state;
	default_conf(&c);
	buf_init(&out);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		assert_false(pooler_render_auth_file(&c, bad[i], &out, err, sizeof(err)));
	assert_false(pooler_render_auth_file(&c, NULL, &out, err, sizeof(err)));
	snprintf(c.auth_user, sizeof(c.auth_user), "a\nb");
	assert_false(pooler_render_auth_file(&c, VERIFIER, &out, err, sizeof(err)));
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

/* --- verifier, comparisons, addresses, backoff ---------------------------------------------- */

/* check_verifier: "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>" */
static void check_verifier(const char *v)
{
	char copy[POOLER_VERIFIER_LEN], *key2, *salt, *key1;
	size_t len;
	char *raw;

	assert_true(str_copy(copy, sizeof(copy), v));
	assert_true(str_has_prefix(copy, "SCRAM-SHA-256$4096:"));
	salt = copy + strlen("SCRAM-SHA-256$4096:");
	key1 = strchr(salt, '$');
	assert_non_null(key1);
	*key1++ = '\0';
	key2 = strchr(key1, ':');
	assert_non_null(key2);
	*key2++ = '\0';
	raw = b64_decode(salt, &len);
	assert_non_null(raw);
	assert_int_equal(len, 16);
	free(raw);
	raw = b64_decode(key1, &len);
	assert_non_null(raw);
	assert_int_equal(len, 32);
	free(raw);
	raw = b64_decode(key2, &len);
	assert_non_null(raw);
	assert_int_equal(len, 32);
	free(raw);
}

static void test_scram_verifier(void **state)
{
	char a[POOLER_VERIFIER_LEN], b[POOLER_VERIFIER_LEN], err[256], tiny[8];

	(void)state;
	assert_true(pooler_scram_verifier("postgres", "s3cret", a, sizeof(a), err, sizeof(err)));
	assert_true(pooler_scram_verifier("postgres", "s3cret", b, sizeof(b), err, sizeof(err)));
	check_verifier(a);
	check_verifier(b);
	assert_string_not_equal(a, b); /* fresh salt each time */
	assert_true(pooler_scram_verifier("postgres", "", a, sizeof(a), err, sizeof(err)));
	check_verifier(a);
	assert_false(pooler_scram_verifier("postgres", "x", tiny, sizeof(tiny), err, sizeof(err)));
}

static void test_needs_restart(void **state)
{
	struct pooler_conf a, b;

	(void)state;
	default_conf(&a);
	b = a;
	assert_false(pooler_conf_needs_restart(&a, &b));
	b.pool_size = 99;
	b.max_client_conn = 5;
	snprintf(b.pool_mode, sizeof(b.pool_mode), "transaction");
	b.pg_port = 5999;
	snprintf(b.pg_socket_dir, sizeof(b.pg_socket_dir), "/elsewhere");
	assert_false(pooler_conf_needs_restart(&a, &b));
	b = a;
	b.listen_port = 6433;
	assert_true(pooler_conf_needs_restart(&a, &b));
	b = a;
	snprintf(b.listen_host, sizeof(b.listen_host), "*");
	assert_true(pooler_conf_needs_restart(&a, &b));
	b = a;
	snprintf(b.run_dir, sizeof(b.run_dir), "/other");
	assert_true(pooler_conf_needs_restart(&a, &b));
}

static void test_connect_address(void **state)
{
	struct config *cfg = new_cfg();
	char out[CONFIG_HOST_LEN], tiny[8];

	(void)state;
	assert_true(pooler_connect_address(cfg, out, sizeof(out)));
	assert_string_equal(out, "127.0.0.1:6432");
	snprintf(cfg->pgbouncer.listen, CONFIG_HOST_LEN, "0.0.0.0:6432");
	assert_false(pooler_connect_address(cfg, out, sizeof(out))); /* nothing to replace it */
	snprintf(cfg->restapi.connect_address, CONFIG_HOST_LEN, "node1.example:8008");
	assert_true(pooler_connect_address(cfg, out, sizeof(out)));
	assert_string_equal(out, "node1.example:6432");
	snprintf(cfg->postgresql.connect_address, CONFIG_HOST_LEN, "10.1.2.3:5432");
	assert_true(pooler_connect_address(cfg, out, sizeof(out)));
	assert_string_equal(out, "10.1.2.3:6432");
	snprintf(cfg->pgbouncer.listen, CONFIG_HOST_LEN, "*:7000");
	assert_true(pooler_connect_address(cfg, out, sizeof(out)));
	assert_string_equal(out, "10.1.2.3:7000");
	snprintf(cfg->pgbouncer.listen, CONFIG_HOST_LEN, "127.0.0.1,10.1.2.3:7000");
	assert_true(pooler_connect_address(cfg, out, sizeof(out)));
	assert_string_equal(out, "10.1.2.3:7000");
	snprintf(cfg->pgbouncer.listen, CONFIG_HOST_LEN, "[::]:7000");
	snprintf(cfg->postgresql.connect_address, CONFIG_HOST_LEN, "[fd00::5]:5432");
	assert_true(pooler_connect_address(cfg, out, sizeof(out)));
	assert_string_equal(out, "[fd00::5]:7000");
	snprintf(cfg->pgbouncer.listen, CONFIG_HOST_LEN, "[::1]:7001");
	assert_true(pooler_connect_address(cfg, out, sizeof(out)));
	assert_string_equal(out, "[::1]:7001");
	assert_false(pooler_connect_address(cfg, tiny, sizeof(tiny)));
	snprintf(cfg->pgbouncer.listen, CONFIG_HOST_LEN, "no-port");
	assert_false(pooler_connect_address(cfg, out, sizeof(out)));
	free(cfg);
}

static void test_backoff(void **state)
{
	int64_t prev = 0;

	(void)state;
	assert_int_equal(pooler_backoff_ms(-1), 0);
	assert_int_equal(pooler_backoff_ms(0), 0);
	assert_int_equal(pooler_backoff_ms(1), 0);
	assert_int_equal(pooler_backoff_ms(2), 500);
	assert_int_equal(pooler_backoff_ms(3), 1000);
	assert_int_equal(pooler_backoff_ms(4), 2000);
	assert_int_equal(pooler_backoff_ms(8), POOLER_BACKOFF_MAX_MS);
	assert_int_equal(pooler_backoff_ms(1000000), POOLER_BACKOFF_MAX_MS);
	for (int n = 1; n < 200; n++) {
		assert_true(pooler_backoff_ms(n) >= prev);
		prev = pooler_backoff_ms(n);
	}
}

/* --- the supervisor, with a stand-in for PgBouncer -------------------------------------- */

struct sup {
	char dir[64];     /* temp directory */
	char run_dir[96]; /* PgBouncer's files */
	char bin[128];    /* the stand-in */
	char hups[140];   /* one line per SIGHUP it got */
	char starts[140]; /* one line per start */
	struct config *cfg;
	struct pooler *p; /* the pooler under test, stopped and freed by the teardown */
};

/* A stand-in that runs until SIGINT/SIGTERM and notes its starts and reloads. */
static const char FAKE_BOUNCER[] = "#!/bin/sh\n"
                                   "trap 'echo hup >> \"$0.hups\"' HUP\n"
                                   "trap 'exit 0' INT TERM\n"
                                   "echo \"start $1\" >> \"$0.starts\"\n"
                                   "while :; do sleep 0.05; done\n";

/* sup_setup: a temp directory with the stand-in, and a configuration that uses it. */
static int sup_setup(void **state)
{
	struct sup *s = xcalloc(1, sizeof(*s));

	snprintf(s->dir, sizeof(s->dir), "/tmp/pgha-test-pooler-XXXXXX");
	if (mkdtemp(s->dir) == NULL) {
		free(s);
		return -1;
	}
	snprintf(s->run_dir, sizeof(s->run_dir), "%s/run", s->dir);
	snprintf(s->bin, sizeof(s->bin), "%s/fake-pgbouncer", s->dir);
	snprintf(s->hups, sizeof(s->hups), "%s.hups", s->bin);
	snprintf(s->starts, sizeof(s->starts), "%s.starts", s->bin);
	s->cfg = new_cfg();
	snprintf(s->cfg->pgbouncer.bin, PATH_MAX, "%s", s->bin);
	snprintf(s->cfg->pgbouncer.listen, CONFIG_HOST_LEN, "127.0.0.1:33001");
	snprintf(s->cfg->postgresql.data_dir, PATH_MAX, "%s/data", s->dir);
	*state = s;
	return fs_write_atomic(s->bin, FAKE_BOUNCER, strlen(FAKE_BOUNCER), 0755) ? 0 : -1;
}

/* sup_teardown: runs even when the test failed: stops the stand-in, removes the files. */
static int sup_teardown(void **state)
{
	struct sup *s = *state;
	bool removed;

	pooler_free(s->p);
	removed = fs_rm_rf(s->dir);
	free(s->cfg);
	free(s);
	return removed ? 0 : -1;
}

static int count_lines(const char *path)
{
	char *text = fs_read_file(path, NULL);
	int n = 0;

	for (const char *c = text; c && *c; c++)
		n += *c == '\n';
	free(text);
	return n;
}

/* wait_lines: waits up to timeout_ms for path to have at least want lines. */
static int wait_lines(const char *path, int want, int timeout_ms)
{
	int64_t deadline = clock_now_ms() + timeout_ms;
	int n;

	while ((n = count_lines(path)) < want && clock_now_ms() < deadline)
		clock_sleep_ms(10);
	return n;
}

/* is_zombie: pid has exited and waits to be reaped (state Z in /proc/<pid>/stat). */
static bool is_zombie(pid_t pid)
{
	char path[64], *text, *paren;
	bool z;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	text = fs_read_file(path, NULL);
	paren = text ? strrchr(text, ')') : NULL;
	z = paren && paren[1] == ' ' && paren[2] == 'Z';
	free(text);
	return z;
}

/*
 * wait_exit: waits until the pooler's PgBouncer (pid) has exited, through pooler_fd when
 * there is one (valgrind does not support pidfd_open, so it may be -1 there).
 */
static void wait_exit(const struct pooler *p, pid_t pid)
{
	struct pollfd fd = {.fd = pooler_fd(p), .events = POLLIN};
	int64_t deadline = clock_now_ms() + 3000;

	if (fd.fd >= 0) {
		assert_int_equal(poll(&fd, 1, 3000), 1);
		return;
	}
	while (!is_zombie(pid) && clock_now_ms() < deadline)
		clock_sleep_ms(10);
	assert_true(is_zombie(pid));
}

/* pidfd_supported: false under valgrind, whose pidfd_open fails. */
static bool pidfd_supported(void)
{
	int fd = proc_pidfd(getpid());

	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

static bool pid_exists(pid_t pid)
{
	return kill(pid, 0) == 0 || errno != ESRCH;
}

static void test_supervise_files_and_reload(void **state)
{
	struct sup *s = *state;
	struct pooler *p;
	struct stat st;
	char path[160], *text;
	pid_t pid;

	p = s->p = pooler_new(s->cfg, s->run_dir);
	assert_non_null(p);
	assert_int_equal(pooler_fd(p), -1);
	assert_true(pooler_ensure(p));
	pid = pooler_pid(p);
	assert_true(pid > 0);
	assert_true(pooler_fd(p) >= 0 || !pidfd_supported());
	assert_string_equal(pooler_run_dir(p), s->run_dir);
	assert_int_equal(wait_lines(s->starts, 1, 3000), 1);
	/* Files: the directory and the auth file are private; the ini is what it ran with. */
	assert_int_equal(stat(s->run_dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/userlist.txt", s->run_dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	text = fs_read_file(path, NULL);
	assert_non_null(strstr(text, "\"postgres\" \"SCRAM-SHA-256$4096:"));
	assert_null(strstr(text, "s3cret"));
	free(text);
	snprintf(path, sizeof(path), "%s/pgbouncer.ini", s->run_dir);
	text = fs_read_file(path, NULL);
	assert_non_null(strstr(text, "\nlisten_port = 33001\n"));
	free(text);
	/* Nothing changed: no reload, same process; the fake cannot answer SHOW VERSION. */
	assert_true(pooler_ensure(p));
	assert_int_equal(pooler_pid(p), pid);
	assert_false(pooler_healthy(p, 200));
	clock_sleep_ms(150);
	assert_int_equal(count_lines(s->hups), 0);
	/* A reloadable change: SIGHUP to the same process, new ini on disk. */
	s->cfg->pgbouncer.pool_size = 9;
	assert_true(pooler_ensure(p));
	assert_int_equal(pooler_pid(p), pid);
	assert_int_equal(wait_lines(s->hups, 1, 3000), 1);
	text = fs_read_file(path, NULL);
	assert_non_null(strstr(text, "\ndefault_pool_size = 9\n"));
	free(text);
	/* A new listen port needs a restart. */
	snprintf(s->cfg->pgbouncer.listen, CONFIG_HOST_LEN, "127.0.0.1:33002");
	assert_true(pooler_ensure(p));
	assert_true(pooler_pid(p) > 0 && pooler_pid(p) != pid);
	assert_false(pid_exists(pid));
	assert_int_equal(wait_lines(s->starts, 2, 3000), 2);
	pid = pooler_pid(p);
	pooler_stop(p);
	assert_int_equal(pooler_pid(p), 0);
	assert_int_equal(pooler_fd(p), -1);
	assert_false(pid_exists(pid));
}

static void test_supervise_restart_and_backoff(void **state)
{
	struct sup *s = *state;
	struct pooler *p;
	pid_t pid, pid2;

	p = s->p = pooler_new(s->cfg, s->run_dir);
	assert_non_null(p);
	assert_true(pooler_ensure(p));
	pid = pooler_pid(p);
	assert_int_equal(wait_lines(s->starts, 1, 3000), 1);
	/* kill -9: the next ensure notices and restarts at once. */
	assert_int_equal(kill(pid, SIGKILL), 0);
	wait_exit(p, pid);
	assert_true(pooler_ensure(p));
	pid2 = pooler_pid(p);
	assert_true(pid2 > 0 && pid2 != pid);
	assert_int_equal(wait_lines(s->starts, 2, 3000), 2);
	/* Killed again right away: the second restart waits for its backoff (500 ms). */
	assert_int_equal(kill(pid2, SIGKILL), 0);
	wait_exit(p, pid2);
	assert_false(pooler_ensure(p));
	assert_int_equal(pooler_pid(p), 0);
	assert_int_equal(pooler_fd(p), -1);
	assert_false(pooler_ensure(p));
	clock_sleep_ms(pooler_backoff_ms(2) + 100);
	assert_true(pooler_ensure(p));
	assert_true(pooler_pid(p) > 0);
	assert_int_equal(wait_lines(s->starts, 3, 3000), 3);
	pid = pooler_pid(p);
	pooler_free(p); /* stops it */
	s->p = NULL;
	assert_false(pid_exists(pid));
}

static void test_supervise_crash_loop_is_bounded(void **state)
{
	static const char crashing[] = "#!/bin/sh\necho \"start\" >> \"$0.starts\"\n"
	                               "echo 'FATAL cannot bind' >&2\nexit 3\n";
	struct sup *s = *state;
	struct pooler *p;
	int64_t deadline;
	int starts;

	assert_true(fs_write_atomic(s->bin, crashing, strlen(crashing), 0755));
	p = s->p = pooler_new(s->cfg, s->run_dir);
	assert_non_null(p);
	/* Called in a tight loop for 1.2 s: starts at 0, ~0 and 500 ms; the next is due
	 * at 1.5 s. Without backoff this would be hundreds. */
	deadline = clock_now_ms() + 1200;
	while (clock_now_ms() < deadline) {
		if (!pooler_ensure(p))
			assert_int_equal(pooler_fd(p), -1);
		clock_sleep_ms(10);
	}
	starts = count_lines(s->starts);
	assert_true(starts >= 2 && starts <= 4);
}

static void test_supervise_missing_binary(void **state)
{
	struct sup *s = *state;
	struct pooler *p;

	snprintf(s->cfg->pgbouncer.bin, PATH_MAX, "%s/no-such-pgbouncer", s->dir);
	p = s->p = pooler_new(s->cfg, s->run_dir);
	assert_non_null(p);
	assert_false(pooler_ensure(p));
	assert_int_equal(pooler_pid(p), 0);
	assert_false(pooler_ensure(p));
	assert_false(pooler_healthy(p, 100));
}

static void test_bad_config_and_null(void **state)
{
	struct config *cfg = new_cfg();

	(void)state;
	snprintf(cfg->pgbouncer.listen, CONFIG_HOST_LEN, "garbage");
	assert_null(pooler_new(cfg, "/tmp/pgha-test-never-created"));
	assert_false(fs_exists("/tmp/pgha-test-never-created"));
	free(cfg);
	assert_false(pooler_ensure(NULL));
	assert_int_equal(pooler_fd(NULL), -1);
	assert_int_equal(pooler_pid(NULL), 0);
	assert_false(pooler_healthy(NULL, 10));
	assert_null(pooler_run_dir(NULL));
	pooler_stop(NULL);
	pooler_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_conf_defaults),
	    cmocka_unit_test(test_conf_from_yaml),
	    cmocka_unit_test(test_conf_tls),
	    cmocka_unit_test(test_conf_explicit),
	    cmocka_unit_test(test_conf_errors),
	    cmocka_unit_test(test_render_ini_every_setting),
	    cmocka_unit_test(test_render_ini_sizes_and_mode),
	    cmocka_unit_test(test_render_ini_quoting),
	    cmocka_unit_test(test_render_ini_admin_users_only_when_listable),
	    cmocka_unit_test(test_render_ini_rejects_bad_values),
	    cmocka_unit_test(test_render_auth_file),
	    cmocka_unit_test(test_render_auth_file_refuses_plain_passwords),
	    cmocka_unit_test(test_scram_verifier),
	    cmocka_unit_test(test_needs_restart),
	    cmocka_unit_test(test_connect_address),
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test_setup_teardown(test_supervise_files_and_reload, sup_setup,
	                                    sup_teardown),
	    cmocka_unit_test_setup_teardown(test_supervise_restart_and_backoff, sup_setup,
	                                    sup_teardown),
	    cmocka_unit_test_setup_teardown(test_supervise_crash_loop_is_bounded, sup_setup,
	                                    sup_teardown),
	    cmocka_unit_test_setup_teardown(test_supervise_missing_binary, sup_setup, sup_teardown),
	    cmocka_unit_test(test_bad_config_and_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
