/*
 * ops_backup.c: `pgha backup`, `pgha backup check`, `pgha backup list`, `pgha restore`
 * (see ops_backup.h).
 */
#include "cli/ops_backup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "backup/backup.h"
#include "cli/cli.h"
#include "cli/ops_pause.h"
#include "ha/ha_decide.h"
#include "client/client.h"
#include "util/clock.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define POLL_MS           500
#define DEFAULT_TIMEOUT_S 3600
#define INFO_TIMEOUT_MS   60000
#define PAUSE_WAIT_S      30

/* --- requests ------------------------------------------------------------------------------ */

/* new_request: a request of kind with a fresh random id and the time it is asked. */
static void new_request(struct dcs_request *r, const char *kind)
{
	unsigned char raw[8];

	memset(r, 0, sizeof(*r));
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		snprintf(r->id, sizeof(r->id), "%lld", (long long)clock_wall_epoch_s());
	else
		for (size_t i = 0; i < sizeof(raw); i++)
			snprintf(r->id + 2 * i, sizeof(r->id) - 2 * i, "%02x", raw[i]);
	snprintf(r->kind, sizeof(r->kind), "%s", kind);
	clock_wall_iso8601(r->requested_at, sizeof(r->requested_at));
}

/*
 * write_request: the key name = r, if what is there (current) allows it; r carries
 * current's outcome if current has ended (its requester may not have seen it yet).
 */
static bool write_request(const struct ops_ctx *ctx, const char *name, struct dcs_request *r,
                          const struct dcs_request *current)
{
	struct dcs *d = ops_dcs_open(ctx, false);
	enum dcs_cas res;

	if (d == NULL)
		return false;
	dcs_request_follow(r, current);
	res = dcs_request_write(d, name, r, current->mod_revision);
	dcs_close(d);
	if (res == DCS_CAS_CONFLICT)
		client_say(ctx->cmd, "someone else wrote the %s key meanwhile; try again", name);
	return res == DCS_CAS_OK;
}

static bool delete_request(const struct ops_ctx *ctx, const char *name, int64_t mod_revision)
{
	struct dcs *d = ops_dcs_open(ctx, false);
	enum dcs_cas res;

	if (d == NULL)
		return false;
	res = dcs_request_delete(d, name, mod_revision);
	dcs_close(d);
	return res == DCS_CAS_OK;
}

static const struct dcs_request *key_of(const struct dcs_view *v, const char *name)
{
	return str_eq(name, "backup") ? &v->backup : &v->restore;
}

/*
 * wait_request: until the request id in key name is in a final state (ready, done,
 * failed), saying each new state; false when it is gone, replaced or too slow.
 */
static bool wait_request(const struct ops_ctx *ctx, const char *name, const char *id,
                         int64_t deadline, struct dcs_request *out)
{
	char seen[16] = "?";

	while (clock_now_ms() < deadline) {
		struct dcs_view v;

		clock_sleep_ms(POLL_MS);
		if (!client_read_view(&ctx->client, 1500, &v))
			continue;
		*out = *key_of(&v, name);
		dcs_view_free(&v);
		if ((!out->present || !str_eq(out->id, id)) &&
		    !dcs_request_outcome_of(out, id, out)) {
			client_say(ctx->cmd, "the request is gone from the %s key", name);
			return false;
		}
		if (!str_eq(seen, out->state) && out->state[0]) {
			printf("%s: %s%s%s\n", out->member[0] ? out->member : "the leader",
			       out->state, out->result[0] ? ": " : "", out->result);
			fflush(stdout);
			snprintf(seen, sizeof(seen), "%s", out->state);
		}
		if (!dcs_request_pending(out))
			return true;
	}
	client_say(ctx->cmd, "no outcome yet; the request stays (pgha list shows the cluster)");
	return false;
}

static int64_t deadline_of(const struct ops_args *a)
{
	return clock_now_ms() + 1000LL * (a->timeout_s > 0 ? a->timeout_s : DEFAULT_TIMEOUT_S);
}

/*
 * after_prior: *v read again once the backup request under way (the leader's full backup
 * after a restore, another operator's) has its outcome: one request at a time, and the
 * next waits its turn rather than fail. False (v freed) when it does not end in time.
 */
