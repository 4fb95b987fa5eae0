/*
 * router_config.c: YAML (via yaml_to_json) and JSON into struct router_config.
 *
 * Does: defaults, the `router:` key table with validation, Patroni's etcd3 host forms
 * (a list, a comma-separated string, or a single `host`). Does not: log, open
 * anything but the file, or know what the values are used for.
 */
#include "router/router_config.h"

#include <stdio.h>
#include <string.h>
#include "util/strutil.h"
#include "util/xalloc.h"

void router_config_defaults(struct router_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->namespace_, sizeof(cfg->namespace_), "/service/");
	/* Clients reach the router over the network on real hosts; the lab passes 127.0.0.1. */
	snprintf(cfg->rw_listen, sizeof(cfg->rw_listen), "0.0.0.0:5432");
	snprintf(cfg->ro_listen, sizeof(cfg->ro_listen), "0.0.0.0:5433");
	snprintf(cfg->http_listen, sizeof(cfg->http_listen), "127.0.0.1:5480");
	cfg->hold_timeout_ms = 30000;
	cfg->check_interval_ms = 500;
	cfg->check_timeout_ms = 1000;
	cfg->rise = 2;
	cfg->fall = 2;
	cfg->max_replica_lag_bytes = -1;
	cfg->connect_timeout_ms = 3000;
	cfg->target = ROUTER_TARGET_POOLER;
	cfg->hold_on_switchover = true;
	cfg->max_clients = 0;
	cfg->backlog = 4096;
}

const char *router_target_kind_str(enum router_target_kind k)
{
	switch (k) {
	case ROUTER_TARGET_POOLER:
		return "pooler";
	case ROUTER_TARGET_POSTGRES:
		return "postgres";
	case ROUTER_TARGET__COUNT:
		break;
	}
	return "?";
}

/* --- typed getters: each returns false with a message naming the key ------------- */

static bool get_string(const json_t *v, const char *key, char *out, size_t size, char *err,
                       size_t errlen)
{
	if (!json_is_string(v)) {
		snprintf(err, errlen, "%s: expected a string", key);
		return false;
	}
	if (!str_copy(out, size, json_string_value(v))) {
		snprintf(err, errlen, "%s: longer than %zu bytes", key, size - 1);
		return false;
	}
	return true;
}

static bool get_int(const json_t *v, const char *key, int64_t min, int64_t max, int64_t *out,
                    char *err, size_t errlen)
{
	int64_t x;

	if (json_is_integer(v))
		x = (int64_t)json_integer_value(v);
	else if (!json_is_string(v) || !str_parse_i64(json_string_value(v), &x)) {
		snprintf(err, errlen, "%s: expected an integer", key);
		return false;
	}
	if (x < min || x > max) {
		snprintf(err, errlen, "%s: %lld is out of range [%lld, %lld]", key, (long long)x,
		         (long long)min, (long long)max);
		return false;
	}
	*out = x;
	return true;
}

static bool get_bool(const json_t *v, const char *key, bool *out, char *err, size_t errlen)
{
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return true;
	}
	if (json_is_string(v) && str_parse_bool(json_string_value(v), out))
		return true;
	snprintf(err, errlen, "%s: expected true or false", key);
	return false;
}

/* hold_timeout is in seconds (as Patroni's timeouts are) and may be fractional. */
static bool get_seconds_as_ms(const json_t *v, const char *key, int *out_ms, char *err,
                              size_t errlen)
{
	double s;

	if (json_is_integer(v))
		s = (double)json_integer_value(v);
	else if (json_is_real(v))
		s = json_real_value(v);
	else {
		snprintf(err, errlen, "%s: expected a number of seconds", key);
		return false;
	}
	if (!(s >= 0.0 && s <= 86400.0)) {
		snprintf(err, errlen, "%s: must be between 0 and 86400 seconds", key);
		return false;
	}
	*out_ms = (int)(s * 1000.0);
	return true;
}

static bool get_lag(const json_t *v, int64_t *out, char *err, size_t errlen)
{
	if (json_is_null(v)) {
		*out = -1;
		return true;
	}
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (int64_t)json_integer_value(v);
		return true;
	}
	if (json_is_string(v) && str_parse_bytes(json_string_value(v), out))
		return true;
	snprintf(err, errlen, "router.max_replica_lag: expected bytes (e.g. 1048576 or 16MB)");
	return false;
}

static bool get_target(const json_t *v, enum router_target_kind *out, char *err, size_t errlen)
{
	const char *s = json_string_value(v);

	for (int k = 0; s != NULL && k < ROUTER_TARGET__COUNT; k++) {
		if (strcmp(s, router_target_kind_str((enum router_target_kind)k)) == 0) {
			*out = (enum router_target_kind)k;
			return true;
		}
	}
	snprintf(err, errlen, "router.target: expected \"pooler\" or \"postgres\"");
	return false;
}

