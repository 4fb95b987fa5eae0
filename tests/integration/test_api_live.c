/*
 * test_api_live.c: the REST API over real HTTP on 127.0.0.1 (ports 28000-28099):
 * a server started with a fake agent (snapshot set by the test, operations
 * recorded), checked with libcurl and with raw sockets for what curl cannot send
 * (garbage, stalled requests, HAProxy's bare "OPTIONS / HTTP/1.0").
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "api/api.h"
#include "api_fixture.h"
#include "log/log.h"
#include "util/buf.h"
#include "util/clock.h"

#define PORT_BASE 28000

/* --- fake agent ------------------------------------------------------------------- */

struct fake_agent {
	pthread_mutex_t lock;
	struct api_snapshot snap;
	int calls;               /* operations received */
	int finished;            /* operations that returned */
	struct api_request last; /* copy of the last one (config not kept) */
	char last_config[512];   /* its JSON body, dumped */
	int delay_ms;            /* how long an operation takes */
	int status;              /* what operations answer */
};

static void fake_snapshot(void *ctx, struct api_snapshot *out)
{
	struct fake_agent *a = ctx;

	pthread_mutex_lock(&a->lock);
	api_snapshot_copy(out, &a->snap);
	pthread_mutex_unlock(&a->lock);
}

static int fake_operation(void *ctx, const struct api_request *req, struct buf *reply)
{
	struct fake_agent *a = ctx;
	int status;
	char *config = req->config != NULL ? json_dumps(req->config, JSON_COMPACT) : NULL;

	pthread_mutex_lock(&a->lock);
	a->calls++;
	a->last = *req;
	a->last.config = NULL;
	snprintf(a->last_config, sizeof(a->last_config), "%s", config ? config : "");
	status = a->status;
	pthread_mutex_unlock(&a->lock);
	free(config);
	if (a->delay_ms > 0)
		clock_sleep_ms(a->delay_ms);
	buf_printf(reply, "done %s", api_op_str(req->op));
	pthread_mutex_lock(&a->lock);
	a->finished++;
	pthread_mutex_unlock(&a->lock);
	return status;
}

struct live {
	struct fake_agent agent;
	struct api_server *srv;
	int port;
};

static void set_snapshot(struct live *l, void (*fill)(struct api_snapshot *, int64_t))
{
	pthread_mutex_lock(&l->agent.lock);
	api_snapshot_free(&l->agent.snap);
	fill(&l->agent.snap, clock_now_ms());
	pthread_mutex_unlock(&l->agent.lock);
}

static void fill_leader(struct api_snapshot *s, int64_t now_ms)
{
	fix_leader(s, now_ms);
}

static void fill_replica(struct api_snapshot *s, int64_t now_ms)
{
	fix_replica(s, now_ms, 0);
}

static void fill_lagging(struct api_snapshot *s, int64_t now_ms)
{
	fix_replica(s, now_ms, 10 * 1024 * 1024);
}

static void fill_stopped(struct api_snapshot *s, int64_t now_ms)
{
	fix_stopped(s, now_ms);
}

static void fill_noloadbalance(struct api_snapshot *s, int64_t now_ms)
{
	fix_replica(s, now_ms, 0);
	s->noloadbalance = true;
}

/* Paused, cut off from etcd, the lock expired: /primary follows the PostgreSQL role. */
static void fill_paused_no_dcs(struct api_snapshot *s, int64_t now_ms)
{
	fix_leader(s, now_ms);
	s->pause = true;
	s->dcs_ok = false;
	s->view.valid = false;
	s->leader_valid_until_ms = now_ms - 1;
}

static void fill_expired_lock(struct api_snapshot *s, int64_t now_ms)
{
	fix_leader(s, now_ms);
	s->leader_valid_until_ms = now_ms - 1;
}

static struct live *live_start(int port_offset, const char *user, const char *password)
{
	struct live *l = calloc(1, sizeof(*l));
	char listen[32];
	struct api_ops ops = {
	    .ctx = &l->agent, .snapshot = fake_snapshot, .operation = fake_operation};
	struct api_options opt = {.username = user,
	                          .password = password,
	                          .connection_timeout_s = 2,
	                          .request_timeout_s = 3};

