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

enum ckey_type {
	CK_SECTION, /* a mapping of further rows; null = empty */
	CK_STR,     /* char[size] at offset; null = "" */
	CK_INT,     /* int at offset, min..max */
	CK_BOOL,    /* bool at offset */
	CK_LISTEN,  /* CK_STR holding host:port to bind (host may be empty, "*", a list) */
	CK_ADDRESS, /* CK_STR holding host:port other nodes connect to */
	CK_STRV,    /* char ** at offset (a list of strings); null = not set */
	CK_FN,      /* the row's handler reads the value */
	CK_IGNORED, /* Patroni key pgha does not use: warning */
	CK_REFUSED, /* Patroni feature pgha lacks: an error unless the value is empty */
};

/* One key as found in the file. */
struct centry {
	const char *path;       /* as written: "etcd.hosts" even when read as etcd3.hosts */
	int line;               /* of the key */
	yaml_node_t *value;     /* never NULL */
	const struct ckey *key; /* its table row */
};

typedef void ckey_fn(struct cfg_ctx *c, const struct centry *e);

struct ckey {
	const char *path; /* "restapi.listen"; a "*" segment matches any key */
	enum ckey_type type;
	size_t offset; /* into struct config */
	size_t size;   /* CK_STR: of the array */
	int min, max;  /* CK_INT */
	ckey_fn *fn;   /* CK_FN */
	const char *note;
};

static void walk_map(struct cfg_ctx *c, yaml_node_t *map, const char *tprefix, const char *dprefix);

/* --- typed readers ------------------------------------------------------------------ */

static void *field(struct cfg_ctx *c, const struct ckey *k)
{
	return (char *)c->cfg + k->offset;
}

static void type_error(struct cfg_ctx *c, const struct centry *e, const char *expected)
{
	cfg_error(c, e->line, "%s: expected %s, got %s", e->path, expected,
	          ynode_type_name(e->value));
}

/* The text of a scalar meant as a string ("" for null), or NULL after an error. */
static const char *node_string(struct cfg_ctx *c, const struct centry *e, yaml_node_t *n)
{
	struct yscalar v;

	if (!ynode_is_scalar(n)) {
		cfg_error(c, ynode_line(n), "%s: expected a string, got %s", e->path,
		          ynode_type_name(n));
		return NULL;
	}
	if (ynode_text_has_nul(n)) {
		cfg_error(c, ynode_line(n), "%s: contains a NUL character", e->path);
		return NULL;
	}
	yscalar_resolve(n, &v);
	if (v.type == YS_NULL)
		return "";
	if (v.type == YS_BOOL) {
		cfg_error(c, ynode_line(n), "%s: expected a string, got a boolean (quote it: '%s')",
		          e->path, ynode_text(n));
		return NULL;
	}
	return ynode_text(n);
}

static bool store_string(struct cfg_ctx *c, const struct centry *e, char *dst, size_t size)
{
	const char *s = node_string(c, e, e->value);

	if (s == NULL)
		return false;
	if (!str_copy(dst, size, s)) {
		cfg_error(c, e->line, "%s: too long (at most %zu bytes)", e->path, size - 1);
		return false;
	}
	return true;
}

static bool node_int(const yaml_node_t *n, int64_t *out)
{
	struct yscalar v;

	if (!ynode_is_scalar(n))
		return false;
	yscalar_resolve(n, &v);
	if (v.type == YS_INT) {
		*out = v.i;
		return true;
	}
	return v.type == YS_STR && str_parse_i64(ynode_text(n), out); /* "30" */
}

static bool node_bool(const yaml_node_t *n, bool *out)
{
	struct yscalar v;

	if (!ynode_is_scalar(n))
		return false;
	yscalar_resolve(n, &v);
	if (v.type == YS_BOOL) {
		*out = v.b;
		return true;
	}
	return (v.type == YS_STR || v.type == YS_INT) && str_parse_bool(ynode_text(n), out);
}

