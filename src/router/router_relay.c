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
#include <string.h>
#include <sys/socket.h>
#include "router/router_int.h"
#include "util/xalloc.h"

static void count_bytes(struct router *r, struct session *s, bool up, size_t n)
{
	struct rt_target *t = &r->targets.t[s->target];

	s->last_io_ms = r->now_ms; /* client_idle_timeout counts from here */
	if (up) {
		r->live.l[s->lst].bytes_in += n;
		t->bytes_out += n;
	} else {
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
		s->eof_up = true;
	else
		s->eof_down = true;
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

bool relay_flush(struct router *r, struct session *s, bool up)
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
	if (p->off < p->len)
		return true;
	free(p->data);
	p->data = NULL;
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
