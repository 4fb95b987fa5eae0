/*
 * router_target.h: the router's targets (one per cluster member) and the rules that
 * make one eligible: leader key + /primary for read-write, /replica for read-only,
 * each confirmed by a HAProxy-style rise/fall counter.
 *
 * Pure: no I/O, no clock, no logging. The loop feeds it DCS views, check results and
 * the time; it answers which target a new session goes to and which sessions must be
 * closed (fencing at the edge). Unit-tested from hand-built struct dcs_view values.
 */
#ifndef PGHA_ROUTER_ROUTER_TARGET_H
#define PGHA_ROUTER_ROUTER_TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include "dcs/dcs_types.h"
#include "router/router_config.h"

/* A member that left the view keeps its slot while sessions still use it. */
#define RT_MAX_TARGETS (DCS_MAX_MEMBERS * 2)

enum rt_listener {
	RT_RW = 0, /* read-write port: the primary */
	RT_RO,     /* read-only port: the replicas */
	RT__COUNT  /* not a listener */
};

/* Which REST endpoint confirms a target: the leader is checked on /primary, others on /replica. */
enum rt_check_kind {
	RT_CHECK_PRIMARY = 0,
	RT_CHECK_REPLICA,
	RT_CHECK__COUNT /* not a kind */
};

/* HAProxy's single counter: 0..rise+fall-1, up iff >= rise. */
struct rt_health {
	int health;
};

struct rt_target {
	bool in_use;             /* slot holds a target */
	bool present;            /* member is in the current DCS view */
	bool is_leader;          /* member holds the leader key */
	bool kept;               /* leader kept while the key is absent (see rt_table_apply_view) */
	bool addr_changed;       /* addr differs from what the loop resolved last */
	char name[DCS_NAME_LEN]; /* member name */
	char api_base[DCS_URL_LEN];              /* "http://host:port" of its REST API, "" = none */
	char addr[DCS_URL_LEN];                  /* "host:port" sessions connect to, "" = none */
	struct sockaddr_storage sa;              /* addr resolved by the loop */
	socklen_t sa_len;                        /* 0 = unresolved */
	struct rt_health check[RT_CHECK__COUNT]; /* per endpoint */
	bool confirming;          /* new leader: its first /primary pass makes it up at once */
	int64_t next_check_ms;    /* when the loop should check next */
	int64_t penalty_until_ms; /* a connect failed: skipped until then */
	int sessions[RT__COUNT];  /* open sessions per listener */
	uint64_t sessions_total[RT__COUNT]; /* sessions ever sent here */
	uint64_t bytes_in;                  /* bytes target -> clients */
	uint64_t bytes_out;                 /* bytes clients -> target */
	uint64_t checks_failed;             /* health checks that did not answer 200 */
	int last_status;                    /* HTTP status of the last check, 0 = no answer */
};

/* What a new view changed, for the loop to act on. */
struct rt_changes {
	int lost_leader;   /* target that stopped holding the leader key, or -1 */
	int new_leader;    /* target that started holding it, or -1 */
	bool addr_changed; /* some target needs its addr resolved */
	bool eligibility;  /* a target may have become eligible (dispatch held clients) */
};

struct rt_table {
	struct rt_target t[RT_MAX_TARGETS];
	int rise;                           /* passes to become up */
	int fall;                           /* failures to become down */
	enum router_target_kind kind;       /* pooler or postgres address */
	bool hold_on_switchover;            /* see router_config */
	int64_t switchover_max_ms;          /* a failover key older than this is ignored */
	bool has_view;                      /* at least one valid view was applied */
	bool has_leader;                    /* the view has a leader key */
	char leader[DCS_NAME_LEN];          /* its value */
	bool switchover_pending;            /* failover key present, due, naming our leader */
	int64_t switchover_seen_ms;         /* when that key (this revision) appeared */
	int64_t switchover_revision;        /* its mod_revision */
	unsigned rr_cursor;                 /* round robin position for RO */
	int rw_current;                     /* last target handed an RW session, -1 = none */
	uint64_t target_changes[RT__COUNT]; /* eligible target changed (RW) / new RO picks */
};

void rt_table_init(struct rt_table *tbl, const struct router_config *cfg);
/*
 * rt_table_apply_view: brings the targets in line with a valid DCS view at now_ms
 * (wall_ms is the wall clock, for a scheduled switchover). Fills *ch. A view without a
 * leader key keeps the last leader (and its address, though its member key went with
 * the same lease) as the read-write target while its /primary keeps answering 200: a
 * primary running on failsafe has lost its key, not its leadership, and its agent
 * answers 200 only until its fencing deadline. The first failed check drops it, and no
 * other member is ever routed to without holding the key.
 */
void rt_table_apply_view(struct rt_table *tbl, const struct dcs_view *view, int64_t now_ms,
                         int64_t wall_ms, struct rt_changes *ch);
/* rt_health_report: one check result; true when up/down flipped. */
bool rt_health_report(struct rt_health *h, bool ok, int rise, int fall);
bool rt_health_up(const struct rt_health *h, int rise);
/* rt_target_check_kind: the endpoint that confirms t (/primary for the leader). */
enum rt_check_kind rt_target_check_kind(const struct rt_target *t);
/*
 * rt_table_check_result: records a check of target i of the given kind (ignored if
 * the target's role changed since the check started). True when eligibility flipped.
 */
bool rt_table_check_result(struct rt_table *tbl, int i, enum rt_check_kind kind, int status,
                           int64_t now_ms, int interval_ms);
bool rt_eligible(const struct rt_table *tbl, int i, enum rt_listener l, int64_t now_ms);
/* rt_select: the target for a new session on listener l, or -1 (hold). RO is round robin. */
int rt_select(struct rt_table *tbl, enum rt_listener l, int64_t now_ms);
/* rt_member_addr: where sessions to m go for kind k ("host:port"); false if unknown. */
bool rt_member_addr(const struct dcs_member *m, enum router_target_kind k, char *out, size_t size);
/* rt_api_base: "http://host:port" from an api_url such as "http://host:port/patroni". */
bool rt_api_base(const char *api_url, char *out, size_t size);
const char *rt_listener_str(enum rt_listener l);

#endif
