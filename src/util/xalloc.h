/*
 * xalloc.h: allocation that never returns NULL.
 *
 * pgha cannot do anything useful once malloc fails, so these abort with a message
 * (as Redis' zmalloc and PostgreSQL's pg_malloc do) and call sites carry no NULL checks.
 * Functions returning owned memory say so; the caller frees it with free().
 */
#ifndef PGHA_UTIL_XALLOC_H
#define PGHA_UTIL_XALLOC_H

#include <stddef.h>
#include <stdlib.h> /* free() goes with every x*alloc */
#include "util/compiler.h"

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
/* xstrdup: owned copy of s; xstrdup(NULL) returns NULL. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* xmemdup0: owned copy of n bytes (NULs included) with a NUL after them. */
char *xmemdup0(const void *p, size_t n);
/* xasprintf: owned formatted string. */
char *xasprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);

#endif