static void read_int(struct cfg_ctx *c, const struct centry *e)
{
	int64_t x;

	if (!node_int(e->value, &x)) {
		type_error(c, e, "an integer");
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
	if (!node_bool(e->value, (bool *)field(c, e->key)))
		type_error(c, e, "a boolean (true/false)");
}

/* host:port where the port follows the last ':' (the host may be a list or a wildcard). */
static bool split_listen(const char *s, char *host, size_t host_size, int *port)
{
	const char *colon = strrchr(s, ':');
	size_t hlen;

	if (colon == NULL || !str_parse_int(colon + 1, port) || *port < 1 || *port > 65535)
		return false;
	hlen = (size_t)(colon - s);
	if (hlen >= host_size)
		return false;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	return true;
}

static bool is_wildcard_host(const char *host)
{
	return host[0] == '\0' || str_eq(host, "*") || str_eq(host, "0.0.0.0") ||
	       str_eq(host, "::") || str_eq(host, "[::]");
}

static void read_listen(struct cfg_ctx *c, const struct centry *e)
{
	char *dst = field(c, e->key);
	char host[CONFIG_HOST_LEN];
	int port;

	if (!store_string(c, e, dst, e->key->size) || dst[0] == '\0')
		return;
	if (!split_listen(dst, host, sizeof(host), &port))
		cfg_error(c, e->line, "%s: '%s' is not host:port with a port from 1 to 65535",
		          e->path, dst);
}

static void read_address(struct cfg_ctx *c, const struct centry *e)
{
	char *dst = field(c, e->key);
	char host[CONFIG_HOST_LEN];
	int port;

	if (!store_string(c, e, dst, e->key->size) || dst[0] == '\0')
		return;
	if (!str_split_hostport(dst, host, sizeof(host), &port))
		cfg_error(c, e->line, "%s: '%s' is not host:port with a port from 1 to 65535",
		          e->path, dst);
	else if (is_wildcard_host(host) || strchr(host, ',') != NULL)
		cfg_error(c, e->line, "%s: '%s' is not an address other nodes can connect to",
		          e->path, dst);
}

static bool is_null(const yaml_node_t *n)
{
	struct yscalar v;

	if (!ynode_is_scalar(n))
		return false;
	yscalar_resolve(n, &v);
	return v.type == YS_NULL;
}

/* A list of one-line strings (pg_hba lines); null leaves it unset, [] sets no lines. */
static void read_strv(struct cfg_ctx *c, const struct centry *e)
{
	char ***dst = field(c, e->key);

	if (is_null(e->value))
		return;
	if (!ynode_is_seq(e->value)) {
		type_error(c, e, "a list of strings");
		return;
	}
	strv_free(*dst);
	*dst = strv_new();
	for (int i = 0; i < yseq_len(e->value); i++) {
		yaml_node_t *item = yseq_item(c->doc, e->value, i);
		const char *s = node_string(c, e, item);

		if (s != NULL && !pg_params_valid_value(s))
			cfg_error(c, ynode_line(item), "%s: an item spans several lines", e->path);
		else if (s != NULL)
			strv_push(dst, s);
	}
}

static void read_section(struct cfg_ctx *c, const struct centry *e, const char *tpath)
{
	if (is_null(e->value))
		return; /* "restapi:" with nothing under it */
	if (!ynode_is_map(e->value)) {
		type_error(c, e, "a mapping");
		return;
	}
	walk_map(c, e->value, tpath, e->path);
}

/* The value says "off" (null, false, empty): a refused feature is then just ignored. */
static bool is_empty_value(const yaml_node_t *n)
{
	struct yscalar v;

	if (ynode_is_map(n))
		return n->data.mapping.pairs.top == n->data.mapping.pairs.start;
	if (ynode_is_seq(n))
		return yseq_len(n) == 0;
	yscalar_resolve(n, &v);
	return v.type == YS_NULL || (v.type == YS_BOOL && !v.b);
}

static void report_ignored(struct cfg_ctx *c, const struct centry *e)
{
	const char *note = e->key->note;

	cfg_warn(c, e->line, "'%s' is not supported by pgha, ignored%s%s%s", e->path,
	         note ? " (" : "", note ? note : "", note ? ")" : "");
}

/* --- handlers --------------------------------------------------------------------- */

/* "service", "/service", "service/", "//service//" all mean "/service/". */
static void h_namespace(struct cfg_ctx *c, const struct centry *e)
{
	char raw[CONFIG_NAME_LEN], norm[CONFIG_NAME_LEN + 2];
	size_t j = 0;

	if (!store_string(c, e, raw, sizeof(raw)))
		return;
	norm[j++] = '/';
	for (const char *s = raw; *s != '\0'; s++)
		if (*s != '/' || norm[j - 1] != '/')
			norm[j++] = *s;
	if (norm[j - 1] != '/')
		norm[j++] = '/';
	norm[j] = '\0';
	if (raw[0] == '\0')
		cfg_error(c, e->line, "%s: must not be empty", e->path);
	else if (!str_copy(c->cfg->namespace_, sizeof(c->cfg->namespace_), norm))
		cfg_error(c, e->line, "%s: too long", e->path);
}

/* Patroni's log.level takes Python's level names. */
static void h_log_level(struct cfg_ctx *c, const struct centry *e)
{
	static const struct {
		const char *python;
		const char *pgha;
	} levels[] = {{"debug", "debug"}, {"info", "info"},   {"warning", "warn"},
	              {"warn", "warn"},   {"error", "error"}, {"critical", "error"}};
	char level[16];

	if (!store_string(c, e, level, sizeof(level)))
		return;
	for (size_t i = 0; i < ARRAY_LEN(levels); i++) {
		if (str_eq_nocase(level, levels[i].python)) {
			snprintf(c->cfg->log_level, sizeof(c->cfg->log_level), "%s",
			         levels[i].pgha);
			return;
		}
	}
	cfg_error(c, e->line, "%s: '%s' is not a log level (DEBUG, INFO, WARNING, ERROR)", e->path,
	          level);
}

static void h_etcd3(struct cfg_ctx *c, const struct centry *e)
{
	c->etcd3_seen = true;
	if (c->etcd_alias_seen)
		cfg_error(c, e->line, "both 'etcd' and 'etcd3' sections: keep only one");
	else
		read_section(c, e, "etcd3");
}

/* Patroni's etcd: (v2) section: same keys; pgha speaks only the v3 API. */
static void h_etcd_alias(struct cfg_ctx *c, const struct centry *e)
{
	c->etcd_alias_seen = true;
	if (c->etcd3_seen) {
		cfg_error(c, e->line, "both 'etcd' and 'etcd3' sections: keep only one");
		return;
	}
	cfg_warn(c, e->line, "'etcd' section read as 'etcd3': pgha always uses etcd's v3 API");
	read_section(c, e, "etcd3");
}

/* "host", "host:port", "[v6]:port" or "http://host:port" into "host:port" (port 2379 by default).
 */
static bool etcd_endpoint(struct cfg_ctx *c, const struct centry *e, int line, const char *in,
                          char *out, size_t size)
{
	char item[CONFIG_HOST_LEN], host[CONFIG_HOST_LEN];
	const char *s;
	int port = 2379;
	bool ok;

	snprintf(item, sizeof(item), "%s", in);
	s = str_trim(item);
	if (str_has_prefix(s, "https://")) {
		cfg_error(c, line, "%s: '%s': https is not supported by pgha", e->path, s);
		return false;
	}
	if (str_has_prefix(s, "http://"))
		s += strlen("http://");
	if (s[0] == '[' || strchr(s, ':') != NULL)
		ok = str_split_hostport(s, host, sizeof(host), &port);
	else
		ok = str_copy(host, sizeof(host), s);
	if (!ok || host[0] == '\0' || strpbrk(host, "/ ") != NULL) {
		cfg_error(c, line, "%s: '%s' is not host:port", e->path, in);
		return false;
	}
	snprintf(out, size, strchr(host, ':') != NULL ? "[%s]:%d" : "%s:%d", host, port);
	return true;
}

static void add_etcd_host(struct cfg_ctx *c, const struct centry *e, int line, const char *s)
{
	struct config *cfg = c->cfg;

	if (cfg->etcd.n_hosts == CONFIG_MAX_ETCD) {
		cfg_error(c, line, "%s: more than %d endpoints", e->path, CONFIG_MAX_ETCD);
		return;
	}
	if (etcd_endpoint(c, e, line, s, cfg->etcd.hosts[cfg->etcd.n_hosts], CONFIG_HOST_LEN))
		cfg->etcd.n_hosts++;
}

/* hosts: a YAML list, or "h1:2379,h2:2379" as Patroni also accepts. */
static void h_etcd_hosts(struct cfg_ctx *c, const struct centry *e)
{
	c->cfg->etcd.n_hosts = 0;
	if (ynode_is_seq(e->value)) {
		for (int i = 0; i < yseq_len(e->value); i++) {
			yaml_node_t *item = yseq_item(c->doc, e->value, i);
			const char *s = node_string(c, e, item);

			if (s != NULL)
				add_etcd_host(c, e, ynode_line(item), s);
		}
		return;
	}
	const char *list = node_string(c, e, e->value);
	char *copy, *save = NULL;

	if (list == NULL)
		return;
	copy = xstrdup(list);
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
		add_etcd_host(c, e, e->line, tok);
	free(copy);
}

/* host (or url): one endpoint, used when hosts is absent (config.c decides). */
static void h_etcd_host(struct cfg_ctx *c, const struct centry *e)
{
	const char *s = node_string(c, e, e->value);

	if (s != NULL && s[0] != '\0')
		(void)etcd_endpoint(c, e, e->line, s, c->etcd_host, sizeof(c->etcd_host));
}

static void h_etcd_protocol(struct cfg_ctx *c, const struct centry *e)
{
	char proto[16];

	if (!store_string(c, e, proto, sizeof(proto)))
		return;
	if (str_eq_nocase(proto, "https"))
		cfg_error(c, e->line, "%s: https is not supported by pgha (use http)", e->path);
	else if (!str_eq_nocase(proto, "http") && proto[0] != '\0')
		cfg_error(c, e->line, "%s: '%s' is not a protocol (http)", e->path, proto);
}

/* Parameters as written: numbers keep their text, booleans become on/off. */
static void read_params(struct cfg_ctx *c, const struct centry *e, struct pg_params *dst)
{
	struct ypair *pairs;
	int n;
	char err[CONFIG_MSG_LEN];

	if (is_empty_value(e->value))
		return;
	if (!ynode_is_map(e->value)) {
		type_error(c, e, "a mapping of parameter: value");
		return;
	}
	if (!ymap_pairs(c->doc, e->value, &pairs, &n, err, sizeof(err))) {
		cfg_error_raw(c, err);
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *name = ynode_text(pairs[i].key);
		yaml_node_t *v = pairs[i].value;
		int line = ynode_line(pairs[i].key);
		struct yscalar sv;

		if (!pg_params_valid_name(name)) {
			cfg_error(c, line, "%s: '%s' is not a parameter name", e->path, name);
			continue;
		}
		if (!ynode_is_scalar(v) || ynode_text_has_nul(v)) {
			cfg_error(c, line, "%s.%s: expected a value, got %s", e->path, name,
			          ynode_type_name(v));
			continue;
		}
		yscalar_resolve(v, &sv);
		if (sv.type == YS_NULL)
			cfg_warn(c, line, "%s.%s: no value, ignored", e->path, name);
		else if (!pg_params_valid_value(ynode_text(v)))
			cfg_error(c, line, "%s.%s: the value spans several lines", e->path, name);
		else
			pg_params_set(dst, name,
			              sv.type == YS_BOOL ? (sv.b ? "on" : "off") : ynode_text(v));
	}
	free(pairs);
}

static void h_pg_params(struct cfg_ctx *c, const struct centry *e)
{
	read_params(c, e, &c->cfg->postgresql.parameters);
}

/* One key of bootstrap.dcs, through the same code that reads etcd's config key. */
static void dcs_key(struct cfg_ctx *c, const char *prefix, const char *key, const struct ypair *p)
{
	char err[CONFIG_MSG_LEN], why[256];
	const char *note;
	int line = ynode_line(p->key);
	json_t *v = ynode_to_json(c->doc, p->value, err, sizeof(err));

	if (v == NULL) {
		cfg_error_raw(c, err);
		return;
	}
	switch (dyn_config_apply_key(&c->cfg->bootstrap.dcs, key, v, why, sizeof(why), &note)) {
	case DYN_KEY_OK:
		break;
	case DYN_KEY_UNKNOWN:
		cfg_warn(c, line, "unknown key '%s.%s' ignored", prefix, key);
		break;
	case DYN_KEY_IGNORED:
		cfg_warn(c, line, "'%s.%s' is not supported by pgha, ignored%s%s%s", prefix, key,
		         note ? " (" : "", note ? note : "", note ? ")" : "");
		break;
	case DYN_KEY_BAD:
	case DYN_KEY__COUNT:
		cfg_error(c, line, "%s.%s: %s", prefix, key, why);
		break;
	}
	json_decref(v);
}

static void dcs_postgresql(struct cfg_ctx *c, const struct centry *e, const struct ypair *pg)
{
	char path[128];
	struct centry sub = {path, ynode_line(pg->key), pg->value, e->key};
	struct ypair *pairs;
	int n;
	char err[CONFIG_MSG_LEN];

	snprintf(path, sizeof(path), "%s.postgresql", e->path);
	if (is_empty_value(pg->value))
		return;
	if (!ynode_is_map(pg->value)) {
		type_error(c, &sub, "a mapping");
		return;
	}
	if (!ymap_pairs(c->doc, pg->value, &pairs, &n, err, sizeof(err))) {
		cfg_error_raw(c, err);
		return;
	}
	for (int i = 0; i < n; i++) {
		char key[128], ppath[160];
		struct centry params = {ppath, ynode_line(pairs[i].key), pairs[i].value, e->key};

		snprintf(key, sizeof(key), "postgresql.%s", ynode_text(pairs[i].key));
		snprintf(ppath, sizeof(ppath), "%s.%s", e->path, key);
		if (str_eq(key, "postgresql.parameters"))
			read_params(c, &params, &c->cfg->bootstrap.dcs.parameters);
		else
			dcs_key(c, e->path, key, &pairs[i]);
	}
	free(pairs);
}

/* bootstrap.dcs: into the struct (checked key by key) and kept as JSON for etcd. */
static void h_dcs(struct cfg_ctx *c, const struct centry *e)
{
	struct ypair *pairs;
	int n;
	char err[CONFIG_MSG_LEN];

	c->dcs_line = e->line;
	if (is_empty_value(e->value))
		return;
	if (!ynode_is_map(e->value)) {
		type_error(c, e, "a mapping");
		return;
	}
	if (!ymap_pairs(c->doc, e->value, &pairs, &n, err, sizeof(err))) {
		cfg_error_raw(c, err);
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *key = ynode_text(pairs[i].key);

		if (strchr(key, '.') != NULL) /* not to be taken for a "postgresql.x" path */
			cfg_warn(c, ynode_line(pairs[i].key), "unknown key '%s.%s' ignored",
			         e->path, key);
		else if (str_eq(key, "postgresql"))
			dcs_postgresql(c, e, &pairs[i]);
		else
			dcs_key(c, e->path, key, &pairs[i]);
	}
	free(pairs);
	json_decref(c->cfg->bootstrap.dcs_json);
	c->cfg->bootstrap.dcs_json = ynode_to_json(c->doc, e->value, err, sizeof(err));
}

/* initdb options pgha passes itself, or that would break the bootstrap. */
static bool initdb_option_allowed(const char *name)
{
	static const char *const own[] = {"pgdata",  "D",        "nosync", "no-sync",
	                                  "pwfile",  "pwprompt", "W",      "sync-only",
	                                  "version", "username", "U",      "help"};

	for (size_t i = 0; i < ARRAY_LEN(own); i++)
		if (str_eq(name, own[i]))
			return false;
	return name[0] != '\0' &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                    "0123456789-") == strlen(name);
}

