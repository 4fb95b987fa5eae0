/*
 * router_config.c: the router's configuration file (or a parsed JSON document) into
 * struct router_config, through the configuration engine (config/config_engine.h):
 * the key table with defaults and ranges, then the checks across keys.
 *
 * Top-level keys the router does not read are left to the agent that shares the file
 * (no message); keys under `router:` must be known (a typo must not silently keep a
 * default). Does not: log, open anything but the file, or know what the values are
 * used for.
 */
#include "router/router_config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "config/config_engine.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/strutil.h"
#include "util/xalloc.h"

static const char *const target_names[ROUTER_TARGET__COUNT + 1] = {
    [ROUTER_TARGET_POOLER] = "pooler",
    [ROUTER_TARGET_POSTGRES] = "postgres",
};

const char *router_target_kind_str(enum router_target_kind k)
{
	return (unsigned)k < ROUTER_TARGET__COUNT ? target_names[k] : "?";
}

/* Patroni's etcd: (v2) section name; etcd3: wins when a file has both. */
static void read_etcd_alias(struct cfg_ctx *c, const struct cfg_entry *e)
{
	if (!cfg_map_has(c, e->parent, "etcd3"))
		cfg_read_section(c, e, "etcd3");
}

/* One row per line reads best. */
/* clang-format off */
#define T struct router_config
#define STR(p, f, d, text)     CFG_STR_ROW(T, p, f, d, text)
#define INT(p, f, lo, hi, d)   CFG_INT_ROW(T, p, f, lo, hi, d)
#define HOSTS(p)               CFG_HOSTS_ROW(T, p, etcd_hosts, n_etcd, NULL)
/* clang-format on */

static const char *const protocols[] = {"http", "https", NULL};

static const struct cfg_key router_keys[] = {
    STR("scope", scope, NULL, NULL),
    STR("namespace", namespace_, "service", cfg_text_namespace),
    CFG_SECTION_ROW("log", 0),
    STR("log.level", log_level, NULL, cfg_text_log_level),
    CFG_SECTION_ROW("etcd3", 0),
    HOSTS("etcd3.hosts"),
    HOSTS("etcd3.host"), /* added to hosts */
    STR("etcd3.username", etcd_username, NULL, NULL),
    STR("etcd3.password", etcd_password, NULL, NULL),
    CFG_CHOICE_ROW(T, "etcd3.protocol", etcd_protocol, protocols, "http"),
    STR("etcd3.cacert", etcd_tls.cafile, NULL, NULL),
    STR("etcd3.cert", etcd_tls.certfile, NULL, NULL),
    STR("etcd3.key", etcd_tls.keyfile, NULL, NULL),
    CFG_FN_ROW("etcd", read_etcd_alias),
    /* The nodes' REST APIs, as patronictl reaches them (Patroni's ctl section). */
    CFG_SECTION_ROW("ctl", 0),
    CFG_BOOL_ROW(T, "ctl.insecure", rest_tls.insecure, NULL, 0),
    STR("ctl.cacert", rest_tls.cafile, NULL, NULL),
    STR("ctl.certfile", rest_tls.certfile, NULL, NULL),
    STR("ctl.keyfile", rest_tls.keyfile, NULL, NULL),
    STR("ctl.keyfile_password", rest_tls.key_password, NULL, NULL),
    CFG_SECTION_ROW("restapi", 0),
    STR("restapi.cafile", restapi_cafile, NULL, NULL), /* ctl.cacert's fallback */
    CFG_SECTION_ROW("router", CFG_F_STRICT),
    /* Clients reach the router over the network on real hosts; the lab passes 127.0.0.1. */
    STR("router.rw_listen", rw_listen, "0.0.0.0:5432", cfg_text_listen),
    STR("router.ro_listen", ro_listen, "0.0.0.0:5433", cfg_text_listen),       /* "" = none */
    STR("router.http_listen", http_listen, "127.0.0.1:5480", cfg_text_listen), /* "" = none */
    /* In seconds, as Patroni's timeouts are; the others are in milliseconds. */
    CFG_SECONDS_MS_ROW(T, "router.hold_timeout", hold_timeout_ms, 0, 86400, "30"),
    INT("router.check_interval", check_interval_ms, 10, 3600000, "500"),
    INT("router.check_timeout", check_timeout_ms, 10, 3600000, "1000"),
    INT("router.connect_timeout", connect_timeout_ms, 10, 3600000, "3000"),
    INT("router.rise", rise, 1, 100, "2"),
    INT("router.fall", fall, 1, 100, "2"),
    /* -1 (or null) = no bound */
    CFG_BYTES_ROW(T, "router.max_replica_lag", max_replica_lag_bytes, -1, "-1", CFG_F_NULL_DEFAULT),
    CFG_ENUM_ROW(T, "router.target", target, target_names, "pooler"),
    CFG_BOOL_ROW(T, "router.hold_on_switchover", hold_on_switchover, "true", 0),
    INT("router.max_clients", max_clients, 0, 10000000, "0"), /* 0 = as fds allow */
    INT("router.backlog", backlog, 1, 1000000, "4096"),
    CFG_SECONDS_MS_ROW(T, "router.login_timeout", login_timeout_ms, 0, 3600, "10"),
    CFG_SECONDS_MS_ROW(T, "router.client_idle_timeout", idle_timeout_ms, 0, 604800, "0"),
    INT("router.max_clients_per_address", max_clients_per_address, 0, 10000000, "1000"),
    CFG_BOOL_ROW(T, "router.tcp_keepalive", tcp_keepalive, "true", 0),
    INT("router.tcp_keepidle", tcp_keepidle_s, 1, 32767, "60"),
    INT("router.tcp_keepintvl", tcp_keepintvl_s, 1, 32767, "10"),
    INT("router.tcp_keepcnt", tcp_keepcnt, 1, 127, "6"),
    STR("router.etcd_password_file", etcd_password_file, NULL, NULL),
    CFG_END_ROW,
};

