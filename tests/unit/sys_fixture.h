/*
 * sys_fixture.h: what tests need of the system: a listening loopback socket on a port
 * the kernel picks (nobody answers unless the test does), and a temporary directory.
 * Header-only (static inline); include after cmocka.h.
 */
#ifndef PGHA_TESTS_SYS_FIXTURE_H
#define PGHA_TESTS_SYS_FIXTURE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include "util/fsutil.h"
#include "util/xalloc.h"

/* listener: a TCP socket on 127.0.0.1 (kernel-chosen port) that listens; *port set. */
static inline int listener(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* make_tmpdir: a fresh directory /tmp/pgha-test-XXXXXX (owned: remove_tmpdir). */
static inline char *make_tmpdir(void)
{
	char *dir = xstrdup("/tmp/pgha-test-XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

/* remove_tmpdir: dir and everything in it. */
static inline void remove_tmpdir(char *dir)
{
	assert_true(fs_rm_rf(dir));
	free(dir);
}

#endif
