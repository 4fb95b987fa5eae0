/*
 * lab_backup.c: a lab's pgBackRest repository, and the repository of another lab it
 * is made from (lab_backup.h).
 */
#include "lab/lab_backup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/fsutil.h"
#include "util/iso8601.h"
#include "util/strutil.h"
#include "util/xalloc.h"

bool lab_backup_parse_repo(const char *text, struct pg_params *out, char *err, size_t errlen)
{
	char *copy = xstrdup(text), *save = NULL;
	int lineno = 0;
	bool ok = true;

	for (char *line = strtok_r(copy, "\n", &save); ok && line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq, *name = str_trim(line);

		lineno++;
		if (name[0] == '\0' || name[0] == '#')
			continue;
		eq = strchr(name, '=');
		if (eq != NULL)
			*eq = '\0';
		if (eq == NULL || !str_has_prefix(str_trim(name), "repo")) {
			snprintf(err, errlen, "line %d: not a repo option: name=value (repo1-...)",
			         lineno);
			ok = false;
		} else {
			pg_params_set(out, str_trim(name), str_trim(eq + 1));
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
