/*
 * ops_config.c: dotted --set pairs, merge patches, and the configuration as YAML.
 *
 * YAML text comes from libyaml's emitter (it decides quoting and escaping); what it
 * cannot know is which plain scalars a YAML 1.1 reader would type as something other
 * than a string ("on", "2", "null", ""), so those are asked to be quoted: a string is
 * written plain only if yaml_to_json reads the plain form back as the same string.
 */
#include "cli/ops_config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "config/config.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define MAX_KEY_PARTS 32
#define PARAMS_PREFIX "postgresql.parameters."

/* --- --set ------------------------------------------------------------------------- */

/* split_key: the path of key into parts (pointers into key, which is modified). */
static int split_key(char *key, char **parts, char *err, size_t errlen)
{
	int n = 0;

	if (str_has_prefix(key, PARAMS_PREFIX)) {
		/* PostgreSQL parameter names may contain dots (auto_explain.log_min_duration) */
		key[strlen("postgresql")] = '\0';
		key[strlen("postgresql.parameters")] = '\0';
		parts[0] = key;
		parts[1] = key + strlen("postgresql.");
		parts[2] = key + strlen(PARAMS_PREFIX);
		n = 3;
	} else {
		for (char *p = key; p != NULL; n++) {
			char *dot = strchr(p, '.');

			if (n == MAX_KEY_PARTS) {
				snprintf(err, errlen, "the key is nested too deeply");
				return 0;
			}
			parts[n] = p;
			if (dot != NULL)
				*dot++ = '\0';
			p = dot;
		}
	}
	for (int i = 0; i < n; i++) {
		if (parts[i][0] == '\0') {
			snprintf(err, errlen, "empty part in the key");
			return 0;
		}
	}
	return n;
}

/* set_path: value at parts[0..n) under obj; null removes; emptied objects are removed. */
static void set_path(json_t *obj, char **parts, int n, json_t *value)
{
	json_t *child;

	if (n == 1) {
		if (json_is_null(value))
			json_object_del(obj, parts[0]);
		else
			json_object_set(obj, parts[0], value);
		return;
	}
	child = json_object_get(obj, parts[0]);
	if (!json_is_object(child)) {
		child = json_object();
		json_object_set_new(obj, parts[0], child);
	}
	set_path(child, parts + 1, n - 1, value);
	if (json_object_size(child) == 0)
		json_object_del(obj, parts[0]);
}

bool ops_config_set(json_t *config, const char *pair, char *err, size_t errlen)
{
	const char *eq = strchr(pair, '=');
	char *parts[MAX_KEY_PARTS];
	char yerr[256];
	char *key;
	json_t *value;
	int n;

	if (eq == NULL) {
		snprintf(err, errlen, "'%s': expected KEY=VALUE", pair);
		return false;
	}
	key = xstrndup(pair, (size_t)(eq - pair));
	str_trim(key);
	n = key[0] ? split_key(key, parts, yerr, sizeof(yerr)) : 0;
	if (n == 0) {
		snprintf(err, errlen, "'%s': %s", pair, key[0] ? yerr : "empty key");
		free(key);
		return false;
	}
	value = yaml_to_json(eq + 1, "value", yerr, sizeof(yerr));
	if (value == NULL) {
		snprintf(err, errlen, "'%s': the value is not valid YAML (%s)", pair, yerr);
		free(key);
		return false;
	}
	set_path(config, parts, n, value);
	json_decref(value);
	free(key);
	return true;
}

/* --- merge patch ------------------------------------------------------------------- */

void ops_config_merge_patch(json_t *target, const json_t *patch)
{
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)(uintptr_t)patch, key, value)
	{
		json_t *cur = json_object_get(target, key);

		if (json_is_null(value)) {
			json_object_del(target, key);
		} else if (json_is_object(value)) {
			if (!json_is_object(cur)) {
				cur = json_object();
				json_object_set_new(target, key, cur);
			}
			ops_config_merge_patch(cur, value);
		} else {
			json_object_set(target, key, value);
		}
	}
}

json_t *ops_config_parse(const char *text, const char *name, char *err, size_t errlen)
{
	json_t *v = yaml_to_json(text, name, err, errlen);

	if (v == NULL)
		return NULL;
	if (json_is_null(v)) {
		json_decref(v);
		return json_object();
	}
	if (!json_is_object(v)) {
		snprintf(err, errlen, "%s: expected a mapping of keys to values", name);
		json_decref(v);
		return NULL;
	}
	return v;
}

bool ops_config_check(const json_t *config, char *err, size_t errlen)
{
	struct dyn_config d;
	bool ok;

	dyn_config_defaults(&d);
	ok = dyn_config_from_json(&d, config, err, errlen) && err[0] == '\0';
	dyn_config_free(&d);
	return ok;
}

/* --- YAML ---------------------------------------------------------------------------- */

static int write_out(void *data, unsigned char *buffer, size_t size)
{
	buf_append(data, buffer, size);
	return 1;
}

