/*
 * config_values.c: reading one value as the type its row says (config_engine.h), and
 * writing it back as JSON. Each reader checks the value completely before it stores
 * anything, so that a bad value leaves the field as it was; lists and parameter sets
 * are built aside and replace the field only when every item was good.
 *
 * It knows no key: the tables and their handlers do.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "config/config_engine.h"
#include "config/config_int.h"
#include "util/envsecret.h"
#include "util/strutil.h"
#include "util/xalloc.h"

/* Patroni's environment variables win over the file. */
void cfg_env_override(struct cfg_ctx *c, const char *var, char *dst, size_t size)
{
	const char *v = envsecret_get(var); /* taken out of the environment at start */

	if (v != NULL && !str_copy(dst, size, v))
		cfg_error(c, 0, "environment variable %s: too long (at most %zu bytes)", var,
		          size - 1);
}

void cfg_need_pair(struct cfg_ctx *c, const char *a_path, const char *a, const char *b_path,
                   const char *b, const char *env)
{
	int line = cfg_key_line(c, a_path);

	if (a[0] == '\0' || b[0] != '\0' || cfg_key_bad(c, a_path))
		return;
	cfg_error(c, line > 0 ? line : cfg_key_line(c, b_path),
	          "%s is set but %s%s%s%s is not: set both or neither", a_path, b_path,
	          env ? " (or " : "", env ? env : "", env ? ")" : "");
}

/* --- nodes ---------------------------------------------------------------------------- */

const char *cfg_node_string(struct cfg_ctx *c, const struct cfg_entry *e, const yaml_node_t *n)
{
	struct yscalar v;

	if (!ynode_is_scalar(n)) {
		cfg_error(c, cfg_line(c, n), "%s: expected a string, got %s", e->path,
		          ynode_type_name(n));
		return NULL;
	}
	if (ynode_text_has_nul(n)) {
		cfg_error(c, cfg_line(c, n), "%s: contains a NUL character", e->path);
		return NULL;
	}
	yscalar_resolve(n, &v);
	if (v.type == YS_NULL)
		return "";
	if (v.type == YS_BOOL && !ynode_typed(n)) {
		cfg_error(c, cfg_line(c, n),
		          "%s: expected a string, got a boolean (quote it: '%s')", e->path,
		          ynode_text(n));
		return NULL;
	}
	/* A plain 0123 is text as written; a JSON number is a number. */
	if (v.type != YS_STR && ynode_typed(n)) {
		cfg_error(c, cfg_line(c, n), "%s: expected a string, got %s", e->path,
		          ynode_type_name(n));
		return NULL;
	}
	return ynode_text(n);
}

/* resolve: a scalar's type as PyYAML reads it; false for a mapping or a list. */
static bool resolve(const yaml_node_t *n, struct yscalar *v)
{
	if (!ynode_is_scalar(n))
		return false;
	yscalar_resolve(n, v);
	return true;
}

/* Integers, numeric strings ("30", as Patroni's parse_int reads them) and whole floats. */
bool cfg_node_int(const yaml_node_t *n, int64_t *out)
{
	struct yscalar v;

	if (!resolve(n, &v))
		return false;
	if (v.type == YS_FLOAT && v.f == floor(v.f) && fabs(v.f) < 9.0e18)
		v = (struct yscalar){.type = YS_INT, .i = (int64_t)v.f}; /* JSON's 5.0 */
	if (v.type == YS_INT)
		*out = v.i;
	return v.type == YS_INT || (v.type == YS_STR && str_parse_i64(ynode_text(n), out));
}

bool cfg_node_bool(const yaml_node_t *n, bool *out)
{
	struct yscalar v;

	if (!resolve(n, &v))
		return false;
	if (v.type == YS_BOOL) {
		*out = v.b;
		return true;
	}
	return (v.type == YS_STR || v.type == YS_INT) && str_parse_bool(ynode_text(n), out);
}

bool cfg_is_null(const yaml_node_t *n)
{
	struct yscalar v;

	return resolve(n, &v) && v.type == YS_NULL;
}

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

