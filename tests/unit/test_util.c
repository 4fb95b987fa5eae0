/*
 * test_util.c: util/ (strings, numbers, LSNs, base64, buffers, files, processes, the
 * table-driven option parser).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "util/args.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/compiler.h"
#include "util/cgroup.h"
#include "util/envsecret.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/iso8601.h"
#include "util/netaddr.h"
#include "util/proc.h"
#include "util/shellwords.h"
#include "util/strutil.h"
#include "util/xalloc.h"

static void test_str_copy_reports_truncation(void **state)
{
	char small[4];

	(void)state;
	assert_true(str_copy(small, sizeof(small), "abc"));
	assert_string_equal(small, "abc");
	assert_false(str_copy(small, sizeof(small), "abcd"));
	assert_string_equal(small, "abc");
}

static void test_parse_numbers(void **state)
{
	int64_t v;
	int i;
	bool b;

	(void)state;
	assert_true(str_parse_i64("-42", &v));
	assert_int_equal(v, -42);
	assert_false(str_parse_i64("", &v));
	assert_false(str_parse_i64(" 1", &v));
	assert_false(str_parse_i64("12x", &v));
	assert_false(str_parse_i64("99999999999999999999", &v));
	assert_false(str_parse_int("3000000000", &i));
	assert_true(str_parse_bytes("16kB", &v));
	assert_int_equal(v, 16384);
	assert_true(str_parse_bytes("10MB", &v));
	assert_int_equal(v, 10485760);
	assert_true(str_parse_bytes("1048576", &v));
	assert_int_equal(v, 1048576);
	assert_false(str_parse_bytes("10mb", &v));
	assert_false(str_parse_bytes("-1", &v));
	assert_true(str_parse_bool("ON", &b) && b);
	assert_true(str_parse_bool("no", &b) && !b);
	assert_false(str_parse_bool("maybe", &b));
}

static void test_lsn_round_trip(void **state)
{
	uint64_t lsn;
	char text[32];

	(void)state;
	assert_true(str_parse_lsn("1/A0000028", &lsn));
	assert_int_equal(lsn, 0x1A0000028ULL);
	str_format_lsn(lsn, text, sizeof(text));
	assert_string_equal(text, "1/A0000028");
	assert_false(str_parse_lsn("1/G", &lsn));
	assert_false(str_parse_lsn("1/2 ", &lsn));
}

static void test_hostport(void **state)
{
	char host[64];
	int port;

	(void)state;
	assert_true(str_split_hostport("127.0.0.1:5432", host, sizeof(host), &port));
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 5432);
	assert_true(str_split_hostport("[::1]:8008", host, sizeof(host), &port));
	assert_string_equal(host, "::1");
	assert_false(str_split_hostport("host", host, sizeof(host), &port));
	assert_false(str_split_hostport("host:0", host, sizeof(host), &port));
	assert_false(str_split_hostport("host:70000", host, sizeof(host), &port));
}

static void expect_addr(const char *hostport, enum netaddr_use use, int family, const char *ip,
                        int port, bool any)
{
	struct netaddr a;
	char err[256] = "";
	char text[INET6_ADDRSTRLEN];
	const void *raw;

	if (!netaddr_resolve(hostport, use, &a, err, sizeof(err)))
		fail_msg("%s: %s", hostport, err);
	assert_int_equal(a.sa.ss_family, family);
	assert_int_equal(a.len, family == AF_INET ? sizeof(struct sockaddr_in)
	                                          : sizeof(struct sockaddr_in6));
	raw = family == AF_INET ? (const void *)&((struct sockaddr_in *)&a.sa)->sin_addr
	                        : (const void *)&((struct sockaddr_in6 *)&a.sa)->sin6_addr;
	assert_non_null(inet_ntop(family, raw, text, sizeof(text)));
	assert_string_equal(text, ip);
	assert_int_equal(netaddr_port(&a), port);
	assert_int_equal(netaddr_is_v6(&a), family == AF_INET6);
	assert_int_equal(netaddr_is_any(&a), any);
}

static void test_netaddr(void **state)
{
	struct netaddr a;
	char err[256];

	(void)state;
	expect_addr("127.0.0.1:5432", NETADDR_LISTEN, AF_INET, "127.0.0.1", 5432, false);
	expect_addr("0.0.0.0:5432", NETADDR_LISTEN, AF_INET, "0.0.0.0", 5432, true);
	expect_addr("[::1]:8008", NETADDR_LISTEN, AF_INET6, "::1", 8008, false);
	expect_addr("[::]:8008", NETADDR_LISTEN, AF_INET6, "::", 8008, true);
	/* Every address, IPv4 mapped in: "*" and an empty host. */
	expect_addr("*:8008", NETADDR_LISTEN, AF_INET6, "::", 8008, true);
	expect_addr(":8008", NETADDR_LISTEN, AF_INET6, "::", 8008, true);
	/* A name with both families listens on its IPv4 address. */
	expect_addr("localhost:1", NETADDR_LISTEN, AF_INET, "127.0.0.1", 1, false);
	expect_addr("10.1.2.3:6432", NETADDR_CONNECT, AF_INET, "10.1.2.3", 6432, false);
	expect_addr("[fe80::1]:6432", NETADDR_CONNECT, AF_INET6, "fe80::1", 6432, false);
	assert_false(netaddr_resolve("127.0.0.1", NETADDR_LISTEN, &a, err, sizeof(err)));
	assert_string_equal(err, "\"127.0.0.1\" is not host:port");
	assert_false(netaddr_resolve("127.0.0.1:0", NETADDR_CONNECT, &a, err, sizeof(err)));
	assert_false(netaddr_resolve("[::1:80", NETADDR_LISTEN, &a, err, sizeof(err)));
	assert_false(netaddr_resolve(NULL, NETADDR_LISTEN, &a, err, sizeof(err)));
}

