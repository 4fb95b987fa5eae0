/*
 * chaos_verify.h: the verdicts of a chaos run.
 *   - healthy: a leader whose REST API says primary/running, every other node a
 *     running replica on the leader's timeline (streaming, where replication_state is
 *     reported), and, in synchronous mode, the sync key naming a standby of that leader;
 *   - one writer: no probe commit acknowledged by one node while another node was
 *     certainly acknowledging (see chaos_probe.h);
 *   - nothing lost: every acknowledged id is on the new primary.
 *
 * Pure except chaos_read_ids, which queries the primary.
 */
#ifndef PGHA_CHAOS_CHAOS_VERIFY_H
#define PGHA_CHAOS_CHAOS_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "chaos/chaos_observe.h"
#include "chaos/chaos_probe.h"
#include "util/compiler.h"

/* chaos_healthy: as above; false with why set (the first missing piece). */
bool chaos_healthy(const struct chaos_cluster_obs *o, char *why, size_t whylen);
/* chaos_node_obs_find: node called name in o, or NULL. Borrowed. */
const struct chaos_node_obs *chaos_node_obs_find(const struct chaos_cluster_obs *o,
                                                 const char *name);
/*
 * chaos_count_missing: how many of acked[0..n) (ascending) are not in present[0..m)
 * (ascending).
 */
int64_t chaos_count_missing(const int64_t *acked, size_t n, const int64_t *present, size_t m);
/*
 * chaos_split_brain: true when some node acknowledged a probe commit (its window from
 * send to answer) entirely inside the span in which another node was certainly
 * acknowledging: from the answer to the first ack of one of its runs of consecutive
 * acks to the sending of the last. Sample order per node is time order. detail gets a
 * description naming the nodes (names[node]).
 */
bool chaos_split_brain(const struct chaos_sample *s, int n, const char *const *names, int64_t t0_us,
                       char *detail, size_t detaillen);
/*
 * chaos_acks_sent_within: how many of node's samples were acknowledged commits sent in
 * [from_us, to_us). Pure.
 */
int chaos_acks_sent_within(const struct chaos_sample *s, int n, int node, int64_t from_us,
                           int64_t to_us);
/*
 * chaos_read_ids: the ids of chaos_ids in [lo, hi], ascending, from a new session on
 * conninfo. *ids is owned (free it). False with err set on failure.
 */
bool chaos_read_ids(const char *conninfo, int64_t lo, int64_t hi, int64_t **ids, size_t *n,
                    char *err, size_t errlen) MUST_CHECK;

#endif
