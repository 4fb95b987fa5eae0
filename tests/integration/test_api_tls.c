/*
 * test_api_tls.c: the REST API over https on 127.0.0.1 (ports 28100-28119), with
 * Patroni's restapi keys: certfile and keyfile (an encrypted key with
 * keyfile_password too), cafile and verify_client (optional: the unsafe endpoints need
 * a valid client certificate; required: every request does), allowlist and
 * allowlist_include_members; and the start refused, never half-done, when a file is
 * missing or an allowlist entry is neither a network nor a resolvable name.
 *
 * The clients are pgha's own (http/), so this checks both sides of the TLS setup.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "api/api.h"
#include "api_fixture.h"
#include "http/http.h"
#include "log/log.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/proc.h"
#include "sys_fixture.h"
#include "tls_fixture.h"

#define PORT_BASE 28100

static struct tls_fixture ca;    /* signs the server's and the client's certificates */
static struct tls_fixture other; /* another CA: its client certificate is not trusted */
static struct api_snapshot snap; /* what every request sees */

static void snapshot(void *ctx, struct api_snapshot *out)
{
	(void)ctx;
	api_snapshot_copy(out, &snap);
}

static int operation(void *ctx, const struct api_request *req, struct buf *reply)
{
	(void)ctx;
	buf_printf(reply, "%s scheduled", api_op_str(req->op));
	return 202;
}

struct server {
	struct api_server *srv;
	int port;
	char crt[PATH_MAX], key[PATH_MAX];
};

/* start: an https server on PORT_BASE + offset with the fixture's "server" pair. */
static void start(struct server *s, int offset, struct api_options *opt)
{
	static const struct api_ops ops = {.snapshot = snapshot, .operation = operation};
	char listen[32];

	s->port = PORT_BASE + offset;
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", s->port);
	opt->listen = listen;
	opt->username = "pgha";
	opt->password = "secret";
	if (opt->certfile == NULL) {
		opt->certfile = tls_fixture_path(&ca, "server", "crt", s->crt, sizeof(s->crt));
		opt->keyfile = tls_fixture_path(&ca, "server", "key", s->key, sizeof(s->key));
	}
	s->srv = api_start(opt, &ops);
	assert_non_null(s->srv);
}

/* call: method on path over https as client (NULL: no certificate), with or without auth. */
static long call(const struct server *s, const char *method, const char *path,
                 const struct tls_client *client, bool auth)
{
	char url[128], err[256];
	struct http_req req = {.method = method,
	                       .url = url,
	                       .tls = client,
	                       .user = auth ? "pgha" : NULL,
	                       .password = "secret",
	                       .timeout_ms = 3000};
	long status = 0;

	snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", s->port, path);
	if (!http_request(&req, &status, NULL, err, sizeof(err)))
		return 0;
	return status;
}

