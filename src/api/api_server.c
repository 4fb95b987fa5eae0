/*
 * api_server.c: the HTTP side of the REST API, on libmicrohttpd.
 *
 * A small pool of threads, each with its own epoll loop, serves every connection;
 * idle connections time out, a request's head and body must arrive within a total
 * deadline (api_deadline.h), and total and per-address connection limits bound what
 * one client address can hold, so slow or hostile clients cannot starve health
 * checks (it takes more addresses than max_connections / max_connections_per_ip). Reads answer from
 * a fresh copy of the agent's snapshot. Unsafe requests are authenticated, validated
 * (api_request.c), then run by the agent in a thread of their own while their connection is
 * suspended: a switchover that waits for the new leader never holds up a pool thread.
 *
 * This file does HTTP only: routing (api_route.c), rules (api_health.c) and
 * bodies (api_render.c) are pure modules of their own.
 */
#include "api/api.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "api/api_access.h"
#include "api/api_deadline.h"
#include "api/api_health.h"
#include "api/api_render.h"
#include "api/api_request.h"
#include "api/api_route.h"
#include "api/api_tls.h"
#include "log/log.h"
#include "util/b64.h"
#include "util/clock.h"
#include "util/netaddr.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define DEFAULT_THREADS           3
#define DEFAULT_TIMEOUT_S         5
#define DEFAULT_REQUEST_TIMEOUT_S 10
#define DEFAULT_MAX_CONNS         512
#define DEFAULT_MAX_CONNS_IP      32
#define MAX_QUERY_ARGS            32
#define CONTENT_JSON              "application/json"
#define CONTENT_TEXT              "text/plain; charset=utf-8"
#define CONTENT_METRICS           "text/plain; version=0.0.4; charset=utf-8"

struct op_slot {
	bool used; /* a thread was started here and not joined yet */
	bool done; /* that thread has finished its operation */
	pthread_t thread;
};

struct api_server {
	struct MHD_Daemon *daemon;
	struct api_ops ops;
	char *auth_key;         /* owned: base64 of "user:password", NULL = no auth */
	struct api_tls tls;     /* https, client certificates */
	struct api_allow allow; /* restapi.allowlist */
	int port;
	pthread_mutex_t lock; /* guards slots and stopping */
	bool stopping;
	struct op_slot slots[API_MAX_OPERATIONS];
	atomic_bool serving; /* started: libmicrohttpd's complaints are about clients now */
	struct api_deadlines *deadlines; /* each connection's request deadline */
};

/* One request, from its headers to the end of its response. */
struct req_ctx {
	struct api_server *srv;
	struct MHD_Connection *conn;
	struct api_route route;
	struct api_conn *tracked; /* the connection's deadline (api_deadline.h) */
	bool has_body;            /* the request announced a body (Content-Length or chunked) */
	struct buf body;          /* request body, at most API_MAX_BODY_BYTES */
	bool op_done;             /* the operation thread has filled op_status/op_reply */
	int slot;                 /* operation slot index */
	struct api_request req;
	int op_status;
	struct buf op_reply;
};

/* --- responses ------------------------------------------------------------------- */

static enum MHD_Result send_reply(struct MHD_Connection *conn, int status, const char *type,
                                  const char *body, size_t len)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	if (type != NULL && len > 0)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, int status, const char *text)
{
	return send_reply(conn, status, CONTENT_TEXT, text, strlen(text));
}

static enum MHD_Result send_json(struct MHD_Connection *conn, int status, json_t *value,
                                 bool status_only)
{
	char *text = status_only || value == NULL ? NULL : json_dumps(value, JSON_COMPACT);
	enum MHD_Result ret = send_reply(conn, status, CONTENT_JSON, text, text ? strlen(text) : 0);

	free(text);
	json_decref(value);
	return ret;
}

static enum MHD_Result send_405(struct MHD_Connection *conn, const char *allow)
{
	static const char text[] = "method not allowed";
	struct MHD_Response *resp = MHD_create_response_from_buffer(
	    sizeof(text) - 1, (void *)(uintptr_t)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TEXT);
	ret = MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result send_401(struct MHD_Connection *conn, const char *why)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
	    strlen(why), (void *)(uintptr_t)why, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TEXT);
	/* Adds WWW-Authenticate: Basic realm="Patroni", which clients key on. */
	ret = MHD_queue_basic_auth_fail_response(conn, "Patroni", resp);
	MHD_destroy_response(resp);
	return ret;
}

