/*
 * config_int.h: what the files of src/config/ share and nobody else uses: the parse
 * context and its messages, the key table walker, per-key application of dynamic
 * configuration values, and NULL-terminated string lists.
 */
#ifndef PGHA_CONFIG_CONFIG_INT_H
#define PGHA_CONFIG_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "config/config.h"
#include "config/yaml_tree.h"
#include "util/compiler.h"

/* --- string lists (char **, NULL-terminated, owned) -------------------------------- */

char **strv_new(void);
size_t strv_len(char *const *v);
/* strv_push: appends an owned copy of s. */
void strv_push(char ***v, const char *s);
/* strv_dup: deep copy; NULL stays NULL. */
char **strv_dup(char *const *v);
void strv_free(char **v);

/* --- parse context ------------------------------------------------------------------ */

struct cfg_ctx {
	struct config *cfg;
	struct ydoc *doc;
	const char *name;                /* file name in messages */
	struct config_msgs *errors;      /* never NULL here */
	struct config_msgs *warnings;    /* never NULL here */
	int n_errors;                    /* all errors, also those past CONFIG_MAX_MSGS */
	int *key_line;                   /* per key table row: line where it was set, 0 = not */
	char etcd_host[CONFIG_HOST_LEN]; /* etcd3.host / url, used when hosts is absent */
	bool etcd_alias_seen;            /* the file has an etcd: (v2 name) section */
	bool etcd3_seen;                 /* the file has an etcd3: section */
	bool initdb_set;                 /* bootstrap.initdb was given */
	int dcs_line;                    /* line of bootstrap.dcs, 0 if absent */
	bool failover_priority_set;      /* tags.failover_priority was given */
};

void cfg_error(struct cfg_ctx *c, int line, const char *fmt, ...) PRINTF_LIKE(3, 4);
void cfg_warn(struct cfg_ctx *c, int line, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* cfg_error_raw: an error already formatted with its position (from yaml_tree). */
void cfg_error_raw(struct cfg_ctx *c, const char *msg);

/* cfg_walk_root: reads the top-level mapping through the key table (config_keys.c). */
void cfg_walk_root(struct cfg_ctx *c, yaml_node_t *root);
/* cfg_key_line: line where the table key path was set, 0 if it was not. */
int cfg_key_line(const struct cfg_ctx *c, const char *path);
/* cfg_key_count: rows in the key table (to size key_line). */
size_t cfg_key_count(void);

/* --- the key table and its values (config_keys.c, config_values.c, config_sections.c) --- */

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

void cfg_read_section(struct cfg_ctx *c, const struct centry *e, const char *tpath);
void cfg_type_error(struct cfg_ctx *c, const struct centry *e, const char *expected);
/* cfg_node_string: a scalar meant as a string ("" for null), or NULL after an error. */
const char *cfg_node_string(struct cfg_ctx *c, const struct centry *e, yaml_node_t *n);
bool cfg_store_string(struct cfg_ctx *c, const struct centry *e, char *dst, size_t size);
bool cfg_node_int(const yaml_node_t *n, int64_t *out);
bool cfg_node_bool(const yaml_node_t *n, bool *out);
bool cfg_split_listen(const char *s, char *host, size_t host_size, int *port);
bool cfg_is_wildcard_host(const char *host);
bool cfg_is_null(const yaml_node_t *n);
/* cfg_is_empty: null, false, {} or []: a value that turns a feature off. */
bool cfg_is_empty(const yaml_node_t *n);

/* Handlers of the keys that need more than a type (config_sections.c). */
ckey_fn cfg_read_namespace, cfg_read_log_level, cfg_read_etcd3, cfg_read_etcd_alias,
    cfg_read_etcd_hosts, cfg_read_etcd_host, cfg_read_etcd_protocol, cfg_read_pg_params,
    cfg_read_dcs, cfg_read_initdb, cfg_read_bootstrap_method, cfg_read_tags, cfg_read_pool_mode;

/* --- dynamic configuration, one key at a time (dyn_config.c) ------------------------ */

enum dyn_key_result {
	DYN_KEY_OK = 0,  /* applied (or null: left unset) */
	DYN_KEY_UNKNOWN, /* not a Patroni dynamic configuration key */
	DYN_KEY_IGNORED, /* a Patroni key pgha does not use; *note says why (may be NULL) */
	DYN_KEY_BAD,     /* the value is unusable: err says why, the field is unchanged */
	DYN_KEY__COUNT
};

/*
 * dyn_config_apply_key: applies one value; path is "ttl" or "postgresql.use_slots".
 * err gets the problem without the key name ("must be an integer from 1 to 86400").
 */
enum dyn_key_result dyn_config_apply_key(struct dyn_config *d, const char *path, const json_t *v,
                                         char *err, size_t errlen, const char **note);
/* dyn_config_fit_timing: Patroni's adjustment; false if impossible. msg says what changed. */
bool dyn_config_fit_timing(struct dyn_config *d, char *msg, size_t msglen);
/* pg_param_value_from_json: a parameter value as postgresql.conf text (owned), or NULL. */
char *pg_param_value_from_json(const json_t *v);

#endif
