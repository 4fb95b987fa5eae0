/*
 * lab_backup.h: pgBackRest in a lab: the lab's own repository (DIR/backup/repo, or the
 * repository `pgha up --backup-repo FILE` describes, an S3 bucket for instance), and a
 * new lab made from another lab's backups (`pgha up --restore-from DIR`): its nodes
 * bootstrap with bootstrap.method pgbackrest from that lab's repository, read only, and
 * archive into their own.
 *
 * lab_backup_prepare reads files (--backup-repo, the other lab's agent.yml); the
 * rendering into agent.yml is lab_render.c's.
 */
#ifndef PGHA_LAB_LAB_BACKUP_H
#define PGHA_LAB_LAB_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include "config/config.h"
#include "lab/lab.h"
#include "lab/lab_cluster.h"
#include "util/compiler.h"

#define LAB_REPO_DIR "backup/repo" /* the lab's POSIX repository, under DIR */

struct lab_backup {
	bool on;                              /* pgBackRest archiving and backups */
	struct pg_params options;             /* the lab's repository (pgBackRest options) */
	bool restore;                         /* the nodes bootstrap from another repository */
	char restore_stanza[CONFIG_NAME_LEN]; /* its stanza (the other lab's scope) */
	struct pg_params restore_options;     /* its repo* options */
	char restore_type[16];                /* pgBackRest's restore type: time, immediate... */
	char restore_target[64];
	char restore_set[64];
};

/*
 * lab_backup_prepare: what o asks for (on unless --no-backup; --backup-repo, the
 * --restore-* options) for the lab c. False with err set: an unreadable or malformed
 * --backup-repo file, a --restore-from directory that is no lab or has no pgBackRest, a
 * time without a zone.
 */
bool lab_backup_prepare(const struct lab_cluster *c, const struct lab_up_opts *o,
                        struct lab_backup *out, char *err, size_t errlen) MUST_CHECK;
void lab_backup_free(struct lab_backup *b);
/*
 * lab_backup_parse_repo: a --backup-repo file's text: "name=value" lines of pgBackRest
 * options for the nodes' [global] section (repo1-type=s3, archive-async=y...; blank
 * lines and '#' comments skipped), set into out. The options the agent refuses (those
 * pgha writes itself) are refused here too. False with err (its line).
 */
bool lab_backup_parse_repo(const char *text, struct pg_params *out, char *err,
                           size_t errlen) MUST_CHECK;

#endif
