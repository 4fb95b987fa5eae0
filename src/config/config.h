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
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <jansson.h>
#include "util/compiler.h"
#include "util/tls.h"

#define CONFIG_NAME_LEN       64  /* member names, scope, user names */
#define CONFIG_HOST_LEN       256 /* host:port strings */
#define CONFIG_SECRET_LEN     256 /* passwords */
#define CONFIG_MAX_ETCD       16  /* etcd endpoints */
#define CONFIG_MAX_MSGS       64  /* warnings/errors kept per parse */
#define CONFIG_MSG_LEN        512
#define CONFIG_MAX_SYNC_NODES 8  /* synchronous_node_count limit (the sync key holds 8 names) */
#define CONFIG_MAX_SLOTS      16 /* permanent slots (slots) and ignore_slots entries */
#define CONFIG_MAX_METHODS    8  /* create_replica_methods */

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
	/* libpq's TLS settings of this role's connections to other nodes (streaming,
	   pg_basebackup, pg_rewind), as Patroni passes them; "" = libpq's default */
	char sslmode[16];           /* disable ... verify-full; "" = prefer */
	char sslrootcert[PATH_MAX]; /* CA the server's certificate must chain to */
	char sslcert[PATH_MAX];     /* client certificate */
	char sslkey[PATH_MAX];      /* its key */
	char sslpassword[CONFIG_SECRET_LEN];
	char sslcrl[PATH_MAX];
};

/* restapi.verify_client: whether the REST API asks for client certificates. */
enum config_verify_client {
	CONFIG_VERIFY_NONE = 0, /* never */
	CONFIG_VERIFY_OPTIONAL, /* asked; unsafe endpoints need a valid one */
	CONFIG_VERIFY_REQUIRED  /* every request needs a valid one */
};

/* PgBouncer's TLS for one side (client_tls_* or server_tls_*), as in its own ini. */
struct pooler_tls {
	char sslmode[16];         /* disable, allow, prefer, require, verify-ca, verify-full */
	char cert_file[PATH_MAX]; /* PgBouncer's certificate */
	char key_file[PATH_MAX];
	char ca_file[PATH_MAX]; /* verifies the other side's certificate */
	char protocols[64];     /* "secure" (TLS 1.2 and 1.3) by default */
};

/*
 * backup_policy: when the leader takes backups and how many pgBackRest keeps (pgha's
 * dynamic key `backup`). Intervals are seconds; 0 = not scheduled.
 */
struct backup_policy {
	int full_every_s;
	int diff_every_s;
	int incr_every_s;
	int retention_full;          /* repo1-retention-full (backups, or days when "time") */
	char retention_full_type[8]; /* "count" or "time" */
	int retention_diff;          /* repo1-retention-diff; 0 = pgBackRest's default */
	bool standby;                /* copy the files from a streaming standby when one exists */
};

/* A permanent replication slot (Patroni's `slots`): created by the leader. */
struct slot_spec {
	char name[64];
	char type[16];     /* "physical" or "logical" */
	char database[64]; /* logical */
	char plugin[64];   /* logical */
};

/* A slot pgha leaves alone (Patroni's `ignore_slots`): "" matches anything. */
struct slot_match {
	char name[64];
	char type[16];
	char database[64];
	char plugin[64];
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
	bool failsafe_mode;              /* keep the primary through an etcd outage while
	                                    every member confirms it (POST /failsafe) */
	bool use_pg_rewind;              /* postgresql.use_pg_rewind */
	bool use_slots;                  /* postgresql.use_slots */
	bool remove_data_directory_on_rewind_failure; /* postgresql.* (as use_pg_rewind) */
	struct pg_params parameters;                  /* postgresql.parameters (cluster-wide) */
	char **pg_hba;               /* owned, NULL-terminated postgresql.pg_hba; NULL = not set */
	struct backup_policy backup; /* pgha's `backup` */
	struct slot_spec slots[CONFIG_MAX_SLOTS]; /* permanent slots, sorted by name */
	int n_slots;
	struct slot_match ignore_slots[CONFIG_MAX_SLOTS];
	int n_ignore_slots;
};

/*
 * pgbackrest_conf: pgha's `pgbackrest` section: continuous archiving, backups and
 * restores with pgBackRest. The agent writes pgBackRest's configuration files itself
 * (src/backup/); options are pgBackRest's own, for its [global] section.
 */
