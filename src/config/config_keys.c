/*
 * config_keys.c: the table of every configuration key pgha reads or knows to ignore
 * (Patroni's names), and the walk of the YAML tree through it.
 *
 * One row per key: its type, where it goes in struct config, its range, or a handler
 * for the keys that need one. Keys Patroni has and pgha does not use have rows too, so
 * that they get a "not supported" warning instead of "unknown". Anything not in the
 * table is warned about as unknown; nothing is dropped silently. Defaults, environment
 * overrides and checks across keys are config.c's job, not this file's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "config/config_int.h"
#include "config/yaml_tree.h"
#include "util/strutil.h"
#include "util/xalloc.h"

static void walk_map(struct cfg_ctx *c, yaml_node_t *map, const char *tprefix, const char *dprefix);

/* --- values of the plain types ------------------------------------------------------- */

static void *field(struct cfg_ctx *c, const struct ckey *k)
{
	return (char *)c->cfg + k->offset;
}

static void read_int(struct cfg_ctx *c, const struct centry *e)
{
	int64_t x;

	if (!cfg_node_int(e->value, &x)) {
		cfg_type_error(c, e, "an integer");
		return;
	}
	if (x < e->key->min || x > e->key->max) {
		cfg_error(c, e->line, "%s: %lld is out of range (%d to %d)", e->path, (long long)x,
		          e->key->min, e->key->max);
		return;
	}
	*(int *)field(c, e->key) = (int)x;
}

static void read_bool(struct cfg_ctx *c, const struct centry *e)
{
	if (!cfg_node_bool(e->value, (bool *)field(c, e->key)))
		cfg_type_error(c, e, "a boolean (true/false)");
}

/* host:port where the port follows the last ':' (the host may be a list or a wildcard). */
static void read_listen(struct cfg_ctx *c, const struct centry *e)
{
	char *dst = field(c, e->key);
	char host[CONFIG_HOST_LEN];
	int port;

	if (!cfg_store_string(c, e, dst, e->key->size) || dst[0] == '\0')
		return;
	if (!cfg_split_listen(dst, host, sizeof(host), &port))
		cfg_error(c, e->line, "%s: '%s' is not host:port with a port from 1 to 65535",
		          e->path, dst);
}

static void read_address(struct cfg_ctx *c, const struct centry *e)
{
	char *dst = field(c, e->key);
	char host[CONFIG_HOST_LEN];
	int port;

	if (!cfg_store_string(c, e, dst, e->key->size) || dst[0] == '\0')
		return;
	if (!str_split_hostport(dst, host, sizeof(host), &port))
		cfg_error(c, e->line, "%s: '%s' is not host:port with a port from 1 to 65535",
		          e->path, dst);
	else if (cfg_is_wildcard_host(host) || strchr(host, ',') != NULL)
		cfg_error(c, e->line, "%s: '%s' is not an address other nodes can connect to",
		          e->path, dst);
}

static void read_strv(struct cfg_ctx *c, const struct centry *e)
{
	char ***dst = field(c, e->key);

	if (cfg_is_null(e->value))
		return;
	if (!ynode_is_seq(e->value)) {
		cfg_type_error(c, e, "a list of strings");
		return;
	}
	strv_free(*dst);
	*dst = strv_new();
	for (int i = 0; i < yseq_len(e->value); i++) {
		yaml_node_t *item = yseq_item(c->doc, e->value, i);
		const char *s = cfg_node_string(c, e, item);

		if (s != NULL && !pg_params_valid_value(s))
			cfg_error(c, ynode_line(item), "%s: an item spans several lines", e->path);
		else if (s != NULL)
			strv_push(dst, s);
	}
}

void cfg_read_section(struct cfg_ctx *c, const struct centry *e, const char *tpath)
{
	if (cfg_is_null(e->value))
		return; /* "restapi:" with nothing under it */
	if (!ynode_is_map(e->value)) {
		cfg_type_error(c, e, "a mapping");
		return;
	}
	walk_map(c, e->value, tpath, e->path);
}

