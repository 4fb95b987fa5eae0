/*
 * config.c: loading the agent's configuration: the table's defaults, the walk of the
 * file through it (config_keys.c, by config_engine.c), then what concerns several keys
 * at once: required keys, environment overrides, derived defaults (connect addresses,
 * users, pgpass) and checks across keys (timings, tags, PgBouncer).
 *
 * It does not read the cluster-wide configuration from etcd (dyn_config.c converts
 * it) and it does not log: every problem becomes a "file:line: message" for the caller.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "config/config_engine.h"
#include "config/config_int.h"
#include "config/yaml_tree.h"
#include "util/envsecret.h"
#include "util/fsutil.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define DEFAULT_BIN_DIR "/usr/lib/postgresql/15/bin"

/* --- after the file ---------------------------------------------------------------------- */

static void require(struct cfg_ctx *c, const char *path, const char *value)
{
	int line = cfg_key_line(c, path);

	/* Empty after a refused value: that value's error says enough. */
	if (value[0] != '\0' || cfg_key_bad(c, path))
		return;
	if (line > 0)
		cfg_error(c, line, "%s: must not be empty", path);
	else
		cfg_error(c, 0, "missing required key '%s'", path);
}

static void check_required(struct cfg_ctx *c)
{
	struct config *cfg = c->base;

	require(c, "scope", cfg->scope);
	require(c, "name", cfg->name);
	require(c, "restapi.listen", cfg->restapi.listen);
	require(c, "postgresql.listen", cfg->postgresql.listen);
	require(c, "postgresql.data_dir", cfg->postgresql.data_dir);
	if (strchr(cfg->scope, '/') != NULL)
		cfg_error(c, cfg_key_line(c, "scope"), "scope: '%s' must not contain '/'",
		          cfg->scope);
}

static void env_user(struct cfg_ctx *c, const char *prefix, char *user, size_t user_size,
                     char *password, size_t password_size)
{
	char var[64];

	snprintf(var, sizeof(var), "PATRONI_%s_USERNAME", prefix);
	cfg_env_override(c, var, user, user_size);
	snprintf(var, sizeof(var), "PATRONI_%s_PASSWORD", prefix);
	cfg_env_override(c, var, password, password_size);
}

#define ENV_USER(c, prefix, u)                                                   \
	env_user(c, prefix, (u)->username, sizeof((u)->username), (u)->password, \
	         sizeof((u)->password))

static void apply_env(struct cfg_ctx *c)
{
	struct config *cfg = c->base;

	ENV_USER(c, "SUPERUSER", &cfg->postgresql.superuser);
	ENV_USER(c, "REPLICATION", &cfg->postgresql.replication);
	ENV_USER(c, "REWIND", &cfg->postgresql.rewind);
	env_user(c, "RESTAPI", cfg->restapi.username, sizeof(cfg->restapi.username),
	         cfg->restapi.password, sizeof(cfg->restapi.password));
	env_user(c, "ETCD3", cfg->etcd.username, sizeof(cfg->etcd.username), cfg->etcd.password,
	         sizeof(cfg->etcd.password));
}

static void default_users(struct config *cfg)
{
	if (cfg->postgresql.superuser.username[0] == '\0')
		snprintf(cfg->postgresql.superuser.username, CONFIG_NAME_LEN, "postgres");
	if (cfg->postgresql.replication.username[0] == '\0')
		snprintf(cfg->postgresql.replication.username, CONFIG_NAME_LEN, "replicator");
	/* No rewind user: pg_rewind connects as the superuser, as in Patroni. */
	if (cfg->postgresql.rewind.username[0] == '\0')
		cfg->postgresql.rewind = cfg->postgresql.superuser;
}

/*
 * connect_address defaults to listen, but "*:5432" or "0.0.0.0:8008" tells no peer
 * where to connect: then the user has to say it.
 */
