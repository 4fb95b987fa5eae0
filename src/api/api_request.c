/*
 * api_request.c: turns the body of an unsafe request into a struct api_request,
 * refusing what Patroni refuses before it acts, in the same order and with the
 * same status codes and messages (so patronictl prints what users know). Checks
 * that need the cluster (does the candidate exist, is it healthy...) are the
 * agent's. Pure: no I/O, no clock, no logging.
 */
#include "api/api_request.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/compiler.h"
#include "util/iso8601.h"
#include "util/strutil.h"

#define BAD_REQUEST         400
#define LENGTH_REQUIRED     411
#define UNPROCESSABLE       422
#define INTERNAL_SERVER_ERR 500

static const char *const op_names[] = {
    [API_OP_SWITCHOVER] = "switchover",
    [API_OP_FAILOVER] = "failover",
    [API_OP_SWITCHOVER_CANCEL] = "switchover-cancel",
    [API_OP_RESTART] = "restart",
    [API_OP_RESTART_CANCEL] = "restart-cancel",
    [API_OP_REINITIALIZE] = "reinitialize",
    [API_OP_RELOAD] = "reload",
    [API_OP_CONFIG_PATCH] = "config-patch",
    [API_OP_CONFIG_PUT] = "config-put",
};

const char *api_op_str(enum api_op op)
{
	return op >= 0 && op < API_OP__COUNT ? op_names[op] : "unknown";
}

void api_request_free(struct api_request *req)
{
	json_decref(req->config);
	req->config = NULL;
}

static int fail(int status, char *msg, size_t msglen, const char *fmt, ...) PRINTF_LIKE(4, 5);

static int fail(int status, char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return status;
}

/* parse_schedule: Patroni's parse_schedule(): 0, or 400 (no zone) / 422 (bad, past). */
static int parse_schedule(const char *text, const char *action, int64_t now_epoch_ms,
                          int64_t *epoch_ms, char *msg, size_t msglen)
{
	enum iso8601_result rc = iso8601_parse(text, epoch_ms);

	if (rc == ISO8601_INVALID)
		return fail(UNPROCESSABLE, msg, msglen,
		            "Unable to parse scheduled timestamp. It should be in an unambiguous "
		            "format, e.g. ISO 8601");
	if (rc == ISO8601_NO_ZONE)
		return fail(BAD_REQUEST, msg, msglen,
		            "Timezone information is mandatory for the scheduled %s", action);
	if (*epoch_ms < now_epoch_ms)
		return fail(UNPROCESSABLE, msg, msglen, "Cannot schedule %s in the past", action);
	return 0;
}

/* --- field helpers ---------------------------------------------------------------- */

/* get_text: a string field into out; absent or null gives "". 400 on wrong type/length. */
static int get_text(const json_t *body, const char *key, char *out, size_t size, char *msg,
                    size_t msglen)
{
	const json_t *v = json_object_get(body, key);

	out[0] = '\0';
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return fail(BAD_REQUEST, msg, msglen, "\"%s\" must be a string", key);
	if (!str_copy(out, size, json_string_value(v)))
		return fail(BAD_REQUEST, msg, msglen, "\"%s\" is too long", key);
	/* Names end up in logs and the DCS: no control characters (line breaks...). */
	for (const char *p = out; *p != '\0'; p++) {
		if (iscntrl((unsigned char)*p))
			return fail(BAD_REQUEST, msg, msglen, "\"%s\" has control characters", key);
	}
	return 0;
}

/* flag_value: Patroni's parse_bool(): bools, 0/1, "on"/"off", "yes"/"no"... */
static bool flag_value(const json_t *v, bool *out)
{
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return true;
	}
	if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
		*out = json_integer_value(v) == 1;
		return true;
	}
	return json_is_string(v) && str_parse_bool(json_string_value(v), out);
}

/* get_flag: a boolean field; absent or null = false; 400 on anything else. */
static int get_flag(const json_t *body, const char *key, bool *out, char *msg, size_t msglen)
{
	const json_t *v = json_object_get(body, key);

	*out = false;
	if (v == NULL || json_is_null(v) || flag_value(v, out))
		return 0;
	return fail(BAD_REQUEST, msg, msglen, "\"%s\" must be a boolean", key);
}

