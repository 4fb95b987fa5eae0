/*
 * test_http.c: http_request against loopback sockets of the test's own: a reply is a
 * status and a body; a refused connection is HTTP_UNSENT (the CLI may then fall back
 * to etcd's failover key); a request that was sent but never answered is not (the
 * agent may be carrying it out, so asking again elsewhere could hand over twice); a
 * proxy from the environment is never used; a URL scheme other than http(s) is
 * refused; a body over the handle's limit fails the transfer. Over https (against
 * `openssl s_server`): the server's certificate is verified, chain and name, against the
 * configured CA alone; ctl.insecure turns that off; a client certificate is presented
 * when configured, and a server that requires one refuses a client without it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "http/http.h"
#include "util/buf.h"
#include "util/proc.h"
#include "sys_fixture.h"
#include "tls_fixture.h"

static bool request(int port, const char *method, const char *body, long *status, struct buf *reply,
                    char *err, size_t errlen)
{
	char url[64];
	struct http_req req = {.method = method, .url = url, .body = body, .timeout_ms = 500};

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/switchover", port);
	return http_request(&req, status, reply, err, errlen);
}

static void test_refused_is_unsent(void **state)
{
	char err[256] = "";
	long status = 123;
	int port;

	(void)state;
	close(listener(&port)); /* nobody listens there any more */
	assert_false(request(port, "POST", "{}", &status, NULL, err, sizeof(err)));
	assert_int_equal(status, HTTP_UNSENT);
	assert_true(err[0] != '\0');
}

/*
 * Never sent: a malformed URL, and a scheme other than http(s) (an api_url from etcd
 * cannot make a client read a local file).
 */
static void test_bad_urls_are_unsent(void **state)
{
	static const char *const urls[] = {"http://", "file:///etc/hostname", "gopher://x/"};

	(void)state;
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		struct http_req req = {.method = "GET", .url = urls[i], .timeout_ms = 500};
		char err[256] = "";
		long status = 123;

		assert_false(http_request(&req, &status, NULL, err, sizeof(err)));
		assert_int_equal(status, HTTP_UNSENT);
		assert_true(err[0] != '\0');
	}
}

static void test_sent_but_unanswered_is_not_unsent(void **state)
{
	char err[256] = "";
	long status = 123;
	int port, fd;

	(void)state;
	/* Never accepted: the kernel completes the handshake and buffers the request. */
	fd = listener(&port);
	assert_false(request(port, "POST", "{\"leader\":\"a\"}", &status, NULL, err, sizeof(err)));
	assert_int_equal(status, 0);
	assert_true(err[0] != '\0');
	close(fd);
}

/* answer_once: accepts one connection, reads the request, sends a canned reply. */
static void *answer_once(void *arg)
{
	static const char reply[] = "HTTP/1.1 202 Accepted\r\nContent-Length: 9\r\n"
	                            "Connection: close\r\n\r\nscheduled";
	int fd = accept(*(int *)arg, NULL, NULL);
	char in[2048];

	if (fd >= 0) {
		if (read(fd, in, sizeof(in)) > 0 && write(fd, reply, strlen(reply)) < 0)
			perror("write");
		close(fd);
	}
	return NULL;
}

static void test_answer(void **state)
{
	char err[256] = "";
	long status = 0;
	struct buf reply;
	pthread_t t;
	int port, fd;

	(void)state;
	fd = listener(&port);
	assert_int_equal(pthread_create(&t, NULL, answer_once, &fd), 0);
	buf_init(&reply);
	assert_true(request(port, "GET", NULL, &status, &reply, err, sizeof(err)));
	assert_int_equal(status, 202);
	assert_string_equal(reply.data, "scheduled");
	buf_free(&reply);
	pthread_join(t, NULL);
	close(fd);
}

/* A proxy named by the environment is never used: members are addressed directly. */
static void test_no_proxy(void **state)
{
	char err[256] = "";
	char proxy[64];
	long status = 0;
	pthread_t t;
	int port, dead_port, fd;

	(void)state;
	close(listener(&dead_port));
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", dead_port);
	setenv("http_proxy", proxy, 1);
	setenv("ALL_PROXY", proxy, 1);
	fd = listener(&port);
	assert_int_equal(pthread_create(&t, NULL, answer_once, &fd), 0);
	assert_true(request(port, "GET", NULL, &status, NULL, err, sizeof(err)));
	assert_int_equal(status, 202);
	pthread_join(t, NULL);
	close(fd);
	unsetenv("http_proxy");
	unsetenv("ALL_PROXY");
}

