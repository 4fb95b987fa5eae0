/*
 * log.c: formatted log lines on stderr.
 */
#include "log/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* The only globals besides signal flags: logging settings, set once at start-up. */
static _Atomic int current_level = LOG_LEVEL_INFO;
static char ident[64] = "pgha";

static const char *const level_names[LOG_LEVEL__COUNT] = {"ERROR", "WARNING", "INFO", "DEBUG"};

void log_set_level(enum log_level level)
{
	atomic_store(&current_level, (int)level);
}

enum log_level log_get_level(void)
{
	return (enum log_level)atomic_load(&current_level);
}

bool log_parse_level(const char *s, enum log_level *out)
{
	static const struct {
		const char *name;
		enum log_level level;
	} names[] = {{"error", LOG_LEVEL_ERROR},
	             {"warn", LOG_LEVEL_WARN},
	             {"warning", LOG_LEVEL_WARN},
	             {"info", LOG_LEVEL_INFO},
	             {"debug", LOG_LEVEL_DEBUG}};

	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		if (strcasecmp(s, names[i].name) == 0) {
			*out = names[i].level;
			return true;
		}
	}
	return false;
}

void log_set_ident(const char *id)
{
	snprintf(ident, sizeof(ident), "%s", id);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n;
	va_list ap;

	if ((int)level > atomic_load(&current_level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
	n +=
	    (size_t)snprintf(line + n, sizeof(line) - n, ".%03ld UTC %s %s: ", ts.tv_nsec / 1000000,
	                     ident, level_names[level]);
	va_start(ap, fmt);
	if (n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	n = strnlen(line, sizeof(line) - 2);
	line[n++] = '\n';
	/* One write() per line keeps lines from different threads whole. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}
