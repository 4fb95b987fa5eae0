/*
 * clock.c: CLOCK_BOOTTIME helpers and wall-time formatting.
 */
#include "util/clock.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

int64_t clock_now_ms(void)
{
	return clock_now_us() / 1000;
}

int64_t clock_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void clock_sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

	while (ms > 0 && nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

void clock_wall_iso8601(char *out, size_t size)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, size, "%s.%03ld+00:00", base, ts.tv_nsec / 1000000);
}

int64_t clock_wall_epoch_s(void)
{
	return (int64_t)time(NULL);
}
