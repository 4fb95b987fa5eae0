/*
 * config_values.c: reading one YAML value as the type a configuration key wants
 * (string, integer, boolean, host:port), with the error message that names the key
 * and its line when the value does not fit. Shared by config_keys.c and
 * config_sections.c; it knows no key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "config/config_int.h"
#include "config/yaml_tree.h"
#include "util/strutil.h"
#include "util/xalloc.h"

void cfg_type_error(struct cfg_ctx *c, const struct centry *e, const char *expected)
{
	cfg_error(c, e->line, "%s: expected %s, got %s", e->path, expected,
	          ynode_type_name(e->value));
}

/* The text of a scalar meant as a string ("" for null), or NULL after an error. */
const char *cfg_node_string(struct cfg_ctx *c, const struct centry *e, yaml_node_t *n)
{
	struct yscalar v;

	if (!ynode_is_scalar(n)) {
		cfg_error(c, ynode_line(n), "%s: expected a string, got %s", e->path,
		          ynode_type_name(n));
		return NULL;
	}
	if (ynode_text_has_nul(n)) {
		cfg_error(c, ynode_line(n), "%s: contains a NUL character", e->path);
		return NULL;
	}
	yscalar_resolve(n, &v);
	if (v.type == YS_NULL)
		return "";
	if (v.type == YS_BOOL) {
		cfg_error(c, ynode_line(n), "%s: expected a string, got a boolean (quote it: '%s')",
		          e->path, ynode_text(n));
		return NULL;
	}
	return ynode_text(n);
}

bool cfg_store_string(struct cfg_ctx *c, const struct centry *e, char *dst, size_t size)
{
	const char *s = cfg_node_string(c, e, e->value);

	if (s == NULL)
		return false;
	if (!str_copy(dst, size, s)) {
		cfg_error(c, e->line, "%s: too long (at most %zu bytes)", e->path, size - 1);
		return false;
	}
	return true;
}

bool cfg_node_int(const yaml_node_t *n, int64_t *out)
{
	struct yscalar v;

	if (!ynode_is_scalar(n))
		return false;
	yscalar_resolve(n, &v);
	if (v.type == YS_INT) {
		*out = v.i;
		return true;
	}
	return v.type == YS_STR && str_parse_i64(ynode_text(n), out); /* "30" */
}

bool cfg_node_bool(const yaml_node_t *n, bool *out)
{
	struct yscalar v;

	if (!ynode_is_scalar(n))
		return false;
	yscalar_resolve(n, &v);
	if (v.type == YS_BOOL) {
		*out = v.b;
		return true;
	}
	return (v.type == YS_STR || v.type == YS_INT) && str_parse_bool(ynode_text(n), out);
}

bool cfg_split_listen(const char *s, char *host, size_t host_size, int *port)
{
	const char *colon = strrchr(s, ':');
	size_t hlen;

	if (colon == NULL || !str_parse_int(colon + 1, port) || *port < 1 || *port > 65535)
		return false;
	hlen = (size_t)(colon - s);
	if (hlen >= host_size)
		return false;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	return true;
}

bool cfg_is_wildcard_host(const char *host)
{
	return host[0] == '\0' || str_eq(host, "*") || str_eq(host, "0.0.0.0") ||
	       str_eq(host, "::") || str_eq(host, "[::]");
}

bool cfg_is_null(const yaml_node_t *n)
{
	struct yscalar v;

	if (!ynode_is_scalar(n))
		return false;
	yscalar_resolve(n, &v);
	return v.type == YS_NULL;
}

/* A list of one-line strings (pg_hba lines); null leaves it unset, [] sets no lines. */
bool cfg_is_empty(const yaml_node_t *n)
{
	struct yscalar v;

	if (ynode_is_map(n))
		return n->data.mapping.pairs.top == n->data.mapping.pairs.start;
	if (ynode_is_seq(n))
		return yseq_len(n) == 0;
	yscalar_resolve(n, &v);
	return v.type == YS_NULL || (v.type == YS_BOOL && !v.b);
}
