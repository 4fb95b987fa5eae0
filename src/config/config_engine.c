/*
 * config_engine.c: the walk of a document through a key table (config_engine.h): row
 * lookup, messages with file and line, unknown keys, aliases, ignored and refused
 * keys, defaults, the keys a document set, and the table's values back as JSON.
 *
 * Reading one value as its type is config_values.c's job; what a key means is the
 * tables' (config_keys.c, dyn_config.c, router/router_config.c).
 */
#include "config/config_engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/config_int.h"
#include "util/err.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define PATH_LEN 256

struct cfg_seen {
	const struct cfg_key *key;
	int line;
	bool bad; /* reading its value reported an error */
};

static void walk_map(struct cfg_ctx *c, const yaml_node_t *map, const struct cfg_key *table,
                     const char *tprefix, const char *dprefix, void *base, bool strict);

/* --- messages ---------------------------------------------------------------------- */

static void msgs_add(struct config_msgs *m, const char *text)
{
	if (m->n < CONFIG_MAX_MSGS - 1)
		snprintf(m->items[m->n++], CONFIG_MSG_LEN, "%s", text);
	else if (m->n == CONFIG_MAX_MSGS - 1)
		snprintf(m->items[m->n++], CONFIG_MSG_LEN, "(further messages omitted)");
}

static void msgs_vadd(const struct cfg_ctx *c, struct config_msgs *m, int line, const char *fmt,
                      va_list ap)
{
	char text[CONFIG_MSG_LEN];
	int n = 0;

	if (c->name != NULL && line > 0)
		n = snprintf(text, sizeof(text), "%s:%d: ", c->name, line);
	else if (c->name != NULL)
		n = snprintf(text, sizeof(text), "%s: ", c->name);
	if (n >= 0 && (size_t)n < sizeof(text))
		vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
	msgs_add(m, text);
}

void cfg_error(struct cfg_ctx *c, int line, const char *fmt, ...)
{
	va_list ap;

	c->n_errors++;
	va_start(ap, fmt);
	msgs_vadd(c, c->errors, line, fmt, ap);
	va_end(ap);
}

void cfg_warn(struct cfg_ctx *c, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msgs_vadd(c, c->warnings, line, fmt, ap);
	va_end(ap);
}

void cfg_error_raw(struct cfg_ctx *c, const char *msg)
{
	c->n_errors++;
	msgs_add(c->errors, msg);
}

void cfg_errors_join(const struct cfg_ctx *c, const char *sep, char *err, size_t errlen)
{
	err_set(err, errlen, "%s", "");
	for (int i = 0; i < c->errors->n; i++) {
		size_t used = strnlen(err, errlen);

		err_set(err + used, errlen - used, "%s%s", i > 0 ? sep : "", c->errors->items[i]);
	}
}

int cfg_line(const struct cfg_ctx *c, const yaml_node_t *n)
{
	return c->lines ? ynode_line(n) : 0;
}

void *cfg_field(const struct cfg_entry *e)
{
	return (char *)e->base + e->key->offset;
}

/* --- the context ------------------------------------------------------------------- */

void cfg_ctx_init(struct cfg_ctx *c, const struct cfg_key *table, void *base, const char *name,
                  struct config_msgs *errors, struct config_msgs *warnings)
{
	memset(c, 0, sizeof(*c));
	c->table = table;
	c->base = base;
	c->name = name;
	if (errors == NULL || warnings == NULL)
		c->scratch = xcalloc(2, sizeof(*c->scratch)); /* ~64 kB: not on the stack */
	c->errors = errors ? errors : &c->scratch[0];
	c->warnings = warnings ? warnings : &c->scratch[1];
	c->errors->n = 0;
	c->warnings->n = 0;
}

void cfg_ctx_free(struct cfg_ctx *c)
{
	free(c->seen);
	free(c->scratch);
	c->seen = NULL;
	c->scratch = NULL;
}

static void mark_seen(struct cfg_ctx *c, const struct cfg_key *k, int line)
{
	if (c->n_seen == c->cap_seen) {
		c->cap_seen = c->cap_seen ? c->cap_seen * 2 : 32;
		c->seen = xrealloc(c->seen, (size_t)c->cap_seen * sizeof(*c->seen));
	}
	c->seen[c->n_seen++] = (struct cfg_seen){k, line, false};
}

/* --- rows ---------------------------------------------------------------------------- */

