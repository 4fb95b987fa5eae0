/*
 * cli.c: one way to read a subcommand's command line and to report what is wrong with
 * it (see cli.h).
 */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include "util/compiler.h"

#define DAEMON(member) offsetof(struct cli_daemon_args, member)

const struct arg_opt cli_daemon_opts[CLI_DAEMON_N_OPTS] = {
    ARG_STR_OPT("config", 'c', DAEMON(config), 0),
    ARG_STR_OPT("log-level", 'l', DAEMON(level), 0),
    ARG_FLAG_OPT("check", 0, DAEMON(check)),
};

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
	return cli_usage_error(s, "%s", err);
}

int cli_usage_error(const struct cli_spec *s, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pgha %s: ", s->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n\n%s", s->usage);
	return EXIT_USAGE;
}

int cli_parse_daemon(const struct cli_spec *s, int argc, char **argv, struct cli_daemon_args *a)
{
	int rc;

	*a = (struct cli_daemon_args){0};
	if ((rc = cli_parse(s, argc, argv, a)) >= 0)
		return rc;
	if (a->config == NULL)
		return cli_usage_error(s, "-c FILE is required");
	return -1;
}
