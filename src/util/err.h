/*
 * err.h: the caller's error buffer. Library-like code (parsers, codecs, clients) does
 * not log: it writes what went wrong into a `char *err, size_t errlen` pair the caller
 * passed, as Redis's anet does, and the caller decides whether and how to report it.
 */
#ifndef PGHA_UTIL_ERR_H
#define PGHA_UTIL_ERR_H

#include <stddef.h>
#include "util/compiler.h"

/* err_set: formats into err[errlen] (truncating); err may be NULL or errlen 0 (no-op). */
void err_set(char *err, size_t errlen, const char *fmt, ...) PRINTF_LIKE(3, 4);
/*
 * err_append: adds one more problem to err, after "; " when err already holds one, so
 * that a reader which reports every problem (not only the first) builds one line.
 */
void err_append(char *err, size_t errlen, const char *fmt, ...) PRINTF_LIKE(3, 4);

#endif