static void default_connect(struct cfg_ctx *c, const char *section, const char *listen,
                            char *connect, size_t size)
{
	char host[CONFIG_HOST_LEN];
	const char *colon = strrchr(listen, ':');
	size_t hlen;

	if (connect[0] != '\0' || colon == NULL)
		return; /* set, or listen is missing/invalid (reported already) */
	hlen = MIN((size_t)(colon - listen), strcspn(listen, ","));
	snprintf(host, sizeof(host), "%.*s", (int)hlen, listen);
	if (cfg_is_wildcard_host(host)) {
		char lpath[64];

		snprintf(lpath, sizeof(lpath), "%s.listen", section);
		cfg_error(c, cfg_key_line(c, lpath),
		          "%s.listen '%s' is not an address other nodes can connect to: set "
		          "%s.connect_address",
		          section, listen, section);
		return;
	}
	snprintf(connect, size, strchr(host, ':') && host[0] != '[' ? "[%s]%s" : "%s%s", host,
	         colon);
}

static void finish_etcd(struct cfg_ctx *c)
{
	struct config *cfg = c->base;

	const struct agent_load *a = c->user;

	if (cfg->etcd.n_hosts > 0 && a->etcd_host[0] != '\0')
		cfg_warn(c, cfg_key_line(c, "etcd3.host"),
		         "etcd3.host ignored: etcd3.hosts is set");
	if (cfg->etcd.n_hosts == 0 && a->etcd_host[0] != '\0')
		snprintf(cfg->etcd.hosts[cfg->etcd.n_hosts++], CONFIG_HOST_LEN, "%s", a->etcd_host);
	if (cfg->etcd.n_hosts == 0 && cfg_key_line(c, "etcd3.hosts") == 0 &&
	    cfg_key_line(c, "etcd3.host") == 0 && cfg_key_line(c, "etcd3.url") == 0)
		cfg_error(c, 0,
		          "missing required key 'etcd3.hosts' (or etcd3.host): the etcd "
		          "endpoints");
	else if (cfg->etcd.n_hosts == 0)
		cfg_error(c, MAX(cfg_key_line(c, "etcd3.hosts"), cfg_key_line(c, "etcd3.host")),
		          "etcd3: no etcd endpoint given");
}

static void make_absolute(struct cfg_ctx *c, const char *path, char *value, size_t size)
{
	char abs[PATH_MAX];

	if (value[0] == '\0' || value[0] == '/')
		return;
	if (!fs_abspath(value, abs, sizeof(abs)) || !str_copy(value, size, abs))
		cfg_error(c, cfg_key_line(c, path), "%s: cannot make '%s' an absolute path", path,
		          value);
}

static void strip_trailing_slashes(char *path)
{
	size_t len = strlen(path);

	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
}

/* socket_dir: the first unix_socket_directories entry, relative ones to data_dir. */
static void set_socket_dir(struct config *cfg)
{
	const char *dirs = pg_params_get(&cfg->postgresql.parameters, "unix_socket_directories");
	char first[PATH_MAX];

	if (dirs == NULL)
		dirs = pg_params_get(&cfg->bootstrap.dcs.parameters, "unix_socket_directories");
	if (dirs == NULL)
		return;
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(dirs, ","), dirs);
	str_trim(first);
	if (first[0] == '/' || first[0] == '\0')
		snprintf(cfg->postgresql.socket_dir, PATH_MAX, "%s", first);
	else if (snprintf(cfg->postgresql.socket_dir, PATH_MAX, "%s/%s", cfg->postgresql.data_dir,
	                  first) >= PATH_MAX)
		cfg->postgresql.socket_dir[0] = '\0';
}

