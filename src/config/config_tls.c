/*
 * config_tls.c: the checks across the keys that protect a node: credentials come in
 * whole pairs, certificates with their keys, TLS settings only where TLS is used; and
 * the ctl section's fallbacks on restapi's, as Patroni's REST client has them.
 *
 * Why refuse instead of warn: each half alone is a configuration that starts and then
 * does something other than what its author believes. A REST username without a
 * password answers "authenticated" to anyone who sends that name and an empty
 * password; etcd credentials without a password fail at the first request, long after
 * `--check` said OK; a certificate without its key (or a CA for client certificates
 * on a plain-HTTP API) protects nothing. Each message names both keys and, where a
 * value may come from the environment, the variable.
 */
#include <stdio.h>
#include <string.h>
#include "config/config.h"
#include "config/config_engine.h"
#include "config/config_int.h"
#include "util/strutil.h"

static bool set(const char *s)
{
	return s[0] != '\0';
}

/* line: where the first of the keys that is in the file was read, 0 if none is. */
static int line(const struct cfg_ctx *c, const char *a, const char *b)
{
	int l = cfg_key_line(c, a);

	return l > 0 ? l : cfg_key_line(c, b);
}

/* both: a and b each need the other. */
static void both(struct cfg_ctx *c, const char *a_path, const char *a, const char *a_env,
                 const char *b_path, const char *b, const char *b_env)
{
	cfg_need_pair(c, a_path, a, b_path, b, b_env);
	cfg_need_pair(c, b_path, b, a_path, a, a_env);
}

static void check_restapi(struct cfg_ctx *c)
{
	const struct config *cfg = c->base;
	const char *verify =
	    cfg->restapi.verify_client == CONFIG_VERIFY_REQUIRED ? "required" : "optional";

	both(c, "restapi.authentication.username", cfg->restapi.username,
	     "PATRONI_RESTAPI_USERNAME", "restapi.authentication.password", cfg->restapi.password,
	     "PATRONI_RESTAPI_PASSWORD");
	both(c, "restapi.certfile", cfg->restapi.certfile, NULL, "restapi.keyfile",
	     cfg->restapi.keyfile, NULL);
	cfg_need_pair(c, "restapi.keyfile_password", cfg->restapi.keyfile_password,
	              "restapi.keyfile", cfg->restapi.keyfile, NULL);
	if (cfg->restapi.verify_client == CONFIG_VERIFY_NONE)
		return;
	if (!set(cfg->restapi.certfile))
		cfg_error(c, cfg_key_line(c, "restapi.verify_client"),
		          "restapi.verify_client: %s needs restapi.certfile (client certificates "
		          "exist only over https)",
		          verify);
	else if (!set(cfg->restapi.cafile))
		cfg_error(c, cfg_key_line(c, "restapi.verify_client"),
		          "restapi.verify_client: %s needs restapi.cafile (the CA that signs the "
		          "client certificates)",
		          verify);
}

static void check_etcd(struct cfg_ctx *c)
{
	struct config *cfg = c->base;
	const struct agent_load *a = c->user;
	const struct tls_client *t = &cfg->etcd.tls;
	bool explicit = cfg_key_set(c, "etcd3.protocol");

	both(c, "etcd3.username", cfg->etcd.username, "PATRONI_ETCD3_USERNAME", "etcd3.password",
	     cfg->etcd.password, "PATRONI_ETCD3_PASSWORD");
	both(c, "etcd3.cert", t->certfile, NULL, "etcd3.key", t->keyfile, NULL);
	if (a->etcd_https_hosts && a->etcd_http_hosts)
		cfg_error(
		    c, cfg_key_line(c, "etcd3.hosts"),
		    "etcd3.hosts: both http:// and https:// endpoints: one cluster speaks one");
	else if (a->etcd_https_hosts || a->etcd_http_hosts) {
		const char *scheme = a->etcd_https_hosts ? "https" : "http";

		if (explicit && !str_eq(cfg->etcd.protocol, scheme))
			cfg_error(c, cfg_key_line(c, "etcd3.protocol"),
			          "etcd3.protocol: %s, but the hosts are written %s://",
			          cfg->etcd.protocol, scheme);
		snprintf(cfg->etcd.protocol, sizeof(cfg->etcd.protocol), "%s", scheme);
	}
	if (str_eq(cfg->etcd.protocol, "http") && (set(t->cafile) || set(t->certfile)))
		cfg_error(
		    c, line(c, "etcd3.cacert", "etcd3.cert"),
		    "etcd3.cacert and etcd3.cert are for TLS, but etcd3.protocol is http: set "
		    "etcd3.protocol: https");
}

