/*
 * test_router_guard.c: what the router does at its door, without a socket loop: the
 * first message of a client (router_wire.h), the ErrorResponse it sends, the count of
 * sessions per client address and the TCP keepalive options (router_limits.h), and
 * where the etcd password may come from (router_config.h). The sessions themselves are
 * tested against real clients and backends in tests/integration/t/42_router_hostile.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "router/router_config.h"
#include "router/router_limits.h"
#include "router/router_wire.h"
#include "sys_fixture.h"
#include "util/compiler.h"
#include "util/envsecret.h"

/* --- the first message -------------------------------------------------------------------- */

static void test_wire_classify(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
		enum wire_first want;
	} cases[] = {
	    {"", 0, WIRE_NEED_MORE},
	    {"\x00\x00\x00", 3, WIRE_NEED_MORE},
	    /* StartupMessage, protocol 3.0 and 3.2; 2.0 goes on (the server refuses it) */
	    {"\x00\x00\x00\x29\x00\x03\x00\x00user", 12, WIRE_STARTUP},
	    {"\x00\x00\x00\x29\x00\x03\x00\x02", 8, WIRE_STARTUP},
	    {"\x00\x00\x01\x00\x00\x02\x00\x00", 8, WIRE_STARTUP},
	    {"\x00\x00\x00\x08\x04\xd2\x16\x2f", 8, WIRE_SSL},
	    {"\x00\x00\x00\x08\x04\xd2\x16\x30", 8, WIRE_GSSENC},
	    {"\x00\x00\x00\x10\x04\xd2\x16\x2e\x00\x00\x30\x39\x12\x34\x56\x78", 16, WIRE_CANCEL},
	    {"\x00\x00\x00\x10\x04\xd2\x16\x2e\x00\x00", 10, WIRE_NEED_MORE},
	    {"\x16\x03\x01\x02\x00\x01", 6, WIRE_DIRECT_TLS},
	    {"\x16", 1, WIRE_NEED_MORE},
	    /* refused: wrong lengths for the special codes, lengths out of range, other protocols
	     */
	    {"\x00\x00\x00\x0c\x04\xd2\x16\x2f", 8, WIRE_BAD},
	    {"\x00\x00\x00\x08\x04\xd2\x16\x2e", 8, WIRE_BAD},
	    {"\x00\x00\x00\x04\x00\x03\x00\x00", 8, WIRE_BAD},
	    {"\x00\x00\x27\x11\x00\x03\x00\x00", 8, WIRE_BAD}, /* 10001 bytes */
	    {"\x00\x00\x00\x29\x00\x04\x00\x00", 8, WIRE_BAD},
	    {"GET / HTTP/1.1\r\n", 16, WIRE_BAD},
	    {"\x16\x02", 2, WIRE_BAD},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		enum wire_first got =
		    wire_classify((const unsigned char *)cases[i].bytes, cases[i].len);

		if (got != cases[i].want)
			fail_msg("case %zu: got %d, want %d", i, got, cases[i].want);
	}
	assert_true(wire_may_encrypt(WIRE_SSL) && wire_may_encrypt(WIRE_GSSENC) &&
	            wire_may_encrypt(WIRE_DIRECT_TLS));
	assert_false(wire_may_encrypt(WIRE_STARTUP));
}

/* An ErrorResponse as PostgreSQL sends one: 'E', length, S V C M fields, NUL. */
static void test_wire_error(void **state)
{
	static const char want[] = "E\x00\x00\x00\x33"
	                           "SFATAL\0VFATAL\0C57P03\0Mno primary is available\0";
	char out[WIRE_ERROR_MAX];
	char long_msg[1000];
	size_t n;

	(void)state;
	n = wire_error(out, sizeof(out), "57P03", "no primary is available");
	assert_int_equal(n, sizeof(want)); /* the final NUL of want is the terminator */
	assert_memory_equal(out, want, n);
	/* The length field counts itself and everything after the type byte. */
	assert_int_equal(((unsigned char)out[4] | (unsigned char)out[3] << 8) + 1, n);
	/* A long message is cut, never overflows; a buffer too small gives nothing. */
	memset(long_msg, 'x', sizeof(long_msg) - 1);
	long_msg[sizeof(long_msg) - 1] = '\0';
	n = wire_error(out, sizeof(out), "08006", long_msg);
	assert_true(n > 400 && n <= sizeof(out));
	assert_int_equal(out[n - 1], '\0');
	assert_int_equal(wire_error(out, 20, "08006", "too long for 20 bytes"), 0);
	assert_int_equal(wire_error(out, 3, "08006", ""), 0);
}

