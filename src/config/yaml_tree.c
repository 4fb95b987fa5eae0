/*
 * yaml_tree.c: loading one YAML document with libyaml and reading it as PyYAML would.
 *
 * libyaml does the syntax (tokens, indentation, quoting, anchors); this file adds
 * PyYAML's scalar resolver (yaml/resolver.py and constructor.py, YAML 1.1), merge keys,
 * and the checks a configuration needs (duplicate keys, cycles, size limits).
 * It does not know any configuration key.
 */
#include "config/yaml_tree.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "config/config.h"
#include "util/err.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define DIGITS "0123456789"
/*
 * Limits for ynode_to_json. An alias cycle (&a [*a]) would recurse forever and a
 * "billion laughs" document expands exponentially; no real configuration is near these.
 */
#define YAML_MAX_DEPTH  64
#define YAML_MAX_VALUES 100000
#define YAML_MAX_MERGE  16

/* --- loading -------------------------------------------------------------------- */

static size_t line_of_offset(const char *text, size_t len, size_t offset)
{
	size_t line = 1;

	for (size_t i = 0; i < offset && i < len; i++)
		if (text[i] == '\n')
			line++;
	return line;
}

/* A tab where libyaml expected indentation deserves a plain-words hint. */
static const char *tab_hint(const yaml_parser_t *p, const char *text, size_t len)
{
	size_t at = p->problem_mark.index;

	if (at < len && text[at] == '\t')
		return " (tabs cannot be used for indentation in YAML)";
	return "";
}

static void parser_error(const yaml_parser_t *p, const char *text, size_t len, const char *name,
                         char *err, size_t errlen)
{
	const yaml_mark_t *m = &p->problem_mark;
	const char *problem = p->problem ? p->problem : "invalid YAML";

	switch (p->error) {
	case YAML_READER_ERROR:
		err_set(err, errlen, "%s:%zu: %s (at byte %zu)", name,
		        line_of_offset(text, len, p->problem_offset), problem, p->problem_offset);
		return;
	case YAML_MEMORY_ERROR:
		err_set(err, errlen, "%s: out of memory while parsing YAML", name);
		return;
	default:
		break;
	}
	if (p->context != NULL)
		err_set(err, errlen, "%s:%zu:%zu: %s %s at line %zu%s", name, m->line + 1,
		        m->column + 1, problem, p->context, p->context_mark.line + 1,
		        tab_hint(p, text, len));
	else
		err_set(err, errlen, "%s:%zu:%zu: %s%s", name, m->line + 1, m->column + 1, problem,
		        tab_hint(p, text, len));
}

/* The stream must end after the first document. */
static bool check_single_document(yaml_parser_t *p, const char *text, size_t len, const char *name,
                                  char *err, size_t errlen)
{
	yaml_document_t next;
	yaml_node_t *root;

	if (!yaml_parser_load(p, &next)) {
		parser_error(p, text, len, name, err, errlen);
		return false;
	}
	root = yaml_document_get_root_node(&next);
	if (root != NULL)
		err_set(err, errlen, "%s:%zu:%zu: only one YAML document is allowed", name,
		        root->start_mark.line + 1, root->start_mark.column + 1);
	yaml_document_delete(&next);
	return root == NULL;
}

bool ydoc_load(struct ydoc *doc, const char *text, size_t len, const char *name, char *err,
               size_t errlen)
{
	yaml_parser_t parser;
	bool ok;

	memset(doc, 0, sizeof(*doc));
	doc->name = name;
	if (!yaml_parser_initialize(&parser)) {
		err_set(err, errlen, "%s: out of memory while parsing YAML", name);
		return false;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	ok = yaml_parser_load(&parser, &doc->doc);
	if (!ok) {
		parser_error(&parser, text, len, name, err, errlen);
	} else if (!check_single_document(&parser, text, len, name, err, errlen)) {
		yaml_document_delete(&doc->doc);
		ok = false;
	}
	yaml_parser_delete(&parser);
	doc->loaded = ok;
	return ok;
}

/* --- JSON into a document ------------------------------------------------------- */

/* Shortest text that reads back as the same double (0.9, not 0.90000000000000002). */
static void format_real(double f, char *buf, size_t size)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, f);
		if (strtod(buf, NULL) == f)
			return;
	}
}

