/*
 * router_int.h: the router's internals shared by router.c (loop, cluster, checks),
 * router_session.c (accept, hold, connect, state machine) and router_relay.c (bytes).
 * Not a public interface.
 */
#ifndef PGHA_ROUTER_ROUTER_INT_H
#define PGHA_ROUTER_ROUTER_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "router/router_check.h"
#include "router/router_config.h"
#include "router/router_ev.h"
#include "router/router_holdq.h"
#include "router/router_limits.h"
#include "router/router_notify.h"
#include "router/router_stats.h"
#include "router/router_target.h"

/* The relay's scratch buffer: one per router, never per session (idle sessions cost no buffer). */
#define ROUTER_BUF_SIZE (256 * 1024)

/* Session lifecycle; the state says which queue the session is on (PgBouncer style). */
enum sess_state {
	SESS_HELD = 0,   /* no eligible target yet: on r->held[listener] */
	SESS_CONNECTING, /* backend connect in progress: on r->connecting */
	SESS_RELAY,      /* bytes flow both ways: on no queue */
	SESS_GREETING,   /* waiting for the client's first message: on r->greeting */
	SESS_CANCELING,  /* its CancelRequest is being forwarded: on no queue */
	SESS_REFUSING,   /* told 'N' to its SSL/GSS request, waits for its startup to refuse it:
	                    on r->greeting */
	SESS_CLOSED,     /* fds closed; on r->justfree until the iteration ends */
	SESS__COUNT      /* not a state */
};

/* Why a client that has relayed nothing is turned away (router_greet.c words it). */
enum refusal {
	REFUSE_NONE = 0,
	REFUSE_HOLD_TIMEOUT,  /* 57P03: no eligible target within hold_timeout */
	REFUSE_ADDRESS_LIMIT, /* 53300: max_clients_per_address */
	REFUSE_LOGIN_TIMEOUT, /* 08006: no first message within login_timeout */
	REFUSE_BAD_STARTUP,   /* 08P01: no PostgreSQL client's first message */
	REFUSE__COUNT
};

/* Bytes read from one side that the other side has not accepted yet. */
struct pending {
	char *data;   /* owned, NULL when empty */
	uint32_t off; /* first unsent byte */
	uint32_t len; /* bytes in data */
};

struct session {
	struct ev_handle cli; /* client socket (kind EV_CLIENT) */
	struct ev_handle srv; /* backend socket (kind EV_SERVER), fd -1 until connecting */
	enum sess_state state;
	enum rt_listener lst;      /* RW or RO */
	int target;                /* index in r->targets, -1 while held */
	struct hq_node q;          /* on r->held[] or r->connecting */
	int64_t hold_deadline_ms;  /* when a held client gives up */
	struct pending up;         /* client -> backend, waiting for the backend */
	struct pending down;       /* backend -> client, waiting for the client */
	bool eof_up;               /* client sent FIN */
	bool eof_down;             /* backend sent FIN */
	bool cli_hup_seen;         /* the client half-closed before the relay started */
	bool over_limit;           /* its address was at max_clients_per_address */
	uint8_t first;             /* enum wire_first: its first message, once known */
	uint8_t refusal;           /* enum refusal, in SESS_REFUSING */
	int64_t last_io_ms;        /* last byte relayed either way (client_idle_timeout) */
	struct addr_count *addr;   /* its client address's count, NULL if not counted */
	struct cancel_job *cancel; /* a CancelRequest being forwarded, until it is done */
	struct session *prev;      /* r->sessions (live) or r->justfree */
	struct session *next;
};

struct listener {
	struct ev_handle ev; /* kind EV_LISTENER */
	enum rt_listener lst;
	bool paused; /* removed from epoll (out of fds, max_clients) */
};

struct router {
	struct router_config cfg;
	int epfd;
	struct ev_handle sig;    /* signalfd */
	struct ev_handle dcs_ev; /* the DCS watch's eventfd (not owned) */
	struct dcs *dcs;
	struct listener listeners[RT__COUNT];
	struct rt_table targets;
	struct checker *checker;
	struct holdq held[RT__COUNT];    /* per listener */
	struct holdq connecting;         /* by connect deadline */
	struct holdq greeting;           /* by login deadline */
	struct holdq cancel_fwds;        /* forwarded CancelRequests, by connect deadline */
	struct cancel_job *cancels_done; /* finished jobs, freed when the iteration ends */
	struct addr_table addrs;         /* sessions per client address */
	struct keepalive keepalive;      /* for every client and backend socket */
	int64_t next_idle_sweep_ms;      /* client_idle_timeout checks */
	struct session *sessions;        /* every live session */
	struct session *justfree;        /* closed this iteration */
	struct session *spare;           /* freed sessions kept for reuse */
	int n_spare;
	int n_clients;  /* live client fds */
	int reserve_fd; /* released to accept-and-close when out of fds */
	int64_t now_ms; /* cached per iteration */
	int64_t start_ms;
	int64_t accept_resume_ms; /* paused listeners come back then (INT64_MAX = not paused) */
	int64_t next_publish_ms;
	bool stopping;
	bool dcs_was_ok;
	bool view_empty;          /* the last view had no member (warned once) */
	struct router_stats live; /* counters the loop updates */
	char *buf;                /* ROUTER_BUF_SIZE scratch for the relay */
	struct router_http *http; /* the /health and /metrics thread */
	pthread_mutex_t pub_lock; /* guards pub and pub_gen */
	pthread_cond_t pub_cond;  /* signalled after each publish */
	uint64_t pub_gen;         /* publishes so far */
	struct router_stats pub;  /* last published copy, read by the HTTP thread */
	struct ev_handle pub_req; /* eventfd the HTTP thread pokes for a fresh copy */
	struct rt_notify notify;  /* what systemd was told (router_notify.c) */
};

