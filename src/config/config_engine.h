/*
 * config_engine.h: the one table-driven reader behind every configuration pgha reads:
 * the agent's YAML file (config_keys.c), the cluster-wide dynamic configuration
 * (dyn_config.c: etcd's "config" key and PATCH /config as JSON, bootstrap.dcs and
 * `pgha edit-config` as YAML) and the router's YAML file (router/router_config.c).
 *
 * A table row names a key by its path ("restapi.listen"; a "*" segment matches any
 * key) and says what the key holds, where it lands in the struct being filled (an
 * offset), its range or choices, its default (as YAML text, read by the same code as a
 * value, so that defaults pass the same checks), which Patroni keys are old names of
 * it, and which Patroni keys pgha knows but does not use (a warning) or refuses (an
 * error unless the value turns the feature off). Adding a key is one row plus its
 * field; a row whose type does not match its field does not compile.
 *
 * Messages name the source, the line (YAML only), the key path and what is wrong:
 * "patroni.yml:12: bootstrap.dcs.ttl: 0 is out of range (1 to 86400)"; JSON has no
 * lines, so there the path says where: "ttl: 0 is out of range (1 to 86400)". Every
 * problem is reported, not only the first. Unknown keys are warnings (errors in a
 * section flagged CFG_F_STRICT). A bad value leaves its field as it was, so a typo in
 * etcd's copy never takes a running cluster's other settings away.
 *
 * Values are read as Patroni (PyYAML, Python) reads them: numbers may be numeric
 * strings, booleans "on"/"off", whole floats integers. null means "not set" (the field
 * keeps its value) except for strings, where it is "", and rows flagged
 * CFG_F_NULL_DEFAULT, where it restores the default. A JSON number is never a string.
 *
 * Library-like: nothing here logs or exits. Used by src/config/ and src/router/.
 */
#ifndef PGHA_CONFIG_CONFIG_ENGINE_H
#define PGHA_CONFIG_CONFIG_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "config/config.h"
#include "config/yaml_tree.h"
#include "util/compiler.h"

enum cfg_type {
	CFG_SECTION,    /* a mapping of further rows of the same table; null = empty */
	CFG_TABLE,      /* a mapping read with the table .ext, at base + offset */
	CFG_STR,        /* char[size]; .text may check or rewrite it; null = "" */
	CFG_INT,        /* int, min..max */
	CFG_BYTES,      /* int64_t, min..max; also "16MB" (units of 1024, as PostgreSQL) */
	CFG_SECONDS_MS, /* int milliseconds from seconds (fractions allowed), min..max s */
	CFG_DURATION,   /* int seconds, min..max: 3600 or "1h" (s, min, h, d, w) */
	CFG_BOOL,       /* bool: true/false, on/off, yes/no, 1/0 */
	CFG_ENUM,       /* int: index of the value in .ext (const char *const[], NULL-ended) */
	CFG_STRV,       /* char ** (owned, NULL-terminated) of one-line strings; replaced */
	CFG_HOSTS,      /* char[max][size], count (int) at .aux: a list or "a:1,b:2",
	                   each item through .text; appended */
	CFG_PARAMS,     /* struct pg_params: name: value mapping; replaced as a whole */
	CFG_FN,         /* .fn reads the value (may use .ext as a sub-table, see CFG_TABLE) */
	CFG_ALIAS,      /* another name (Patroni's older one) of the row at path .ext */
	CFG_KEEP,       /* accepted as written and not read here (user tags) */
	CFG_IGNORED,    /* a Patroni key pgha does not use: warning, .note says why */
	CFG_REFUSED,    /* a Patroni feature pgha lacks: error (.note) unless empty */
	CFG__COUNT
};

#define CFG_F_STRICT       0x1 /* CFG_SECTION, CFG_TABLE: unknown keys are errors */
#define CFG_F_NULL_DEFAULT 0x2 /* null restores the default (Patroni's pause: null) */

struct cfg_ctx;
struct cfg_key;

/* One key as found in the document. */
struct cfg_entry {
	const char *path;          /* as written, from the document's root */
	int line;                  /* of the key; 0 where the source has no lines */
	yaml_node_t *value;        /* never NULL */
	const struct cfg_key *key; /* its row (the target row for an alias) */
	void *base;                /* the struct the row's offset is into */
	const yaml_node_t *parent; /* the mapping the key is in */
};

