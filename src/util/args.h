/*
 * args.h: a subcommand's options declared as a table and parsed with getopt_long into
 * the caller's options struct (each row names the field by its offset), so that every
 * subcommand of pgha parses the same way and says the same things about bad input.
 *
 * Accepted: long options (--name VALUE, --name=VALUE), their one-letter forms where a
 * row gives one, -h / --help. Errors, in err: "CMD does not take option --x",
 * "option --x needs a value", "--x: expected an integer from LO to HI, got 'V'",
 * "unexpected argument 'V'", or the row's own parser's message.
 *
 * Pure: no I/O; strings stored are borrowed from argv.
 */
#ifndef PGHA_UTIL_ARGS_H
#define PGHA_UTIL_ARGS_H

#include <stdbool.h>
#include <stddef.h>

enum arg_kind {
	ARG_FLAG = 0, /* bool, set to true */
	ARG_STR,      /* const char *, the value as given */
	ARG_INT,      /* int within [lo, hi] */
	ARG_CUSTOM    /* parse() stores it */
};

/* arg_parse_fn: stores arg into field; false with err set when arg is not acceptable. */
typedef bool arg_parse_fn(const char *arg, void *field, char *err, size_t errlen);

struct arg_opt {
	const char *name;    /* long name, without "--" */
	int letter;          /* short form ('c'), or 0 */
	enum arg_kind kind;  /* what the field is */
	size_t offset;       /* of the field in the options struct */
	int lo;              /* ARG_INT: smallest value */
	int hi;              /* ARG_INT: largest value */
	arg_parse_fn *parse; /* ARG_CUSTOM */
	size_t seen;         /* ARG_SEEN(): a bool set when the option is given; 0 = none */
};

/* ARG_SEEN: the seen field of a row: a bool member of the options struct. */
#define ARG_SEEN(type, member) (offsetof(type, member) + 1)

/* Rows, one option per line: the field at off, its short letter (or 0), seen (or 0). */
#define ARG_FLAG_OPT(nm, let, off)                                               \
	{                                                                        \
		.name = (nm), .letter = (let), .kind = ARG_FLAG, .offset = (off) \
	}
#define ARG_STR_OPT(nm, let, off, sn)                                                         \
	{                                                                                     \
		.name = (nm), .letter = (let), .kind = ARG_STR, .offset = (off), .seen = (sn) \
	}
#define ARG_INT_OPT(nm, off, l, h, sn)                                                             \
	{                                                                                          \
		.name = (nm), .kind = ARG_INT, .offset = (off), .lo = (l), .hi = (h), .seen = (sn) \
	}
#define ARG_CUSTOM_OPT(nm, let, off, fn, sn)                                                       \
	{                                                                                          \
		.name = (nm), .letter = (let), .kind = ARG_CUSTOM, .offset = (off), .parse = (fn), \
		.seen = (sn)                                                                       \
	}

enum args_result {
	ARGS_OK = 0,
	ARGS_HELP, /* -h or --help */
	ARGS_ERROR
};

/*
 * args_parse: parses argv (argv[0] is the subcommand's name) against opts[n] into out.
 * rest: NULL when the command takes no positional argument (one is an error), else
 * the index in argv of the first one (argc when there is none). Options may come
 * after positional arguments (getopt_long permutes argv).
 */
enum args_result args_parse(const struct arg_opt *opts, size_t n, int argc, char **argv, void *out,
                            int *rest, char *err, size_t errlen);

#endif
