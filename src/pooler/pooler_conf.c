/*
 * pooler_conf.c: PgBouncer's settings and files, as pure functions of the configuration.
 *
 * Why this authentication setup (PgBouncer 1.18, the pg module's default pg_hba.conf):
 * - auth_type = scram-sha-256 for every client, over TCP and the unix socket: no trust.
 * - Every role except the superuser is looked up with auth_query in pg_shadow, through
 *   auth_user = the superuser. Because the secret PgBouncer gets is the role's own SCRAM
 *   verifier, PgBouncer keeps the client's SCRAM keys and logs in to PostgreSQL with them
 *   ("pass-through"): PostgreSQL checks the password again (pg_hba: local scram-sha-256),
 *   and no role's password is ever stored outside pg_authid.
 * - The superuser reaches PostgreSQL over the unix socket by peer authentication (the
 *   pg module maps the agent's OS user to it; PgBouncer is the agent's child, same user),
 *   which is also how PgBouncer runs auth_query without any stored password.
 * - That is exactly why the superuser must be in the auth file: PgBouncer adds an
 *   auth_user missing from it with an EMPTY password, and then accepts a SCRAM login as
 *   the superuser with an empty password (checked on PgBouncer 1.18: AuthenticationOk),
 *   which peer authentication would turn into superuser access. So the auth file holds
 *   one line, the superuser's SCRAM verifier, computed from its configured password (or
 *   from a random one nobody knows when it has none), never a plain password.
 * - The admin console needs no password either: PgBouncer admits user "pgbouncer" over
 *   its unix socket from its own OS user (the agent). The health check does not even log
 *   in: it only waits for PgBouncer to ask the superuser for a password (pooler_admin.h).
 *
 * Failover: when the local PostgreSQL restarts (crash, demotion, rejoin) its server
 * connections close and PgBouncer drops them. Clients that arrive meanwhile wait for a
 * server (up to query_wait_timeout) rather than fail; once a login has failed, PgBouncer
 * refuses new clients until server_login_retry has passed, so that is the bound on how
 * long after PostgreSQL is back clients still get errors: 0.5 s here instead of 15.
 */
#include "pooler/pooler_conf.h"

#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include "util/strutil.h"

#define MAX_POOL_SIZE       10000
#define MAX_CLIENT_CONN     1000000
#define BACKOFF_FIRST_MS    500
#define SOCKET_NAME_MAX_LEN sizeof("/.s.PGSQL.65535")

/*
 * auth_query: the role's SCRAM verifier from pg_shadow (only roles that can log in),
 * nothing for roles without a password or with an expired one, so that PgBouncer falls
 * back to its mock authentication and refuses them.
 */
#define AUTH_QUERY                                                                               \
	"SELECT usename, passwd FROM pg_catalog.pg_shadow WHERE usename = $1 AND passwd IS NOT " \
	"NULL AND (valuntil IS NULL OR valuntil > pg_catalog.now())"

/* --- validation ------------------------------------------------------------------- */

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/*
 * ini_safe: a value PgBouncer's ini parser reads back unchanged: it takes the rest of the
 * line and trims blanks at both ends, with no quoting, so no newline, no control
 * characters and no blanks at the ends.
 */
static bool ini_safe(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && !has_control(s) && s[0] != ' ' && s[n - 1] != ' ';
}

static bool check_path(const char *what, const char *path, char *err, size_t errlen)
{
	if (path[0] != '/' || !ini_safe(path)) {
		snprintf(err, errlen,
		         "%s '%s': must be an absolute path without control characters or "
		         "surrounding blanks",
		         what, path);
		return false;
	}
	return true;
}

static bool listen_host_ok(const char *h)
{
	if (h[0] == '\0')
		return false;
	for (; *h; h++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:*,-_",
		            *h))
			return false;
	return true;
}

/* --- paths ------------------------------------------------------------------------- */

