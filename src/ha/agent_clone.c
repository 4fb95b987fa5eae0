/*
 * agent_clone.c: making a data directory another way than initdb: a replica with
 * Patroni's create_replica_methods (tried in order, the first that works wins:
 * basebackup, pgha's pgbackrest, or a command of the user's), and a new cluster with
 * bootstrap.method (pgha's pgbackrest: a restore from a repository; or a command).
 *
 * pgha's pgbackrest replica method restores the newest backup the leader's timeline
 * history contains (backup_pick_for_replica), as a standby; the rest comes from the
 * archive and then from the leader. A backup of a timeline the leader abandoned (a
 * point-in-time restore's branch) is never used: its WAL could be replayed past the
 * fork. A method that fails leaves no half-made directory behind: it is set aside and
 * the next method starts from an empty one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backup/backup.h"
#include "ha/agent_int.h"
#include "log/log.h"
#include "pg/pg.h"
#include "pg/pg_conf.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/conninfo.h"
#include "util/proc.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define CLONE_MS   3600000 /* a large database takes long */
#define INFO_MS    60000
#define PROMOTE_MS 3600000 /* a new cluster's recovery from a backup */
#define POLL_MS    500

/* strv_add: an owned copy of s at the end of a NULL-terminated vector of n items. */
static void strv_add(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 2) * sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
	(*v)[*n] = NULL;
}

/* params_args: a method's parameters as --name=value (--name alone when empty). */
static void params_args(const struct pg_params *p, const char *const *skip, char ***v, size_t *n)
{
	for (int i = 0; i < p->n; i++) {
		bool skipped = false;
		char *arg;

		for (size_t k = 0; skip != NULL && skip[k] != NULL; k++)
			skipped = skipped || str_eq(p->items[i].name, skip[k]);
		if (skipped) {
			log_warn("replica method option %s ignored: pgha sets it",
			         p->items[i].name);
			continue;
		}
		arg = p->items[i].value[0]
		          ? xasprintf("--%s=%s", p->items[i].name, p->items[i].value)
		          : xasprintf("--%s", p->items[i].name);
		strv_add(v, n, arg);
		free(arg);
	}
}

/* --- replica methods ----------------------------------------------------------------------- */

static bool by_basebackup(struct agent *a, const struct replica_method *m,
                          const struct dcs_member *from)
{
	/* What pgha passes itself, or what would make no data directory of it. */
	static const char *const own[] = {
	    "pgdata", "dbname", "format", "wal-method", "write-recovery-conf", NULL};
	char **extra = xcalloc(1, sizeof(*extra));
	size_t n = 0;
	bool ok;

	if (m != NULL)
		params_args(&m->params, own, &extra, &n);
	ok = pg_basebackup(a->pg, from->host, from->port, (const char *const *)extra, CLONE_MS);
	backup_argv_free(extra);
	return ok;
}

/* repository: the backups, read now (a replica does not keep them). */
static bool repository(struct agent *a, struct backup_info *info)
{
	static const char *const opts[] = {"--output=json", "--log-level-console=off", NULL};
	char **argv = backup_argv(&a->backup.cmd, opts, "info");
	struct buf out;
	char err[256];
	bool ok;

	buf_init(&out);
	ok = backup_exec(argv, INFO_MS, a->backup.job_log, &out);
	backup_argv_free(argv);
	if (ok && !(ok = backup_info_parse(out.data, a->backup.cmd.stanza, info, err, sizeof(err))))
		log_error("pgbackrest info: %s", err);
	buf_free(&out);
	return ok;
}

/* pick: the backup to restore a replica of the current leader from ("" none fits). */
static bool pick(struct agent *a, const struct dcs_view *v, char *label, size_t size)
{
	const struct dcs_member *leader = dcs_view_leader_member(v);
	struct backup_fork forks[DCS_MAX_HISTORY];
	struct backup_info info;
	const struct backup_set *s;
	int tl = leader != NULL && leader->timeline > 0 ? leader->timeline : dcs_view_timeline(v);

	label[0] = '\0';
	if (!repository(a, &info))
		return false;
	for (int i = 0; i < v->n_history; i++)
		forks[i] = (struct backup_fork){v->history[i].timeline, v->history[i].switch_lsn};
	s = backup_pick_for_replica(&info, forks, v->n_history, tl);
	if (s != NULL)
		snprintf(label, size, "%s", s->label);
	else
		log_info("pgbackrest: no backup on the leader's timeline %d or its history", tl);
	backup_info_free(&info);
	return s != NULL;
}