static void initdb_option(struct cfg_ctx *c, const struct centry *e, int line, const char *name,
                          yaml_node_t *value)
{
	const char *opt = str_has_prefix(name, "--") ? name + 2 : name;
	struct yscalar v = {.type = YS_NULL};
	char *arg;

	if (!initdb_option_allowed(opt)) {
		cfg_error(c, line, "%s: '%s' is not an initdb option pgha can pass", e->path, name);
		return;
	}
	if (value != NULL && (!ynode_is_scalar(value) || ynode_text_has_nul(value))) {
		cfg_error(c, line, "%s.%s: expected a value, got %s", e->path, opt,
		          ynode_type_name(value));
		return;
	}
	if (value != NULL)
		yscalar_resolve(value, &v);
	if (v.type == YS_BOOL && !v.b)
		return;
	arg = (v.type == YS_NULL || v.type == YS_BOOL)
	          ? xasprintf("--%s", opt)
	          : xasprintf("--%s=%s", opt, ynode_text(value));
	strv_push(&c->cfg->bootstrap.initdb, arg);
	free(arg);
}

static void initdb_map(struct cfg_ctx *c, const struct centry *e, yaml_node_t *map)
{
	struct ypair *pairs;
	int n;
	char err[CONFIG_MSG_LEN];

	if (!ymap_pairs(c->doc, map, &pairs, &n, err, sizeof(err))) {
		cfg_error_raw(c, err);
		return;
	}
	for (int i = 0; i < n; i++)
		initdb_option(c, e, ynode_line(pairs[i].key), ynode_text(pairs[i].key),
		              pairs[i].value);
	free(pairs);
}

