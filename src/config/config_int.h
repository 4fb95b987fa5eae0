/*
 * config_int.h: what the files of src/config/ share and nobody else uses: string lists,
 * the engine's internals that config_values.c provides, the agent's key table and its
 * handlers, and the dynamic configuration's table.
 */
#ifndef PGHA_CONFIG_CONFIG_INT_H
#define PGHA_CONFIG_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "config/config.h"
#include "config/config_engine.h"

/* --- string lists (char **, NULL-terminated, owned) -------------------------------- */

char **strv_new(void);
size_t strv_len(char *const *v);
/* strv_push: appends an owned copy of s. */
void strv_push(char ***v, const char *s);
/* strv_dup: deep copy; NULL stays NULL. */
char **strv_dup(char *const *v);
void strv_free(char **v);

/* --- engine internals (config_engine.c, config_values.c) ---------------------------- */

/* cfg_restore_default: the entry's row default into its field (CFG_F_NULL_DEFAULT). */
void cfg_restore_default(struct cfg_ctx *c, const struct cfg_entry *e);
/* cfg_value_json: a value row's field (base is the row's struct) as JSON; NULL if none. */
json_t *cfg_value_json(const struct cfg_key *k, const void *field, const void *base);
/* cfg_text_copy: in into out[size] as it is ("too long" is an error). */
cfg_text_fn cfg_text_copy;

/* --- the agent's file (config_keys.c, config_sections.c, config.c) -------------------- */

/* What reading one agent file keeps beside struct config (the cfg_ctx's user). */
struct agent_load {
	char etcd_host[CONFIG_HOST_LEN]; /* etcd3.host / url, used when hosts is absent */
	bool etcd_alias_seen;            /* the file has an etcd: (v2 name) section */
	bool etcd3_seen;                 /* the file has an etcd3: section */
	bool etcd_https_hosts;           /* an endpoint was written https://... */
	bool etcd_http_hosts;            /* an endpoint was written http://... */
	bool initdb_set;                 /* bootstrap.initdb was given */
	int dcs_line;                    /* line of bootstrap.dcs, 0 if absent */
};

extern const struct cfg_key config_keys[];
extern const struct cfg_key config_tag_keys[];

/* Handlers of the agent's keys that need more than a type (config_sections.c). */
cfg_read_fn cfg_read_etcd3, cfg_read_etcd_alias, cfg_read_etcd_host, cfg_read_dcs, cfg_read_initdb,
    cfg_read_tags;
/* pgbackrest, methods and slots (config_backup.c). */
cfg_read_fn cfg_read_pgbackrest, cfg_read_pgbackrest_options, cfg_read_replica_methods,
    cfg_read_bootstrap_method, cfg_read_method_section, cfg_read_slots, cfg_read_ignore_slots;
extern const struct cfg_key config_pgbackrest_keys[];
/* cfg_replica_method_free: releases what m owns and zeroes it. */
void cfg_replica_method_free(struct replica_method *m);
/* cfg_slots_to_json: slots and ignore_slots of d into out, as Patroni writes them. */
void cfg_slots_to_json(const struct dyn_config *d, json_t *out);
cfg_text_fn cfg_text_etcd_endpoint, cfg_text_etcd_protocol;
/* cfg_finish_tls: credential and TLS checks across keys, ctl's fallbacks (config_tls.c). */
void cfg_finish_tls(struct cfg_ctx *c);

/* --- the dynamic configuration (dyn_config.c) ------------------------------------------ */

extern const struct cfg_key dyn_config_keys[];
/* dyn_config_fit_timing: Patroni's adjustment; false if impossible. msg says what changed. */
bool dyn_config_fit_timing(struct dyn_config *d, char *msg, size_t msglen);

#endif