struct pgbackrest_conf {
	bool enabled;                 /* the section is there (and not `enabled: false`) */
	char stanza[CONFIG_NAME_LEN]; /* default: the scope */
	char bin[PATH_MAX];           /* default /usr/bin/pgbackrest */
	char path[PATH_MAX];          /* the agent's pgBackRest files (absolute); default
	                                 <data_dir>.pgbackrest */
	struct pg_params options;     /* repo1-path, repo1-type, repo1-s3-*, compress-type... */
};

/*
 * The pgbackrest section's option names. config_pgbackrest_option_name_ok: one of
 * pgBackRest's ([A-Za-z0-9-], 1..63). config_pgbackrest_reserved: why pgha refuses the
 * option (it writes it itself, or pgBackRest would lose WAL with it), or NULL.
 */
bool config_pgbackrest_option_name_ok(const char *name);
const char *config_pgbackrest_reserved(const char *name);

/*
 * replica_method: one of Patroni's create_replica_methods, or the bootstrap method:
 * `basebackup` and `pgbackrest` (without a command) are pgha's own; any other needs a
 * command, run as Patroni runs it.
 */
struct replica_method {
	char name[CONFIG_NAME_LEN];
	char **command; /* owned argv (shell words of `command`); NULL = built-in */
	bool keep_data; /* the data directory is not emptied before the command */
	bool no_params; /* --scope, --datadir, --role, --connstring not passed */
	bool no_leader; /* may run without a running leader (accepted, unused) */
	bool keep_existing_recovery_conf; /* bootstrap: the command's recovery settings stay */
	struct pg_params recovery_conf;   /* bootstrap: recovery_target_*, restore_command */
	struct pg_params params;          /* every other key: --name=value, or the built-in's */
};

struct tags {
	bool nofailover;       /* never becomes leader */
	bool noloadbalance;    /* /replica answers 503 */
	bool nosync;           /* never chosen as synchronous standby */
	bool clonefrom;        /* preferred basebackup source */
	int failover_priority; /* higher wins ties; 0 = never (then nofailover is true too);
	                          default 1 */
	json_t *all;           /* owned, never NULL after a load: every tag as configured
	                          (a JSON object), published in members/ */
};

struct config {
	char path[PATH_MAX];              /* file this came from (absolute), or the name
	                                     given to config_load_string */
	char scope[CONFIG_NAME_LEN];      /* cluster name */
	char namespace_[CONFIG_NAME_LEN]; /* etcd namespace, normalised "/service/" form */
	char name[CONFIG_NAME_LEN];       /* this member's name */
	char log_level[16];               /* log.level as log_parse_level reads it: "error",
	                                     "warn", "info" (default) or "debug" */

	struct {
		char listen[CONFIG_HOST_LEN];          /* host:port the REST API binds */
		char connect_address[CONFIG_HOST_LEN]; /* host:port peers use */
		char username[CONFIG_NAME_LEN];        /* basic auth for unsafe endpoints */
		char password[CONFIG_SECRET_LEN];
		char certfile[PATH_MAX]; /* set: serve https with it */
		char keyfile[PATH_MAX];  /* its private key */
		char keyfile_password[CONFIG_SECRET_LEN];
		char cafile[PATH_MAX];          /* CA of client certificates (verify_client) */
		int verify_client;              /* enum config_verify_client */
		char **allowlist;               /* owned; NULL = anyone: unsafe requests only from
		                                   these addresses, networks or host names */
		bool allowlist_include_members; /* ... and from the members' api_url hosts */
	} restapi;

	/*
	 * ctl: how this node reaches the REST API of others (peer probes), as patronictl
	 * does: tls is ctl.cacert, certfile, keyfile, keyfile_password and insecure, each
	 * falling back to restapi.cafile, certfile, keyfile, keyfile_password (Patroni's
	 * rule); authentication falls back to restapi.authentication.
	 */
	struct {
		struct tls_client tls;
		char username[CONFIG_NAME_LEN];
		char password[CONFIG_SECRET_LEN];
	} ctl;

	struct {
		char hosts[CONFIG_MAX_ETCD][CONFIG_HOST_LEN]; /* "host:port" */
		int n_hosts;
		char protocol[8];               /* "http" or "https" */
		char username[CONFIG_NAME_LEN]; /* etcd auth, optional */
		char password[CONFIG_SECRET_LEN];
		struct tls_client tls; /* cacert, cert, key (https) */
	} etcd;

