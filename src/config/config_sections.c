/*
 * config_sections.c: the keys whose values need more than a type check: namespace
 * normalisation and log levels (shared with the router's file), the etcd section and
 * its endpoints, bootstrap.dcs (read with the dynamic configuration's own table, as
 * etcd's copy is), initdb options and tags.
 * The key table (config_keys.c) points here; checks across keys are config.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "config/config_engine.h"
#include "config/config_int.h"
#include "config/yaml_tree.h"
#include "util/strutil.h"
#include "util/xalloc.h"

/* --- shared with the router's file ----------------------------------------------------- */

/*
 * "service", "/service", "service/", "//service//" all mean "/service/", and "a//b" is
 * "/a/b/": the form the etcd key prefix is built from, so that an agent and a router
 * given the same namespace in different spellings find the same keys.
 */
bool cfg_text_namespace(struct cfg_ctx *c, const struct cfg_entry *e, int line, const char *in,
                        char *out, size_t size)
{
	char norm[CONFIG_NAME_LEN * 2];
	size_t j = 0;

	if (in[0] == '\0') {
		cfg_error(c, line, "%s: must not be empty", e->path);
		return false;
	}
	norm[j++] = '/';
	for (const char *s = in; *s != '\0' && j + 2 < sizeof(norm); s++)
		if (*s != '/' || norm[j - 1] != '/')
			norm[j++] = *s;
	if (norm[j - 1] != '/')
		norm[j++] = '/';
	norm[j] = '\0';
	return cfg_text_copy(c, e, line, norm, out, size);
}

/* Patroni's log.level takes Python's level names. */
bool cfg_text_log_level(struct cfg_ctx *c, const struct cfg_entry *e, int line, const char *in,
                        char *out, size_t size)
{
	static const struct {
		const char *python;
		const char *pgha;
	} levels[] = {{"debug", "debug"}, {"info", "info"},   {"warning", "warn"},
	              {"warn", "warn"},   {"error", "error"}, {"critical", "error"}};

	for (size_t i = 0; i < ARRAY_LEN(levels); i++)
		if (str_eq_nocase(in, levels[i].python))
			return cfg_text_copy(c, e, line, levels[i].pgha, out, size);
	cfg_error(c, line, "%s: '%s' is not a log level (DEBUG, INFO, WARNING, ERROR)", e->path,
	          in);
	return false;
}

/* --- etcd -------------------------------------------------------------------------------- */

void cfg_read_etcd3(struct cfg_ctx *c, const struct cfg_entry *e)
{
	struct agent_load *a = c->user;

	a->etcd3_seen = true;
	if (a->etcd_alias_seen)
		cfg_error(c, e->line, "both 'etcd' and 'etcd3' sections: keep only one");
	else
		cfg_read_section(c, e, "etcd3");
}

/* Patroni's etcd: (v2) section: same keys; pgha speaks only the v3 API. */
void cfg_read_etcd_alias(struct cfg_ctx *c, const struct cfg_entry *e)
{
	struct agent_load *a = c->user;

	a->etcd_alias_seen = true;
	if (a->etcd3_seen) {
		cfg_error(c, e->line, "both 'etcd' and 'etcd3' sections: keep only one");
		return;
	}
	cfg_warn(c, e->line, "'etcd' section read as 'etcd3': pgha always uses etcd's v3 API");
	cfg_read_section(c, e, "etcd3");
}

/*
 * "host", "host:port", "[v6]:port" or "http(s)://host:port" into "host:port" (default
 * 2379); a scheme given here is remembered for finish_etcd (it must agree with
 * etcd3.protocol and the other hosts).
 */
bool cfg_text_etcd_endpoint(struct cfg_ctx *c, const struct cfg_entry *e, int line, const char *in,
                            char *out, size_t size)
{
	struct agent_load *a = c->user;
	char item[CONFIG_HOST_LEN];
	char host[CONFIG_HOST_LEN];
	char norm[CONFIG_HOST_LEN + 16];
	const char *s;
	int port = 2379;
	bool ok;

	snprintf(item, sizeof(item), "%s", in);
	s = str_trim(item);
	if (str_has_prefix(s, "https://")) {
		a->etcd_https_hosts = true;
		s += strlen("https://");
	} else if (str_has_prefix(s, "http://")) {
		a->etcd_http_hosts = true;
		s += strlen("http://");
	}
	if (s[0] == '[' || strchr(s, ':') != NULL)
		ok = str_split_hostport(s, host, sizeof(host), &port);
	else
		ok = str_copy(host, sizeof(host), s);
	if (!ok || host[0] == '\0' || strpbrk(host, "/ ") != NULL) {
		cfg_error(c, line, "%s: '%s' is not host:port", e->path, in);
		return false;
	}
	snprintf(norm, sizeof(norm), strchr(host, ':') != NULL ? "[%s]:%d" : "%s:%d", host, port);
	return cfg_text_copy(c, e, line, norm, out, size);
}

