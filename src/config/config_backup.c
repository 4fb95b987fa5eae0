/*
 * config_backup.c: the keys of backups and replication slots: pgha's `pgbackrest`
 * section (its options are pgBackRest's own), Patroni's create_replica_methods and
 * bootstrap.method with their method sections, and the dynamic configuration's
 * `slots` and `ignore_slots`.
 *
 * A method section has Patroni's special keys (command, keep_data, no_params,
 * no_leader, keep_existing_recovery_conf, recovery_conf); every other key is passed
 * to the method (as --name=value to a command, as an option to pgha's own methods).
 * Sections of methods nobody names are reported as unknown keys, as any other is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "config/config_engine.h"
#include "config/config_int.h"
#include "config/yaml_tree.h"
#include "util/shellwords.h"
#include "util/strutil.h"
#include "util/xalloc.h"

/* --- helpers -------------------------------------------------------------------------- */

/* map_get: the value of key in map (merge keys resolved), or NULL. */
static yaml_node_t *map_get(struct cfg_ctx *c, const yaml_node_t *map, const char *key)
{
	struct ypair *pairs;
	yaml_node_t *found = NULL;
	int n;
	char err[CONFIG_MSG_LEN];

	if (map == NULL || !ynode_is_map(map) ||
	    !ymap_pairs(c->doc, map, &pairs, &n, err, sizeof(err)))
		return NULL;
	for (int i = 0; i < n && found == NULL; i++) {
		if (str_eq(ynode_text(pairs[i].key), key))
			found = pairs[i].value;
	}
	free(pairs);
	return found;
}

/* option_name_ok: a pgBackRest option or method parameter: [A-Za-z0-9_-], 1..63. */
static bool option_name_ok(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len < 64 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == len;
}

/*
 * scalar_text: a one-line scalar as text (booleans as yes_no gives them), or NULL after
 * reporting why not. null is reported as ignored.
 */
static const char *scalar_text(struct cfg_ctx *c, int line, const char *path, const yaml_node_t *v,
                               const char *const yes_no[2])
{
	struct yscalar s;

	if (!ynode_is_scalar(v) || ynode_text_has_nul(v)) {
		cfg_error(c, line, "%s: expected a value, got %s", path, ynode_type_name(v));
		return NULL;
	}
	yscalar_resolve(v, &s);
	if (s.type == YS_NULL) {
		cfg_warn(c, line, "%s: no value, ignored", path);
		return NULL;
	}
	if (!pg_params_valid_value(ynode_text(v))) {
		cfg_error(c, line, "%s: the value spans several lines", path);
		return NULL;
	}
	return s.type == YS_BOOL ? yes_no[s.b] : ynode_text(v);
}

/* --- pgbackrest ----------------------------------------------------------------------- */

bool config_pgbackrest_option_name_ok(const char *name)
{
	return option_name_ok(name) && strchr(name, '_') == NULL;
}

/* The options pgha writes itself (or that would lose WAL), with why. */
const char *config_pgbackrest_reserved(const char *name)
{
	static const struct {
		const char *prefix;
		const char *why;
	} reserved[] = {
	    {"stanza", "set pgbackrest.stanza"},
	    {"config", "pgha writes the configuration files"},
	    {"log-path", "pgha puts it under pgbackrest.path"},
	    {"lock-path", "pgha puts it under pgbackrest.path"},
	    {"spool-path", "pgha puts it under pgbackrest.path"},
	    {"archive-push-queue-max", "pgBackRest would drop WAL when the queue is full"},
	    {"repo1-retention", "set backup.retention_* in the cluster's configuration"},
	    {"recovery-option", "pgha writes the recovery settings"},
	};

	for (size_t i = 0; i < ARRAY_LEN(reserved); i++) {
		if (str_has_prefix(name, reserved[i].prefix))
			return reserved[i].why;
	}
	/* pg1-path, pg2-host...: the instances are the cluster's members. */
	if (name[0] == 'p' && name[1] == 'g' && name[2] >= '0' && name[2] <= '9')
		return "pgha names the cluster's members itself";
	return NULL;
}

static void pgbackrest_option(struct cfg_ctx *c, const yaml_node_t *map, const struct ypair *p,
                              void *arg)
{
	static const char *const yes_no[2] = {"n", "y"};
	const struct cfg_entry *e = arg;
	struct pgbackrest_conf *pb = e->base;
	const char *name = ynode_text(p->key);
	int line = cfg_line(c, p->key);
	char path[CONFIG_MSG_LEN];
	const char *why, *v;

	(void)map;
	snprintf(path, sizeof(path), "%s.%s", e->path, name);
	if (!config_pgbackrest_option_name_ok(name)) {
		cfg_error(c, line, "%s: '%s' is not a pgBackRest option name", e->path, name);
		return;
	}
	if ((why = config_pgbackrest_reserved(name)) != NULL) {
		cfg_error(c, line, "%s: not allowed here (%s)", path, why);
		return;
	}
	if ((v = scalar_text(c, line, path, p->value, yes_no)) != NULL)
		pg_params_set(&pb->options, name, v);
}

