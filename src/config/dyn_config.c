/*
 * dyn_config.c: the cluster-wide (dynamic) configuration: pgha's defaults, and the
 * conversion from and to the JSON object Patroni keeps in etcd's "config" key.
 *
 * Pure: no I/O, no logging. Values are read as leniently as Patroni reads them
 * (numbers or numeric strings, booleans or "on"/"off"); a bad value is reported and
 * its field left unchanged, so one typo in etcd cannot take a cluster's settings away.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "config/config_int.h"
#include "util/strutil.h"
#include "util/xalloc.h"

/* Upper bound for every duration: a day is far beyond any sane HA timing. */
#define DYN_MAX_SECONDS 86400

/*
 * pgha's defaults, in this one place. They are tuned for fast failover, unlike
 * Patroni's (ttl 30, loop_wait 10, retry_timeout 10):
 * - ttl 2: a dead primary's leader key survives up to ttl after its last renewal, so
 *   the lease bounds host-loss detection (the target is <= 3 s of write downtime).
 *   2 s is etcd's minimum lease. The leader renews every ttl/6 from a thread of its own
 *   and fences at ttl - 500 ms (src/ha/lease.c); 10 minutes of pgbench -c 16 on a
 *   loaded 2-core machine caused no false failover (bench-false-failover measures it).
 * - loop_wait 1, retry_timeout 1: the HA loop of a replica runs every second (etcd's
 *   watch wakes it at once on a leader change) and a DCS call that hangs for a second
 *   counts as failed.
 * - synchronous_mode on: no acknowledged commit may be lost in a failover
 *   (docs/design.md, invariant 2); not strict, so a lone primary keeps taking writes.
 * - primary_start_timeout 0: a crashed primary with a healthy sync standby fails over
 *   at once instead of waiting for crash recovery in place.
 * - check_timeline on: a thawed stale primary on an old timeline cannot win a race.
 * - use_pg_rewind on: a former primary rejoins by rewinding (invariant 4).
 */
void dyn_config_defaults(struct dyn_config *d)
{
	memset(d, 0, sizeof(*d)); /* padding too: the struct can be compared with memcmp */
	d->ttl_s = 2;
	d->loop_wait_s = 1;
	d->retry_timeout_s = 1;
	d->maximum_lag_on_failover = 1048576; /* Patroni's: 1 MiB */
	d->primary_start_timeout_s = 0;
	d->synchronous_mode = true;
	d->synchronous_mode_strict = false;
	d->synchronous_node_count = 1;
	d->pause = false;
	d->check_timeline = true;
	d->use_pg_rewind = true;
	d->use_slots = true;
	d->remove_data_directory_on_rewind_failure = false;
	d->parameters = (struct pg_params){NULL, 0};
	d->pg_hba = NULL;
}

/*
 * pgha's timing rule. Patroni needs loop_wait + 2*retry_timeout <= ttl because its
 * leader renews the lease from the HA loop (patroni#1579). pgha's leader renews from a
 * thread of its own every ttl/6, with its own timeouts, and a second thread fences at
 * the deadline (src/ha/lease.c): loop_wait and retry_timeout only pace the HA loop.
 * What remains: etcd grants no lease under 2 s, and a loop slower than the lease would
 * notice a dead leader later than the lease does.
 */
bool dyn_config_timing_ok(const struct dyn_config *d)
{
	return d->ttl_s >= 2 && d->loop_wait_s >= 1 && d->retry_timeout_s >= 1 &&
	       d->loop_wait_s <= d->ttl_s;
}

/* dyn_config_fit_timing: repairs what can be repaired (as Patroni does, silently). */
bool dyn_config_fit_timing(struct dyn_config *d, char *msg, size_t msglen)
{
	if (msg != NULL && msglen > 0)
		msg[0] = '\0';
	if (dyn_config_timing_ok(d))
		return true;
	if (d->ttl_s < 2 || d->retry_timeout_s < 1 || d->loop_wait_s < 1)
		return false;
	d->loop_wait_s = d->ttl_s;
	snprintf(msg, msglen, "loop_wait lowered to %d so that it does not exceed ttl",
	         d->loop_wait_s);
	return true;
}