	struct {
		struct dyn_config dcs; /* bootstrap.dcs merged over the defaults */
		json_t *dcs_json;      /* owned, never NULL: bootstrap.dcs as written to etcd
		                          "config": the section as PyYAML types it, with every
		                          key of struct dyn_config at its effective value */
		char **initdb; /* owned, NULL-terminated: "--data-checksums", "--encoding=UTF8";
		                  never NULL; {"--data-checksums"} when not configured */
		char **pg_hba; /* owned, NULL-terminated pg_hba.conf lines; NULL = not set */
		struct replica_method method; /* bootstrap.method; name "" = initdb */
	} bootstrap;

	struct {
		char listen[CONFIG_HOST_LEN];          /* "host:port" (host may be a list "a,b") */
		char connect_address[CONFIG_HOST_LEN]; /* host:port peers connect to */
		char data_dir[PATH_MAX];               /* made absolute at load */
		char bin_dir[PATH_MAX];                /* where initdb, postgres, pg_ctl... live */
		char pgpass[PATH_MAX];                 /* passfile the agent writes for its tools;
		                                          default <data_dir>.pgpass; absolute */
		char socket_dir[PATH_MAX]; /* first unix_socket_directories entry (local or dcs
		                              parameters; relative ones joined to data_dir);
		                              "" = not configured */
		struct pg_user superuser;
		struct pg_user replication;
		struct pg_user rewind;
		int port;                    /* the port of listen */
		struct pg_params parameters; /* local parameters, override dcs ones */
		char **pg_hba;               /* owned, NULL-terminated; NULL = not set;
		                                overrides the dcs and bootstrap ones */
		bool use_pg_rewind;          /* local value (see config_use_pg_rewind) */
		bool use_pg_rewind_set;      /* the file sets it: it overrides the dcs */
		bool remove_data_directory_on_rewind_failure;
		bool remove_data_directory_on_rewind_failure_set;
		struct replica_method create_replica_methods[CONFIG_MAX_METHODS];
		int n_create_replica_methods; /* 0 = [basebackup] */
	} postgresql;

	struct pgbackrest_conf pgbackrest;

	struct {
		bool enabled;                 /* supervise a PgBouncer for this node */
		char listen[CONFIG_HOST_LEN]; /* host:port */
		char bin[PATH_MAX];           /* pgbouncer binary */
		int pool_size;
		int max_client_conn;
		char pool_mode[16];           /* session | transaction */
		struct pooler_tls client_tls; /* clients (and the router) to PgBouncer */
		struct pooler_tls server_tls; /* PgBouncer to PostgreSQL */
	} pgbouncer;

	struct tags tags;
};

struct config_msgs {
	char items[CONFIG_MAX_MSGS][CONFIG_MSG_LEN]; /* "file:line: message" */
	int n;
};

/*
 * dyn_config_defaults: pgha's defaults (config/dyn_config.c explains each).
 * d must hold nothing to free: it is overwritten.
 */
void dyn_config_defaults(struct dyn_config *d);
/*
 * dyn_config_from_json: applies a Patroni dynamic configuration object (the etcd
 * "config" key) over *d; to get a stored config's effective values, apply it over
 * dyn_config_defaults(). Numbers may be JSON numbers or numeric strings, booleans
 * JSON booleans or "on"/"off"/"true"/...; null means "not set" (leaves the field),
 * except pause, where null is false (Patroni's resume). postgresql.parameters and
 * postgresql.pg_hba replace the previous ones. Unknown keys are ignored (Patroni
 * readers do the same); bad values are described in err ("ttl: ...; loop_wait: ...")
 * and leave their field unchanged. If loop_wait + 2*retry_timeout > ttl, loop_wait
 * (then retry_timeout) is lowered as Patroni does, and err says so; if even that
 * cannot work (ttl < 3) the three timings keep their previous values. err is "" when
 * everything applied cleanly. Returns false only if obj is not an object.
 */
bool dyn_config_from_json(struct dyn_config *d, const json_t *obj, char *err, size_t errlen);
/*
 * dyn_config_check_yaml: checks a dynamic configuration written in YAML (what
 * `pgha edit-config` reads from a file or the editor) key by key, as the agents would
 * read it, with the line of each problem: false with "name:line: key: problem" lines
 * (separated by '\n') in err. An empty document is fine. The timing rule is not
 * checked (a partial document may rely on the stored ttl): dyn_config_from_json on the
 * whole configuration does that.
 */
