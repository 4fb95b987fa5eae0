/*
 * args.c: table-driven getopt_long parsing (see args.h).
 */
#include "util/args.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include "util/compiler.h"
#include "util/strutil.h"

#define MAX_OPTS  48
#define ID_HELP   1000 /* getopt value of --help */
#define ID_OFFSET 1001 /* getopt value of row i: ID_OFFSET + i */

/* build: the getopt tables of opts: long options and a ":h..." short option string. */
static void build(const struct arg_opt *opts, size_t n, struct option *longs, char *shorts)
{
	size_t k = 0;

	*shorts++ = ':'; /* report a missing value as ':' */
	*shorts++ = 'h';
	for (size_t i = 0; i < n && i < MAX_OPTS; i++) {
		int has_arg = opts[i].kind == ARG_FLAG ? no_argument : required_argument;

		longs[k++] = (struct option){opts[i].name, has_arg, NULL, (int)(ID_OFFSET + i)};
		if (opts[i].letter != 0) {
			*shorts++ = (char)opts[i].letter;
			if (has_arg == required_argument)
				*shorts++ = ':';
		}
	}
	longs[k++] = (struct option){"help", no_argument, NULL, ID_HELP};
	longs[k] = (struct option){NULL, 0, NULL, 0};
	*shorts = '\0';
}

/* row_of: the row getopt's value c stands for, or -1 (help, errors). */
static int row_of(const struct arg_opt *opts, size_t n, int c)
{
	if (c >= ID_OFFSET && (size_t)(c - ID_OFFSET) < n)
		return c - ID_OFFSET;
	for (size_t i = 0; i < n; i++) {
		if (opts[i].letter != 0 && opts[i].letter == c)
			return (int)i;
	}
	return -1;
}

static bool store(const struct arg_opt *o, const char *arg, void *out, char *err, size_t errlen)
{
	char *field = (char *)out + o->offset;

	if (o->seen != 0)
		*(bool *)((char *)out + o->seen - 1) = true;
	switch (o->kind) {
	case ARG_FLAG:
		*(bool *)field = true;
		return true;
	case ARG_STR:
		*(const char **)field = arg;
		return true;
	case ARG_INT:
		if (str_parse_int(arg, (int *)field) && *(int *)field >= o->lo &&
		    *(int *)field <= o->hi)
			return true;
		snprintf(err, errlen, "--%s: expected an integer from %d to %d, got '%s'", o->name,
		         o->lo, o->hi, arg);
		return false;
	case ARG_CUSTOM:
		return o->parse(arg, field, err, errlen);
	}
	return false;
}

enum args_result args_parse(const struct arg_opt *opts, size_t n, int argc, char **argv, void *out,
                            int *rest, char *err, size_t errlen)
{
	struct option longs[MAX_OPTS + 2];
	char shorts[2 + 2 * MAX_OPTS + 1];
	int c;

	build(opts, n, longs, shorts);
	optind = 0; /* a fresh scan, even if getopt ran before in this process */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		const char *cur = optind > 0 && optind - 1 < argc ? argv[optind - 1] : "?";
		int row = row_of(opts, n, c);

		if (c == 'h' || c == ID_HELP)
			return ARGS_HELP;
		if (c == ':') {
			snprintf(err, errlen, "option %s needs a value", cur);
			return ARGS_ERROR;
		}
		if (row < 0) {
			snprintf(err, errlen, "%s does not take option %s", argv[0], cur);
			return ARGS_ERROR;
		}
		if (!store(&opts[row], optarg, out, err, errlen))
			return ARGS_ERROR;
	}
	if (rest != NULL) {
		*rest = optind;
	} else if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return ARGS_ERROR;
	}
	return ARGS_OK;
}
