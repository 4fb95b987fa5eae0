/*
 * backup_rules.c: the pure rules on a repository's backups: which backup the policy
 * wants now, and which backup a new replica may be restored from (backup.h).
 */
#include "backup/backup.h"

#include <stddef.h>

/* newest_stop: stop time of the newest good backup of a type in types[], 0 if none. */
static int64_t newest_stop(const struct backup_info *info, const enum backup_type *types, int n)
{
	int64_t best = 0;

	for (int i = 0; i < info->n_sets; i++) {
		const struct backup_set *s = &info->sets[i];

		for (int t = 0; t < n && !s->error; t++) {
			if (s->type == types[t] && s->stop_s > best)
				best = s->stop_s;
		}
	}
	return best;
}

static bool elapsed(int64_t since_s, int every_s, int64_t now_s)
{
	return every_s > 0 && now_s - since_s >= every_s;
}

enum backup_type backup_due(const struct backup_policy *p, const struct backup_info *info,
                            int64_t now_s)
{
	static const enum backup_type full[] = {BACKUP_FULL};
	static const enum backup_type full_diff[] = {BACKUP_FULL, BACKUP_DIFF};
	static const enum backup_type any[] = {BACKUP_FULL, BACKUP_DIFF, BACKUP_INCR};
	int64_t last_full = newest_stop(info, full, 1);
	bool scheduled = p->full_every_s > 0 || p->diff_every_s > 0 || p->incr_every_s > 0;

	if (!scheduled)
		return BACKUP_NONE;
	if (last_full == 0 || elapsed(last_full, p->full_every_s, now_s))
		return BACKUP_FULL;
	if (elapsed(newest_stop(info, full_diff, 2), p->diff_every_s, now_s))
		return BACKUP_DIFF;
	if (elapsed(newest_stop(info, any, 3), p->incr_every_s, now_s))
		return BACKUP_INCR;
	return BACKUP_NONE;
}

/* on_lineage: the backup ended on the leader's history (see backup_pick_for_replica). */
static bool on_lineage(const struct backup_set *s, const struct backup_fork *history, int n,
                       int leader_timeline)
{
	if (s->timeline <= 0 || s->timeline > leader_timeline)
		return false;
	if (s->timeline == leader_timeline)
		return true;
	for (int i = 0; i < n; i++) {
		if (history[i].timeline == s->timeline)
			return s->lsn_stop > 0 && s->lsn_stop <= history[i].switch_lsn;
	}
	return false; /* a timeline the leader's history does not name */
}

const struct backup_set *backup_pick_for_replica(const struct backup_info *info,
                                                 const struct backup_fork *history, int n,
                                                 int leader_timeline)
{
	for (int i = info->n_sets - 1; i >= 0; i--) {
		const struct backup_set *s = &info->sets[i];

		if (!s->error && on_lineage(s, history, n, leader_timeline))
			return s;
	}
	return NULL;
}
