/*
 * log.h: one-line log messages to stderr, journald-friendly.
 *
 * Format: "2026-11-25 18:00:00.123 UTC node1 INFO: message". Thread-safe (one write per
 * line). Debug messages are filtered before formatting. Library-like modules (config
 * parsing, JSON codecs, ha_decide) do not log; they return their message to the caller.
 */
#ifndef PGHA_LOG_LOG_H
#define PGHA_LOG_LOG_H

#include <stdbool.h>
#include "util/compiler.h"

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
	LOG_LEVEL__COUNT
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* log_parse_level: "error", "warn"/"warning", "info", "debug" (any case). */
bool log_parse_level(const char *s, enum log_level *out) MUST_CHECK;
/* log_set_ident: a short name printed on every line (node name, "router"...). Not
 * thread-safe: call it before starting threads that log. */
void log_set_ident(const char *ident);
void log_msg(enum log_level level, const char *fmt, ...) PRINTF_LIKE(2, 3);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)                                         \
	do {                                                   \
		if (log_get_level() >= LOG_LEVEL_DEBUG)        \
			log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__); \
	} while (0)

#endif