/* --- access control ---------------------------------------------------------------- */

/* same_secret: compares without an early exit, so timing does not reveal a prefix. */
static bool same_secret(const char *given, const char *expected)
{
	size_t given_len = strlen(given);
	size_t expected_len = strlen(expected);
	unsigned diff = given_len != expected_len;

	for (size_t i = 0; i < expected_len; i++)
		diff |= (unsigned char)expected[i] ^ (unsigned char)(i < given_len ? given[i] : 0);
	return diff == 0;
}

/* check_auth: NULL when allowed, else why not (Patroni's messages). */
static const char *check_auth(const struct api_server *srv, struct MHD_Connection *conn)
{
	const char *header;

	if (srv->auth_key == NULL)
		return NULL;
	header = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (header == NULL)
		return "no auth header received";
	if (strncasecmp(header, "Basic ", 6) != 0 || !same_secret(header + 6, srv->auth_key))
		return "not authenticated";
	return NULL;
}

/* allowed_address: the client's address is in the allowlist (or a member's, see there). */
static bool allowed_address(struct api_server *srv, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct api_snapshot snap;
	bool ok;

	if (ci == NULL || ci->client_addr == NULL)
		return false;
	if (!srv->allow.members)
		return api_allow_check(&srv->allow, ci->client_addr, NULL);
	memset(&snap, 0, sizeof(snap));
	srv->ops.snapshot(srv->ops.ctx, &snap);
	ok = api_allow_check(&srv->allow, ci->client_addr, &snap.view);
	api_snapshot_free(&snap);
	return ok;
}

/*
 * check_access: 0 when the request may go on, else the status it gets (403) with why.
 * Patroni's order: the allowlist (unsafe requests), then the client certificate
 * (every request with verify_client required, as its TLS handshake would fail; the
 * unsafe ones with optional), then Basic authentication (check_auth).
 */
static int check_access(struct api_server *srv, struct MHD_Connection *conn,
                        const struct api_route *route, const char **why)
{
	bool cert_needed = srv->tls.verify == API_VERIFY_REQUIRED ||
	                   (route->protected_ && srv->tls.verify == API_VERIFY_OPTIONAL);

	if (route->protected_ && srv->allow.active && !allowed_address(srv, conn)) {
		*why = "Access is denied";
		return 403;
	}
	if (srv->tls.on && cert_needed && !api_tls_client_verified(conn)) {
		*why = "client certificate required";
		return 403;
	}
	return 0;
}

/* --- read endpoints ------------------------------------------------------------------ */

struct query_collect {
	struct api_query_arg args[MAX_QUERY_ARGS];
	int n;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
	struct query_collect *q = cls;

	(void)kind;
	if (q->n >= MAX_QUERY_ARGS)
		return MHD_NO; /* enough: the rest is ignored */
	q->args[q->n].key = key;
	q->args[q->n].value = value != NULL ? value : "";
	q->n++;
	return MHD_YES;
}

static enum MHD_Result answer_metrics(struct MHD_Connection *conn, const struct req_ctx *rc,
                                      const struct api_snapshot *s, const struct api_facts *f,
                                      int64_t now_ms)
{
	struct buf text;
	enum MHD_Result ret;

	buf_init(&text);
	api_render_metrics(s, f, now_ms, &text);
	ret =
	    send_reply(conn, 200, CONTENT_METRICS, text.data, rc->route.status_only ? 0 : text.len);
	buf_free(&text);
	return ret;
}

/* optional_json: 200 with value, or status_if_null with a short explanation. */
static enum MHD_Result optional_json(struct MHD_Connection *conn, const struct req_ctx *rc,
                                     json_t *value, int status_if_null, const char *why)
{
	if (value == NULL)
		return send_reply(conn, status_if_null, CONTENT_TEXT, why,
		                  rc->route.status_only ? 0 : strlen(why));
	return send_json(conn, 200, value, rc->route.status_only);
}