static bool after_prior(const struct ops_ctx *ctx, struct dcs_view *v, int64_t deadline)
{
	char id[sizeof(v->backup.id)];
	struct dcs_request prior;

	while (dcs_request_pending(&v->backup)) {
		snprintf(id, sizeof(id), "%s", v->backup.id);
		printf("a backup request is under way (%s %s): waiting for it first\n",
		       v->backup.kind, id);
		fflush(stdout);
		dcs_view_free(v);
		/* gone or replaced: whatever is there now is waited for in turn */
		if ((!wait_request(ctx, "backup", id, deadline, &prior) &&
		     clock_now_ms() >= deadline) ||
		    !ops_read_view(ctx, v))
			return false;
	}
	return true;
}

int ops_backup(const struct ops_ctx *ctx, const struct ops_args *a, const char *kind)
{
	struct dcs_view v;
	struct dcs_request r, done;
	int64_t deadline = deadline_of(a);

	if (!ops_read_view(ctx, &v))
		return EXIT_UNAVAIL;
	if (!after_prior(ctx, &v, deadline))
		return EXIT_FAILED;
	new_request(&r, kind);
	if (!write_request(ctx, "backup", &r, &v.backup)) {
		dcs_view_free(&v);
		return EXIT_UNAVAIL;
	}
	printf("asked the leader %s for %s (request %s)\n", v.has_leader ? v.leader : "(none yet)",
	       str_eq(kind, "check") ? "pgbackrest check" : kind, r.id);
	fflush(stdout);
	dcs_view_free(&v);
	if (!wait_request(ctx, "backup", r.id, deadline, &done))
		return EXIT_FAILED;
	return str_eq(done.state, "done") ? EXIT_OK : EXIT_FAILED;
}

/* --- the list ----------------------------------------------------------------------------------
 */

/* node_config: the agent configuration whose pgBackRest settings are used. */
static bool node_config(const struct ops_ctx *ctx, const struct ops_args *a, struct config *cfg)
{
	char path[PATH_MAX];
	struct config_msgs errors = {0};

	if (ctx->is_lab) {
		char rel[LAB_NAME_LEN + 16];

		snprintf(rel, sizeof(rel), "%s/agent.yml", ctx->lab.plan.nodes[0].name);
		if (!lab_path(&ctx->lab, rel, path, sizeof(path)))
			return false;
	} else {
		snprintf(path, sizeof(path), "%s", a->target.config);
	}
	if (!config_load(path, cfg, &errors, NULL)) {
		client_say(ctx->cmd, "%s", errors.n > 0 ? errors.items[0] : path);
		return false;
	}
	if (!cfg->pgbackrest.enabled) {
		client_say(ctx->cmd, "%s has no pgbackrest section: no repository to read", path);
		config_free(cfg);
		return false;
	}
	return true;
}

/* run_info: `pgbackrest info` through cfg's node, as the owner of its files when root. */
static bool run_info(const struct config *cfg, struct buf *out)
{
	static const char *const opts[] = {"--output=json", "--log-level-console=off",
	                                   "--log-level-file=off", NULL};
	struct backup_paths p;
	struct backup_cmd c;
	struct stat st;
	char **argv;
	bool ok;

	if (!backup_paths_of(&cfg->pgbackrest, &p))
		return false;
	c = (struct backup_cmd){cfg->pgbackrest.bin, p.conf, cfg->pgbackrest.stanza};
	argv = backup_argv(&c, opts, "info");
	if (geteuid() == 0 && stat(cfg->pgbackrest.path, &st) == 0)
		ok = backup_exec_as(argv, INFO_TIMEOUT_MS, NULL, out, st.st_uid, st.st_gid);
	else
		ok = backup_exec(argv, INFO_TIMEOUT_MS, NULL, out);
	backup_argv_free(argv);
	return ok;
}

