/*
 * agent_restore.c: the leader's part of `pgha restore` (the restore key): bring this
 * node's data back to a point in time with pgBackRest, promote it on a new timeline,
 * and tell the others (who wait, stopped) that they can be made again from it.
 *
 * The sequence, each step for a reason (docs/agent.md, "Restores"):
 *  1. archive what the primary wrote so far (a switch and a wait), then stop it: the
 *     archive then holds every commit up to the stop, and a restore to "now" loses none;
 *  2. restore into <data_dir>.restoring, so that the old directory stays untouched
 *     while pgBackRest works (a failed restore changes nothing), then swap: the old one
 *     is kept aside as <data_dir>.replaced-by-restore.<time>, never deleted;
 *  3. start with recovery.signal, the target and recovery_target_action = promote, and
 *     the node's restore_command: PostgreSQL picks a timeline above every one in the
 *     archive, so no history file of another node is ever overwritten;
 *  4. once promoted: the plain primary configuration again (the target is never left
 *     behind, or the node would stop there as a standby one day and promote itself),
 *     a checkpoint (pg_rewind reads the new timeline), the sync key without standbys
 *     (none has this timeline's data), WAL archived up to here (a replica restored
 *     from a backup must find the new timeline's first file in the archive, not the
 *     old timeline's file past the fork), the history key;
 *  5. the restore key marked ready with the new timeline, and a full backup asked for.
 * A recovery that fails (a target out of the archive's reach) puts the old data
 * directory back and restarts it: the restore key is marked failed with why.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "backup/backup.h"
#include "ha/agent_int.h"
#include "log/log.h"
#include "pg/pg.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/strutil.h"

#define FLUSH_MS    60000   /* archiving what was written, before and after */
#define RESTORE_MS  3600000 /* pgBackRest's restore of a large database */
#define RECOVERY_MS 3600000 /* replaying the archive up to the target */
#define STOP_MS     30000
#define POLL_MS     500

struct restore {
	struct agent *a;
	const struct ha_input *in;
	struct dcs_request req;    /* as read when the restore began */
	char tmp[PATH_MAX + 16];   /* <data_dir>.restoring */
	char aside[PATH_MAX + 64]; /* where the old data directory went */
	char why[PATH_MAX + 128];  /* what failed */
};

/* mark: the restore key's state (if it is still this restore), with result and timeline. */
static void mark(struct restore *r, const char *state, const char *result, int timeline)
{
	struct dcs_view v;
	struct dcs_request q;

	if (!dcs_snapshot(r->a->dcs, &v, -1))
		return;
	q = v.restore;
	if (q.present && str_eq(q.id, r->req.id)) {
		snprintf(q.state, sizeof(q.state), "%s", state);
		snprintf(q.member, sizeof(q.member), "%s", r->a->cfg.name);
		snprintf(q.result, sizeof(q.result), "%s", result);
		q.timeline = timeline;
		if (dcs_request_write(r->a->dcs, "restore", &q, q.mod_revision) != DCS_CAS_OK)
			log_warn("restore %s: its state (%s) was not written", q.id, state);
	}
	dcs_view_free(&v);
}

static bool fail(struct restore *r, const char *fmt, const char *detail)
{
	snprintf(r->why, sizeof(r->why), fmt, detail);
	log_error("restore: %s", r->why);
	return false;
}

/* stop_primary: archives what the primary wrote, then stops it (step 1). */
static bool stop_primary(struct restore *r)
{
	const struct pg_observation *pg = &r->in->pg;

	if (pg->connected && !pg->in_recovery && !pg_archive_flush(r->a->pg, FLUSH_MS))
		log_warn("restore: the last WAL before the restore is not archived; a target after "
		         "it cannot be reached");
	if (!pg_stop(r->a->pg, PG_STOP_FAST, STOP_MS))
		return fail(r, "%s", "PostgreSQL did not stop");
	return true;
}

static void target_of(const struct dcs_request *q, struct backup_target *t)
{
	memset(t, 0, sizeof(*t));
	t->kind = str_eq(q->kind, "time")  ? BACKUP_TARGET_TIME
	          : str_eq(q->kind, "set") ? BACKUP_TARGET_SET
	                                   : BACKUP_TARGET_LATEST;
	snprintf(t->value, sizeof(t->value), "%s", q->target);
}