static void test_b64(void **state)
{
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const coded[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
	                                    "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		char *e = b64_encode(plain[i], strlen(plain[i]));
		char *d = b64_decode(coded[i], &len);

		assert_string_equal(e, coded[i]);
		assert_non_null(d);
		assert_int_equal(len, strlen(plain[i]));
		assert_string_equal(d, plain[i]);
		free(e);
		free(d);
	}
	assert_null(b64_decode("Zm9", &len));
	assert_null(b64_decode("Zm=v", &len));
	assert_null(b64_decode("Z===", &len));
	assert_null(b64_decode("Zg==Zg==", &len));
	assert_null(b64_decode("Zm9*", &len));
}

static void test_buf(void **state)
{
	struct buf b;
	char *s;

	(void)state;
	buf_init(&b);
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	assert_true(b.len > 1000);
	assert_int_equal(strlen(b.data), b.len);
	assert_true(strncmp(b.data, "0,1,2,", 6) == 0);
	s = buf_steal(&b);
	assert_int_equal(b.len, 0);
	free(s);
	buf_free(&b);
}

static void test_files(void **state)
{
	char dir[] = "/tmp/pgha-test-XXXXXX";
	char *path, *data;
	size_t len;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/a/b/c", dir);
	assert_true(fs_mkdir_p(path, 0700));
	assert_true(fs_is_dir(path));
	free(path);
	path = xasprintf("%s/a/file", dir);
	assert_true(fs_write_atomic(path, "hello", 5, 0600));
	data = fs_read_file(path, &len);
	assert_non_null(data);
	assert_int_equal(len, 5);
	assert_string_equal(data, "hello");
	free(data);
	assert_true(fs_same_file(path, path));
	assert_false(fs_same_file(path, dir));
	assert_false(fs_same_file(path, "/nonexistent"));
	free(path);
	{ /* another spelling of the same directory */
		char *a = xasprintf("%s/a/../a/./b", dir);
		char *b = xasprintf("%s/a/b", dir);

		assert_true(fs_same_file(a, b));
		free(a);
		free(b);
	}
	assert_true(fs_rm_rf(dir));
	assert_false(fs_exists(dir));
	assert_true(fs_rm_rf(dir)); /* missing is fine */
}