static int add_text(yaml_document_t *d, const char *tag, const char *text, size_t len,
                    yaml_scalar_style_t style)
{
	if (len > INT_MAX)
		return 0;
	return yaml_document_add_scalar(d, (const yaml_char_t *)tag, (const yaml_char_t *)text,
	                                (int)len, style);
}

static int add_scalar(yaml_document_t *d, const json_t *v)
{
	char num[64];

	switch (json_typeof(v)) {
	case JSON_STRING:
		return add_text(d, YAML_STR_TAG, json_string_value(v), json_string_length(v),
		                YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return add_text(d, YAML_INT_TAG, num, strlen(num), YAML_PLAIN_SCALAR_STYLE);
	case JSON_REAL:
		format_real(json_real_value(v), num, sizeof(num));
		return add_text(d, YAML_FLOAT_TAG, num, strlen(num), YAML_PLAIN_SCALAR_STYLE);
	case JSON_TRUE:
	case JSON_FALSE:
		return add_text(d, YAML_BOOL_TAG, json_is_true(v) ? "true" : "false",
		                json_is_true(v) ? 4 : 5, YAML_PLAIN_SCALAR_STYLE);
	default:
		return add_text(d, YAML_NULL_TAG, "null", 4, YAML_PLAIN_SCALAR_STYLE);
	}
}

/* add_json: v as a node of d (containers before their items, so the first is the root). */
static int add_json(yaml_document_t *d, const json_t *v)
{
	int id;
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_object(v)) {
		id = yaml_document_add_mapping(d, (const yaml_char_t *)YAML_MAP_TAG,
		                               YAML_BLOCK_MAPPING_STYLE);
		json_object_foreach((json_t *)(uintptr_t)v, key, item)
		{
			int k = add_text(d, YAML_STR_TAG, key, strlen(key),
			                 YAML_DOUBLE_QUOTED_SCALAR_STYLE);
			int val = k ? add_json(d, item) : 0;

			if (id == 0 || val == 0 ||
			    !yaml_document_append_mapping_pair(d, id, k, val))
				return 0;
		}
		return id;
	}
	if (json_is_array(v)) {
		id = yaml_document_add_sequence(d, (const yaml_char_t *)YAML_SEQ_TAG,
		                                YAML_BLOCK_SEQUENCE_STYLE);
		json_array_foreach(v, i, item)
		{
			int val = add_json(d, item);

			if (id == 0 || val == 0 || !yaml_document_append_sequence_item(d, id, val))
				return 0;
		}
		return id;
	}
	return add_scalar(d, v);
}

bool ydoc_from_json(struct ydoc *doc, const json_t *v, const char *name, char *err, size_t errlen)
{
	memset(doc, 0, sizeof(*doc));
	doc->name = name;
	doc->from_json = true;
	if (!yaml_document_initialize(&doc->doc, NULL, NULL, NULL, 1, 1)) {
		err_set(err, errlen, "%s: out of memory", name ? name : "JSON");
		return false;
	}
	doc->loaded = true;
	if (v != NULL && add_json(&doc->doc, v) == 0) {
		err_set(err, errlen, "%s: out of memory", name ? name : "JSON");
		ydoc_free(doc);
		return false;
	}
	return true;
}

void ydoc_free(struct ydoc *doc)
{
	if (doc->loaded)
		yaml_document_delete(&doc->doc);
	doc->loaded = false;
}

yaml_node_t *ydoc_root(struct ydoc *doc)
{
	return doc->loaded ? yaml_document_get_root_node(&doc->doc) : NULL;
}

/* --- nodes ---------------------------------------------------------------------- */

