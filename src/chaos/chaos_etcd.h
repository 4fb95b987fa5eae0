/*
 * chaos_etcd.h: etcd's own cluster, as the etcd scenarios need it: which member is the
 * raft leader, from each member's POST /v3/maintenance/status (its member_id and the
 * leader it follows), asked of every endpoint of the client.
 *
 * Requests go through http.h. chaos_etcd_parse_status and chaos_etcd_pick are pure.
 */
#ifndef PGHA_CHAOS_CHAOS_ETCD_H
#define PGHA_CHAOS_CHAOS_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include "client/client.h"
#include "util/compiler.h"

/* One member's answer (or silence). */
struct chaos_etcd_member {
	bool answered;      /* in the latest round */
	char member_id[24]; /* decimal uint64, as etcd's JSON gateway writes it; kept from an
	                       earlier round when the member is silent now */
	char leader_id[24]; /* the leader it follows; "0" or "" when it has none */
};

/* The raft view of the cluster: one entry per client endpoint, in the client's order. */
struct chaos_etcd_view {
	struct chaos_etcd_member m[CLIENT_MAX_ETCD];
	int n;
	int leader; /* index of the member that leads, or -1 when none is known */
};

/* chaos_etcd_parse_status: a maintenance/status body into m (answered set). Pure. */
bool chaos_etcd_parse_status(const char *body, struct chaos_etcd_member *m);
/*
 * chaos_etcd_pick: v->leader from the answers: the endpoint whose member_id is the
 * leader that most answering members follow (ties: the first). A silent member can be
 * the leader the others still follow (a stalled leader, before they elect another).
 * Pure.
 */
void chaos_etcd_pick(struct chaos_etcd_view *v);
/*
 * chaos_etcd_status: asks every endpoint of cl (each within timeout_ms, one after the
 * other) and picks the leader. v may hold an earlier round (member ids are kept for
 * members silent now) or be zeroed. Blocks up to n x timeout_ms.
 */
void chaos_etcd_status(const struct client *cl, int timeout_ms, struct chaos_etcd_view *v);
/*
 * chaos_etcd_victims: the members to stop: the leader alone (n = 1), or for a quorum
 * loss two of three: the leader and the first other member (by endpoint order, which
 * is name order in a lab), or with followers the two that do not lead. Returns how
 * many were put in out (0 when no leader is known). Pure.
 */
int chaos_etcd_victims(const struct chaos_etcd_view *v, int n, bool followers, int *out);

#endif