/* A handler for a key that needs more than a type (CFG_FN). */
typedef void cfg_read_fn(struct cfg_ctx *c, const struct cfg_entry *e);
/* A pre-check of a value before its type reads it; false after reporting. */
typedef bool cfg_check_fn(struct cfg_ctx *c, const struct cfg_entry *e);
/*
 * A string check that may rewrite: in (from line) into out[size]. False after
 * reporting (the field is then left alone).
 */
typedef bool cfg_text_fn(struct cfg_ctx *c, const struct cfg_entry *e, int line, const char *in,
                         char *out, size_t size);

struct cfg_key {
	const char *path;    /* relative to the table; NULL ends a table */
	enum cfg_type type;  /* what the key holds */
	size_t offset;       /* of the field in the table's struct */
	size_t size;         /* CFG_STR: the array; CFG_HOSTS: one item */
	int64_t min, max;    /* CFG_INT, CFG_BYTES, CFG_SECONDS_MS; CFG_HOSTS: max items */
	size_t aux;          /* CFG_HOSTS: offset of the count */
	const char *def;     /* default as YAML text; NULL = the zeroed field */
	const void *ext;     /* sub-table, choices or alias target (see the types) */
	cfg_text_fn *text;   /* CFG_STR, CFG_HOSTS: per string */
	cfg_check_fn *check; /* any value type: before reading */
	cfg_read_fn *fn;     /* CFG_FN */
	const char *note;    /* CFG_IGNORED, CFG_REFUSED: why */
	unsigned flags;      /* CFG_F_* */
};

/*
 * Row constructors: T is the struct the table fills, f the field. The field's type is
 * checked at compile time against what the row stores.
 */
#define CFG_FIELD(T, f, ftype) \
	(offsetof(T, f) +      \
	 0 * sizeof(char[__builtin_types_compatible_p(__typeof__(((T *)0)->f), ftype) ? 1 : -1]))
#define CFG_SIZE(T, f) sizeof(((T *)0)->f)

#define CFG_SECTION_ROW(p, fl)                              \
	{                                                   \
		.path = p, .type = CFG_SECTION, .flags = fl \
	}
#define CFG_TABLE_ROW(T, p, f, sub)                                                \
	{                                                                          \
		.path = p, .type = CFG_TABLE, .offset = offsetof(T, f), .ext = sub \
	}
#define CFG_STR_ROW(T, p, f, d, txt)                                                          \
	{                                                                                     \
		.path = p, .type = CFG_STR, .offset = offsetof(T, f), .size = CFG_SIZE(T, f), \
		.def = d, .text = txt                                                         \
	}
#define CFG_INT_ROW(T, p, f, lo, hi, d)                                                           \
	{                                                                                         \
		.path = p, .type = CFG_INT, .offset = CFG_FIELD(T, f, int), .min = lo, .max = hi, \
		.def = d                                                                          \
	}
#define CFG_BYTES_ROW(T, p, f, lo, d, fl)                                                    \
	{                                                                                    \
		.path = p, .type = CFG_BYTES, .offset = CFG_FIELD(T, f, int64_t), .min = lo, \
		.max = INT64_MAX, .def = d, .flags = fl                                      \
	}
#define CFG_SECONDS_MS_ROW(T, p, f, lo, hi, d)                                                \
	{                                                                                     \
		.path = p, .type = CFG_SECONDS_MS, .offset = CFG_FIELD(T, f, int), .min = lo, \
		.max = hi, .def = d                                                           \
	}
#define CFG_DURATION_ROW(T, p, f, lo, hi, d)                                                \
	{                                                                                   \
		.path = p, .type = CFG_DURATION, .offset = CFG_FIELD(T, f, int), .min = lo, \
		.max = hi, .def = d                                                         \
	}
#define CFG_BOOL_ROW(T, p, f, d, fl)                                                    \
	{                                                                               \
		.path = p, .type = CFG_BOOL, .offset = CFG_FIELD(T, f, bool), .def = d, \
		.flags = fl                                                             \
	}
#define CFG_CHOICE_ROW(T, p, f, choices, d)                                                   \
	{                                                                                     \
		.path = p, .type = CFG_STR, .offset = offsetof(T, f), .size = CFG_SIZE(T, f), \
		.def = d, .text = cfg_text_choice, .ext = choices                             \
	}