int ynode_line(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

static int ynode_column(const yaml_node_t *n)
{
	return (int)n->start_mark.column + 1;
}

bool ynode_is_scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE;
}

bool ynode_is_map(const yaml_node_t *n)
{
	return n->type == YAML_MAPPING_NODE;
}

bool ynode_is_seq(const yaml_node_t *n)
{
	return n->type == YAML_SEQUENCE_NODE;
}

const char *ynode_text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

bool ynode_text_has_nul(const yaml_node_t *n)
{
	return strlen(ynode_text(n)) != n->data.scalar.length;
}

bool ynode_typed(const yaml_node_t *n)
{
	static const char *const tags[] = {YAML_NULL_TAG, YAML_BOOL_TAG, YAML_INT_TAG,
	                                   YAML_FLOAT_TAG};
	const char *tag = (const char *)n->tag;

	for (size_t i = 0; tag != NULL && i < ARRAY_LEN(tags); i++)
		if (strcmp(tag, tags[i]) == 0)
			return true;
	return false;
}

const char *ynode_type_name(const yaml_node_t *n)
{
	static const char *const names[YS__COUNT] = {
	    [YS_NULL] = "nothing (null)", [YS_BOOL] = "a boolean", [YS_INT] = "an integer",
	    [YS_FLOAT] = "a number",      [YS_STR] = "a string",
	};
	struct yscalar v;

	if (ynode_is_map(n))
		return "a mapping";
	if (ynode_is_seq(n))
		return "a list";
	yscalar_resolve(n, &v);
	return names[v.type];
}