static enum MHD_Result answer_read(struct MHD_Connection *conn, const struct req_ctx *rc,
                                   const char *url, const struct api_snapshot *s, int64_t now_ms)
{
	struct query_collect qc = {.n = 0};
	struct api_query q;
	struct api_facts f;
	bool bare = rc->route.status_only;

	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &qc);
	q.args = qc.args;
	q.n = qc.n;
	api_facts_derive(s, now_ms, &f);
	switch (rc->route.ep) {
	case API_EP_HEALTH:
		/* HEAD and OPTIONS (HAProxy, every few seconds) need no body: skip it. */
		return send_json(conn, api_health_status(s, &f, url, &q),
		                 bare ? NULL : api_render_status(s, &f), bare);
	case API_EP_PATRONI:
		return send_json(conn, 200, api_render_status(s, &f), bare);
	case API_EP_LIVENESS:
		return send_reply(conn, api_liveness_status(s, now_ms), NULL, NULL, 0);
	case API_EP_READINESS:
		return send_reply(conn, api_readiness_status(s, &f, &q), NULL, NULL, 0);
	case API_EP_CLUSTER:
		return optional_json(conn, rc, api_render_cluster(s), 503, "DCS view unavailable");
	case API_EP_HISTORY:
		return optional_json(conn, rc, api_render_history(s), 503, "DCS view unavailable");
	case API_EP_CONFIG:
		return optional_json(conn, rc, api_render_config(s), 502,
		                     "no valid configuration in the DCS");
	case API_EP_METRICS:
		return answer_metrics(conn, rc, s, &f, now_ms);
	case API_EP_FAILSAFE:
		return optional_json(conn, rc, api_render_failsafe(s), 502, "no failsafe key");
	default:
		return send_text(conn, 500, "unexpected route");
	}
}

/* --- operations -------------------------------------------------------------------- */

static void *op_thread(void *arg)
{
	struct req_ctx *rc = arg;
	struct api_server *srv = rc->srv;
	struct MHD_Connection *conn = rc->conn;
	int slot = rc->slot;

	rc->op_status = srv->ops.operation(srv->ops.ctx, &rc->req, &rc->op_reply);
	if (rc->op_status < 100 || rc->op_status > 599) {
		log_error("REST API: %s returned HTTP status %d, answering 500",
		          api_op_str(rc->req.op), rc->op_status);
		rc->op_status = 500;
	}
	log_info("REST API: %s answered %d: %s", api_op_str(rc->req.op), rc->op_status,
	         rc->op_reply.data);
	rc->op_done = true;
	pthread_mutex_lock(&srv->lock);
	srv->slots[slot].done = true;
	pthread_mutex_unlock(&srv->lock);
	/* From here on rc belongs to the connection again (it may be freed at once). */
	MHD_resume_connection(conn);
	return NULL;
}

/* claim_slot: a free operation slot (joining finished threads), or -1. Locked. */
static int claim_slot(struct api_server *srv)
{
	int found = -1;

	for (int i = 0; i < API_MAX_OPERATIONS; i++) {
		struct op_slot *s = &srv->slots[i];

		if (s->used && s->done) {
			pthread_join(s->thread, NULL);
			s->used = false;
		}
		if (!s->used && found < 0)
			found = i;
	}
	return found;
}

static enum MHD_Result start_operation(struct api_server *srv, struct MHD_Connection *conn,
                                       struct req_ctx *rc)
{
	int slot;
	bool stopping;

	pthread_mutex_lock(&srv->lock);
	stopping = srv->stopping;
	slot = stopping ? -1 : claim_slot(srv);
	if (slot >= 0) {
		rc->slot = slot;
		/* Suspend before the thread can resume us. */
		MHD_suspend_connection(conn);
		if (pthread_create(&srv->slots[slot].thread, NULL, op_thread, rc) == 0) {
			srv->slots[slot].used = true;
			srv->slots[slot].done = false;
		} else {
			/* Answered when the connection comes back (on_request, op_done). */
			rc->op_status = 503;
			buf_puts(&rc->op_reply, "cannot start the operation");
			rc->op_done = true;
			MHD_resume_connection(conn);
		}
	}
	pthread_mutex_unlock(&srv->lock);
	if (slot >= 0)
		return MHD_YES;
	return send_text(conn, 503,
	                 stopping ? "shutting down" : "too many operations in progress, try again");
}