/* Patroni's list form ("- data-checksums", "- encoding: UTF8"), or one mapping. */
static void h_initdb(struct cfg_ctx *c, const struct centry *e)
{
	c->initdb_set = true;
	strv_free(c->cfg->bootstrap.initdb);
	c->cfg->bootstrap.initdb = strv_new();
	if (is_empty_value(e->value))
		return;
	if (ynode_is_map(e->value)) {
		initdb_map(c, e, e->value);
		return;
	}
	if (!ynode_is_seq(e->value)) {
		type_error(c, e, "a list of options");
		return;
	}
	for (int i = 0; i < yseq_len(e->value); i++) {
		yaml_node_t *item = yseq_item(c->doc, e->value, i);
		const char *s;

		if (ynode_is_map(item)) {
			initdb_map(c, e, item);
		} else if ((s = node_string(c, e, item)) != NULL) {
			initdb_option(c, e, ynode_line(item), s, NULL);
		}
	}
}

static void h_bootstrap_method(struct cfg_ctx *c, const struct centry *e)
{
	const char *s = node_string(c, e, e->value);

	if (s != NULL && s[0] != '\0' && !str_eq(s, "initdb"))
		cfg_error(c, e->line,
		          "%s: custom bootstrap '%s' is not supported by pgha (initdb only)",
		          e->path, s);
}

