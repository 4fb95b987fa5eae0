/*
 * router_cancel.c: CancelRequests, sent where their sessions are.
 *
 * A cancel key is valid only on the server that issued it (a PgBouncer or PostgreSQL),
 * and the router cannot read which one that was: sessions may be encrypted, and it
 * never parses them. A round-robin pick (the read-only listener's) would often send
 * the request to a replica that ignores it. So the 16 bytes go to every target that
 * holds sessions of the client's listener: the one that issued the key acts on it,
 * the others ignore an unknown key. Each forward is a short connection of its own
 * (connect, send, close), bounded by connect_timeout; the client's connection closes
 * once they are all sent, as PostgreSQL's cancel connection closes once it has acted.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "log/log.h"
#include "router/router_int.h"
#include "router/router_wire.h"
#include "util/xalloc.h"

struct cancel_fwd {
	struct ev_handle ev; /* kind EV_CANCEL, owner: this */
	struct hq_node q;    /* on r->cancel_fwds until done */
	struct cancel_job *job;
	bool sent; /* the 16 bytes are out: now the server's close is awaited */
};

struct cancel_job {
	struct session *client; /* NULL once it has left */
	int pending;            /* forwards not finished */
	unsigned char pkt[WIRE_CANCEL_LEN];
	struct cancel_job *next_done; /* on r->cancels_done */
	int n;
	struct cancel_fwd fwd[]; /* n of them */
};

static struct cancel_fwd *fwd_of(struct hq_node *n)
{
	return (struct cancel_fwd *)(void *)((char *)n - offsetof(struct cancel_fwd, q));
}

/* job_done: every forward finished: the client hears EOF; freed after the iteration. */
static void job_done(struct router *r, struct cancel_job *job)
{
	struct session *s = job->client;

	if (s != NULL) {
		s->cancel = NULL;
		job->client = NULL;
		session_set_state(r, s, SESS_CLOSED);
	}
	job->next_done = r->cancels_done;
	r->cancels_done = job;
}

static void fwd_done(struct router *r, struct cancel_fwd *f)
{
	if (f->ev.fd < 0)
		return;
	close(f->ev.fd);
	f->ev.fd = -1;
	holdq_remove(&r->cancel_fwds, &f->q);
	if (--f->job->pending == 0)
		job_done(r, f->job);
}

/*
 * fwd_send: connected: 16 bytes always fit an empty socket buffer. Then the server's
 * close is awaited, not ours sent: PgBouncer drops a cancel whose sender has left.
 */
static void fwd_send(struct router *r, struct cancel_fwd *f)
{
	f->sent = true;
	if (send(f->ev.fd, f->job->pkt, WIRE_CANCEL_LEN, MSG_NOSIGNAL) != WIRE_CANCEL_LEN) {
		log_debug("router: a CancelRequest could not be forwarded: %m");
		fwd_done(r, f);
	}
}

/* fwd_start: false if no forward could be started to t (nothing pending for it). */
static bool fwd_start(struct router *r, struct cancel_fwd *f, const struct rt_target *t)
{
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP | EPOLLET,
	                         .data.ptr = &f->ev};
	int fd = socket(t->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 || epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		log_warn("router: cannot forward a CancelRequest to %s: %m", t->name);
		if (fd >= 0)
			close(fd);
		return false;
	}
	f->ev.fd = fd;
	f->job->pending++;
	/* One deadline for the connect and the server's answer (its close). */
	holdq_push(&r->cancel_fwds, &f->q, r->now_ms + r->cfg.connect_timeout_ms);
	if (connect(fd, (const struct sockaddr *)&t->sa, t->sa_len) == 0)
		fwd_send(r, f);
	else if (errno != EINPROGRESS)
		fwd_done(r, f);
	return true;
}

/* holders: the targets holding sessions of listener l, with an address. */
static int holders(const struct router *r, enum rt_listener l, int *out)
{
	int n = 0;

	for (int i = 0; i < RT_MAX_TARGETS; i++) {
		const struct rt_target *t = &r->targets.t[i];

		if (t->in_use && t->sessions[l] > 0 && t->sa_len > 0)
			out[n++] = i;
	}
	return n;
}

void cancel_forward(struct router *r, struct session *s, const unsigned char *pkt)
{
	int idx[RT_MAX_TARGETS];
	int n = holders(r, s->lst, idx);
	struct cancel_job *job = xcalloc(1, sizeof(*job) + (size_t)n * sizeof(job->fwd[0]));

	memcpy(job->pkt, pkt, WIRE_CANCEL_LEN);
	job->client = s;
	job->n = n;
	s->cancel = job;
	r->live.l[s->lst].cancels++;
	for (int i = 0; i < n; i++) {
		struct cancel_fwd *f = &job->fwd[i];

		f->job = job;
		f->ev = (struct ev_handle){.kind = EV_CANCEL, .fd = -1, .owner = f};
		job->pending++; /* held while starting, so that no start finishes the job early */
		(void)fwd_start(r, f, &r->targets.t[idx[i]]);
		job->pending--;
	}
	if (job->pending == 0)
		job_done(r, job);
}

void cancel_on_event(struct router *r, struct ev_handle *h, uint32_t events)
{
	struct cancel_fwd *f = h->owner;

	if (f->ev.fd < 0)
		return;
	if (events & (EPOLLERR | EPOLLHUP))
		fwd_done(r, f);
	else if (!f->sent && (events & EPOLLOUT))
		fwd_send(r, f);
	else if (f->sent && (events & (EPOLLIN | EPOLLRDHUP)))
		fwd_done(r, f); /* the server closed: it has acted (or ignored the key) */
}

void cancel_expire(struct router *r)
{
	struct hq_node *n;

	while ((n = holdq_pop_expired(&r->cancel_fwds, r->now_ms)) != NULL)
		fwd_done(r, fwd_of(n));
}

void cancel_detach(struct router *r, struct session *s)
{
	(void)r;
	if (s->cancel != NULL)
		s->cancel->client = NULL;
	s->cancel = NULL;
}

void cancel_free_done(struct router *r)
{
	while (r->cancels_done != NULL) {
		struct cancel_job *job = r->cancels_done;

		r->cancels_done = job->next_done;
		free(job);
	}
}

void cancel_close_all(struct router *r)
{
	struct hq_node *n;

	while ((n = holdq_pop(&r->cancel_fwds)) != NULL)
		fwd_done(r, fwd_of(n));
	cancel_free_done(r);
}
