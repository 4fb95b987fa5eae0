/*
 * client_handover.h: a switchover or failover request, planned from one view of the
 * cluster with patronictl's rules before anything is sent, and sent to the agent that
 * coordinates it. Shared by `pgha switchover` / `pgha failover` and by the switchover
 * scenario of `pgha chaos`, so both exercise exactly the same request.
 *
 * Rules: the leader must be the one named (if named); who may take over is the agents'
 * own rule (ha_switchover_check / ha_failover_check, ha/ha_decide.h), which lets a
 * request through while the sync key names no standby yet (the leader waits for one,
 * bounded: HA_HANDOVER_SYNC_PENDING); the request goes
 * to the leader's REST API, or to the candidate's when there is no leader; a failover
 * that names the leader is a switchover. The agents answer once the new leader holds
 * the key.
 *
 * client_plan_handover is pure; client_handover_send blocks. Nothing is printed.
 */
#ifndef PGHA_CLIENT_CLIENT_HANDOVER_H
#define PGHA_CLIENT_CLIENT_HANDOVER_H

#include <stdbool.h>
#include <stddef.h>
#include "client/client.h"
#include "dcs/dcs_types.h"
#include "http/http.h"
#include "util/buf.h"
#include "util/compiler.h"

#define CLIENT_ISO_LEN 48

/* What was asked for: `pgha switchover` or `pgha failover` and their options. */
struct client_handover_req {
	bool failover;             /* the failover command (a switchover otherwise) */
	const char *leader;        /* --leader, or NULL */
	const char *candidate;     /* --candidate, or NULL */
	const char *scheduled_iso; /* normalised ISO 8601, or NULL / "" for now */
};

struct client_handover {
	const char *action;                /* "switchover" or "failover" (the endpoint too) */
	char leader[DCS_NAME_LEN];         /* "" in a leaderless cluster */
	char candidate[DCS_NAME_LEN];      /* "" = the best one */
	char scheduled_at[CLIENT_ISO_LEN]; /* normalised ISO 8601, "" = now */
	char target[DCS_NAME_LEN];         /* the member whose REST API gets the request */
	int sync_wait_s; /* > 0: a candidate may take over once the sync key names it, which
	                  * the leader waits for that long at most (HA_HANDOVER_SYNC_PENDING) */
	char *body;      /* owned JSON text */
};

/*
 * client_plan_handover: the request for r against v. False with err set (patronictl's
 * messages) when it cannot be asked; h->body is then NULL.
 */
bool client_plan_handover(const struct client_handover_req *r, const struct dcs_view *v,
                          struct client_handover *h, char *err, size_t errlen) MUST_CHECK;
void client_handover_free(struct client_handover *h);
/*
 * client_handover_send: POSTs h->body to h->action on h->target's REST API (members in
 * v) and waits for the answer, which the agent gives once the new leader holds the key
 * (up to client_handover_wait_ms + 15 s). Returns the HTTP status (200/202 = done), or
 * when the agent did not answer (err says why) 0, or HTTP_UNSENT if it cannot have seen
 * the request; the body is appended to reply.
 */
long client_handover_send(const struct client *c, const struct dcs_view *v,
                          const struct client_handover *h, struct buf *reply, char *err,
                          size_t errlen);
/*
 * client_handover_wait_ms: how long the agents may take to carry a request out: to wait
 * for a synchronous standby to be named when v's sync key names none, then to hand over.
 */
int client_handover_wait_ms(const struct dcs_view *v);

#endif
