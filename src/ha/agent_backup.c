/*
 * agent_backup.c: pgBackRest as the HA loop drives it: the node's configuration files
 * and archiving commands, and the leader's jobs (stanza-create, info, backup, check),
 * each a child process the loop starts and later reaps, never waits for.
 *
 * Only the leader runs jobs, one at a time, so that exactly one node takes backups
 * (pgBackRest's own backup lock is per host). What it knows of the repository (the
 * stanza exists, its backups) is forgotten when it stops leading, and a job still
 * running then is stopped. Requests (the "backup" key: a backup or a check asked with
 * `pgha backup`) are marked running, then done or failed, each write a compare on the
 * key's revision, so that a requester sees its own request's outcome.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "backup/backup.h"
#include "ha/agent_int.h"
#include "ha/ha_decide.h"
#include "log/log.h"
#include "pg/pg.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/proc.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define RETRY_MS    60000 /* a failed job's schedule waits this long */
#define JOB_STOP_MS 10000 /* a job stopped (leadership lost) gets this to exit */
#define TAIL_BYTES  600   /* of a failed job's output, logged and answered */
#define JOB_LOG     "pgha-jobs.log"
#define INFO_JSON   "pgha-info.json"

/* --- set-up --------------------------------------------------------------------------------- */

static bool make_dirs(const struct backup_paths *p, const char *top)
{
	const char *dirs[] = {top, p->log, p->lock, p->spool};

	for (size_t i = 0; i < ARRAY_LEN(dirs); i++) {
		if (!fs_mkdir_p(dirs[i], 0700)) {
			log_error("pgbackrest: cannot create %s: %s", dirs[i], strerror(errno));
			return false;
		}
	}
	return true;
}

/* self_pg: this node's PostgreSQL as pgBackRest reaches it (pg1). */
static void self_pg(const struct agent *a, struct backup_pg *out)
{
	out->path = a->cfg.postgresql.data_dir;
	out->port = a->cfg.postgresql.port;
	out->socket_dir = pg_node_socket_dir(a->pg);
	out->user = a->cfg.postgresql.superuser.username;
}

static bool write_conf(const struct agent *a, const char *path, const struct backup_pg *pgs, int n)
{
	struct backup_conf_input in = {.member = a->cfg.name,
	                               .pb = &a->cfg.pgbackrest,
	                               .paths = &a->backup.paths,
	                               .policy = &a->dyn->cfg.backup,
	                               .pgs = pgs,
	                               .n_pgs = n};
	struct buf text;
	bool ok;

	buf_init(&text);
	backup_conf_render(&in, &text);
	ok = fs_write_atomic(path, text.data, text.len, 0600);
	if (!ok)
		log_error("pgbackrest: cannot write %s: %s", path, strerror(errno));
	buf_free(&text);
	return ok;
}

bool agent_backup_write_conf(struct agent *a)
{
	struct backup_pg self;

	if (!a->backup.enabled)
		return true;
	self_pg(a, &self);
	return write_conf(a, a->backup.paths.conf, &self, 1);
}

bool agent_backup_open(struct agent *a)
{
	const struct pgbackrest_conf *pb = &a->cfg.pgbackrest;
	struct agent_backup *b = &a->backup;

	b->enabled = pb->enabled;
	if (!b->enabled)
		return true;
	if (access(pb->bin, X_OK) != 0) {
		log_error("pgbackrest: %s: %s (Debian package pgbackrest); without it PostgreSQL "
		          "could archive nothing and keep every WAL file",
		          pb->bin, strerror(errno));
		return false;
	}
	if (!backup_paths_of(pb, &b->paths)) {
		log_error("pgbackrest.path %s: too long", pb->path);
		return false;
	}
	b->cmd = (struct backup_cmd){pb->bin, b->paths.conf, pb->stanza};
	if (snprintf(b->job_log, sizeof(b->job_log), "%s/" JOB_LOG, b->paths.log) >=
	        (int)sizeof(b->job_log) ||
	    snprintf(b->info_json, sizeof(b->info_json), "%s/" INFO_JSON, b->paths.log) >=
	        (int)sizeof(b->info_json)) {
		log_error("pgbackrest.path %s: too long", pb->path);
		return false;
	}
	return make_dirs(&b->paths, pb->path);
}

