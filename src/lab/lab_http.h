/*
 * lab_http.h: one blocking HTTP GET through libcurl, for the lab's health probes
 * (etcd's /health, the agents' /primary and /replica).
 *
 * Does not log: the outcome is the status code, or a message in err.
 */
#ifndef PGHA_LAB_LAB_HTTP_H
#define PGHA_LAB_LAB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include "util/buf.h"
#include "util/compiler.h"

/*
 * lab_http_get: GETs url within timeout_ms. True when an HTTP answer came back
 * (*status = its code, body appended to body if not NULL); false (err set) when
 * nothing answered (refused, timeout...).
 */
bool lab_http_get(const char *url, int timeout_ms, long *status, struct buf *body, char *err,
                  size_t errlen) MUST_CHECK;

#endif
