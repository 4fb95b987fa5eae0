/*
 * config.h: the agent's YAML configuration, with Patroni's key names, as a struct.
 *
 * A patroni.yml that uses the keys below runs unchanged. Keys pgha does not know are
 * reported as warnings (never silently dropped); values of the wrong type or out of
 * range are errors that name the file and line. The dynamic part of the configuration
 * (bootstrap.dcs, later the etcd "config" key) is a struct dyn_config.
 *
 * Library-like: nothing here logs. Parsing returns messages to the caller.
 */
#ifndef PGHA_CONFIG_CONFIG_H
#define PGHA_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <limits.h>
#include <jansson.h>
#include "util/compiler.h"

#define CONFIG_NAME_LEN   64  /* member names, scope, user names */
#define CONFIG_HOST_LEN   256 /* host:port strings */
#define CONFIG_SECRET_LEN 256 /* passwords */
#define CONFIG_MAX_ETCD   16  /* etcd endpoints */
#define CONFIG_MAX_MSGS   64  /* warnings/errors kept per parse */
#define CONFIG_MSG_LEN    512

/* A PostgreSQL parameter (GUC) as text, as it goes into postgresql.conf. */
struct pg_param {
	char *name;  /* owned */
	char *value; /* owned; already unquoted */
};

struct pg_params {
	struct pg_param *items; /* owned array, sorted by name, names unique */
	int n;
};

struct pg_user {
	char username[CONFIG_NAME_LEN];
	char password[CONFIG_SECRET_LEN]; /* empty = none (peer/trust auth) */
};

/*
 * dyn_config: the cluster-wide settings stored in etcd's "config" key (Patroni's
 * dynamic configuration). Defaults are pgha's, chosen for fast failover; a stored
 * config overrides each key it has.
 */
struct dyn_config {
	int ttl_s;                       /* leader lease TTL */
	int loop_wait_s;                 /* HA cycle period of non-leaders */
	int retry_timeout_s;             /* deadline for one DCS operation */
	int64_t maximum_lag_on_failover; /* bytes behind status.optime a racer may be */
	int primary_start_timeout_s;     /* crashed primary: restart in place this long */
	bool synchronous_mode;           /* manage synchronous_standby_names + sync key */
	bool synchronous_mode_strict;    /* never drop to async, block instead */
	int synchronous_node_count;      /* number of sync standbys */
	bool pause;                      /* maintenance mode: no automatic actions */
	bool check_timeline;             /* racers on an old timeline are ineligible */
	bool use_pg_rewind;              /* postgresql.use_pg_rewind */
	bool use_slots;                  /* postgresql.use_slots */
	struct pg_params parameters;     /* postgresql.parameters (cluster-wide) */
};

struct tags {
	bool nofailover;       /* never becomes leader */
	bool noloadbalance;    /* /replica answers 503 */
	bool nosync;           /* never chosen as synchronous standby */
	bool clonefrom;        /* preferred basebackup source */
	int failover_priority; /* higher wins ties; 0 = never (like nofailover) */
	json_t *all;           /* owned: every tag as configured, published in members/ */
};

struct config {
	char path[PATH_MAX];              /* file this came from */
	char scope[CONFIG_NAME_LEN];      /* cluster name */
	char namespace_[CONFIG_NAME_LEN]; /* etcd namespace, normalised "/service/" form */
	char name[CONFIG_NAME_LEN];       /* this member's name */
	char log_level[16];               /* log.level, "" = info */

	struct {
		char listen[CONFIG_HOST_LEN];          /* host:port the REST API binds */
		char connect_address[CONFIG_HOST_LEN]; /* host:port peers use */
		char username[CONFIG_NAME_LEN];        /* basic auth for unsafe endpoints */
		char password[CONFIG_SECRET_LEN];
	} restapi;

	struct {
		char hosts[CONFIG_MAX_ETCD][CONFIG_HOST_LEN]; /* "host:port" */
		int n_hosts;
		char protocol[8];               /* "http" (https unsupported) */
		char username[CONFIG_NAME_LEN]; /* etcd auth, optional */
		char password[CONFIG_SECRET_LEN];
	} etcd;

