/*
 * backup_conf.c: pgBackRest's configuration files and PostgreSQL's archive_command and
 * restore_command for them (backup.h). Pure: builds text.
 */
#include "backup/backup.h"

#include <stdio.h>
#include <string.h>
#include "util/strutil.h"

static bool path_under(char *out, size_t size, const char *dir, const char *leaf)
{
	int n = snprintf(out, size, "%s/%s", dir, leaf);

	return n > 0 && (size_t)n < size;
}

bool backup_paths_of(const struct pgbackrest_conf *pb, struct backup_paths *out)
{
	return path_under(out->conf, sizeof(out->conf), pb->path, "pgbackrest.conf") &&
	       path_under(out->backup_conf, sizeof(out->backup_conf), pb->path, "backup.conf") &&
	       path_under(out->source_conf, sizeof(out->source_conf), pb->path, "source.conf") &&
	       path_under(out->log, sizeof(out->log), pb->path, "log") &&
	       path_under(out->lock, sizeof(out->lock), pb->path, "lock") &&
	       path_under(out->spool, sizeof(out->spool), pb->path, "spool");
}

/* --- the configuration file ------------------------------------------------------------ */

static bool is_repo_option(const char *name)
{
	return str_has_prefix(name, "repo");
}

/* options: pb's, with every repo* option taken from source instead when it is given. */
static void render_options(const struct backup_conf_input *in, struct buf *out)
{
	const struct pg_params *own = &in->pb->options;

	for (int i = 0; i < own->n; i++) {
		if (in->source == NULL || !is_repo_option(own->items[i].name))
			buf_printf(out, "%s=%s\n", own->items[i].name, own->items[i].value);
	}
	for (int i = 0; in->source != NULL && i < in->source->n; i++) {
		if (is_repo_option(in->source->items[i].name))
			buf_printf(out, "%s=%s\n", in->source->items[i].name,
			           in->source->items[i].value);
	}
}

static void render_retention(const struct backup_policy *p, struct buf *out)
{
	buf_printf(out, "repo1-retention-full=%d\nrepo1-retention-full-type=%s\n",
	           p->retention_full, p->retention_full_type);
	if (p->retention_diff > 0)
		buf_printf(out, "repo1-retention-diff=%d\n", p->retention_diff);
}

static void render_pg(const struct backup_pg *pg, int k, struct buf *out)
{
	buf_printf(out, "pg%d-path=%s\npg%d-port=%d\n", k, pg->path, k, pg->port);
	if (pg->socket_dir != NULL && pg->socket_dir[0] != '\0')
		buf_printf(out, "pg%d-socket-path=%s\n", k, pg->socket_dir);
	if (pg->user != NULL && pg->user[0] != '\0')
		buf_printf(out, "pg%d-user=%s\n", k, pg->user);
}

void backup_conf_render(const struct backup_conf_input *in, struct buf *out)
{
	const char *stanza = in->source ? in->source_stanza : in->pb->stanza;

	buf_printf(out,
	           "# Written by pgha for member '%s'; edits here are lost.\n"
	           "# pgBackRest's options come from pgbackrest.options in its agent's "
	           "configuration.\n[global]\n",
	           in->member);
	render_options(in, out);
	buf_printf(out, "log-path=%s\nlock-path=%s\nspool-path=%s\n", in->paths->log,
	           in->paths->lock, in->paths->spool);
	/* archive-push and archive-get report through PostgreSQL's log: warnings only. */
	buf_puts(out, "log-level-console=warn\nlog-level-file=info\n");
	if (in->policy != NULL && in->source == NULL)
		render_retention(in->policy, out);
	buf_printf(out, "\n[%s]\n", stanza);
	for (int i = 0; i < in->n_pgs; i++)
		render_pg(&in->pgs[i], i + 1, out);
}

/* --- archive_command, restore_command ------------------------------------------------------ */

/* shell_word: s single-quoted for /bin/sh ('it'\''s'). */
static void shell_word(struct buf *out, const char *s)
{
	buf_puts(out, "'");
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			buf_puts(out, "'\\''");
		else
			buf_append(out, s, 1);
	}
	buf_puts(out, "'");
}

static void pgbackrest_words(const char *bin, const char *conf, const char *stanza, struct buf *out)
{
	char opt[PATH_MAX + 16];

	shell_word(out, bin);
	snprintf(opt, sizeof(opt), "--config=%s", conf);
	buf_puts(out, " ");
	shell_word(out, opt);
	snprintf(opt, sizeof(opt), "--stanza=%s", stanza);
	buf_puts(out, " ");
	shell_word(out, opt);
}

void backup_archive_command(const char *bin, const char *conf, const char *stanza, struct buf *out)
{
	pgbackrest_words(bin, conf, stanza, out);
	buf_puts(out, " archive-push \"%p\"");
}

void backup_restore_command(const char *bin, const char *conf, const char *stanza, struct buf *out)
{
	pgbackrest_words(bin, conf, stanza, out);
	buf_puts(out, " archive-get %f \"%p\"");
}
