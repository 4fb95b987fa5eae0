/*
 * ops_http.h: one blocking HTTP request to an agent's REST API (or etcd's /health)
 * through libcurl: any method, an optional JSON body, optional Basic auth.
 *
 * Does not log: the outcome is the status code and body, or a message in err.
 */
#ifndef PGHA_CLI_OPS_HTTP_H
#define PGHA_CLI_OPS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include "util/buf.h"
#include "util/compiler.h"

struct ops_http_req {
	const char *method; /* "GET", "POST", "PATCH"... */
	const char *url;    /* full URL */
	const char *body;   /* JSON text sent with Content-Type: application/json, or NULL */
	const char *user;   /* Basic auth user; NULL or "" = no Authorization header */
	const char *password;
	int timeout_ms; /* whole request */
};

/* *status after a failed ops_http_do when the request never left: no connection. */
#define OPS_HTTP_UNSENT (-1L)

/*
 * ops_http_do: performs req. True when an HTTP reply came back (*status = its code,
 * the body appended to body if not NULL); false with err set when nothing answered
 * (refused, timed out, bad URL...), *status then OPS_HTTP_UNSENT if the server cannot
 * have seen the request (no connection), else 0 (it may have, and may be acting on it).
 */
bool ops_http_do(const struct ops_http_req *req, long *status, struct buf *body, char *err,
                 size_t errlen) MUST_CHECK;

#endif