int api_parse_pg_version(const char *text)
{
	int parts[3] = {0, 0, 0};
	int n = 0;
	const char *p = text;

	while (n < 3) {
		char *end;
		long v;

		if (!isdigit((unsigned char)*p))
			return -1;
		v = strtol(p, &end, 10);
		if (v > 99 && n > 0)
			return -1;
		if (v > 9999)
			return -1;
		parts[n++] = (int)v;
		p = end;
		if (*p == '\0')
			break;
		if (*p++ != '.')
			return -1;
	}
	if (*p != '\0' || n < 2 || (n == 2 && parts[0] < 10))
		return -1;
	if (n == 2) /* 15.2 is 15.0.2 */
		return parts[0] * 10000 + parts[1];
	return parts[0] * 10000 + parts[1] * 100 + parts[2];
}

/*
 * parse_timeout_s: Patroni's parse_int(value, 's'): an integer, or a string with an
 * optional unit ms, s, min, h or d; rounded to seconds. A value whose seconds do not fit
 * an int (or whose text overflows on the way) is refused, never wrapped.
 */
static bool parse_timeout_s(const json_t *v, int *out)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = {{"", 1000},     {"ms", 1},      {"s", 1000},
	             {"min", 60000}, {"h", 3600000}, {"d", 86400000}};
	const char *text;
	char *end;
	long long n;

	if (json_is_integer(v)) {
		n = json_integer_value(v);
		if (n > INT32_MAX || n < INT32_MIN)
			return false;
		*out = (int)n;
		return true;
	}
	if (!json_is_string(v))
		return false;
	text = json_string_value(v);
	if (!isdigit((unsigned char)*text) && *text != '-')
		return false;
	errno = 0;
	n = strtoll(text, &end, 10);
	for (size_t i = 0; i < ARRAY_LEN(units) && errno == 0; i++) {
		int64_t ms = units[i].ms, s;

		if (!str_eq(end, units[i].unit))
			continue;
		if (n > (INT64_MAX - 500) / ms || n < INT64_MIN / ms)
			return false;
		s = (n * ms + 500) / 1000;
		if (s > INT32_MAX || s < INT32_MIN)
			return false;
		*out = (int)s;
		return true;
	}
	return false;
}

/* --- switchover / failover ------------------------------------------------------- */

static int read_switchover_fields(const json_t *body, struct api_request *req, char *msg,
                                  size_t msglen)
{
	int rc = get_text(body, "leader", req->leader, sizeof(req->leader), msg, msglen);

	if (rc == 0)
		rc = get_text(body, "candidate", req->candidate, sizeof(req->candidate), msg,
		              msglen);
	/* Patroni: request.get('candidate') or request.get('member') */
	if (rc == 0 && req->candidate[0] == '\0')
		rc = get_text(body, "member", req->candidate, sizeof(req->candidate), msg, msglen);
	if (rc == 0)
		rc = get_text(body, "scheduled_at", req->scheduled_at, sizeof(req->scheduled_at),
		              msg, msglen);
	return rc;
}

static int parse_switchover(const struct api_request_input *in, const json_t *body,
                            struct api_request *req, char *msg, size_t msglen)
{
	bool failover = in->op == API_OP_FAILOVER;
	int rc = read_switchover_fields(body, req, msg, msglen);

	if (rc != 0)
		return rc;
	if (failover && req->candidate[0] == '\0')
		return fail(BAD_REQUEST, msg, msglen,
		            "Failover could be performed only to a specific candidate");
	if (!failover && req->leader[0] == '\0')
		return fail(BAD_REQUEST, msg, msglen,
		            "Switchover could be performed only from a specific leader");
	if (req->scheduled_at[0] != '\0') {
		if (failover)
			return fail(BAD_REQUEST, msg, msglen, "Failover can't be scheduled");
		if (in->paused)
			return fail(BAD_REQUEST, msg, msglen,
			            "Can't schedule switchover in the paused state");
		rc = parse_schedule(req->scheduled_at, "switchover", in->now_epoch_ms,
		                    &req->scheduled_at_epoch_ms, msg, msglen);
		if (rc != 0)
			return rc;
	}
	if (in->paused && req->candidate[0] == '\0')
		return fail(
		    BAD_REQUEST, msg, msglen,
		    "Switchover is possible only to a specific candidate in a paused state");
	/* A failover that names the leader is a switchover (Patroni logs a warning). */
	if (failover && req->leader[0] != '\0')
		req->op = API_OP_SWITCHOVER;
	if (str_eq(req->leader, req->candidate))
		return fail(BAD_REQUEST, msg, msglen, "Switchover target and source are the same");
	return 0;
}