void agent_backup_archive(const struct agent *a, struct pg_archive *out)
{
	struct buf cmd;

	memset(out, 0, sizeof(*out));
	if (!a->backup.enabled)
		return;
	buf_init(&cmd);
	backup_archive_command(a->backup.cmd.bin, a->backup.cmd.conf, a->backup.cmd.stanza, &cmd);
	snprintf(out->archive_command, sizeof(out->archive_command), "%s", cmd.data);
	buf_reset(&cmd);
	backup_restore_command(a->backup.cmd.bin, a->backup.cmd.conf, a->backup.cmd.stanza, &cmd);
	snprintf(out->restore_command, sizeof(out->restore_command), "%s", cmd.data);
	buf_free(&cmd);
}

/* --- jobs ------------------------------------------------------------------------------------- */

/* stop_job: the running job (leadership lost, shutdown); it is reaped here. */
static void stop_job(struct agent_backup *b, const char *why)
{
	if (b->job_pid <= 0)
		return;
	log_warn("pgbackrest %s: stopping it (%s)", b->job_kind, why);
	if (!proc_stop(b->job_pid, SIGTERM, JOB_STOP_MS))
		log_error("pgbackrest %s (pid %d) did not stop", b->job_kind, (int)b->job_pid);
	b->job_pid = 0;
}

void agent_backup_close(struct agent *a)
{
	stop_job(&a->backup, "the agent stops");
	backup_info_free(&a->backup.info);
}

static bool spawn_job(struct agent *a, char **argv, const char *kind, const char *stdout_path)
{
	struct agent_backup *b = &a->backup;
	struct proc_spec spec = {.argv = (const char *const *)argv,
	                         .cwd = "/",
	                         .log_path = b->job_log,
	                         .stdout_path = stdout_path,
	                         .stdin_null = true,
	                         .death_signal = SIGTERM};
	char err[512];

	b->job_log_offset = fs_size(b->job_log);
	b->job_pid = proc_spawn(&spec, err, sizeof(err));
	if (b->job_pid < 0) {
		log_error("pgbackrest %s: %s", kind, err);
		b->job_pid = 0;
		b->retry_at_ms = clock_now_ms() + RETRY_MS;
		return false;
	}
	snprintf(b->job_kind, sizeof(b->job_kind), "%s", kind);
	b->job_started_ms = clock_now_ms();
	log_info("pgbackrest %s started (pid %d)", kind, (int)b->job_pid);
	return true;
}

/* job: runs command on the node's configuration with opts. */
static bool job(struct agent *a, const char *kind, const char *command, const char *const *opts,
                const char *stdout_path)
{
	char **argv = backup_argv(&a->backup.cmd, opts, command);
	bool ok = spawn_job(a, argv, kind, stdout_path);

	backup_argv_free(argv);
	return ok;
}

/* same_host: m's PostgreSQL runs on this host (pgBackRest reaches it by its path). */
static bool same_host(const struct agent *a, const struct dcs_member *m)
{
	char host[CONFIG_HOST_LEN];
	int port;

	return str_split_hostport(a->cfg.postgresql.connect_address, host, sizeof(host), &port) &&
	       str_eq(host, m->host);
}

/*
 * backup_sources: pg1 = this node (the primary: backup start and stop), then the
 * members pgBackRest may copy the files from: streaming standbys that published where
 * their data is, on this host (a standby on another host needs pgBackRest's TLS server,
 * which pgha does not run yet: the primary's files are copied then).
 */
static int backup_sources(const struct agent *a, const struct dcs_view *v, struct backup_pg *out,
                          int max)
{
	int n = 1;

	self_pg(a, &out[0]);
	for (int i = 0; i < v->n_members && n < max; i++) {
		const struct dcs_member *m = &v->members[i];

		if (str_eq(m->name, a->cfg.name) || !ha_member_streaming(m) ||
		    m->backup_pg.path[0] == '\0' || m->backup_pg.port <= 0 || !same_host(a, m))
			continue;
		out[n].path = m->backup_pg.path;
		out[n].port = m->backup_pg.port;
		out[n].socket_dir = m->backup_pg.socket_path;
		out[n].user = a->cfg.postgresql.superuser.username;
		n++;
	}
	return n;
}