/* host (or url): one endpoint, used when hosts is absent (config.c decides). */
void cfg_read_etcd_host(struct cfg_ctx *c, const struct cfg_entry *e)
{
	struct agent_load *a = c->user;
	const char *s = cfg_node_string(c, e, e->value);

	if (s != NULL && s[0] != '\0')
		(void)cfg_text_etcd_endpoint(c, e, e->line, s, a->etcd_host, sizeof(a->etcd_host));
}

bool cfg_text_etcd_protocol(struct cfg_ctx *c, const struct cfg_entry *e, int line, const char *in,
                            char *out, size_t size)
{
	if (str_eq_nocase(in, "https"))
		return cfg_text_copy(c, e, line, "https", out, size);
	if (!str_eq_nocase(in, "http") && in[0] != '\0') {
		cfg_error(c, line, "%s: '%s' is not a protocol (http or https)", e->path, in);
		return false;
	}
	return cfg_text_copy(c, e, line, "http", out, size);
}

/* --- bootstrap ------------------------------------------------------------------------- */

/* bootstrap.dcs: into the struct, key by key, and kept as written for etcd. */
void cfg_read_dcs(struct cfg_ctx *c, const struct cfg_entry *e)
{
	struct agent_load *a = c->user;
	struct config *cfg = c->base;
	char err[CONFIG_MSG_LEN];

	a->dcs_line = e->line;
	if (cfg_is_empty(e->value))
		return;
	cfg_read_map(c, e, dyn_config_keys, &cfg->bootstrap.dcs);
	if (!ynode_is_map(e->value))
		return;
	json_decref(cfg->bootstrap.dcs_json);
	cfg->bootstrap.dcs_json = ynode_to_json(c->doc, e->value, err, sizeof(err));
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

static void initdb_option(struct cfg_ctx *c, const struct cfg_entry *e, int line, const char *name,
                          const yaml_node_t *value)
{
	struct config *cfg = c->base;
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
	strv_push(&cfg->bootstrap.initdb, arg);
	free(arg);
}

static void initdb_pair(struct cfg_ctx *c, const yaml_node_t *map, const struct ypair *p, void *arg)
{
	(void)map;
	initdb_option(c, arg, cfg_line(c, p->key), ynode_text(p->key), p->value);
}

static void initdb_map(struct cfg_ctx *c, const struct cfg_entry *e, const yaml_node_t *map)
{
	struct cfg_entry entry = *e;

	cfg_each_pair(c, map, initdb_pair, &entry);
}

/* Patroni's list form ("- data-checksums", "- encoding: UTF8"), or one mapping. */
void cfg_read_initdb(struct cfg_ctx *c, const struct cfg_entry *e)
{
	struct agent_load *a = c->user;
	struct config *cfg = c->base;

	a->initdb_set = true;
	strv_free(cfg->bootstrap.initdb);
	cfg->bootstrap.initdb = strv_new();
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

		if (ynode_is_map(item))
			initdb_map(c, e, item);
		else if ((s = cfg_node_string(c, e, item)) != NULL)
			initdb_option(c, e, cfg_line(c, item), s, NULL);
	}
}

/* --- tags ------------------------------------------------------------------------------ */

/* tags: the known ones into fields (config_tag_keys); all of them kept as JSON. */
void cfg_read_tags(struct cfg_ctx *c, const struct cfg_entry *e)
{
	struct config *cfg = c->base;
	char err[CONFIG_MSG_LEN];

	if (cfg_is_empty(e->value))
		return;
	cfg_read_map(c, e, config_tag_keys, &cfg->tags);
	if (!ynode_is_map(e->value))
		return;
	json_decref(cfg->tags.all);
	cfg->tags.all = ynode_to_json(c->doc, e->value, err, sizeof(err));
	if (cfg->tags.all == NULL)
		cfg_error_raw(c, err);
}