static void finish_postgresql(struct cfg_ctx *c)
{
	struct config *cfg = c->base;
	const char *colon = strrchr(cfg->postgresql.listen, ':');

	if (colon == NULL || !str_parse_int(colon + 1, &cfg->postgresql.port))
		cfg->postgresql.port = 0;
	if (cfg->postgresql.bin_dir[0] == '\0')
		snprintf(cfg->postgresql.bin_dir, PATH_MAX, DEFAULT_BIN_DIR);
	make_absolute(c, "postgresql.data_dir", cfg->postgresql.data_dir, PATH_MAX);
	strip_trailing_slashes(cfg->postgresql.data_dir);
	if (cfg->postgresql.pgpass[0] == '\0' && cfg->postgresql.data_dir[0] != '\0' &&
	    snprintf(cfg->postgresql.pgpass, PATH_MAX, "%s.pgpass", cfg->postgresql.data_dir) >=
	        PATH_MAX)
		cfg_error(c, 0, "postgresql.pgpass: default path too long: set it");
	make_absolute(c, "postgresql.pgpass", cfg->postgresql.pgpass, PATH_MAX);
	set_socket_dir(cfg);
	cfg->postgresql.use_pg_rewind_set = cfg_key_line(c, "postgresql.use_pg_rewind") > 0;
	cfg->postgresql.remove_data_directory_on_rewind_failure_set =
	    cfg_key_line(c, "postgresql.remove_data_directory_on_rewind_failure") > 0;
	if (!((const struct agent_load *)c->user)->initdb_set)
		strv_push(&cfg->bootstrap.initdb, "--data-checksums"); /* pg_rewind needs it */
}

/* The effective values written over the section as the user typed it. */
static void build_dcs_json(struct config *cfg)
{
	json_t *eff = dyn_config_to_json(&cfg->bootstrap.dcs);
	json_t *pg = json_object_get(eff, "postgresql");

	/* Parameters and pg_hba stay as written (typed), like the rest of the section. */
	json_object_del(pg, "parameters");
	json_object_del(pg, "pg_hba");
	if (!json_is_object(cfg->bootstrap.dcs_json)) {
		json_decref(cfg->bootstrap.dcs_json);
		cfg->bootstrap.dcs_json = json_object();
	}
	json_object_update_recursive(cfg->bootstrap.dcs_json, eff);
	json_decref(eff);
}

static void finish_dcs(struct cfg_ctx *c)
{
	const struct dyn_config *d = &((struct config *)c->base)->bootstrap.dcs;

	/* An error, not Patroni's silent repair: the operator wrote these values. */
	if (!dyn_config_timing_ok(d))
		cfg_error(
		    c, ((const struct agent_load *)c->user)->dcs_line,
		    "bootstrap.dcs: ttl (%d) must be at least 2 s (etcd's minimum lease), "
		    "loop_wait (%d) and retry_timeout (%d) at least 1 s, and loop_wait at most ttl",
		    d->ttl_s, d->loop_wait_s, d->retry_timeout_s);
	build_dcs_json(c->base);
}

static void finish_tags(struct cfg_ctx *c)
{
	struct tags *t = &((struct config *)c->base)->tags;

	if (t->all == NULL)
		t->all = json_object();
	if (t->nofailover && cfg_key_set(c, "tags.failover_priority") && t->failover_priority > 0)
		cfg_warn(c, cfg_key_line(c, "tags"),
		         "tags: nofailover is true, so failover_priority %d is ignored",
		         t->failover_priority);
	if (t->nofailover)
		t->failover_priority = 0;
	if (t->failover_priority == 0)
		t->nofailover = true;
}

static bool has_checksums(char *const *initdb)
{
	for (size_t i = 0; initdb[i] != NULL; i++)
		if (str_eq(initdb[i], "--data-checksums"))
			return true;
	return false;
}

