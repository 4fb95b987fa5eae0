/*
 * conninfo.h: libpq connection strings built from values that may hold anything:
 * each value single-quoted with ' and \ escaped, as libpq's parser reads them. Used
 * for the walreceiver's primary_conninfo and pg_basebackup (pg/), and the chaos
 * workload's sessions (chaos/).
 *
 * Pure.
 */
#ifndef PGHA_UTIL_CONNINFO_H
#define PGHA_UTIL_CONNINFO_H

#include "util/buf.h"

/* conninfo_quote: value as a conninfo value: 'value', with ' and \ escaped. */
void conninfo_quote(struct buf *out, const char *value);
/* conninfo_append: " key='value'" (quoted, escaped) at the end of a conninfo string. */
void conninfo_append(struct buf *out, const char *key, const char *value);

#endif
