/*
 * router_holdq.c: a deadline-ordered intrusive queue (hold queue, connect timeouts).
 *
 * New entries nearly always carry the latest deadline (one timeout for all), so
 * insertion scans from the tail and is O(1) in practice; a re-queued client (its
 * backend refused) keeps its original deadline and finds its place further forward.
 */
#include "router/router_holdq.h"

void holdq_init(struct holdq *q)
{
	q->head = NULL;
	q->tail = NULL;
	q->n = 0;
}

void holdq_push(struct holdq *q, struct hq_node *n, int64_t deadline_ms)
{
	struct hq_node *after;

	if (n->queued)
		holdq_remove(q, n);
	after = q->tail; /* only now: n itself may have been the tail */
	n->deadline_ms = deadline_ms;
	while (after != NULL && after->deadline_ms > deadline_ms)
		after = after->prev;
	n->prev = after;
	n->next = after != NULL ? after->next : q->head;
	if (n->next != NULL)
		n->next->prev = n;
	else
		q->tail = n;
	if (after != NULL)
		after->next = n;
	else
		q->head = n;
	n->queued = true;
	q->n++;
}

void holdq_remove(struct holdq *q, struct hq_node *n)
{
	if (!n->queued)
		return;
	if (n->prev != NULL)
		n->prev->next = n->next;
	else
		q->head = n->next;
	if (n->next != NULL)
		n->next->prev = n->prev;
	else
		q->tail = n->prev;
	n->prev = NULL;
	n->next = NULL;
	n->queued = false;
	q->n--;
}

struct hq_node *holdq_pop(struct holdq *q)
{
	struct hq_node *n = q->head;

	if (n != NULL)
		holdq_remove(q, n);
	return n;
}

struct hq_node *holdq_pop_expired(struct holdq *q, int64_t now_ms)
{
	if (q->head == NULL || q->head->deadline_ms > now_ms)
		return NULL;
	return holdq_pop(q);
}

int64_t holdq_next_deadline(const struct holdq *q)
{
	return q->head != NULL ? q->head->deadline_ms : INT64_MAX;
}