/* path matches pattern segment by segment; "*" matches one segment. */
static bool path_match(const char *pattern, const char *path)
{
	for (;;) {
		size_t plen = strcspn(pattern, ".");
		size_t len = strcspn(path, ".");

		if (!(plen == 1 && pattern[0] == '*') &&
		    (plen != len || strncmp(pattern, path, len) != 0))
			return false;
		pattern += plen;
		path += len;
		if (*pattern == '\0' || *path == '\0')
			return *pattern == '\0' && *path == '\0';
		pattern++;
		path++;
	}
}

static const struct cfg_key *find_row(const struct cfg_key *table, const char *path)
{
	for (const struct cfg_key *k = table; k->path != NULL; k++)
		if (path_match(k->path, path))
			return k;
	return NULL;
}

/* find_nested: the row for a path from the root, through sub-tables. */
static const struct cfg_key *find_nested(const struct cfg_key *table, const char *path)
{
	const struct cfg_key *k = find_row(table, path);

	if (k != NULL)
		return k;
	for (k = table; k->path != NULL; k++) {
		size_t len = strlen(k->path);

		if ((k->type == CFG_TABLE || k->type == CFG_FN) && k->ext != NULL &&
		    strncmp(path, k->path, len) == 0 && path[len] == '.')
			return find_nested(k->ext, path + len + 1);
	}
	return NULL;
}

static const struct cfg_seen *seen_of(const struct cfg_ctx *c, const char *path)
{
	const struct cfg_key *k = find_nested(c->table, path);

	for (int i = c->n_seen - 1; k != NULL && i >= 0; i--)
		if (c->seen[i].key == k)
			return &c->seen[i];
	return NULL;
}

int cfg_key_line(const struct cfg_ctx *c, const char *path)
{
	const struct cfg_seen *s = seen_of(c, path);

	return s != NULL ? s->line : 0;
}

bool cfg_key_set(const struct cfg_ctx *c, const char *path)
{
	return seen_of(c, path) != NULL;
}

bool cfg_key_bad(const struct cfg_ctx *c, const char *path)
{
	const struct cfg_seen *s = seen_of(c, path);

	return s != NULL && s->bad;
}

/* --- the walk ---------------------------------------------------------------------- */

void cfg_type_error(struct cfg_ctx *c, const struct cfg_entry *e, const char *expected)
{
	cfg_error(c, e->line, "%s: expected %s, got %s", e->path, expected,
	          ynode_type_name(e->value));
}

/* read_map_at: e's value (null = empty) as a mapping of table's rows under tprefix. */
static void read_map_at(struct cfg_ctx *c, const struct cfg_entry *e, const struct cfg_key *table,
                        const char *tprefix, void *base)
{
	if (cfg_is_null(e->value))
		return; /* "restapi:" with nothing under it */
	if (!ynode_is_map(e->value)) {
		cfg_type_error(c, e, "a mapping");
		return;
	}
	walk_map(c, e->value, table, tprefix, e->path, base, e->key->flags & CFG_F_STRICT);
}

void cfg_read_map(struct cfg_ctx *c, const struct cfg_entry *e, const struct cfg_key *table,
                  void *base)
{
	read_map_at(c, e, table, "", base);
}

void cfg_read_section(struct cfg_ctx *c, const struct cfg_entry *e, const char *tpath)
{
	read_map_at(c, e, c->table, tpath, e->base);
}

static void report_ignored(struct cfg_ctx *c, const struct cfg_entry *e)
{
	const char *note = e->key->note;

	cfg_warn(c, e->line, "'%s' is not supported by pgha, ignored%s%s%s", e->path,
	         note ? " (" : "", note ? note : "", note ? ")" : "");
}

/* The row an alias names, in the same table; aliases of aliases are not followed. */
static const struct cfg_key *alias_target(const struct cfg_key *table, const struct cfg_key *k)
{
	const struct cfg_key *t = find_row(table, k->ext);

	return t != NULL && t->type != CFG_ALIAS ? t : NULL;
}

static void dispatch(struct cfg_ctx *c, const struct cfg_entry *e, const struct cfg_key *table,
                     const char *tpath)
{
	switch (e->key->type) {
	case CFG_SECTION:
		read_map_at(c, e, table, tpath, e->base);
		break;
	case CFG_TABLE:
		cfg_read_map(c, e, e->key->ext, cfg_field(e));
		break;
	case CFG_FN:
		e->key->fn(c, e);
		break;
	case CFG_KEEP:
		break;
	case CFG_IGNORED:
		report_ignored(c, e);
		break;
	case CFG_REFUSED:
		if (cfg_is_empty(e->value))
			report_ignored(c, e);
		else
			cfg_error(c, e->line, "%s: %s", e->path, e->key->note);
		break;
	default:
		cfg_read_value(c, e);
		break;
	}
}