bool pooler_default_run_dir(const struct config *cfg, char *out, size_t size)
{
	const char *d = cfg->postgresql.data_dir;

	if (d[0] == '\0')
		return false;
	return snprintf(out, size, "%s%s", d, POOLER_RUN_SUFFIX) < (int)size;
}

bool pooler_pg_socket_dir(const struct config *cfg, char *out, size_t size)
{
	if (cfg->postgresql.socket_dir[0])
		return str_copy(out, size, cfg->postgresql.socket_dir);
	if (cfg->postgresql.data_dir[0] == '\0')
		return false;
	return snprintf(out, size, "%s.sock", cfg->postgresql.data_dir) < (int)size;
}

/* --- from the configuration ---------------------------------------------------------- */

static bool conf_run_dir(const struct config *cfg, const char *run_dir, struct pooler_conf *c,
                         char *err, size_t errlen)
{
	struct sockaddr_un sun;

	if (run_dir ? !str_copy(c->run_dir, sizeof(c->run_dir), run_dir)
	            : !pooler_default_run_dir(cfg, c->run_dir, sizeof(c->run_dir))) {
		snprintf(err, errlen, "PgBouncer run directory: unset or too long");
		return false;
	}
	if (!check_path("PgBouncer run directory", c->run_dir, err, errlen))
		return false;
	/* PgBouncer's socket "<run_dir>/.s.PGSQL.<port>" must fit in sockaddr_un. */
	if (strlen(c->run_dir) + SOCKET_NAME_MAX_LEN > sizeof(sun.sun_path)) {
		snprintf(err, errlen,
		         "PgBouncer run directory %s is too long for a unix socket path",
		         c->run_dir);
		return false;
	}
	return true;
}

static bool conf_listen(const struct config *cfg, struct pooler_conf *c, char *err, size_t errlen)
{
	const char *listen = cfg->pgbouncer.listen;

	if (!str_split_hostport(listen, c->listen_host, sizeof(c->listen_host), &c->listen_port) ||
	    !listen_host_ok(c->listen_host)) {
		snprintf(err, errlen, "pgbouncer.listen '%s': expected host:port", listen);
		return false;
	}
	return true;
}

static bool conf_postgresql(const struct config *cfg, struct pooler_conf *c, char *err,
                            size_t errlen)
{
	const char *listen = cfg->postgresql.listen;
	const char *colon = strrchr(listen, ':');

	if (colon == NULL || !str_parse_int(colon + 1, &c->pg_port) || c->pg_port <= 0 ||
	    c->pg_port > 65535) {
		snprintf(err, errlen, "postgresql.listen '%s': expected host:port", listen);
		return false;
	}
	if (!pooler_pg_socket_dir(cfg, c->pg_socket_dir, sizeof(c->pg_socket_dir))) {
		snprintf(err, errlen, "PostgreSQL socket directory: unset or too long");
		return false;
	}
	if (!check_path("PostgreSQL socket directory", c->pg_socket_dir, err, errlen))
		return false;
	if (!str_copy(c->auth_user, sizeof(c->auth_user), cfg->postgresql.superuser.username) ||
	    c->auth_user[0] == '\0' || has_control(c->auth_user)) {
		snprintf(err, errlen, "postgresql superuser name: missing or invalid");
		return false;
	}
	return true;
}

static bool conf_int(const char *what, int value, int def, int max, int *out, char *err,
                     size_t errlen)
{
	*out = value == 0 ? def : value;
	if (*out < 1 || *out > max) {
		snprintf(err, errlen, "%s %d: must be between 1 and %d", what, value, max);
		return false;
	}
	return true;
}