	pthread_mutex_init(&l->agent.lock, NULL);
	l->agent.status = 200;
	fix_leader(&l->agent.snap, clock_now_ms());
	l->port = PORT_BASE + port_offset;
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", l->port);
	opt.listen = listen;
	l->srv = api_start(&opt, &ops);
	assert_non_null(l->srv);
	assert_int_equal(api_port(l->srv), l->port);
	return l;
}

static void live_stop(struct live *l)
{
	api_stop(l->srv);
	api_snapshot_free(&l->agent.snap);
	pthread_mutex_destroy(&l->agent.lock);
	free(l);
}

/* --- HTTP with libcurl --------------------------------------------------------------- */

struct reply {
	long status;
	struct buf body;
	struct buf headers;
};

static size_t on_data(char *data, size_t size, size_t n, void *userdata)
{
	buf_append(userdata, data, size * n);
	return size * n;
}

/* http: one request; body NULL sends none; auth "user:pass" or NULL. */
static void http(const struct live *l, const char *method, const char *path, const char *body,
                 const char *auth, struct reply *r)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	char url[256];

	buf_init(&r->body);
	buf_init(&r->headers);
	r->status = 0;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", l->port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	if (auth != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERPWD, auth);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
}

static void reply_free(struct reply *r)
{
	buf_free(&r->body);
	buf_free(&r->headers);
}

static long status_of(const struct live *l, const char *method, const char *path)
{
	struct reply r;
	long status;

	http(l, method, path, NULL, NULL, &r);
	status = r.status;
	reply_free(&r);
	return status;
}

/* --- raw sockets ------------------------------------------------------------------ */

/* raw_connect_from: a connection from a given loopback address ("127.0.0.2"). */
static int raw_connect_from(const struct live *l, const char *source)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)l->port)};
	struct sockaddr_in src = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, source, &src.sin_addr), 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static int raw_connect(const struct live *l)
{
	return raw_connect_from(l, "127.0.0.1");
}

static void raw_send(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return; /* the server may close on us: that is allowed */
		p += n;
		len -= (size_t)n;
	}
}

/* raw_read: everything until the server closes or timeout_ms passes; returns bytes. */
static size_t raw_read(int fd, struct buf *out, int timeout_ms)
{
	int64_t deadline = clock_now_ms() + timeout_ms;

	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - clock_now_ms();
		char chunk[4096];
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n <= 0)
			break;
		buf_append(out, chunk, (size_t)n);
	}
	return out->len;
}

/* raw_status: the status code of the response on the first line, or 0. */
static int raw_status(const struct buf *resp)
{
	int status = 0;

	if (sscanf(resp->data, "HTTP/1.%*d %d", &status) != 1)
		return 0;
	return status;
}

static int raw_exchange(const struct live *l, const char *request)
{
	int fd = raw_connect(l);
	struct buf resp;
	int status;

	buf_init(&resp);
	raw_send(fd, request, strlen(request));
	raw_read(fd, &resp, 3000);
	status = raw_status(&resp);
	buf_free(&resp);
	close(fd);
	return status;
}

static bool health_ok(const struct live *l);

/* --- tests --------------------------------------------------------------------------- */

