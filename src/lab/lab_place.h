/*
 * lab_place.h: where a lab's directory lives, and the pgha binary its processes run.
 *
 * The lab's processes (etcd, the agents, PostgreSQL, PgBouncer, the router) run as its
 * OS user, so that user must reach the directory and the binary. A clone in root's home,
 * or in any user's home on Debian 12 (mode 0700), is out of reach of the postgres user.
 * Nothing above DIR is made searchable behind the user's back; instead:
 *
 * - the binary: every `pgha up` copies itself into DIR/bin/pgha, and the lab runs that
 *   copy (it also keeps a rebuild of ./pgha from swapping the binary under a running lab);
 * - the directory: when the OS user cannot reach DIR's parent, the lab lives in a
 *   fresh directory under LAB_PLACE_BASE (root's, mode 0755) and DIR becomes a symbolic
 *   link to it, so every path the user knows (DIR/pg_service.conf, --dir DIR) still
 *   works. cluster.json records both; `pgha down` removes the link with the directory.
 *
 * Relocation happens only when `pgha up` runs as root (ru->set_user): anyone else runs
 * the lab as themselves. Does not print; errors go to err.
 */
#ifndef PGHA_LAB_LAB_PLACE_H
#define PGHA_LAB_LAB_PLACE_H

#include <stdbool.h>
#include <stddef.h>
#include "lab/lab_cluster.h"
#include "lab/lab_procs.h"
#include "util/compiler.h"

#define LAB_PLACE_BASE "/var/lib/pgha-labs"
#define LAB_BIN_REL    "bin/pgha" /* the binary the lab runs, inside DIR */

/* lab_place_needed: ru's user cannot reach the directory that would hold dir. */
bool lab_place_needed(const struct lab_runas *ru, const char *dir);
/*
 * lab_place_elsewhere: a fresh directory <base>/<name of link>.XXXXXX (mode 0755) into
 * out, and link (absent, or an empty directory, which is removed) made a symbolic link to
 * it. base is created (0755) if missing, and must be a directory of ours that nobody
 * else may write. False with err set, nothing left behind.
 */
bool lab_place_elsewhere(const char *base, const char *link, char *out, size_t size, char *err,
                         size_t errlen) MUST_CHECK;
/* lab_place_unlink: removes c->link when it is still a symbolic link to c->dir. */
bool lab_place_unlink(const struct lab_cluster *c);
/*
 * lab_install_binary: copies src into c's DIR/bin/pgha (bin created 0755), replacing an
 * older copy atomically (running processes keep theirs); its path into c->pgha_bin.
 */
bool lab_install_binary(struct lab_cluster *c, const char *src, char *err,
                        size_t errlen) MUST_CHECK;

#endif