static void tag_entry(struct cfg_ctx *c, const struct centry *e, const struct ypair *p)
{
	struct tags *t = &c->cfg->tags;
	const char *name = ynode_text(p->key);
	int line = ynode_line(p->key);
	bool *flag = str_eq(name, "nofailover")      ? &t->nofailover
	             : str_eq(name, "noloadbalance") ? &t->noloadbalance
	             : str_eq(name, "nosync")        ? &t->nosync
	             : str_eq(name, "clonefrom")     ? &t->clonefrom
	                                             : NULL;
	int64_t prio;

	if (flag != NULL && !is_empty_value(p->value) && !node_bool(p->value, flag))
		cfg_error(c, line, "%s.%s: expected a boolean (true/false), got %s", e->path, name,
		          ynode_type_name(p->value));
	if (str_eq(name, "failover_priority")) {
		if (!node_int(p->value, &prio) || prio < 0 || prio > 1000000)
			cfg_error(c, line, "%s.%s: expected an integer from 0 to 1000000", e->path,
			          name);
		else
			t->failover_priority = (int)prio;
		c->failover_priority_set = true;
	}
	if (str_eq(name, "replicatefrom") || str_eq(name, "nostream") ||
	    str_eq(name, "sync_priority"))
		cfg_warn(c, line, "'%s.%s' is not supported by pgha (published, but ignored)",
		         e->path, name);
}

