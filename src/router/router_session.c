/*
 * router_session.c: client sessions: accept, hold, backend connect, the per-session
 * state machine, fencing and deferred free.
 *
 * Every state change goes through session_set_state(), which also moves the session
 * between queues (held per listener, connecting) and keeps the counters. A closed
 * session stays allocated until the end of the loop iteration (PgBouncer's justfree),
 * because later events of the same epoll batch may still point at it.
 * Does not: move bytes (router_relay.c) or decide which target is eligible
 * (router_target.c).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "log/log.h"
#include "router/router_int.h"
#include "util/xalloc.h"

#define ACCEPT_BATCH           128  /* accepts per listener event: fairness with the data path */
#define MAX_SPARE              1024 /* freed sessions kept for reuse */
#define ACCEPT_PAUSE_MS        250  /* out of fds: retry accepting after this, or at a close */
#define SESSION_EVENTS         (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)
#define REFUSING_WAIT_MS       2000 /* for the startup packet after an 'N' */
#define OVER_LIMIT_GREETING_MS 1000

static struct session *from_node(struct hq_node *n)
{
	return (struct session *)(void *)((char *)n - offsetof(struct session, q));
}

/* --- allocation and lists ------------------------------------------------------------- */

static struct session *session_alloc(struct router *r)
{
	struct session *s = r->spare;

	if (s != NULL) {
		r->spare = s->next;
		r->n_spare--;
	} else {
		s = xmalloc(sizeof(*s));
	}
	memset(s, 0, sizeof(*s));
	return s;
}

static void link_session(struct session **head, struct session *s)
{
	s->prev = NULL;
	s->next = *head;
	if (*head != NULL)
		(*head)->prev = s;
	*head = s;
}

static void unlink_session(struct session **head, struct session *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		*head = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->prev = NULL;
	s->next = NULL;
}

void session_free_closed(struct router *r)
{
	while (r->justfree != NULL) {
		struct session *s = r->justfree;

		r->justfree = s->next;
		if (r->n_spare < MAX_SPARE) {
			s->next = r->spare;
			r->spare = s;
			r->n_spare++;
		} else {
			free(s);
		}
	}
}

void session_free_spares(struct router *r)
{
	session_free_closed(r);
	while (r->spare != NULL) {
		struct session *s = r->spare;

		r->spare = s->next;
		free(s);
	}
	r->n_spare = 0;
}

/* --- accept pause (out of fds, max_clients) ------------------------------------------- */

static void pause_accept(struct router *r, int64_t resume_ms)
{
	for (int l = 0; l < RT__COUNT; l++) {
		struct listener *li = &r->listeners[l];

		if (li->ev.fd < 0 || li->paused)
			continue;
		(void)epoll_ctl(r->epfd, EPOLL_CTL_DEL, li->ev.fd, NULL);
		li->paused = true;
	}
	if (r->accept_resume_ms == INT64_MAX)
		r->live.accept_pauses++;
	r->accept_resume_ms = resume_ms;
}

void session_accept_resume(struct router *r)
{
	if (r->accept_resume_ms == INT64_MAX)
		return;
	if (r->cfg.max_clients > 0 && r->n_clients >= r->cfg.max_clients)
		return;
	r->accept_resume_ms = INT64_MAX;
	for (int l = 0; l < RT__COUNT; l++) {
		struct listener *li = &r->listeners[l];
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &li->ev};

		if (li->ev.fd < 0 || !li->paused)
			continue;
		if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, li->ev.fd, &ev) == 0)
			li->paused = false;
		else
			log_error("router: cannot re-arm the %s listener: %m",
			          rt_listener_str(li->lst));
	}
}

/* --- state machine ----------------------------------------------------------------------- */

static void detach_backend(struct router *r, struct session *s)
{
	if (s->srv.fd >= 0) {
		close(s->srv.fd);
		s->srv.fd = -1;
	}
	if (s->target >= 0) {
		r->targets.t[s->target].sessions[s->lst]--;
		s->target = -1;
	}
}

static void teardown(struct router *r, struct session *s)
{
	detach_backend(r, s);
	cancel_detach(r, s);
	addr_table_release(&r->addrs, s->addr);
	s->addr = NULL;
	close(s->cli.fd);
	s->cli.fd = -1;
	relay_release(s);
	r->n_clients--;
	r->live.l[s->lst].active--;
	unlink_session(&r->sessions, s);
	link_session(&r->justfree, s);
	/* An fd came free: listeners paused for lack of fds may accept again. */
	if (r->accept_resume_ms != INT64_MAX)
		session_accept_resume(r);
}

