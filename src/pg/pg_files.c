/*
 * pg_files.c: writes the files pgha owns in and next to the data directory:
 * postgresql.conf (with initdb's original kept as postgresql.base.conf), pg_hba.conf,
 * pg_ident.conf, standby.signal and the passfile. Every write is atomic (a crash
 * leaves the old file or the new one) and private (mode 0600).
 */
#include "pg/pg_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "log/log.h"
#include "pg/pg_conf.h"
#include "util/fsutil.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define OUR_MARK "# Written by pgha"

/* write_file: data_dir/<name> (or an absolute path); logs failures. */
static bool write_file(const struct pg_node *n, const char *name, const char *data, size_t len)
{
	char *path = name[0] == '/' ? xstrdup(name) : xasprintf("%s/%s", n->data_dir, name);
	bool ok = fs_write_atomic(path, data, len, 0600);

	if (!ok)
		log_error("cannot write %s: %s", path, strerror(errno));
	free(path);
	return ok;
}

bool pg_files_passfile(const struct pg_node *n)
{
	struct buf b;
	bool ok;

	buf_init(&b);
	pg_passfile_render(n->cfg, &b);
	ok = write_file(n, n->pgpass, b.data, b.len);
	buf_free(&b);
	return ok;
}

bool pg_files_hba(const struct pg_node *n)
{
	struct buf hba, ident;
	bool ok;

	buf_init(&hba);
	buf_init(&ident);
	pg_hba_render(n->cfg, &hba);
	pg_ident_render(n->cfg, n->os_user, &ident);
	ok = write_file(n, "pg_hba.conf", hba.data, hba.len) &&
	     write_file(n, "pg_ident.conf", ident.data, ident.len);
	buf_free(&hba);
	buf_free(&ident);
	return ok;
}

/* is_ours: the file starts with pgha's header (so it must never become the base). */
static bool is_ours(const char *path)
{
	char *text = fs_read_file(path, NULL);
	bool ours = text && str_has_prefix(text, OUR_MARK);

	free(text);
	return ours;
}

/* ensure_base_conf: initdb's postgresql.conf becomes postgresql.base.conf, once. */
static bool ensure_base_conf(const struct pg_node *n)
{
	char *base = xasprintf("%s/" PG_CONF_BASE, n->data_dir);
	char *conf = xasprintf("%s/postgresql.conf", n->data_dir);
	bool ok = true;

	if (fs_exists(base))
		goto out;
	if (fs_exists(conf) && !is_ours(conf)) {
		ok = rename(conf, base) == 0;
		if (ok)
			log_info("kept the original postgresql.conf as %s", base);
		else
			log_error("cannot rename %s to %s: %s", conf, base, strerror(errno));
	} else {
		ok = write_file(n, PG_CONF_BASE, "", 0);
	}
out:
	free(base);
	free(conf);
	return ok;
}

void pg_files_conf_input(const struct pg_node *n, const struct pg_role_conf *role,
                         struct pg_conf_input *in)
{
	*in = (struct pg_conf_input){.cfg = n->cfg,
	                             .dcs_params = &n->dcs_params,
	                             .role = role,
	                             .data_dir = n->data_dir,
	                             .socket_dir = n->socket_dir,
	                             .pgpass = n->pgpass,
	                             .archive = &n->archive};
}

static bool write_conf(const struct pg_node *n, const struct pg_role_conf *role)
{
	struct pg_conf_input in;
	struct buf conf, warnings;
	char err[256];
	bool ok;

	pg_files_conf_input(n, role, &in);
	buf_init(&conf);
	buf_init(&warnings);
	ok = pg_conf_render(&in, &conf, &warnings, err, sizeof(err));
	if (!ok)
		log_error("cannot render postgresql.conf: %s", err);
	for (char *save = NULL, *w = strtok_r(warnings.data, "\n", &save); w;
	     w = strtok_r(NULL, "\n", &save))
		log_warn("postgresql.conf: %s", w);
	ok = ok && write_file(n, "postgresql.conf", conf.data, conf.len);
	buf_free(&conf);
	buf_free(&warnings);
	return ok;
}

/* set_signal: data_dir/name exists exactly when wanted. */
static bool set_signal(const struct pg_node *n, const char *name, bool wanted)
{
	char *path = xasprintf("%s/%s", n->data_dir, name);
	bool ok = true;

	if (wanted)
		ok = write_file(n, path, "", 0);
	else if (unlink(path) == -1 && errno != ENOENT) {
		log_error("cannot remove %s: %s", path, strerror(errno));
		ok = false;
	}
	free(path);
	return ok;
}

/* write_signal: standby.signal for a standby, recovery.signal for a restore's start. */
static bool write_signal(const struct pg_node *n, const struct pg_role_conf *role)
{
	return set_signal(n, "standby.signal", role->standby) &&
	       set_signal(n, "recovery.signal", role->recovery && !role->standby);
}

bool pg_files_clean_auto_conf(const struct pg_node *n, const struct pg_role_conf *role)
{
	char *path = xasprintf("%s/postgresql.auto.conf", n->data_dir);
	char *text = fs_read_file(path, NULL);
	struct pg_conf_input in;
	struct buf out, removed;
	bool ok = true;

	pg_files_conf_input(n, role, &in);
	buf_init(&out);
	buf_init(&removed);
	if (text != NULL && pg_auto_conf_clean(&in, text, &out, &removed)) {
		for (char *save = NULL, *l = strtok_r(removed.data, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save))
			log_warn("postgresql.auto.conf: removed '%s' (pgha sets it, or it is a "
			         "recovery target)",
			         l);
		ok = write_file(n, "postgresql.auto.conf", out.data, out.len);
	}
	buf_free(&out);
	buf_free(&removed);
	free(text);
	free(path);
	return ok;
}

bool pg_files_write(struct pg_node *n, const struct pg_role_conf *role)
{
	/* PostgreSQL refuses a data directory others can read. */
	if (chmod(n->data_dir, 0700) == -1) {
		log_error("cannot chmod %s: %s", n->data_dir, strerror(errno));
		return false;
	}
	return pg_files_passfile(n) && ensure_base_conf(n) && pg_files_hba(n) &&
	       write_conf(n, role) && write_signal(n, role);
}

void pg_files_remove_foreign(const struct pg_node *n)
{
	DIR *d = opendir(n->data_dir);
	struct dirent *e;

	if (d == NULL)
		return;
	/* Another node's socket lock names a pid that means nothing here, or worse,
	 * an unrelated live process, which would stop our postmaster from starting. */
	while ((e = readdir(d)) != NULL) {
		if (str_has_prefix(e->d_name, ".s.PGSQL.")) {
			char *path = xasprintf("%s/%s", n->data_dir, e->d_name);

			if (unlink(path) == 0)
				log_info("removed %s copied from another node", path);
			free(path);
		}
	}
	closedir(d);
}