/* tags: the known ones into fields; all of them (also user tags) kept as JSON. */
static void h_tags(struct cfg_ctx *c, const struct centry *e)
{
	struct ypair *pairs;
	int n;
	char err[CONFIG_MSG_LEN];

	if (is_empty_value(e->value))
		return;
	if (!ynode_is_map(e->value)) {
		type_error(c, e, "a mapping");
		return;
	}
	if (!ymap_pairs(c->doc, e->value, &pairs, &n, err, sizeof(err))) {
		cfg_error_raw(c, err);
		return;
	}
	for (int i = 0; i < n; i++)
		tag_entry(c, e, &pairs[i]);
	free(pairs);
	json_decref(c->cfg->tags.all);
	c->cfg->tags.all = ynode_to_json(c->doc, e->value, err, sizeof(err));
	if (c->cfg->tags.all == NULL)
		cfg_error_raw(c, err);
}

static void h_pool_mode(struct cfg_ctx *c, const struct centry *e)
{
	char *mode = c->cfg->pgbouncer.pool_mode;

	if (!store_string(c, e, mode, sizeof(c->cfg->pgbouncer.pool_mode)))
		return;
	if (!str_eq(mode, "session") && !str_eq(mode, "transaction"))
		cfg_error(c, e->line, "%s: '%s' is not supported (session or transaction)", e->path,
		          mode);
}

