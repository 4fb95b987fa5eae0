/*
 * api_request.h: validation of the unsafe requests' bodies, in Patroni's order
 * and with Patroni's status codes and messages (docs/patroni.md, REST API), into a
 * struct api_request. Library-like and pure: the time and the pause flag are
 * passed in, problems come back as a status and a message, nothing is logged.
 */
#ifndef PGHA_API_API_REQUEST_H
#define PGHA_API_API_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "api/api.h"

struct api_request_input {
	enum api_op op;
	const char *body; /* request body, or NULL without a Content-Length header */
	size_t body_len;
	bool paused;          /* the cluster is in maintenance mode */
	int64_t now_epoch_ms; /* wall time, to refuse schedules in the past */
};

/*
 * api_request_parse: checks in and fills req. Returns 0 when req is ready for the
 * agent; otherwise the HTTP status (400, 411, 422, 500 as Patroni answers) with
 * the reason in msg, and req holds nothing to free.
 */
int api_request_parse(const struct api_request_input *in, struct api_request *req, char *msg,
                      size_t msglen);

/* api_parse_pg_version: "15.2" -> 150002, "9.6.24" -> 90624 (Patroni's rules); -1 if bad. */
int api_parse_pg_version(const char *text);

#endif
