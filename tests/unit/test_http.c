/*
 * test_http.c: http_request against loopback sockets of the test's own: a reply is a
 * status and a body; a refused connection is HTTP_UNSENT (the CLI may then fall back
 * to etcd's failover key); a request that was sent but never answered is not (the
 * agent may be carrying it out, so asking again elsewhere could hand over twice); a
 * proxy from the environment is never used; a URL scheme other than http(s) is
 * refused; a body over the handle's limit fails the transfer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "http/http.h"
#include "util/buf.h"
#include "sys_fixture.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_refused_is_unsent),
	    cmocka_unit_test(test_bad_urls_are_unsent),
	    cmocka_unit_test(test_sent_but_unanswered_is_not_unsent),
	    cmocka_unit_test(test_answer),
	    cmocka_unit_test(test_no_proxy),
	    cmocka_unit_test(test_body_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
