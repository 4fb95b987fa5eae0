/*
 * dyn_config.c: the cluster-wide (dynamic) configuration: its key table with pgha's
 * defaults, read by the configuration engine from the JSON object Patroni keeps in
 * etcd's "config" key (and PATCH /config bodies), from YAML (bootstrap.dcs in the
 * agent's file, `pgha edit-config`), and written back as that JSON object.
 *
 * Pure: no I/O, no logging. Values are read as leniently as Patroni reads them
 * (numbers or numeric strings, booleans or "on"/"off"); a bad value is reported and
 * its field left unchanged, so one typo in etcd cannot take a cluster's settings away.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "config/config_engine.h"
#include "config/config_int.h"
#include "util/err.h"
#include "util/strutil.h"
#include "util/xalloc.h"

/* Upper bound for every duration: a day is far beyond any sane HA timing. */
#define DYN_MAX_SECONDS 86400

/* --- the keys ------------------------------------------------------------------------ */

/* One row per line reads best. */
/* clang-format off */
#define T struct dyn_config
#define INT(p, f, lo, hi, d) CFG_INT_ROW(T, p, f, lo, hi, d)
#define BOOL(p, f, d)        CFG_BOOL_ROW(T, p, f, d, 0)
#define IGNORED(p, why)      CFG_IGNORED_ROW(p, why)
#define FN(p, fn)            CFG_FN_ROW(p, fn)
/* Intervals up to a year; 0 = never. */
#define DURATION(p, f, d)    CFG_DURATION_ROW(T, p, f, 0, 366 * 86400, d)
/* clang-format on */

static const char *const retention_types[] = {"count", "time", NULL};

/* synchronous_mode: a boolean, or Patroni 4's "quorum", which pgha does not implement. */
static bool refuse_quorum(struct cfg_ctx *c, const struct cfg_entry *e)
{
	struct yscalar v;

	if (!ynode_is_scalar(e->value))
		return true;
	yscalar_resolve(e->value, &v);
	if (v.type != YS_STR || !str_eq_nocase(ynode_text(e->value), "quorum"))
		return true;
	cfg_error(c, e->line, "%s: quorum is not supported by pgha (use on or off)", e->path);
	return false;
}

/*
 * pgha's defaults are the rows' below, in this one place. They are tuned for fast failover, unlike
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
 * - failsafe_mode off, as in Patroni: a cluster that sets it keeps its primary through
 *   an etcd outage while every member confirms it (docs/agent.md, "Failsafe mode");
 *   `pgha up` and the deploy/ configurations set it.
 */