#define CFG_ENUM_ROW(T, p, f, names, d)                                                        \
	{                                                                                      \
		.path = p, .type = CFG_ENUM,                                                   \
		.offset =                                                                      \
		    offsetof(T, f) + 0 * sizeof(char[CFG_SIZE(T, f) == sizeof(int) ? 1 : -1]), \
		.ext = names, .def = d                                                         \
	}
#define CFG_STRV_ROW(T, p, f)                                                   \
	{                                                                       \
		.path = p, .type = CFG_STRV, .offset = CFG_FIELD(T, f, char **) \
	}
#define CFG_HOSTS_ROW(T, p, f, n, txt)                                                             \
	{                                                                                          \
		.path = p, .type = CFG_HOSTS, .offset = offsetof(T, f), .size = CFG_SIZE(T, f[0]), \
		.min = 0, .max = CFG_SIZE(T, f) / CFG_SIZE(T, f[0]), .aux = CFG_FIELD(T, n, int),  \
		.text = txt                                                                        \
	}
#define CFG_PARAMS_ROW(T, p, f)                                                            \
	{                                                                                  \
		.path = p, .type = CFG_PARAMS, .offset = CFG_FIELD(T, f, struct pg_params) \
	}
#define CFG_FN_ROW(p, handler)                           \
	{                                                \
		.path = p, .type = CFG_FN, .fn = handler \
	}
/* A handler that reads its mapping with a table of its own (whose defaults apply). */
#define CFG_FN_TABLE_ROW(T, p, f, handler, sub)                                                \
	{                                                                                      \
		.path = p, .type = CFG_FN, .offset = offsetof(T, f), .fn = handler, .ext = sub \
	}
#define CFG_ALIAS_ROW(p, target)                            \
	{                                                   \
		.path = p, .type = CFG_ALIAS, .ext = target \
	}
#define CFG_KEEP_ROW(p)                     \
	{                                   \
		.path = p, .type = CFG_KEEP \
	}
#define CFG_IGNORED_ROW(p, why)                             \
	{                                                   \
		.path = p, .type = CFG_IGNORED, .note = why \
	}
#define CFG_REFUSED_ROW(p, why)                             \
	{                                                   \
		.path = p, .type = CFG_REFUSED, .note = why \
	}
#define CFG_END_ROW          \
	{                    \
		.path = NULL \
	}

/* The reading of one document through one table. */
struct cfg_ctx {
	const struct cfg_key *table;  /* the root table */
	void *base;                   /* the struct it fills */
	const char *name;             /* the source in messages; NULL: none */
	struct ydoc *doc;             /* while reading */
	bool lines;                   /* the source has lines (YAML, not JSON) */
	bool empty_ok;                /* an empty document is an empty mapping */
	struct config_msgs *errors;   /* never NULL */
	struct config_msgs *warnings; /* never NULL */
	int n_errors;                 /* also those past CONFIG_MAX_MSGS */
	struct cfg_seen *seen;        /* rows found, with their lines (owned) */
	int n_seen;
	int cap_seen;
	struct config_msgs *scratch; /* owned: errors and warnings the caller did not want */
	void *user;                  /* the caller's state, for its CFG_FN rows */
};

/*
 * cfg_ctx_init: a reading of table into base. errors and warnings may be NULL (then
 * they are kept in a scratch list; cfg_ctx_free releases it); both are emptied.
 */
void cfg_ctx_init(struct cfg_ctx *c, const struct cfg_key *table, void *base, const char *name,
                  struct config_msgs *errors, struct config_msgs *warnings);
void cfg_ctx_free(struct cfg_ctx *c);
/*
 * cfg_read_yaml: text[len] as one YAML document, a mapping, through the table.
 * Malformed YAML (with name:line:column), an empty document (unless empty_ok) or one
 * that is not a mapping is an error and nothing is read: then it returns false.
 * Otherwise true, even when values were bad (see c->n_errors).
 */
bool cfg_read_yaml(struct cfg_ctx *c, const char *text, size_t len);
/* cfg_read_json: the same for a parsed JSON value (an object); messages have no lines. */
bool cfg_read_json(struct cfg_ctx *c, const json_t *v);
/*
 * cfg_defaults: every row's default into base (fields without one are left alone).
 * False if a default does not pass its own row's checks (a bug the tests catch).
 */