/* https with the CA; plain http and an unknown CA get nothing; auth as before. */
static void test_https(void **state)
{
	struct api_options opt = {.certfile = NULL};
	struct tls_client trust, stranger;
	struct server s;
	char url[128], err[256];
	long status = 0;

	(void)state;
	start(&s, 0, &opt);
	tls_fixture_client(&ca, NULL, &trust);
	tls_fixture_client(&other, NULL, &stranger);
	assert_int_equal(call(&s, "GET", "/patroni", &trust, false), 200);
	assert_int_equal(call(&s, "GET", "/patroni", &stranger, false), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/patroni", s.port);
	assert_false(http_get(url, NULL, 3000, &status, NULL, err, sizeof(err)));
	assert_int_equal(call(&s, "POST", "/reload", &trust, false), 401);
	assert_int_equal(call(&s, "POST", "/reload", &trust, true), 202);
	api_stop(s.srv);
}

/* optional: reads need nothing, changes need a certificate of the CA (403 otherwise). */
static void test_verify_client_optional(void **state)
{
	struct api_options opt = {.cafile = ca.ca, .verify_client = API_VERIFY_OPTIONAL};
	struct tls_client plain, with_cert, foreign;
	struct server s;

	(void)state;
	start(&s, 1, &opt);
	tls_fixture_client(&ca, NULL, &plain);
	tls_fixture_client(&ca, "client", &with_cert);
	tls_fixture_client(&other, "client", &foreign);
	snprintf(foreign.cafile, sizeof(foreign.cafile), "%s", ca.ca); /* trusts the server */
	assert_int_equal(call(&s, "GET", "/patroni", &plain, false), 200);
	assert_int_equal(call(&s, "POST", "/reload", &plain, true), 403);
	assert_int_equal(call(&s, "POST", "/reload", &foreign, true), 403);
	assert_int_equal(call(&s, "POST", "/reload", &with_cert, false), 401);
	assert_int_equal(call(&s, "POST", "/reload", &with_cert, true), 202);
	api_stop(s.srv);
}

/* required: no request without a valid client certificate. */
static void test_verify_client_required(void **state)
{
	struct api_options opt = {.cafile = ca.ca, .verify_client = API_VERIFY_REQUIRED};
	struct tls_client plain, with_cert;
	struct server s;

	(void)state;
	start(&s, 2, &opt);
	tls_fixture_client(&ca, NULL, &plain);
	tls_fixture_client(&ca, "client", &with_cert);
	assert_int_equal(call(&s, "GET", "/patroni", &plain, false), 403);
	assert_int_equal(call(&s, "GET", "/patroni", &with_cert, false), 200);
	assert_int_equal(call(&s, "POST", "/reload", &with_cert, true), 202);
	api_stop(s.srv);
}

/* The allowlist guards the unsafe endpoints only; members' hosts count when asked. */
static void test_allowlist(void **state)
{
	char *elsewhere[] = {"10.0.0.0/8", NULL};
	char *here[] = {"10.0.0.0/8", "127.0.0.1", NULL};
	struct api_options opt = {.allowlist = elsewhere};
	struct tls_client trust;
	struct server s;

	(void)state;
	tls_fixture_client(&ca, NULL, &trust);
	start(&s, 3, &opt);
	assert_int_equal(call(&s, "GET", "/patroni", &trust, false), 200);
	assert_int_equal(call(&s, "POST", "/reload", &trust, true), 403);
	api_stop(s.srv);
	opt.allowlist = here;
	start(&s, 4, &opt);
	assert_int_equal(call(&s, "POST", "/reload", &trust, true), 202);
	api_stop(s.srv);
	/* the members' api_url hosts (127.0.0.1 in the fixture) */
	opt.allowlist = elsewhere;
	opt.allowlist_include_members = true;
	start(&s, 5, &opt);
	assert_int_equal(call(&s, "POST", "/reload", &trust, true), 202);
	snprintf(snap.view.members[0].api_url, DCS_URL_LEN, "https://10.9.9.9:8008/patroni");
	snprintf(snap.view.members[1].api_url, DCS_URL_LEN, "https://10.9.9.8:8008/patroni");
	assert_int_equal(call(&s, "POST", "/reload", &trust, true), 403);
	api_stop(s.srv);
}

/* keyfile_password decrypts an encrypted key (written without a password on argv). */
static void test_encrypted_key(void **state)
{
	char plain_key[PATH_MAX], enc_key[PATH_MAX], pass_file[PATH_MAX], arg[PATH_MAX + 8];
	const char *argv[] = {
	    "/usr/bin/openssl", "pkcs8", "-topk8", "-v2",      "aes-256-cbc", "-in",
	    plain_key,          "-out",  enc_key,  "-passout", arg,           NULL};
	struct proc_spec spec = {.argv = argv, .log_path = "/dev/null", .stdin_null = true};
	struct api_options opt = {.keyfile_password = "k3y-pass"};
	struct tls_client trust;
	struct server s;
	char err[256];

	(void)state;
	tls_fixture_path(&ca, "server", "key", plain_key, sizeof(plain_key));
	snprintf(enc_key, sizeof(enc_key), "%s/server-enc.key", ca.dir);
	snprintf(pass_file, sizeof(pass_file), "%s/pass", ca.dir);
	snprintf(arg, sizeof(arg), "file:%s", pass_file);
	assert_true(fs_write_atomic(pass_file, "k3y-pass\n", 9, 0600));
	assert_true(proc_run(&spec, 10000, NULL, err, sizeof(err)));
	opt.certfile = tls_fixture_path(&ca, "server", "crt", s.crt, sizeof(s.crt));
	opt.keyfile = enc_key;
	start(&s, 6, &opt);
	tls_fixture_client(&ca, NULL, &trust);
	assert_int_equal(call(&s, "GET", "/patroni", &trust, false), 200);
	api_stop(s.srv);
}

/* What cannot work is refused at start, with nothing left listening. */
static void test_refused_at_start(void **state)
{
	static const struct api_ops ops = {.snapshot = snapshot, .operation = operation};
	char crt[PATH_MAX], key[PATH_MAX], other_key[PATH_MAX];
	char *bad_allow[] = {"no-such-host.invalid", NULL};
	struct api_options opt = {.listen = "127.0.0.1:28110"};

	(void)state;
	opt.certfile = tls_fixture_path(&ca, "server", "crt", crt, sizeof(crt));
	opt.keyfile = "/nonexistent/server.key";
	assert_null(api_start(&opt, &ops));
	/* a key that is not the certificate's */
	opt.keyfile = tls_fixture_path(&ca, "client", "key", other_key, sizeof(other_key));
	assert_null(api_start(&opt, &ops));
	opt.keyfile = tls_fixture_path(&ca, "server", "key", key, sizeof(key));
	opt.verify_client = API_VERIFY_REQUIRED; /* without cafile */
	assert_null(api_start(&opt, &ops));
	opt.verify_client = API_VERIFY_NONE;
	opt.allowlist = bad_allow;
	assert_null(api_start(&opt, &ops));
}

static int setup(void **state)
{
	(void)state;
	tls_fixture_make(&ca, "pgha test CA");
	tls_fixture_make(&other, "another CA");
	fix_leader(&snap, clock_now_ms());
	fix_member(&snap.view.members[0], "pg1", "primary", 5432, FIX_OPTIME);
	fix_member(&snap.view.members[1], "pg2", "replica", 5433, FIX_OPTIME);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	api_snapshot_free(&snap);
	tls_fixture_free(&ca);
	tls_fixture_free(&other);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_https),
	    cmocka_unit_test(test_verify_client_optional),
	    cmocka_unit_test(test_verify_client_required),
	    cmocka_unit_test(test_allowlist),
	    cmocka_unit_test(test_encrypted_key),
	    cmocka_unit_test(test_refused_at_start),
	};

	log_set_level(LOG_LEVEL_ERROR);
	if (!http_global_init())
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
