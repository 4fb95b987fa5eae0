/*
 * lab_opts.c: getopt_long parsing of `pgha up` / `pgha down` options.
 */
#include "lab/lab_opts.h"

#include <getopt.h>
#include <stdio.h>
#include "lab/lab_cluster.h"
#include "util/strutil.h"

enum {
	OPT_DIR = 1000,
	OPT_NODES,
	OPT_BASE_PORT,
	OPT_ROUTER_PORT,
	OPT_SCOPE,
	OPT_OS_USER,
	OPT_TIMEOUT,
	OPT_PG_BIN_DIR,
	OPT_KEEP,
	OPT_HELP
};

/* int_arg: a whole-string integer within [lo, hi]; err names the option. */
static bool int_arg(const char *name, const char *arg, int lo, int hi, int *out, char *err,
                    size_t errlen)
{
	if (!str_parse_int(arg, out) || *out < lo || *out > hi) {
		snprintf(err, errlen, "--%s: expected an integer from %d to %d, got '%s'", name, lo,
		         hi, arg);
		return false;
	}
	return true;
}

/* start_parse: resets getopt (several parses in one process, e.g. tests). */
static void start_parse(void)
{
	optind = 0;
	opterr = 0;
}

/* unknown_or_extra: the error for getopt's '?' / ':' or a stray positional argument. */
static enum lab_parse bad_arg(int argc, char **argv, int c, char *err, size_t errlen)
{
	const char *arg = optind - 1 < argc && optind > 0 ? argv[optind - 1] : "?";

	if (c == ':')
		snprintf(err, errlen, "option %s needs a value", arg);
	else
		snprintf(err, errlen, "unknown option %s", arg);
	return LAB_PARSE_ERROR;
}

static enum lab_parse no_positional(int argc, char **argv, char *err, size_t errlen)
{
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return LAB_PARSE_ERROR;
	}
	return LAB_PARSE_OK;
}

static const struct option up_options[] = {
    {"dir", required_argument, NULL, OPT_DIR},
    {"nodes", required_argument, NULL, OPT_NODES},
    {"base-port", required_argument, NULL, OPT_BASE_PORT},
    {"router-port", required_argument, NULL, OPT_ROUTER_PORT},
    {"scope", required_argument, NULL, OPT_SCOPE},
    {"os-user", required_argument, NULL, OPT_OS_USER},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"pg-bin-dir", required_argument, NULL, OPT_PG_BIN_DIR},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static bool up_option(int c, struct lab_up_opts *o, char *err, size_t errlen)
{
	switch (c) {
	case OPT_DIR:
		o->dir = optarg;
		return true;
	case OPT_NODES:
		o->nodes_set = true;
		return int_arg("nodes", optarg, 1, LAB_MAX_NODES, &o->n_nodes, err, errlen);
	case OPT_BASE_PORT:
		o->base_port_set = true;
		return int_arg("base-port", optarg, 1024, 65535 - LAB_PLAN_SPAN + 1, &o->base_port,
		               err, errlen);
	case OPT_ROUTER_PORT:
		o->router_port_set = true;
		return int_arg("router-port", optarg, 1024, 65534, &o->router_port, err, errlen);
	case OPT_SCOPE:
		o->scope_set = true;
		o->scope = optarg;
		if (!lab_scope_valid(optarg))
			snprintf(err, errlen, "--scope: 1 to %d letters, digits, '_' or '-'",
			         LAB_NAME_LEN - 1);
		return lab_scope_valid(optarg);
	case OPT_OS_USER:
		o->os_user = optarg;
		return true;
	case OPT_TIMEOUT:
		return int_arg("timeout", optarg, 1, 3600, &o->timeout_s, err, errlen);
	case OPT_PG_BIN_DIR:
		o->pg_bin_dir_set = true;
		o->pg_bin_dir = optarg;
		return true;
	default:
		return false;
	}
}

enum lab_parse lab_up_opts_parse(int argc, char **argv, struct lab_up_opts *o, char *err,
                                 size_t errlen)
{
	int c;

	*o = (struct lab_up_opts){.dir = LAB_DEFAULT_DIR,
	                          .n_nodes = LAB_DEFAULT_NODES,
	                          .base_port = LAB_DEFAULT_BASE_PORT,
	                          .router_port = LAB_DEFAULT_ROUTER_PORT,
	                          .scope = LAB_DEFAULT_SCOPE,
	                          .timeout_s = LAB_DEFAULT_TIMEOUT_S,
	                          .pg_bin_dir = LAB_DEFAULT_PG_BIN};
	start_parse();
	while ((c = getopt_long(argc, argv, ":h", up_options, NULL)) != -1) {
		if (c == 'h' || c == OPT_HELP)
			return LAB_PARSE_HELP;
		if (c == '?' || c == ':')
			return bad_arg(argc, argv, c, err, errlen);
		if (!up_option(c, o, err, errlen))
			return LAB_PARSE_ERROR;
	}
	return no_positional(argc, argv, err, errlen);
}

static const struct option down_options[] = {
    {"dir", required_argument, NULL, OPT_DIR},
    {"keep", no_argument, NULL, OPT_KEEP},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

enum lab_parse lab_down_opts_parse(int argc, char **argv, struct lab_down_opts *o, char *err,
                                   size_t errlen)
{
	int c;

	*o = (struct lab_down_opts){.dir = LAB_DEFAULT_DIR, .timeout_s = LAB_DEFAULT_STOP_S};
	start_parse();
	while ((c = getopt_long(argc, argv, ":h", down_options, NULL)) != -1) {
		switch (c) {
		case 'h':
		case OPT_HELP:
			return LAB_PARSE_HELP;
		case OPT_DIR:
			o->dir = optarg;
			break;
		case OPT_KEEP:
			o->keep = true;
			break;
		case OPT_TIMEOUT:
			if (!int_arg("timeout", optarg, 1, 3600, &o->timeout_s, err, errlen))
				return LAB_PARSE_ERROR;
			break;
		default:
			return bad_arg(argc, argv, c, err, errlen);
		}
	}
	return no_positional(argc, argv, err, errlen);
}
