/*
 * cmd_backup.c: `pgha backup [list|check]` and `pgha restore` (the work is in
 * ops_backup.c).
 */
#include <stdlib.h>
#include "cli/cli.h"
#include "cli/ops_backup.h"
#include "cli/ops_ctx.h"
#include "util/strutil.h"
#include "util/xalloc.h"

/* run: ops_start for cmd, then fn. */
static int run(enum ops_cmd cmd, int argc, char **argv,
               int (*fn)(const struct ops_ctx *, const struct ops_args *))
{
	struct ops_args a;
	struct ops_ctx *ctx = xcalloc(1, sizeof(*ctx)); /* large: keep it off the stack */
	int rc = ops_start(cmd, argc, argv, &a, ctx);

	if (rc < 0)
		rc = fn(ctx, &a);
	free(ctx);
	return rc;
}

static int backup(const struct ops_ctx *ctx, const struct ops_args *a)
{
	return ops_backup(ctx, a, a->backup_type ? a->backup_type : "full");
}

static int check(const struct ops_ctx *ctx, const struct ops_args *a)
{
	return ops_backup(ctx, a, "check");
}

int cmd_backup(int argc, char **argv)
{
	if (argc > 1 && str_eq(argv[1], "list"))
		return run(OPS_BACKUP_LIST, argc - 1, argv + 1, ops_backup_list);
	if (argc > 1 && str_eq(argv[1], "check"))
		return run(OPS_BACKUP_CHECK, argc - 1, argv + 1, check);
	return run(OPS_BACKUP, argc, argv, backup);
}

int cmd_restore(int argc, char **argv)
{
	return run(OPS_RESTORE, argc, argv, ops_restore);
}