/* --- restart ---------------------------------------------------------------------- */

static int restart_role(const json_t *v, struct api_request *req, char *msg, size_t msglen)
{
	const char *role = json_is_string(v) ? json_string_value(v) : "";

	/* "master" is what patronictl 3.x sends for --role primary. */
	if (str_eq(role, "master"))
		role = "primary";
	if (!str_eq(role, "primary") && !str_eq(role, "standby_leader") && !str_eq(role, "replica"))
		return fail(BAD_REQUEST, msg, msglen,
		            "PostgreSQL role should be either primary, standby_leader, or replica");
	return str_copy(req->role, sizeof(req->role), role) ? 0 : BAD_REQUEST;
}

static int restart_key(const json_t *body, const char *key, const json_t *v,
                       const struct api_request_input *in, struct api_request *req, char *msg,
                       size_t msglen)
{
	if (str_eq(key, "schedule")) {
		if (!json_is_string(v) ||
		    !str_copy(req->scheduled_at, sizeof(req->scheduled_at), json_string_value(v)))
			return fail(UNPROCESSABLE, msg, msglen,
			            "Unable to parse scheduled timestamp. It should be in an "
			            "unambiguous format, e.g. ISO 8601");
		return parse_schedule(req->scheduled_at, "restart", in->now_epoch_ms,
		                      &req->scheduled_at_epoch_ms, msg, msglen);
	}
	if (str_eq(key, "role"))
		return restart_role(v, req, msg, msglen);
	if (str_eq(key, "postgres_version")) {
		const char *text = json_is_string(v) ? json_string_value(v) : "";

		req->postgres_version = api_parse_pg_version(text);
		if (req->postgres_version < 0)
			return fail(BAD_REQUEST, msg, msglen,
			            "Invalid PostgreSQL version format: X.Y or X.Y.Z is accepted");
		return 0;
	}
	if (str_eq(key, "timeout")) {
		if (!parse_timeout_s(v, &req->timeout_s) || req->timeout_s <= 0)
			return fail(BAD_REQUEST, msg, msglen,
			            "Timeout should be a positive number of seconds");
		return 0;
	}
	if (str_eq(key, "restart_pending"))
		return get_flag(body, key, &req->restart_pending, msg, msglen);
	return fail(BAD_REQUEST, msg, msglen, "Unknown filter for the scheduled restart: %s", key);
}

static int parse_restart(const struct api_request_input *in, json_t *body, struct api_request *req,
                         char *msg, size_t msglen)
{
	const char *key;
	const json_t *value;

	if (in->paused && json_object_get(body, "schedule") != NULL)
		return fail(INTERNAL_SERVER_ERR, msg, msglen,
		            "Can't schedule restart in the paused state");
	/* Object keys come in the order sent: the first bad one is reported, as in Patroni. */
	json_object_foreach(body, key, value)
	{
		int rc = restart_key(body, key, value, in, req, msg, msglen);

		if (rc != 0)
			return rc;
	}
	return 0;
}

/* --- body -------------------------------------------------------------------------- */

/* load_body: Patroni's _read_json_content(); *body_out gets an owned object. */
static int load_body(const struct api_request_input *in, bool optional, json_t **body_out,
                     char *msg, size_t msglen)
{
	json_error_t err;
	json_t *body;

	*body_out = NULL;
	if (in->body == NULL && !optional)
		return fail(LENGTH_REQUIRED, msg, msglen, "Content-Length required");
	if (in->body == NULL || (in->body_len == 0 && optional)) {
		*body_out = json_object();
		return 0;
	}
	body = json_loadb(in->body, in->body_len, 0, &err);
	if (body == NULL)
		return fail(BAD_REQUEST, msg, msglen, "invalid JSON body: %s (line %d, column %d)",
		            err.text, err.line, err.column);
	if (!json_is_object(body) || (json_object_size(body) == 0 && !optional)) {
		json_decref(body);
		return fail(BAD_REQUEST, msg, msglen, "the body must be a non-empty JSON object");
	}
	*body_out = body;
	return 0;
}

