/*
 * buf.h: a growable, always NUL-terminated byte buffer for unbounded data
 * (HTTP bodies, generated config files, JSON text).
 *
 * Embed a struct buf and buf_init() it; buf_free() releases the memory. The data
 * pointer is owned by the buffer and may move on every append.
 */
#ifndef PGHA_UTIL_BUF_H
#define PGHA_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include "util/compiler.h"

struct buf {
	char *data; /* NUL-terminated contents, never NULL after buf_init */
	size_t len; /* bytes used, excluding the terminating NUL */
	size_t cap; /* bytes allocated */
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* buf_steal: hands the contents to the caller (owned) and leaves b empty. */
char *buf_steal(struct buf *b);

#endif