static bool conf_pool(const struct config *cfg, struct pooler_conf *c, char *err, size_t errlen)
{
	const char *mode = cfg->pgbouncer.pool_mode[0] ? cfg->pgbouncer.pool_mode : "session";

	if (!str_eq(mode, "session") && !str_eq(mode, "transaction")) {
		snprintf(err, errlen, "pgbouncer.pool_mode '%s': session or transaction", mode);
		return false;
	}
	snprintf(c->pool_mode, sizeof(c->pool_mode), "%s", mode);
	return conf_int("pgbouncer.pool_size", cfg->pgbouncer.pool_size, POOLER_DEFAULT_POOL_SIZE,
	                MAX_POOL_SIZE, &c->pool_size, err, errlen) &&
	       conf_int("pgbouncer.max_client_conn", cfg->pgbouncer.max_client_conn,
	                POOLER_DEFAULT_MAX_CLIENT_CONN, MAX_CLIENT_CONN, &c->max_client_conn, err,
	                errlen);
}

/* check_tls: files are absolute and ini-safe; words are ini-safe. */
static bool check_tls(const char *side, const struct pooler_tls *t, char *err, size_t errlen)
{
	const char *files[] = {t->cert_file, t->key_file, t->ca_file};
	char what[64];

	for (size_t i = 0; i < ARRAY_LEN(files); i++) {
		snprintf(what, sizeof(what), "pgbouncer.%s file", side);
		if (files[i][0] != '\0' && !check_path(what, files[i], err, errlen))
			return false;
	}
	if ((t->sslmode[0] && !ini_safe(t->sslmode)) ||
	    (t->protocols[0] && !ini_safe(t->protocols))) {
		snprintf(err, errlen, "pgbouncer.%s_sslmode or _protocols: invalid", side);
		return false;
	}
	return true;
}

static bool conf_tls(const struct config *cfg, struct pooler_conf *c, char *err, size_t errlen)
{
	c->client_tls = cfg->pgbouncer.client_tls;
	c->server_tls = cfg->pgbouncer.server_tls;
	return check_tls("client_tls", &c->client_tls, err, errlen) &&
	       check_tls("server_tls", &c->server_tls, err, errlen);
}

bool pooler_conf_from_config(const struct config *cfg, const char *run_dir, struct pooler_conf *c,
                             char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	return conf_run_dir(cfg, run_dir, c, err, errlen) && conf_listen(cfg, c, err, errlen) &&
	       conf_postgresql(cfg, c, err, errlen) && conf_pool(cfg, c, err, errlen) &&
	       conf_tls(cfg, c, err, errlen);
}

/* --- rendering ----------------------------------------------------------------------- */

/* quote_connstr: a PgBouncer connection-string value: single quotes, '' inside. */
static void quote_connstr(struct buf *out, const char *s)
{
	buf_puts(out, "'");
	for (; *s; s++)
		buf_append(out, *s == '\'' ? "''" : s, *s == '\'' ? 2 : 1);
	buf_puts(out, "'");
}