static void log_request(const struct api_request *req)
{
	log_info("REST API: %s requested%s%s%s%s%s%s", api_op_str(req->op),
	         req->leader[0] ? " leader=" : "", req->leader,
	         req->candidate[0] ? " candidate=" : "", req->candidate,
	         req->scheduled_at[0] ? " at=" : "", req->scheduled_at);
}

static enum MHD_Result answer_operation(struct api_server *srv, struct MHD_Connection *conn,
                                        struct req_ctx *rc, const struct api_snapshot *s)
{
	struct api_request_input in = {
	    .op = rc->route.op,
	    .body = rc->has_body ? rc->body.data : NULL,
	    .body_len = rc->body.len,
	    .paused = s->pause,
	    .now_epoch_ms = clock_wall_epoch_s() * 1000,
	};
	char msg[256];
	int status = api_request_parse(&in, &rc->req, msg, sizeof(msg));

	if (status != 0) {
		log_info("REST API: %s refused (%d): %s", api_op_str(in.op), status, msg);
		return send_text(conn, status, msg);
	}
	log_request(&rc->req);
	return start_operation(srv, conn, rc);
}

/* --- request life cycle -------------------------------------------------------------- */

/*
 * early_answer: refuses what the headers alone condemn, before any body is read
 * (libmicrohttpd then closes the connection instead of reading it); MHD_YES with
 * nothing queued lets the request go on.
 */
static enum MHD_Result early_answer(struct api_server *srv, struct MHD_Connection *conn,
                                    struct req_ctx *rc)
{
	const char *length =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	int64_t length_bytes = 0;
	const char *why;
	int status;

	switch (rc->route.ep) {
	case API_EP_NOT_IMPLEMENTED:
		return send_text(conn, 501, "Unsupported method");
	case API_EP_NOT_FOUND:
		return send_text(conn, 404, "not found");
	case API_EP_METHOD_NOT_ALLOWED:
		return send_405(conn, rc->route.allow);
	default:
		break;
	}
	if ((status = check_access(srv, conn, &rc->route, &why)) != 0)
		return send_text(conn, status, why);
	if (rc->route.protected_ && (why = check_auth(srv, conn)) != NULL)
		return send_401(conn, why);
	/* Patroni wants Content-Length; a chunked body (libmicrohttpd decodes it) is
	 * accepted too, rather than refused with 411 or silently ignored. */
	rc->has_body = length != NULL ||
	               MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                           MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
	if (length != NULL && str_parse_i64(length, &length_bytes) &&
	    length_bytes > API_MAX_BODY_BYTES)
		return send_text(conn, 413, "request body too large");
	return MHD_YES;
}

static enum MHD_Result absorb_body(struct req_ctx *rc, const char *data, size_t *size)
{
	size_t len = *size;

	*size = 0;
	/*
	 * A chunked body has no Content-Length to refuse early. libmicrohttpd cannot
	 * queue a response in the middle of an upload, so the connection is closed
	 * rather than reading an unbounded stream to its end.
	 */
	if (rc->body.len + len > API_MAX_BODY_BYTES) {
		log_debug("REST API: chunked request body over %d bytes, closing",
		          API_MAX_BODY_BYTES);
		return MHD_NO;
	}
	buf_append(&rc->body, data, len);
	return MHD_YES;
}

/*
 * answer_failsafe: POST /failsafe, answered at once in this thread (the agent only
 * takes a mutex): a primary without etcd waits for every member within its deadline.
 */
static enum MHD_Result answer_failsafe(struct api_server *srv, struct MHD_Connection *conn,
                                       struct req_ctx *rc)
{
	struct api_failsafe_post post;
	struct MHD_Response *resp;
	struct buf text;
	char lsn[32] = "";
	int status = 502;
	enum MHD_Result ret;

	api_failsafe_parse(rc->has_body ? rc->body.data : NULL, rc->body.len, &post);
	buf_init(&text);
	if (srv->ops.failsafe != NULL)
		status = srv->ops.failsafe(srv->ops.ctx, &post, &text, lsn, sizeof(lsn));
	else
		buf_puts(&text, "failsafe mode is not enabled");
	resp = MHD_create_response_from_buffer(text.len, text.data, MHD_RESPMEM_MUST_COPY);
	buf_free(&text);
	if (resp == NULL)
		return MHD_NO;
	/* Patroni answers text/html; its primary checks the status and the body only. */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        status == 200 ? "text/html" : CONTENT_TEXT);
	if (status == 200 && lsn[0] != '\0')
		MHD_add_response_header(resp, "lsn", lsn);
	ret = MHD_queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result answer(struct api_server *srv, struct MHD_Connection *conn,
                              struct req_ctx *rc, const char *url)
{
	struct api_snapshot snap;
	int64_t now_ms;
	enum MHD_Result ret;

