/*
 * lab_layout.c: writing a lab directory's files (see lab_layout.h).
 */
#include "lab/lab_layout.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lab/lab_render.h"
#include "lab/lab_secrets.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/tlsgen.h"
#include "util/strutil.h"

static bool write_rel(const struct lab_cluster *c, const char *rel, const struct buf *b,
                      mode_t mode, char *err, size_t errlen)
{
	char path[PATH_MAX];

	if (!lab_path(c, rel, path, sizeof(path)) ||
	    !fs_write_atomic(path, b->data, b->len, mode)) {
		snprintf(err, errlen, "cannot write %s/%s: %s", c->dir, rel, strerror(errno));
		return false;
	}
	return true;
}

static bool make_dirs(const struct lab_cluster *c, char *err, size_t errlen)
{
	static const struct {
		const char *rel;
		mode_t mode;
	} dirs[] = {{"etcd", 0700}, {"logs", 0755}, {"run", 0755}};
	char path[PATH_MAX];

	for (size_t i = 0; i < ARRAY_LEN(dirs); i++) {
		if (!lab_path(c, dirs[i].rel, path, sizeof(path)) ||
		    !fs_mkdir_p(path, dirs[i].mode))
			goto fail;
	}
	for (int k = 0; k < c->plan.n_nodes; k++) {
		/* 0700: agent.yml holds passwords and PostgreSQL wants a private data dir. */
		if (!lab_node_path(c, c->plan.nodes[k].name, "", path, sizeof(path)) ||
		    !fs_mkdir_p(path, 0700))
			goto fail;
	}
	return true;
fail:
	snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
	return false;
}

static bool write_node_configs(const struct lab_cluster *c, const struct lab_secrets *s,
                               const struct lab_backup *bk, char *err, size_t errlen)
{
	for (int k = 0; k < c->plan.n_nodes; k++) {
		char rel[LAB_NAME_LEN + 16];
		struct buf b;
		bool ok;

		buf_init(&b);
		lab_render_agent_yml(c, s, bk, k, &b);
		snprintf(rel, sizeof(rel), "%s/agent.yml", c->plan.nodes[k].name);
		ok = write_rel(c, rel, &b, 0600, err, errlen);
		buf_free(&b);
		if (!ok)
			return false;
	}
	return true;
}

/* write_router_files: router.yml and what clients use to reach the router. */
static bool write_router_files(const struct lab_cluster *c, const struct lab_secrets *s, char *err,
                               size_t errlen)
{
	struct buf router;
	struct buf service;
	struct buf pgpass;
	bool ok;

	buf_init(&router);
	buf_init(&service);
	buf_init(&pgpass);
	lab_render_router_yml(c, s, &router);
	lab_render_pg_service(c, &service);
	lab_render_pgpass(c, s, &pgpass);
	ok = write_rel(c, "router.yml", &router, 0600, err, errlen) &&
	     write_rel(c, "pg_service.conf", &service, 0644, err, errlen) &&
	     write_rel(c, "pgpass", &pgpass, 0600, err, errlen);
	buf_free(&router);
	buf_free(&service);
	buf_free(&pgpass);
	return ok;
}

static bool write_client_files(const struct lab_cluster *c, const struct lab_secrets *s, char *err,
                               size_t errlen)
{
	struct buf ctl;
	bool ok;

	buf_init(&ctl);
	lab_render_patronictl(c, s, &ctl);
	ok = write_router_files(c, s, err, errlen) &&
	     write_rel(c, "patronictl.yml", &ctl, 0600, err, errlen);
	buf_free(&ctl);
	return ok;
}

/*
 * write_tls: the lab's CA, a certificate for the etcd members and one per node (its REST
 * API, PostgreSQL and PgBouncer), all for 127.0.0.1 and localhost. The CA's key is
 * deleted once they are signed: nobody can then make another certificate the lab trusts.
 */