/* last_archived_s: when the leader last archived WAL (its member key), 0 if unknown. */
static int64_t last_archived_s(const struct ops_ctx *ctx)
{
	struct dcs_view v;
	const struct dcs_member *m;
	int64_t s = 0;

	if (!client_read_view(&ctx->client, 1500, &v))
		return 0;
	m = dcs_view_leader_member(&v);
	if (m != NULL && m->archive.present)
		s = m->archive.last_archived_ms / 1000;
	dcs_view_free(&v);
	return s;
}

static void print_info(const struct backup_info *info, int64_t archived_s, bool json)
{
	struct buf out;

	buf_init(&out);
	if (json) {
		json_t *j = backup_info_json(info, archived_s);
		char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		buf_printf(&out, "%s\n", text ? text : "{}");
		free(text);
		json_decref(j);
	} else {
		backup_info_table(info, archived_s, &out);
	}
	fputs(out.data, stdout);
	buf_free(&out);
}

int ops_backup_list(const struct ops_ctx *ctx, const struct ops_args *a)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg)); /* large: keep it off the stack */
	struct backup_info info;
	struct buf out;
	char err[256];
	int rc = EXIT_FAILED;

	buf_init(&out);
	memset(&info, 0, sizeof(info));
	if (!node_config(ctx, a, cfg)) {
		free(cfg);
		return EXIT_USAGE;
	}
	if (!run_info(cfg, &out))
		client_say(ctx->cmd, "pgbackrest info failed (see above)");
	else if (!backup_info_parse(out.data, cfg->pgbackrest.stanza, &info, err, sizeof(err)))
		client_say(ctx->cmd, "%s", err);
	else
		rc = EXIT_OK;
	if (rc == EXIT_OK)
		print_info(&info, last_archived_s(ctx), a->target.json);
	backup_info_free(&info);
	buf_free(&out);
	config_free(cfg);
	free(cfg);
	return rc;
}

/* --- restore -----------------------------------------------------------------------------------
 */

static void restore_request(const struct ops_args *a, const struct dcs_view *v,
                            struct dcs_request *r)
{
	const struct dcs_member *leader = dcs_view_leader_member(v);

	new_request(r, a->restore_time ? "time" : a->restore_backup ? "set" : "latest");
	snprintf(r->target, sizeof(r->target), "%s",
	         a->restore_time     ? a->restore_time
	         : a->restore_backup ? a->restore_backup
	                             : "");
	snprintf(r->leader, sizeof(r->leader), "%s", v->leader);
	r->from_timeline = leader != NULL ? leader->timeline : 0;
}

static int restore_abort(const struct ops_ctx *ctx, const struct dcs_view *v)
{
	if (!v->restore.present && v->restore.mod_revision == 0) {
		client_say(ctx->cmd, "no restore request to abort");
		return EXIT_FAILED;
	}
	if (!delete_request(ctx, "restore", v->restore.mod_revision))
		return EXIT_FAILED;
	printf("restore request %s removed%s\n", v->restore.id,
	       dcs_request_pending(&v->restore)
	           ? " (what the leader already did stays done; pgha resume when ready)"
	           : "");
	return EXIT_OK;
}

/* may_restore: a leader to restore, and nothing under way; else why on stderr. */
static bool may_restore(const struct ops_ctx *ctx, const struct dcs_view *v)
{
	const struct dcs_member *leader = dcs_view_leader_member(v);

	if (dcs_request_pending(&v->restore)) {
		client_say(ctx->cmd,
		           "restore %s is under way (%s); pgha restore --abort removes it",
		           v->restore.id, v->restore.state[0] ? v->restore.state : "asked");
		return false;
	}
	if (leader == NULL || !str_eq(leader->state, "running")) {
		client_say(ctx->cmd, "no running leader to restore");
		return false;
	}
	return true;
}

/* all_on: every member runs on timeline *tl or later, the replicas streaming. */
static bool all_on(const struct dcs_view *v, const void *arg)
{
	int tl = *(const int *)arg;

	if (v->n_members == 0)
		return false;
	for (int i = 0; i < v->n_members; i++) {
		const struct dcs_member *m = &v->members[i];
		bool leader = v->has_leader && str_eq(v->leader, m->name);

		if (!str_eq(m->state, "running") || m->timeline < tl ||
		    (!leader && !ha_member_streaming(m)))
			return false;
	}
	return true;
}

