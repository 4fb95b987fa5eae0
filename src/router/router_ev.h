/*
 * router_ev.h: what an epoll registration of the router points at.
 *
 * Every fd in the router's epoll set has a struct ev_handle (embedded in its owner)
 * as data.ptr; kind says which handler takes its events. Types only.
 */
#ifndef PGHA_ROUTER_ROUTER_EV_H
#define PGHA_ROUTER_ROUTER_EV_H

enum ev_kind {
	EV_LISTENER = 0, /* a client listener (owner: struct listener) */
	EV_CLIENT,       /* client side of a session (owner: struct session) */
	EV_SERVER,       /* backend side of a session (owner: struct session) */
	EV_CHECK,        /* a health-check socket of libcurl (owner: the checker) */
	EV_DCS,          /* the DCS watch's eventfd */
	EV_SIGNAL,       /* the signalfd */
	EV_PUBLISH,      /* eventfd: the HTTP thread wants fresh counters */
	EV_CANCEL,       /* a CancelRequest forwarded to a target (owner: struct cancel_fwd) */
	EV__COUNT        /* not a kind */
};

struct ev_handle {
	enum ev_kind kind;
	int fd;      /* -1 when closed */
	void *owner; /* the object this fd belongs to */
};

#endif
