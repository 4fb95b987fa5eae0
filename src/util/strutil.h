/*
 * strutil.h: bounded string copies and strict number parsing.
 *
 * Identifiers (node names, hosts, slot names) live in fixed arrays; str_copy reports
 * truncation so that callers can treat an over-long value as bad input, not silently
 * shorten it.
 */
#ifndef PGHA_UTIL_STRUTIL_H
#define PGHA_UTIL_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/compiler.h"

/* str_copy: copies src into dst[size]; false (and dst truncated) if it did not fit. */
bool str_copy(char *dst, size_t size, const char *src) MUST_CHECK;
bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);
bool str_eq(const char *a, const char *b);
/* str_eq_nocase: ASCII case-insensitive equality. */
bool str_eq_nocase(const char *a, const char *b);
/* str_parse_i64: whole-string decimal integer; false on junk, empty or overflow. */
bool str_parse_i64(const char *s, int64_t *out) MUST_CHECK;
bool str_parse_int(const char *s, int *out) MUST_CHECK;
/*
 * str_parse_bytes: an integer optionally followed by a unit B, kB, MB, GB or TB
 * (powers of 1024, as PostgreSQL and Patroni read them), e.g. "16kB", "10MB", "1048576".
 */
bool str_parse_bytes(const char *s, int64_t *out) MUST_CHECK;
/*
 * str_parse_duration: seconds: an integer optionally followed by a unit s, min, h, d
 * or w, as PostgreSQL spells them: "30", "90s", "30min", "12h", "7d".
 */
bool str_parse_duration(const char *s, int64_t *out) MUST_CHECK;
/* str_parse_bool: true/false, on/off, yes/no, 1/0 (any case). */
bool str_parse_bool(const char *s, bool *out) MUST_CHECK;
/* str_parse_lsn: PostgreSQL "X/Y" text into a byte position. */
bool str_parse_lsn(const char *s, uint64_t *out) MUST_CHECK;
/* str_format_lsn: byte position as "X/Y" into out (at least 20 bytes). */
void str_format_lsn(uint64_t lsn, char *out, size_t size);
/* str_split_hostport: "host:port" or "[v6]:port" into parts; false if malformed. */
bool str_split_hostport(const char *s, char *host, size_t host_size, int *port) MUST_CHECK;
/* str_trim: strips ASCII whitespace at both ends, in place; returns s. */
char *str_trim(char *s);

#endif