void router_config_defaults(struct router_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	(void)cfg_defaults(router_keys, cfg);
}

/* --- checks across keys ------------------------------------------------------------------ */

/* The listeners bind one address each: no host list, unlike postgresql.listen. */
static void check_listener(struct cfg_ctx *c, const char *path, const char *value,
                           bool may_be_empty)
{
	char host[ROUTER_ADDR_LEN];
	int port;

	if (may_be_empty && value[0] == '\0')
		return;
	if (!str_split_hostport(value, host, sizeof(host), &port) || strchr(host, ',') != NULL)
		cfg_error(c, cfg_key_line(c, path), "%s: \"%s\" is not host:port", path, value);
}

/* finish_tls: credentials and certificates in pairs, TLS settings only with https. */
static void finish_tls(struct cfg_ctx *c)
{
	struct router_config *cfg = c->base;
	const struct tls_client *e = &cfg->etcd_tls;
	struct tls_client *r = &cfg->rest_tls;

	cfg_need_pair(c, "etcd3.username", cfg->etcd_username, "etcd3.password", cfg->etcd_password,
	              "PATRONI_ETCD3_PASSWORD");
	cfg_need_pair(c, "etcd3.password", cfg->etcd_password, "etcd3.username", cfg->etcd_username,
	              "PATRONI_ETCD3_USERNAME");
	cfg_need_pair(c, "etcd3.cert", e->certfile, "etcd3.key", e->keyfile, NULL);
	cfg_need_pair(c, "etcd3.key", e->keyfile, "etcd3.cert", e->certfile, NULL);
	cfg_need_pair(c, "ctl.certfile", r->certfile, "ctl.keyfile", r->keyfile, NULL);
	cfg_need_pair(c, "ctl.keyfile", r->keyfile, "ctl.certfile", r->certfile, NULL);
	if (strcmp(cfg->etcd_protocol, "http") == 0 && (e->cafile[0] || e->certfile[0]))
		cfg_error(
		    c, cfg_key_line(c, "etcd3.cacert"),
		    "etcd3.cacert and etcd3.cert are for TLS, but etcd3.protocol is http: set "
		    "etcd3.protocol: https");
	if (r->cafile[0] == '\0')
		snprintf(r->cafile, sizeof(r->cafile), "%s", cfg->restapi_cafile);
}