/* --- reading JSON values as Patroni does --------------------------------------------- */

/* jansson's object iterators take a non-const pointer but do not modify the object. */
static json_t *unconst(const json_t *v)
{
	return (json_t *)(uintptr_t)v;
}

static bool json_to_i64(const json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return true;
	}
	if (json_is_real(v)) {
		double f = json_real_value(v);

		if (f != floor(f) || f < -9.0e18 || f > 9.0e18)
			return false;
		*out = (int64_t)f;
		return true;
	}
	return json_is_string(v) && str_parse_i64(json_string_value(v), out);
}

static bool json_to_bool(const json_t *v, bool *out)
{
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return true;
	}
	if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
		*out = json_integer_value(v) == 1;
		return true;
	}
	return json_is_string(v) && str_parse_bool(json_string_value(v), out);
}

/* Shortest text that reads back as the same double (0.9, not 0.90000000000000002). */
static char *format_real(double f)
{
	char buf[64];

	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, f);
		if (strtod(buf, NULL) == f)
			break;
	}
	return xstrdup(buf);
}

char *pg_param_value_from_json(const json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_boolean(v))
		return xstrdup(json_is_true(v) ? "on" : "off");
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return format_real(json_real_value(v));
	return NULL;
}

/* --- one key at a time ------------------------------------------------------------- */

enum dyn_kind {
	DK_INT,       /* int field, min..max */
	DK_LAG,       /* int64 bytes >= 0, units allowed in strings ("1MB") */
	DK_BOOL,      /* bool field */
	DK_SYNC_MODE, /* bool, or "quorum" (refused) */
	DK_PAUSE,     /* bool, null = false */
	DK_PARAMS,    /* struct pg_params, replaced */
	DK_HBA,       /* char **, replaced */
	DK_IGNORED,   /* Patroni key pgha does not use */
	DK_REFUSED,   /* Patroni key whose feature pgha lacks: a value is an error */
};

struct dyn_key {
	const char *path;
	enum dyn_kind kind;
	size_t offset; /* into struct dyn_config */
	int min, max;  /* DK_INT */
	const char *note;
};

/* One row per line reads best. */
/* clang-format off */
#define DKEY(p, k, f)      {p, k, offsetof(struct dyn_config, f), 0, 0, NULL}
#define DINT(p, f, lo, hi) {p, DK_INT, offsetof(struct dyn_config, f), lo, hi, NULL}
#define DNOTE(p, k, why)   {p, k, 0, 0, 0, why}
/* clang-format on */