/* --- strings and their checks ------------------------------------------------------- */

bool cfg_text_copy(struct cfg_ctx *c, const struct cfg_entry *e, int line, const char *in,
                   char *out, size_t size)
{
	if (str_copy(out, size, in))
		return true;
	cfg_error(c, line, "%s: too long (at most %zu bytes)", e->path, size - 1);
	return false;
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

/* host:port where the port follows the last ':' (the host may be a list or a wildcard). */
bool cfg_text_listen(struct cfg_ctx *c, const struct cfg_entry *e, int line, const char *in,
                     char *out, size_t size)
{
	char host[CONFIG_HOST_LEN];
	int port;

	if (in[0] != '\0' && !cfg_split_listen(in, host, sizeof(host), &port)) {
		cfg_error(c, line, "%s: '%s' is not host:port with a port from 1 to 65535", e->path,
		          in);
		return false;
	}
	return cfg_text_copy(c, e, line, in, out, size);
}

bool cfg_text_address(struct cfg_ctx *c, const struct cfg_entry *e, int line, const char *in,
                      char *out, size_t size)
{
	char host[CONFIG_HOST_LEN];
	int port;

	if (in[0] == '\0')
		return cfg_text_copy(c, e, line, in, out, size);
	if (!str_split_hostport(in, host, sizeof(host), &port)) {
		cfg_error(c, line, "%s: '%s' is not host:port with a port from 1 to 65535", e->path,
		          in);
		return false;
	}
	if (cfg_is_wildcard_host(host) || strchr(host, ',') != NULL) {
		cfg_error(c, line, "%s: '%s' is not an address other nodes can connect to", e->path,
		          in);
		return false;
	}
	return cfg_text_copy(c, e, line, in, out, size);
}

/* choice_index: the position of s in the row's choices, or -1 after reporting. */
static int choice_index(struct cfg_ctx *c, const struct cfg_entry *e, int line, const char *s)
{
	const char *const *choices = e->key->ext;
	char list[256] = "";
	int n = 0;

	for (; choices[n] != NULL; n++)
		if (str_eq(s, choices[n]))
			return n;
	for (int i = 0; i < n; i++) {
		size_t used = strlen(list);

		snprintf(list + used, sizeof(list) - used, "%s%s",
		         i == 0 ? "" : (i == n - 1 ? " or " : ", "), choices[i]);
	}
	cfg_error(c, line, "%s: '%s' is not supported (%s)", e->path, s, list);
	return -1;
}

bool cfg_text_choice(struct cfg_ctx *c, const struct cfg_entry *e, int line, const char *in,
                     char *out, size_t size)
{
	return choice_index(c, e, line, in) >= 0 && cfg_text_copy(c, e, line, in, out, size);
}

static void read_str(struct cfg_ctx *c, const struct cfg_entry *e)
{
	const char *s = cfg_node_string(c, e, e->value);
	cfg_text_fn *text = e->key->text ? e->key->text : cfg_text_copy;
	char *tmp;

	if (s == NULL)
		return;
	tmp = xmalloc(e->key->size);
	if (text(c, e, e->line, s, tmp, e->key->size))
		memcpy(cfg_field(e), tmp, strlen(tmp) + 1);
	free(tmp);
}

static void read_enum(struct cfg_ctx *c, const struct cfg_entry *e)
{
	const char *s = cfg_node_string(c, e, e->value);
	int i = s != NULL ? choice_index(c, e, e->line, s) : -1;

	if (i >= 0)
		*(int *)cfg_field(e) = i;
}

/* --- numbers ------------------------------------------------------------------------ */

static bool in_range(struct cfg_ctx *c, const struct cfg_entry *e, int64_t x)
{
	if (x >= e->key->min && x <= e->key->max)
		return true;
	if (e->key->max == INT64_MAX)
		cfg_error(c, e->line, "%s: %lld is out of range (at least %lld)", e->path,
		          (long long)x, (long long)e->key->min);
	else
		cfg_error(c, e->line, "%s: %lld is out of range (%lld to %lld)", e->path,
		          (long long)x, (long long)e->key->min, (long long)e->key->max);
	return false;
}

static void read_int(struct cfg_ctx *c, const struct cfg_entry *e)
{
	int64_t x;

	if (!cfg_node_int(e->value, &x))
		cfg_type_error(c, e, "an integer");
	else if (in_range(c, e, x))
		*(int *)cfg_field(e) = (int)x;
}

/*
 * read_with_unit: an integer, or text parse() reads ("16MB", "7d"), within the row's
 * range; false after reporting (expected names what was wanted).
 */
static bool read_with_unit(struct cfg_ctx *c, const struct cfg_entry *e,
                           bool (*parse)(const char *, int64_t *), const char *expected, int64_t *x)
{
	struct yscalar v = {.type = YS_NULL};

	(void)resolve(e->value, &v);
	if (!cfg_node_int(e->value, x) && !(v.type == YS_STR && parse(ynode_text(e->value), x))) {
		cfg_type_error(c, e, expected);
		return false;
	}
	return in_range(c, e, *x);
}

static void read_bytes(struct cfg_ctx *c, const struct cfg_entry *e)
{
	int64_t x;

	if (read_with_unit(c, e, str_parse_bytes, "a number of bytes (e.g. 1048576 or 16MB)", &x))
		*(int64_t *)cfg_field(e) = x;
}

/* node_seconds: a number of seconds as Patroni's timeouts are written (30, 1.5, "2"). */
static bool node_seconds(const yaml_node_t *n, double *out)
{
	struct yscalar v;
	char *end = NULL;

	if (!resolve(n, &v))
		return false;
	if (v.type == YS_INT)
		*out = (double)v.i;
	else if (v.type == YS_FLOAT)
		*out = v.f;
	else if (v.type != YS_STR || ynode_typed(n))
		return false;
	else
		*out = strtod(ynode_text(n), &end);
	return v.type != YS_STR || (end != ynode_text(n) && *end == '\0' && isfinite(*out));
}

/* Seconds, kept in milliseconds. */
static void read_seconds_ms(struct cfg_ctx *c, const struct cfg_entry *e)
{
	double s;

	if (!node_seconds(e->value, &s))
		cfg_type_error(c, e, "a number of seconds");
	else if (!(s >= (double)e->key->min && s <= (double)e->key->max))
		cfg_error(c, e->line, "%s: %g is out of range (%lld to %lld seconds)", e->path, s,
		          (long long)e->key->min, (long long)e->key->max);
	else
		*(int *)cfg_field(e) = (int)(s * 1000.0);
}

/* Whole seconds: a number, or text with a unit ("30min", "7d"). */
static void read_duration(struct cfg_ctx *c, const struct cfg_entry *e)
{
	int64_t x;

	if (read_with_unit(c, e, str_parse_duration, "a duration (seconds, or e.g. 30min, 12h, 7d)",
	                   &x))
		*(int *)cfg_field(e) = (int)x;
}

static void read_bool(struct cfg_ctx *c, const struct cfg_entry *e)
{
	bool b;

	if (!cfg_node_bool(e->value, &b))
		cfg_type_error(c, e, "a boolean (true/false)");
	else
		*(bool *)cfg_field(e) = b;
}

/* --- lists -------------------------------------------------------------------------- */

/*
 * item_entry: an entry for item i of e's list. Without lines, the path says which item
 * ("postgresql.pg_hba: item 2"), since nothing else would.
 */
static struct cfg_entry item_entry(const struct cfg_ctx *c, const struct cfg_entry *e, int i,
                                   yaml_node_t *item, char *path, size_t size)
{
	if (c->lines)
		snprintf(path, size, "%s", e->path);
	else
		snprintf(path, size, "%s: item %d", e->path, i + 1);
	return (struct cfg_entry){path, cfg_line(c, item), item, e->key, e->base, e->value};
}

static void read_strv(struct cfg_ctx *c, const struct cfg_entry *e)
{
	int errors = c->n_errors;
	char **lines;
	char path[300];

	if (!ynode_is_seq(e->value)) {
		cfg_type_error(c, e, "a list of strings");
		return;
	}
	lines = strv_new();
	for (int i = 0; i < yseq_len(e->value); i++) {
		yaml_node_t *node = yseq_item(c->doc, e->value, i);
		struct cfg_entry item = item_entry(c, e, i, node, path, sizeof(path));
		const char *s = cfg_node_string(c, &item, node);

		if (s != NULL && !pg_params_valid_value(s))
			cfg_error(c, item.line, "%s: an item spans several lines", item.path);
		else if (s != NULL)
			strv_push(&lines, s);
	}
	if (c->n_errors == errors) {
		strv_free(*(char ***)cfg_field(e));
		*(char ***)cfg_field(e) = lines;
	} else {
		strv_free(lines);
	}
}

static void add_host(struct cfg_ctx *c, const struct cfg_entry *e, int line, const char *in)
{
	char *copy = xstrdup(in);
	const char *s = str_trim(copy);
	int *n = (int *)((char *)e->base + e->key->aux);
	char *slot = (char *)cfg_field(e) + (size_t)*n * e->key->size;
	cfg_text_fn *text = e->key->text ? e->key->text : cfg_text_copy;

	if (s[0] == '\0') {
		/* "a:1, ,b:2" or an empty list item: nothing to add */
	} else if (*n == e->key->max) {
		cfg_error(c, line, "%s: more than %lld endpoints", e->path, (long long)e->key->max);
	} else if (text(c, e, line, s, slot, e->key->size)) {
		++*n;
	}
	free(copy);
}

/* A YAML list, or "h1:2379,h2:2379" as Patroni also accepts; appended to the list. */
static void read_hosts(struct cfg_ctx *c, const struct cfg_entry *e)
{
	char path[300];
	const char *csv;
	char *copy;
	char *save = NULL;

	if (ynode_is_seq(e->value)) {
		for (int i = 0; i < yseq_len(e->value); i++) {
			yaml_node_t *node = yseq_item(c->doc, e->value, i);
			struct cfg_entry item = item_entry(c, e, i, node, path, sizeof(path));
			const char *s = cfg_node_string(c, &item, node);

			if (s != NULL)
				add_host(c, &item, item.line, s);
		}
		return;
	}
	if ((csv = cfg_node_string(c, e, e->value)) == NULL)
		return;
	copy = xstrdup(csv);
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
		add_host(c, e, e->line, tok);
	free(copy);
}

struct params_read {
	const struct cfg_entry *e;
	struct pg_params set; /* built aside */
};

/* One parameter as written: numbers keep their text, booleans become on/off. */
static void read_param(struct cfg_ctx *c, const yaml_node_t *map, const struct ypair *p, void *arg)
{
	struct params_read *r = arg;
	const char *path = r->e->path;
	const char *name = ynode_text(p->key);
	int line = cfg_line(c, p->key);
	struct yscalar v;

	(void)map;
	if (!pg_params_valid_name(name)) {
		cfg_error(c, line, "%s: '%s' is not a parameter name", path, name);
		return;
	}
	if (!ynode_is_scalar(p->value) || ynode_text_has_nul(p->value)) {
		cfg_error(c, line, "%s.%s: expected a value, got %s", path, name,
		          ynode_type_name(p->value));
		return;
	}
	yscalar_resolve(p->value, &v);
	if (v.type == YS_NULL)
		cfg_warn(c, line, "%s.%s: no value, ignored", path, name);
	else if (!pg_params_valid_value(ynode_text(p->value)))
		cfg_error(c, line, "%s.%s: the value spans several lines", path, name);
	else if (v.type == YS_BOOL)
		pg_params_set(&r->set, name, v.b ? "on" : "off");
	else
		pg_params_set(&r->set, name, ynode_text(p->value));
}

/* An empty value (false, [], {}) is no parameters; a mapping replaces them all. */
static void read_params(struct cfg_ctx *c, const struct cfg_entry *e)
{
	struct params_read r = {e, {NULL, 0}};
	int errors = c->n_errors;

	if (!cfg_is_empty(e->value) && !ynode_is_map(e->value)) {
		cfg_type_error(c, e, "a mapping of parameter: value");
		return;
	}
	if (ynode_is_map(e->value))
		cfg_each_pair(c, e->value, read_param, &r);
	if (c->n_errors == errors) {
		pg_params_free(cfg_field(e));
		*(struct pg_params *)cfg_field(e) = r.set;
	} else {
		pg_params_free(&r.set);
	}
}

/* --- by type ------------------------------------------------------------------------ */

static json_t *str_json(const struct cfg_key *k UNUSED, const void *field, const void *base UNUSED)
{
	return json_string(field);
}

static json_t *int_json(const struct cfg_key *k UNUSED, const void *field, const void *base UNUSED)
{
	return json_integer(*(const int *)field);
}

static json_t *bytes_json(const struct cfg_key *k UNUSED, const void *field,
                          const void *base UNUSED)
{
	return json_integer(*(const int64_t *)field);
}

static json_t *seconds_json(const struct cfg_key *k UNUSED, const void *field,
                            const void *base UNUSED)
{
	return json_real(*(const int *)field / 1000.0);
}

static json_t *bool_json(const struct cfg_key *k UNUSED, const void *field, const void *base UNUSED)
{
	return json_boolean(*(const bool *)field);
}

static json_t *enum_json(const struct cfg_key *k, const void *field, const void *base UNUSED)
{
	return json_string(((const char *const *)k->ext)[*(const int *)field]);
}

static json_t *strv_json(const struct cfg_key *k UNUSED, const void *field, const void *base UNUSED)
{
	char *const *v = *(char **const *)field;
	json_t *arr;

	if (v == NULL)
		return NULL; /* not set: not written */
	arr = json_array();
	for (size_t i = 0; v[i] != NULL; i++)
		json_array_append_new(arr, json_string(v[i]));
	return arr;
}

static json_t *hosts_json(const struct cfg_key *k, const void *field, const void *base)
{
	int n = *(const int *)((const char *)base + k->aux);
	json_t *arr = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(arr, json_string((const char *)field + (size_t)i * k->size));
	return arr;
}

static json_t *params_json(const struct cfg_key *k UNUSED, const void *field,
                           const void *base UNUSED)
{
	const struct pg_params *p = field;
	json_t *obj = json_object();

	for (int i = 0; i < p->n; i++)
		json_object_set_new(obj, p->items[i].name, json_string(p->items[i].value));
	return obj;
}

/* What each value type does; the structural types (sections, handlers, notes) are the walk's. */
static const struct {
	void (*read)(struct cfg_ctx *c, const struct cfg_entry *e);
	json_t *(*json)(const struct cfg_key *k, const void *field, const void *base);
} types[CFG__COUNT] = {
    [CFG_STR] = {read_str, str_json},          [CFG_INT] = {read_int, int_json},
    [CFG_BYTES] = {read_bytes, bytes_json},    [CFG_SECONDS_MS] = {read_seconds_ms, seconds_json},
    [CFG_BOOL] = {read_bool, bool_json},       [CFG_ENUM] = {read_enum, enum_json},
    [CFG_STRV] = {read_strv, strv_json},       [CFG_HOSTS] = {read_hosts, hosts_json},
    [CFG_PARAMS] = {read_params, params_json}, [CFG_DURATION] = {read_duration, int_json},
};

void cfg_read_value(struct cfg_ctx *c, const struct cfg_entry *e)
{
	const struct cfg_key *k = e->key;

	if (cfg_is_null(e->value) && (k->flags & CFG_F_NULL_DEFAULT)) {
		cfg_restore_default(c, e);
		return;
	}
	/* null is "not set", except for a string, where it is "" (PyYAML's "key:"). */
	if (cfg_is_null(e->value) && k->type != CFG_STR)
		return;
	if (k->check != NULL && !k->check(c, e))
		return;
	if (types[k->type].read != NULL)
		types[k->type].read(c, e);
}

json_t *cfg_value_json(const struct cfg_key *k, const void *field, const void *base)
{
	return types[k->type].json != NULL ? types[k->type].json(k, field, base) : NULL;
}
