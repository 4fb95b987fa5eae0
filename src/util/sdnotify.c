/*
 * sdnotify.c: sd_notify(3) messages for Type=notify units (see sdnotify.h).
 *
 * Keeps no state: libsystemd reads NOTIFY_SOCKET and WATCHDOG_USEC/WATCHDOG_PID on
 * every call, and the environment is left as it is (unset_environment = 0) because the
 * daemon notifies for its whole life. The units say NotifyAccess=main: PostgreSQL and
 * PgBouncer are built with libsystemd and would otherwise be able to report READY or
 * STOPPING on the agent's behalf.
 */
#include <errno.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>
#include "util/sdnotify.h"

/* Status lines are capped: systemd shows one line, and a long one is a bug upstream. */
#define SDNOTIFY_STATUS_MAX 256

static enum sdnotify_result send_state(const char *state)
{
	int r = sd_notify(0, state);

	if (r > 0)
		return SDNOTIFY_SENT;
	if (r == 0)
		return SDNOTIFY_NOT_SYSTEMD;
	errno = -r;
	return SDNOTIFY_FAILED;
}

/* A status line with newlines would start a second, unintended assignment. */
static void status_line(char *out, size_t size, const char *prefix, const char *status)
{
	int n = snprintf(out, size, "%sSTATUS=", prefix);
	size_t at = n > 0 ? (size_t)n : 0;

	for (const char *p = status ? status : ""; *p && at + 1 < size; p++)
		out[at++] = (*p == '\n' || *p == '\r') ? ' ' : *p;
	out[at < size ? at : size - 1] = '\0';
}

enum sdnotify_result sdnotify_ready(const char *status)
{
	char msg[SDNOTIFY_STATUS_MAX + 32];

	status_line(msg, sizeof(msg), "READY=1\n", status);
	return send_state(msg);
}

enum sdnotify_result sdnotify_status(const char *status)
{
	char msg[SDNOTIFY_STATUS_MAX + 32];

	status_line(msg, sizeof(msg), "", status);
	return send_state(msg);
}

enum sdnotify_result sdnotify_stopping(void)
{
	return send_state("STOPPING=1");
}

enum sdnotify_result sdnotify_watchdog(void)
{
	return send_state("WATCHDOG=1");
}

uint64_t sdnotify_watchdog_usec(void)
{
	uint64_t usec = 0;

	/* > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is this process. */
	if (sd_watchdog_enabled(0, &usec) > 0)
		return usec;
	return 0;
}

const char *sdnotify_result_str(enum sdnotify_result r)
{
	static const char *const names[] = {
	    [SDNOTIFY_SENT] = "sent",
	    [SDNOTIFY_NOT_SYSTEMD] = "not under systemd",
	    [SDNOTIFY_FAILED] = "failed",
	};

	return (unsigned)r < ARRAY_LEN(names) ? names[r] : "?";
}
