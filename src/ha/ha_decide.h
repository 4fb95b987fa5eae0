/*
 * ha_decide.h: the HA decision core, a pure function.
 *
 * ha_decide() maps one cycle's observations (struct ha_input) to a plan (struct
 * ha_decision): a target role, ordered actions and the rule that chose them. It does
 * no I/O, reads no clock, allocates nothing, logs nothing and touches no globals, so
 * the same input always gives the same plan and every rule is unit-tested.
 *
 * The plan is a proposal: the apply step runs the actions in order and stops at the
 * first that fails, and every action that changes who leads is an etcd
 * compare-and-swap, which has the last word.
 */
#ifndef PGHA_HA_HA_DECIDE_H
#define PGHA_HA_HA_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include "ha/ha_types.h"

void ha_decide(const struct ha_input *in, struct ha_decision *out);

/* Outcome of the leader race for this node (exposed for tests and the REST API). */
enum ha_race_outcome {
	HA_RACE_WIN = 0,
	HA_RACE_NOT_PROBED,      /* peers were not asked this cycle */
	HA_RACE_INELIGIBLE,      /* nofailover, lag, sync set, timeline or handing over */
	HA_RACE_PRIMARY_ALIVE,   /* a reachable peer still runs as primary */
	HA_RACE_BEHIND_PEER,     /* a reachable eligible peer is ahead (or wins the tie) */
	HA_RACE_DEFER_CANDIDATE, /* a healthy named failover candidate goes first */
	HA_RACE_NOT_LISTED,      /* a failsafe key exists and does not name this node */
	HA_RACE__COUNT
};

/* ha_race: may this node (a running standby) take a free leader key? *who names the peer. */
enum ha_race_outcome ha_race(const struct ha_input *in, const char **who);

/* --- cluster rules, shared with the REST API and the CLI --------------------------- */

/*
 * ha_sync_restricts: with synchronous_mode on, v's sync key limits who may be
 * promoted to the synchronous standbys it lists: it names a leader, or it exists but
 * cannot be read (then nobody may be promoted automatically).
 */
bool ha_sync_restricts(const struct dcs_view *v, bool synchronous_mode);
/*
 * ha_member_eligible: m may take the leader role over from leader ("" in a leaderless
 * cluster): it is not the leader, has neither nofailover nor failover_priority <= 0,
 * and is a listed synchronous standby while ha_sync_restricts. Whether it is healthy
 * enough right now is separate evidence: ha_member_streaming, or the leader's own
 * replication connection to it.
 */
bool ha_member_eligible(const struct dcs_view *v, const struct dcs_member *m, const char *leader,
                        bool synchronous_mode);
/* ha_member_streaming: m's member key says its PostgreSQL runs and streams. */
bool ha_member_streaming(const struct dcs_member *m);
/*
 * ha_sync_pending: ha_sync_restricts, and the sync key names no standby of v's leader
 * yet: it names none, or it is still the former leader's. A new leader claims the key
 * right after taking over, naming nobody, and names a standby only once PostgreSQL
 * reports it synchronous (a few seconds after a leader change, while the others catch
 * up with it): until then nobody may take over, for a moment only.
 */
bool ha_sync_pending(const struct dcs_view *v, bool synchronous_mode);
/*
 * ha_member_awaits_sync: m may take over from leader once the sync key names it:
 * ha_sync_pending and m eligible but for the sync key. Its state does not matter: right
 * after a leader change the others restart, rewind and catch up with the new leader
 * (its member key says its agent is alive), and one is named once it has.
 */
bool ha_member_awaits_sync(const struct dcs_view *v, const struct dcs_member *m, const char *leader,
                           bool synchronous_mode);

/* Whether a switchover or manual failover can be asked for (ha_handover.c). */
enum ha_handover_check {
	HA_HANDOVER_OK = 0,
	HA_HANDOVER_NO_LEADER,         /* switchover in a leaderless cluster: use failover */
	HA_HANDOVER_NOT_LEADER,        /* the named leader does not lead */
	HA_HANDOVER_PAUSED_ANY,        /* paused: only to a named candidate */
	HA_HANDOVER_SAME,              /* the candidate is the leader */
	HA_HANDOVER_UNKNOWN_CANDIDATE, /* no member of that name */
	HA_HANDOVER_NOFAILOVER,        /* the candidate may never lead (tags) */
	HA_HANDOVER_NOT_SYNC,          /* synchronous mode: not a listed sync standby */
	HA_HANDOVER_UNHEALTHY,         /* the candidate is not running (and streaming) */
	HA_HANDOVER_NO_CANDIDATE,      /* nobody could take over */
	HA_HANDOVER_SYNC_PENDING,      /* a streaming member could, once the sync key names it */
	HA_HANDOVER__COUNT
};

/* A switchover or manual failover as asked for, and the settings it is checked with. */
struct ha_handover_req {
	const char *leader;    /* the leader named by the request, "" = whoever leads */
	const char *candidate; /* "" = the best eligible member */
	bool synchronous_mode; /* the cluster's dynamic configuration */
	bool pause;
};

/*
 * ha_switchover_check: may r be asked of the cluster in v, which has a leader?
 * A candidate must be eligible (ha_member_eligible) and streaming; without a
 * candidate, at least one member must be. Patroni's 412 preconditions, but for one:
 * HA_HANDOVER_SYNC_PENDING when the only obstacle is a sync key that names no standby
 * yet and the candidate (or, without one, a member) could be named
 * (ha_member_awaits_sync). That request may be made: the leader carrying it out waits
 * for the standby to be named (up to ha_handover_wait_s), and only then gives up.
 */
enum ha_handover_check ha_switchover_check(const struct dcs_view *v,
                                           const struct ha_handover_req *r);
/*
 * ha_failover_check: may the leaderless cluster in v fail over to r->candidate? The
 * operator decides, so lag and the sync key are not checked (Patroni's manual failover);
 * the candidate must exist, be allowed to lead and run.
 */
enum ha_handover_check ha_failover_check(const struct dcs_view *v, const struct ha_handover_req *r);
/* ha_handover_check_str: the reason in words (Patroni's where it has one). */
const char *ha_handover_check_str(enum ha_handover_check c);
/*
 * ha_handover_done: the switchover or failover away from old ("" in a leaderless
 * cluster) is carried out in v: the leader key names someone else, and want when want
 * is not "". Names compare exactly, as the leader key holds them.
 */
bool ha_handover_done(const struct dcs_view *v, const char *old, const char *want);
/*
 * ha_handover_wait_s: how long a switchover may take to be carried out before its
 * requester gives up waiting: Patroni's bound, 2 * max(10, loop_wait) seconds. A due
 * switchover also waits as long for a synchronous standby to be named (SYNC_PENDING).
 */
int ha_handover_wait_s(int loop_wait_s);

/*
 * ha_render_ssn: synchronous_standby_names for names[n] with num sync standbys:
 * FIRST num ("a", "b"); "" when n is 0. Names are double-quoted (case preserved).
 */
void ha_render_ssn(int num, const char (*names)[DCS_NAME_LEN], int n, char *out, size_t size);

const char *ha_rule_name(enum ha_rule rule);
const char *ha_role_name(enum ha_role role);
const char *ha_action_name(enum ha_action_kind kind);
const char *ha_race_outcome_name(enum ha_race_outcome outcome);

#endif