/* ctl: each pair that is not set falls back on restapi's (Patroni's REST client). */
static void finish_ctl(struct cfg_ctx *c)
{
	struct config *cfg = c->base;
	struct tls_client *t = &cfg->ctl.tls;

	both(c, "ctl.certfile", t->certfile, NULL, "ctl.keyfile", t->keyfile, NULL);
	cfg_need_pair(c, "ctl.keyfile_password", t->key_password, "ctl.keyfile", t->keyfile, NULL);
	both(c, "ctl.authentication.username", cfg->ctl.username, NULL,
	     "ctl.authentication.password", cfg->ctl.password, NULL);
	if (!set(t->cafile))
		snprintf(t->cafile, sizeof(t->cafile), "%s", cfg->restapi.cafile);
	if (!set(t->certfile) && !set(t->keyfile)) {
		snprintf(t->certfile, sizeof(t->certfile), "%s", cfg->restapi.certfile);
		snprintf(t->keyfile, sizeof(t->keyfile), "%s", cfg->restapi.keyfile);
		snprintf(t->key_password, sizeof(t->key_password), "%s",
		         cfg->restapi.keyfile_password);
	}
	if (!set(cfg->ctl.username) && !set(cfg->ctl.password)) {
		snprintf(cfg->ctl.username, sizeof(cfg->ctl.username), "%s", cfg->restapi.username);
		snprintf(cfg->ctl.password, sizeof(cfg->ctl.password), "%s", cfg->restapi.password);
	}
}

static void check_pg_user(struct cfg_ctx *c, const char *role, const struct pg_user *u)
{
	char cert[96], key[96], pw[96];

	snprintf(cert, sizeof(cert), "postgresql.authentication.%s.sslcert", role);
	snprintf(key, sizeof(key), "postgresql.authentication.%s.sslkey", role);
	snprintf(pw, sizeof(pw), "postgresql.authentication.%s.sslpassword", role);
	both(c, cert, u->sslcert, NULL, key, u->sslkey, NULL);
	cfg_need_pair(c, pw, u->sslpassword, key, u->sslkey, NULL);
}

static void check_pooler_side(struct cfg_ctx *c, const char *side, const struct pooler_tls *t)
{
	char mode[64], cert[64], key[64], ca[64];
	bool client = str_eq(side, "client_tls");

	snprintf(mode, sizeof(mode), "pgbouncer.%s_sslmode", side);
	snprintf(cert, sizeof(cert), "pgbouncer.%s_cert_file", side);
	snprintf(key, sizeof(key), "pgbouncer.%s_key_file", side);
	snprintf(ca, sizeof(ca), "pgbouncer.%s_ca_file", side);
	both(c, cert, t->cert_file, NULL, key, t->key_file, NULL);
	/* PgBouncer must present a certificate to its clients to offer TLS at all. */
	if (client && !str_eq(t->sslmode, "disable") && !set(t->cert_file))
		cfg_error(c, line(c, mode, cert), "%s: %s needs %s and %s", mode, t->sslmode, cert,
		          key);
	if (str_has_prefix(t->sslmode, "verify-") && !set(t->ca_file))
		cfg_error(c, line(c, mode, ca), "%s: %s needs %s", mode, t->sslmode, ca);
}

void cfg_finish_tls(struct cfg_ctx *c)
{
	const struct config *cfg = c->base;

	check_restapi(c);
	check_etcd(c);
	finish_ctl(c);
	check_pg_user(c, "superuser", &cfg->postgresql.superuser);
	check_pg_user(c, "replication", &cfg->postgresql.replication);
	check_pg_user(c, "rewind", &cfg->postgresql.rewind);
	check_pooler_side(c, "client_tls", &cfg->pgbouncer.client_tls);
	check_pooler_side(c, "server_tls", &cfg->pgbouncer.server_tls);
}