static bool backup_job(struct agent *a, const struct dcs_view *v, enum backup_type t)
{
	struct backup_pg pgs[DCS_MAX_MEMBERS];
	int n = backup_sources(a, v, pgs, DCS_MAX_MEMBERS);
	bool standby = a->dyn->cfg.backup.standby && n > 1;
	char type[16];
	const char *opts[] = {type, "--start-fast", standby ? "--backup-standby" : NULL, NULL};
	struct backup_cmd c = a->backup.cmd;
	char **argv;
	bool ok;

	if (!write_conf(a, a->backup.paths.backup_conf, pgs, n))
		return false;
	snprintf(type, sizeof(type), "--type=%s", backup_type_name(t));
	c.conf = a->backup.paths.backup_conf;
	argv = backup_argv(&c, opts, "backup");
	ok = spawn_job(a, argv, backup_type_name(t), NULL);
	backup_argv_free(argv);
	if (ok)
		log_info("backup (%s) from %s", backup_type_name(t),
		         standby ? "a standby" : "the primary");
	return ok;
}

/* answer: the request id in the backup key gets state and result (if still there). */
static void answer(struct agent *a, const char *id, const char *state, const char *result)
{
	struct dcs_view v;
	struct dcs_request r;

	if (id[0] == '\0' || !dcs_snapshot(a->dcs, &v, -1))
		return;
	r = v.backup;
	if (r.present && str_eq(r.id, id)) {
		snprintf(r.state, sizeof(r.state), "%s", state);
		snprintf(r.member, sizeof(r.member), "%s", a->cfg.name);
		snprintf(r.result, sizeof(r.result), "%s", result);
		if (dcs_request_write(a->dcs, "backup", &r, r.mod_revision) != DCS_CAS_OK)
			log_warn("backup request %s: its answer (%s) was not written", id, state);
	}
	dcs_view_free(&v);
}

void agent_backup_cancel(struct agent *a, const char *why)
{
	struct agent_backup *b = &a->backup;

	if (b->job_pid <= 0)
		return;
	stop_job(b, why);
	answer(a, b->job_request, "failed", why);
	b->info_known = false; /* the repository is read again before the schedule goes on */
}

/* take_request: marks the pending request ours and running; its kind, or NULL. */
static const char *take_request(struct agent *a, const struct dcs_view *v)
{
	struct dcs_request r = v->backup;

	if (!dcs_request_pending(&r))
		return NULL;
	snprintf(r.state, sizeof(r.state), "running");
	snprintf(r.member, sizeof(r.member), "%s", a->cfg.name);
	if (dcs_request_write(a->dcs, "backup", &r, r.mod_revision) != DCS_CAS_OK)
		return NULL;
	snprintf(a->backup.job_request, sizeof(a->backup.job_request), "%s", r.id);
	return str_eq(r.kind, "check") ? "check" : backup_type_name(backup_type_parse(r.kind));
}

bool agent_backup_start(struct agent *a, const struct ha_input *in, const char *what)
{
	static const char *const info_opts[] = {"--output=json", "--log-level-console=off", NULL};
	enum backup_type t;

	a->backup.job_request[0] = '\0';
	if (str_eq(what, "request") && (what = take_request(a, &in->view)) == NULL)
		return false;
	if (str_eq(what, "none")) { /* a request of an unknown kind */
		answer(a, a->backup.job_request, "failed",
		       "unknown kind (full, diff, incr, check)");
		return false;
	}
	if (str_eq(what, "stanza"))
		return job(a, what, "stanza-create", NULL, NULL);
	if (str_eq(what, "info"))
		return job(a, what, "info", info_opts, a->backup.info_json);
	if (str_eq(what, "check"))
		return job(a, what, "check", NULL, NULL);
	t = backup_type_parse(what);
	return t != BACKUP_NONE && backup_job(a, &in->view, t);
}

