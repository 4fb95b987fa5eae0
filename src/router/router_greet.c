/*
 * router_greet.c: a client's first message, answers to clients the router cannot
 * serve, and the idle limit of relayed sessions.
 *
 * A new session waits (state GREETING, at most login_timeout) until its first message
 * can be told (router_wire.h), looked at with MSG_PEEK so that the bytes stay in the
 * kernel for the backend. A CancelRequest goes to router_cancel.c; a startup (plain,
 * SSL, GSS or direct TLS) goes on to a target; anything else is refused. Refusals are
 * FATAL ErrorResponses, which every driver shows, never a silent close.
 * Does not: move bytes of a session (router_relay.c) or pick a target.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "log/log.h"
#include "router/router_int.h"
#include "router/router_wire.h"

#define DRAIN_ROUNDS 16 /* at most 16 x 4 kB discarded before answering */

void refuse_fd(int fd, const char *sqlstate, const char *message)
{
	char msg[WIRE_ERROR_MAX];
	size_t len = wire_error(msg, sizeof(msg), sqlstate, message);
	char scratch[4096];

	/* Unread bytes at close() make it a reset, which may discard the answer at the client. */
	for (int i = 0; i < DRAIN_ROUNDS; i++)
		if (recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT) <= 0)
			break;
	if (len > 0)
		(void)send(fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* refusal_text: the SQLSTATE of why, and its message into out. */
static const char *refusal_text(const struct router *r, const struct session *s, enum refusal why,
                                char *out, size_t size)
{
	switch (why) {
	case REFUSE_HOLD_TIMEOUT:
		snprintf(out, size, "no %s is available (pgha router waited %d ms)",
		         s->lst == RT_RW ? "primary" : "replica", r->cfg.hold_timeout_ms);
		return "57P03"; /* cannot_connect_now: drivers and poolers retry it */
	case REFUSE_ADDRESS_LIMIT:
		snprintf(out, size,
		         "too many connections from this address (pgha router: "
		         "max_clients_per_address %d)",
		         r->cfg.max_clients_per_address);
		return "53300";
	case REFUSE_LOGIN_TIMEOUT:
		snprintf(out, size, "no startup message within %d ms (pgha router)",
		         r->cfg.login_timeout_ms);
		return "08006";
	case REFUSE_BAD_STARTUP:
	case REFUSE_NONE:
	case REFUSE__COUNT:
		break;
	}
	snprintf(out, size, "invalid startup packet");
	return "08P01";
}

static void refuse_now(struct router *r, struct session *s, enum refusal why)
{
	char text[200];
	const char *state = refusal_text(r, s, why, text, sizeof(text));

	log_debug("router: %s client refused (%s): %s", rt_listener_str(s->lst), state, text);
	refuse_fd(s->cli.fd, state, text);
	session_set_state(r, s, SESS_CLOSED);
}

void session_refuse(struct router *r, struct session *s, enum refusal why)
{
	char req[8];

	if ((s->first == WIRE_SSL || s->first == WIRE_GSSENC) &&
	    recv(s->cli.fd, req, sizeof(req), MSG_DONTWAIT) == (ssize_t)sizeof(req) &&
	    send(s->cli.fd, "N", 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1) {
		s->refusal = (uint8_t)why;
		s->first = WIRE_NEED_MORE; /* its startup comes next */
		session_set_state(r, s, SESS_REFUSING);
		session_refusing(r, s, false);
		return;
	}
	refuse_now(r, s, why);
}

void session_refusing(struct router *r, struct session *s, bool expired)
{
	unsigned char buf[WIRE_PEEK_LEN];
	ssize_t n = recv(s->cli.fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);

	if (wire_classify(buf, n > 0 ? (size_t)n : 0) != WIRE_NEED_MORE)
		refuse_now(r, s, (enum refusal)s->refusal);
	else if (expired || n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		session_set_state(r, s, SESS_CLOSED); /* sslmode=require: it leaves at 'N' */
}

/* greet_cancel: consumes the 16 bytes (a close then sends a FIN) and forwards them. */
static void greet_cancel(struct router *r, struct session *s)
{
	unsigned char pkt[WIRE_CANCEL_LEN];

	if (recv(s->cli.fd, pkt, sizeof(pkt), MSG_DONTWAIT) != (ssize_t)sizeof(pkt)) {
		session_set_state(r, s, SESS_CLOSED);
		return;
	}
	session_set_state(r, s, SESS_CANCELING);
	cancel_forward(r, s, pkt);
}

void session_greet(struct router *r, struct session *s, uint32_t events)
{
	unsigned char buf[WIRE_PEEK_LEN];
	ssize_t n = recv(s->cli.fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	enum wire_first k = wire_classify(buf, n > 0 ? (size_t)n : 0);

	if (k == WIRE_NEED_MORE) {
		/* Gone (EOF, reset) before saying anything whole; else wait for more bytes. */
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) ||
		    (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)))
			session_set_state(r, s, SESS_CLOSED);
		return;
	}
	s->first = (uint8_t)k;
	if (k == WIRE_CANCEL) {
		greet_cancel(r, s); /* even at the address's limit: it ends a query */
	} else if (k == WIRE_BAD) {
		r->live.l[s->lst].bad_startups++;
		session_refuse(r, s, REFUSE_BAD_STARTUP);
	} else if (s->over_limit) {
		r->live.l[s->lst].address_refusals++;
		session_refuse(r, s, REFUSE_ADDRESS_LIMIT);
	} else {
		s->cli_hup_seen = (events & EPOLLRDHUP) != 0;
		session_route(r, s);
	}
}

/* idle_close: plain sessions hear why (PostgreSQL's idle_session_timeout error). */
static void idle_close(struct router *r, struct session *s)
{
	r->live.l[s->lst].idle_timeouts++;
	if (!wire_may_encrypt((enum wire_first)s->first)) {
		char text[160];

		snprintf(text, sizeof(text),
		         "terminating connection due to idle timeout (pgha router: no byte either "
		         "way for %d s)",
		         r->cfg.idle_timeout_ms / 1000);
		refuse_fd(s->cli.fd, "57P05", text);
	}
	session_set_state(r, s, SESS_CLOSED);
}

void session_idle_sweep(struct router *r)
{
	struct session *s = r->sessions;

	while (s != NULL) {
		struct session *next = s->next;

		if (s->state == SESS_RELAY && r->now_ms - s->last_io_ms >= r->cfg.idle_timeout_ms)
			idle_close(r, s);
		s = next;
	}
}
