/*
 * cmd_pending.c: weak placeholders for subcommands still being written; each real
 * definition overrides its placeholder at link time. Removed once all exist.
 */
#include <stdio.h>
#include "cli/cli.h"

static int pending(const char *name)
{
	fprintf(stderr, "pgha %s: not available in this build yet\n", name);
	return EXIT_USAGE;
}

#define PENDING(fn, name)                                   \
	__attribute__((weak)) int fn(int argc, char **argv) \
	{                                                   \
		(void)argc;                                 \
		(void)argv;                                 \
		return pending(name);                       \
	}

PENDING(cmd_agent, "agent")
PENDING(cmd_router, "router")
PENDING(cmd_up, "up")
PENDING(cmd_down, "down")
PENDING(cmd_list, "list")
PENDING(cmd_health, "health")
PENDING(cmd_monitor, "monitor")
PENDING(cmd_switchover, "switchover")
PENDING(cmd_failover, "failover")
PENDING(cmd_restart, "restart")
PENDING(cmd_reinit, "reinit")
PENDING(cmd_pause, "pause")
PENDING(cmd_resume, "resume")
PENDING(cmd_history, "history")
PENDING(cmd_show_config, "show-config")
PENDING(cmd_edit_config, "edit-config")