static const struct dyn_key dyn_keys[] = {
    DINT("ttl", ttl_s, 1, DYN_MAX_SECONDS),
    DINT("loop_wait", loop_wait_s, 1, DYN_MAX_SECONDS),
    DINT("retry_timeout", retry_timeout_s, 1, DYN_MAX_SECONDS),
    DKEY("maximum_lag_on_failover", DK_LAG, maximum_lag_on_failover),
    DINT("primary_start_timeout", primary_start_timeout_s, 0, DYN_MAX_SECONDS),
    DINT("master_start_timeout", primary_start_timeout_s, 0, DYN_MAX_SECONDS), /* Patroni 2 */
    DKEY("synchronous_mode", DK_SYNC_MODE, synchronous_mode),
    DKEY("synchronous_mode_strict", DK_BOOL, synchronous_mode_strict),
    DINT("synchronous_node_count", synchronous_node_count, 1, CONFIG_MAX_SYNC_NODES),
    DKEY("check_timeline", DK_BOOL, check_timeline),
    DKEY("pause", DK_PAUSE, pause),
    DKEY("postgresql.use_pg_rewind", DK_BOOL, use_pg_rewind),
    DKEY("postgresql.use_slots", DK_BOOL, use_slots),
    DKEY("postgresql.remove_data_directory_on_rewind_failure", DK_BOOL,
         remove_data_directory_on_rewind_failure),
    DKEY("postgresql.parameters", DK_PARAMS, parameters),
    DKEY("postgresql.pg_hba", DK_HBA, pg_hba),
    DNOTE("maximum_lag_on_syncnode", DK_IGNORED, NULL),
    DNOTE("primary_stop_timeout", DK_IGNORED, NULL),
    DNOTE("master_stop_timeout", DK_IGNORED, NULL),
    DNOTE("primary_race_backoff", DK_IGNORED, NULL),
    DNOTE("failsafe_mode", DK_IGNORED, "a primary cut from etcd always fences itself"),
    DNOTE("max_timelines_history", DK_IGNORED, NULL),
    DNOTE("member_slots_ttl", DK_IGNORED, NULL),
    DNOTE("slots", DK_IGNORED, "no permanent replication slots"),
    DNOTE("permanent_slots", DK_IGNORED, "no permanent replication slots"),
    DNOTE("ignore_slots", DK_IGNORED, NULL),
    DNOTE("postgresql.pg_ident", DK_IGNORED, NULL),
    DNOTE("postgresql.recovery_conf", DK_IGNORED, NULL),
    DNOTE("postgresql.remove_data_directory_on_diverged_timelines", DK_IGNORED,
          "a diverged node is rewound"),
    DNOTE("postgresql.use_unix_socket", DK_IGNORED, NULL),
    DNOTE("postgresql.use_unix_socket_repl", DK_IGNORED, NULL),
    DNOTE("standby_cluster", DK_REFUSED, "standby clusters are not supported by pgha"),
};

static const struct dyn_key *dyn_key_find(const char *path)
{
	for (size_t i = 0; i < ARRAY_LEN(dyn_keys); i++)
		if (strcmp(dyn_keys[i].path, path) == 0)
			return &dyn_keys[i];
	return NULL;
}

static enum dyn_key_result apply_int(struct dyn_config *d, const struct dyn_key *k, const json_t *v,
                                     char *err, size_t errlen)
{
	int64_t x;

	if (!json_to_i64(v, &x) || x < k->min || x > k->max) {
		snprintf(err, errlen, "must be an integer from %d to %d", k->min, k->max);
		return DYN_KEY_BAD;
	}
	*(int *)((char *)d + k->offset) = (int)x;
	return DYN_KEY_OK;
}

static enum dyn_key_result apply_lag(struct dyn_config *d, const json_t *v, char *err,
                                     size_t errlen)
{
	int64_t x;
	bool ok =
	    json_to_i64(v, &x) || (json_is_string(v) && str_parse_bytes(json_string_value(v), &x));

	if (!ok || x < 0) {
		snprintf(err, errlen, "must be a number of bytes >= 0 (e.g. 1048576 or \"1MB\")");
		return DYN_KEY_BAD;
	}
	d->maximum_lag_on_failover = x;
	return DYN_KEY_OK;
}

static enum dyn_key_result apply_bool(struct dyn_config *d, const struct dyn_key *k,
                                      const json_t *v, char *err, size_t errlen)
{
	bool b;

	if (k->kind == DK_PAUSE && json_is_null(v)) {
		d->pause = false; /* Patroni's resume writes pause: null */
		return DYN_KEY_OK;
	}
	if (k->kind == DK_SYNC_MODE && json_is_string(v) &&
	    str_eq_nocase(json_string_value(v), "quorum")) {
		snprintf(err, errlen, "quorum is not supported by pgha (use on or off)");
		return DYN_KEY_BAD;
	}
	if (!json_to_bool(v, &b)) {
		snprintf(err, errlen, "must be a boolean (true/false, on/off)");
		return DYN_KEY_BAD;
	}
	*(bool *)((char *)d + k->offset) = b;
	return DYN_KEY_OK;
}