static void test_leader_endpoints(void **state)
{
	struct live *l = live_start(0, NULL, NULL);
	struct reply r;

	(void)state;
	assert_int_equal(status_of(l, "GET", "/"), 200);
	assert_int_equal(status_of(l, "GET", "/primary"), 200);
	assert_int_equal(status_of(l, "GET", "/master"), 200);
	assert_int_equal(status_of(l, "GET", "/leader"), 200);
	assert_int_equal(status_of(l, "GET", "/read-write"), 200);
	assert_int_equal(status_of(l, "GET", "/read-only"), 200);
	assert_int_equal(status_of(l, "GET", "/health"), 200);
	assert_int_equal(status_of(l, "GET", "/replica"), 503);
	assert_int_equal(status_of(l, "GET", "/standby-leader"), 503);
	assert_int_equal(status_of(l, "GET", "/async"), 503);
	assert_int_equal(status_of(l, "GET", "/read-only-sync"), 200);
	assert_int_equal(status_of(l, "GET", "/liveness"), 200);
	assert_int_equal(status_of(l, "GET", "/readiness"), 200);
	assert_int_equal(status_of(l, "GET", "/no-such-check"), 503);
	assert_int_equal(status_of(l, "HEAD", "/primary"), 200);
	assert_int_equal(status_of(l, "HEAD", "/replica"), 503);
	assert_int_equal(status_of(l, "OPTIONS", "/"), 200);
	assert_int_equal(status_of(l, "OPTIONS", "/replica"), 503);
	assert_int_equal(status_of(l, "GET", "/failsafe"), 502);

	/* A 503 health answer still carries the /patroni body, as Patroni's does. */
	http(l, "GET", "/replica", NULL, NULL, &r);
	assert_int_equal(r.status, 503);
	assert_non_null(strstr(r.body.data, "\"role\":\"primary\""));
	assert_non_null(strstr(r.headers.data, "application/json"));
	reply_free(&r);
	http(l, "HEAD", "/primary", NULL, NULL, &r);
	assert_int_equal(r.body.len, 0);
	reply_free(&r);
	live_stop(l);
}

static void test_read_endpoints(void **state)
{
	struct live *l = live_start(1, NULL, NULL);
	struct reply r;

	(void)state;
	http(l, "GET", "/patroni", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "\"xlog\":{\"location\":50331648}"));
	assert_non_null(strstr(r.body.data, "\"name\":\"pg1\""));
	reply_free(&r);
	http(l, "GET", "/patroni/anything?x=1", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	http(l, "GET", "/cluster", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "\"role\":\"leader\""));
	assert_non_null(strstr(r.body.data, "\"lag\":4096"));
	reply_free(&r);
	http(l, "GET", "/history", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "no recovery target specified"));
	reply_free(&r);
	http(l, "GET", "/config", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "\"loop_wait\":10"));
	reply_free(&r);
	http(l, "GET", "/metrics", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "patroni_primary{scope=\"batman\",name=\"pg1\"} 1\n"));
	reply_free(&r);
	assert_int_equal(status_of(l, "HEAD", "/patroni"), 200);
	assert_int_equal(status_of(l, "HEAD", "/liveness"), 200);

	/* The config key is garbage: 502, as Patroni. */
	pthread_mutex_lock(&l->agent.lock);
	free(l->agent.snap.view.config_json);
	l->agent.snap.view.config_json = xstrdup("{not json");
	pthread_mutex_unlock(&l->agent.lock);
	assert_int_equal(status_of(l, "GET", "/config"), 502);
	live_stop(l);
}