static bool check_hostport(const char *key, const char *value, bool may_be_empty, char *err,
                           size_t errlen)
{
	char host[ROUTER_ADDR_LEN];
	int port;

	if (may_be_empty && value[0] == '\0')
		return true;
	if (!str_split_hostport(value, host, sizeof(host), &port)) {
		snprintf(err, errlen, "%s: \"%s\" is not host:port", key, value);
		return false;
	}
	return true;
}

/* --- the router: section ---------------------------------------------------------- */

static bool set_int_key(struct router_config *cfg, const char *key, const json_t *v, char *err,
                        size_t errlen)
{
	static const struct {
		const char *name;
		size_t offset;
		int64_t min, max;
	} keys[] = {
	    {"check_interval", offsetof(struct router_config, check_interval_ms), 10, 3600000},
	    {"check_timeout", offsetof(struct router_config, check_timeout_ms), 10, 3600000},
	    {"connect_timeout", offsetof(struct router_config, connect_timeout_ms), 10, 3600000},
	    {"rise", offsetof(struct router_config, rise), 1, 100},
	    {"fall", offsetof(struct router_config, fall), 1, 100},
	    {"max_clients", offsetof(struct router_config, max_clients), 0, 10000000},
	    {"backlog", offsetof(struct router_config, backlog), 1, 1000000},
	};
	char name[96];
	int64_t x;

	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		if (strcmp(key, keys[i].name) != 0)
			continue;
		snprintf(name, sizeof(name), "router.%s", key);
		if (!get_int(v, name, keys[i].min, keys[i].max, &x, err, errlen))
			return false;
		*(int *)(void *)((char *)cfg + keys[i].offset) = (int)x;
		return true;
	}
	snprintf(err, errlen, "router.%s: unknown key", key);
	return false;
}

static bool set_router_key(struct router_config *cfg, const char *key, const json_t *v, char *err,
                           size_t errlen)
{
	if (strcmp(key, "rw_listen") == 0)
		return get_string(v, "router.rw_listen", cfg->rw_listen, sizeof(cfg->rw_listen),
		                  err, errlen);
	if (strcmp(key, "ro_listen") == 0)
		return get_string(v, "router.ro_listen", cfg->ro_listen, sizeof(cfg->ro_listen),
		                  err, errlen);
	if (strcmp(key, "http_listen") == 0)
		return get_string(v, "router.http_listen", cfg->http_listen,
		                  sizeof(cfg->http_listen), err, errlen);
	if (strcmp(key, "hold_timeout") == 0)
		return get_seconds_as_ms(v, "router.hold_timeout", &cfg->hold_timeout_ms, err,
		                         errlen);
	if (strcmp(key, "max_replica_lag") == 0)
		return get_lag(v, &cfg->max_replica_lag_bytes, err, errlen);
	if (strcmp(key, "target") == 0)
		return get_target(v, &cfg->target, err, errlen);
	if (strcmp(key, "hold_on_switchover") == 0)
		return get_bool(v, "router.hold_on_switchover", &cfg->hold_on_switchover, err,
		                errlen);
	return set_int_key(cfg, key, v, err, errlen);
}

static bool apply_router(struct router_config *cfg, const json_t *router, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	if (router == NULL || json_is_null(router))
		return true;
	if (!json_is_object(router)) {
		snprintf(err, errlen, "router: expected a mapping");
		return false;
	}
	json_object_foreach((json_t *)(uintptr_t)router, key, v)
	{
		if (!set_router_key(cfg, key, v, err, errlen))
			return false;
	}
	return true;
}

/* --- etcd hosts ---------------------------------------------------------------------- */

static bool add_etcd_host(struct router_config *cfg, const char *text, char *err, size_t errlen)
{
	char *copy = xstrdup(text);
	char *h = str_trim(copy);
	bool ok = true;

	if (*h == '\0') {
		free(copy);
		return true;
	}
	if (cfg->n_etcd == ROUTER_MAX_ETCD) {
		snprintf(err, errlen, "etcd3.hosts: more than %d hosts", ROUTER_MAX_ETCD);
		ok = false;
	} else if (!str_copy(cfg->etcd_hosts[cfg->n_etcd], ROUTER_ADDR_LEN, h)) {
		snprintf(err, errlen, "etcd3.hosts: \"%s\" is too long", h);
		ok = false;
	} else {
		cfg->n_etcd++;
	}
	free(copy);
	return ok;
}

static bool add_etcd_csv(struct router_config *cfg, const char *csv, char *err, size_t errlen)
{
	char *copy = xstrdup(csv);
	char *save = NULL;
	bool ok = true;

	for (char *p = strtok_r(copy, ",", &save); ok && p != NULL; p = strtok_r(NULL, ",", &save))
		ok = add_etcd_host(cfg, p, err, errlen);
	free(copy);
	return ok;
}

