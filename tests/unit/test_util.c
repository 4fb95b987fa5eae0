/*
 * test_util.c: util/ (strings, numbers, LSNs, base64, buffers, files, processes, the
 * table-driven option parser).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/args.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/compiler.h"
#include "util/fsutil.h"
#include "util/proc.h"
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
	free(path);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_str_copy_reports_truncation),
	    cmocka_unit_test(test_args),
	    cmocka_unit_test(test_args_errors),
	    cmocka_unit_test(test_parse_numbers),
	    cmocka_unit_test(test_lsn_round_trip),
	    cmocka_unit_test(test_hostport),
	    cmocka_unit_test(test_b64),
	    cmocka_unit_test(test_buf),
	    cmocka_unit_test(test_files),
	    cmocka_unit_test(test_proc_run_and_stop),
	    cmocka_unit_test(test_proc_child_signals_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