static void test_roles(void **state)
{
	struct live *l = live_start(2, NULL, NULL);

	(void)state;
	set_snapshot(l, fill_replica);
	assert_int_equal(status_of(l, "GET", "/"), 503);
	assert_int_equal(status_of(l, "GET", "/primary"), 503);
	assert_int_equal(status_of(l, "GET", "/replica"), 200);
	assert_int_equal(status_of(l, "GET", "/replica?lag=16kB"), 200);
	assert_int_equal(status_of(l, "GET", "/replica?tag_zone=a"), 200);
	assert_int_equal(status_of(l, "GET", "/replica?tag_zone=b"), 503);
	assert_int_equal(status_of(l, "GET", "/replica?tag_clonefrom=true"), 200);
	assert_int_equal(status_of(l, "GET", "/read-only"), 200);
	assert_int_equal(status_of(l, "GET", "/async"), 200);
	assert_int_equal(status_of(l, "GET", "/readiness"), 200);
	assert_int_equal(status_of(l, "OPTIONS", "/replica"), 200);

	set_snapshot(l, fill_lagging);
	assert_int_equal(status_of(l, "GET", "/replica"), 200);
	assert_int_equal(status_of(l, "GET", "/replica?lag=1MB"), 503);
	assert_int_equal(status_of(l, "GET", "/replica?lag=10MB"), 200);
	assert_int_equal(status_of(l, "GET", "/replica?lag=garbage"), 200);
	assert_int_equal(status_of(l, "GET", "/readiness"), 503);
	assert_int_equal(status_of(l, "GET", "/readiness?lag=20MB"), 200);

	set_snapshot(l, fill_stopped);
	assert_int_equal(status_of(l, "GET", "/health"), 503);
	assert_int_equal(status_of(l, "GET", "/replica"), 503);
	assert_int_equal(status_of(l, "GET", "/read-only"), 503);
	assert_int_equal(status_of(l, "GET", "/patroni"), 200);

	set_snapshot(l, fill_noloadbalance);
	assert_int_equal(status_of(l, "GET", "/replica"), 503);
	assert_int_equal(status_of(l, "GET", "/health"), 200);

	set_snapshot(l, fill_expired_lock);
	assert_int_equal(status_of(l, "GET", "/primary"), 503);
	assert_int_equal(status_of(l, "GET", "/leader"), 503);

	set_snapshot(l, fill_paused_no_dcs);
	assert_int_equal(status_of(l, "GET", "/primary"), 200);
	assert_int_equal(status_of(l, "GET", "/liveness"), 200);
	live_stop(l);
}

/* HAProxy's bare `option httpchk`: OPTIONS / HTTP/1.0, no headers at all. */
static void test_haproxy_options_raw(void **state)
{
	struct live *l = live_start(3, NULL, NULL);

	(void)state;
	set_snapshot(l, fill_leader);
	assert_int_equal(raw_exchange(l, "OPTIONS / HTTP/1.0\r\n\r\n"), 200);
	set_snapshot(l, fill_replica);
	assert_int_equal(raw_exchange(l, "OPTIONS / HTTP/1.0\r\n\r\n"), 503);
	assert_int_equal(raw_exchange(l, "GET /replica HTTP/1.0\r\n\r\n"), 200);
	assert_int_equal(raw_exchange(l, "HEAD /replica HTTP/1.1\r\nHost: x\r\n"
	                                 "Connection: close\r\n\r\n"),
	                 200);
	live_stop(l);
}

static void test_auth(void **state)
{
	struct live *l = live_start(4, "admin", "s3cret");
	struct reply r;

	(void)state;
	http(l, "POST", "/switchover", "{\"leader\":\"pg1\"}", NULL, &r);
	assert_int_equal(r.status, 401);
	assert_non_null(strstr(r.headers.data, "WWW-Authenticate: Basic realm=\"Patroni\""));
	reply_free(&r);
	http(l, "POST", "/switchover", "{\"leader\":\"pg1\"}", "admin:wrong", &r);
	assert_int_equal(r.status, 401);
	reply_free(&r);
	http(l, "POST", "/switchover", "{\"leader\":\"pg1\"}", "admin:s3cret", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "done switchover");
	reply_free(&r);
	assert_int_equal(l->agent.calls, 1);
	assert_string_equal(l->agent.last.leader, "pg1");
	/* Reads never need credentials. */
	assert_int_equal(status_of(l, "GET", "/patroni"), 200);
	assert_int_equal(status_of(l, "GET", "/primary"), 200);
	/* Refused requests never reach the agent. */
	assert_int_equal(status_of(l, "POST", "/reload"), 401);
	assert_int_equal(status_of(l, "DELETE", "/restart"), 401);
	assert_int_equal(status_of(l, "POST", "/failsafe"), 401);
	assert_int_equal(l->agent.calls, 1);
	live_stop(l);
}