static void unknown_key(struct cfg_ctx *c, int line, const char *dpath, bool strict)
{
	if (strict)
		cfg_error(c, line, "%s: unknown key", dpath);
	else
		cfg_warn(c, line, "unknown key '%s' ignored", dpath);
}

static void visit(struct cfg_ctx *c, const yaml_node_t *map, const struct ypair *p,
                  const struct cfg_key *table, const char *tprefix, const char *dprefix, void *base,
                  bool strict)
{
	const char *key = ynode_text(p->key);
	char tpath[PATH_LEN];
	char dpath[PATH_LEN];
	const struct cfg_key *k = NULL;
	int line = cfg_line(c, p->key);
	int seen;
	int errors;

	snprintf(tpath, sizeof(tpath), "%s%s%s", tprefix, tprefix[0] ? "." : "", key);
	snprintf(dpath, sizeof(dpath), "%s%s%s", dprefix, dprefix[0] ? "." : "", key);
	/* A key with a dot in it ("restapi.listen:" at the top) is not a table path. */
	if (strchr(key, '.') == NULL && !ynode_text_has_nul(p->key))
		k = find_row(table, tpath);
	if (k != NULL && k->type == CFG_ALIAS) {
		mark_seen(c, k, line);
		k = alias_target(table, k);
	}
	if (k == NULL) {
		unknown_key(c, line, dpath, strict);
		return;
	}
	mark_seen(c, k, line);
	seen = c->n_seen - 1;
	errors = c->n_errors;
	dispatch(c, &(struct cfg_entry){dpath, line, p->value, k, base, map}, table, tpath);
	c->seen[seen].bad = c->n_errors > errors;
}

void cfg_each_pair(struct cfg_ctx *c, const yaml_node_t *map, cfg_pair_fn *fn, void *arg)
{
	struct ypair *pairs;
	int n;
	char err[CONFIG_MSG_LEN];

	if (!ymap_pairs(c->doc, map, &pairs, &n, err, sizeof(err))) {
		cfg_error_raw(c, err);
		return;
	}
	for (int i = 0; i < n; i++)
		fn(c, map, &pairs[i], arg);
	free(pairs);
}

/* Where the keys of one mapping are looked up and reported. */
struct walk {
	const struct cfg_key *table;
	const char *tprefix; /* path in the table */
	const char *dprefix; /* path as written, from the document root */
	void *base;
	bool strict;
};

static void visit_pair(struct cfg_ctx *c, const yaml_node_t *map, const struct ypair *p, void *arg)
{
	const struct walk *w = arg;

	visit(c, map, p, w->table, w->tprefix, w->dprefix, w->base, w->strict);
}

static void walk_map(struct cfg_ctx *c, const yaml_node_t *map, const struct cfg_key *table,
                     const char *tprefix, const char *dprefix, void *base, bool strict)
{
	struct walk w = {table, tprefix, dprefix, base, strict};

	cfg_each_pair(c, map, visit_pair, &w);
}

bool cfg_map_has(struct cfg_ctx *c, const yaml_node_t *map, const char *key)
{
	struct ypair *pairs;
	int n;
	bool found = false;

	if (!ymap_pairs(c->doc, map, &pairs, &n, NULL, 0))
		return false;
	for (int i = 0; i < n && !found; i++)
		found = str_eq(ynode_text(pairs[i].key), key);
	free(pairs);
	return found;
}

/* --- documents ------------------------------------------------------------------------ */

/* Duplicate keys, alias cycles and the like anywhere in the document, found up front. */
static bool well_formed(struct cfg_ctx *c, yaml_node_t *root)
{
	char err[CONFIG_MSG_LEN];
	json_t *all = ynode_to_json(c->doc, root, err, sizeof(err));

	if (all == NULL) {
		cfg_error_raw(c, err);
		return false;
	}
	json_decref(all);
	return true;
}

static bool walk_root(struct cfg_ctx *c, struct ydoc *doc)
{
	yaml_node_t *root = ydoc_root(doc);
	bool walked = false;

	c->doc = doc;
	if (root == NULL || (c->empty_ok && cfg_is_null(root))) {
		if (!c->empty_ok)
			cfg_error(c, 0, "the configuration is empty");
		walked = c->empty_ok;
	} else if (!ynode_is_map(root)) {
		cfg_error(c, cfg_line(c, root),
		          "the configuration must be a mapping of keys, not %s",
		          ynode_type_name(root));
	} else if (doc->from_json || well_formed(c, root)) {
		/* (JSON has no duplicate keys nor aliases; malformed YAML is not walked:
		 * "missing key" after a duplicate is only noise) */
		walk_map(c, root, c->table, "", "", c->base, false);
		walked = true;
	}
	c->doc = NULL;
	return walked;
}