/* A body over http_body's limit fails the transfer instead of growing without bound. */
static void test_body_limit(void **state)
{
	char errbuf[CURL_ERROR_SIZE];
	char url[64];
	struct buf body;
	struct http_body sink = {.buf = &body, .max_bytes = 4};
	CURL *h = curl_easy_init();
	pthread_t t;
	int port, fd;

	(void)state;
	fd = listener(&port);
	assert_int_equal(pthread_create(&t, NULL, answer_once, &fd), 0);
	buf_init(&body);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", port);
	http_easy_setup(h, errbuf, NULL);
	http_easy_timeouts(h, 1000, 0);
	http_easy_body(h, &sink);
	curl_easy_setopt(h, CURLOPT_URL, url);
	assert_int_equal(curl_easy_perform(h), CURLE_WRITE_ERROR);
	assert_true(body.len <= 4);
	curl_easy_cleanup(h);
	buf_free(&body);
	pthread_join(t, NULL);
	close(fd);
}

/* --- https ----------------------------------------------------------------------------- */

static struct tls_fixture tls_ca;    /* the CA the servers' certificates chain to */
static struct tls_fixture tls_other; /* another CA */

/*
 * https_server: `openssl s_server -www` with the fixture's certificate name (and, with
 * require_client, a client certificate of tls_ca required), serving up to n
 * connections; *port set. Waits until it accepts. Stop it with proc_stop.
 */