/* --- sessions per address ------------------------------------------------------------------- */

static struct sockaddr_storage v4(const char *text)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;

	a->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, text, &a->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage v6(const char *text)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

	a->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, text, &a->sin6_addr), 1);
	return ss;
}

static void test_addr_table(void **state)
{
	struct addr_table t;
	struct addr_count *c[4], *other, *none;
	struct sockaddr_storage a = v4("10.0.0.2"), mapped = v6("::ffff:10.0.0.2");
	struct sockaddr_storage b = v6("fd00::3"), unix_sa = {.ss_family = AF_UNIX};

	(void)state;
	addr_table_init(&t);
	assert_true(addr_table_acquire(&t, &a, 3, &c[0]));
	assert_true(addr_table_acquire(&t, &mapped, 3, &c[1])); /* the same host */
	assert_true(addr_table_acquire(&t, &a, 3, &c[2]));
	assert_ptr_equal(c[0], c[1]);
	assert_int_equal(addr_count_value(c[0]), 3);
	assert_false(addr_table_acquire(&t, &a, 3, &c[3]));
	assert_null(c[3]);
	assert_true(addr_table_acquire(&t, &b, 3, &other)); /* others are not affected */
	assert_int_equal(t.n, 2);
	addr_table_release(&t, c[2]);
	assert_true(addr_table_acquire(&t, &a, 3, &c[3]));
	/* No limit, or no address to count: counted nowhere. */
	assert_true(addr_table_acquire(&t, &a, 0, &none));
	assert_null(none);
	assert_true(addr_table_acquire(&t, &unix_sa, 3, &none));
	assert_null(none);
	addr_table_release(&t, NULL);
	for (int i = 0; i < 2; i++)
		addr_table_release(&t, c[i]);
	addr_table_release(&t, c[3]);
	addr_table_release(&t, other);
	assert_int_equal(t.n, 0);
	addr_table_free(&t);
}