/* restore_files: pgBackRest's restore into tmp, then the swap (step 2). */
static bool restore_files(struct restore *r)
{
	struct agent *a = r->a;
	struct backup_target t;
	char **opts, **argv;
	bool ok;

	if (fs_exists(r->tmp) && !fs_rm_rf(r->tmp)) /* a restore of ours that broke off */
		return fail(r, "cannot remove the unfinished %s", r->tmp);
	target_of(&r->req, &t);
	opts = backup_restore_opts(r->tmp, &t, false, NULL, false);
	argv = backup_argv(&a->backup.cmd, (const char *const *)opts, "restore");
	log_info("restore: pgBackRest restores into %s", r->tmp);
	ok = backup_exec(argv, RESTORE_MS, a->backup.job_log, NULL);
	backup_argv_free(argv);
	backup_argv_free(opts);
	if (!ok) {
		if (!fs_rm_rf(r->tmp))
			log_warn("restore: cannot remove %s", r->tmp);
		return fail(r, "pgBackRest could not restore (%s)", a->backup.job_log);
	}
	if (!pg_move_data_aside(a->pg, "replaced-by-restore", r->aside, sizeof(r->aside)))
		return fail(r, "%s", "cannot move the data directory aside");
	if (rename(r->tmp, a->cfg.postgresql.data_dir) == -1) {
		log_error("restore: cannot rename %s: %s", r->tmp, strerror(errno));
		if (r->aside[0] && rename(r->aside, a->cfg.postgresql.data_dir) == -1)
			log_error("restore: cannot put %s back: %s", r->aside, strerror(errno));
		return fail(r, "%s", "cannot put the restored data in place");
	}
	return pg_data_adopt(a->pg, false) ||
	       fail(r, "%s", "the restored data is no data directory");
}

static void recovery_role(const struct dcs_request *q, struct pg_role_conf *role)
{
	memset(role, 0, sizeof(*role));
	role->recovery = true;
	if (str_eq(q->kind, "time")) {
		snprintf(role->recovery_target, sizeof(role->recovery_target),
		         "recovery_target_time");
		snprintf(role->recovery_target_value, sizeof(role->recovery_target_value), "%s",
		         q->target);
	} else if (str_eq(q->kind, "set")) { /* the backup's consistency point */
		snprintf(role->recovery_target, sizeof(role->recovery_target), "recovery_target");
		snprintf(role->recovery_target_value, sizeof(role->recovery_target_value),
		         "immediate");
	}
}

bool agent_recover(struct agent *a, const struct pg_role_conf *role, int timeout_ms, char *why,
                   size_t size)
{
	int64_t deadline = clock_now_ms() + timeout_ms;
	struct pg_observation o;

	if (!pg_start(a->pg, role)) {
		snprintf(why, size, "PostgreSQL did not start on the restored data");
		return false;
	}
	for (;;) {
		enum pg_proc_state st = pg_proc_state(a->pg);

		if (st == PG_PROC_CRASHED || st == PG_PROC_STOPPED) {
			snprintf(why, size,
			         "recovery failed (a target out of the archive's reach? "
			         "see PostgreSQL's log)");
			return false;
		}
		pg_observe(a->pg, &o, 1000);
		if (o.connected && !o.in_recovery)
			return true;
		if (clock_now_ms() >= deadline) {
			snprintf(why, size, "recovery took longer than %d s", timeout_ms / 1000);
			return false;
		}
		clock_sleep_ms(POLL_MS);
	}
}

/* recover: the restore's recovery up to its target, then the promotion (step 3). */
static bool recover(struct restore *r, struct pg_observation *o)
{
	struct pg_role_conf role;

	recovery_role(&r->req, &role);
	if (!agent_recover(r->a, &role, RECOVERY_MS, r->why, sizeof(r->why))) {
		log_error("restore: %s", r->why);
		return false;
	}
	pg_observe(r->a->pg, o, 1000);
	return true;
}

