/*
 * backup_run.c: pgBackRest command lines, and running one (backup.h).
 */
#include "backup/backup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log/log.h"
#include "util/fsutil.h"
#include "util/proc.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define TAIL_BYTES 1024 /* of a failed command's output, logged */

/* strv_add: appends an owned copy of s to a NULL-terminated vector of n items. */
static void strv_add(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 2) * sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
	(*v)[*n] = NULL;
}

static void strv_addf(char ***v, size_t *n, const char *fmt, const char *value)
{
	char *s = xasprintf(fmt, value);

	strv_add(v, n, s);
	free(s);
}

char **backup_argv(const struct backup_cmd *c, const char *const *opts, const char *command)
{
	char **argv = NULL;
	size_t n = 0;

	strv_add(&argv, &n, c->bin);
	strv_addf(&argv, &n, "--config=%s", c->conf);
	strv_addf(&argv, &n, "--stanza=%s", c->stanza);
	for (size_t i = 0; opts != NULL && opts[i] != NULL; i++)
		strv_add(&argv, &n, opts[i]);
	strv_add(&argv, &n, command);
	return argv;
}

void backup_argv_free(char **argv)
{
	for (size_t i = 0; argv != NULL && argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

static void target_opts(const struct backup_target *t, char ***v, size_t *n)
{
	switch (t->kind) {
	case BACKUP_TARGET_TIME:
		strv_add(v, n, "--type=time");
		strv_addf(v, n, "--target=%s", t->value);
		break;
	case BACKUP_TARGET_SET:
		strv_add(v, n, "--type=immediate");
		strv_addf(v, n, "--set=%s", t->value);
		break;
	case BACKUP_TARGET_LATEST:
	case BACKUP_TARGET__COUNT:
		return; /* pgBackRest's default type: replay to the end of the archive, which
		           ends recovery with a promotion (no target action to give) */
	}
	strv_add(v, n, "--target-action=promote");
}

char **backup_restore_opts(const char *pg_path, const struct backup_target *t, bool standby,
                           const char *set, bool delta)
{
	char **v = xcalloc(1, sizeof(*v));
	size_t n = 0;

	if (pg_path != NULL)
		strv_addf(&v, &n, "--pg1-path=%s", pg_path);
	if (standby) {
		strv_add(&v, &n, "--type=standby");
		if (set != NULL && set[0] != '\0')
			strv_addf(&v, &n, "--set=%s", set);
	} else if (t != NULL) {
		target_opts(t, &v, &n);
	}
	if (delta)
		strv_add(&v, &n, "--delta");
	return v;
}

const char *backup_command_name(char *const *argv)
{
	size_t n = 0;

	while (argv[n] != NULL)
		n++;
	return n > 0 ? argv[n - 1] : "?";
}

/* log_words: each line of text, "pgbackrest <command>: <line>". */
static void log_words(const char *command, char *text)
{
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] != '\0')
			log_error("pgbackrest %s: %s", command, line);
	}
}

static bool exec_spec(const struct proc_spec *base, int timeout_ms, struct buf *out)
{
	struct proc_spec spec = *base;
	char *const *argv = (char *const *)(uintptr_t)base->argv;
	const char *log_path = base->log_path;
	const char *command = backup_command_name(argv);
	off_t offset = log_path != NULL ? fs_size(log_path) : 0;
	char tail[TAIL_BYTES + 1];
	char err[512];

	log_debug("running pgbackrest %s", command);
	spec.cwd = "/";
	spec.stdin_null = true;
	if (proc_run(&spec, timeout_ms, out, err, sizeof(err)))
		return true;
	log_error("pgbackrest %s: %s", command, err);
	if (log_path != NULL) {
		fs_read_tail(log_path, offset, tail, TAIL_BYTES);
		log_words(command, tail);
	}
	return false;
}

bool backup_exec(char *const *argv, int timeout_ms, const char *log_path, struct buf *out)
{
	struct proc_spec spec = {.argv = (const char *const *)argv, .log_path = log_path};

	return exec_spec(&spec, timeout_ms, out);
}

bool backup_exec_as(char *const *argv, int timeout_ms, const char *log_path, struct buf *out,
                    uid_t uid, gid_t gid)
{
	struct proc_spec spec = {.argv = (const char *const *)argv,
	                         .log_path = log_path,
	                         .set_user = true,
	                         .uid = uid,
	                         .gid = gid};

	return exec_spec(&spec, timeout_ms, out);
}