static bool by_pgbackrest(struct agent *a, const struct replica_method *m, const struct dcs_view *v)
{
	char label[BACKUP_LABEL_LEN];
	char **opts, **argv;
	bool ok;

	if (!a->backup.enabled) {
		log_error("replica method pgbackrest: the pgbackrest section is off");
		return false;
	}
	if (!pick(a, v, label, sizeof(label)))
		return false;
	log_info("restoring backup %s as a standby (pgBackRest)", label);
	opts = backup_restore_opts(NULL, NULL, true, label, m != NULL && m->keep_data);
	argv = backup_argv(&a->backup.cmd, (const char *const *)opts, "restore");
	ok = backup_exec(argv, CLONE_MS, a->backup.job_log, NULL);
	backup_argv_free(argv);
	backup_argv_free(opts);
	return ok && pg_data_adopt(a->pg, false);
}

/* connstring: Patroni's --connstring: the member to clone from, as the replication user. */
static void connstring(const struct agent *a, const struct dcs_member *from, struct buf *out)
{
	char port[16];

	snprintf(port, sizeof(port), "%d", from->port);
	conninfo_append(out, "host", from->host);
	conninfo_append(out, "port", port);
	conninfo_append(out, "user", pg_replication_user(&a->cfg)->username);
	conninfo_append(out, "dbname", "postgres");
}

/* by_command: a method of the user's, run as Patroni runs it (from may be NULL). */
static bool by_command(struct agent *a, const struct replica_method *m,
                       const struct dcs_member *from)
{
	char **argv = NULL;
	char *passfile = xasprintf("PGPASSFILE=%s", a->cfg.postgresql.pgpass);
	const char *env[] = {passfile, NULL};
	struct proc_spec spec = {.env = env, .cwd = "/", .stdin_null = true};
	size_t n = 0;
	char err[512], *arg;
	bool ok;

	for (size_t i = 0; m->command[i] != NULL; i++)
		strv_add(&argv, &n, m->command[i]);
	if (!m->no_params) {
		arg = xasprintf("--scope=%s", a->cfg.scope);
		strv_add(&argv, &n, arg);
		free(arg);
		arg = xasprintf("--datadir=%s", a->cfg.postgresql.data_dir);
		strv_add(&argv, &n, arg);
		free(arg);
		if (from != NULL) {
			struct buf ci;

			buf_init(&ci);
			connstring(a, from, &ci);
			strv_add(&argv, &n, "--role=replica");
			arg = xasprintf("--connstring=%s", ci.data);
			strv_add(&argv, &n, arg);
			free(arg);
			buf_free(&ci);
		}
	}
	params_args(&m->params, NULL, &argv, &n);
	spec.argv = (const char *const *)argv;
	log_info("running %s's command %s", m->name, argv[0]);
	ok = proc_run(&spec, CLONE_MS, NULL, err, sizeof(err));
	if (!ok)
		log_error("method %s: %s", m->name, err);
	backup_argv_free(argv);
	free(passfile);
	return ok;
}

static bool run_replica_method(struct agent *a, const struct ha_input *in,
                               const struct replica_method *m, const struct dcs_member *from)
{
	const char *dir = a->cfg.postgresql.data_dir;

	if (!m->keep_data && !fs_dir_is_empty(dir) &&
	    !pg_move_data_aside(a->pg, "replaced", NULL, 0))
		return false;
	log_info("creating the replica with method %s", m->name);
	if (m->command != NULL)
		return by_command(a, m, from) && pg_data_adopt(a->pg, false);
	if (str_eq(m->name, "pgbackrest"))
		return by_pgbackrest(a, m, &in->view);
	return by_basebackup(a, m, from);
}

bool agent_clone(struct agent *a, const struct ha_input *in, const struct dcs_member *from)
{
	static const struct replica_method basebackup = {.name = "basebackup"};
	int n = a->cfg.postgresql.n_create_replica_methods;

	for (int i = 0; i < MAX(n, 1); i++) {
		const struct replica_method *m =
		    n > 0 ? &a->cfg.postgresql.create_replica_methods[i] : &basebackup;

		if (run_replica_method(a, in, m, from))
			return true;
		log_warn("replica method %s failed%s", m->name,
		         i + 1 < n ? "; trying the next one" : "");
		if (!fs_dir_is_empty(a->cfg.postgresql.data_dir) &&
		    !pg_move_data_aside(a->pg, "failed-replica-method", NULL, 0))
			return false;
	}
	return false;
}

/* --- bootstrap methods ----------------------------------------------------------------------- */

/* recovery_target_of: a pgBackRest restore type as PostgreSQL's recovery target. */
static void recovery_target_of(const char *type, const char *target, struct pg_role_conf *role)
{
	static const struct {
		const char *type, *param;
	} map[] = {{"time", "recovery_target_time"},
	           {"lsn", "recovery_target_lsn"},
	           {"name", "recovery_target_name"},
	           {"xid", "recovery_target_xid"},
	           {"immediate", "recovery_target"}};

	for (size_t i = 0; i < ARRAY_LEN(map); i++) {
		if (!str_eq(type, map[i].type))
			continue;
		snprintf(role->recovery_target, sizeof(role->recovery_target), "%s", map[i].param);
		snprintf(role->recovery_target_value, sizeof(role->recovery_target_value), "%s",
		         str_eq(type, "immediate") ? "immediate" : target);
	}
}