int yseq_len(const yaml_node_t *seq)
{
	return (int)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

yaml_node_t *yseq_item(struct ydoc *doc, const yaml_node_t *seq, int i)
{
	return yaml_document_get_node(&doc->doc, seq->data.sequence.items.start[i]);
}

/* --- PyYAML's resolver ------------------------------------------------------------ */

static bool text_in(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static bool match_null(const char *s)
{
	static const char *const forms[] = {"", "~", "null", "Null", "NULL"};

	return text_in(s, forms, ARRAY_LEN(forms));
}

static bool match_bool(const char *s, bool *value)
{
	static const char *const yes[] = {"yes",  "Yes", "YES", "true", "True",
	                                  "TRUE", "on",  "On",  "ON"};
	static const char *const no[] = {"no",    "No",  "NO",  "false", "False",
	                                 "FALSE", "off", "Off", "OFF"};

	if (text_in(s, yes, ARRAY_LEN(yes))) {
		*value = true;
		return true;
	}
	if (text_in(s, no, ARRAY_LEN(no))) {
		*value = false;
		return true;
	}
	return false;
}

static const char *skip_sign(const char *s)
{
	return (*s == '-' || *s == '+') ? s + 1 : s;
}

/* (:[0-5]?[0-9])+ ; advances *p past it. Greedy is exact here: see the callers. */
static bool match_base60_tail(const char **p)
{
	const char *s = *p;
	int parts = 0;

	while (*s == ':') {
		s++;
		if (s[0] >= '0' && s[0] <= '5' && isdigit((unsigned char)s[1]))
			s += 2;
		else if (isdigit((unsigned char)s[0]))
			s += 1;
		else
			return false;
		parts++;
	}
	*p = s;
	return parts > 0;
}

static bool all_in(const char *s, const char *set)
{
	return *s != '\0' && strspn(s, set) == strlen(s);
}

/* [-+]?(0b[01_]+ | 0[0-7_]+ | 0 | [1-9][0-9_]* | 0x[0-9a-fA-F_]+ | [1-9][0-9_]*(:[0-5]?[0-9])+) */
static bool match_int(const char *s)
{
	const char *p;

	s = skip_sign(s);
	if (s[0] == '0' && s[1] == 'b')
		return all_in(s + 2, "01_");
	if (s[0] == '0' && s[1] == 'x')
		return all_in(s + 2, DIGITS "abcdefABCDEF_");
	if (s[0] == '0')
		return s[1] == '\0' || all_in(s + 1, "01234567_");
	if (s[0] < '1' || s[0] > '9')
		return false;
	p = s + 1 + strspn(s + 1, DIGITS "_");
	if (*p == '\0')
		return true;
	return match_base60_tail(&p) && *p == '\0';
}

/* ([eE][-+][0-9]+)?$ */
static bool match_exponent_end(const char *p)
{
	if (*p == '\0')
		return true;
	if ((*p != 'e' && *p != 'E') || (p[1] != '-' && p[1] != '+') ||
	    !isdigit((unsigned char)p[2]))
		return false;
	p += 2;
	return p[strspn(p, DIGITS)] == '\0';
}

/* [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN) */
static bool match_special_float(const char *s)
{
	static const char *const inf[] = {".inf", ".Inf", ".INF"};
	static const char *const nan[] = {".nan", ".NaN", ".NAN"};

	return text_in(skip_sign(s), inf, ARRAY_LEN(inf)) || text_in(s, nan, ARRAY_LEN(nan));
}

/*
 * [-+]?[0-9][0-9_]*\.[0-9_]*(exp)? | \.[0-9][0-9_]*(exp)? |
 * [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)   (note: no
 * sign before ".5", exponent needs a sign)
 */
static bool match_float(const char *s)
{
	const char *p;

	if (match_special_float(s))
		return true;
	if (s[0] == '.') {
		if (!isdigit((unsigned char)s[1]))
			return false;
		return match_exponent_end(s + 2 + strspn(s + 2, DIGITS "_"));
	}
	s = skip_sign(s);
	if (!isdigit((unsigned char)s[0]))
		return false;
	p = s + 1 + strspn(s + 1, DIGITS "_");
	if (*p == '.') {
		p++;
		return match_exponent_end(p + strspn(p, DIGITS "_"));
	}
	if (*p != ':' || !match_base60_tail(&p) || *p != '.')
		return false;
	p++;
	return p[strspn(p, DIGITS "_")] == '\0';
}

/* Copy without '_', as PyYAML's constructors do before converting. */
static void strip_underscores(const char *s, char *out, size_t size)
{
	size_t j = 0;

	for (; *s != '\0' && j + 1 < size; s++)
		if (*s != '_')
			out[j++] = *s;
	out[j] = '\0';
}

static bool accumulate(uint64_t *acc, unsigned base, unsigned digit)
{
	if (*acc > (UINT64_MAX - digit) / base)
		return false;
	*acc = *acc * base + digit;
	return true;
}

static bool digits_value(const char *s, unsigned base, uint64_t *out)
{
	uint64_t acc = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned d = isdigit((unsigned char)*s)
		                 ? (unsigned)(*s - '0')
		                 : (unsigned)(tolower((unsigned char)*s) - 'a' + 10);

		if (!accumulate(&acc, base, d))
			return false;
	}
	*out = acc;
	return true;
}

static bool base60_value(const char *s, uint64_t *out)
{
	uint64_t acc = 0;

	while (*s != '\0') {
		char *end;
		uint64_t part;

		errno = 0;
		part = strtoull(s, &end, 10);
		if (errno != 0 || !accumulate(&acc, 60, 0) || acc > UINT64_MAX - part)
			return false;
		acc += part;
		s = (*end == ':') ? end + 1 : end;
	}
	*out = acc;
	return true;
}

/* The value of a text that match_int accepted; false if it does not fit in int64. */
static bool int_value(const char *text, int64_t *out)
{
	char buf[128];
	const char *s;
	bool neg;
	uint64_t mag;
	bool ok;

	strip_underscores(text, buf, sizeof(buf));
	neg = buf[0] == '-';
	s = skip_sign(buf);
	if (str_has_prefix(s, "0b"))
		ok = digits_value(s + 2, 2, &mag);
	else if (str_has_prefix(s, "0x"))
		ok = digits_value(s + 2, 16, &mag);
	else if (strchr(s, ':') != NULL)
		ok = base60_value(s, &mag);
	else if (s[0] == '0' && s[1] != '\0')
		ok = digits_value(s + 1, 8, &mag);
	else
		ok = digits_value(s, 10, &mag);
	if (!ok || mag > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
		return false;
	*out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return true;
}

static double float_value(const char *text)
{
	char buf[128];
	const char *s;
	double sign, acc = 0.0;

	strip_underscores(text, buf, sizeof(buf));
	sign = buf[0] == '-' ? -1.0 : 1.0;
	s = skip_sign(buf);
	if (strcasecmp(s, ".inf") == 0)
		return sign * (double)INFINITY;
	if (strcasecmp(s, ".nan") == 0)
		return (double)NAN;
	if (strchr(s, ':') == NULL)
		return sign * strtod(s, NULL);
	while (*s != '\0') {
		char *end;

		acc = acc * 60.0 + strtod(s, &end);
		s = (*end == ':') ? end + 1 : end;
	}
	return sign * acc;
}

void yscalar_resolve_text(const char *s, struct yscalar *out)
{
	memset(out, 0, sizeof(*out));
	out->type = YS_STR;
	if (match_bool(s, &out->b)) {
		out->type = YS_BOOL;
	} else if (strlen(s) < 100 && match_float(s)) {
		out->type = YS_FLOAT;
		out->f = float_value(s);
	} else if (match_int(s)) {
		if (strlen(s) < 100 && int_value(s, &out->i))
			out->type = YS_INT;
		else
			out->range = true;
	} else if (match_null(s)) {
		out->type = YS_NULL;
	}
}

/* A number in C's notation (1e-05, no '.'), as JSON reals are written. */
static void tagged_float(const char *text, struct yscalar *out)
{
	char *end;
	double f = strtod(text, &end);

	if (end != text && *end == '\0' && isfinite(f)) {
		out->type = YS_FLOAT;
		out->f = f;
	}
}

/* An explicit core tag (!!int, !!bool...) asks for that type whatever the style. */
static bool resolve_tagged(const yaml_node_t *n, struct yscalar *out)
{
	static const struct {
		const char *tag;
		enum yscalar_type type;
	} tags[] = {{YAML_NULL_TAG, YS_NULL},
	            {YAML_BOOL_TAG, YS_BOOL},
	            {YAML_INT_TAG, YS_INT},
	            {YAML_FLOAT_TAG, YS_FLOAT}};
	const char *tag = (const char *)n->tag;

	for (size_t i = 0; i < ARRAY_LEN(tags); i++) {
		if (tag == NULL || strcmp(tag, tags[i].tag) != 0)
			continue;
		yscalar_resolve_text(ynode_text(n), out);
		if (tags[i].type == YS_FLOAT && out->type == YS_INT) {
			out->type = YS_FLOAT; /* !!float 1 */
			out->f = (double)out->i;
		} else if (tags[i].type == YS_FLOAT && out->type == YS_STR) {
			tagged_float(ynode_text(n), out); /* !!float 1e-05 (C's spelling) */
		}
		if (out->type != tags[i].type)
			out->type = YS_STR; /* "!!int abc": keep the text */
		return true;
	}
	return false;
}

void yscalar_resolve(const yaml_node_t *n, struct yscalar *out)
{
	memset(out, 0, sizeof(*out));
	out->type = YS_STR;
	if (resolve_tagged(n, out))
		return;
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ynode_text_has_nul(n))
		yscalar_resolve_text(ynode_text(n), out);
}

/* --- mappings ------------------------------------------------------------------- */

static bool is_merge_key(const yaml_node_t *key)
{
	return ynode_is_scalar(key) && key->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       strcmp(ynode_text(key), "<<") == 0;
}

static bool same_key(const yaml_node_t *a, const yaml_node_t *b)
{
	return a->data.scalar.length == b->data.scalar.length &&
	       memcmp(a->data.scalar.value, b->data.scalar.value, a->data.scalar.length) == 0;
}

static const struct ypair *find_pair(const struct ypair *pairs, int n, const yaml_node_t *key)
{
	for (int i = 0; i < n; i++)
		if (same_key(pairs[i].key, key))
			return &pairs[i];
	return NULL;
}

struct pair_list {
	struct ypair *items;
	int n;
	int cap;
};

static void pair_push(struct pair_list *l, yaml_node_t *key, yaml_node_t *value)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->items = xrealloc(l->items, (size_t)l->cap * sizeof(*l->items));
	}
	l->items[l->n].key = key;
	l->items[l->n].value = value;
	l->n++;
}