	/* The request arrived whole: no deadline while it is answered (an operation may wait). */
	if (rc->tracked != NULL)
		api_deadline_answering(srv->deadlines, rc->tracked);
	if (rc->route.ep == API_EP_FAILSAFE_POST)
		return answer_failsafe(srv, conn, rc);
	memset(&snap, 0, sizeof(snap));
	srv->ops.snapshot(srv->ops.ctx, &snap);
	now_ms = clock_now_ms();
	if (rc->route.ep == API_EP_OPERATION)
		ret = answer_operation(srv, conn, rc, &snap);
	else
		ret = answer_read(conn, rc, url, &snap, now_ms);
	api_snapshot_free(&snap);
	return ret;
}

static struct req_ctx *req_new(struct api_server *srv, struct MHD_Connection *conn,
                               const char *method, const char *url)
{
	struct req_ctx *rc = xcalloc(1, sizeof(*rc));
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	rc->srv = srv;
	rc->conn = conn;
	rc->tracked = info != NULL ? info->socket_context : NULL;
	buf_init(&rc->body);
	buf_init(&rc->op_reply);
	api_route_find(method, url, &rc->route);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct api_server *srv = cls;
	struct req_ctx *rc = *con_cls;

	(void)version;
	if (rc == NULL) {
		*con_cls = rc = req_new(srv, conn, method, url);
		return early_answer(srv, conn, rc);
	}
	if (rc->op_done)
		return send_reply(conn, rc->op_status, CONTENT_TEXT, rc->op_reply.data,
		                  rc->op_reply.len);
	if (*upload_data_size > 0)
		return absorb_body(rc, upload_data, upload_data_size);
	return answer(srv, conn, rc, url);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct api_server *srv = cls;
	struct req_ctx *rc = *con_cls;

	(void)conn;
	(void)toe;
	if (rc == NULL)
		return;
	/* A kept-alive connection's next request has its own deadline, from now. */
	if (rc->tracked != NULL)
		api_deadline_next(srv->deadlines, rc->tracked);
	buf_free(&rc->body);
	buf_free(&rc->op_reply);
	api_request_free(&rc->req);
	free(rc);
	*con_cls = NULL;
}

/* on_connection: a connection's life, for its request deadline (api_deadline.h). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	struct api_server *srv = cls;
	const union MHD_ConnectionInfo *info;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context =
		    info != NULL ? api_deadline_track(srv->deadlines, info->connect_fd) : NULL;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context != NULL) {
		/* Before libmicrohttpd closes the socket: the watcher never sees it reused. */
		api_deadline_untrack(srv->deadlines, *socket_context);
		*socket_context = NULL;
	}
}

/*
 * on_mhd_log: libmicrohttpd's own messages. While starting they say why the
 * address cannot be bound (worth an error); once serving they are about
 * misbehaving clients, which must not flood the log.
 */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	const struct api_server *srv = cls;
	char line[512];
	size_t len;

	vsnprintf(line, sizeof(line), fmt, ap);
	len = strlen(line);
	while (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	if (atomic_load(&srv->serving))
		log_debug("REST API (libmicrohttpd): %s", line);
	else
		log_error("REST API: %s", line);
}

/* --- start / stop ------------------------------------------------------------------- */

/* listen_addr: restapi.listen into a socket address (util/netaddr's rules). */
static bool listen_addr(const char *listen, struct netaddr *addr)
{
	char err[320];

	if (!netaddr_resolve(listen, NETADDR_LISTEN, addr, err, sizeof(err))) {
		log_error("REST API: restapi.listen: %s", err);
		return false;
	}
	return true;
}

static int or_default(int value, int fallback)
{
	return value > 0 ? value : fallback;
}

