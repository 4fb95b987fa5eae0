/*
 * cli.c: one way to read a subcommand's command line and to report what is wrong with
 * it (see cli.h).
 */
#include "cli/cli.h"

#include <stdio.h>

int cli_parse(const struct cli_spec *s, int argc, char **argv, void *out)
{
	char err[512];

	switch (args_parse(s->opts, s->n_opts, argc, argv, out, NULL, err, sizeof(err))) {
	case ARGS_OK:
		return -1;
	case ARGS_HELP:
		fputs(s->usage, stdout);
		return EXIT_OK;
	case ARGS_ERROR:
		break;
	}
	fprintf(stderr, "pgha %s: %s\n\n%s", s->name, err, s->usage);
	return EXIT_USAGE;
}