	struct {
		struct dyn_config dcs; /* bootstrap.dcs merged over the defaults */
		json_t *dcs_json;      /* owned: bootstrap.dcs as written to etcd "config" */
		char **initdb; /* owned, NULL-terminated: "--data-checksums", "--encoding=UTF8" */
		char **pg_hba; /* owned, NULL-terminated pg_hba.conf lines */
	} bootstrap;

	struct {
		char listen[CONFIG_HOST_LEN];          /* "host:port" (host may be a list "a,b") */
		char connect_address[CONFIG_HOST_LEN]; /* host:port peers connect to */
		char data_dir[PATH_MAX];
		char bin_dir[PATH_MAX];    /* where initdb, postgres, pg_ctl... live */
		char pgpass[PATH_MAX];     /* passfile the agent writes for its tools */
		char socket_dir[PATH_MAX]; /* unix_socket_directories; "" = data_dir */
		struct pg_user superuser;
		struct pg_user replication;
		struct pg_user rewind;
		struct pg_params parameters; /* local parameters, override dcs ones */
		char **pg_hba;               /* owned, NULL-terminated; overrides bootstrap */
		bool use_pg_rewind;
		bool remove_data_directory_on_rewind_failure;
	} postgresql;

	struct {
		bool enabled;                 /* supervise a PgBouncer for this node */
		char listen[CONFIG_HOST_LEN]; /* host:port */
		char bin[PATH_MAX];           /* pgbouncer binary */
		int pool_size;
		int max_client_conn;
		char pool_mode[16]; /* session | transaction */
	} pgbouncer;

	struct tags tags;
};

struct config_msgs {
	char items[CONFIG_MAX_MSGS][CONFIG_MSG_LEN]; /* "file:line: message" */
	int n;
};

/* dyn_config_defaults: pgha's defaults (see config.c for the reasoning behind them). */
void dyn_config_defaults(struct dyn_config *d);
/*
 * dyn_config_from_json: applies a Patroni dynamic configuration object (the etcd
 * "config" key) over *d. Unknown keys are ignored (Patroni readers do the same);
 * bad values are reported in err and leave the field unchanged. Returns false
 * only if obj is not an object.
 */
bool dyn_config_from_json(struct dyn_config *d, const json_t *obj, char *err, size_t errlen);
/* dyn_config_to_json: the inverse, for writing the etcd "config" key. Owned. */
json_t *dyn_config_to_json(const struct dyn_config *d);
void dyn_config_copy(struct dyn_config *dst, const struct dyn_config *src);
void dyn_config_free(struct dyn_config *d);

/*
 * config_load: parses the YAML file at path into cfg. Errors (malformed YAML with
 * file and line, wrong types, missing required keys) go to errors and make it return
 * false; unknown keys go to warnings. On failure cfg holds nothing to free.
 */
bool config_load(const char *path, struct config *cfg, struct config_msgs *errors,
                 struct config_msgs *warnings) MUST_CHECK;
/* config_load_string: as config_load, from a YAML text (name is used in messages). */
bool config_load_string(const char *yaml, const char *name, struct config *cfg,
                        struct config_msgs *errors, struct config_msgs *warnings) MUST_CHECK;
void config_free(struct config *cfg);

/* pg_params helpers: set (replace or insert, keeping order), lookup, merge, free. */
void pg_params_set(struct pg_params *p, const char *name, const char *value);
const char *pg_params_get(const struct pg_params *p, const char *name);
void pg_params_merge(struct pg_params *dst, const struct pg_params *src);
void pg_params_copy(struct pg_params *dst, const struct pg_params *src);
void pg_params_free(struct pg_params *p);

/*
 * yaml_to_json: parses a YAML document into a jansson value (plain scalars typed as
 * YAML 1.1 core: null, bool, int, real; quoted scalars are strings). Used by the
 * router's config and `pgha edit-config`. On error returns NULL and fills err with
 * "name:line:column: problem".
 */
json_t *yaml_to_json(const char *yaml, const char *name, char *err, size_t errlen);

#endif
