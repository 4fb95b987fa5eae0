/*
 * ops_backup.h: `pgha backup`, `pgha backup check`, `pgha backup list` and `pgha
 * restore`.
 *
 * Backups and checks are asked of the leader through pgha's "backup" key, and restores
 * through its "restore" key (dcs_types.h): the agents carry them out and write the
 * outcome back, so a request survives the tool's death and a leader change. The list
 * is read from the repository with pgBackRest, through a node's configuration: a lab's
 * first node, or the agent configuration of -c FILE; run as root, pgBackRest runs as
 * the owner of that node's pgBackRest directory.
 */
#ifndef PGHA_CLI_OPS_BACKUP_H
#define PGHA_CLI_OPS_BACKUP_H

#include "cli/ops_args.h"
#include "cli/ops_ctx.h"

/* ops_backup: a backup (a->backup_type) or a check, asked and waited for; exit status. */
int ops_backup(const struct ops_ctx *ctx, const struct ops_args *a, const char *kind);
/* ops_backup_list: the repository's backups and the recovery window; exit status. */
int ops_backup_list(const struct ops_ctx *ctx, const struct ops_args *a);
/* ops_restore: the whole cluster brought back to a->restore_*; exit status. */
int ops_restore(const struct ops_ctx *ctx, const struct ops_args *a);

#endif