void cfg_read_pgbackrest_options(struct cfg_ctx *c, const struct cfg_entry *e)
{
	struct pgbackrest_conf *pb = e->base;
	struct cfg_entry entry = *e;

	pg_params_free(&pb->options);
	if (cfg_is_empty(e->value))
		return;
	if (!ynode_is_map(e->value)) {
		cfg_type_error(c, e, "a mapping of pgBackRest options");
		return;
	}
	cfg_each_pair(c, e->value, pgbackrest_option, &entry);
}

/* pgbackrest: the section's presence turns archiving and backups on. */
void cfg_read_pgbackrest(struct cfg_ctx *c, const struct cfg_entry *e)
{
	struct config *cfg = c->base;

	if (!cfg_is_null(e->value) && !ynode_is_map(e->value)) {
		cfg_type_error(c, e, "a mapping");
		return;
	}
	cfg->pgbackrest.enabled = true;
	cfg_read_map(c, e, e->key->ext, &cfg->pgbackrest);
}

/* --- methods (create_replica_methods, bootstrap.method) ---------------------------------- */

struct method_read {
	const char *path; /* of the section, as written */
	struct replica_method *m;
	bool bootstrap;
};

static bool method_flag(struct cfg_ctx *c, struct method_read *r, const char *key, int line,
                        const yaml_node_t *v)
{
	static const struct {
		const char *key;
		size_t offset;
		bool bootstrap_only;
	} flags[] = {
	    {"keep_data", offsetof(struct replica_method, keep_data), false},
	    {"no_params", offsetof(struct replica_method, no_params), false},
	    {"no_leader", offsetof(struct replica_method, no_leader), false},
	    {"no_master", offsetof(struct replica_method, no_leader), false},
	    {"keep_existing_recovery_conf",
	     offsetof(struct replica_method, keep_existing_recovery_conf), true},
	};

	for (size_t i = 0; i < ARRAY_LEN(flags); i++) {
		bool b;

		if (!str_eq(key, flags[i].key) || (flags[i].bootstrap_only && !r->bootstrap))
			continue;
		if (!cfg_node_bool(v, &b))
			cfg_error(c, line, "%s.%s: expected a boolean, got %s", r->path, key,
			          ynode_type_name(v));
		else
			*(bool *)((char *)r->m + flags[i].offset) = b;
		return true;
	}
	return false;
}

static void method_command(struct cfg_ctx *c, struct method_read *r, int line, const yaml_node_t *v)
{
	char err[128];
	char **words;

	if (!ynode_is_scalar(v) || ynode_text_has_nul(v)) {
		cfg_error(c, line, "%s.command: expected a command line, got %s", r->path,
		          ynode_type_name(v));
		return;
	}
	if (!shellwords_split(ynode_text(v), &words, err, sizeof(err))) {
		cfg_error(c, line, "%s.command: %s", r->path, err);
		return;
	}
	if (words[0] == NULL) {
		cfg_error(c, line, "%s.command: must not be empty", r->path);
		strv_free(words);
		return;
	}
	strv_free(r->m->command);
	r->m->command = words;
}

static void recovery_pair(struct cfg_ctx *c, const yaml_node_t *map, const struct ypair *p,
                          void *arg)
{
	static const char *const on_off[2] = {"off", "on"};
	struct method_read *r = arg;
	const char *name = ynode_text(p->key);
	int line = cfg_line(c, p->key);
	char path[CONFIG_MSG_LEN];
	const char *v;

	(void)map;
	snprintf(path, sizeof(path), "%s.recovery_conf.%s", r->path, name);
	if (!pg_params_valid_name(name))
		cfg_error(c, line, "%s.recovery_conf: '%s' is not a parameter name", r->path, name);
	else if ((v = scalar_text(c, line, path, p->value, on_off)) != NULL)
		pg_params_set(&r->m->recovery_conf, name, v);
}

