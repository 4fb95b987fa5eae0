/*
 * http.h: pgha's HTTP client side, on libcurl: the one place where an easy handle is
 * set up (timeouts, no signals, no proxy, http and https only, the response buffer),
 * and one blocking request for the callers that need nothing more.
 *
 * Every libcurl client of pgha starts here: the etcd transport (dcs/etcd.c), the
 * agents' peer probes (ha/peers.c), the router's health checks (router/router_check.c)
 * and the tooling's REST calls (client/). So a transport option that all of them need
 * (TLS: CA, client certificate and key) is added once, in http_easy_setup.
 *
 * Members are addressed directly, as their api_url or the etcd hosts say: never
 * through a proxy from the environment (http_proxy would silently put a third party
 * between a leader and its lease). Does not log: outcomes are status codes and err.
 */
#ifndef PGHA_HTTP_HTTP_H
#define PGHA_HTTP_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include "util/buf.h"
#include "util/compiler.h"
#include "util/tls.h"

/* The response body of an easy handle: appended to buf, refused beyond max_bytes. */
struct http_body {
	struct buf *buf;  /* NULL: the body is discarded */
	size_t max_bytes; /* 0: no limit */
};

/*
 * http_global_init / http_global_cleanup: libcurl's process-wide state, reference
 * counted (and thread-safe since libcurl 7.84): each user takes and drops its own.
 * False when libcurl could not initialise.
 */
bool http_global_init(void) MUST_CHECK;
void http_global_cleanup(void);
/*
 * http_easy_setup: the options every pgha handle has: CURLOPT_NOSIGNAL (millisecond
 * timeouts in threads, without SIGALRM), no proxy, protocols http and https only (an
 * api_url from etcd cannot make us open file:// or gopher://), TCP_NODELAY, and
 * errbuf (CURL_ERROR_SIZE bytes, may be NULL) as the error buffer. Then TLS, for https
 * URLs: TLS 1.2 at least; the server's certificate verified, chain and name, against
 * tls->cafile alone when one is given (a cluster's private CA must not be widened to
 * every public one), else against the system's CAs; tls->certfile and keyfile presented
 * when the server asks for a client certificate. tls NULL: the defaults, verified
 * against the system's CAs. tls->insecure turns verification off (ctl.insecure).
 * tls is read during this call only.
 */
void http_easy_setup(CURL *h, char *errbuf, const struct tls_client *tls);
/*
 * http_easy_timeouts: the whole transfer within timeout_ms, the connection within
 * connect_timeout_ms (<= 0: timeout_ms).
 */
void http_easy_timeouts(CURL *h, int timeout_ms, int connect_timeout_ms);
/* http_easy_body: the response body goes to b (borrowed; must outlive the transfer). */
void http_easy_body(CURL *h, struct http_body *b);
/* http_easy_error: errbuf when libcurl filled it, else rc's generic text. Borrowed. */
const char *http_easy_error(const char *errbuf, CURLcode rc);

/* One blocking request. */
struct http_req {
	const char *method;           /* "GET", "POST", "PATCH"... */
	const char *url;              /* full URL */
	const char *body;             /* sent as application/json, or NULL */
	const char *user;             /* Basic auth; NULL or "" = no Authorization header */
	const char *password;         /* NULL = "" */
	const struct tls_client *tls; /* for https URLs; NULL = verified by the system's CAs */
	int timeout_ms;               /* the whole request */
	int connect_timeout_ms;       /* <= 0: min(timeout_ms, 3000) */
};

/* *status after a failed http_request when the request never left: no connection. */
#define HTTP_UNSENT (-1L)
/*
 * status[i] of http_request_all when the TLS handshake failed (the server's certificate
 * did not verify, or ours was refused): the request never left either, but the cause
 * is a setup to fix, not a peer that is down.
 */
#define HTTP_TLS_FAILED (-2L)

/*
 * http_request: performs req. True when an HTTP reply came back (*status = its code,
 * the body appended to body if not NULL); false with err set when nothing answered
 * (refused, timed out, bad URL...), *status then HTTP_UNSENT if the server cannot
 * have seen the request (no connection), else 0 (it may have, and may be acting on
 * it: asking again elsewhere is not safe for a switchover). Blocks.
 */
bool http_request(const struct http_req *req, long *status, struct buf *body, char *err,
                  size_t errlen) MUST_CHECK;
/*
 * http_request_all: reqs[0..n) at once (libcurl's multi interface); returns when every
 * one has answered or reached its own timeout. status[i] as http_request's *status
 * (HTTP_UNSENT, HTTP_TLS_FAILED, 0 or the HTTP code); bodies[i] (bodies may be NULL) gets at most
 * max_body bytes (0: no limit; a longer body fails that request: status 0). Blocks.
 */
void http_request_all(const struct http_req *reqs, int n, size_t max_body, long *status,
                      struct buf *bodies);
/* http_get: http_request of a GET without credentials. */
bool http_get(const char *url, const struct tls_client *tls, int timeout_ms, long *status,
              struct buf *body, char *err, size_t errlen) MUST_CHECK;

#endif