static void finish_misc(struct cfg_ctx *c)
{
	struct config *cfg = c->base;
	struct pg_params params;
	bool hints = false;
	const char *v;

	if (cfg->pgbouncer.enabled && cfg->pgbouncer.listen[0] == '\0')
		cfg_error(c, cfg_key_line(c, "pgbouncer.enabled"),
		          "pgbouncer.listen: required when pgbouncer.enabled is true");
	config_pg_params(cfg, &cfg->bootstrap.dcs, &params);
	v = pg_params_get(&params, "wal_log_hints");
	if (v != NULL && !str_parse_bool(v, &hints))
		hints = false;
	if (config_use_pg_rewind(cfg, &cfg->bootstrap.dcs) && !hints &&
	    !has_checksums(cfg->bootstrap.initdb))
		cfg_warn(
		    c, cfg_key_line(c, "bootstrap.initdb"),
		    "bootstrap.initdb: without data-checksums, pg_rewind needs wal_log_hints: on");
	pg_params_free(&params);
}

/* uses_builtin_pgbackrest: a method list or the bootstrap names pgha's own pgbackrest. */
static int builtin_pgbackrest_line(struct cfg_ctx *c, const struct config *cfg)
{
	for (int i = 0; i < cfg->postgresql.n_create_replica_methods; i++) {
		const struct replica_method *m = &cfg->postgresql.create_replica_methods[i];

		if (str_eq(m->name, "pgbackrest") && m->command == NULL)
			return MAX(1, cfg_key_line(c, "postgresql.create_replica_methods"));
	}
	if (str_eq(cfg->bootstrap.method.name, "pgbackrest") &&
	    cfg->bootstrap.method.command == NULL)
		return MAX(1, cfg_key_line(c, "bootstrap.method"));
	return 0;
}