static void method_param(struct cfg_ctx *c, struct method_read *r, const char *key, int line,
                         const yaml_node_t *v)
{
	static const char *const true_false[2] = {"false", "true"};
	char path[CONFIG_MSG_LEN];
	const char *text;

	snprintf(path, sizeof(path), "%s.%s", r->path, key);
	if (!option_name_ok(key))
		cfg_error(c, line, "%s: '%s' is not a parameter name", r->path, key);
	else if ((text = scalar_text(c, line, path, v, true_false)) != NULL)
		pg_params_set(&r->m->params, key, text);
}

static void method_pair(struct cfg_ctx *c, const yaml_node_t *map, const struct ypair *p, void *arg)
{
	struct method_read *r = arg;
	const char *key = ynode_text(p->key);
	int line = cfg_line(c, p->key);

	(void)map;
	if (str_eq(key, "command")) {
		method_command(c, r, line, p->value);
	} else if (method_flag(c, r, key, line, p->value)) {
		return;
	} else if (r->bootstrap && str_eq(key, "recovery_conf")) {
		if (!cfg_is_empty(p->value) && !ynode_is_map(p->value))
			cfg_error(c, line, "%s.recovery_conf: expected a mapping, got %s", r->path,
			          ynode_type_name(p->value));
		else if (ynode_is_map(p->value))
			cfg_each_pair(c, p->value, recovery_pair, r);
	} else {
		method_param(c, r, key, line, p->value);
	}
}

/* method_list_item: Patroni's list form of a section ("- verbose", "- max-rate: 100M"). */
static void method_list_item(struct cfg_ctx *c, struct method_read *r, yaml_node_t *item)
{
	if (ynode_is_map(item))
		cfg_each_pair(c, item, method_pair, r);
	else if (ynode_is_scalar(item) && option_name_ok(ynode_text(item)))
		pg_params_set(&r->m->params, ynode_text(item), "");
	else
		cfg_error(c, cfg_line(c, item), "%s: '%s' is not an option", r->path,
		          ynode_is_scalar(item) ? ynode_text(item) : ynode_type_name(item));
}

static void read_method_section(struct cfg_ctx *c, struct method_read *r, yaml_node_t *section)
{
	if (cfg_is_empty(section))
		return;
	if (ynode_is_seq(section)) {
		for (int i = 0; i < yseq_len(section); i++)
			method_list_item(c, r, yseq_item(c->doc, section, i));
	} else if (ynode_is_map(section)) {
		cfg_each_pair(c, section, method_pair, r);
	} else {
		cfg_error(c, cfg_line(c, section), "%s: expected a mapping, got %s", r->path,
		          ynode_type_name(section));
	}
}

static bool builtin_method(const char *name)
{
	return str_eq(name, "basebackup") || str_eq(name, "pgbackrest");
}

/*
 * read_method: the method called name, with its section at prefix.name in parent (if
 * any). Patroni's custom methods need a command; pgha's own ones may have one.
 */
static void read_method(struct cfg_ctx *c, const yaml_node_t *parent, const char *prefix,
                        const char *name, int line, struct replica_method *m, bool bootstrap)
{
	char path[CONFIG_MSG_LEN];
	yaml_node_t *section = map_get(c, parent, name);
	struct method_read r = {path, m, bootstrap};

	snprintf(path, sizeof(path), "%s.%s", prefix, name);
	if (!str_copy(m->name, sizeof(m->name), name) || !option_name_ok(name)) {
		cfg_error(c, line, "%s: '%s' is not a method name", prefix, name);
		return;
	}
	if (section != NULL)
		read_method_section(c, &r, section);
	if (m->command == NULL && !builtin_method(name))
		cfg_error(c, section ? cfg_line(c, section) : line,
		          "%s: a method of your own needs a command (pgha's own: basebackup, "
		          "pgbackrest%s)",
		          path, bootstrap ? ", initdb" : "");
}

void cfg_replica_method_free(struct replica_method *m)
{
	strv_free(m->command);
	pg_params_free(&m->recovery_conf);
	pg_params_free(&m->params);
	memset(m, 0, sizeof(*m));
}

static bool listed_before(const struct config *cfg, int n, const char *name)
{
	for (int i = 0; i < n; i++) {
		if (str_eq(cfg->postgresql.create_replica_methods[i].name, name))
			return true;
	}
	return false;
}