/* --- router_session.c ------------------------------------------------------------------ */
void session_accept_all(struct router *r, struct listener *l);
void session_on_event(struct router *r, struct ev_handle *h, uint32_t events);
/* session_set_state: the one place a session changes state (and queue). */
void session_set_state(struct router *r, struct session *s, enum sess_state to);
/* session_route: a greeted client goes to an eligible target, or waits for one (held). */
void session_route(struct router *r, struct session *s);
/* session_dispatch_held: hands held clients of l to eligible targets, oldest first. */
void session_dispatch_held(struct router *r, enum rt_listener l);
/* session_expire: closes held clients past hold_timeout, fails connects past their timeout. */
void session_expire(struct router *r);
/* session_fence: closes every session of listener l to target i (it changed role). */
void session_fence(struct router *r, int target, enum rt_listener l);
void session_close_all(struct router *r);
/* session_free_closed: frees the iteration's closed sessions (deferred free). */
void session_free_closed(struct router *r);
void session_free_spares(struct router *r);
/* session_accept_resume: re-arms paused listeners (an fd was freed, or the pause ended). */
void session_accept_resume(struct router *r);

/* --- router_greet.c --------------------------------------------------------------------- */
/*
 * session_greet: reads (without consuming) the first message of a new client: a
 * CancelRequest is forwarded, anything no PostgreSQL client sends is refused, the rest
 * goes on to a target (held or connecting). Called at accept and on its events.
 */
void session_greet(struct router *r, struct session *s, uint32_t events);
/*
 * session_refuse: answers a client that has relayed nothing yet with a FATAL
 * ErrorResponse (what it had sent is discarded, so that the close is a FIN, not a
 * reset that could take the answer with it), then closes the session. A client that
 * asked for SSL or GSS encryption first hears 'N' and is answered after its startup
 * packet (SESS_REFUSING): drivers do not show an error sent during that exchange.
 */
void session_refuse(struct router *r, struct session *s, enum refusal why);
/* session_refusing: an event of a session in SESS_REFUSING; expired = its wait ended. */
void session_refusing(struct router *r, struct session *s, bool expired);
/* refuse_fd: the same for a socket that has no session (refused at accept). */
void refuse_fd(int fd, const char *sqlstate, const char *message);
/* session_idle_sweep: closes the relayed sessions silent for client_idle_timeout. */
void session_idle_sweep(struct router *r);

/* --- router_cancel.c -------------------------------------------------------------------- */
struct cancel_job;
/*
 * cancel_forward: sends the 16 bytes of s's CancelRequest to every target that holds
 * sessions of s's listener (a key is only valid where it was issued; the others ignore
 * it). s stays open until they are sent, as PostgreSQL's own cancel connection does.
 */
void cancel_forward(struct router *r, struct session *s, const unsigned char *pkt);
void cancel_on_event(struct router *r, struct ev_handle *h, uint32_t events);
/* cancel_expire: forwards past connect_timeout give up. */
void cancel_expire(struct router *r);
/* cancel_detach: s closes before its forwards are done: they go on without it. */
void cancel_detach(struct router *r, struct session *s);
/* cancel_free_done: frees finished jobs (deferred like sessions). */
void cancel_free_done(struct router *r);
/* cancel_close_all: gives up every forward in flight (the router stops). */
void cancel_close_all(struct router *r);

/* --- router_relay.c --------------------------------------------------------------------- */
/*
 * relay_pump: moves bytes from one side of s to the other (up: client -> backend)
 * until the source is drained or the destination is full. False: close the session.
 */
bool relay_pump(struct router *r, struct session *s, bool up, bool drain) MUST_CHECK;
/* relay_flush: writes pending bytes toward the side that became writable; then pumps. */
bool relay_flush(struct router *r, struct session *s, bool up) MUST_CHECK;
void relay_release(struct session *s);

/* --- router_notify.c -------------------------------------------------------------------- */
/* router_notify_tick: watchdog, READY and status for systemd; returns its next deadline. */
int64_t router_notify_tick(struct router *r);
/* router_notify_stopping: STOPPING=1, once the loop has ended. */
void router_notify_stopping(struct router *r);

/* --- router_http.c ---------------------------------------------------------------------- */
struct router_http;
struct router_http *router_http_start(struct router *r, const char *listen);
void router_http_stop(struct router_http *h);
/* router_publish: copies the live counters for the HTTP thread. */
void router_publish(struct router *r);
/*
 * router_fresh_stats: (HTTP thread) asks the loop to publish and copies the result
 * into out; falls back to the last copy if the loop does not answer within 200 ms.
 */
void router_fresh_stats(struct router *r, struct router_stats *out);

#endif
