/*
 * router_stats.h: the router's counters as published for its HTTP endpoint, and
 * their renderings: /health (JSON) and /metrics (Prometheus text format 0.0.4).
 *
 * The loop owns the live counters and copies them into a struct router_stats now and
 * then; the HTTP thread renders a copy. Rendering is pure (unit-tested).
 */
#ifndef PGHA_ROUTER_ROUTER_STATS_H
#define PGHA_ROUTER_ROUTER_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include "router/router_target.h"
#include "util/buf.h"

struct router_stats_listener {
	char addr[ROUTER_ADDR_LEN]; /* host:port it listens on, "" = disabled */
	uint64_t accepted;          /* client connections accepted */
	int active;                 /* open client connections (held ones included) */
	int held;                   /* clients waiting for a target now */
	uint64_t held_total;        /* clients that had to wait */
	uint64_t hold_timeouts;     /* clients closed after hold_timeout */
	uint64_t hold_abandoned;    /* clients that left while held */
	uint64_t connect_failures;  /* backend connects that failed or timed out */
	uint64_t fenced;            /* sessions closed because the target changed role */
	uint64_t bytes_in;          /* client -> target */
	uint64_t bytes_out;         /* target -> client */
	uint64_t target_changes;    /* eligibility flips of targets for this listener */
	uint64_t login_timeouts;    /* clients closed without a first message in login_timeout */
	uint64_t bad_startups;      /* first messages no PostgreSQL client sends */
	uint64_t address_refusals;  /* clients refused at max_clients_per_address */
	uint64_t idle_timeouts;     /* sessions closed after client_idle_timeout */
	uint64_t cancels;           /* CancelRequests forwarded */
};

struct router_stats_target {
	char name[DCS_NAME_LEN];
	char addr[DCS_URL_LEN];
	bool present;             /* in the DCS view */
	bool is_leader;           /* holds the leader key */
	bool eligible[RT__COUNT]; /* takes new sessions on each listener */
	int health;               /* counter of the endpoint that matters now */
	int last_status;          /* of its last check, 0 = no answer */
	int sessions[RT__COUNT];  /* open sessions */
	uint64_t sessions_total[RT__COUNT];
	uint64_t bytes_in;  /* target -> clients */
	uint64_t bytes_out; /* clients -> target */
	uint64_t checks_failed;
};

struct router_stats {
	int64_t uptime_ms;
	bool dcs_ok;               /* the etcd watch is current */
	bool has_view;             /* a cluster view has been seen */
	char leader[DCS_NAME_LEN]; /* leader key value, "" = none */
	bool switchover_pending;   /* RW clients are held for a switchover */
	int rise;                  /* for reading health counters */
	uint64_t accept_pauses;    /* out of fds or at max_clients */
	struct router_stats_listener l[RT__COUNT];
	struct router_stats_target t[RT_MAX_TARGETS];
	int n_targets;
};

/* router_stats_rw_ok: a read-write target is eligible (the /health verdict). */
bool router_stats_rw_ok(const struct router_stats *s);
/* router_stats_health_json: the /health body. */
void router_stats_health_json(const struct router_stats *s, struct buf *out);
/* router_stats_prometheus: the /metrics body. */
void router_stats_prometheus(const struct router_stats *s, struct buf *out);

#endif
