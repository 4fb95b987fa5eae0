/*
 * clock.h: time for durations and deadlines, and wall time for display.
 *
 * Every duration, lease and deadline in pgha is measured with clock_now_ms(), which
 * reads CLOCK_BOOTTIME: monotonic (a wall-clock step cannot move it) and it keeps
 * counting while the machine is suspended, so a deadline never looks further away
 * than it is. Wall time is only ever shown to people or written where Patroni's
 * formats require it.
 */
#ifndef PGHA_UTIL_CLOCK_H
#define PGHA_UTIL_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* clock_now_ms: milliseconds on CLOCK_BOOTTIME. */
int64_t clock_now_ms(void);
/* clock_now_us: microseconds on CLOCK_BOOTTIME, for benchmarks and timelines. */
int64_t clock_now_us(void);
/* clock_sleep_ms: sleeps, restarting after signals, for at least ms milliseconds. */
void clock_sleep_ms(int64_t ms);
/* clock_wall_iso8601: current wall time as "2026-01-02T03:04:05.678+00:00" into out. */
void clock_wall_iso8601(char *out, size_t size);
/* clock_wall_epoch_s: seconds since the epoch (for Patroni's dcs_last_seen etc.). */
int64_t clock_wall_epoch_s(void);

#endif
