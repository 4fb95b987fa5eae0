/*
 * yaml_tree.h: a YAML document (libyaml's document API) read the way Patroni's PyYAML
 * reads it, for the config parser and yaml_to_json.
 *
 * It adds to libyaml what PyYAML's SafeLoader does on top of the syntax: YAML 1.1 typing
 * of plain scalars (yes/no/on/off are booleans, 0755 is octal, 1e3 is a string), merge
 * keys (<<). It also refuses what a config must not contain: duplicate keys, non-scalar
 * keys, more than one document, alias cycles and alias bombs.
 *
 * Limitation: libyaml's document API gives an untagged plain scalar the same tag as one
 * written with an explicit !!str, so `!!str yes` still reads as a boolean; quote instead.
 *
 * Library-like: nothing here logs; problems are returned as "name:line:column: problem".
 * Used by src/config/ and, through config_engine.h, by the router's configuration.
 */
#ifndef PGHA_CONFIG_YAML_TREE_H
#define PGHA_CONFIG_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <yaml.h>
#include "util/compiler.h"

struct ydoc {
	yaml_document_t doc; /* owned by the ydoc while loaded */
	const char *name;    /* borrowed: used in messages */
	bool loaded;
	bool from_json; /* built by ydoc_from_json: no lines, every scalar typed */
};

/* A scalar as PyYAML's resolver types it. */
enum yscalar_type {
	YS_NULL = 0, /* ~, null, empty */
	YS_BOOL,     /* yes/no, true/false, on/off (three spellings each) */
	YS_INT,      /* decimal, 0x hex, 0 octal, 0b binary, 1:30 base 60, with _ */
	YS_FLOAT,    /* 1.5, 1.0e+3, .5, .inf, .nan, 1:30.5 */
	YS_STR,      /* everything else, and every quoted or block scalar */
	YS__COUNT
};

struct yscalar {
	enum yscalar_type type;
	bool b;     /* YS_BOOL */
	int64_t i;  /* YS_INT */
	double f;   /* YS_FLOAT */
	bool range; /* YS_INT written but outside int64: type is then YS_STR */
};

struct ypair {
	yaml_node_t *key;   /* always a scalar */
	yaml_node_t *value; /* never NULL */
};

/*
 * ydoc_load: parses text[len] (one document). On failure returns false with err set
 * ("name:line:column: problem"); doc is then not loaded and needs no ydoc_free.
 */
bool ydoc_load(struct ydoc *doc, const char *text, size_t len, const char *name, char *err,
               size_t errlen) MUST_CHECK;
/*
 * ydoc_from_json: a document holding the JSON value v, so that JSON (etcd's values, REST
 * bodies) is read by the same code as YAML. Every scalar carries its JSON type as an
 * explicit tag (a JSON number stays a number, a string a string: "on" is not a
 * boolean there); reals are written as their shortest exact text. Nodes have no
 * lines. False with err set only if libyaml runs out of memory.
 */
bool ydoc_from_json(struct ydoc *doc, const json_t *v, const char *name, char *err,
                    size_t errlen) MUST_CHECK;
void ydoc_free(struct ydoc *doc);
/* ydoc_root: the top node, or NULL for an empty document. Borrowed. */
yaml_node_t *ydoc_root(struct ydoc *doc);

/* ynode_line: 1-based line where the node starts. */
int ynode_line(const yaml_node_t *n);
bool ynode_is_scalar(const yaml_node_t *n);
bool ynode_is_map(const yaml_node_t *n);
bool ynode_is_seq(const yaml_node_t *n);
/* ynode_text: a scalar's text (NUL-terminated by libyaml). Borrowed. */
const char *ynode_text(const yaml_node_t *n);
/* ynode_text_has_nul: the scalar's text contains a NUL (written as "\0" in YAML). */
bool ynode_text_has_nul(const yaml_node_t *n);
/* ynode_typed: the scalar's type was given (an explicit tag, or JSON), not read from text. */
bool ynode_typed(const yaml_node_t *n);
/* ynode_type_name: "a mapping", "a list", "a boolean"... for error messages. */
const char *ynode_type_name(const yaml_node_t *n);

/* yscalar_resolve: types a scalar node as PyYAML (YAML 1.1) does. */
void yscalar_resolve(const yaml_node_t *n, struct yscalar *out);
/* yscalar_resolve_text: the same for the text of a plain scalar. */
void yscalar_resolve_text(const char *text, struct yscalar *out);

/* yseq_len, yseq_item: a sequence's items (item i is never NULL for i < len). */
int yseq_len(const yaml_node_t *seq);
yaml_node_t *yseq_item(struct ydoc *doc, const yaml_node_t *seq, int i);

/*
 * ymap_pairs: a mapping's pairs, merge keys (<<) resolved as PyYAML does (explicit keys
 * win, then earlier merged mappings). Fails on duplicate keys, non-scalar keys, bad
 * merge values and merge cycles. *out is owned (free it) and set to NULL on failure.
 */
bool ymap_pairs(struct ydoc *doc, const yaml_node_t *map, struct ypair **out, int *n, char *err,
                size_t errlen) MUST_CHECK;

/*
 * ynode_to_json: the node as a jansson value (owned), typed as yscalar_resolve says;
 * mapping keys become strings as written. Infinite and NaN floats stay strings (JSON
 * has no such numbers). NULL with err set on any problem (those of ymap_pairs, integers
 * beyond 64 bits, nesting deeper than 64, more than 100000 values after aliases).
 */
json_t *ynode_to_json(struct ydoc *doc, const yaml_node_t *n, char *err, size_t errlen);

#endif