/* Reads the whole object first, so that a bad entry leaves the old parameters alone. */
static enum dyn_key_result apply_params(struct dyn_config *d, const json_t *v, char *err,
                                        size_t errlen)
{
	struct pg_params p = {NULL, 0};
	const char *name;
	json_t *value;

	if (!json_is_object(v)) {
		snprintf(err, errlen, "must be an object of parameter: value");
		return DYN_KEY_BAD;
	}
	json_object_foreach(unconst(v), name, value)
	{
		char *text;

		if (json_is_null(value))
			continue; /* Patroni: a null parameter is not set */
		text = pg_param_value_from_json(value);
		if (!pg_params_valid_name(name) || text == NULL || !pg_params_valid_value(text)) {
			snprintf(err, errlen, "%s: not a valid parameter name and value", name);
			free(text);
			pg_params_free(&p);
			return DYN_KEY_BAD;
		}
		pg_params_set(&p, name, text);
		free(text);
	}
	pg_params_free(&d->parameters);
	d->parameters = p;
	return DYN_KEY_OK;
}

static enum dyn_key_result apply_hba(struct dyn_config *d, const json_t *v, char *err,
                                     size_t errlen)
{
	char **lines = strv_new();
	size_t i;
	json_t *item;

	if (!json_is_array(v)) {
		snprintf(err, errlen, "must be a list of pg_hba.conf lines");
		strv_free(lines);
		return DYN_KEY_BAD;
	}
	json_array_foreach(v, i, item)
	{
		if (!json_is_string(item) || !pg_params_valid_value(json_string_value(item))) {
			snprintf(err, errlen, "item %zu: must be one pg_hba.conf line", i + 1);
			strv_free(lines);
			return DYN_KEY_BAD;
		}
		strv_push(&lines, json_string_value(item));
	}
	strv_free(d->pg_hba);
	d->pg_hba = lines;
	return DYN_KEY_OK;
}

static bool is_empty_value(const json_t *v)
{
	return json_is_null(v) || json_is_false(v) ||
	       ((json_is_object(v) || json_is_array(v)) && json_object_size(v) == 0 &&
	        json_array_size(v) == 0);
}

enum dyn_key_result dyn_config_apply_key(struct dyn_config *d, const char *path, const json_t *v,
                                         char *err, size_t errlen, const char **note)
{
	const struct dyn_key *k = dyn_key_find(path);

	if (note != NULL)
		*note = k != NULL ? k->note : NULL;
	if (k == NULL)
		return DYN_KEY_UNKNOWN;
	if (json_is_null(v) && k->kind != DK_PAUSE)
		return k->kind == DK_IGNORED ? DYN_KEY_IGNORED : DYN_KEY_OK; /* null: not set */
	switch (k->kind) {
	case DK_INT:
		return apply_int(d, k, v, err, errlen);
	case DK_LAG:
		return apply_lag(d, v, err, errlen);
	case DK_BOOL:
	case DK_SYNC_MODE:
	case DK_PAUSE:
		return apply_bool(d, k, v, err, errlen);
	case DK_PARAMS:
		return apply_params(d, v, err, errlen);
	case DK_HBA:
		return apply_hba(d, v, err, errlen);
	case DK_IGNORED:
		return DYN_KEY_IGNORED;
	case DK_REFUSED:
		if (is_empty_value(v))
			return DYN_KEY_IGNORED;
		snprintf(err, errlen, "%s", k->note);
		return DYN_KEY_BAD;
	}
	return DYN_KEY_UNKNOWN;
}

/* --- whole objects ------------------------------------------------------------------ */

static void err_append(char *err, size_t errlen, const char *fmt, ...) PRINTF_LIKE(3, 4);

