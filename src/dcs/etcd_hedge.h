/*
 * etcd_hedge.h: the rules of the etcd client's requests, pure: which member an attempt
 * goes to, when another attempt starts while one is still out, and what an answer
 * means. The transport (etcd.c) keeps the state and does the I/O; these functions only
 * decide, so every rule is unit-tested without a network.
 *
 * Why: a member can stall for seconds (its process stopped, its disk or CPU starved,
 * or the raft leader it forwards to frozen: a request parked there hangs until etcd's
 * own timeout, 5 s + 2 election timeouts). The agent's lease must be renewed within
 * ttl - margin, so no request may wait on one member: a read or a keepalive that has
 * not answered within the hedge delay is sent to the next member as well, and the
 * first answer wins (docs/agent.md, "Timing").
 *
 * Preference order of the members: those whose last attempt succeeded (most recent
 * first), then those never tried, then those failing (oldest failure first); a member
 * that answered with a raft term below one already seen goes last. No member is ever
 * excluded for good. Within one call a member gets a new attempt only once its last
 * one is 2 hedge delays old (an older attempt stays out until its own deadline, but
 * no longer blocks), at most ETCD_HEDGE_PER_MEMBER at a time.
 */
#ifndef PGHA_DCS_ETCD_HEDGE_H
#define PGHA_DCS_ETCD_HEDGE_H

#include <stdbool.h>
#include <stdint.h>

#define ETCD_HEDGE_MAX_MEMBERS 16
#define ETCD_HEDGE_PER_MEMBER  2 /* attempts out at once on one member */

/* What a client remembers of a member across calls. */
struct etcd_hedge_member {
	int64_t last_ok_ms;   /* when its last success was received; 0 = never */
	int64_t last_fail_ms; /* when its last failure was seen; 0 = never */
	bool stale;           /* its last answer carried a raft term below one seen */
};

/* One call's attempts so far, per member. */
struct etcd_hedge_call {
	int64_t last_launch_ms[ETCD_HEDGE_MAX_MEMBERS]; /* 0 = none in this call */
	int out[ETCD_HEDGE_MAX_MEMBERS];                /* attempts still out */
};

/* How a request may be repeated on another member. */
enum etcd_hedge_policy {
	ETCD_HEDGE_PARALLEL = 0, /* reads and keepalives: another attempt every hedge delay */
	ETCD_HEDGE_SERIAL,       /* writes that a second copy cannot apply twice (a compare
	                            the write itself falsifies): one at a time, the next after
	                            any failure */
	ETCD_HEDGE_ONCE,         /* other writes: another member only when the first cannot
	                            have applied it (never sent, or refused before proposing) */
	ETCD_HEDGE__COUNT
};

/* What one attempt's answer means. */
enum etcd_answer {
	ETCD_ANSWER_OK = 0,    /* a reply (the call's result) */
	ETCD_ANSWER_DEFINITE,  /* an error every member would repeat (compare failed, lease
	                          not found, bad request): the call's result */
	ETCD_ANSWER_UNAPPLIED, /* nobody applied it: not sent, "no leader", "not capable" */
	ETCD_ANSWER_UNKNOWN,   /* may be applied later: timed out after sending, "request
	                          timed out", "leader changed", another 5xx, garbage */
	ETCD_ANSWER_STALE,     /* a reply from a member whose raft term is behind */
	ETCD_ANSWER_AUTH,      /* the token is missing or expired */
	ETCD_ANSWER__COUNT
};

/*
 * etcd_hedge_rank: members[0..n) in preference order into order[0..n). Ties keep the
 * configured order, so a fresh client starts with the first endpoint.
 */
void etcd_hedge_rank(const struct etcd_hedge_member *members, int n, int *order);
/*
 * etcd_hedge_pick: the member the next attempt of call goes to at now_ms, or -1 when
 * every member has an attempt younger than 2 * hedge_ms or ETCD_HEDGE_PER_MEMBER out.
 */
int etcd_hedge_pick(const struct etcd_hedge_member *members, int n,
                    const struct etcd_hedge_call *call, int64_t now_ms, int64_t hedge_ms);
/*
 * etcd_hedge_next_ms: when policy launches the next attempt, given that the last one
 * went out at launched_ms and nothing has answered yet: parallel requests after the
 * hedge delay, the others only after a failure (INT64_MAX).
 */
int64_t etcd_hedge_next_ms(enum etcd_hedge_policy policy, int64_t launched_ms, int64_t hedge_ms);
/* etcd_hedge_retry: may policy try another member after an attempt answered a? */
bool etcd_hedge_retry(enum etcd_hedge_policy policy, enum etcd_answer a);

/*
 * etcd_hedge_classify_error: an error answer of etcd (HTTP status, gRPC code, message).
 * "no leader" and "not capable" are refused before anything is proposed; "timed out"
 * and "leader changed" may still be applied; auth errors ask for a new token.
 */
enum etcd_answer etcd_hedge_classify_error(long http, int code, const char *msg);
/*
 * etcd_hedge_classify_transport: a transfer that produced no reply; sent says whether
 * any of the request left (libcurl's CURLINFO_REQUEST_SIZE > 0).
 */
enum etcd_answer etcd_hedge_classify_transport(bool sent);

const char *etcd_answer_str(enum etcd_answer a);

#endif
