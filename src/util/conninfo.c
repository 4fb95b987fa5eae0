/*
 * conninfo.c: quoting libpq connection-string values (see conninfo.h).
 */
#include "util/conninfo.h"

void conninfo_quote(struct buf *out, const char *value)
{
	buf_puts(out, "'");
	for (const char *p = value; *p; p++) {
		if (*p == '\'' || *p == '\\')
			buf_puts(out, "\\");
		buf_append(out, p, 1);
	}
	buf_puts(out, "'");
}

void conninfo_append(struct buf *out, const char *key, const char *value)
{
	if (out->len > 0)
		buf_puts(out, " ");
	buf_printf(out, "%s=", key);
	conninfo_quote(out, value);
}