static void test_proc_run_and_stop(void **state)
{
	const char *const echo[] = {"/bin/echo", "hi", NULL};
	const char *const fail[] = {"/bin/false", NULL};
	const char *const sleeper[] = {"/bin/sleep", "30", NULL};
	const char *const missing[] = {"/nonexistent/x", NULL};
	struct proc_spec spec = {.argv = echo, .stdin_null = true};
	struct buf out;
	char err[256];
	pid_t pid;

	(void)state;
	buf_init(&out);
	assert_true(proc_run(&spec, 5000, &out, err, sizeof(err)));
	assert_string_equal(out.data, "hi\n");
	buf_free(&out);
	spec.argv = fail;
	assert_false(proc_run(&spec, 5000, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "exited with status 1"));
	spec.argv = missing;
	assert_int_equal(proc_spawn(&spec, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	spec.argv = sleeper;
	pid = proc_spawn(&spec, err, sizeof(err));
	assert_true(pid > 0);
	assert_true(proc_alive(pid));
	assert_true(proc_stop(pid, SIGTERM, 5000));
	assert_false(proc_alive(pid));
	spec.argv = sleeper;
	assert_false(proc_run(&spec, 100, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "timed out"));
}

/* Which variables are pgha's own, and which no child inherits. */
static void test_envsecret_patterns(void **state)
{
	static const struct {
		const char *entry;
		bool own, withheld;
	} cases[] = {
	    {"PATRONI_SUPERUSER_PASSWORD=x", true, true},
	    {"PATRONI_admin_PASSWORD=x", true, true}, /* Patroni's bootstrap users */
	    {"PATRONI_ETCD3_PASSWORD", true, true},
	    {"PATRONI_NAME=n1", true, true}, /* Patroni strips all of its variables */
	    {"PGHA_REST_PASSWORD=x", true, true},
	    {"PGPASSWORD=x", true, true},
	    {"CREDENTIALS_DIRECTORY=/run/credentials/x", false, true},
	    {"PGPASSWORDX=x", false, false},
	    {"PGPASSFILE=/etc/pgha/pgpass", false, false},
	    {"XPATRONI_A=1", false, false},
	    {"patroni_a=1", false, false},
	    {"PATH=/usr/bin", false, false},
	    {"LANG=C.UTF-8", false, false},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(envsecret_is_own(cases[i].entry), cases[i].own);
		assert_int_equal(envsecret_withheld(cases[i].entry), cases[i].withheld);
	}
}

/*
 * The secrets leave the environment (the value stays readable through envsecret_get),
 * and a child sees none of them, whether taken or set later; it gets the rest and the
 * entries given to it explicitly.
 */
static void test_envsecret_take_and_children(void **state)
{
	const char *const env_argv[] = {"/usr/bin/env", NULL};
	const char *const extra[] = {"PGPASSFILE=/tmp/pgpass", NULL};
	struct proc_spec spec = {.argv = env_argv, .env = extra, .stdin_null = true};
	struct buf out;
	char err[256];

	(void)state;
	setenv("PATRONI_SUPERUSER_PASSWORD", "s3cret-su", 1);
	setenv("PGHA_REST_PASSWORD", "s3cret-rest", 1);
	setenv("PATRONI_REPLICATION_USERNAME", "repl", 1);
	setenv("HARDEN_TEST_PLAIN", "visible", 1);
	envsecret_take();
	assert_null(getenv("PATRONI_SUPERUSER_PASSWORD"));
	assert_null(getenv("PGHA_REST_PASSWORD"));
	assert_string_equal(envsecret_get("PATRONI_SUPERUSER_PASSWORD"), "s3cret-su");
	assert_string_equal(envsecret_get("PGHA_REST_PASSWORD"), "s3cret-rest");
	assert_string_equal(envsecret_get("PATRONI_REPLICATION_USERNAME"), "repl");
	assert_null(envsecret_get("PATRONI_SUPERUSER"));
	assert_string_equal(envsecret_get("HARDEN_TEST_PLAIN"), "visible");
	/* Set after the take (a library, a test): still never inherited. */
	setenv("PGHA_LATE_SECRET", "late", 1);
	setenv("PGPASSWORD", "libpq-secret", 1);
	setenv("CREDENTIALS_DIRECTORY", "/run/credentials/x", 1);
	buf_init(&out);
	assert_true(proc_run(&spec, 5000, &out, err, sizeof(err)));
	assert_non_null(strstr(out.data, "HARDEN_TEST_PLAIN=visible\n"));
	assert_non_null(strstr(out.data, "PGPASSFILE=/tmp/pgpass\n"));
	assert_non_null(strstr(out.data, "PATH="));
	assert_null(strstr(out.data, "s3cret"));
	assert_null(strstr(out.data, "PATRONI_"));
	assert_null(strstr(out.data, "PGHA_"));
	assert_null(strstr(out.data, "PGPASSWORD"));
	assert_null(strstr(out.data, "libpq-secret"));
	assert_null(strstr(out.data, "CREDENTIALS_DIRECTORY"));
	buf_free(&out);
	unsetenv("PGHA_LATE_SECRET");
	unsetenv("PGPASSWORD");
	unsetenv("CREDENTIALS_DIRECTORY");
	unsetenv("HARDEN_TEST_PLAIN");
}

/*
 * A child starts with every signal at its default and none blocked, whatever this
 * process inherited (nohup and shell background jobs ignore SIGHUP, SIGINT, SIGQUIT):
 * else a reload's SIGHUP or a fence's SIGQUIT would be lost on it.
 */
static void test_proc_child_signals_reset(void **state)
{
	const char *const status[] = {"/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status",
	                              NULL};
	struct proc_spec spec = {.argv = status, .stdin_null = true};
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_hup, old_quit;
	sigset_t block, old_mask;
	struct buf out;
	char err[256];
	unsigned long long blocked, ignored;
	bool ran;

	(void)state;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGHUP, &ign, &old_hup);
	sigaction(SIGQUIT, &ign, &old_quit);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	buf_init(&out);
	ran = proc_run(&spec, 5000, &out, err, sizeof(err));
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	assert_true(ran);
	/* Signals 1-31 (bits 0-30): glibc reserves 32 and 33 and refuses to touch them. */
	assert_int_equal(sscanf(out.data, "SigBlk: %llx SigIgn: %llx", &blocked, &ignored), 2);
	assert_int_equal(blocked & 0x7fffffffULL, 0);
	assert_int_equal(ignored & 0x7fffffffULL, 0);
	buf_free(&out);
}

/* The options struct of the parser's test. */
struct opts {
	bool flag;
	const char *str;
	int num;
	bool num_given;
	int even;
};

static bool parse_even(const char *arg, void *field, char *err, size_t errlen)
{
	if (str_parse_int(arg, field) && *(int *)field % 2 == 0)
		return true;
	snprintf(err, errlen, "--even: '%s' is not even", arg);
	return false;
}

static const struct arg_opt opts[] = {
    ARG_FLAG_OPT("flag", 'f', offsetof(struct opts, flag)),
    ARG_STR_OPT("str", 's', offsetof(struct opts, str), 0),
    ARG_INT_OPT("num", offsetof(struct opts, num), 1, 9, ARG_SEEN(struct opts, num_given)),
    ARG_CUSTOM_OPT("even", 0, offsetof(struct opts, even), parse_even, 0),
};

#define ARGV(...) ((char *[]){"cmd", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){"cmd", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(o, rest, err, ...)                                                        \
	(memset(o, 0, sizeof(*o)), args_parse(opts, ARRAY_LEN(opts), ARGC(__VA_ARGS__), \
	                                      ARGV(__VA_ARGS__), o, rest, err, sizeof(err)))

static void test_args(void **state)
{
	struct opts o;
	char err[128];
	int rest = -1;

	(void)state;
	assert_int_equal(PARSE(&o, NULL, err, "-f", "--str=x", "--num", "3", "--even", "4"),
	                 ARGS_OK);
	assert_true(o.flag);
	assert_string_equal(o.str, "x");
	assert_int_equal(o.num, 3);
	assert_true(o.num_given);
	assert_int_equal(o.even, 4);
	assert_int_equal(PARSE(&o, NULL, err, "-s", "y"), ARGS_OK);
	assert_string_equal(o.str, "y");
	assert_false(o.flag || o.num_given);
	/* positional arguments, options after them included */
	assert_int_equal(PARSE(&o, &rest, err, "a", "-f", "b"), ARGS_OK);
	assert_true(o.flag);
	assert_int_equal(rest, 2); /* argv permuted: cmd -f a b */
	assert_int_equal(PARSE(&o, &rest, err, "-h"), ARGS_HELP);
	assert_int_equal(PARSE(&o, NULL, err, "--help"), ARGS_HELP);
}

static void test_args_errors(void **state)
{
	struct opts o;
	char err[128];

	(void)state;
	assert_int_equal(PARSE(&o, NULL, err, "--num", "10"), ARGS_ERROR);
	assert_string_equal(err, "--num: expected an integer from 1 to 9, got '10'");
	assert_int_equal(PARSE(&o, NULL, err, "--num", "2x"), ARGS_ERROR);
	assert_int_equal(PARSE(&o, NULL, err, "--num"), ARGS_ERROR);
	assert_string_equal(err, "option --num needs a value");
	assert_int_equal(PARSE(&o, NULL, err, "--bogus"), ARGS_ERROR);
	assert_string_equal(err, "cmd does not take option --bogus");
	assert_int_equal(PARSE(&o, NULL, err, "-x"), ARGS_ERROR);
	assert_non_null(strstr(err, "does not take option"));
	assert_int_equal(PARSE(&o, NULL, err, "--even", "3"), ARGS_ERROR);
	assert_string_equal(err, "--even: '3' is not even");
	assert_int_equal(PARSE(&o, NULL, err, "stray"), ARGS_ERROR);
	assert_string_equal(err, "unexpected argument 'stray'");
	assert_int_equal(PARSE(&o, NULL, err, "--flag=1"), ARGS_ERROR);
}

static void test_err_buffer(void **state)
{
	char err[16] = "";
	char tiny[8];

	(void)state;
	err_set(NULL, 0, "ignored %d", 1); /* no buffer: nothing happens */
	err_set(err, 0, "ignored");
	assert_string_equal(err, "");
	err_set(err, sizeof(err), "a %s", "b");
	assert_string_equal(err, "a b");
	err_append(err, sizeof(err), "c");
	assert_string_equal(err, "a b; c");
	err_append(err, sizeof(err), "a long tail");
	assert_string_equal(err, "a b; c; a long "); /* truncated, still terminated */
	err_append(err, sizeof(err), "more");
	assert_string_equal(err, "a b; c; a long ");
	tiny[0] = '\0';
	err_append(tiny, sizeof(tiny), "first");
	assert_string_equal(tiny, "first"); /* no separator before the first */
	err_set(tiny, sizeof(tiny), "0123456789");
	assert_string_equal(tiny, "0123456");
}

/* --- ISO 8601 --------------------------------------------------------------------------- */

#define T2026 1767225600000LL /* 2026-01-01T00:00:00Z in ms */

static void expect_iso(const char *text, enum iso8601_result want, int64_t want_ms)
{
	int64_t got = -12345;
	enum iso8601_result r = iso8601_parse(text, &got);

	if (r != want)
		fail_msg("\"%s\": result %d, want %d", text, r, want);
	if (want == ISO8601_INVALID && got != -12345)
		fail_msg("\"%s\": refused but wrote %lld", text, (long long)got);
	if (want != ISO8601_INVALID && got != want_ms)
		fail_msg("\"%s\": %lld ms, want %lld", text, (long long)got, (long long)want_ms);
}

static void test_iso8601_forms(void **state)
{
	(void)state;
	expect_iso("2026-01-01T00:00:00Z", ISO8601_ZONED, T2026);
	expect_iso("2026-01-01t00:00:00z", ISO8601_ZONED, T2026);
	expect_iso("2026-01-01 00:00:00Z", ISO8601_ZONED, T2026);
	expect_iso("1970-01-01T00:00:00Z", ISO8601_ZONED, 0);
	expect_iso("1969-12-31T23:59:59Z", ISO8601_ZONED, -1000);
	/* Without a zone the text is read as UTC; the caller decides what it means. */
	expect_iso("2026-01-01T00:00:00", ISO8601_NO_ZONE, T2026);
	expect_iso("2026-01-01T00:00", ISO8601_NO_ZONE, T2026);
	expect_iso("2026-01-01", ISO8601_NO_ZONE, T2026);
	expect_iso("2026-01-01Z", ISO8601_ZONED, T2026);
	/* Python's isoformat() with microseconds, as Patroni writes scheduled_at. */
	expect_iso("2026-01-01T00:00:00.123456+00:00", ISO8601_ZONED, T2026 + 123);
}

static void test_iso8601_offsets(void **state)
{
	static const char *const bad[] = {
	    "+24:00",  "+01:60", "+1", "+2:00", "+01:", "+01:0",     "+013",   "+01000",
	    " +01:00", "UTC",    "ZZ", "Zjunk", "+",    "-01:00:00", "+01:00Z"};

	(void)state;
	expect_iso("2026-01-01T00:00:00+00:00", ISO8601_ZONED, T2026);
	expect_iso("2026-01-01T00:00:00-00:00", ISO8601_ZONED, T2026);
	expect_iso("2026-01-01T02:00:00+02:00", ISO8601_ZONED, T2026);
	expect_iso("2026-01-01T02:00:00+0200", ISO8601_ZONED, T2026);
	expect_iso("2026-01-01T02:00:00+02", ISO8601_ZONED, T2026);
	expect_iso("2026-01-01 01:30+0130", ISO8601_ZONED, T2026);
	expect_iso("2025-12-31T23:00:00-01", ISO8601_ZONED, T2026);
	expect_iso("2025-12-31T19:15:00-04:45", ISO8601_ZONED, T2026);
	expect_iso("2026-01-01T23:59:00+23:59", ISO8601_ZONED, T2026);
	expect_iso("2025-12-31T00:01:00-23:59", ISO8601_ZONED, T2026);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[64];

		snprintf(text, sizeof(text), "2026-01-01T00:00:00%s", bad[i]);
		expect_iso(text, ISO8601_INVALID, 0);
	}
}

