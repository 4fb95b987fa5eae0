/*
 * router_check.c: libcurl multi-socket health checks inside the router's epoll loop.
 *
 * Does: one reusable easy handle per target (keep-alive to each REST API), socket and
 * timer callbacks that mirror libcurl's wishes into epoll, completion -> callback.
 * Does not: decide anything about health (router_target.c) or schedule checks (the
 * loop does). HEAD is enough: Patroni and pgha answer it with the status alone.
 */
#include "router/router_check.h"

#include <curl/curl.h>
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include "http/http.h"
#include "log/log.h"
#include "router/router_ev.h"
#include "util/clock.h"
#include "util/xalloc.h"

struct check_slot {
	CURL *easy;              /* reused between checks, NULL until the first */
	bool busy;               /* a check is in flight */
	enum rt_check_kind kind; /* of the check in flight */
	int target;              /* index, for the private pointer */
};

struct dead_handle {
	struct ev_handle *h;
	struct dead_handle *next;
};

struct checker {
	CURLM *multi;
	int epfd;
	int timeout_ms;               /* per check, connect included */
	const struct tls_client *tls; /* https api_urls (borrowed: the router's config) */
	int64_t deadline_ms;          /* libcurl's timer, INT64_MAX = none */
	checker_result_fn *cb;
	void *cb_arg;
	struct check_slot slots[RT_MAX_TARGETS];
	struct dead_handle *dead; /* freed at the end of the iteration */
};

static void bury(struct checker *ck, struct ev_handle *h)
{
	struct dead_handle *d = xmalloc(sizeof(*d));

	h->fd = -1;
	d->h = h;
	d->next = ck->dead;
	ck->dead = d;
}

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct checker *ck = userp;
	struct ev_handle *h = socketp;
	struct epoll_event ev = {.events = 0};

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (h != NULL) {
			(void)epoll_ctl(ck->epfd, EPOLL_CTL_DEL, s, NULL);
			curl_multi_assign(ck->multi, s, NULL);
			bury(ck, h);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev.events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev.events |= EPOLLOUT;
	if (h == NULL) {
		h = xcalloc(1, sizeof(*h));
		h->kind = EV_CHECK;
		h->fd = s;
		h->owner = ck;
		ev.data.ptr = h;
		if (epoll_ctl(ck->epfd, EPOLL_CTL_ADD, s, &ev) == -1) {
			log_warn("router: health check socket: epoll_ctl: %m");
			free(h);
			return -1;
		}
		curl_multi_assign(ck->multi, s, h);
		return 0;
	}
	ev.data.ptr = h;
	if (epoll_ctl(ck->epfd, EPOLL_CTL_MOD, s, &ev) == -1) {
		log_warn("router: health check socket: epoll_ctl: %m");
		return -1;
	}
	return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct checker *ck = userp;

	(void)multi;
	ck->deadline_ms = timeout_ms < 0 ? INT64_MAX : clock_now_ms() + timeout_ms;
	return 0;
}

struct checker *checker_new(int epfd, int timeout_ms, const struct tls_client *tls,
                            checker_result_fn *cb, void *arg)
{
	struct checker *ck = xcalloc(1, sizeof(*ck));

	ck->multi = curl_multi_init();
	if (ck->multi == NULL) {
		log_error("router: curl_multi_init failed");
		free(ck);
		return NULL;
	}
	ck->epfd = epfd;
	ck->timeout_ms = timeout_ms;
	ck->tls = tls;
	ck->deadline_ms = INT64_MAX;
	ck->cb = cb;
	ck->cb_arg = arg;
	for (int i = 0; i < RT_MAX_TARGETS; i++)
		ck->slots[i].target = i;
	curl_multi_setopt(ck->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(ck->multi, CURLMOPT_SOCKETDATA, ck);
	curl_multi_setopt(ck->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(ck->multi, CURLMOPT_TIMERDATA, ck);
	return ck;
}

void checker_end_iteration(struct checker *ck)
{
	while (ck->dead != NULL) {
		struct dead_handle *d = ck->dead;

		ck->dead = d->next;
		free(d->h);
		free(d);
	}
}

void checker_free(struct checker *ck)
{
	if (ck == NULL)
		return;
	for (int i = 0; i < RT_MAX_TARGETS; i++) {
		struct check_slot *s = &ck->slots[i];

		if (s->easy == NULL)
			continue;
		if (s->busy)
			curl_multi_remove_handle(ck->multi, s->easy);
		curl_easy_cleanup(s->easy);
	}
	curl_multi_cleanup(ck->multi); /* releases its sockets through on_socket */
	checker_end_iteration(ck);
	free(ck);
}

/* A HEAD check has no body; anything that comes is dropped. */
static struct http_body no_body = {.buf = NULL};

static bool prepare(struct checker *ck, struct check_slot *s, const char *url)
{
	if (s->easy == NULL) {
		s->easy = curl_easy_init();
		if (s->easy == NULL)
			return false;
		http_easy_setup(s->easy, NULL, ck->tls);
		http_easy_body(s->easy, &no_body);
		curl_easy_setopt(s->easy, CURLOPT_NOBODY, 1L);
		curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
	}
	http_easy_timeouts(s->easy, ck->timeout_ms, ck->timeout_ms);
	return curl_easy_setopt(s->easy, CURLOPT_URL, url) == CURLE_OK;
}

bool checker_start(struct checker *ck, int target, enum rt_check_kind kind, const char *url)
{
	struct check_slot *s = &ck->slots[target];
	CURLMcode rc;

	if (!prepare(ck, s, url)) {
		log_error("router: cannot prepare a health check of %s", url);
		return false;
	}
	rc = curl_multi_add_handle(ck->multi, s->easy);
	if (rc != CURLM_OK) {
		log_error("router: health check of %s: %s", url, curl_multi_strerror(rc));
		return false;
	}
	s->busy = true;
	s->kind = kind;
	return true;
}

bool checker_busy(const struct checker *ck, int target)
{
	return ck->slots[target].busy;
}

static void collect(struct checker *ck)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(ck->multi, &left)) != NULL) {
		struct check_slot *s = NULL;
		long status = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
		if (msg->data.result == CURLE_OK)
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		curl_multi_remove_handle(ck->multi, msg->easy_handle);
		s->busy = false;
		ck->cb(ck->cb_arg, s->target, s->kind, (int)status);
	}
}

void checker_on_event(struct checker *ck, int fd, uint32_t events)
{
	int flags = 0;
	int running;

	if (events & (EPOLLIN | EPOLLHUP))
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & EPOLLERR)
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(ck->multi, fd, flags, &running);
	collect(ck);
}

void checker_on_time(struct checker *ck, int64_t now_ms)
{
	int running;

	if (ck->deadline_ms > now_ms)
		return;
	ck->deadline_ms = INT64_MAX;
	curl_multi_socket_action(ck->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	collect(ck);
}

int64_t checker_deadline_ms(const struct checker *ck)
{
	return ck->deadline_ms;
}