/*
 * greeting_deadline: login_timeout; a client beyond its address's limit gets at most a
 * second to say what it is (it is refused then; a CancelRequest is still forwarded).
 */
static int64_t greeting_deadline(const struct router *r, const struct session *s)
{
	int ms = r->cfg.login_timeout_ms;

	if (s->over_limit && (ms <= 0 || ms > OVER_LIMIT_GREETING_MS))
		ms = OVER_LIMIT_GREETING_MS;
	return ms > 0 ? r->now_ms + ms : INT64_MAX;
}

void session_set_state(struct router *r, struct session *s, enum sess_state to)
{
	enum sess_state from = s->state;

	if (from == SESS_CLOSED)
		return;
	if (from == SESS_HELD) {
		holdq_remove(&r->held[s->lst], &s->q);
		r->live.l[s->lst].held--;
	} else if (from == SESS_CONNECTING) {
		holdq_remove(&r->connecting, &s->q);
	} else if (from == SESS_GREETING || from == SESS_REFUSING) {
		holdq_remove(&r->greeting, &s->q);
	}
	s->state = to;
	switch (to) {
	case SESS_HELD:
		holdq_push(&r->held[s->lst], &s->q, s->hold_deadline_ms);
		r->live.l[s->lst].held++;
		r->live.l[s->lst].held_total += from != SESS_HELD;
		break;
	case SESS_CONNECTING:
		holdq_push(&r->connecting, &s->q, r->now_ms + r->cfg.connect_timeout_ms);
		break;
	case SESS_GREETING:
		holdq_push(&r->greeting, &s->q, greeting_deadline(r, s));
		break;
	case SESS_REFUSING:
		holdq_push(&r->greeting, &s->q, r->now_ms + REFUSING_WAIT_MS);
		break;
	case SESS_RELAY:
	case SESS_CANCELING:
		break;
	case SESS_CLOSED:
		teardown(r, s);
		break;
	case SESS__COUNT:
		break;
	}
}

/* --- backend connect ------------------------------------------------------------------------ */

static void connect_failed(struct router *r, struct session *s);
static bool start_relay(struct router *r, struct session *s);

static void set_nodelay(int fd)
{
	int one = 1;

	/* Small protocol messages must not wait for an ACK (Nagle + delayed ACK = 40 ms). */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* backend_socket: a non-blocking socket registered in epoll; -1 when out of resources. */
static int backend_socket(struct router *r, struct session *s, const struct rt_target *t)
{
	struct epoll_event ev = {.events = SESSION_EVENTS, .data.ptr = &s->srv};
	int fd = socket(t->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		log_warn("router: cannot create a backend socket: %m");
		return -1;
	}
	set_nodelay(fd);
	(void)keepalive_apply(fd, &r->keepalive); /* a backend host that vanished is noticed */
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		log_warn("router: epoll_ctl on a backend socket: %m");
		close(fd);
		return -1;
	}
	return fd;
}

/* start_connect: s (held or new) goes to target i. False only when out of local resources. */
static bool start_connect(struct router *r, struct session *s, int i)
{
	struct rt_target *t = &r->targets.t[i];
	int fd = backend_socket(r, s, t);

	if (fd < 0) {
		session_set_state(r, s, SESS_HELD);
		pause_accept(r, r->now_ms + ACCEPT_PAUSE_MS);
		return false;
	}
	s->srv.fd = fd;
	s->target = i;
	t->sessions[s->lst]++;
	t->sessions_total[s->lst]++;
	if (connect(fd, (const struct sockaddr *)&t->sa, t->sa_len) == 0) {
		(void)start_relay(r, s);
	} else if (errno == EINPROGRESS) {
		session_set_state(r, s, SESS_CONNECTING);
	} else {
		connect_failed(r, s);
	}
	return true;
}

void session_dispatch_held(struct router *r, enum rt_listener l)
{
	while (r->held[l].n > 0) {
		int i = rt_select(&r->targets, l, r->now_ms);

		if (i < 0)
			return;
		if (!start_connect(r, from_node(r->held[l].head), i))
			return;
	}
}

/* hold_timed_out: no target in time: the client hears why (a driver may retry on 57P03). */
static void hold_timed_out(struct router *r, struct session *s)
{
	r->live.l[s->lst].hold_timeouts++;
	session_refuse(r, s, REFUSE_HOLD_TIMEOUT);
}

