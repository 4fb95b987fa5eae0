/*
 * api_route.h: which handler answers a (method, path) pair, Patroni style.
 *
 * Patroni routes on the first path segment ("/switchover/x" is /switchover) and
 * sends every GET, HEAD and OPTIONS it has no handler for to the generic health
 * handler, which then matches substrings of the path. Pure: no I/O.
 *
 * Deviations from Patroni, chosen for what a user expects:
 *   - HEAD and OPTIONS on the named read endpoints (/patroni, /liveness, /cluster...)
 *     answer what GET answers, without a body (Patroni runs the health rule on them,
 *     so HEAD /patroni says 503 there);
 *   - a method a path does not support is 405 with Allow, a write method on an
 *     unknown path is 404, and only unknown methods are 501 (Patroni: always 501).
 */
#ifndef PGHA_API_API_ROUTE_H
#define PGHA_API_API_ROUTE_H

#include <stdbool.h>
#include "api/api.h"

enum api_endpoint {
	API_EP_HEALTH = 0,         /* the generic health handler (/primary, /replica, ...) */
	API_EP_PATRONI,            /* GET /patroni */
	API_EP_CLUSTER,            /* GET /cluster */
	API_EP_HISTORY,            /* GET /history */
	API_EP_CONFIG,             /* GET /config */
	API_EP_METRICS,            /* GET /metrics */
	API_EP_LIVENESS,           /* GET /liveness */
	API_EP_READINESS,          /* GET /readiness */
	API_EP_FAILSAFE,           /* GET /failsafe */
	API_EP_FAILSAFE_POST,      /* POST /failsafe (protected; failsafe mode unsupported) */
	API_EP_OPERATION,          /* an unsafe request, see api_route.op */
	API_EP_NOT_FOUND,          /* 404: write method on a path nobody serves */
	API_EP_METHOD_NOT_ALLOWED, /* 405: the path exists, see api_route.allow */
	API_EP_NOT_IMPLEMENTED,    /* 501: a method we do not implement at all */
	API_EP__COUNT
};

struct api_route {
	enum api_endpoint ep;
	enum api_op op;   /* when ep == API_EP_OPERATION */
	bool status_only; /* reply without a body (HEAD, OPTIONS, /liveness, /readiness) */
	bool protected_;  /* needs Basic auth when configured */
	char allow[64];   /* for 405: "GET, HEAD, OPTIONS, POST, DELETE" */
};

/* api_route_find: the route for method (as sent, case-sensitive) and path (no query). */
void api_route_find(const char *method, const char *path, struct api_route *out);
#endif