static bool collect_pairs(struct ydoc *doc, const yaml_node_t *map, struct pair_list *l, int depth,
                          char *err, size_t errlen);

/* Adds the pairs of one merged mapping that are not there yet. */
static bool merge_one(struct ydoc *doc, const yaml_node_t *src, struct pair_list *l, int depth,
                      char *err, size_t errlen)
{
	struct pair_list merged = {0};
	bool ok;

	if (!ynode_is_map(src)) {
		err_set(err, errlen,
		        "%s:%d:%d: '<<' (merge key) needs a mapping or a list of mappings",
		        doc->name, ynode_line(src), ynode_column(src));
		return false;
	}
	ok = collect_pairs(doc, src, &merged, depth + 1, err, errlen);
	for (int i = 0; ok && i < merged.n; i++)
		if (find_pair(l->items, l->n, merged.items[i].key) == NULL)
			pair_push(l, merged.items[i].key, merged.items[i].value);
	free(merged.items);
	return ok;
}

static bool merge_value(struct ydoc *doc, yaml_node_t *value, struct pair_list *l, int depth,
                        char *err, size_t errlen)
{
	if (!ynode_is_seq(value))
		return merge_one(doc, value, l, depth, err, errlen);
	for (int i = 0; i < yseq_len(value); i++)
		if (!merge_one(doc, yseq_item(doc, value, i), l, depth, err, errlen))
			return false;
	return true;
}