void cfg_read_replica_methods(struct cfg_ctx *c, const struct cfg_entry *e)
{
	struct config *cfg = c->base;
	int *n = &cfg->postgresql.n_create_replica_methods;

	for (int i = 0; i < *n; i++)
		cfg_replica_method_free(&cfg->postgresql.create_replica_methods[i]);
	*n = 0;
	if (cfg_is_empty(e->value))
		return;
	if (!ynode_is_seq(e->value)) {
		cfg_type_error(c, e, "a list of method names");
		return;
	}
	for (int i = 0; i < yseq_len(e->value); i++) {
		yaml_node_t *item = yseq_item(c->doc, e->value, i);
		const char *name = cfg_node_string(c, e, item);

		if (name == NULL || listed_before(cfg, *n, name))
			continue;
		if (*n == CONFIG_MAX_METHODS) {
			cfg_error(c, e->line, "%s: at most %d methods", e->path,
			          CONFIG_MAX_METHODS);
			return;
		}
		read_method(c, e->parent, "postgresql", name, cfg_line(c, item),
		            &cfg->postgresql.create_replica_methods[(*n)++], false);
	}
}

void cfg_read_bootstrap_method(struct cfg_ctx *c, const struct cfg_entry *e)
{
	struct config *cfg = c->base;
	const char *s = cfg_node_string(c, e, e->value);

	cfg_replica_method_free(&cfg->bootstrap.method);
	if (s == NULL || s[0] == '\0' || str_eq(s, "initdb"))
		return;
	if (str_eq(s, "basebackup")) {
		cfg_error(c, e->line, "%s: basebackup makes replicas, not new clusters", e->path);
		return;
	}
	read_method(c, e->parent, "bootstrap", s, e->line, &cfg->bootstrap.method, true);
}

/* seq_has: the list value of key in map holds name. */
static bool seq_has(struct cfg_ctx *c, const yaml_node_t *map, const char *key, const char *name)
{
	yaml_node_t *list = map_get(c, map, key);

	if (list != NULL && ynode_is_scalar(list))
		return str_eq(ynode_text(list), name);
	for (int i = 0; list != NULL && ynode_is_seq(list) && i < yseq_len(list); i++) {
		yaml_node_t *item = yseq_item(c->doc, list, i);

		if (ynode_is_scalar(item) && str_eq(ynode_text(item), name))
			return true;
	}
	return false;
}

/*
 * The other keys of postgresql: and bootstrap: are method sections when a method list
 * names them (read there); otherwise they are unknown keys.
 */
void cfg_read_method_section(struct cfg_ctx *c, const struct cfg_entry *e)
{
	const char *name = strrchr(e->path, '.') + 1;
	bool bootstrap = str_has_prefix(e->path, "bootstrap.");

	if (seq_has(c, e->parent, bootstrap ? "method" : "create_replica_methods", name))
		return;
	if (builtin_method(name))
		cfg_warn(c, e->line, "'%s' is not used: %s does not name %s", e->path,
		         bootstrap ? "bootstrap.method" : "postgresql.create_replica_methods",
		         name);
	else
		cfg_warn(c, e->line, "unknown key '%s' ignored", e->path);
}

/* --- slots and ignore_slots (dynamic configuration) ------------------------------------ */

/* Where a slot's properties go (name, type, database, plugin), each with its size. */
struct slot_fields {
	char *dst[4];
	size_t size[4];
};

#define SLOT_FIELDS(x)                                                            \
	{                                                                         \
		{(x).name, (x).type, (x).database, (x).plugin},                   \
		{                                                                 \
			sizeof((x).name), sizeof((x).type), sizeof((x).database), \
			    sizeof((x).plugin)                                    \
		}                                                                 \
	}

static void slot_field(struct cfg_ctx *c, const yaml_node_t *map, const struct ypair *p, void *arg)
{
	static const char *const keys[4] = {"name", "type", "database", "plugin"};
	const struct slot_fields *f = arg;
	const char *key = ynode_text(p->key);
	int k = 0;

	(void)map;
	if (str_eq(key, "cluster_type"))
		return; /* standby clusters are not supported: every slot is the primary's */
	while (k < 4 && !str_eq(key, keys[k]))
		k++;
	if (k == 4 || !ynode_is_scalar(p->value) ||
	    !str_copy(f->dst[k], f->size[k], ynode_text(p->value)))
		cfg_error(c, cfg_line(c, p->key), "slot property '%s': %s", key,
		          k == 4 ? "unknown (name, type, database, plugin)" : "bad value");
}

static bool slot_type_ok(struct cfg_ctx *c, int line, const char *name, const char *type)
{
	if (type[0] == '\0' || str_eq(type, "physical") || str_eq(type, "logical"))
		return true;
	cfg_error(c, line, "slot %s: type '%s' is neither physical nor logical", name, type);
	return false;
}

