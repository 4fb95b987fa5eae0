/*
 * sdnotify.h: telling systemd how a daemon is doing (readiness, status, watchdog).
 *
 * A thin wrapper over libsystemd's sd_notify(3) for `pgha agent` and `pgha router`
 * running as Type=notify units with WatchdogSec=. Outside systemd (no NOTIFY_SOCKET in
 * the environment) every call is a no-op that reports SDNOTIFY_NOT_SYSTEMD, so daemons
 * call these unconditionally. Library-like: nothing here logs; a failure leaves errno
 * set for the caller's message. Thread-safe (each call is one datagram).
 */
#ifndef PGHA_UTIL_SDNOTIFY_H
#define PGHA_UTIL_SDNOTIFY_H

#include <stdint.h>
#include "util/compiler.h"

enum sdnotify_result {
	SDNOTIFY_SENT = 0,        /* systemd got the message */
	SDNOTIFY_NOT_SYSTEMD = 1, /* not started by a notify-aware manager: nothing to do */
	SDNOTIFY_FAILED = 2,      /* the send failed; errno says why */
};

/*
 * sdnotify_ready: "READY=1" plus a one-line status. Call once the daemon serves
 * requests (the agent: its REST API is up; the router: its listeners are bound), never
 * before: systemd starts the units ordered after this one at that moment.
 */
enum sdnotify_result sdnotify_ready(const char *status);
/* sdnotify_status: "STATUS=..." shown by `systemctl status` (e.g. "primary, 2 replicas"). */
enum sdnotify_result sdnotify_status(const char *status);
/* sdnotify_stopping: "STOPPING=1", at the start of an orderly shutdown. */
enum sdnotify_result sdnotify_stopping(void);
/*
 * sdnotify_watchdog: "WATCHDOG=1". Call it from the loop whose progress proves the
 * daemon is alive, at least every sdnotify_watchdog_usec() / 2 microseconds.
 */
enum sdnotify_result sdnotify_watchdog(void);
/*
 * sdnotify_watchdog_usec: the watchdog period systemd expects for this process
 * (WatchdogSec=), or 0 when no watchdog is armed for it (including outside systemd).
 */
uint64_t sdnotify_watchdog_usec(void);
/* sdnotify_result_str: "sent", "not under systemd", "failed". */
const char *sdnotify_result_str(enum sdnotify_result r);

#endif