static void test_iso8601_fractions(void **state)
{
	static const char *const bad[] = {"2026-01-01T00:00:00.Z",      "2026-01-01T00:00:00.",
	                                  "2026-01-01T00:00:00.+01:00", "2026-01-01T00:00.5Z",
	                                  "2026-01-01T00:00:00.5.5Z",   "2026-01-01T00:00:00,Z"};

	(void)state;
	expect_iso("2026-01-01T00:00:00.5Z", ISO8601_ZONED, T2026 + 500);
	expect_iso("2026-01-01T00:00:00,5Z", ISO8601_ZONED, T2026 + 500);
	expect_iso("2026-01-01T00:00:00.05Z", ISO8601_ZONED, T2026 + 50);
	expect_iso("2026-01-01T00:00:00.001Z", ISO8601_ZONED, T2026 + 1);
	expect_iso("2026-01-01T00:00:00.0009Z", ISO8601_ZONED, T2026); /* truncated */
	expect_iso("2026-01-01T00:00:00.999999999Z", ISO8601_ZONED, T2026 + 999);
	expect_iso("2026-01-01T00:00:00.5", ISO8601_NO_ZONE, T2026 + 500);
	/* A fraction needs digits, and seconds to divide ("00:00.5" is not a time). */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_iso(bad[i], ISO8601_INVALID, 0);
}

