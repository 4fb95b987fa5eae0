/*
 * config_int.h: what the files of src/config/ share and nobody else uses: the parse
 * context and its messages, the key table walker, per-key application of dynamic
 * configuration values, and NULL-terminated string lists.
 */
#ifndef PGHA_CONFIG_CONFIG_INT_H
#define PGHA_CONFIG_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
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