static pid_t https_server(const char *name, bool require_client, int n, int *port)
{
	char crt[PATH_MAX], key[PATH_MAX], accept_s[16], naccept[16];
	const char *argv[] = {"/usr/bin/openssl",
	                      "s_server",
	                      "-quiet",
	                      "-www",
	                      "-accept",
	                      accept_s,
	                      "-naccept",
	                      naccept,
	                      "-cert",
	                      crt,
	                      "-key",
	                      key,
	                      require_client ? "-Verify" : NULL,
	                      "1",
	                      "-CAfile",
	                      tls_ca.ca,
	                      NULL};
	struct proc_spec spec = {.argv = argv, .log_path = "/dev/null", .stdin_null = true};
	char err[256];
	pid_t pid;

	close(listener(port)); /* a free port; nobody else takes it in the next moments */
	snprintf(accept_s, sizeof(accept_s), "127.0.0.1:%d", *port);
	snprintf(naccept, sizeof(naccept), "%d", n);
	tls_fixture_path(&tls_ca, name, "crt", crt, sizeof(crt));
	tls_fixture_path(&tls_ca, name, "key", key, sizeof(key));
	pid = proc_spawn(&spec, err, sizeof(err));
	assert_true(pid > 0);
	for (int i = 0; i < 100; i++) {
		struct sockaddr_in a = {.sin_family = AF_INET,
		                        .sin_port = htons((uint16_t)*port),
		                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		bool up = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

		close(fd);
		if (up)
			return pid; /* that probe used one of the n connections */
		usleep(20000);
	}
	fail_msg("openssl s_server did not start");
	return -1;
}

static bool https_get(const char *host, int port, const struct tls_client *tls, long *status,
                      char *err, size_t errlen)
{
	char url[128];

	snprintf(url, sizeof(url), "https://%s:%d/", host, port);
	return http_get(url, tls, 3000, status, NULL, err, errlen);
}

static int https_setup(void **state)
{
	(void)state;
	tls_fixture_make(&tls_ca, "pgha test CA");
	tls_fixture_make(&tls_other, "another CA");
	return 0;
}

static int https_teardown(void **state)
{
	(void)state;
	tls_fixture_free(&tls_ca);
	tls_fixture_free(&tls_other);
	return 0;
}

/* Verified against the configured CA: name included; that CA alone; insecure skips it. */
static void test_https_server_verified(void **state)
{
	struct tls_client trust, other, insecure = {.insecure = true};
	char err[CURL_ERROR_SIZE] = "";
	long status = 0;
	int port;
	pid_t pid = https_server("server", false, 6, &port);

	(void)state;
	tls_fixture_client(&tls_ca, NULL, &trust);
	tls_fixture_client(&tls_other, NULL, &other);
	assert_true(https_get("127.0.0.1", port, &trust, &status, err, sizeof(err)));
	assert_int_equal(status, 200);
	assert_true(https_get("localhost", port, &trust, &status, err, sizeof(err)));
	assert_false(https_get("127.0.0.1", port, &other, &status, err, sizeof(err)));
	assert_non_null(strstr(err, "certificate"));
	/* NULL: the system's CAs, which do not know a private CA */
	assert_false(https_get("127.0.0.1", port, NULL, &status, err, sizeof(err)));
	assert_true(https_get("127.0.0.1", port, &insecure, &status, err, sizeof(err)));
	assert_true(proc_stop(pid, SIGTERM, 2000));
}

/*
 * In parallel requests (peer probes, failsafe rounds), a certificate that does not verify
 * is told apart from a peer that is down: HTTP_TLS_FAILED, which the agent logs.
 */
static void test_https_request_all_tls_failed(void **state)
{
	struct tls_client trust, other;
	char url[64], down_url[64];
	long status[3] = {0};
	int port, down_port;
	pid_t pid = https_server("server", false, 4, &port);
	struct http_req reqs[3] = {
	    {.method = "GET", .url = url, .tls = &trust, .timeout_ms = 3000},
	    {.method = "GET", .url = url, .tls = &other, .timeout_ms = 3000},
	    {.method = "GET", .url = down_url, .tls = &trust, .timeout_ms = 3000}};

	(void)state;
	tls_fixture_client(&tls_ca, NULL, &trust);
	tls_fixture_client(&tls_other, NULL, &other);
	close(listener(&down_port)); /* nothing listens there */
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/", port);
	snprintf(down_url, sizeof(down_url), "https://127.0.0.1:%d/", down_port);
	http_request_all(reqs, 3, 0, status, NULL);
	assert_int_equal(status[0], 200);
	assert_int_equal(status[1], HTTP_TLS_FAILED);
	assert_int_equal(status[2], HTTP_UNSENT);
	assert_true(proc_stop(pid, SIGTERM, 2000));
}

/* A certificate for another name does not verify, even from the trusted CA. */
static void test_https_name_checked(void **state)
{
	struct tls_client trust;
	char err[CURL_ERROR_SIZE] = "";
	long status = 0;
	int port;
	pid_t pid = https_server("elsewhere", false, 3, &port);

	(void)state;
	tls_fixture_client(&tls_ca, NULL, &trust);
	assert_false(https_get("127.0.0.1", port, &trust, &status, err, sizeof(err)));
	assert_non_null(strstr(err, "127.0.0.1"));
	assert_true(proc_stop(pid, SIGTERM, 2000));
}

/* A server that requires a client certificate gets the configured one, and only then. */
static void test_https_client_certificate(void **state)
{
	struct tls_client with, without;
	char err[CURL_ERROR_SIZE] = "";
	long status = 0;
	int port;
	pid_t pid = https_server("server", true, 4, &port);

	(void)state;
	tls_fixture_client(&tls_ca, "client", &with);
	tls_fixture_client(&tls_ca, NULL, &without);
	assert_false(https_get("127.0.0.1", port, &without, &status, err, sizeof(err)));
	assert_true(https_get("127.0.0.1", port, &with, &status, err, sizeof(err)));
	assert_int_equal(status, 200);
	assert_true(proc_stop(pid, SIGTERM, 2000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_refused_is_unsent),
	    cmocka_unit_test(test_bad_urls_are_unsent),
	    cmocka_unit_test(test_sent_but_unanswered_is_not_unsent),
	    cmocka_unit_test(test_answer),
	    cmocka_unit_test(test_no_proxy),
	    cmocka_unit_test(test_body_limit),
	    cmocka_unit_test(test_https_server_verified),
	    cmocka_unit_test(test_https_request_all_tls_failed),
	    cmocka_unit_test(test_https_name_checked),
	    cmocka_unit_test(test_https_client_certificate),
	};

	return cmocka_run_group_tests(tests, https_setup, https_teardown);
}