static bool write_tls(const struct lab_cluster *c, char *err, size_t errlen)
{
	static const char sans[] = "IP:127.0.0.1,DNS:localhost";
	char dir[PATH_MAX];
	char cn[LAB_NAME_LEN + 32];

	if (!c->tls)
		return true;
	if (!lab_path(c, "tls", dir, sizeof(dir)) || !fs_mkdir_p(dir, 0755)) {
		snprintf(err, errlen, "cannot create %s/tls: %s", c->dir, strerror(errno));
		return false;
	}
	snprintf(cn, sizeof(cn), "pgha lab %s CA", c->scope);
	if (!tlsgen_ca(dir, cn, err, errlen) ||
	    !tlsgen_leaf(dir, "etcd", "etcd", sans, TLSGEN_LEAF_DAYS, err, errlen))
		return false;
	for (int k = 0; k < c->plan.n_nodes; k++) {
		const char *node = c->plan.nodes[k].name;

		if (!tlsgen_leaf(dir, node, node, sans, TLSGEN_LEAF_DAYS, err, errlen))
			return false;
	}
	if (!lab_tls_path(c, "ca.key", dir, sizeof(dir)) || unlink(dir) == -1) {
		snprintf(err, errlen, "cannot remove %s/tls/ca.key: %s", c->dir, strerror(errno));
		return false;
	}
	return true;
}

/* give_to_user: DIR/<rel> (a file, or a directory with everything below) to ru's user. */
static bool give_to_user(const struct lab_cluster *c, const struct lab_runas *ru, const char *rel,
                         char *err, size_t errlen)
{
	char path[PATH_MAX];

	if (!ru->set_user)
		return true;
	if (!lab_path(c, rel, path, sizeof(path)) || !fs_chown_r(path, ru->uid, ru->gid)) {
		snprintf(err, errlen, "cannot chown %s/%s to %s: %s", c->dir, rel, c->os_user,
		         strerror(errno));
		return false;
	}
	return true;
}

/* make_repo: the lab's POSIX repository (pgBackRest refuses a repository others read). */
static bool make_repo(const struct lab_cluster *c, const struct lab_backup *b, char *err,
                      size_t errlen)
{
	char path[PATH_MAX];

	const char *type = b != NULL ? pg_params_get(&b->options, "repo1-type") : NULL;

	if (b == NULL || !b->on || (type != NULL && !str_eq(type, "posix")))
		return true; /* no repository here, or one elsewhere (--backup-repo) */
	if (!lab_path(c, LAB_REPO_DIR, path, sizeof(path)) || !fs_mkdir_p(path, 0750)) {
		snprintf(err, errlen, "cannot create %s/%s: %s", c->dir, LAB_REPO_DIR,
		         strerror(errno));
		return false;
	}
	return true;
}

bool lab_layout_write(const struct lab_cluster *c, const struct lab_runas *ru,
                      const struct lab_backup *b, char *err, size_t errlen)
{
	char secrets_dir[PATH_MAX];
	struct lab_secrets s;

	if (!fs_mkdir_p(c->dir, 0755)) {
		snprintf(err, errlen, "cannot create %s: %s", c->dir, strerror(errno));
		return false;
	}
	/* cluster.json first: it is what makes the directory a lab `pgha down` may remove. */
	if (!lab_cluster_save(c, err, errlen) || !make_dirs(c, err, errlen) ||
	    !make_repo(c, b, err, errlen))
		return false;
	if (!lab_path(c, "secrets", secrets_dir, sizeof(secrets_dir))) {
		snprintf(err, errlen, "%s: path too long", c->dir);
		return false;
	}
	return lab_secrets_generate(&s, err, errlen) &&
	       lab_secrets_save(&s, secrets_dir, err, errlen) && write_tls(c, err, errlen) &&
	       write_node_configs(c, &s, b, err, errlen) &&
	       write_client_files(c, &s, err, errlen) && give_to_user(c, ru, ".", err, errlen);
}