const struct cfg_key dyn_config_keys[] = {
    INT("ttl", ttl_s, 1, DYN_MAX_SECONDS, "2"),
    INT("loop_wait", loop_wait_s, 1, DYN_MAX_SECONDS, "1"),
    INT("retry_timeout", retry_timeout_s, 1, DYN_MAX_SECONDS, "1"),
    CFG_BYTES_ROW(T, "maximum_lag_on_failover", maximum_lag_on_failover, 0, "1048576", 0),
    INT("primary_start_timeout", primary_start_timeout_s, 0, DYN_MAX_SECONDS, "0"),
    CFG_ALIAS_ROW("master_start_timeout", "primary_start_timeout"), /* Patroni 2 */
    {.path = "synchronous_mode",
     .type = CFG_BOOL,
     .offset = CFG_FIELD(T, synchronous_mode, bool),
     .def = "true",
     .check = refuse_quorum},
    BOOL("synchronous_mode_strict", synchronous_mode_strict, "false"),
    INT("synchronous_node_count", synchronous_node_count, 1, CONFIG_MAX_SYNC_NODES, "1"),
    BOOL("check_timeline", check_timeline, "true"),
    BOOL("failsafe_mode", failsafe_mode, "false"),
    /* Patroni's resume writes pause: null */
    CFG_BOOL_ROW(T, "pause", pause, "false", CFG_F_NULL_DEFAULT),
    CFG_SECTION_ROW("postgresql", 0),
    BOOL("postgresql.use_pg_rewind", use_pg_rewind, "true"),
    BOOL("postgresql.use_slots", use_slots, "true"),
    BOOL("postgresql.remove_data_directory_on_rewind_failure",
         remove_data_directory_on_rewind_failure, "false"),
    CFG_PARAMS_ROW(T, "postgresql.parameters", parameters),
    CFG_STRV_ROW(T, "postgresql.pg_hba", pg_hba),
    IGNORED("maximum_lag_on_syncnode", NULL),
    IGNORED("primary_stop_timeout", NULL),
    IGNORED("master_stop_timeout", NULL),
    IGNORED("primary_race_backoff", NULL),
    IGNORED("max_timelines_history", NULL),
    IGNORED("member_slots_ttl", NULL),
    FN("slots", cfg_read_slots),
    CFG_ALIAS_ROW("permanent_slots", "slots"), /* Patroni 2 */
    FN("ignore_slots", cfg_read_ignore_slots),
    CFG_SECTION_ROW("backup", 0),
    DURATION("backup.full_every", backup.full_every_s, "0"),
    DURATION("backup.diff_every", backup.diff_every_s, "0"),
    DURATION("backup.incr_every", backup.incr_every_s, "0"),
    INT("backup.retention_full", backup.retention_full, 1, 9999999, "2"),
    CFG_CHOICE_ROW(T, "backup.retention_full_type", backup.retention_full_type, retention_types,
                   "count"),
    INT("backup.retention_diff", backup.retention_diff, 0, 9999999, "0"),
    BOOL("backup.standby", backup.standby, "true"),
    IGNORED("postgresql.pg_ident", NULL),
    IGNORED("postgresql.recovery_conf", NULL),
    IGNORED("postgresql.remove_data_directory_on_diverged_timelines", "a diverged node is rewound"),
    IGNORED("postgresql.use_unix_socket", NULL),
    IGNORED("postgresql.use_unix_socket_repl", NULL),
    CFG_REFUSED_ROW("standby_cluster", "standby clusters are not supported by pgha"),
    CFG_END_ROW,
};

void dyn_config_defaults(struct dyn_config *d)
{
	memset(d, 0, sizeof(*d)); /* padding too: the struct can be compared with memcmp */
	(void)cfg_defaults(dyn_config_keys, d);
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

/* --- whole documents ------------------------------------------------------------- */

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
	struct cfg_ctx c;

	err_set(err, errlen, "%s", "");
	if (!json_is_object(obj)) {
		err_set(err, errlen, "the configuration is not a JSON object");
		return false;
	}
	/* Unknown and ignored keys pass silently, as Patroni's readers let them. */
	cfg_ctx_init(&c, dyn_config_keys, d, NULL, NULL, NULL);
	(void)cfg_read_json(&c, obj);
	cfg_errors_join(&c, "; ", err, errlen);
	cfg_ctx_free(&c);
	fit_or_restore(d, &before, err, errlen);
	return true;
}

bool dyn_config_check_yaml(const char *text, const char *name, char *err, size_t errlen)
{
	struct dyn_config d;
	struct cfg_ctx c;
	bool ok;

	dyn_config_defaults(&d);
	cfg_ctx_init(&c, dyn_config_keys, &d, name, NULL, NULL);
	c.empty_ok = true;
	ok = cfg_read_yaml(&c, text, strlen(text)) && c.n_errors == 0;
	cfg_errors_join(&c, "\n", err, errlen);
	cfg_ctx_free(&c);
	dyn_config_free(&d);
	return ok;
}

json_t *dyn_config_to_json(const struct dyn_config *d)
{
	json_t *out = cfg_to_json(dyn_config_keys, d);

	cfg_slots_to_json(d, out);
	return out;
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
