/*
 * lab_backup.c: a lab's pgBackRest repository, and the repository of another lab it
 * is made from (lab_backup.h).
 */
#include "lab/lab_backup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "util/fsutil.h"
#include "util/iso8601.h"
#include "util/strutil.h"
#include "util/xalloc.h"

bool lab_backup_parse_repo(const char *text, struct pg_params *out, char *err, size_t errlen)
{
	char *copy = xstrdup(text), *next;
	int lineno = 0;
	bool ok = true;

	for (char *line = copy; ok && line != NULL; line = next) {
		char *eq, *name, *value = NULL;
		const char *why;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		lineno++;
		name = str_trim(line);
		if (name[0] == '\0' || name[0] == '#')
			continue;
		if ((eq = strchr(name, '=')) != NULL) {
			*eq = '\0';
			value = str_trim(eq + 1);
		}
		name = str_trim(name);
		if (value == NULL || value[0] == '\0') {
			snprintf(err, errlen,
			         "line %d: not name=value (repo1-type=s3, archive-async=y...)",
			         lineno);
			ok = false;
		} else if (!config_pgbackrest_option_name_ok(name)) {
			snprintf(err, errlen, "line %d: '%.64s' is not a pgBackRest option name",
			         lineno, name);
			ok = false;
		} else if ((why = config_pgbackrest_reserved(name)) != NULL) {
			snprintf(err, errlen, "line %d: %s: not allowed here (%s)", lineno, name,
			         why);
			ok = false;
		} else {
			pg_params_set(out, name, value);
		}
	}
	free(copy);
	return ok;
}

static bool own_repository(const struct lab_cluster *c, const struct lab_up_opts *o,
                           struct lab_backup *out, char *err, size_t errlen)
{
	char path[PATH_MAX];
	char *text;
	bool ok;

	/* Two processes per backup, restore and asynchronous archive push (the file may say
	 * otherwise): what the EC2 deployment uses too. */
	pg_params_set(&out->options, "process-max", "2");
	if (o->backup_repo == NULL) {
		if (!lab_path(c, LAB_REPO_DIR, path, sizeof(path))) {
			snprintf(err, errlen, "%s: path too long", c->dir);
			return false;
		}
		pg_params_set(&out->options, "repo1-path", path);
		return true;
	}
	if ((text = fs_read_file(o->backup_repo, NULL)) == NULL) {
		snprintf(err, errlen, "--backup-repo %s: %s", o->backup_repo, strerror(errno));
		return false;
	}
	ok = lab_backup_parse_repo(text, &out->options, err, errlen);
	free(text);
	if (!ok)
		snprintf(err + strlen(err), errlen - strlen(err), " (--backup-repo %s)",
		         o->backup_repo);
	return ok;
}

/* source_repository: the other lab's stanza and repo options, from its node1's agent.yml. */
static bool source_repository(const struct lab_up_opts *o, struct lab_backup *out, char *err,
                              size_t errlen)
{
	struct lab_cluster other;
	struct config cfg;
	char path[PATH_MAX];
	bool ok;

	if (!lab_cluster_load(o->restore_from, &other, err, errlen))
		return false;
	if (!lab_node_path(&other, other.plan.nodes[0].name, "agent.yml", path, sizeof(path)) ||
	    !config_load(path, &cfg, NULL, NULL)) {
		snprintf(err, errlen, "--restore-from: cannot read %s", path);
		return false;
	}
	ok = cfg.pgbackrest.enabled;
	if (!ok)
		snprintf(err, errlen, "--restore-from %s: that lab has no pgBackRest repository",
		         o->restore_from);
	for (int i = 0; ok && i < cfg.pgbackrest.options.n; i++) {
		const struct pg_param *p = &cfg.pgbackrest.options.items[i];

		if (str_has_prefix(p->name, "repo"))
			pg_params_set(&out->restore_options, p->name, p->value);
	}
	snprintf(out->restore_stanza, sizeof(out->restore_stanza), "%s", cfg.pgbackrest.stanza);
	config_free(&cfg);
	return ok;
}

static bool restore_target(const struct lab_up_opts *o, struct lab_backup *out, char *err,
                           size_t errlen)
{
	int64_t ms;

	if (o->restore_time != NULL && iso8601_parse(o->restore_time, &ms) != ISO8601_ZONED) {
		snprintf(err, errlen, "--restore-time '%s': not 'YYYY-MM-DD HH:MM:SS+ZZ'",
		         o->restore_time);
		return false;
	}
	if (o->restore_time != NULL && o->restore_backup != NULL) {
		snprintf(err, errlen, "--restore-time and --restore-backup: give one");
		return false;
	}
	snprintf(out->restore_type, sizeof(out->restore_type), "%s",
	         o->restore_time     ? "time"
	         : o->restore_backup ? "immediate"
	                             : "default");
	snprintf(out->restore_target, sizeof(out->restore_target), "%s",
	         o->restore_time ? o->restore_time : "");
	snprintf(out->restore_set, sizeof(out->restore_set), "%s",
	         o->restore_backup ? o->restore_backup : "");
	return true;
}

bool lab_backup_prepare(const struct lab_cluster *c, const struct lab_up_opts *o,
                        struct lab_backup *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->on = !o->no_backup;
	if ((o->restore_from != NULL || o->restore_time || o->restore_backup) && !out->on) {
		snprintf(err, errlen, "--restore-* needs pgBackRest: drop --no-backup");
		return false;
	}
	if (o->restore_from == NULL && (o->restore_time || o->restore_backup)) {
		snprintf(err, errlen, "--restore-time and --restore-backup need --restore-from");
		return false;
	}
	if (!out->on)
		return true;
	out->restore = o->restore_from != NULL;
	return own_repository(c, o, out, err, errlen) &&
	       (!out->restore ||
	        (source_repository(o, out, err, errlen) && restore_target(o, out, err, errlen)));
}

void lab_backup_free(struct lab_backup *b)
{
	pg_params_free(&b->options);
	pg_params_free(&b->restore_options);
}
