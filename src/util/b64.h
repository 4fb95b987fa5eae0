/*
 * b64.h: standard base64 (RFC 4648, with padding), as etcd's JSON gateway encodes
 * every key and value. No library on the Debian list exports it, and it is small.
 */
#ifndef PGHA_UTIL_B64_H
#define PGHA_UTIL_B64_H

#include <stdbool.h>
#include <stddef.h>
#include "util/compiler.h"

/* b64_encode: owned NUL-terminated encoding of data[len]. */
char *b64_encode(const void *data, size_t len);
/*
 * b64_decode: owned decoding of text (NUL-terminated, so it can be used as a string);
 * *out_len gets the decoded length. NULL on malformed input.
 */
char *b64_decode(const char *text, size_t *out_len) MUST_CHECK;

#endif
