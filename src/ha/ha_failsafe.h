/*
 * ha_failsafe.h: the rules of failsafe_mode (Patroni 3.0's, made safe on a 2 s lease),
 * pure functions shared by the decision core, the lease keeper and the REST API.
 *
 * While etcd cannot be reached, a primary keeps its writes only as long as every member
 * named in the failsafe key confirms it over the REST API (POST /failsafe). A member
 * that confirms promises not to race, take the leader key or promote for one ttl from
 * then (its window). The primary stops at the send time of the last round that every
 * member confirmed + ttl - margin, before any window it relied on closes, so the two
 * can never overlap. docs/agent.md, "Failsafe mode", has the whole argument.
 *
 * Nothing here does I/O, reads a clock, allocates or logs (make lint checks it).
 */
#ifndef PGHA_HA_HA_FAILSAFE_H
#define PGHA_HA_HA_FAILSAFE_H

#include <stdbool.h>
#include <stdint.h>
#include "dcs/dcs_types.h"
#include "ha/ha_types.h"

/*
 * ha_effective_deadline: when the primary must have stopped accepting writes: the
 * lease's deadline, or a later failsafe deadline while failsafe is usable (the mode is
 * on and the failsafe key this primary confirmed names it).
 */
int64_t ha_effective_deadline(const struct ha_lease *l);
/* ha_fs_carries: at now_ms the effective deadline rests on a failsafe round. */
bool ha_fs_carries(const struct ha_lease *l, int64_t now_ms);
/*
 * ha_fs_round_confirms: a round sent at sent_ms counts only if every one of its n
 * targets accepted it (n 0: a lone member, as Patroni) and it left before the
 * deadline then in force: a node already past its deadline has fenced, or must.
 */
bool ha_fs_round_confirms(const bool *accepted, int n, int64_t sent_ms,
                          int64_t deadline_at_send_ms);
/*
 * ha_fs_key_allows: may name take the free leader key as far as the failsafe key goes?
 * Yes when there is no key or it names name; never while it cannot be read.
 */
bool ha_fs_key_allows(const struct dcs_failsafe *fs, const char *name);

/* A failsafe list the leader wrote or is writing, until the view shows it obsolete. */
struct ha_fs_write {
	struct dcs_failsafe list;
	int64_t base_revision; /* the key's mod_revision the CAS compared (0: absent) */
	int64_t new_revision;  /* the key's revision once written; 0: outcome unknown */
};
/*
 * ha_fs_write_obsolete: w can no longer be (or become) the key's value beyond what a
 * view at key revision view_rev shows: it was written and the view has caught up, or
 * its outcome is unknown and the key moved on (its compare can never hold again).
 */
bool ha_fs_write_obsolete(const struct ha_fs_write *w, int64_t view_rev);
/*
 * ha_fs_targets: whom the primary's rounds must hear from: everyone the key names, and
 * everyone a write not yet obsolete names (it may land), except self.
 */
void ha_fs_targets(const struct dcs_failsafe *key, const struct ha_fs_write *writes, int n,
                   const char *self, struct dcs_failsafe *out);

/*
 * ha_fs_desired: the failsafe list the leader in wants in etcd: every member with an
 * api_url in the view, those that vanished less than 2 x ttl ago (in->failsafe.recent:
 * a mass lease revocation must not shrink the list for a moment), and itself.
 */
void ha_fs_desired(const struct ha_input *in, struct dcs_failsafe *out);
/* ha_fs_same: two valid lists name the same members with the same URLs. */
bool ha_fs_same(const struct dcs_failsafe *a, const struct dcs_failsafe *b);

/* What a member knows when a POST /failsafe arrives. */
struct ha_fs_replica {
	bool mode;                      /* failsafe_mode on */
	bool primary;                   /* its PostgreSQL runs as primary */
	bool racing;                    /* taking the leader key or promoting */
	char self[DCS_NAME_LEN];        /* this member */
	char last_leader[DCS_NAME_LEN]; /* leader key holder in the last view with one; "" none */
	char upstream[DCS_NAME_LEN];    /* the member its standby streams from; "" none */
	int timeline;                   /* its PostgreSQL's; 0 unknown */
};

/* The parts of a POST /failsafe body the verdict reads. */
struct ha_fs_post {
	char name[DCS_NAME_LEN]; /* the primary asking */
	int timeline;            /* 0: not sent (Patroni does not) */
};

enum ha_fs_verdict {
	HA_FS_ACCEPT = 0,      /* 200 "Accepted": the window opens */
	HA_FS_MODE_OFF,        /* 502: failsafe_mode is off here */
	HA_FS_PRIMARY,         /* 500 "Running as a leader" (Patroni's text) */
	HA_FS_RACING,          /* 500: this node is taking the key or promoting */
	HA_FS_NOT_LEADER,      /* 500: not the leader this node knows */
	HA_FS_TIMELINE_BEHIND, /* 500: the asker's timeline is behind ours */
	HA_FS__COUNT
};
/*
 * ha_failsafe_accept: may r confirm p? Only the leader r last saw in etcd (or, having
 * never seen one, the member its standby streams from), never while r is primary or
 * racing, never a timeline behind r's.
 */
enum ha_fs_verdict ha_failsafe_accept(const struct ha_fs_replica *r, const struct ha_fs_post *p);
const char *ha_fs_verdict_str(enum ha_fs_verdict v);

#endif