bool dyn_config_check_yaml(const char *text, const char *name, char *err, size_t errlen);
/* dyn_config_to_json: the inverse, for writing the etcd "config" key. Owned. */
json_t *dyn_config_to_json(const struct dyn_config *d);
/* dyn_config_copy: deep copy; dst is overwritten (it must hold nothing to free). */
void dyn_config_copy(struct dyn_config *dst, const struct dyn_config *src);
/* dyn_config_free: releases parameters and pg_hba; the scalars stay. */
void dyn_config_free(struct dyn_config *d);
/* dyn_config_timing_ok: loop_wait + 2*retry_timeout <= ttl (Patroni's rule, see .c). */
bool dyn_config_timing_ok(const struct dyn_config *d);

/*
 * config_load: parses the YAML file at path into cfg. Errors (malformed YAML with
 * file, line and column, wrong types, bad values and missing required keys, with file
 * and line) go to errors and make it return false; unknown or unsupported keys go to
 * warnings. errors and warnings may be NULL. Every error found is reported, not only
 * the first (malformed YAML stops at its first error). On failure cfg holds nothing to
 * free. A bootstrap.dcs that breaks loop_wait + 2*retry_timeout <= ttl is an error
 * here (the operator wrote it and can fix it), unlike in dyn_config_from_json (etcd's
 * copy must be usable by a running cluster, so it is adjusted as Patroni does). Environment
 * variables override the file as in Patroni:
 * PATRONI_{SUPERUSER,REPLICATION,REWIND,RESTAPI,ETCD3}_{USERNAME, PASSWORD}. Credentials come
 * in pairs and certificates with their keys (config_tls.c says why): a half is an error.
 */
bool config_load(const char *path, struct config *cfg, struct config_msgs *errors,
                 struct config_msgs *warnings) MUST_CHECK;
/* config_load_string: as config_load, from a YAML text (name is used in messages). */
bool config_load_string(const char *yaml, const char *name, struct config *cfg,
                        struct config_msgs *errors, struct config_msgs *warnings) MUST_CHECK;
/* config_free: releases what cfg owns; a zeroed or freed cfg is fine. */
void config_free(struct config *cfg);

/*
 * Effective values of settings that can be set both in the local file and in the
 * cluster-wide (dcs) configuration; as in Patroni, a value in the local file wins.
 */
bool config_use_pg_rewind(const struct config *cfg, const struct dyn_config *dyn);
bool config_remove_data_on_rewind_failure(const struct config *cfg, const struct dyn_config *dyn);
/* config_pg_hba: local postgresql.pg_hba, else the dcs one, else bootstrap.pg_hba, else NULL. */
char *const *config_pg_hba(const struct config *cfg, const struct dyn_config *dyn);
/* config_pg_params: dyn's parameters with the local ones over them, into out (overwritten). */
void config_pg_params(const struct config *cfg, const struct dyn_config *dyn,
                      struct pg_params *out);

/*
 * pg_params helpers. Names are case-insensitive, as PostgreSQL's are, and stored in
 * lower case. pg_params_set replaces or inserts (keeping the order); a NULL value
 * removes the name. merge sets every src item into dst (src wins). copy overwrites
 * dst (it must hold nothing to free). A zeroed struct pg_params is an empty set, and
 * so is a NULL one for copy and equal.
 */
void pg_params_set(struct pg_params *p, const char *name, const char *value);
const char *pg_params_get(const struct pg_params *p, const char *name);
void pg_params_merge(struct pg_params *dst, const struct pg_params *src);
void pg_params_copy(struct pg_params *dst, const struct pg_params *src);
bool pg_params_equal(const struct pg_params *a, const struct pg_params *b);
void pg_params_free(struct pg_params *p);
/* pg_params_valid_name: [A-Za-z_][A-Za-z0-9_.]* (what can safely go into postgresql.conf). */
bool pg_params_valid_name(const char *name);
/* pg_params_valid_value: no line break and no NUL (postgresql.conf is line-based). */
bool pg_params_valid_value(const char *value);

/*
 * yaml_to_json: parses one YAML document into a jansson value (owned), typing plain
 * scalars as PyYAML (YAML 1.1) does, since Patroni configs are written for it: null,
 * bool (yes/no/on/off/true/false), int (incl. 0x.., 0o.. as 0.., 1_000), float; quoted
 * scalars are strings; merge keys (<<) are resolved. An empty document gives JSON
 * null. Used by the router's config and `pgha edit-config`. On error (syntax,
 * duplicate keys, several documents...) returns NULL and fills err with
 * "name:line:column: problem".
 */
json_t *yaml_to_json(const char *yaml, const char *name, char *err, size_t errlen);

#endif