/* The pgbackrest section's derived defaults, and who needs it. */
static void finish_pgbackrest(struct cfg_ctx *c)
{
	struct config *cfg = c->base;
	struct pgbackrest_conf *pb = &cfg->pgbackrest;
	int line = builtin_pgbackrest_line(c, cfg);

	if (!pb->enabled) {
		if (line > 0)
			cfg_error(c, line,
			          "pgha's own pgbackrest method needs the pgbackrest section (or "
			          "give the method a command)");
		return;
	}
	if (pb->stanza[0] == '\0')
		snprintf(pb->stanza, sizeof(pb->stanza), "%s", cfg->scope);
	if (strspn(pb->stanza,
	           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
	    strlen(pb->stanza))
		cfg_error(c, cfg_key_line(c, "pgbackrest.stanza"),
		          "pgbackrest.stanza: '%s' is not a stanza name ([A-Za-z0-9_.-])",
		          pb->stanza);
	if (pb->path[0] == '\0' && cfg->postgresql.data_dir[0] != '\0' &&
	    snprintf(pb->path, sizeof(pb->path), "%s.pgbackrest", cfg->postgresql.data_dir) >=
	        (int)sizeof(pb->path))
		cfg_error(c, 0, "pgbackrest.path: default path too long: set it");
	make_absolute(c, "pgbackrest.path", pb->path, sizeof(pb->path));
	strip_trailing_slashes(pb->path);
	if (pg_params_get(&pb->options, "repo1-path") == NULL)
		pg_params_set(&pb->options, "repo1-path", "/var/lib/pgbackrest");
	if (pg_params_get(&pb->options, "compress-type") == NULL)
		pg_params_set(&pb->options, "compress-type", "zst");
}

static void finish(struct cfg_ctx *c)
{
	struct config *cfg = c->base;

	check_required(c);
	apply_env(c);
	default_users(cfg);
	default_connect(c, "restapi", cfg->restapi.listen, cfg->restapi.connect_address,
	                sizeof(cfg->restapi.connect_address));
	default_connect(c, "postgresql", cfg->postgresql.listen, cfg->postgresql.connect_address,
	                sizeof(cfg->postgresql.connect_address));
	finish_etcd(c);
	finish_postgresql(c);
	finish_dcs(c);
	finish_tags(c);
	finish_misc(c);
	cfg_finish_tls(c);
	finish_pgbackrest(c);
}

/* --- loading ------------------------------------------------------------------------ */

static bool load_text(const char *text, size_t len, const char *name, struct config *cfg,
                      struct config_msgs *errors, struct config_msgs *warnings)
{
	struct agent_load a = {.dcs_line = 0};
	struct cfg_ctx c;
	int n_errors;

	cfg_ctx_init(&c, config_keys, cfg, name, errors, warnings);
	c.user = &a;
	if (cfg_read_yaml(&c, text, len))
		finish(&c);
	n_errors = c.n_errors;
	cfg_ctx_free(&c);
	if (n_errors > 0)
		config_free(cfg);
	return n_errors == 0;
}

static void config_reset(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	(void)cfg_defaults(config_keys, cfg);
}

bool config_load_string(const char *yaml, const char *name, struct config *cfg,
                        struct config_msgs *errors, struct config_msgs *warnings)
{
	config_reset(cfg);
	snprintf(cfg->path, sizeof(cfg->path), "%s", name);
	return load_text(yaml, strlen(yaml), name, cfg, errors, warnings);
}

bool config_load(const char *path, struct config *cfg, struct config_msgs *errors,
                 struct config_msgs *warnings)
{
	size_t len;
	char *text = fs_read_file(path, &len);
	int read_errno = errno;
	bool ok;

	config_reset(cfg);
	if (text == NULL) {
		if (errors != NULL) {
			errors->n = 0;
			snprintf(errors->items[errors->n++], CONFIG_MSG_LEN, "%s: cannot read: %s",
			         path, strerror(read_errno));
		}
		if (warnings != NULL)
			warnings->n = 0;
		config_free(cfg);
		return false;
	}
	if (!fs_abspath(path, cfg->path, sizeof(cfg->path)))
		snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	ok = load_text(text, len, path, cfg, errors, warnings);
	free(text);
	return ok;
}

void config_free(struct config *cfg)
{
	dyn_config_free(&cfg->bootstrap.dcs);
	json_decref(cfg->bootstrap.dcs_json);
	strv_free(cfg->bootstrap.initdb);
	strv_free(cfg->bootstrap.pg_hba);
	pg_params_free(&cfg->postgresql.parameters);
	strv_free(cfg->postgresql.pg_hba);
	strv_free(cfg->restapi.allowlist);
	json_decref(cfg->tags.all);
	pg_params_free(&cfg->pgbackrest.options);
	cfg_replica_method_free(&cfg->bootstrap.method);
	for (int i = 0; i < cfg->postgresql.n_create_replica_methods; i++)
		cfg_replica_method_free(&cfg->postgresql.create_replica_methods[i]);
	memset(cfg, 0, sizeof(*cfg));
}

/* --- effective values ------------------------------------------------------------------ */

bool config_use_pg_rewind(const struct config *cfg, const struct dyn_config *dyn)
{
	return cfg->postgresql.use_pg_rewind_set ? cfg->postgresql.use_pg_rewind
	                                         : dyn->use_pg_rewind;
}

bool config_remove_data_on_rewind_failure(const struct config *cfg, const struct dyn_config *dyn)
{
	return cfg->postgresql.remove_data_directory_on_rewind_failure_set
	           ? cfg->postgresql.remove_data_directory_on_rewind_failure
	           : dyn->remove_data_directory_on_rewind_failure;
}

char *const *config_pg_hba(const struct config *cfg, const struct dyn_config *dyn)
{
	if (cfg->postgresql.pg_hba != NULL)
		return cfg->postgresql.pg_hba;
	if (dyn->pg_hba != NULL)
		return dyn->pg_hba;
	return cfg->bootstrap.pg_hba;
}

void config_pg_params(const struct config *cfg, const struct dyn_config *dyn, struct pg_params *out)
{
	pg_params_copy(out, &dyn->parameters);
	pg_params_merge(out, &cfg->postgresql.parameters);
}