static bool apply_etcd(struct router_config *cfg, const json_t *etcd, char *err, size_t errlen)
{
	const json_t *hosts = json_object_get(etcd, "hosts");
	const json_t *host = json_object_get(etcd, "host");
	size_t i;
	json_t *h;

	cfg->n_etcd = 0;
	if (json_is_string(hosts) && !add_etcd_csv(cfg, json_string_value(hosts), err, errlen))
		return false;
	json_array_foreach(hosts, i, h)
	{
		if (!json_is_string(h)) {
			snprintf(err, errlen, "etcd3.hosts: expected host:port strings");
			return false;
		}
		if (!add_etcd_host(cfg, json_string_value(h), err, errlen))
			return false;
	}
	if (json_is_string(host) && !add_etcd_host(cfg, json_string_value(host), err, errlen))
		return false;
	return true;
}

static bool apply_etcd_section(struct router_config *cfg, const json_t *etcd, char *err,
                               size_t errlen)
{
	const json_t *user;
	const json_t *pass;

	if (!json_is_object(etcd)) {
		snprintf(err, errlen, "etcd3: expected a mapping");
		return false;
	}
	user = json_object_get(etcd, "username");
	pass = json_object_get(etcd, "password");
	if (user != NULL && !get_string(user, "etcd3.username", cfg->etcd_username,
	                                sizeof(cfg->etcd_username), err, errlen))
		return false;
	if (pass != NULL && !get_string(pass, "etcd3.password", cfg->etcd_password,
	                                sizeof(cfg->etcd_password), err, errlen))
		return false;
	return apply_etcd(cfg, etcd, err, errlen);
}

/* --- top level --------------------------------------------------------------------- */

static bool apply_namespace(struct router_config *cfg, const json_t *v, char *err, size_t errlen)
{
	char raw[ROUTER_NAME_LEN];
	const char *s = raw;
	size_t len;

	if (!get_string(v, "namespace", raw, sizeof(raw), err, errlen))
		return false;
	while (*s == '/')
		s++;
	len = strlen(s);
	while (len > 0 && s[len - 1] == '/')
		len--;
	if (len == 0 || len + 3 > sizeof(cfg->namespace_)) {
		snprintf(err, errlen, "namespace: \"%s\" is empty or too long", raw);
		return false;
	}
	snprintf(cfg->namespace_, sizeof(cfg->namespace_), "/%.*s/", (int)len, s);
	return true;
}

static bool apply_top(struct router_config *cfg, const json_t *root, char *err, size_t errlen)
{
	const json_t *v;

	if ((v = json_object_get(root, "scope")) != NULL &&
	    !get_string(v, "scope", cfg->scope, sizeof(cfg->scope), err, errlen))
		return false;
	if ((v = json_object_get(root, "namespace")) != NULL &&
	    !apply_namespace(cfg, v, err, errlen))
		return false;
	v = json_object_get(root, "etcd3");
	if (v == NULL)
		v = json_object_get(root, "etcd");
	if (v != NULL && !apply_etcd_section(cfg, v, err, errlen))
		return false;
	v = json_object_get(json_object_get(root, "log"), "level");
	if (v != NULL &&
	    !get_string(v, "log.level", cfg->log_level, sizeof(cfg->log_level), err, errlen))
		return false;
	return true;
}

static bool validate(const struct router_config *cfg, char *err, size_t errlen)
{
	if (cfg->scope[0] == '\0' || strchr(cfg->scope, '/') != NULL) {
		snprintf(err, errlen, "scope: required (the cluster name, without '/')");
		return false;
	}
	if (cfg->n_etcd == 0) {
		snprintf(err, errlen, "etcd3.hosts: at least one etcd host:port is required");
		return false;
	}
	if (!check_hostport("router.rw_listen", cfg->rw_listen, false, err, errlen) ||
	    !check_hostport("router.ro_listen", cfg->ro_listen, true, err, errlen) ||
	    !check_hostport("router.http_listen", cfg->http_listen, true, err, errlen))
		return false;
	if (strcmp(cfg->rw_listen, cfg->ro_listen) == 0) {
		snprintf(err, errlen, "router.ro_listen: same address as router.rw_listen");
		return false;
	}
	return true;
}

bool router_config_from_json(struct router_config *cfg, const json_t *root, char *err,
                             size_t errlen)
{
	if (!json_is_object(root)) {
		snprintf(err, errlen, "the configuration must be a mapping");
		return false;
	}
	return apply_top(cfg, root, err, errlen) &&
	       apply_router(cfg, json_object_get(root, "router"), err, errlen) &&
	       validate(cfg, err, errlen);
}