static void err_append(char *err, size_t errlen, const char *fmt, ...)
{
	size_t used;
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	used = strlen(err);
	if (used > 0 && used + 2 < errlen) {
		memcpy(err + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(err + used, errlen - used, fmt, ap);
	va_end(ap);
}

static void apply_reported(struct dyn_config *d, const char *path, const json_t *v, char *err,
                           size_t errlen)
{
	char why[256];

	if (dyn_config_apply_key(d, path, v, why, sizeof(why), NULL) == DYN_KEY_BAD)
		err_append(err, errlen, "%s: %s", path, why);
}

static void apply_postgresql(struct dyn_config *d, const json_t *pg, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	if (json_is_null(pg))
		return;
	if (!json_is_object(pg)) {
		err_append(err, errlen, "postgresql: must be an object");
		return;
	}
	json_object_foreach(unconst(pg), key, v)
	{
		char path[256];

		snprintf(path, sizeof(path), "postgresql.%s", key);
		apply_reported(d, path, v, err, errlen);
	}
}

static void fit_or_restore(struct dyn_config *d, const struct dyn_config *before, char *err,
                           size_t errlen)
{
	char msg[160];

	if (dyn_config_fit_timing(d, msg, sizeof(msg))) {
		if (msg[0] != '\0')
			err_append(err, errlen, "%s", msg);
		return;
	}
	err_append(err, errlen,
	           "ttl %d, loop_wait %d, retry_timeout %d are not usable (ttl >= 2 s, the "
	           "others >= 1 s): timings unchanged",
	           d->ttl_s, d->loop_wait_s, d->retry_timeout_s);
	d->ttl_s = before->ttl_s;
	d->loop_wait_s = before->loop_wait_s;
	d->retry_timeout_s = before->retry_timeout_s;
}

bool dyn_config_from_json(struct dyn_config *d, const json_t *obj, char *err, size_t errlen)
{
	struct dyn_config before = *d; /* shallow: only the timings are read back */
	const char *key;
	json_t *v;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (!json_is_object(obj)) {
		err_append(err, errlen, "the configuration is not a JSON object");
		return false;
	}
	json_object_foreach(unconst(obj), key, v)
	{
		if (strcmp(key, "postgresql") == 0)
			apply_postgresql(d, v, err, errlen);
		else
			apply_reported(d, key, v, err, errlen);
	}
	fit_or_restore(d, &before, err, errlen);
	return true;
}

static json_t *params_to_json(const struct pg_params *p)
{
	json_t *obj = json_object();

	for (int i = 0; i < p->n; i++)
		json_object_set_new(obj, p->items[i].name, json_string(p->items[i].value));
	return obj;
}

static json_t *strv_to_json(char *const *v)
{
	json_t *arr = json_array();

	for (size_t i = 0; v[i] != NULL; i++)
		json_array_append_new(arr, json_string(v[i]));
	return arr;
}

json_t *dyn_config_to_json(const struct dyn_config *d)
{
	json_t *pg = json_pack("{s:b, s:b, s:b, s:o}", "use_pg_rewind", d->use_pg_rewind,
	                       "use_slots", d->use_slots, "remove_data_directory_on_rewind_failure",
	                       d->remove_data_directory_on_rewind_failure, "parameters",
	                       params_to_json(&d->parameters));

	if (d->pg_hba != NULL)
		json_object_set_new(pg, "pg_hba", strv_to_json(d->pg_hba));
	return json_pack("{s:i, s:i, s:i, s:I, s:i, s:b, s:b, s:i, s:b, s:b, s:o}", "ttl", d->ttl_s,
	                 "loop_wait", d->loop_wait_s, "retry_timeout", d->retry_timeout_s,
	                 "maximum_lag_on_failover", (json_int_t)d->maximum_lag_on_failover,
	                 "primary_start_timeout", d->primary_start_timeout_s, "synchronous_mode",
	                 d->synchronous_mode, "synchronous_mode_strict", d->synchronous_mode_strict,
	                 "synchronous_node_count", d->synchronous_node_count, "check_timeline",
	                 d->check_timeline, "pause", d->pause, "postgresql", pg);
}

void dyn_config_copy(struct dyn_config *dst, const struct dyn_config *src)
{
	*dst = *src;
	dst->parameters = (struct pg_params){NULL, 0};
	pg_params_copy(&dst->parameters, &src->parameters);
	dst->pg_hba = strv_dup(src->pg_hba);
}

void dyn_config_free(struct dyn_config *d)
{
	pg_params_free(&d->parameters);
	strv_free(d->pg_hba);
	d->pg_hba = NULL;
}
