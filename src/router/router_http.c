/*
 * router_http.c: the router's own HTTP endpoint (libmicrohttpd, its own thread):
 * GET /health (200 when a read-write target is eligible, else 503; JSON body) and
 * GET /metrics (Prometheus text). It only reads the counters the loop publishes.
 *
 * Load balancers decide on /health whether the router gets clients, so slow clients must
 * not crowd their probes out: at most 8 connections per address (512 in all, so that it
 * takes 64 addresses to fill the endpoint), and each
 * request's head must arrive within 10 s of the connection, or of the previous request on
 * a kept-alive one, whatever a client trickles meanwhile (util/http_deadline.h).
 */
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include "log/log.h"
#include "util/http_deadline.h"
#include "router/router_int.h"
#include "util/buf.h"
#include "util/netaddr.h"
#include "util/xalloc.h"

#define REQUEST_TIMEOUT_MS 10000

struct router_http {
	struct MHD_Daemon *daemon;
	struct router *r;
	struct http_deadlines *deadlines; /* each connection's request deadline */
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             struct buf *body)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(body->len, body->data, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req_cls)
{
	struct router_http *h = cls;
	struct router_stats *s;
	struct buf body;
	unsigned status = MHD_HTTP_OK;
	const char *type = "application/json";
	enum MHD_Result ret;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)req_cls;
	buf_init(&body);
	s = xmalloc(sizeof(*s));
	router_fresh_stats(h->r, s);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		buf_puts(&body, "{\"error\":\"only GET and HEAD\"}\n");
	} else if (strcmp(url, "/health") == 0) {
		router_stats_health_json(s, &body);
		status = router_stats_rw_ok(s) ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE;
	} else if (strcmp(url, "/metrics") == 0) {
		router_stats_prometheus(s, &body);
		type = "text/plain; version=0.0.4";
	} else {
		status = MHD_HTTP_NOT_FOUND;
		buf_puts(&body, "{\"error\":\"not found: try /health or /metrics\"}\n");
	}
	ret = reply(c, status, type, &body);
	buf_free(&body);
	free(s);
	return ret;
}

/* on_completed: a kept-alive connection's next request has its own deadline, from now. */
static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct router_http *h = cls;
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	(void)req_cls;
	(void)toe;
	if (info != NULL && info->socket_context != NULL)
		http_deadline_next(h->deadlines, info->socket_context);
}

/* on_connection: a connection's life, for its request deadline. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	struct router_http *h = cls;
	const union MHD_ConnectionInfo *info;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context =
		    info != NULL ? http_deadline_track(h->deadlines, info->connect_fd) : NULL;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context != NULL) {
		/* Before libmicrohttpd closes the socket: the watcher never sees it reused. */
		http_deadline_untrack(h->deadlines, *socket_context);
		*socket_context = NULL;
	}
}

static struct MHD_Daemon *start_daemon(struct router_http *h, const struct netaddr *a)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;

	if (netaddr_is_v6(a))
		flags |= netaddr_is_any(a) ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
	return MHD_start_daemon(
	    flags, 0, NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&a->sa,
	    MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_CONNECTION_LIMIT, 512u,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, 8u, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, h, MHD_OPTION_END);
}

struct router_http *router_http_start(struct router *r, const char *listen)
{
	struct netaddr a;
	char err[320];
	struct router_http *h;

	if (!netaddr_resolve(listen, NETADDR_LISTEN, &a, err, sizeof(err))) {
		log_error("router: http_listen: %s", err);
		return NULL;
	}
	h = xcalloc(1, sizeof(*h));
	h->r = r;
	h->deadlines = http_deadline_new(REQUEST_TIMEOUT_MS, NULL);
	if (http_deadline_start(h->deadlines) != 0) {
		log_error("router: cannot start the HTTP request deadline thread");
		router_http_stop(h);
		return NULL;
	}
	h->daemon = start_daemon(h, &a);
	if (h->daemon == NULL) {
		log_error("router: cannot serve HTTP on %s (address in use?)", listen);
		router_http_stop(h);
		return NULL;
	}
	log_info("router: /health and /metrics on http://%s", listen);
	return h;
}

void router_http_stop(struct router_http *h)
{
	if (h == NULL)
		return;
	if (h->daemon != NULL)
		MHD_stop_daemon(h->daemon);
	http_deadline_free(h->deadlines); /* after the daemon: every connection is closed */
	free(h);
}
