/*
 * etcd_hedge.c: the etcd client's request rules (see etcd_hedge.h). Pure: no I/O, no
 * clock, no allocation.
 */
#include "dcs/etcd_hedge.h"

#include <string.h>
#include "dcs/etcd_json.h"

/* Rank classes, best first. */
enum rank_class {
	RANK_ANSWERING = 0, /* the last attempt succeeded */
	RANK_UNTRIED,
	RANK_FAILING,
	RANK_STALE
};

static enum rank_class rank_class(const struct etcd_hedge_member *m)
{
	if (m->stale)
		return RANK_STALE;
	if (m->last_ok_ms == 0 && m->last_fail_ms == 0)
		return RANK_UNTRIED;
	return m->last_ok_ms > m->last_fail_ms ? RANK_ANSWERING : RANK_FAILING;
}

/* before: a is preferred to b (both classes computed); ties keep the configured order. */
static bool before(const struct etcd_hedge_member *a, int ia, const struct etcd_hedge_member *b,
                   int ib)
{
	enum rank_class ca = rank_class(a), cb = rank_class(b);

	if (ca != cb)
		return ca < cb;
	if (ca == RANK_ANSWERING && a->last_ok_ms != b->last_ok_ms)
		return a->last_ok_ms > b->last_ok_ms; /* answered most recently */
	if (ca != RANK_UNTRIED && a->last_fail_ms != b->last_fail_ms)
		return a->last_fail_ms < b->last_fail_ms; /* failed longest ago */
	return ia < ib;
}

void etcd_hedge_rank(const struct etcd_hedge_member *members, int n, int *order)
{
	for (int i = 0; i < n; i++) {
		int pos = i;

		/* Insertion sort: a handful of members. */
		while (pos > 0 &&
		       before(&members[i], i, &members[order[pos - 1]], order[pos - 1])) {
			order[pos] = order[pos - 1];
			pos--;
		}
		order[pos] = i;
	}
}

int etcd_hedge_pick(const struct etcd_hedge_member *members, int n,
                    const struct etcd_hedge_call *call, int64_t now_ms, int64_t hedge_ms)
{
	int order[ETCD_HEDGE_MAX_MEMBERS];

	if (n > ETCD_HEDGE_MAX_MEMBERS)
		n = ETCD_HEDGE_MAX_MEMBERS;
	etcd_hedge_rank(members, n, order);
	for (int k = 0; k < n; k++) {
		int i = order[k];
		int64_t last = call->last_launch_ms[i];

		if (call->out[i] >= ETCD_HEDGE_PER_MEMBER)
			continue;
		if (last != 0 && now_ms - last < 2 * hedge_ms)
			continue;
		return i;
	}
	return -1;
}

int64_t etcd_hedge_next_ms(enum etcd_hedge_policy policy, int64_t launched_ms, int64_t hedge_ms)
{
	return policy == ETCD_HEDGE_PARALLEL ? launched_ms + hedge_ms : INT64_MAX;
}

bool etcd_hedge_retry(enum etcd_hedge_policy policy, enum etcd_answer a)
{
	switch (a) {
	case ETCD_ANSWER_UNAPPLIED:
	case ETCD_ANSWER_STALE: /* a reply with a header: only reads are checked for it */
		return true;
	case ETCD_ANSWER_UNKNOWN:
		/* A write that may still land must not be sent again unless a second copy
		 * cannot apply twice: a delayed plain put could land after a newer one. */
		return policy != ETCD_HEDGE_ONCE;
	case ETCD_ANSWER_OK:
	case ETCD_ANSWER_DEFINITE:
	case ETCD_ANSWER_AUTH:
	case ETCD_ANSWER__COUNT:
		break;
	}
	return false;
}

enum etcd_answer etcd_hedge_classify_error(long http, int code, const char *msg)
{
	/* With "hasleader", a member without a leader refuses before proposing. */
	if (strstr(msg, "no leader") != NULL || strstr(msg, "not capable") != NULL)
		return ETCD_ANSWER_UNAPPLIED;
	if (code == ETCD_CODE_UNAUTHENTICATED || strstr(msg, "invalid auth token") != NULL ||
	    strstr(msg, "user name is empty") != NULL)
		return ETCD_ANSWER_AUTH;
	if (http >= 500 || code == ETCD_CODE_UNAVAILABLE || code == ETCD_CODE_DEADLINE_EXCEEDED ||
	    strstr(msg, "leader changed") != NULL || strstr(msg, "timed out") != NULL)
		return ETCD_ANSWER_UNKNOWN;
	return ETCD_ANSWER_DEFINITE;
}

enum etcd_answer etcd_hedge_classify_transport(bool sent)
{
	return sent ? ETCD_ANSWER_UNKNOWN : ETCD_ANSWER_UNAPPLIED;
}

const char *etcd_answer_str(enum etcd_answer a)
{
	static const char *const names[ETCD_ANSWER__COUNT] = {
	    "ok", "definite error", "not applied", "outcome unknown", "stale member", "auth"};

	return (unsigned)a < ETCD_ANSWER__COUNT ? names[a] : "?";
}