static bool check_key(struct ydoc *doc, const struct pair_list *l, const yaml_node_t *key,
                      char *err, size_t errlen)
{
	const struct ypair *dup;

	if (!ynode_is_scalar(key)) {
		err_set(err, errlen, "%s:%d:%d: a key must be a plain value, not %s", doc->name,
		        ynode_line(key), ynode_column(key), ynode_type_name(key));
		return false;
	}
	dup = find_pair(l->items, l->n, key);
	if (dup != NULL) {
		err_set(err, errlen, "%s:%d:%d: duplicate key '%s' (first at line %d)", doc->name,
		        ynode_line(key), ynode_column(key), ynode_text(key), ynode_line(dup->key));
		return false;
	}
	return true;
}

static bool collect_pairs(struct ydoc *doc, const yaml_node_t *map, struct pair_list *l, int depth,
                          char *err, size_t errlen)
{
	const yaml_node_pair_t *p;

	if (depth > YAML_MAX_MERGE) {
		err_set(err, errlen, "%s:%d:%d: merge keys (<<) nested too deep or in a cycle",
		        doc->name, ynode_line(map), ynode_column(map));
		return false;
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *key = yaml_document_get_node(&doc->doc, p->key);

		if (is_merge_key(key))
			continue;
		if (!check_key(doc, l, key, err, errlen))
			return false;
		pair_push(l, key, yaml_document_get_node(&doc->doc, p->value));
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *key = yaml_document_get_node(&doc->doc, p->key);

		if (is_merge_key(key) &&
		    !merge_value(doc, yaml_document_get_node(&doc->doc, p->value), l, depth, err,
		                 errlen))
			return false;
	}
	return true;
}

bool ymap_pairs(struct ydoc *doc, const yaml_node_t *map, struct ypair **out, int *n, char *err,
                size_t errlen)
{
	struct pair_list l = {0};

	if (!collect_pairs(doc, map, &l, 0, err, errlen)) {
		free(l.items);
		*out = NULL;
		*n = 0;
		return false;
	}
	*out = l.items;
	*n = l.n;
	return true;
}