/* wait_members: until every member is on the restored timeline (they are made again). */
static bool wait_members(const struct ops_ctx *ctx, int tl, int64_t deadline)
{
	printf("waiting for every member to run on timeline %d\n", tl);
	fflush(stdout);
	if (ops_wait_view(ctx, deadline, POLL_MS, all_on, &tl))
		return true;
	client_say(ctx->cmd, "not every member runs on timeline %d yet (pgha list)", tl);
	return false;
}

/* finish_restore: the key removed, and the cluster resumed if this restore paused it. */
static void finish_restore(const struct ops_ctx *ctx, const char *id, bool resume)
{
	struct dcs_view v;

	if (!client_read_view(&ctx->client, 1500, &v))
		return;
	if (v.restore.present && str_eq(v.restore.id, id) &&
	    !delete_request(ctx, "restore", v.restore.mod_revision))
		client_say(ctx->cmd, "the restore key stays (pgha restore --abort removes it)");
	if (resume && ops_pause(ctx, &v, false) != EXIT_OK)
		client_say(ctx->cmd, "the cluster stays paused: pgha resume");
	dcs_view_free(&v);
}

static bool confirm_restore(const struct ops_ctx *ctx, const struct ops_args *a,
                            const struct dcs_request *r)
{
	char question[256];

	snprintf(question, sizeof(question),
	         "Restore the whole cluster to %s%s%s? Every change after it is discarded (the "
	         "current data directories are kept aside)",
	         str_eq(r->kind, "latest") ? "the end of the archive" : r->kind,
	         str_eq(r->kind, "latest") ? "" : " ", r->target);
	return ops_confirm(ctx, question, a->force) == OPS_CONFIRM_YES;
}

/*
 * run_restore: pause, ask, wait; the outcome's exit status. *settled: the restore is
 * over (ready or failed): its key can go and the cluster resume; not while the leader
 * may still be at it.
 */
static int run_restore(const struct ops_ctx *ctx, const struct ops_args *a, struct dcs_view *v,
                       struct dcs_request *r, bool *paused, bool *settled)
{
	int64_t deadline = deadline_of(a);
	struct dcs_request done;

	if (!client_paused(v)) {
		if (ops_pause(ctx, v, true) != EXIT_OK ||
		    ops_pause_wait(ctx, v, true, PAUSE_WAIT_S) != EXIT_OK)
			return EXIT_FAILED;
		*paused = true;
	}
	*settled = true; /* nothing asked yet */
	if (!write_request(ctx, "restore", r, &v->restore))
		return EXIT_FAILED;
	printf("asked the leader %s to restore (request %s); the others stop meanwhile\n",
	       r->leader, r->id);
	fflush(stdout);
	*settled = wait_request(ctx, "restore", r->id, deadline, &done);
	if (!*settled || !str_eq(done.state, "ready"))
		return EXIT_FAILED;
	return wait_members(ctx, done.timeline, deadline) ? EXIT_OK : EXIT_FAILED;
}

int ops_restore(const struct ops_ctx *ctx, const struct ops_args *a)
{
	struct dcs_view v;
	struct dcs_request r;
	bool paused = false, settled = false;
	int rc;

	if (!ops_read_view(ctx, &v))
		return EXIT_UNAVAIL;
	if (a->abort || !may_restore(ctx, &v)) {
		rc = a->abort ? restore_abort(ctx, &v) : EXIT_FAILED;
		dcs_view_free(&v);
		return rc;
	}
	restore_request(a, &v, &r);
	if (!confirm_restore(ctx, a, &r)) {
		dcs_view_free(&v);
		return EXIT_FAILED;
	}
	rc = run_restore(ctx, a, &v, &r, &paused, &settled);
	dcs_view_free(&v);
	if (settled)
		finish_restore(ctx, r.id, paused);
	if (rc == EXIT_OK)
		printf("Success: the cluster is back at %s%s%s and runs again\n",
		       str_eq(r.kind, "latest") ? "the end of the archive" : r.kind,
		       str_eq(r.kind, "latest") ? "" : " ", r.target);
	return rc;
}