static int parse_op(const struct api_request_input *in, json_t *body, struct api_request *req,
                    char *msg, size_t msglen)
{
	switch (in->op) {
	case API_OP_SWITCHOVER:
	case API_OP_FAILOVER:
		return parse_switchover(in, body, req, msg, msglen);
	case API_OP_RESTART:
		return parse_restart(in, body, req, msg, msglen);
	case API_OP_REINITIALIZE: {
		int rc = get_flag(body, "force", &req->force, msg, msglen);

		return rc != 0 ? rc : get_flag(body, "from_leader", &req->from_leader, msg, msglen);
	}
	case API_OP_CONFIG_PATCH:
	case API_OP_CONFIG_PUT:
		req->config = json_incref(body);
		return 0;
	case API_OP_SWITCHOVER_CANCEL:
	case API_OP_RESTART_CANCEL:
	case API_OP_RELOAD:
		return 0;
	case API_OP__COUNT:
		break;
	}
	return fail(BAD_REQUEST, msg, msglen, "unknown operation");
}

int api_request_parse(const struct api_request_input *in, struct api_request *req, char *msg,
                      size_t msglen)
{
	/* Patroni reads a body only for these; /reload and the DELETEs ignore any. */
	bool required = in->op == API_OP_SWITCHOVER || in->op == API_OP_FAILOVER ||
	                in->op == API_OP_CONFIG_PATCH || in->op == API_OP_CONFIG_PUT;
	bool optional = in->op == API_OP_RESTART || in->op == API_OP_REINITIALIZE;
	json_t *body = NULL;
	int rc = 0;

	memset(req, 0, sizeof(*req));
	req->op = in->op;
	msg[0] = '\0';
	if (required || optional)
		rc = load_body(in, optional, &body, msg, msglen);
	if (rc == 0)
		rc = parse_op(in, body, req, msg, msglen);
	json_decref(body);
	if (rc != 0)
		api_request_free(req);
	return rc;
}

/* --- POST /failsafe ------------------------------------------------------------------- */

static bool failsafe_text(const json_t *body, const char *key, char *out, size_t size,
                          struct api_failsafe_post *p)
{
	if (p->parse_status == 0 && get_text(body, key, out, size, p->why, sizeof(p->why)) != 0)
		p->parse_status = BAD_REQUEST;
	if (p->parse_status == 0 && out[0] == '\0')
		p->parse_status =
		    fail(BAD_REQUEST, p->why, sizeof(p->why), "\"%s\" is missing", key);
	return p->parse_status == 0;
}

void api_failsafe_parse(const char *body, size_t len, struct api_failsafe_post *out)
{
	json_t *j;
	const json_t *tl;

	memset(out, 0, sizeof(*out));
	if (body == NULL) {
		out->parse_status =
		    fail(LENGTH_REQUIRED, out->why, sizeof(out->why), "Content-Length is required");
		return;
	}
	j = json_loadb(body, len, 0, NULL);
	if (!json_is_object(j) || json_object_size(j) == 0) {
		out->parse_status = fail(BAD_REQUEST, out->why, sizeof(out->why),
		                         "the body must be a non-empty JSON object");
	} else if (failsafe_text(j, "name", out->name, sizeof(out->name), out) &&
	           failsafe_text(j, "conn_url", out->conn_url, sizeof(out->conn_url), out) &&
	           failsafe_text(j, "api_url", out->api_url, sizeof(out->api_url), out)) {
		tl = json_object_get(j, "timeline");
		if (json_is_integer(tl) && json_integer_value(tl) > 0 &&
		    json_integer_value(tl) < INT32_MAX)
			out->timeline = (int)json_integer_value(tl);
		else if (tl != NULL && !json_is_null(tl))
			out->parse_status = fail(BAD_REQUEST, out->why, sizeof(out->why),
			                         "\"timeline\" must be a positive integer");
	}
	json_decref(j);
}