/* read_password_file: the first line of a file that only its owner may read. */
static void read_password_file(struct cfg_ctx *c, struct router_config *cfg)
{
	const char *path = cfg->etcd_password_file;
	int line = cfg_key_line(c, "router.etcd_password_file");
	struct stat st;
	char *text;
	size_t len;

	if (stat(path, &st) == -1 || (text = fs_read_file(path, &len)) == NULL) {
		cfg_error(c, line, "router.etcd_password_file: cannot read %s: %s", path,
		          strerror(errno));
		return;
	}
	text[strcspn(text, "\r\n")] = '\0';
	if ((st.st_mode & 077) != 0)
		cfg_error(c, line,
		          "router.etcd_password_file: %s is readable by others (mode %04o): "
		          "chmod 600 it",
		          path, (unsigned)(st.st_mode & 07777));
	else if (text[0] == '\0')
		cfg_error(c, line, "router.etcd_password_file: %s is empty", path);
	else if (!str_copy(cfg->etcd_password, sizeof(cfg->etcd_password), text))
		cfg_error(c, line, "router.etcd_password_file: the password is too long");
	explicit_bzero(text, len);
	free(text);
}

/*
 * etcd_credentials: the password from the file key, or from router.yml itself only when
 * nobody else can read router.yml; then Patroni's variables, which win.
 */
static void etcd_credentials(struct cfg_ctx *c, const char *path)
{
	struct router_config *cfg = c->base;
	struct stat st;

	if (cfg->etcd_password_file[0] != '\0' && cfg->etcd_password[0] != '\0')
		cfg_error(c, cfg_key_line(c, "router.etcd_password_file"),
		          "router.etcd_password_file: etcd3.password is set too: keep one");
	else if (cfg->etcd_password_file[0] != '\0')
		read_password_file(c, cfg);
	else if (cfg->etcd_password[0] != '\0' && path != NULL && stat(path, &st) == 0 &&
	         (st.st_mode & 077) != 0)
		cfg_error(c, cfg_key_line(c, "etcd3.password"),
		          "etcd3.password: %s is readable by others (mode %04o): put the password "
		          "in router.etcd_password_file (mode 0600) or PATRONI_ETCD3_PASSWORD",
		          path, (unsigned)(st.st_mode & 07777));
	cfg_env_override(c, "PATRONI_ETCD3_USERNAME", cfg->etcd_username,
	                 sizeof(cfg->etcd_username));
	cfg_env_override(c, "PATRONI_ETCD3_PASSWORD", cfg->etcd_password,
	                 sizeof(cfg->etcd_password));
}

static void finish(struct cfg_ctx *c, const char *path)
{
	const struct router_config *cfg = c->base;

	if (cfg->scope[0] == '\0' || strchr(cfg->scope, '/') != NULL)
		cfg_error(c, cfg_key_line(c, "scope"),
		          "scope: required (the cluster name, without '/')");
	if (cfg->n_etcd == 0)
		cfg_error(c, cfg_key_line(c, "etcd3.hosts"),
		          "etcd3.hosts: at least one etcd host:port is required");
	check_listener(c, "router.rw_listen", cfg->rw_listen, false);
	check_listener(c, "router.ro_listen", cfg->ro_listen, true);
	check_listener(c, "router.http_listen", cfg->http_listen, true);
	if (strcmp(cfg->rw_listen, cfg->ro_listen) == 0)
		cfg_error(c, cfg_key_line(c, "router.ro_listen"),
		          "router.ro_listen: same address as router.rw_listen");
	etcd_credentials(c, path);
	finish_tls(c); /* after the environment: the pairs are checked as they will be used */
}

bool router_config_from_json(struct router_config *cfg, const json_t *root, char *err,
                             size_t errlen)
{
	struct cfg_ctx c;
	bool ok;

	cfg_ctx_init(&c, router_keys, cfg, NULL, NULL, NULL);
	if (cfg_read_json(&c, root))
		finish(&c, NULL);
	ok = c.n_errors == 0;
	cfg_errors_join(&c, "; ", err, errlen);
	cfg_ctx_free(&c);
	return ok;
}

bool router_config_load(struct router_config *cfg, const char *path, char *err, size_t errlen)
{
	struct cfg_ctx c;
	size_t len;
	char *text;
	bool ok;

	router_config_defaults(cfg);
	text = fs_read_file(path, &len);
	if (text == NULL) {
		err_set(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return false;
	}
	cfg_ctx_init(&c, router_keys, cfg, path, NULL, NULL);
	if (cfg_read_yaml(&c, text, len))
		finish(&c, path);
	free(text);
	ok = c.n_errors == 0;
	cfg_errors_join(&c, "\n", err, errlen);
	cfg_ctx_free(&c);
	return ok;
}