static void test_iso8601_bad_input(void **state)
{
	static const char *const bad[] = {
	    "",
	    "next tuesday",
	    "2026",
	    "2026-01",
	    "2026-1-1T00:00:00Z",
	    "26-01-01T00:00:00Z",
	    "20260101T000000Z",
	    "2026/01/01T00:00:00Z",
	    "2026-00-01T00:00:00Z",
	    "2026-13-01T00:00:00Z",
	    "2026-01-00T00:00:00Z",
	    "2026-01-32T00:00:00Z",
	    "2026-02-29T00:00:00Z",
	    "2026-02-30T00:00:00Z",
	    "2100-02-29T00:00:00Z",
	    "2026-04-31T00:00:00Z",
	    "2026-01-01T",
	    "2026-01-01T0:00:00Z",
	    "2026-01-01T00Z",
	    "2026-01-01T00:0Z",
	    "2026-01-01T00:00:0Z",
	    "2026-01-01T24:00:00Z",
	    "2026-01-01T00:60:00Z",
	    "2026-01-01T00:00:60Z",
	    "2026-01-01X00:00:00Z",
	    "2026-01-01T00:00:00 UTC",
	    " 2026-01-01T00:00:00Z",
	    "2026-01-01T00:00:00Z ",
	    "-2026-01-01T00:00:00Z",
	    "+2026-01-01T00:00:00Z",
	    "2026-01-01T00:00:00\n",
	    "2026-01-01T00:00:00\xff",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_iso(bad[i], ISO8601_INVALID, 0);
	expect_iso(NULL, ISO8601_INVALID, 0);
	expect_iso("2024-02-29T12:00:00Z", ISO8601_ZONED, 1709208000000LL);
	expect_iso("2000-02-29T00:00:00Z", ISO8601_ZONED, 951782400000LL);
}

/* Every day from 1900 to 2200 against the C library's calendar. */
static void test_iso8601_every_day(void **state)
{
	char text[64];
	int days = 0;

	(void)state;
	for (int y = 1900; y <= 2200; y++) {
		for (int m = 1; m <= 12; m++) {
			for (int d = 1; d <= 31; d++) {
				struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
				int64_t want = (int64_t)timegm(&tm) * 1000;
				bool exists = tm.tm_mday == d; /* timegm moved 31 April to 1 May */
				int64_t got = 0;

				snprintf(text, sizeof(text), "%04d-%02d-%02dT00:00:00Z", y, m, d);
				if (iso8601_parse(text, &got) !=
				    (exists ? ISO8601_ZONED : ISO8601_INVALID))
					fail_msg("%s: exists %d", text, exists);
				if (exists && got != want)
					fail_msg("%s: %lld, want %lld", text, (long long)got,
					         (long long)want);
				days += exists;
			}
		}
	}
	assert_int_equal(days, 109938); /* 301 years, 73 of them leap years */
}

/* words: the words of line joined by '|', or "ERR: message". */
static void expect_words(const char *line, const char *want)
{
	char **w = NULL;
	char err[64];
	char got[256] = "";

	if (!shellwords_split(line, &w, err, sizeof(err))) {
		snprintf(got, sizeof(got), "ERR: %s", err);
		assert_null(w);
	}
	for (size_t i = 0; w != NULL && w[i] != NULL; i++) {
		strcat(got, i ? "|" : "");
		strcat(got, w[i]);
	}
	shellwords_free(w);
	if (strcmp(got, want) != 0)
		print_message("line [%s]: got [%s], want [%s]\n", line, got, want);
	assert_string_equal(got, want);
}

static void test_shellwords(void **state)
{
	(void)state;
	expect_words("", "");
	expect_words("   \t ", "");
	expect_words("/usr/bin/pgbackrest --stanza=main --delta restore",
	             "/usr/bin/pgbackrest|--stanza=main|--delta|restore");
	expect_words("a 'b c' \"d e\"", "a|b c|d e");
	expect_words("x'y'\"z\"w", "xyzw");
	expect_words("'a\\b' \"a\\\\b\" \"\\$x\" \"\\q\"", "a\\b|a\\b|$x|\\q");
	expect_words("a\\ b \\'c", "a b|'c");
	expect_words("'' \"\"", "|");
	expect_words("$HOME *.sql `id`", "$HOME|*.sql|`id`");
	expect_words("'unterminated", "ERR: unterminated ' quote");
	expect_words("\"also", "ERR: unterminated \" quote");
	expect_words("trailing\\", "ERR: trailing backslash");
}

static void test_parse_duration(void **state)
{
	static const struct {
		const char *text;
		int64_t seconds; /* -1: refused */
	} cases[] = {{"0", 0},        {"30", 30},     {"90s", 90},
	             {"30min", 1800}, {"12h", 43200}, {"7d", 604800},
	             {"2w", 1209600}, {"1m", -1},     {"7 d", -1},
	             {"d", -1},       {"-1", -1},     {"1.5h", -1},
	             {"", -1},        {"7D", -1},     {"99999999999999999999", -1}};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		int64_t x = -1;
		bool ok = str_parse_duration(cases[i].text, &x);

		if (ok != (cases[i].seconds >= 0) || (ok && x != cases[i].seconds))
			print_message("duration '%s': ok %d x %lld\n", cases[i].text, ok,
			              (long long)x);
		assert_int_equal(ok, cases[i].seconds >= 0);
		if (ok)
			assert_int_equal(x, cases[i].seconds);
	}
}