/* Many addresses: the table grows, each keeps its own count, all go away. */
static void test_addr_table_many(void **state)
{
	enum {
		N = 5000
	};
	struct addr_table t;
	static struct addr_count *c[N];
	char text[32];

	(void)state;
	addr_table_init(&t);
	for (int i = 0; i < N; i++) {
		struct sockaddr_storage a;

		snprintf(text, sizeof(text), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		a = v4(text);
		assert_true(addr_table_acquire(&t, &a, 1, &c[i]));
		assert_false(addr_table_acquire(&t, &a, 1, &(struct addr_count *){NULL}));
	}
	assert_int_equal(t.n, N);
	assert_true(t.n_buckets >= N);
	for (int i = 0; i < N; i++)
		addr_table_release(&t, c[i]);
	assert_int_equal(t.n, 0);
	addr_table_free(&t);
}

static int sockopt(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	assert_int_equal(getsockopt(fd, level, name, &v, &len), 0);
	return v;
}

static void test_keepalive(void **state)
{
	struct keepalive on = {.on = true, .idle_s = 45, .interval_s = 7, .count = 4};
	struct keepalive off = {.on = false};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	assert_true(keepalive_apply(fd, &on));
	assert_int_equal(sockopt(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
	assert_int_equal(sockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE), 45);
	assert_int_equal(sockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL), 7);
	assert_int_equal(sockopt(fd, IPPROTO_TCP, TCP_KEEPCNT), 4);
	assert_true(keepalive_apply(fd, &off));
	assert_int_equal(sockopt(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
	close(fd);
}

/* --- configuration ----------------------------------------------------------------------- */

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

/* load: router.yml with text (after scope and etcd3.hosts), written with mode. */
static bool load(const char *dir, const char *text, mode_t mode, struct router_config *c, char *err,
                 size_t errlen)
{
	char path[256];
	char *yml;
	bool ok;

	snprintf(path, sizeof(path), "%s/router.yml", dir);
	yml = xasprintf("scope: s\netcd3:\n  hosts: a:1\n%s", text);
	write_file(path, yml, mode);
	free(yml);
	ok = router_config_load(c, path, err, errlen);
	unlink(path);
	return ok;
}

static void test_config_new_keys(void **state)
{
	char *dir = make_tmpdir();
	struct router_config c;
	char err[512];

	(void)state;
	assert_true(load(dir, "", 0644, &c, err, sizeof(err)));
	assert_int_equal(c.login_timeout_ms, 10000);
	assert_int_equal(c.idle_timeout_ms, 0);
	assert_int_equal(c.max_clients_per_address, 1000);
	assert_true(c.tcp_keepalive);
	assert_int_equal(c.tcp_keepidle_s, 60);
	assert_int_equal(c.tcp_keepintvl_s, 10);
	assert_int_equal(c.tcp_keepcnt, 6);
	assert_true(load(dir,
	                 "router:\n  login_timeout: 2.5\n  client_idle_timeout: 600\n"
	                 "  max_clients_per_address: 0\n  tcp_keepalive: off\n  tcp_keepidle: 5\n"
	                 "  tcp_keepintvl: 2\n  tcp_keepcnt: 3\n",
	                 0644, &c, err, sizeof(err)));
	assert_int_equal(c.login_timeout_ms, 2500);
	assert_int_equal(c.idle_timeout_ms, 600000);
	assert_int_equal(c.max_clients_per_address, 0);
	assert_false(c.tcp_keepalive);
	assert_int_equal(c.tcp_keepcnt, 3);
	assert_false(load(dir, "router:\n  tcp_keepcnt: 0\n", 0644, &c, err, sizeof(err)));
	assert_non_null(strstr(err, "router.tcp_keepcnt: 0 is out of range"));
	assert_false(
	    load(dir, "router:\n  max_clients_per_address: -1\n", 0644, &c, err, sizeof(err)));
	remove_tmpdir(dir);
}

/*
 * The etcd password: never from a file others can read (router.yml must often be
 * 0644), from router.etcd_password_file (0600) or PATRONI_ETCD3_PASSWORD, which wins.
 */
static void test_config_etcd_password_sources(void **state)
{
	char *dir = make_tmpdir();
	char pwfile[256], text[512];
	struct router_config c;
	char err[512];

	(void)state;
	assert_false(load(dir, "  password: s3cret\n", 0644, &c, err, sizeof(err)));
	assert_non_null(strstr(err, "etcd3.password:"));
	assert_non_null(strstr(err, "is readable by others (mode 0644)"));
	assert_true(
	    load(dir, "  username: router\n  password: s3cret\n", 0600, &c, err, sizeof(err)));
	assert_string_equal(c.etcd_password, "s3cret");
	snprintf(pwfile, sizeof(pwfile), "%s/etcd-password", dir);
	snprintf(text, sizeof(text), "  username: router\nrouter:\n  etcd_password_file: %s\n",
	         pwfile);
	write_file(pwfile, "from-file\n", 0600);
	assert_true(load(dir, text, 0644, &c, err, sizeof(err)));
	assert_string_equal(c.etcd_password, "from-file");
	write_file(pwfile, "from-file\n", 0640);
	assert_false(load(dir, text, 0644, &c, err, sizeof(err)));
	assert_non_null(strstr(err, "is readable by others (mode 0640): chmod 600 it"));
	write_file(pwfile, "\n", 0600);
	assert_false(load(dir, text, 0644, &c, err, sizeof(err)));
	assert_non_null(strstr(err, "is empty"));
	unlink(pwfile);
	assert_false(load(dir, text, 0644, &c, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot read"));
	snprintf(text, sizeof(text), "  password: x\nrouter:\n  etcd_password_file: %s\n", pwfile);
	assert_false(load(dir, text, 0600, &c, err, sizeof(err)));
	assert_non_null(strstr(err, "keep one"));
	/* Patroni's variables win (taken out of the environment at start, as pgha does). */
	setenv("PATRONI_ETCD3_USERNAME", "env-user", 1);
	setenv("PATRONI_ETCD3_PASSWORD", "env-secret", 1);
	envsecret_take();
	assert_true(
	    load(dir, "  username: router\n  password: s3cret\n", 0600, &c, err, sizeof(err)));
	assert_string_equal(c.etcd_username, "env-user");
	assert_string_equal(c.etcd_password, "env-secret");
	remove_tmpdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wire_classify),
	    cmocka_unit_test(test_wire_error),
	    cmocka_unit_test(test_addr_table),
	    cmocka_unit_test(test_addr_table_many),
	    cmocka_unit_test(test_keepalive),
	    cmocka_unit_test(test_config_new_keys),
	    cmocka_unit_test(test_config_etcd_password_sources),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
