/*
 * strutil.c: bounded copies and strict parsers.
 */
#include "util/strutil.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool str_copy(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (size == 0)
		return false;
	if (len >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return false;
	}
	memcpy(dst, src, len + 1);
	return true;
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

bool str_eq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

bool str_eq_nocase(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

bool str_parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

bool str_parse_int(const char *s, int *out)
{
	int64_t v;

	if (!str_parse_i64(s, &v) || v < INT32_MIN || v > INT32_MAX)
		return false;
	*out = (int)v;
	return true;
}

/* A unit suffix and what one of it counts. */
struct unit {
	const char *name;
	int64_t mult;
};

/* parse_with_unit: a non-negative integer followed by one of units[] (exact case). */
static bool parse_with_unit(const char *s, const struct unit *units, size_t n, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(end, units[i].name) == 0) {
			if (v > INT64_MAX / units[i].mult)
				return false;
			*out = v * units[i].mult;
			return true;
		}
	}
	return false;
}

bool str_parse_bytes(const char *s, int64_t *out)
{
	static const struct unit units[] = {{"", 1},
	                                    {"B", 1},
	                                    {"kB", 1024},
	                                    {"MB", 1024 * 1024},
	                                    {"GB", 1024LL * 1024 * 1024},
	                                    {"TB", 1024LL * 1024 * 1024 * 1024}};

	return parse_with_unit(s, units, ARRAY_LEN(units), out);
}

bool str_parse_duration(const char *s, int64_t *out)
{
	/* PostgreSQL's spellings (no "m": minutes or months?). */
	static const struct unit units[] = {{"", 1},     {"s", 1},     {"min", 60},
	                                    {"h", 3600}, {"d", 86400}, {"w", 604800}};

	return parse_with_unit(s, units, ARRAY_LEN(units), out);
}

bool str_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "on", "yes", "1"};
	static const char *const no[] = {"false", "off", "no", "0"};

	for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

bool str_parse_lsn(const char *s, uint64_t *out)
{
	unsigned int hi, lo;
	int n = 0;

	if (sscanf(s, "%X/%X%n", &hi, &lo, &n) != 2 || s[n] != '\0')
		return false;
	*out = ((uint64_t)hi << 32) | lo;
	return true;
}

void str_format_lsn(uint64_t lsn, char *out, size_t size)
{
	snprintf(out, size, "%" PRIX32 "/%" PRIX32, (uint32_t)(lsn >> 32), (uint32_t)lsn);
}

bool str_split_hostport(const char *s, char *host, size_t host_size, int *port)
{
	const char *colon;
	size_t hlen;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return false;
		colon = close + 1;
		s++;
		hlen = (size_t)(close - s);
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return false;
		hlen = (size_t)(colon - s);
	}
	if (hlen >= host_size || !str_parse_int(colon + 1, port) || *port <= 0 || *port > 65535)
		return false;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	return true;
}

char *str_trim(char *s)
{
	size_t len = strlen(s);
	size_t start = 0;

	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	while (isspace((unsigned char)s[start]))
		start++;
	if (start > 0)
		memmove(s, s + start, len - start + 1);
	return s;
}