/* cgroup v2: the mount from mountinfo, nftables' path and depth, membership by prefix. */
static void test_cgroup_paths(void **state)
{
	const char *hybrid =
	    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
	const char *pure = "30 24 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 "
	                   "rw,nsdelegate";
	char out[256];
	int level = 0;

	(void)state;
	assert_true(cgroup2_mount_from(hybrid, out, sizeof(out)));
	assert_string_equal(out, "/sys/fs/cgroup/unified");
	assert_true(cgroup2_mount_from(pure, out, sizeof(out)));
	assert_string_equal(out, "/sys/fs/cgroup");
	assert_false(cgroup2_mount_from("32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw\n",
	                                out, sizeof(out)));
	assert_false(cgroup2_mount_from("", out, sizeof(out)));
	assert_true(
	    cgroup_nft_path("/sys/fs/cgroup/unified", "/pgha-1/node1", out, sizeof(out), &level));
	assert_string_equal(out, "unified/pgha-1/node1");
	assert_int_equal(level, 2);
	assert_true(
	    cgroup_nft_path("/sys/fs/cgroup", "/pgha-1/etcd/etcd2", out, sizeof(out), &level));
	assert_string_equal(out, "pgha-1/etcd/etcd2");
	assert_int_equal(level, 3);
	assert_false(cgroup_nft_path("/mnt/cg2", "/pgha-1", out, sizeof(out), &level));
	assert_false(cgroup_nft_path("/sys/fs/cgroupx", "/pgha-1", out, sizeof(out), &level));
	assert_false(cgroup_nft_path("/sys/fs/cgroup", "pgha-1", out, sizeof(out), &level));
	assert_true(cgroup_within("/pgha-1/node1", "/pgha-1"));
	assert_true(cgroup_within("/pgha-1", "/pgha-1"));
	assert_false(cgroup_within("/pgha-10/node1", "/pgha-1"));
	assert_false(cgroup_within("/", "/pgha-1"));
	assert_true(cgroup_of_pid(getpid(), out, sizeof(out)));
	assert_int_equal(out[0], '/');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_str_copy_reports_truncation),
	    cmocka_unit_test(test_args),
	    cmocka_unit_test(test_args_errors),
	    cmocka_unit_test(test_parse_numbers),
	    cmocka_unit_test(test_lsn_round_trip),
	    cmocka_unit_test(test_hostport),
	    cmocka_unit_test(test_netaddr),
	    cmocka_unit_test(test_err_buffer),
	    cmocka_unit_test(test_iso8601_forms),
	    cmocka_unit_test(test_iso8601_offsets),
	    cmocka_unit_test(test_iso8601_fractions),
	    cmocka_unit_test(test_iso8601_bad_input),
	    cmocka_unit_test(test_iso8601_every_day),
	    cmocka_unit_test(test_b64),
	    cmocka_unit_test(test_buf),
	    cmocka_unit_test(test_files),
	    cmocka_unit_test(test_proc_run_and_stop),
	    cmocka_unit_test(test_cgroup_paths),
	    cmocka_unit_test(test_proc_child_signals_reset),
	    cmocka_unit_test(test_shellwords),
	    cmocka_unit_test(test_parse_duration),
	    cmocka_unit_test(test_envsecret_patterns),
	    cmocka_unit_test(test_envsecret_take_and_children),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
