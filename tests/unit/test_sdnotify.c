/*
 * test_sdnotify.c: util/sdnotify against a real notification socket, as systemd
 * would hold it: an AF_UNIX datagram socket named by NOTIFY_SOCKET.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "util/sdnotify.h"

struct listener {
	char dir[64];
	char path[96];
	int fd;
};

static int setup(void **state)
{
	struct listener *l = calloc(1, sizeof(*l));
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	assert_non_null(l);
	strcpy(l->dir, "/tmp/pgha-sdnotify-XXXXXX");
	assert_non_null(mkdtemp(l->dir));
	assert_true(snprintf(l->path, sizeof(l->path), "%s/notify", l->dir) < (int)sizeof(l->path));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", l->path);
	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(l->fd >= 0);
	assert_int_equal(bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setenv("NOTIFY_SOCKET", l->path, 1);
	*state = l;
	return 0;
}

static int teardown(void **state)
{
	struct listener *l = *state;

	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	close(l->fd);
	unlink(l->path);
	rmdir(l->dir);
	free(l);
	return 0;
}

/* receive: the next datagram systemd would have read, or "" if none is queued. */
static void receive(const struct listener *l, char *out, size_t size)
{
	ssize_t n = recv(l->fd, out, size - 1, 0);

	out[n > 0 ? (size_t)n : 0] = '\0';
}

static void test_ready_sends_ready_and_status(void **state)
{
	const struct listener *l = *state;
	char msg[512];

	assert_int_equal(sdnotify_ready("serving on 127.0.0.1:8008"), SDNOTIFY_SENT);
	receive(l, msg, sizeof(msg));
	assert_string_equal(msg, "READY=1\nSTATUS=serving on 127.0.0.1:8008");
}

static void test_status_newlines_cannot_inject_assignments(void **state)
{
	const struct listener *l = *state;
	char msg[512];

	assert_int_equal(sdnotify_status("primary\nSTOPPING=1"), SDNOTIFY_SENT);
	receive(l, msg, sizeof(msg));
	assert_string_equal(msg, "STATUS=primary STOPPING=1");
	assert_int_equal(sdnotify_status(NULL), SDNOTIFY_SENT);
	receive(l, msg, sizeof(msg));
	assert_string_equal(msg, "STATUS=");
}

static void test_long_status_is_cut_not_overflowed(void **state)
{
	const struct listener *l = *state;
	char big[2048];
	char msg[4096];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(sdnotify_status(big), SDNOTIFY_SENT);
	receive(l, msg, sizeof(msg));
	assert_true(strncmp(msg, "STATUS=xxx", 10) == 0);
	assert_true(strlen(msg) < 300);
}

static void test_watchdog_and_stopping(void **state)
{
	const struct listener *l = *state;
	char msg[512];

	assert_int_equal(sdnotify_watchdog(), SDNOTIFY_SENT);
	receive(l, msg, sizeof(msg));
	assert_string_equal(msg, "WATCHDOG=1");
	assert_int_equal(sdnotify_stopping(), SDNOTIFY_SENT);
	receive(l, msg, sizeof(msg));
	assert_string_equal(msg, "STOPPING=1");
}

static void test_watchdog_usec_follows_the_environment(void **state)
{
	char pid[32];

	(void)state;
	assert_int_equal(sdnotify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "30000000", 1);
	assert_int_equal(sdnotify_watchdog_usec(), 30000000);
	/* A watchdog armed for another process (our parent) is not ours. */
	snprintf(pid, sizeof(pid), "%ld", (long)getppid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(sdnotify_watchdog_usec(), 0);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(sdnotify_watchdog_usec(), 30000000);
	setenv("WATCHDOG_USEC", "garbage", 1);
	assert_int_equal(sdnotify_watchdog_usec(), 0);
}

static void test_outside_systemd_is_a_no_op(void **state)
{
	const struct listener *l = *state;
	char msg[64];

	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(sdnotify_ready("x"), SDNOTIFY_NOT_SYSTEMD);
	assert_int_equal(sdnotify_watchdog(), SDNOTIFY_NOT_SYSTEMD);
	receive(l, msg, sizeof(msg));
	assert_string_equal(msg, "");
	assert_string_equal(sdnotify_result_str(SDNOTIFY_NOT_SYSTEMD), "not under systemd");
}

static void test_dead_socket_reports_failure_with_errno(void **state)
{
	const struct listener *l = *state;
	char gone[128];

	snprintf(gone, sizeof(gone), "%s/nobody-listens", l->dir);
	setenv("NOTIFY_SOCKET", gone, 1);
	errno = 0;
	assert_int_equal(sdnotify_ready("x"), SDNOTIFY_FAILED);
	assert_int_not_equal(errno, 0);
	assert_string_equal(sdnotify_result_str(SDNOTIFY_FAILED), "failed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ready_sends_ready_and_status, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_status_newlines_cannot_inject_assignments, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_long_status_is_cut_not_overflowed, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_watchdog_and_stopping, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_watchdog_usec_follows_the_environment, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_outside_systemd_is_a_no_op, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dead_socket_reports_failure_with_errno, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