/* read_doc: the walk of a document that loaded (else err says why). */
static bool read_doc(struct cfg_ctx *c, struct ydoc *doc, bool loaded, const char *err)
{
	bool walked;

	if (!loaded) {
		cfg_error_raw(c, err);
		return false;
	}
	walked = walk_root(c, doc);
	ydoc_free(doc);
	return walked;
}

bool cfg_read_yaml(struct cfg_ctx *c, const char *text, size_t len)
{
	struct ydoc doc;
	char err[CONFIG_MSG_LEN];
	bool loaded = ydoc_load(&doc, text, len, c->name ? c->name : "YAML", err, sizeof(err));

	c->lines = true;
	return read_doc(c, &doc, loaded, err);
}

bool cfg_read_json(struct cfg_ctx *c, const json_t *v)
{
	struct ydoc doc;
	char err[CONFIG_MSG_LEN];
	bool loaded = ydoc_from_json(&doc, v, c->name, err, sizeof(err));

	c->lines = false;
	return read_doc(c, &doc, loaded, err);
}

/* --- defaults ------------------------------------------------------------------------ */

/* The default text read as a plain YAML scalar, through the row's own reader. */
static void apply_default(struct cfg_ctx *c, const struct cfg_key *k, void *base)
{
	char *text = xstrdup(k->def);
	yaml_node_t node = {.type = YAML_SCALAR_NODE};

	node.data.scalar.value = (yaml_char_t *)text;
	node.data.scalar.length = strlen(text);
	node.data.scalar.style = YAML_PLAIN_SCALAR_STYLE;
	dispatch(c, &(struct cfg_entry){k->path, 0, &node, k, base, NULL}, c->table, k->path);
	free(text);
}

static void defaults_of(struct cfg_ctx *c, const struct cfg_key *table, void *base)
{
	for (const struct cfg_key *k = table; k->path != NULL; k++) {
		if (k->def != NULL)
			apply_default(c, k, base);
		if ((k->type == CFG_TABLE || k->type == CFG_FN) && k->ext != NULL)
			defaults_of(c, k->ext, (char *)base + k->offset);
	}
}

bool cfg_defaults(const struct cfg_key *table, void *base)
{
	struct cfg_ctx c;
	bool ok;

	cfg_ctx_init(&c, table, base, NULL, NULL, NULL);
	defaults_of(&c, table, base);
	ok = c.n_errors == 0;
	cfg_ctx_free(&c);
	return ok;
}

/* The default of one row again (for CFG_F_NULL_DEFAULT); nothing if it has none. */
void cfg_restore_default(struct cfg_ctx *c, const struct cfg_entry *e)
{
	if (e->key->def != NULL)
		apply_default(c, e->key, e->base);
}

/* --- back to JSON -------------------------------------------------------------------- */

/* The object at the path's parent, created as needed; *leaf gets the last segment. */
static json_t *parent_of(json_t *root, const char *path, char *leaf, size_t size)
{
	const char *dot;

	while ((dot = strchr(path, '.')) != NULL) {
		char seg[PATH_LEN];
		json_t *child;

		snprintf(seg, sizeof(seg), "%.*s", (int)(dot - path), path);
		child = json_object_get(root, seg);
		if (!json_is_object(child)) {
			child = json_object();
			json_object_set_new(root, seg, child);
		}
		root = child;
		path = dot + 1;
	}
	snprintf(leaf, size, "%s", path);
	return root;
}

static void rows_to_json(json_t *out, const struct cfg_key *table, const void *base)
{
	for (const struct cfg_key *k = table; k->path != NULL; k++) {
		char leaf[PATH_LEN];
		json_t *v;

		if (strchr(k->path, '*') != NULL)
			continue;
		if (k->type == CFG_TABLE) {
			json_t *sub = json_object();

			rows_to_json(sub, k->ext, (const char *)base + k->offset);
			json_object_set_new(parent_of(out, k->path, leaf, sizeof(leaf)), leaf, sub);
			continue;
		}
		v = cfg_value_json(k, (const char *)base + k->offset, base);
		if (v != NULL)
			json_object_set_new(parent_of(out, k->path, leaf, sizeof(leaf)), leaf, v);
	}
}

json_t *cfg_to_json(const struct cfg_key *table, const void *base)
{
	json_t *out = json_object();

	rows_to_json(out, table, base);
	return out;
}