static void test_operations(void **state)
{
	struct live *l = live_start(5, NULL, NULL);
	struct reply r;

	(void)state;
	http(l, "POST", "/failover", "{\"candidate\":\"pg2\"}", NULL, &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	assert_int_equal(l->agent.last.op, API_OP_FAILOVER);
	assert_string_equal(l->agent.last.candidate, "pg2");

	http(l, "POST", "/restart", NULL, NULL, &r); /* no body at all: allowed */
	assert_int_equal(r.status, 200);
	reply_free(&r);
	assert_int_equal(l->agent.last.op, API_OP_RESTART);

	http(l, "POST", "/restart", "{\"role\":\"replica\",\"postgres_version\":\"16.1\"}", NULL,
	     &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	assert_string_equal(l->agent.last.role, "replica");
	assert_int_equal(l->agent.last.postgres_version, 160001);

	http(l, "PATCH", "/config", "{\"pause\":true}", NULL, &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	assert_int_equal(l->agent.last.op, API_OP_CONFIG_PATCH);
	assert_string_equal(l->agent.last_config, "{\"pause\":true}");

	l->agent.status = 404;
	http(l, "DELETE", "/switchover", NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	reply_free(&r);
	assert_int_equal(l->agent.last.op, API_OP_SWITCHOVER_CANCEL);
	assert_int_equal(l->agent.calls, 5);
	live_stop(l);
}

static void test_bad_requests(void **state)
{
	struct live *l = live_start(6, NULL, NULL);
	struct reply r;
	char *huge = malloc(API_MAX_BODY_BYTES + 100);

	(void)state;
	assert_int_equal(raw_exchange(l, "POST /switchover HTTP/1.1\r\nHost: x\r\n"
	                                 "Connection: close\r\n\r\n"),
	                 411);
	http(l, "POST", "/switchover", "{\"leader\":", NULL, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body.data, "invalid JSON"));
	reply_free(&r);
	http(l, "POST", "/switchover", "[1,2]", NULL, &r);
	assert_int_equal(r.status, 400);
	reply_free(&r);
	http(l, "POST", "/switchover", "{\"leader\":42}", NULL, &r);
	assert_int_equal(r.status, 400);
	reply_free(&r);
	http(l, "POST", "/switchover", "{\"leader\":\"pg1\",\"candidate\":\"pg1\"}", NULL, &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.body.data, "Switchover target and source are the same");
	reply_free(&r);
	http(l, "POST", "/switchover",
	     "{\"leader\":\"pg1\",\"scheduled_at\":\"2001-01-01T00:00:00+00:00\"}", NULL, &r);
	assert_int_equal(r.status, 422);
	reply_free(&r);
	http(l, "POST", "/switchover", "{\"leader\":\"pg1\",\"scheduled_at\":\"2999-01-01T00:00\"}",
	     NULL, &r);
	assert_int_equal(r.status, 400);
	reply_free(&r);
	memset(huge, ' ', API_MAX_BODY_BYTES + 99);
	huge[0] = '{';
	huge[API_MAX_BODY_BYTES + 98] = '}';
	huge[API_MAX_BODY_BYTES + 99] = '\0';
	http(l, "PUT", "/config", huge, NULL, &r);
	assert_int_equal(r.status, 413);
	reply_free(&r);
	free(huge);
	assert_int_equal(status_of(l, "PUT", "/switchover"), 405);
	assert_int_equal(status_of(l, "POST", "/patroni"), 405);
	assert_int_equal(status_of(l, "POST", "/no-such-thing"), 404);
	assert_int_equal(status_of(l, "FOO", "/"), 501);
	assert_int_equal(status_of(l, "POST", "/failsafe"), 502);
	http(l, "DELETE", "/config", NULL, NULL, &r);
	assert_int_equal(r.status, 405);
	assert_non_null(strstr(r.headers.data, "Allow: GET, HEAD, OPTIONS, PUT, PATCH"));
	reply_free(&r);
	assert_int_equal(l->agent.calls, 0);
	assert_int_equal(status_of(l, "GET", "/health"), 200);
	live_stop(l);
}

/* Chunked bodies: decoded by libmicrohttpd and used; over the limit, the connection closes. */
static void test_chunked_bodies(void **state)
{
	struct live *l = live_start(10, NULL, NULL);
	struct buf req;
	struct buf resp;
	int fd;

	(void)state;
	assert_int_equal(raw_exchange(l, "POST /restart HTTP/1.1\r\nHost: x\r\n"
	                                 "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
	                                 "12\r\n{\"role\":\"replica\"}\r\n0\r\n\r\n"),
	                 200);
	assert_string_equal(l->agent.last.role, "replica");
	buf_init(&req);
	buf_init(&resp);
	buf_puts(&req, "PUT /config HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (int i = 0; i < 40; i++) {
		buf_puts(&req, "1000\r\n");
		for (int j = 0; j < 4096; j++)
			buf_puts(&req, " ");
		buf_puts(&req, "\r\n");
	}
	fd = raw_connect(l);
	raw_send(fd, req.data, req.len);
	raw_read(fd, &resp, 3000);
	assert_true(resp.len == 0 || raw_status(&resp) >= 400);
	close(fd);
	buf_free(&req);
	buf_free(&resp);
	assert_int_equal(l->agent.calls, 1);
	assert_true(health_ok(l));
	live_stop(l);
}

/* --- hostile clients -------------------------------------------------------------- */

static void send_random_bytes(const struct live *l)
{
	unsigned seed = 12345;
	char junk[8192];
	int fd = raw_connect(l);
	struct buf resp;

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(rand_r(&seed) & 0xff);
	buf_init(&resp);
	raw_send(fd, junk, sizeof(junk));
	raw_read(fd, &resp, 3000);
	/* Either an error status or a closed connection: never a success. */
	assert_true(resp.len == 0 || raw_status(&resp) >= 400);
	buf_free(&resp);
	close(fd);
}

static void send_many_headers(const struct live *l)
{
	struct buf req;
	struct buf resp;
	int fd = raw_connect(l);

	buf_init(&req);
	buf_init(&resp);
	buf_puts(&req, "GET /health HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < 10000; i++)
		buf_printf(&req, "X-Junk-%d: %d\r\n", i, i);
	buf_puts(&req, "\r\n");
	raw_send(fd, req.data, req.len);
	raw_read(fd, &resp, 3000);
	assert_true(resp.len == 0 || raw_status(&resp) >= 400);
	buf_free(&req);
	buf_free(&resp);
	close(fd);
}

/* health_ok: a fresh /health request is answered 200. */
static bool health_ok(const struct live *l)
{
	return status_of(l, "GET", "/health") == 200;
}

static void test_hostile_clients(void **state)
{
	struct live *l = live_start(7, NULL, NULL);
	enum {
		SLOW = 40
	};
	int slow[SLOW];
	int64_t opened_ms;

	(void)state;
	send_random_bytes(l);
	send_many_headers(l);
	assert_true(health_ok(l));
	/* Stalled clients: a request line without headers, half-sent headers one byte
	 * at a time (slowloris), and a body that never comes; from another address than the
	 * health checks' (one address holds at most 32 connections: test_per_address_caps). */
	for (int i = 0; i < SLOW; i++) {
		slow[i] = raw_connect_from(l, "127.0.0.2");
		if (i % 3 == 0)
			raw_send(slow[i], "GET /health HTTP/1.1\r\n", 22);
		else if (i % 3 == 1)
			raw_send(slow[i], "G", 1);
		else
			raw_send(slow[i],
			         "POST /switchover HTTP/1.1\r\nHost: x\r\n"
			         "Content-Length: 100\r\n\r\n{\"lea",
			         64);
	}
	opened_ms = clock_now_ms();
	for (int round = 0; round < 3; round++) {
		for (int i = 1; i < SLOW; i += 3)
			raw_send(slow[i], "E", 1);
		assert_true(health_ok(l));
		clock_sleep_ms(300);
	}
	/* The idle timeout (2 s here) closes every one of them. */
	for (int i = 0; i < SLOW; i++) {
		struct buf resp;

		buf_init(&resp);
		raw_read(slow[i], &resp, 8000);
		close(slow[i]);
		buf_free(&resp);
	}
	assert_true(clock_now_ms() - opened_ms < 8000);
	assert_true(health_ok(l));
	assert_int_equal(l->agent.calls, 0);
	live_stop(l);
}

/*
 * A request head sent one byte every 500 ms never lets the idle timeout (2 s here) fire;
 * the total deadline (3 s here) closes it anyway (issue 9: such clients held the server).
 */
static void test_request_deadline(void **state)
{
	struct live *l = live_start(12, NULL, NULL);
	static const char head[] = "GET /patroni HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaa";
	int fd = raw_connect(l);
	int64_t start = clock_now_ms();
	bool closed = false;

	(void)state;
	for (size_t i = 0; i < sizeof(head) - 1 && !closed; i++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char c;

		raw_send(fd, &head[i], 1);
		if (poll(&p, 1, 500) == 1)
			closed = recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
	}
	assert_true(closed);
	assert_true(clock_now_ms() - start >= 2900);
	assert_true(clock_now_ms() - start < 5000);
	close(fd);
	assert_true(health_ok(l));
	live_stop(l);
}

/*
 * 128 slow-header connections from each of two addresses while /patroni probes come
 * from a third: each address holds at most 32 (the rest are closed at once), so the
 * server keeps room, and the probes keep succeeding (issue 9: they failed for 20 s).
 */
static void test_per_address_caps(void **state)
{
	struct live *l = live_start(13, NULL, NULL);
	enum {
		PER_SOURCE = 128
	};
	static const char *const sources[] = {"127.0.0.2", "127.0.0.3"};
	int fds[2][PER_SOURCE];
	int refused[2] = {0, 0};
	int64_t start;

	(void)state;
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < PER_SOURCE; i++) {
			fds[s][i] = raw_connect_from(l, sources[s]);
			raw_send(fds[s][i], "GET /patroni HTTP/1.1\r\nHo", 26);
		}
	clock_sleep_ms(300);
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < PER_SOURCE; i++) {
			struct pollfd p = {.fd = fds[s][i], .events = POLLIN};
			char c;

			refused[s] +=
			    poll(&p, 1, 0) == 1 && recv(fds[s][i], &c, 1, MSG_DONTWAIT) <= 0;
		}
	assert_int_equal(refused[0], PER_SOURCE - 32);
	assert_int_equal(refused[1], PER_SOURCE - 32);
	/* Probes through the whole life of the slow ones, and after the deadline closed them. */
	for (start = clock_now_ms(); clock_now_ms() - start < 4000; clock_sleep_ms(200))
		assert_int_equal(status_of(l, "GET", "/patroni"), 200);
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < PER_SOURCE; i++)
			close(fds[s][i]);
	live_stop(l);
}

struct background_post {
	const struct live *l;
	const char *path;
	const char *body;
	long status;
	atomic_int finished;
};

static void *post_in_background(void *arg)
{
	struct background_post *b = arg;
	struct reply r;

	http(b->l, "POST", b->path, b->body, NULL, &r);
	b->status = r.status;
	reply_free(&r);
	atomic_store(&b->finished, 1);
	return NULL;
}

static int agent_calls(struct live *l)
{
	int calls;

	pthread_mutex_lock(&l->agent.lock);
	calls = l->agent.calls;
	pthread_mutex_unlock(&l->agent.lock);
	return calls;
}

/*
 * Slow operations (a switchover waits for the new leader) hold no thread that
 * health checks need; past API_MAX_OPERATIONS at once, more are refused with 503.
 */
static void test_slow_operations(void **state)
{
	struct live *l = live_start(8, NULL, NULL);
	struct background_post ops[API_MAX_OPERATIONS];
	pthread_t threads[API_MAX_OPERATIONS];

	(void)state;
	l->agent.delay_ms = 2500;
	for (int i = 0; i < API_MAX_OPERATIONS; i++) {
		ops[i] = (struct background_post){
		    .l = l, .path = "/switchover", .body = "{\"leader\":\"pg1\"}"};
		assert_int_equal(pthread_create(&threads[i], NULL, post_in_background, &ops[i]), 0);
	}
	while (agent_calls(l) < API_MAX_OPERATIONS)
		clock_sleep_ms(10);
	for (int round = 0; round < 5; round++)
		assert_true(health_ok(l));
	assert_int_equal(status_of(l, "POST", "/reload"), 503);
	/* All of that happened while every operation was still running. */
	for (int i = 0; i < API_MAX_OPERATIONS; i++)
		assert_false(atomic_load(&ops[i].finished));
	for (int i = 0; i < API_MAX_OPERATIONS; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(ops[i].status, 200);
	}
	l->agent.delay_ms = 0;
	assert_int_equal(status_of(l, "POST", "/reload"), 200);
	live_stop(l);
}

/* api_stop returns only once a running operation has returned. */
static void test_stop_during_operation(void **state)
{
	struct live *l = live_start(9, NULL, NULL);
	struct background_post op = {.l = l, .path = "/reload"};
	pthread_t thread;

	(void)state;
	l->agent.delay_ms = 500;
	assert_int_equal(pthread_create(&thread, NULL, post_in_background, &op), 0);
	while (agent_calls(l) < 1)
		clock_sleep_ms(5);
	api_stop(l->srv);
	l->srv = NULL;
	assert_int_equal(l->agent.finished, 1);
	/* The client gets its answer or a closed connection; it is not left hanging. */
	pthread_join(thread, NULL);
	assert_true(atomic_load(&op.finished));
	live_stop(l);
}

static struct api_server *start_on(const char *listen, const struct api_ops *ops)
{
	struct api_options opt = {.listen = listen};

	return api_start(&opt, ops);
}

/* restapi.listen forms; what cannot be bound is refused with NULL, never a crash. */
static void test_listen_addresses(void **state)
{
	struct fake_agent agent = {.status = 200};
	struct api_ops ops = {
	    .ctx = &agent, .snapshot = fake_snapshot, .operation = fake_operation};
	struct api_ops no_ops = {.ctx = &agent};
	struct live probe = {.port = PORT_BASE + 11};
	struct api_server *srv;

	(void)state;
	pthread_mutex_init(&agent.lock, NULL);
	fix_leader(&agent.snap, clock_now_ms());
	assert_null(start_on(NULL, &ops));
	assert_null(start_on("", &ops));
	assert_null(start_on("8008", &ops));
	assert_null(start_on("127.0.0.1:", &ops));
	assert_null(start_on("127.0.0.1:0", &ops));
	assert_null(start_on("127.0.0.1:65536", &ops));
	assert_null(start_on("[::1:28011", &ops));
	assert_null(start_on("no-such-host.invalid:28011", &ops));
	assert_null(start_on("127.0.0.1:28011", &no_ops));
	/* A name is resolved, IPv4 first. */
	srv = start_on("localhost:28011", &ops);
	assert_non_null(srv);
	assert_int_equal(api_port(srv), 28011);
	assert_true(health_ok(&probe));
	/* The port is taken: refused, and the first server is unharmed. */
	assert_null(start_on("127.0.0.1:28011", &ops));
	assert_true(health_ok(&probe));
	api_stop(srv);
	api_stop(NULL);
	api_snapshot_free(&agent.snap);
	pthread_mutex_destroy(&agent.lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_leader_endpoints),
	    cmocka_unit_test(test_read_endpoints),
	    cmocka_unit_test(test_roles),
	    cmocka_unit_test(test_haproxy_options_raw),
	    cmocka_unit_test(test_auth),
	    cmocka_unit_test(test_operations),
	    cmocka_unit_test(test_bad_requests),
	    cmocka_unit_test(test_hostile_clients),
	    cmocka_unit_test(test_request_deadline),
	    cmocka_unit_test(test_per_address_caps),
	    cmocka_unit_test(test_slow_operations),
	    cmocka_unit_test(test_stop_during_operation),
	    cmocka_unit_test(test_chunked_bodies),
	    cmocka_unit_test(test_listen_addresses),
	};

	log_set_level(LOG_LEVEL_WARN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
