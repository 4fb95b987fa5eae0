/*
 * compiler.h: attributes and tiny macros shared by every module.
 */
#ifndef PGHA_UTIL_COMPILER_H
#define PGHA_UTIL_COMPILER_H

#include <stddef.h>

/* A fallible call whose result must be looked at (PgBouncer's _MUSTCHECK). */
#define MUST_CHECK        __attribute__((warn_unused_result))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN          __attribute__((noreturn))
#define UNUSED            __attribute__((unused))
#define ARRAY_LEN(a)      (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)         ((a) < (b) ? (a) : (b))
#define MAX(a, b)         ((a) > (b) ? (a) : (b))

#endif
