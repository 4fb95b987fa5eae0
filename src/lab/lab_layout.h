/*
 * lab_layout.h: the files of a lab directory, as `pgha up` writes them: cluster.json
 * (first: it is what makes a directory a lab that `pgha down` may remove), the
 * directories, the secrets, each node's agent.yml, the router's router.yml and the
 * client files (pg_service.conf, pgpass, patronictl.yml), all handed to the lab's OS
 * user.
 *
 * Writes files only: starts nothing, does not print; errors go to err.
 */
#ifndef PGHA_LAB_LAB_LAYOUT_H
#define PGHA_LAB_LAB_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include "lab/lab_backup.h"
#include "lab/lab_cluster.h"
#include "lab/lab_procs.h"
#include "util/compiler.h"

/*
 * lab_layout_write: a fresh lab's files in c->dir (created if missing), new secrets,
 * pgBackRest as b says (NULL: none) with DIR/backup/repo for its POSIX repository.
 */
bool lab_layout_write(const struct lab_cluster *c, const struct lab_runas *ru,
                      const struct lab_backup *b, char *err, size_t errlen) MUST_CHECK;
#endif