/* plain_reads_back: a YAML 1.1 reader types the plain scalar s as the string s. */
static bool plain_reads_back(const char *s)
{
	char err[64];
	json_t *v = yaml_to_json(s, "scalar", err, sizeof(err));
	bool same = json_is_string(v) && str_eq(json_string_value(v), s);

	json_decref(v);
	return same;
}

static bool emit(yaml_emitter_t *em, yaml_event_t *ev)
{
	return yaml_emitter_emit(em, ev) == 1; /* the emitter owns the event either way */
}

/* emit_scalar: plain when allowed (typed values always), else quoted. */
static bool emit_scalar(yaml_emitter_t *em, const char *text, bool typed)
{
	yaml_event_t ev;
	int plain = typed || plain_reads_back(text);

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)(uintptr_t)text,
	                                  (int)strlen(text), plain, 1, YAML_ANY_SCALAR_STYLE))
		return false;
	return emit(em, &ev);
}

/* format_real: Python's repr as PyYAML writes it (always with a '.', so it stays a float). */
static void format_real(double d, char *out, size_t size)
{
	if (isnan(d)) {
		snprintf(out, size, ".nan");
		return;
	}
	if (isinf(d)) {
		snprintf(out, size, "%s", d > 0 ? ".inf" : "-.inf");
		return;
	}
	snprintf(out, size, "%.15g", d);
	if (strtod(out, NULL) != d)
		snprintf(out, size, "%.17g", d);
	if (strpbrk(out, ".e") == NULL) {
		strncat(out, ".0", size - strlen(out) - 1);
	} else if (strchr(out, '.') == NULL) {
		char *e = strchr(out, 'e');
		char tail[32];

		snprintf(tail, sizeof(tail), "%s", e);
		snprintf(e, size - (size_t)(e - out), ".0%s", tail);
	}
}

static bool emit_value(yaml_emitter_t *em, const json_t *v);

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool emit_object(yaml_emitter_t *em, const json_t *obj)
{
	size_t n = json_object_size(obj);
	const char **keys = xcalloc(n + 1, sizeof(*keys));
	yaml_event_t ev;
	const char *key;
	json_t *value;
	size_t i = 0;
	bool ok;

	json_object_foreach((json_t *)(uintptr_t)obj, key, value)
	{
		keys[i++] = key;
	}
	qsort(keys, n, sizeof(*keys), cmp_keys);
	ok = yaml_mapping_start_event_initialize(
	         &ev, NULL, NULL, 1, n ? YAML_BLOCK_MAPPING_STYLE : YAML_FLOW_MAPPING_STYLE) &&
	     emit(em, &ev);
	for (i = 0; ok && i < n; i++)
		ok = emit_scalar(em, keys[i], false) &&
		     emit_value(em, json_object_get(obj, keys[i]));
	free(keys);
	return ok && yaml_mapping_end_event_initialize(&ev) && emit(em, &ev);
}

static bool emit_array(yaml_emitter_t *em, const json_t *arr)
{
	size_t n = json_array_size(arr);
	yaml_event_t ev;
	bool ok;

	ok = yaml_sequence_start_event_initialize(
	         &ev, NULL, NULL, 1, n ? YAML_BLOCK_SEQUENCE_STYLE : YAML_FLOW_SEQUENCE_STYLE) &&
	     emit(em, &ev);
	for (size_t i = 0; ok && i < n; i++)
		ok = emit_value(em, json_array_get(arr, i));
	return ok && yaml_sequence_end_event_initialize(&ev) && emit(em, &ev);
}

static bool emit_value(yaml_emitter_t *em, const json_t *v)
{
	char num[64];

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return emit_object(em, v);
	case JSON_ARRAY:
		return emit_array(em, v);
	case JSON_STRING:
		return emit_scalar(em, json_string_value(v), false);
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return emit_scalar(em, num, true);
	case JSON_REAL:
		format_real(json_real_value(v), num, sizeof(num));
		return emit_scalar(em, num, true);
	case JSON_TRUE:
		return emit_scalar(em, "true", true);
	case JSON_FALSE:
		return emit_scalar(em, "false", true);
	case JSON_NULL:
		return emit_scalar(em, "null", true);
	}
	return false;
}

static bool emit_document(yaml_emitter_t *em, const json_t *config)
{
	yaml_event_t ev;

	return yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) && emit(em, &ev) &&
	       yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) && emit(em, &ev) &&
	       emit_value(em, config) && yaml_document_end_event_initialize(&ev, 1) &&
	       emit(em, &ev) && yaml_stream_end_event_initialize(&ev) && emit(em, &ev);
}

bool ops_config_yaml(const json_t *config, struct buf *out, char *err, size_t errlen)
{
	yaml_emitter_t em;
	bool ok;

	if (!yaml_emitter_initialize(&em)) {
		snprintf(err, errlen, "cannot initialise the YAML emitter");
		return false;
	}
	yaml_emitter_set_output(&em, write_out, out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, 200);
	ok = emit_document(&em, config) && yaml_emitter_flush(&em);
	if (!ok)
		snprintf(err, errlen, "YAML emitter: %s", em.problem ? em.problem : "failed");
	yaml_emitter_delete(&em);
	return ok;
}