static const char *param(const struct replica_method *m, const char *name, const char *dflt)
{
	const char *v = pg_params_get(&m->params, name);

	return v != NULL && v[0] != '\0' ? v : dflt;
}

/*
 * restore_source: pgha's pgbackrest bootstrap: the backup of another repository (the
 * method's repo* options; the cluster's own without them) restored into the data
 * directory; role gets that repository's restore_command and the target.
 */
static bool restore_source(struct agent *a, const struct replica_method *m,
                           struct pg_role_conf *role)
{
	const char *stanza = param(m, "stanza", a->cfg.pgbackrest.stanza);
	const char *type = param(m, "type", "default");
	struct backup_pg self = {a->cfg.postgresql.data_dir, a->cfg.postgresql.port,
	                         pg_node_socket_dir(a->pg), a->cfg.postgresql.superuser.username};
	struct backup_conf_input in = {
	    a->cfg.name, &a->cfg.pgbackrest, &a->backup.paths, NULL, &self, 1, &m->params, stanza};
	struct backup_cmd cmd = {a->cfg.pgbackrest.bin, a->backup.paths.source_conf, stanza};
	char t[128], tg[128], st[128];
	const char *opts[5] = {NULL, NULL, NULL, NULL, NULL};
	struct buf text;
	char **argv;
	bool ok;
	int k = 0;

	buf_init(&text);
	backup_conf_render(&in, &text);
	ok = fs_write_atomic(cmd.conf, text.data, text.len, 0600);
	buf_reset(&text);
	backup_restore_command(cmd.bin, cmd.conf, stanza, &text);
	snprintf(role->restore_command, sizeof(role->restore_command), "%s", text.data);
	buf_free(&text);
	snprintf(t, sizeof(t), "--type=%s", type);
	snprintf(tg, sizeof(tg), "--target=%s", param(m, "target", ""));
	snprintf(st, sizeof(st), "--set=%s", param(m, "set", ""));
	if (!str_eq(type, "default")) {
		opts[k++] = t;
		opts[k++] = tg;
		opts[k++] = "--target-action=promote";
	}
	if (param(m, "set", NULL) != NULL)
		opts[k++] = st;
	recovery_target_of(type, param(m, "target", ""), role);
	argv = backup_argv(&cmd, opts, "restore");
	log_info("bootstrap: restoring stanza %s (pgBackRest, %s)", stanza, type);
	ok = ok && backup_exec(argv, CLONE_MS, a->backup.job_log, NULL);
	backup_argv_free(argv);
	return ok && pg_data_adopt(a->pg, false);
}

/* custom_recovery: a bootstrap command's recovery_conf, for the recovery start. */
static void custom_recovery(const struct replica_method *m, struct pg_role_conf *role)
{
	static const char *const pgha_sets[] = {
	    "recovery_target_action", "recovery_target_timeline", "recovery_target_inclusive"};

	role->keep_auto_conf = m->keep_existing_recovery_conf;
	for (int i = 0; i < m->recovery_conf.n; i++) {
		const struct pg_param *p = &m->recovery_conf.items[i];
		bool ours = false;

		for (size_t k = 0; k < ARRAY_LEN(pgha_sets); k++)
			ours = ours || str_eq(p->name, pgha_sets[k]);
		if (str_eq(p->name, "restore_command"))
			snprintf(role->restore_command, sizeof(role->restore_command), "%s",
			         p->value);
		else if (str_has_prefix(p->name, "recovery_target") && !ours)
			recovery_target_of(str_eq(p->name, "recovery_target") ? "immediate"
			                                                      : p->name + 16,
			                   p->value, role);
	}
}

bool agent_bootstrap_method(struct agent *a, const struct ha_input *in)
{
	const struct replica_method *m = &a->cfg.bootstrap.method;
	struct pg_role_conf role, primary;
	char why[256];
	bool ok;

	(void)in;
	memset(&role, 0, sizeof(role));
	role.recovery = true;
	log_info("bootstrap: a new cluster with method %s", m->name);
	if (m->command != NULL) {
		ok = by_command(a, m, NULL) && pg_data_adopt(a->pg, m->keep_existing_recovery_conf);
		custom_recovery(m, &role);
	} else {
		ok = restore_source(a, m, &role);
	}
	if (ok && !agent_recover(a, &role, PROMOTE_MS, why, sizeof(why))) {
		log_error("bootstrap: %s", why);
		return false;
	}
	memset(&primary, 0, sizeof(primary));
	/* The plain primary configuration again: nothing of the recovery stays behind. */
	return ok && pg_reconfigure(a->pg, &primary) && pg_checkpoint(a->pg, 60000);
}