/* --- the table ---------------------------------------------------------------------- */

#define F(f)     offsetof(struct config, f)
#define FSIZE(f) sizeof(((struct config *)0)->f)
#define SECTION(p)                                    \
	{                                             \
		p, CK_SECTION, 0, 0, 0, 0, NULL, NULL \
	}
#define STR(p, f)                                           \
	{                                                   \
		p, CK_STR, F(f), FSIZE(f), 0, 0, NULL, NULL \
	}
#define LISTEN(p, f)                                           \
	{                                                      \
		p, CK_LISTEN, F(f), FSIZE(f), 0, 0, NULL, NULL \
	}
#define ADDRESS(p, f)                                           \
	{                                                       \
		p, CK_ADDRESS, F(f), FSIZE(f), 0, 0, NULL, NULL \
	}
#define INT(p, f, lo, hi)                              \
	{                                              \
		p, CK_INT, F(f), 0, lo, hi, NULL, NULL \
	}
#define BOOL(p, f)                                    \
	{                                             \
		p, CK_BOOL, F(f), 0, 0, 0, NULL, NULL \
	}
#define STRV(p, f)                                    \
	{                                             \
		p, CK_STRV, F(f), 0, 0, 0, NULL, NULL \
	}
#define FN(p, fn)                              \
	{                                      \
		p, CK_FN, 0, 0, 0, 0, fn, NULL \
	}
#define IGNORED(p, why)                              \
	{                                            \
		p, CK_IGNORED, 0, 0, 0, 0, NULL, why \
	}
#define REFUSED(p, why)                              \
	{                                            \
		p, CK_REFUSED, 0, 0, 0, 0, NULL, why \
	}
#define USER(u)                                                                      \
	SECTION("postgresql.authentication." #u),                                    \
	    STR("postgresql.authentication." #u ".username", postgresql.u.username), \
	    STR("postgresql.authentication." #u ".password", postgresql.u.password)

static const struct ckey ckeys[] = {
    STR("scope", scope),
    FN("namespace", h_namespace),
    STR("name", name),

    SECTION("log"),
    FN("log.level", h_log_level),
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

    FN("etcd3", h_etcd3),
    FN("etcd", h_etcd_alias),
    FN("etcd3.hosts", h_etcd_hosts),
    FN("etcd3.host", h_etcd_host),
    FN("etcd3.url", h_etcd_host),
    FN("etcd3.protocol", h_etcd_protocol),
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
    FN("bootstrap.dcs", h_dcs),
    FN("bootstrap.initdb", h_initdb),
    STRV("bootstrap.pg_hba", bootstrap.pg_hba),
    FN("bootstrap.method", h_bootstrap_method),
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
    FN("postgresql.parameters", h_pg_params),
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

    FN("tags", h_tags),

    SECTION("pgbouncer"),
    BOOL("pgbouncer.enabled", pgbouncer.enabled),
    LISTEN("pgbouncer.listen", pgbouncer.listen),
    STR("pgbouncer.bin", pgbouncer.bin),
    INT("pgbouncer.pool_size", pgbouncer.pool_size, 1, 10000),
    INT("pgbouncer.max_client_conn", pgbouncer.max_client_conn, 1, 1000000),
    FN("pgbouncer.pool_mode", h_pool_mode),

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
		read_section(c, e, tpath);
		break;
	case CK_STR:
		(void)store_string(c, e, field(c, k), k->size);
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
		if (is_empty_value(e->value))
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