/*
 * rehold: s has not relayed a byte yet: drop its backend and hold it again with its
 * original deadline (or close it if that has passed). True if it is held.
 */
static bool rehold(struct router *r, struct session *s)
{
	detach_backend(r, s);
	if (r->now_ms < s->hold_deadline_ms) {
		session_set_state(r, s, SESS_HELD);
		return true;
	}
	hold_timed_out(r, s);
	return false;
}

/*
 * connect_failed: nothing was relayed yet, so the client can still be saved: back to
 * the hold queue (with its original deadline) and another try once a target is
 * eligible. The target sits out one check interval and is re-checked at once.
 */
static void connect_failed(struct router *r, struct session *s)
{
	struct rt_target *t = &r->targets.t[s->target];

	r->live.l[s->lst].connect_failures++;
	t->penalty_until_ms = r->now_ms + r->cfg.check_interval_ms;
	t->next_check_ms = r->now_ms;
	log_debug("router: connect to %s (%s) failed; client held again", t->name, t->addr);
	if (rehold(r, s))
		session_dispatch_held(r, s->lst);
}

/* start_relay: the backend is connected: forward what the client already sent. */
static bool start_relay(struct router *r, struct session *s)
{
	session_set_state(r, s, SESS_RELAY);
	s->last_io_ms = r->now_ms;
	/*
	 * What the client sent while held is queued: one read gets it (a short read means
	 * drained). Only a FIN seen meanwhile needs reading to the end: its edge is spent.
	 */
	if (!relay_pump(r, s, true, s->cli_hup_seen)) {
		session_set_state(r, s, SESS_CLOSED);
		return false;
	}
	return true;
}

/* --- accept ------------------------------------------------------------------------------ */

void session_route(struct router *r, struct session *s)
{
	/* FIFO: a newcomer never overtakes clients already waiting. */
	int i = r->held[s->lst].n == 0 ? rt_select(&r->targets, s->lst, r->now_ms) : -1;

	if (i < 0)
		session_set_state(r, s, SESS_HELD);
	else
		(void)start_connect(r, s, i);
}

static void new_session(struct router *r, enum rt_listener l, int fd,
                        const struct sockaddr_storage *peer)
{
	struct session *s = session_alloc(r);
	struct epoll_event ev = {.events = SESSION_EVENTS};
	struct addr_count *addr;

	/* Over the limit: refused once its first message is known (an SSL request hears 'N'). */
	s->over_limit = !addr_table_acquire(&r->addrs, peer, r->cfg.max_clients_per_address, &addr);
	ev.data.ptr = &s->cli;
	s->cli = (struct ev_handle){.kind = EV_CLIENT, .fd = fd, .owner = s};
	s->srv = (struct ev_handle){.kind = EV_SERVER, .fd = -1, .owner = s};
	s->lst = l;
	s->target = -1;
	s->addr = addr;
	s->state = SESS_RELAY; /* placeholder: set_state below moves it */
	s->hold_deadline_ms = r->now_ms + r->cfg.hold_timeout_ms;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		log_warn("router: epoll_ctl on a client socket: %m");
		addr_table_release(&r->addrs, addr);
		close(fd);
		link_session(&r->justfree, s);
		return;
	}
	link_session(&r->sessions, s);
	r->n_clients++;
	r->live.l[l].accepted++;
	r->live.l[l].active++;
	session_set_state(r, s, SESS_GREETING);
	session_greet(r, s, 0); /* its first message is often there already */
}

static bool accept_error(struct router *r, struct listener *li)
{
	switch (errno) {
	case EAGAIN:
#if EWOULDBLOCK != EAGAIN
	case EWOULDBLOCK:
#endif
		return false;
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
	case EPERM:
		return true; /* this client only */
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		/* Never spin on a listener we cannot serve: leave clients in the backlog. */
		log_warn("router: accept on the %s listener: %m; pausing accepts",
		         rt_listener_str(li->lst));
		pause_accept(r, r->now_ms + ACCEPT_PAUSE_MS);
		return false;
	default:
		log_error("router: accept on the %s listener: %m", rt_listener_str(li->lst));
		return false;
	}
}