/* put_back: the old data directory in place again and started as it was. */
static void put_back(struct restore *r)
{
	struct agent *a = r->a;
	struct pg_role_conf primary;

	if (!pg_stop(a->pg, PG_STOP_IMMEDIATE, STOP_MS))
		log_error("restore: PostgreSQL on the restored data did not stop");
	if (r->aside[0] == '\0')
		return; /* nothing was swapped: the old directory never moved */
	if (!pg_move_data_aside(a->pg, "failed-restore", NULL, 0) ||
	    rename(r->aside, a->cfg.postgresql.data_dir) == -1) {
		log_error("restore: cannot put %s back; it is kept there", r->aside);
		return;
	}
	log_warn("restore: the previous data directory is back in place");
	memset(&primary, 0, sizeof(primary));
	if (!pg_start(a->pg, &primary) || !pg_wait_ready(a->pg, 60000))
		log_error("restore: the previous data directory did not start again");
}

/* claim_sync: the sync key names no standby: none has the restored timeline yet. */
static void claim_sync(struct restore *r)
{
	struct dcs_view v;

	if (!r->a->dyn->cfg.synchronous_mode || !dcs_snapshot(r->a->dcs, &v, -1))
		return;
	if (dcs_sync_write(r->a->dcs, NULL, 0, v.sync.mod_revision) != DCS_CAS_OK)
		log_warn("restore: the sync key still names the old standbys");
	dcs_view_free(&v);
}

/* ask_full_backup: the backup key asks this leader for a full backup (step 5). */
static void ask_full_backup(struct restore *r)
{
	struct dcs_view v;
	struct dcs_request q;

	if (!dcs_snapshot(r->a->dcs, &v, -1))
		return;
	if (!dcs_request_pending(&v.backup)) {
		memset(&q, 0, sizeof(q));
		snprintf(q.id, sizeof(q.id), "restore-%.24s", r->req.id);
		snprintf(q.kind, sizeof(q.kind), "full");
		clock_wall_iso8601(q.requested_at, sizeof(q.requested_at));
		dcs_request_follow(&q, &v.backup);
		if (dcs_request_write(r->a->dcs, "backup", &q, v.backup.mod_revision) != DCS_CAS_OK)
			log_warn("restore: no full backup asked for; take one with pgha backup");
	}
	dcs_view_free(&v);
}

/* finish: the restored primary made the cluster's again (step 4). */
static void finish(struct restore *r, const struct pg_observation *o)
{
	struct agent *a = r->a;
	struct pg_role_conf primary;
	char result[sizeof(r->aside) + 64];

	memset(&primary, 0, sizeof(primary));
	if (!pg_reconfigure(a->pg, &primary))
		log_error("restore: the recovery settings could not be removed; restart it");
	if (!pg_checkpoint(a->pg, 60000))
		log_warn("restore: checkpoint failed");
	claim_sync(r);
	if (!pg_archive_flush(a->pg, FLUSH_MS))
		log_error("restore: the new timeline's WAL is not archived yet; replicas made from "
		          "a backup may not find it");
	if (!agent_write_history(a, r->in))
		log_warn("restore: the history key was not written");
	snprintf(result, sizeof(result), "the previous data directory is kept at %s", r->aside);
	mark(r, "ready", result, o->timeline);
	log_info("restore: done, this node leads on timeline %d", o->timeline);
	ask_full_backup(r);
}

bool agent_restore(struct agent *a, const struct ha_input *in)
{
	struct restore r = {.a = a, .in = in, .req = in->view.restore};
	struct pg_observation o;
	bool ok;

	snprintf(r.tmp, sizeof(r.tmp), "%s.restoring", a->cfg.postgresql.data_dir);
	if (!a->backup.enabled) {
		mark(&r, "failed", "pgbackrest is not configured on the leader", 0);
		return false;
	}
	mark(&r, "restoring", "", 0);
	log_warn("restore %s: bringing the cluster back to %s %s", r.req.id, r.req.kind,
	         r.req.target);
	agent_set_state(a, "restoring", in);
	agent_backup_cancel(a, "a restore began");
	ok = stop_primary(&r) && restore_files(&r) && recover(&r, &o);
	if (ok) {
		snprintf(a->upstream, sizeof(a->upstream), "%s", "");
		a->slots_for[0] = '\0'; /* the restored data has none of the members' slots */
		finish(&r, &o);
	} else {
		put_back(&r);
		mark(&r, "failed", r.why, 0);
	}
	agent_set_state(a, NULL, in);
	return ok;
}
