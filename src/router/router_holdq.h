/*
 * router_holdq.h: the hold queue: clients accepted while no target is eligible wait
 * here, oldest first, until a target appears or their deadline passes.
 *
 * Intrusive (the node lives in the session) and pure: no allocation, no clock, no I/O.
 * Kept ordered by deadline, so expiry only ever looks at the head. The same structure
 * keeps sessions that are connecting to a backend (ordered by connect deadline).
 */
#ifndef PGHA_ROUTER_ROUTER_HOLDQ_H
#define PGHA_ROUTER_ROUTER_HOLDQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hq_node {
	struct hq_node *prev; /* NULL when not queued */
	struct hq_node *next;
	int64_t deadline_ms; /* CLOCK_BOOTTIME ms */
	bool queued;         /* on a queue now */
};

struct holdq {
	struct hq_node *head; /* earliest deadline */
	struct hq_node *tail;
	int n; /* nodes queued */
};

void holdq_init(struct holdq *q);
/* holdq_push: queues n with deadline_ms, keeping deadline order (O(1) when it is the latest). */
void holdq_push(struct holdq *q, struct hq_node *n, int64_t deadline_ms);
/* holdq_pop: removes and returns the head (earliest deadline), or NULL. */
struct hq_node *holdq_pop(struct holdq *q);
/* holdq_remove: unlinks n (no-op if not queued). */
void holdq_remove(struct holdq *q, struct hq_node *n);
/* holdq_pop_expired: the head if its deadline is <= now_ms, removed; else NULL. */
struct hq_node *holdq_pop_expired(struct holdq *q, int64_t now_ms);
/* holdq_next_deadline: the head's deadline, or INT64_MAX when empty. */
int64_t holdq_next_deadline(const struct holdq *q);

#endif