static struct MHD_Daemon *start_daemon(struct api_server *srv, const struct api_options *opt,
                                       const struct netaddr *addr)
{
	unsigned flags =
	    MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem tls[API_TLS_MAX_OPTIONS];
	bool v6 = netaddr_is_v6(addr);
	bool any6 = v6 && netaddr_is_any(addr);
	/* Only for libmicrohttpd's messages: the address given below is what it binds. */
	uint16_t port = (uint16_t)netaddr_port(addr);

	if (v6)
		flags |= any6 ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
	api_tls_options(&srv->tls, tls, &flags);
	/* The logger goes first so that it catches messages about the options after it. */
	return MHD_start_daemon(
	    flags, port, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
	    MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&addr->sa, MHD_OPTION_THREAD_POOL_SIZE,
	    (unsigned)or_default(opt->threads, DEFAULT_THREADS), MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)or_default(opt->connection_timeout_s, DEFAULT_TIMEOUT_S),
	    MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)or_default(opt->max_connections, DEFAULT_MAX_CONNS),
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned)or_default(opt->max_connections_per_ip, DEFAULT_MAX_CONNS_IP),
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION,
	    on_connection, srv, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
}

static char *auth_key(const struct api_options *opt)
{
	const char *user = opt->username != NULL ? opt->username : "";
	const char *password = opt->password != NULL ? opt->password : "";
	char *pair;
	char *key;

	if (user[0] == '\0' && password[0] == '\0')
		return NULL;
	pair = xasprintf("%s:%s", user, password);
	key = b64_encode(pair, strlen(pair));
	free(pair);
	return key;
}

static bool build_allowlist(struct api_server *srv, const struct api_options *opt)
{
	char err[320];

	if (api_allow_build(opt->allowlist, opt->allowlist_include_members, &srv->allow, err,
	                    sizeof(err)))
		return true;
	log_error("REST API: %s", err);
	return false;
}

struct api_server *api_start(const struct api_options *opt, const struct api_ops *ops)
{
	struct api_server *srv;
	struct netaddr addr;
	const union MHD_DaemonInfo *info;

	if (ops->snapshot == NULL || ops->operation == NULL) {
		log_error("REST API: the agent must provide snapshot and operation callbacks");
		return NULL;
	}
	if (!listen_addr(opt->listen, &addr))
		return NULL;
	srv = xcalloc(1, sizeof(*srv));
	srv->ops = *ops;
	srv->auth_key = auth_key(opt);
	pthread_mutex_init(&srv->lock, NULL);
	srv->deadlines = api_deadline_new(
	    or_default(opt->request_timeout_s, DEFAULT_REQUEST_TIMEOUT_S) * 1000, NULL);
	if (!api_tls_load(opt, &srv->tls) || !build_allowlist(srv, opt)) {
		api_stop(srv);
		return NULL;
	}
	if (api_deadline_start(srv->deadlines) != 0) {
		log_error("REST API: cannot start the request deadline thread");
		api_stop(srv);
		return NULL;
	}
	srv->daemon = start_daemon(srv, opt, &addr);
	if (srv->daemon == NULL) {
		log_error("REST API: cannot listen on %s", opt->listen);
		api_stop(srv);
		return NULL;
	}
	atomic_store(&srv->serving, true);
	info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info != NULL ? info->port : 0;
	log_info("REST API: listening on %s, %s%s%s", opt->listen, srv->tls.on ? "https" : "http",
	         srv->auth_key != NULL ? ", unsafe endpoints need authentication" : "",
	         srv->allow.active ? " from allowed addresses" : "");
	return srv;
}

int api_port(const struct api_server *srv)
{
	return srv->port;
}

void api_stop(struct api_server *srv)
{
	if (srv == NULL)
		return;
	pthread_mutex_lock(&srv->lock);
	srv->stopping = true;
	pthread_mutex_unlock(&srv->lock);
	/* Every running operation resumes its connection when it returns: no connection
	 * is left suspended when the daemon stops (libmicrohttpd requires that). */
	for (int i = 0; i < API_MAX_OPERATIONS; i++) {
		if (srv->slots[i].used)
			pthread_join(srv->slots[i].thread, NULL);
	}
	if (srv->daemon != NULL)
		MHD_stop_daemon(srv->daemon);
	api_deadline_free(srv->deadlines); /* after the daemon: every connection is closed */
	pthread_mutex_destroy(&srv->lock);
	free(srv->auth_key);
	api_tls_free(&srv->tls);
	api_allow_free(&srv->allow);
	free(srv);
}