/* quote_auth: an auth-file field: double quotes, "" inside. */
static void quote_auth(struct buf *out, const char *s)
{
	buf_puts(out, "\"");
	for (; *s; s++)
		buf_append(out, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
	buf_puts(out, "\"");
}

/*
 * admin_list_safe: admin_users is a comma-separated list, read without quoting; a name
 * that cannot be listed is simply not made an admin (the unix-socket admin access of
 * the agent's own OS user does not depend on it).
 */
static bool admin_list_safe(const char *name)
{
	return ini_safe(name) && strchr(name, ',') == NULL;
}

static bool check_conf(const struct pooler_conf *c, char *err, size_t errlen)
{
	if (!check_path("PgBouncer run directory", c->run_dir, err, errlen) ||
	    !check_path("PostgreSQL socket directory", c->pg_socket_dir, err, errlen))
		return false;
	if (!listen_host_ok(c->listen_host) || c->listen_port <= 0 || c->listen_port > 65535 ||
	    c->pg_port <= 0 || c->pg_port > 65535) {
		snprintf(err, errlen, "PgBouncer listen address or PostgreSQL port invalid");
		return false;
	}
	if (c->auth_user[0] == '\0' || has_control(c->auth_user) || !ini_safe(c->pool_mode)) {
		snprintf(err, errlen, "PgBouncer auth user or pool mode invalid");
		return false;
	}
	return true;
}

static void render_databases(const struct pooler_conf *c, struct buf *out)
{
	buf_puts(out, "[databases]\n"
	              ";; Any database name: the local PostgreSQL, over its unix socket.\n"
	              "* = host=");
	quote_connstr(out, c->pg_socket_dir);
	buf_printf(out, " port=%d auth_user=", c->pg_port);
	quote_connstr(out, c->auth_user);
	buf_puts(out, "\n\n");
}

static void render_auth(const struct pooler_conf *c, struct buf *out)
{
	buf_printf(out,
	           "auth_type = scram-sha-256\n"
	           "auth_file = %s/" POOLER_AUTH_NAME "\n"
	           "auth_query = " AUTH_QUERY "\n",
	           c->run_dir);
	if (admin_list_safe(c->auth_user))
		buf_printf(out, "admin_users = %s\n", c->auth_user);
}

static void render_pool(const struct pooler_conf *c, struct buf *out)
{
	buf_printf(out,
	           "pool_mode = %s\n"
	           "default_pool_size = %d\n"
	           "max_client_conn = %d\n"
	           ";; pgbench and JDBC send these at startup; PgBouncer cannot pool them.\n"
	           "ignore_startup_parameters = extra_float_digits,options\n"
	           "server_reset_query = DISCARD ALL\n",
	           c->pool_mode, c->pool_size, c->max_client_conn);
}

static void render_failover(struct buf *out)
{
	buf_puts(out,
	         ";; The local PostgreSQL restarts on crash, demotion and rejoin: retry a\n"
	         ";; failed login after 0.5 s (default 15 s; clients get errors until then),\n"
	         ";; re-check idle server connections after 1 s, close server connections at\n"
	         ";; once on reconnect/reload, and give up on a client waiting for a server\n"
	         ";; after 30 s (default 120 s).\n"
	         "server_login_retry = 0.5\n"
	         "server_check_delay = 1\n"
	         "server_connect_timeout = 5\n"
	         "server_fast_close = 1\n"
	         "query_wait_timeout = 30\n"
	         ";; Logged to stderr, which the agent sends to " POOLER_LOG_NAME "; one line per\n"
	         ";; client connection would drown the rest under a pooled workload.\n"
	         "log_connections = 0\n"
	         "log_disconnections = 0\n");
}

/* render_tls_side: side's settings, when it is on (PgBouncer's defaults otherwise). */
static void render_tls_side(const char *side, const struct pooler_tls *t, struct buf *out)
{
	const struct {
		const char *key;
		const char *value;
	} files[] = {
	    {"cert_file", t->cert_file}, {"key_file", t->key_file}, {"ca_file", t->ca_file}};

	if (t->sslmode[0] == '\0' || str_eq(t->sslmode, "disable"))
		return;
	buf_printf(out, "%s_sslmode = %s\n%s_protocols = %s\n", side, t->sslmode, side,
	           t->protocols[0] ? t->protocols : "secure");
	for (size_t i = 0; i < ARRAY_LEN(files); i++)
		if (files[i].value[0] != '\0')
			buf_printf(out, "%s_%s = %s\n", side, files[i].key, files[i].value);
}

static void render_tls(const struct pooler_conf *c, struct buf *out)
{
	buf_puts(out, ";; TLS (pgbouncer.client_tls_*, server_tls_*). The server side is the\n"
	              ";; local unix socket, where PgBouncer uses no TLS.\n");
	render_tls_side("client_tls", &c->client_tls, out);
	render_tls_side("server_tls", &c->server_tls, out);
}

bool pooler_render_ini(const struct pooler_conf *c, struct buf *out, char *err, size_t errlen)
{
	if (!check_conf(c, err, errlen) || !check_tls("client_tls", &c->client_tls, err, errlen) ||
	    !check_tls("server_tls", &c->server_tls, err, errlen))
		return false;
	buf_puts(out, ";; PgBouncer of this pgha node. Written by the pgha agent: edits are lost.\n"
	              ";; Clients authenticate with SCRAM; PgBouncer logs in to PostgreSQL with\n"
	              ";; the client's SCRAM keys, so PostgreSQL checks every password too.\n\n");
	render_databases(c, out);
	buf_printf(out,
	           "[pgbouncer]\n"
	           "listen_addr = %s\n"
	           "listen_port = %d\n"
	           "unix_socket_dir = %s\n"
	           "unix_socket_mode = 0700\n",
	           c->listen_host, c->listen_port, c->run_dir);
	render_auth(c, out);
	render_pool(c, out);
	render_failover(out);
	render_tls(c, out);
	return true;
}

static bool verifier_ok(const char *v)
{
	if (!str_has_prefix(v, "SCRAM-SHA-256$"))
		return false;
	for (; *v; v++)
		if ((unsigned char)*v <= 0x20 || *v == '"' || *v == 0x7f)
			return false;
	return true;
}

bool pooler_render_auth_file(const struct pooler_conf *c, const char *scram_verifier,
                             struct buf *out, char *err, size_t errlen)
{
	if (c->auth_user[0] == '\0' || has_control(c->auth_user)) {
		snprintf(err, errlen, "auth file: invalid user name");
		return false;
	}
	if (scram_verifier == NULL || !verifier_ok(scram_verifier)) {
		snprintf(err, errlen, "auth file: '%s' needs a SCRAM-SHA-256 verifier",
		         c->auth_user);
		return false;
	}
	buf_puts(out, ";; Written by the pgha agent: edits are lost. The superuser's SCRAM\n"
	              ";; verifier only; every other role is looked up with auth_query.\n");
	quote_auth(out, c->auth_user);
	buf_puts(out, " ");
	quote_auth(out, scram_verifier);
	buf_puts(out, "\n");
	return true;
}

/* --- comparisons and addresses ------------------------------------------------------- */

bool pooler_conf_needs_restart(const struct pooler_conf *a, const struct pooler_conf *b)
{
	/* TLS settings and files are re-read by PgBouncer on a reload (SIGHUP). */
	return !str_eq(a->listen_host, b->listen_host) || a->listen_port != b->listen_port ||
	       !str_eq(a->run_dir, b->run_dir);
}

static bool is_wildcard(const char *host)
{
	return host[0] == '\0' || str_eq(host, "*") || str_eq(host, "0.0.0.0") ||
	       str_eq(host, "::") || strchr(host, ',') != NULL;
}

/* host_of: the host part of a "host:port" address, if it is a usable one. */
static bool host_of(const char *addr, char *host, size_t size)
{
	int port;

	return addr[0] && str_split_hostport(addr, host, size, &port) && !is_wildcard(host);
}

bool pooler_connect_address(const struct config *cfg, char *out, size_t size)
{
	char host[CONFIG_HOST_LEN];
	int port;
	int n;

	if (!str_split_hostport(cfg->pgbouncer.listen, host, sizeof(host), &port))
		return false;
	if (is_wildcard(host) && !host_of(cfg->postgresql.connect_address, host, sizeof(host)) &&
	    !host_of(cfg->restapi.connect_address, host, sizeof(host)))
		return false;
	if (strchr(host, ':'))
		n = snprintf(out, size, "[%s]:%d", host, port);
	else
		n = snprintf(out, size, "%s:%d", host, port);
	return n > 0 && (size_t)n < size;
}

int64_t pooler_backoff_ms(int n)
{
	int64_t ms = BACKOFF_FIRST_MS;

	if (n <= 1)
		return 0;
	for (int i = 2; i < n && ms < POOLER_BACKOFF_MAX_MS; i++)
		ms *= 2;
	return MIN(ms, POOLER_BACKOFF_MAX_MS);
}