/* The value says "off" (null, false, empty): a refused feature is then just ignored. */
static void report_ignored(struct cfg_ctx *c, const struct centry *e)
{
	const char *note = e->key->note;

	cfg_warn(c, e->line, "'%s' is not supported by pgha, ignored%s%s%s", e->path,
	         note ? " (" : "", note ? note : "", note ? ")" : "");
}

/* --- the table ---------------------------------------------------------------------- */

/* One row per line reads best. */
/* clang-format off */
#define F(f)              offsetof(struct config, f)
#define FSIZE(f)          sizeof(((struct config *)0)->f)
#define SECTION(p)        {p, CK_SECTION, 0, 0, 0, 0, NULL, NULL}
#define STR(p, f)         {p, CK_STR, F(f), FSIZE(f), 0, 0, NULL, NULL}
#define LISTEN(p, f)      {p, CK_LISTEN, F(f), FSIZE(f), 0, 0, NULL, NULL}
#define ADDRESS(p, f)     {p, CK_ADDRESS, F(f), FSIZE(f), 0, 0, NULL, NULL}
#define INT(p, f, lo, hi) {p, CK_INT, F(f), 0, lo, hi, NULL, NULL}
#define BOOL(p, f)        {p, CK_BOOL, F(f), 0, 0, 0, NULL, NULL}
#define STRV(p, f)        {p, CK_STRV, F(f), 0, 0, 0, NULL, NULL}
#define FN(p, fn)         {p, CK_FN, 0, 0, 0, 0, fn, NULL}
#define IGNORED(p, why)   {p, CK_IGNORED, 0, 0, 0, 0, NULL, why}
#define REFUSED(p, why)   {p, CK_REFUSED, 0, 0, 0, 0, NULL, why}
#define USER(u) \
	SECTION("postgresql.authentication." #u), \
	STR("postgresql.authentication." #u ".username", postgresql.u.username), \
	STR("postgresql.authentication." #u ".password", postgresql.u.password)
/* clang-format on */

static const struct ckey ckeys[] = {
    STR("scope", scope),
    FN("namespace", cfg_read_namespace),
    STR("name", name),

    SECTION("log"),
    FN("log.level", cfg_read_log_level),
    IGNORED("log.*", "pgha logs to stderr"),

    SECTION("restapi"),
    LISTEN("restapi.listen", restapi.listen),
    ADDRESS("restapi.connect_address", restapi.connect_address),
    SECTION("restapi.authentication"),
    STR("restapi.authentication.username", restapi.username),
    STR("restapi.authentication.password", restapi.password),
    IGNORED("restapi.certfile", "the REST API serves plain HTTP"),
    IGNORED("restapi.keyfile", "the REST API serves plain HTTP"),
    IGNORED("restapi.keyfile_password", "the REST API serves plain HTTP"),
    IGNORED("restapi.cafile", "the REST API serves plain HTTP"),
    IGNORED("restapi.ciphers", "the REST API serves plain HTTP"),
    IGNORED("restapi.verify_client", "the REST API serves plain HTTP"),
    IGNORED("restapi.allowlist", NULL),
    IGNORED("restapi.allowlist_include_members", NULL),
    IGNORED("restapi.http_extra_headers", NULL),
    IGNORED("restapi.https_extra_headers", NULL),
    IGNORED("restapi.request_queue_size", NULL),
    IGNORED("restapi.server_tokens", NULL),

    FN("etcd3", cfg_read_etcd3),
    FN("etcd", cfg_read_etcd_alias),
    FN("etcd3.hosts", cfg_read_etcd_hosts),
    FN("etcd3.host", cfg_read_etcd_host),
    FN("etcd3.url", cfg_read_etcd_host),
    FN("etcd3.protocol", cfg_read_etcd_protocol),
    STR("etcd3.username", etcd.username),
    STR("etcd3.password", etcd.password),
    REFUSED("etcd3.cacert", "TLS to etcd is not supported by pgha"),
    REFUSED("etcd3.cert", "TLS to etcd is not supported by pgha"),
    REFUSED("etcd3.key", "TLS to etcd is not supported by pgha"),
    IGNORED("etcd3.use_proxies", NULL),
    IGNORED("etcd3.proxy", NULL),
    IGNORED("etcd3.srv", "list the endpoints in hosts"),
    IGNORED("etcd3.srv_suffix", "list the endpoints in hosts"),
    IGNORED("etcd3.retry_timeout", "bootstrap.dcs.retry_timeout applies"),

    SECTION("bootstrap"),
    FN("bootstrap.dcs", cfg_read_dcs),
    FN("bootstrap.initdb", cfg_read_initdb),
    STRV("bootstrap.pg_hba", bootstrap.pg_hba),
    FN("bootstrap.method", cfg_read_bootstrap_method),
    IGNORED("bootstrap.users", "create roles with SQL once the cluster is up"),
    IGNORED("bootstrap.post_bootstrap", NULL),
    IGNORED("bootstrap.post_init", NULL),

    SECTION("postgresql"),
    LISTEN("postgresql.listen", postgresql.listen),
    ADDRESS("postgresql.connect_address", postgresql.connect_address),
    STR("postgresql.data_dir", postgresql.data_dir),
    STR("postgresql.bin_dir", postgresql.bin_dir),
    STR("postgresql.pgpass", postgresql.pgpass),
    SECTION("postgresql.authentication"),
    USER(superuser),
    USER(replication),
    USER(rewind),
    IGNORED("postgresql.authentication.*.sslmode", NULL),
    IGNORED("postgresql.authentication.*.sslkey", NULL),
    IGNORED("postgresql.authentication.*.sslcert", NULL),
    IGNORED("postgresql.authentication.*.sslrootcert", NULL),
    IGNORED("postgresql.authentication.*.sslpassword", NULL),
    IGNORED("postgresql.authentication.*.sslcrl", NULL),
    IGNORED("postgresql.authentication.*.sslcrldir", NULL),
    IGNORED("postgresql.authentication.*.gssencmode", NULL),
    IGNORED("postgresql.authentication.*.channel_binding", NULL),
    FN("postgresql.parameters", cfg_read_pg_params),
    STRV("postgresql.pg_hba", postgresql.pg_hba),
    BOOL("postgresql.use_pg_rewind", postgresql.use_pg_rewind),
    BOOL("postgresql.remove_data_directory_on_rewind_failure",
         postgresql.remove_data_directory_on_rewind_failure),
    IGNORED("postgresql.remove_data_directory_on_diverged_timelines", "a diverged node is rewound"),
    IGNORED("postgresql.proxy_address", NULL),
    IGNORED("postgresql.config_dir", "the agent owns postgresql.conf in data_dir"),
    IGNORED("postgresql.custom_conf", "the agent owns postgresql.conf in data_dir"),
    IGNORED("postgresql.bin_name", NULL),
    IGNORED("postgresql.callbacks", NULL),
    IGNORED("postgresql.create_replica_methods", "replicas are cloned with pg_basebackup"),
    IGNORED("postgresql.replica_method", "replicas are cloned with pg_basebackup"),
    IGNORED("postgresql.basebackup", "replicas are cloned with pg_basebackup"),
    IGNORED("postgresql.recovery_conf", NULL),
    IGNORED("postgresql.pg_ident", NULL),
    IGNORED("postgresql.pg_ctl_timeout", NULL),
    IGNORED("postgresql.pre_promote", NULL),
    IGNORED("postgresql.before_stop", NULL),
    IGNORED("postgresql.rewind", NULL),
    IGNORED("postgresql.use_unix_socket", NULL),
    IGNORED("postgresql.use_unix_socket_repl", NULL),

    FN("tags", cfg_read_tags),

    SECTION("pgbouncer"),
    BOOL("pgbouncer.enabled", pgbouncer.enabled),
    LISTEN("pgbouncer.listen", pgbouncer.listen),
    STR("pgbouncer.bin", pgbouncer.bin),
    INT("pgbouncer.pool_size", pgbouncer.pool_size, 1, 10000),
    INT("pgbouncer.max_client_conn", pgbouncer.max_client_conn, 1, 1000000),
    FN("pgbouncer.pool_mode", cfg_read_pool_mode),

    IGNORED("ctl", "patronictl settings"),
    IGNORED("watchdog", "PostgreSQL runs as the agent's child and dies with it"),
    IGNORED("citus", NULL),
    IGNORED("consul", "pgha uses etcd"),
    IGNORED("zookeeper", "pgha uses etcd"),
    IGNORED("exhibitor", "pgha uses etcd"),
    IGNORED("kubernetes", "pgha uses etcd"),
    IGNORED("raft", "pgha uses etcd"),
};

size_t cfg_key_count(void)
{
	return ARRAY_LEN(ckeys);
}

/* path matches pattern segment by segment; "*" matches one segment. */
static bool path_match(const char *pattern, const char *path)
{
	for (;;) {
		size_t plen = strcspn(pattern, "."), len = strcspn(path, ".");

		if (!(plen == 1 && pattern[0] == '*') &&
		    (plen != len || strncmp(pattern, path, len) != 0))
			return false;
		pattern += plen;
		path += len;
		if (*pattern == '\0' || *path == '\0')
			return *pattern == '\0' && *path == '\0';
		pattern++;
		path++;
	}
}

static const struct ckey *ckey_find(const char *path)
{
	for (size_t i = 0; i < ARRAY_LEN(ckeys); i++)
		if (path_match(ckeys[i].path, path))
			return &ckeys[i];
	return NULL;
}

int cfg_key_line(const struct cfg_ctx *c, const char *path)
{
	const struct ckey *k = ckey_find(path);

	return k != NULL ? c->key_line[k - ckeys] : 0;
}

/* --- the walk ---------------------------------------------------------------------- */

static void dispatch(struct cfg_ctx *c, const struct centry *e, const char *tpath)
{
	const struct ckey *k = e->key;

	switch (k->type) {
	case CK_SECTION:
		cfg_read_section(c, e, tpath);
		break;
	case CK_STR:
		(void)cfg_store_string(c, e, field(c, k), k->size);
		break;
	case CK_INT:
		read_int(c, e);
		break;
	case CK_BOOL:
		read_bool(c, e);
		break;
	case CK_LISTEN:
		read_listen(c, e);
		break;
	case CK_ADDRESS:
		read_address(c, e);
		break;
	case CK_STRV:
		read_strv(c, e);
		break;
	case CK_FN:
		k->fn(c, e);
		break;
	case CK_IGNORED:
		report_ignored(c, e);
		break;
	case CK_REFUSED:
		if (cfg_is_empty(e->value))
			report_ignored(c, e);
		else
			cfg_error(c, e->line, "%s: %s", e->path, k->note);
		break;
	}
}

static void visit(struct cfg_ctx *c, const struct ypair *p, const char *tprefix,
                  const char *dprefix)
{
	const char *key = ynode_text(p->key);
	char tpath[256], dpath[256];
	const struct ckey *k = NULL;
	int line = ynode_line(p->key);

	snprintf(tpath, sizeof(tpath), "%s%s%s", tprefix, tprefix[0] ? "." : "", key);
	snprintf(dpath, sizeof(dpath), "%s%s%s", dprefix, dprefix[0] ? "." : "", key);
	/* A key with a dot in it ("restapi.listen:" at the top) is not a table path. */
	if (strchr(key, '.') == NULL && !ynode_text_has_nul(p->key))
		k = ckey_find(tpath);
	if (k == NULL) {
		cfg_warn(c, line, "unknown key '%s' ignored", dpath);
		return;
	}
	c->key_line[k - ckeys] = line;
	dispatch(c, &(struct centry){dpath, line, p->value, k}, tpath);
}

static void walk_map(struct cfg_ctx *c, yaml_node_t *map, const char *tprefix, const char *dprefix)
{
	struct ypair *pairs;
	int n;
	char err[CONFIG_MSG_LEN];

	if (!ymap_pairs(c->doc, map, &pairs, &n, err, sizeof(err))) {
		cfg_error_raw(c, err);
		return;
	}
	for (int i = 0; i < n; i++)
		visit(c, &pairs[i], tprefix, dprefix);
	free(pairs);
}

void cfg_walk_root(struct cfg_ctx *c, yaml_node_t *root)
{
	walk_map(c, root, "", "");
}