void session_accept_all(struct router *r, struct listener *li)
{
	for (int n = 0; n < ACCEPT_BATCH && !li->paused; n++) {
		int fd;

		if (r->cfg.max_clients > 0 && r->n_clients >= r->cfg.max_clients) {
			pause_accept(r, INT64_MAX - 1);
			return;
		}
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);

		fd = accept4(li->ev.fd, (struct sockaddr *)&peer, &len,
		             SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0)
			new_session(r, li->lst, fd, &peer);
		else if (!accept_error(r, li))
			return;
	}
}

/* --- events ---------------------------------------------------------------------------------- */

static void relay_events(struct router *r, struct session *s, bool is_client, uint32_t events)
{
	bool drain = (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
	bool ok = true;

	/* Writable side h: bytes flowing toward h (toward the backend = "up"). */
	if (events & EPOLLOUT)
		ok = relay_flush(r, s, !is_client);
	if (ok && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		ok = relay_pump(r, s, is_client, drain);
	if (!ok)
		session_set_state(r, s, SESS_CLOSED);
}

static void connecting_events(struct router *r, struct session *s, bool is_client, uint32_t events)
{
	if (is_client) {
		/* A client gone before its backend answered; its half-close waits for the relay. */
		if (events & (EPOLLHUP | EPOLLERR))
			session_set_state(r, s, SESS_CLOSED);
		s->cli_hup_seen = s->cli_hup_seen || (events & EPOLLRDHUP);
		return;
	}
	if (events & (EPOLLERR | EPOLLHUP))
		connect_failed(r, s);
	else if ((events & EPOLLOUT) && start_relay(r, s) && (events & EPOLLIN))
		relay_events(r, s, false, events);
}

void session_on_event(struct router *r, struct ev_handle *h, uint32_t events)
{
	struct session *s = h->owner;
	bool is_client = h->kind == EV_CLIENT;

	switch (s->state) {
	case SESS_HELD:
		/* Its bytes stay in the kernel until a target is found; only its departure matters.
		 */
		if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
			r->live.l[s->lst].hold_abandoned++;
			session_set_state(r, s, SESS_CLOSED);
		}
		break;
	case SESS_CONNECTING:
		connecting_events(r, s, is_client, events);
		break;
	case SESS_RELAY:
		relay_events(r, s, is_client, events);
		break;
	case SESS_GREETING:
		session_greet(r, s, events);
		break;
	case SESS_REFUSING:
		session_refusing(r, s, false);
		break;
	case SESS_CANCELING:
		/* Gone before its forwards were sent: they go on without it. */
		if (events & (EPOLLHUP | EPOLLERR))
			session_set_state(r, s, SESS_CLOSED);
		break;
	case SESS_CLOSED:
	case SESS__COUNT:
		break;
	}
}

/* --- timeouts, fencing, shutdown ---------------------------------------------------------- */

void session_expire(struct router *r)
{
	struct hq_node *n;

	for (int l = 0; l < RT__COUNT; l++) {
		while ((n = holdq_pop_expired(&r->held[l], r->now_ms)) != NULL)
			hold_timed_out(r, from_node(n));
	}
	while ((n = holdq_pop_expired(&r->connecting, r->now_ms)) != NULL)
		connect_failed(r, from_node(n));
	while ((n = holdq_pop_expired(&r->greeting, r->now_ms)) != NULL) {
		struct session *s = from_node(n);

		if (s->state == SESS_REFUSING) {
			session_refusing(r, s, true);
		} else if (s->over_limit) {
			r->live.l[s->lst].address_refusals++;
			session_refuse(r, s, REFUSE_ADDRESS_LIMIT);
		} else {
			r->live.l[s->lst].login_timeouts++;
			session_refuse(r, s, REFUSE_LOGIN_TIMEOUT);
		}
	}
	cancel_expire(r);
}

void session_fence(struct router *r, int target, enum rt_listener l)
{
	struct session *s = r->sessions;

	while (s != NULL) {
		struct session *next = s->next;

		if (s->target != target || s->lst != l) {
			s = next;
			continue;
		}
		/* Still connecting: nothing relayed, so the client waits for the next target. */
		if (s->state == SESS_CONNECTING) {
			(void)rehold(r, s);
		} else if (s->state == SESS_RELAY) {
			r->live.l[l].fenced++;
			session_set_state(r, s, SESS_CLOSED);
		}
		s = next;
	}
}

void session_close_all(struct router *r)
{
	while (r->sessions != NULL)
		session_set_state(r, r->sessions, SESS_CLOSED);
}
