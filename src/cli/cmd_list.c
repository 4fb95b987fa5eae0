/*
 * cmd_list.c: `pgha list`: the members table, like `patronictl list`, or its JSON form.
 */
#include <stdlib.h>
#include "cli/cli.h"
#include "cli/ops_ctx.h"
#include "util/xalloc.h"

int cmd_list(int argc, char **argv)
{
	struct ops_args a;
	struct ops_ctx *ctx = xcalloc(1, sizeof(*ctx)); /* large: keep it off the stack */
	int rc = ops_start(OPS_LIST, argc, argv, &a, ctx);

	if (rc < 0)
		rc = ops_list(&ctx->client, a.target.json);
	free(ctx);
	return rc;
}