/* job_failure: the job's last words (logged), into why. */
static void job_failure(struct agent *a, int status, char *why, size_t size)
{
	char tail[TAIL_BYTES + 1], how[64];
	char *last, *save = NULL;

	proc_describe_status(status, how, sizeof(how));
	fs_read_tail(a->backup.job_log, a->backup.job_log_offset, tail, TAIL_BYTES);
	log_error("pgbackrest %s %s; its output (%s):", a->backup.job_kind, how, a->backup.job_log);
	last = NULL;
	for (char *l = strtok_r(tail, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		log_error("pgbackrest %s: %s", a->backup.job_kind, l);
		last = l;
	}
	snprintf(why, size, "%s", last != NULL ? last : how);
}

static void read_info(struct agent *a)
{
	struct agent_backup *b = &a->backup;
	char *json = fs_read_file(b->info_json, NULL);
	char err[256];

	backup_info_free(&b->info);
	b->info_known =
	    json != NULL && backup_info_parse(json, b->cmd.stanza, &b->info, err, sizeof(err));
	if (!b->info_known)
		log_error("pgbackrest info: %s", json == NULL ? strerror(errno) : err);
	free(json);
}

/* newest_label: the newest backup's label, after a backup (the answer to its request). */
static void answer_backup(struct agent *a)
{
	const struct backup_set *s = backup_info_newest(&a->backup.info, BACKUP_NONE);

	answer(a, a->backup.answer_request, "done", s != NULL ? s->label : "");
	a->backup.answer_request[0] = '\0';
}

/* job_done: what a finished job means for what the leader knows. */
static void job_done(struct agent *a, bool ok, int status)
{
	struct agent_backup *b = &a->backup;
	char why[TAIL_BYTES];
	bool backup = backup_type_parse(b->job_kind) != BACKUP_NONE;

	log_info("pgbackrest %s %s in %lld s", b->job_kind, ok ? "done" : "failed",
	         (long long)((clock_now_ms() - b->job_started_ms) / 1000));
	if (!ok) {
		job_failure(a, status, why, sizeof(why));
		b->retry_at_ms = clock_now_ms() + RETRY_MS;
		answer(a, b->job_request, "failed", why);
		return;
	}
	if (str_eq(b->job_kind, "stanza"))
		b->stanza_ok = true;
	else if (str_eq(b->job_kind, "info"))
		read_info(a);
	else if (str_eq(b->job_kind, "check"))
		answer(a, b->job_request, "done", "pgbackrest check passed");
	if (backup) { /* its label comes with the info read next */
		b->info_known = false;
		snprintf(b->answer_request, sizeof(b->answer_request), "%s", b->job_request);
	}
	if (str_eq(b->job_kind, "info") && b->info_known && b->answer_request[0])
		answer_backup(a);
}

/* reap: a finished job is handled; true while one still runs. */
static bool reap(struct agent *a)
{
	struct agent_backup *b = &a->backup;
	int status = 0;
	int r;

	if (b->job_pid <= 0)
		return false;
	r = proc_wait(b->job_pid, 0, &status);
	if (r == 0)
		return true;
	b->job_pid = 0;
	job_done(a, r == 1 && WIFEXITED(status) && WEXITSTATUS(status) == 0, status);
	return false;
}

void agent_backup_observe(struct agent *a, struct ha_input *in)
{
	struct agent_backup *b = &a->backup;
	bool leading = in->lease.held && in->pg.connected && !in->pg.in_recovery;

	in->backup.enabled = b->enabled;
	if (!b->enabled)
		return;
	if (!leading && (b->job_pid > 0 || b->stanza_ok || b->info_known)) {
		stop_job(b, "this node no longer leads");
		answer(a, b->job_request, "failed", "the leader changed while it ran");
		b->stanza_ok = b->info_known = false;
		b->answer_request[0] = '\0';
	}
	in->backup.job_running = reap(a);
	in->backup.stanza_ok = b->stanza_ok;
	in->backup.info_known = b->info_known;
	in->backup.retry_wait = clock_now_ms() < b->retry_at_ms;
	if (leading && b->info_known && !in->backup.retry_wait)
		in->backup.due =
		    (int)backup_due(&a->dyn->cfg.backup, &b->info, in->wall_now_ms / 1000);
}