static void permanent_slot(struct cfg_ctx *c, const yaml_node_t *map, const struct ypair *p,
                           void *arg)
{
	struct dyn_config *d = arg;
	const char *name = ynode_text(p->key);
	int line = cfg_line(c, p->key);
	struct slot_spec s;
	struct slot_fields f = SLOT_FIELDS(s);

	(void)map;
	memset(&s, 0, sizeof(s));
	if (!str_copy(s.name, sizeof(s.name), name) || !pg_params_valid_name(name) ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(name)) {
		cfg_error(c, line, "slots: '%s' is not a slot name ([a-z0-9_], at most 63)", name);
		return;
	}
	if (ynode_is_map(p->value))
		cfg_each_pair(c, p->value, slot_field, &f);
	else if (!cfg_is_empty(p->value))
		cfg_error(c, line, "slots.%s: expected a mapping, got %s", name,
		          ynode_type_name(p->value));
	snprintf(s.name, sizeof(s.name), "%s", name);
	if (!slot_type_ok(c, line, name, s.type))
		return;
	if (s.type[0] == '\0')
		snprintf(s.type, sizeof(s.type), "physical");
	if (str_eq(s.type, "logical") && (s.database[0] == '\0' || s.plugin[0] == '\0'))
		cfg_error(c, line, "slots.%s: a logical slot needs a database and a plugin", name);
	else if (d->n_slots == CONFIG_MAX_SLOTS)
		cfg_error(c, line, "slots: at most %d permanent slots", CONFIG_MAX_SLOTS);
	else
		d->slots[d->n_slots++] = s;
}

static int slot_cmp(const void *a, const void *b)
{
	return strcmp(((const struct slot_spec *)a)->name, ((const struct slot_spec *)b)->name);
}

void cfg_read_slots(struct cfg_ctx *c, const struct cfg_entry *e)
{
	struct dyn_config *d = e->base;

	d->n_slots = 0;
	if (cfg_is_empty(e->value))
		return;
	if (!ynode_is_map(e->value)) {
		cfg_type_error(c, e, "a mapping of slot names");
		return;
	}
	cfg_each_pair(c, e->value, permanent_slot, d);
	qsort(d->slots, (size_t)d->n_slots, sizeof(d->slots[0]), slot_cmp);
}

void cfg_read_ignore_slots(struct cfg_ctx *c, const struct cfg_entry *e)
{
	struct dyn_config *d = e->base;

	d->n_ignore_slots = 0;
	if (cfg_is_empty(e->value))
		return;
	if (!ynode_is_seq(e->value)) {
		cfg_type_error(c, e, "a list of slot properties");
		return;
	}
	for (int i = 0; i < yseq_len(e->value); i++) {
		yaml_node_t *item = yseq_item(c->doc, e->value, i);
		struct slot_match m;
		struct slot_fields f = SLOT_FIELDS(m);

		memset(&m, 0, sizeof(m));
		if (!ynode_is_map(item)) {
			cfg_error(c, cfg_line(c, item), "%s: expected a mapping, got %s", e->path,
			          ynode_type_name(item));
			continue;
		}
		cfg_each_pair(c, item, slot_field, &f);
		if (!slot_type_ok(c, cfg_line(c, item), m.name, m.type))
			continue;
		if (d->n_ignore_slots == CONFIG_MAX_SLOTS)
			cfg_error(c, e->line, "%s: at most %d entries", e->path, CONFIG_MAX_SLOTS);
		else
			d->ignore_slots[d->n_ignore_slots++] = m;
	}
}

/* The slots as Patroni writes them in the config key. */
void cfg_slots_to_json(const struct dyn_config *d, json_t *out)
{
	json_t *slots = json_object(), *ignore = json_array();

	for (int i = 0; i < d->n_slots; i++) {
		const struct slot_spec *s = &d->slots[i];
		json_t *o = json_pack("{ss}", "type", s->type);

		if (str_eq(s->type, "logical")) {
			json_object_set_new(o, "database", json_string(s->database));
			json_object_set_new(o, "plugin", json_string(s->plugin));
		}
		json_object_set_new(slots, s->name, o);
	}
	for (int i = 0; i < d->n_ignore_slots; i++) {
		const struct slot_match *m = &d->ignore_slots[i];
		json_t *o = json_object();
		const char *keys[4] = {"name", "type", "database", "plugin"};
		const char *vals[4] = {m->name, m->type, m->database, m->plugin};

		for (int k = 0; k < 4; k++) {
			if (vals[k][0] != '\0')
				json_object_set_new(o, keys[k], json_string(vals[k]));
		}
		json_array_append_new(ignore, o);
	}
	/* Absent when empty, as Patroni leaves them. */
	if (d->n_slots > 0)
		json_object_set_new(out, "slots", slots);
	else
		json_decref(slots);
	if (d->n_ignore_slots > 0)
		json_object_set_new(out, "ignore_slots", ignore);
	else
		json_decref(ignore);
}
