/*
 * config_sections.c: the keys whose values need more than a type check: namespace
 * normalisation, log levels, etcd endpoints, PostgreSQL parameters, bootstrap.dcs
 * (read through dyn_config.c, as etcd's copy is), initdb options and tags.
 * The key table (config_keys.c) points here; checks across keys are config.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "config/config_int.h"
#include "config/yaml_tree.h"
#include "util/strutil.h"
#include "util/xalloc.h"

/* "service", "/service", "service/", "//service//" all mean "/service/". */
void cfg_read_namespace(struct cfg_ctx *c, const struct centry *e)
{
	char raw[CONFIG_NAME_LEN], norm[CONFIG_NAME_LEN + 2];
	size_t j = 0;

	if (!cfg_store_string(c, e, raw, sizeof(raw)))
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
void cfg_read_log_level(struct cfg_ctx *c, const struct centry *e)
{
	static const struct {
		const char *python;
		const char *pgha;
	} levels[] = {{"debug", "debug"}, {"info", "info"},   {"warning", "warn"},
	              {"warn", "warn"},   {"error", "error"}, {"critical", "error"}};
	char level[16];

	if (!cfg_store_string(c, e, level, sizeof(level)))
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

void cfg_read_etcd3(struct cfg_ctx *c, const struct centry *e)
{
	c->etcd3_seen = true;
	if (c->etcd_alias_seen)
		cfg_error(c, e->line, "both 'etcd' and 'etcd3' sections: keep only one");
	else
		cfg_read_section(c, e, "etcd3");
}

/* Patroni's etcd: (v2) section: same keys; pgha speaks only the v3 API. */
void cfg_read_etcd_alias(struct cfg_ctx *c, const struct centry *e)
{
	c->etcd_alias_seen = true;
	if (c->etcd3_seen) {
		cfg_error(c, e->line, "both 'etcd' and 'etcd3' sections: keep only one");
		return;
	}
	cfg_warn(c, e->line, "'etcd' section read as 'etcd3': pgha always uses etcd's v3 API");
	cfg_read_section(c, e, "etcd3");
}

/* "host", "host:port", "[v6]:port" or "http://host:port" into "host:port" (default 2379). */
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

static void etcd_hosts_list(struct cfg_ctx *c, const struct centry *e)
{
	for (int i = 0; i < yseq_len(e->value); i++) {
		yaml_node_t *item = yseq_item(c->doc, e->value, i);
		const char *s = cfg_node_string(c, e, item);

		if (s != NULL)
			add_etcd_host(c, e, ynode_line(item), s);
	}
}

static void etcd_hosts_string(struct cfg_ctx *c, const struct centry *e)
{
	const char *list = cfg_node_string(c, e, e->value);
	char *copy, *save = NULL;

	if (list == NULL)
		return;
	copy = xstrdup(list);
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
		add_etcd_host(c, e, e->line, tok);
	free(copy);
}

/* hosts: a YAML list, or "h1:2379,h2:2379" as Patroni also accepts. */
void cfg_read_etcd_hosts(struct cfg_ctx *c, const struct centry *e)
{
	c->cfg->etcd.n_hosts = 0;
	if (ynode_is_seq(e->value))
		etcd_hosts_list(c, e);
	else
		etcd_hosts_string(c, e);
}

/* host (or url): one endpoint, used when hosts is absent (config.c decides). */
void cfg_read_etcd_host(struct cfg_ctx *c, const struct centry *e)
{
	const char *s = cfg_node_string(c, e, e->value);

	if (s != NULL && s[0] != '\0')
		(void)etcd_endpoint(c, e, e->line, s, c->etcd_host, sizeof(c->etcd_host));
}

void cfg_read_etcd_protocol(struct cfg_ctx *c, const struct centry *e)
{
	char proto[16];

	if (!cfg_store_string(c, e, proto, sizeof(proto)))
		return;
	if (str_eq_nocase(proto, "https"))
		cfg_error(c, e->line, "%s: https is not supported by pgha (use http)", e->path);
	else if (!str_eq_nocase(proto, "http") && proto[0] != '\0')
		cfg_error(c, e->line, "%s: '%s' is not a protocol (http)", e->path, proto);
}

/* One parameter as written: numbers keep their text, booleans become on/off. */
static void read_param(struct cfg_ctx *c, const struct centry *e, const struct ypair *p,
                       struct pg_params *dst)
{
	const char *name = ynode_text(p->key);
	int line = ynode_line(p->key);
	struct yscalar v;

	if (!pg_params_valid_name(name)) {
		cfg_error(c, line, "%s: '%s' is not a parameter name", e->path, name);
		return;
	}
	if (!ynode_is_scalar(p->value) || ynode_text_has_nul(p->value)) {
		cfg_error(c, line, "%s.%s: expected a value, got %s", e->path, name,
		          ynode_type_name(p->value));
		return;
	}
	yscalar_resolve(p->value, &v);
	if (v.type == YS_NULL)
		cfg_warn(c, line, "%s.%s: no value, ignored", e->path, name);
	else if (!pg_params_valid_value(ynode_text(p->value)))
		cfg_error(c, line, "%s.%s: the value spans several lines", e->path, name);
	else if (v.type == YS_BOOL)
		pg_params_set(dst, name, v.b ? "on" : "off");
	else
		pg_params_set(dst, name, ynode_text(p->value));
}

static void read_params(struct cfg_ctx *c, const struct centry *e, struct pg_params *dst)
{
	struct ypair *pairs;
	int n;
	char err[CONFIG_MSG_LEN];

	if (cfg_is_empty(e->value))
		return;
	if (!ynode_is_map(e->value)) {
		cfg_type_error(c, e, "a mapping of parameter: value");
		return;
	}
	if (!ymap_pairs(c->doc, e->value, &pairs, &n, err, sizeof(err))) {
		cfg_error_raw(c, err);
		return;
	}
	for (int i = 0; i < n; i++)
		read_param(c, e, &pairs[i], dst);
	free(pairs);
}

void cfg_read_pg_params(struct cfg_ctx *c, const struct centry *e)
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
	if (cfg_is_empty(pg->value))
		return;
	if (!ynode_is_map(pg->value)) {
		cfg_type_error(c, &sub, "a mapping");
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
void cfg_read_dcs(struct cfg_ctx *c, const struct centry *e)
{
	struct ypair *pairs;
	int n;
	char err[CONFIG_MSG_LEN];

	c->dcs_line = e->line;
	if (cfg_is_empty(e->value))
		return;
	if (!ynode_is_map(e->value)) {
		cfg_type_error(c, e, "a mapping");
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
void cfg_read_initdb(struct cfg_ctx *c, const struct centry *e)
{
	c->initdb_set = true;
	strv_free(c->cfg->bootstrap.initdb);
	c->cfg->bootstrap.initdb = strv_new();
	if (cfg_is_empty(e->value))
		return;
	if (ynode_is_map(e->value)) {
		initdb_map(c, e, e->value);
		return;
	}
	if (!ynode_is_seq(e->value)) {
		cfg_type_error(c, e, "a list of options");
		return;
	}
	for (int i = 0; i < yseq_len(e->value); i++) {
		yaml_node_t *item = yseq_item(c->doc, e->value, i);
		const char *s;

		if (ynode_is_map(item)) {
			initdb_map(c, e, item);
		} else if ((s = cfg_node_string(c, e, item)) != NULL) {
			initdb_option(c, e, ynode_line(item), s, NULL);
		}
	}
}

void cfg_read_bootstrap_method(struct cfg_ctx *c, const struct centry *e)
{
	const char *s = cfg_node_string(c, e, e->value);

	if (s != NULL && s[0] != '\0' && !str_eq(s, "initdb"))
		cfg_error(c, e->line,
		          "%s: custom bootstrap '%s' is not supported by pgha (initdb only)",
		          e->path, s);
}

static bool *tag_flag(struct tags *t, const char *name)
{
	if (str_eq(name, "nofailover"))
		return &t->nofailover;
	if (str_eq(name, "noloadbalance"))
		return &t->noloadbalance;
	if (str_eq(name, "nosync"))
		return &t->nosync;
	if (str_eq(name, "clonefrom"))
		return &t->clonefrom;
	return NULL;
}

static void tag_priority(struct cfg_ctx *c, const struct centry *e, int line,
                         const yaml_node_t *value)
{
	int64_t prio;

	c->failover_priority_set = true;
	if (!cfg_node_int(value, &prio) || prio < 0 || prio > 1000000)
		cfg_error(c, line, "%s.failover_priority: expected an integer from 0 to 1000000",
		          e->path);
	else
		c->cfg->tags.failover_priority = (int)prio;
}

static void tag_entry(struct cfg_ctx *c, const struct centry *e, const struct ypair *p)
{
	const char *name = ynode_text(p->key);
	int line = ynode_line(p->key);
	bool *flag = tag_flag(&c->cfg->tags, name);

	if (flag != NULL && !cfg_is_empty(p->value) && !cfg_node_bool(p->value, flag))
		cfg_error(c, line, "%s.%s: expected a boolean (true/false), got %s", e->path, name,
		          ynode_type_name(p->value));
	if (str_eq(name, "failover_priority"))
		tag_priority(c, e, line, p->value);
	if (str_eq(name, "replicatefrom") || str_eq(name, "nostream") ||
	    str_eq(name, "sync_priority"))
		cfg_warn(c, line, "'%s.%s' is not supported by pgha (published, but ignored)",
		         e->path, name);
}

/* tags: the known ones into fields; all of them (also user tags) kept as JSON. */
void cfg_read_tags(struct cfg_ctx *c, const struct centry *e)
{
	struct ypair *pairs;
	int n;
	char err[CONFIG_MSG_LEN];

	if (cfg_is_empty(e->value))
		return;
	if (!ynode_is_map(e->value)) {
		cfg_type_error(c, e, "a mapping");
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

void cfg_read_pool_mode(struct cfg_ctx *c, const struct centry *e)
{
	char *mode = c->cfg->pgbouncer.pool_mode;

	if (!cfg_store_string(c, e, mode, sizeof(c->cfg->pgbouncer.pool_mode)))
		return;
	if (!str_eq(mode, "session") && !str_eq(mode, "transaction"))
		cfg_error(c, e->line, "%s: '%s' is not supported (session or transaction)", e->path,
		          mode);
}