bool cfg_defaults(const struct cfg_key *table, void *base);
/* cfg_to_json: the values of every value row as a JSON object (nested by path). Owned. */
json_t *cfg_to_json(const struct cfg_key *table, const void *base);
/* cfg_key_line: line where the key at path (from the root table) was read, 0 if none. */
int cfg_key_line(const struct cfg_ctx *c, const char *path);
/* cfg_key_set: the key at path was in the document (with or without lines). */
bool cfg_key_set(const struct cfg_ctx *c, const char *path);
/* cfg_key_bad: the key at path was in the document with a value that was refused. */
bool cfg_key_bad(const struct cfg_ctx *c, const char *path);
/* cfg_errors_join: the errors as one text, separated by sep, into err[errlen]. */
void cfg_errors_join(const struct cfg_ctx *c, const char *sep, char *err, size_t errlen);

/* --- for CFG_FN handlers and checks ------------------------------------------------- */

void cfg_error(struct cfg_ctx *c, int line, const char *fmt, ...) PRINTF_LIKE(3, 4);
void cfg_warn(struct cfg_ctx *c, int line, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* cfg_error_raw: an error already formatted with its position (from yaml_tree). */
void cfg_error_raw(struct cfg_ctx *c, const char *msg);
/* cfg_line: the node's line, 0 where the source has no lines. */
int cfg_line(const struct cfg_ctx *c, const yaml_node_t *n);
/* cfg_field: where the entry's row stores its value. */
void *cfg_field(const struct cfg_entry *e);
/* cfg_read_value: reads e as its row's type says (a CFG_FN handler's default path). */
void cfg_read_value(struct cfg_ctx *c, const struct cfg_entry *e);
/* cfg_read_map: e's value (null = empty, else a mapping) through table at base. */
void cfg_read_map(struct cfg_ctx *c, const struct cfg_entry *e, const struct cfg_key *table,
                  void *base);
/* cfg_read_section: e's value as the section at tpath of the root table. */
void cfg_read_section(struct cfg_ctx *c, const struct cfg_entry *e, const char *tpath);
void cfg_type_error(struct cfg_ctx *c, const struct cfg_entry *e, const char *expected);
/* cfg_node_string: a scalar meant as a string ("" for null), or NULL after an error. */
const char *cfg_node_string(struct cfg_ctx *c, const struct cfg_entry *e, const yaml_node_t *n);
bool cfg_node_int(const yaml_node_t *n, int64_t *out);
bool cfg_node_bool(const yaml_node_t *n, bool *out);
bool cfg_is_null(const yaml_node_t *n);
/* cfg_is_empty: null, false, {} or []: a value that turns a feature off. */
bool cfg_is_empty(const yaml_node_t *n);
/* A handler of one key: value pair of a mapping. */
typedef void cfg_pair_fn(struct cfg_ctx *c, const yaml_node_t *map, const struct ypair *p,
                         void *arg);
/* cfg_each_pair: fn on each pair of map (merge keys resolved); malformed maps are errors. */
void cfg_each_pair(struct cfg_ctx *c, const yaml_node_t *map, cfg_pair_fn *fn, void *arg);
/* cfg_map_has: the mapping holds key (merge keys resolved). */
bool cfg_map_has(struct cfg_ctx *c, const yaml_node_t *map, const char *key);

/*
 * cfg_need_pair: when a (at a_path) is set and b (at b_path) is not, the error
 * "a_path is set but b_path (or ENV) is not: set both or neither" (env may be NULL):
 * the half of a credential pair, or a certificate without its key (config_tls.c).
 */
void cfg_need_pair(struct cfg_ctx *c, const char *a_path, const char *a, const char *b_path,
                   const char *b, const char *env);
/* cfg_env_override: the environment variable var, when set, replaces dst[size]. */
void cfg_env_override(struct cfg_ctx *c, const char *var, char *dst, size_t size);

/* Text checks rows share (config_values.c, config_sections.c). */
cfg_text_fn cfg_text_listen;    /* host:port to bind: "" (unset), "*:5432", "a,b:5432" */
cfg_text_fn cfg_text_address;   /* host:port another node connects to */
cfg_text_fn cfg_text_namespace; /* "service", "/service", "//a//b/" -> "/service/", "/a/b/" */
cfg_text_fn cfg_text_log_level; /* Python's level names (DEBUG...CRITICAL) -> pgha's */
cfg_text_fn cfg_text_choice;    /* one of the row's choices (.ext), kept as text */
bool cfg_split_listen(const char *s, char *host, size_t host_size, int *port);
bool cfg_is_wildcard_host(const char *host);

#endif
