/*
 * router_relay.c: the byte pump of a session, the router's fast path.
 *
 * Sockets are registered edge-triggered once (never modified), so the common case of
 * a small request or reply costs one recv() and one send(): a short read means the
 * socket is drained (any later arrival raises a new edge), and a full send means
 * nothing is left to remember. Only when the destination is full are the leftover
 * bytes copied into a per-session buffer, and the source is not read again until
 * they are flushed (backpressure). Idle sessions hold no buffer at all.
 *
 * Half-close: a FIN from one side is forwarded (shutdown(SHUT_WR)) once everything
 * before it was delivered; the session ends when both sides have finished.
 * Does not: parse the PostgreSQL protocol, log, or change session state.
 */
#include <errno.h>
#include <netinet/in.h>
#include <linux/tcp.h> /* tcp_info with byte counters (glibc's is older) */
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "router/router_int.h"
#include "router/router_sockmap.h"
#include "util/xalloc.h"

static void count_bytes(struct router *r, struct session *s, bool up, size_t n)
{
	struct rt_target *t = &r->targets.t[s->target];

	if (up) {
		r->live.l[s->lst].bytes_in += n;
		t->bytes_out += n;
		s->counted_up += n;
	} else {
		s->counted_down += n;
		r->live.l[s->lst].bytes_out += n;
		t->bytes_in += n;
	}
}

static void keep(struct pending *p, const char *data, size_t len)
{
	p->data = xmalloc(len);
	memcpy(p->data, data, len);
	p->off = 0;
	p->len = (uint32_t)len;
}

/* finish_direction: src sent FIN; pass it on. False when both directions are done. */
static bool finish_direction(struct session *s, bool up)
{
	int dst = up ? s->srv.fd : s->cli.fd;

	if (up)
		s->eof_up = s->shut_up = true;
	else
		s->eof_down = s->shut_down = true;
	/* Both sides done: close() sends the FIN, no shutdown() needed first. */
	if (s->eof_up && s->eof_down)
		return false;
	(void)shutdown(dst, SHUT_WR);
	return true;
}

bool relay_pump(struct router *r, struct session *s, bool up, bool drain)
{
	int src = up ? s->cli.fd : s->srv.fd;
	int dst = up ? s->srv.fd : s->cli.fd;
	struct pending *p = up ? &s->up : &s->down;

	if (p->data != NULL || (up ? s->eof_up : s->eof_down))
		return true; /* blocked on dst, or already finished: nothing to read now */
	for (;;) {
		ssize_t n = recv(src, r->buf, ROUTER_BUF_SIZE, 0);
		ssize_t w;

		if (n == 0)
			return finish_direction(s, up);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK;
		}
		count_bytes(r, s, up, (size_t)n);
		w = send(dst, r->buf, (size_t)n, MSG_NOSIGNAL);
		if (w == n) {
			if (n < ROUTER_BUF_SIZE && !drain)
				return true;
			continue;
		}
		if (w < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				return false;
			w = 0;
		}
		keep(p, r->buf + w, (size_t)(n - w));
		return true;
	}
}

/* relay_flush_only: writes pending bytes toward one side; true unless the socket failed. */
static bool relay_flush_only(struct session *s, bool up)
{
	int dst = up ? s->srv.fd : s->cli.fd;
	struct pending *p = up ? &s->up : &s->down;
	ssize_t w;

	if (p->data == NULL)
		return true;
	w = send(dst, p->data + p->off, p->len - p->off, MSG_NOSIGNAL);
	if (w < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
	p->off += (uint32_t)w;
	if (p->off == p->len) {
		free(p->data);
		p->data = NULL;
	}
	return true;
}

bool relay_flush(struct router *r, struct session *s, bool up)
{
	struct pending *p = up ? &s->up : &s->down;

	if (p->data == NULL)
		return true;
	if (!relay_flush_only(s, up))
		return false;
	if (p->data != NULL)
		return true;
	/* The source was not read while we were blocked: what it sent since has no new edge. */
	return relay_pump(r, s, up, true);
}

void relay_release(struct session *s)
{
	free(s->up.data);
	free(s->down.data);
	s->up.data = NULL;
	s->down.data = NULL;
}

/* --- kernel relay (sockmap) ------------------------------------------------------------ */

static bool rearm(struct router *r, struct ev_handle *h, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = h};

	return epoll_ctl(r->epfd, EPOLL_CTL_MOD, h->fd, &ev) == 0;
}

/*
 * relay_kernel_start: called right after the backend connect, before any byte was
 * relayed: the client is waiting for the server's first answer and the server has
 * not heard from the client, so no segment can arrive while the two map entries are
 * made. What the client already sent is still queued on its socket; the caller's
 * pump forwards it. From then on we only want hang-ups: data wake-ups are masked.
 */
void relay_kernel_start(struct router *r, struct session *s)
{
	uint32_t events = EPOLLRDHUP | EPOLLET;

	if (r->sockmap == NULL || !sockmap_attach(r->sockmap, s->cli.fd, s->srv.fd))
		return;
	s->kernel_relay = true;
	r->live.sockmap_sessions++;
	/* EPOLLOUT stays for the rare leftover of the first pump (see relay_flush). */
	if (!rearm(r, &s->cli, events | EPOLLOUT) || !rearm(r, &s->srv, events | EPOLLOUT))
		s->kernel_relay = false; /* cannot happen with valid fds; relay as before */
}

bool relay_kernel_events(struct router *r, struct session *s, bool is_client, uint32_t events)
{
	if (events & (EPOLLHUP | EPOLLERR))
		return false;
	if ((events & EPOLLOUT) && !relay_flush_only(s, !is_client))
		return false;
	if (!(events & EPOLLRDHUP))
		return true;
	if (is_client)
		s->eof_up = true;
	else
		s->eof_down = true;
	holdq_push(&r->lingering, &s->q, r->now_ms + KERNEL_LINGER_MS);
	return true;
}

bool relay_kernel_linger_done(struct session *s)
{
	if (s->eof_up && !s->shut_up) {
		(void)shutdown(s->srv.fd, SHUT_WR);
		s->shut_up = true;
	}
	if (s->eof_down && !s->shut_down) {
		(void)shutdown(s->cli.fd, SHUT_WR);
		s->shut_down = true;
	}
	return !(s->shut_up && s->shut_down);
}

static uint64_t minus(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

void relay_kernel_account(struct router *r, struct session *s)
{
	struct rt_target *t = &r->targets.t[s->target];
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	uint64_t up;
	uint64_t down;

	if (getsockopt(s->cli.fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1)
		return;
	up = minus(ti.tcpi_bytes_received, s->counted_up);
	down = minus(ti.tcpi_bytes_acked, s->counted_down);
	r->live.l[s->lst].bytes_in += up;
	r->live.l[s->lst].bytes_out += down;
	t->bytes_out += up;
	t->bytes_in += down;
}
