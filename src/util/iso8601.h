/*
 * iso8601.h: ISO 8601 date-times as Patroni and patronictl write them (the failover
 * key's scheduled_at, the REST API's scheduled switchovers and restarts, the CLI's
 * --scheduled), into milliseconds since the epoch.
 *
 * One grammar for every reader, so that a time the CLI accepts is one the agent and the
 * etcd codec accept too:
 *   YYYY-MM-DD [ (T|t|' ') HH:MM [ :SS [ (.|,) fraction ] ] ] [ Z | z | ±HH [ [:]MM ] ]
 * Fractions beyond milliseconds are truncated. Dates must exist (no 30 February) and
 * seconds run 0-59, as Python's datetime requires. Pure: no time zone database, no
 * clock; whether a time without a zone is UTC or local time is the caller's choice.
 */
#ifndef PGHA_UTIL_ISO8601_H
#define PGHA_UTIL_ISO8601_H

#include <stdint.h>

enum iso8601_result {
	ISO8601_INVALID = -1, /* not a date-time of the grammar above */
	ISO8601_NO_ZONE = 0,  /* parsed; no zone given: *epoch_ms read it as UTC */
	ISO8601_ZONED = 1,    /* parsed with Z or an offset */
};

/* iso8601_parse: text into *epoch_ms (left alone when ISO8601_INVALID). */
enum iso8601_result iso8601_parse(const char *text, int64_t *epoch_ms);

#endif