/* --- JSON ----------------------------------------------------------------------- */

struct to_json {
	struct ydoc *doc;
	int values; /* produced so far, against YAML_MAX_VALUES */
	char *err;
	size_t errlen;
};

static json_t *node_to_json(struct to_json *t, const yaml_node_t *n, int depth);

static json_t *scalar_to_json(struct to_json *t, const yaml_node_t *n)
{
	struct yscalar v;

	yscalar_resolve(n, &v);
	switch (v.type) {
	case YS_NULL:
		return json_null();
	case YS_BOOL:
		return json_boolean(v.b);
	case YS_INT:
		return json_integer(v.i);
	case YS_FLOAT:
		if (isfinite(v.f))
			return json_real(v.f);
		break; /* JSON has no infinity or NaN: keep what was written */
	case YS_STR:
		if (v.range) {
			err_set(t->err, t->errlen, "%s:%d:%d: integer %s does not fit in 64 bits",
			        t->doc->name, ynode_line(n), ynode_column(n), ynode_text(n));
			return NULL;
		}
		break;
	case YS__COUNT:
		break;
	}
	return json_stringn(ynode_text(n), n->data.scalar.length);
}

static json_t *map_to_json(struct to_json *t, const yaml_node_t *n, int depth)
{
	struct ypair *pairs;
	int np;
	json_t *obj;

	if (!ymap_pairs(t->doc, n, &pairs, &np, t->err, t->errlen))
		return NULL;
	obj = json_object();
	for (int i = 0; i < np && obj != NULL; i++) {
		json_t *v = node_to_json(t, pairs[i].value, depth + 1);

		if (v == NULL ||
		    json_object_setn_new_nocheck(obj, ynode_text(pairs[i].key),
		                                 pairs[i].key->data.scalar.length, v) != 0) {
			json_decref(obj);
			obj = NULL;
		}
	}
	free(pairs);
	return obj;
}

static json_t *seq_to_json(struct to_json *t, const yaml_node_t *n, int depth)
{
	json_t *arr = json_array();

	for (int i = 0; i < yseq_len(n); i++) {
		json_t *v = node_to_json(t, yseq_item(t->doc, n, i), depth + 1);

		if (v == NULL || json_array_append_new(arr, v) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static json_t *node_to_json(struct to_json *t, const yaml_node_t *n, int depth)
{
	json_t *v;

	if (depth > YAML_MAX_DEPTH || ++t->values > YAML_MAX_VALUES) {
		err_set(t->err, t->errlen,
		        "%s:%d:%d: document too deep or too large (an alias cycle or alias bomb?)",
		        t->doc->name, ynode_line(n), ynode_column(n));
		return NULL;
	}
	if (ynode_is_map(n))
		return map_to_json(t, n, depth);
	if (ynode_is_seq(n))
		return seq_to_json(t, n, depth);
	v = scalar_to_json(t, n);
	if (v == NULL && (t->err == NULL || t->err[0] == '\0'))
		err_set(t->err, t->errlen, "%s:%d:%d: value is not valid UTF-8", t->doc->name,
		        ynode_line(n), ynode_column(n));
	return v;
}

json_t *ynode_to_json(struct ydoc *doc, const yaml_node_t *n, char *err, size_t errlen)
{
	struct to_json t = {.doc = doc, .err = err, .errlen = errlen};

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	return node_to_json(&t, n, 0);
}

json_t *yaml_to_json(const char *yaml, const char *name, char *err, size_t errlen)
{
	struct ydoc doc;
	yaml_node_t *root;
	json_t *v;

	if (!ydoc_load(&doc, yaml, strlen(yaml), name, err, errlen))
		return NULL;
	root = ydoc_root(&doc);
	v = root != NULL ? ynode_to_json(&doc, root, err, errlen) : json_null();
	ydoc_free(&doc);
	return v;
}
