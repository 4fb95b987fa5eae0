/*
 * ha_types.h: the input and output of the HA decision core (ha_decide.h).
 *
 * Everything the agent observed in one cycle - its PostgreSQL, the DCS view, the
 * state of its leader lease, what its peers answered - goes in as plain values; a
 * plan (ordered actions, a target role, a reason) comes out. No pointers to live
 * objects, no library types: the core is a pure function of this struct.
 */
#ifndef PGHA_HA_HA_TYPES_H
#define PGHA_HA_HA_TYPES_H

#include <stdbool.h>
#include <stdint.h>
#include "dcs/dcs_types.h"
#include "pg/pg_types.h"

#define HA_MAX_ACTIONS 12
#define HA_SSN_LEN     256

/* The settings the decisions depend on (dynamic config + this node's tags). */
struct ha_settings {
	int64_t ttl_ms;
	int64_t max_lag_bytes;            /* maximum_lag_on_failover */
	int64_t primary_start_timeout_ms; /* crashed primary: 0 = hand over when someone can */
	int64_t switchover_sync_wait_ms;  /* a due switchover waits this long for a sync standby */
	bool synchronous_mode;
	bool synchronous_mode_strict;
	int synchronous_node_count;
	bool pause;
	bool check_timeline;
	bool nofailover; /* this node's tags */
	bool nosync;
	int failover_priority; /* 0 behaves like nofailover */
};

/* What a peer's REST API (/patroni) answered during a leader race. */
struct ha_peer {
	char name[DCS_NAME_LEN];
	bool reachable;  /* answered in time with a parsable body */
	bool running;    /* its PostgreSQL is running */
	bool is_primary; /* running and not in recovery */
	uint64_t lsn;    /* primary: location; replica: max(received, replayed) */
	int timeline;
	bool nofailover;
	int failover_priority;
};

/* pgBackRest as the loop sees it (ha/agent_backup.c fills it in). */
struct ha_backup {
	bool enabled;     /* the pgbackrest section is on */
	bool stanza_ok;   /* created or found since this node leads */
	bool info_known;  /* the repository's backups read since this node leads */
	bool job_running; /* one of this node's pgBackRest jobs runs */
	bool retry_wait;  /* a job failed a moment ago: only requests are served */
	int due;          /* the schedule's backup now: 0 none, 1 full, 2 diff, 3 incr */
};

/*
 * The agent's leader lease as its lease keeper last saw it. The fencing deadline in
 * force is ha_effective_deadline() of this (ha_failsafe.h): the lease's, or a later one
 * that a failsafe round carries while etcd cannot be reached.
 */
struct ha_lease {
	bool held;              /* the leader key is ours (last acquire/renew succeeded) */
	int64_t deadline_ms;    /* last successful renewal sent + ttl - margin */
	int64_t fs_deadline_ms; /* last round every failsafe member confirmed, sent + ttl -
	                           margin; 0 = none */
	bool fs_usable;         /* failsafe_mode on and the failsafe key we confirmed names us */
};

/* failsafe_mode as this node sees it (docs/agent.md, "Failsafe mode"). */
struct ha_failsafe_in {
	bool mode;                        /* failsafe_mode of the dynamic configuration */
	int64_t window_until_ms;          /* replica: last POST /failsafe accepted + ttl */
	char window_leader[DCS_NAME_LEN]; /* who sent it */
	char my_api_url[DCS_URL_LEN];     /* this node's /patroni URL */
	struct dcs_failsafe recent;       /* members whose key vanished less than 2 x ttl
	                                     ago: they stay in the list meanwhile */
};

struct ha_input {
	int64_t now_ms;          /* CLOCK_BOOTTIME, supplied by the caller */
	int64_t wall_now_ms;     /* epoch ms, only for scheduled switchovers */
	char name[DCS_NAME_LEN]; /* this member */
	struct ha_settings settings;

	struct pg_observation pg;      /* local PostgreSQL */
	bool pg_start_failed;          /* the last start attempt failed (avoid tight loops) */
	bool rewind_failed;            /* pg_rewind from the current leader failed */
	char upstream[DCS_NAME_LEN];   /* member our standby config streams from, "" if none */
	int64_t crashed_since_ms;      /* when PostgreSQL was first seen crashed, 0 if not */
	int64_t failover_due_since_ms; /* when this failover key was first seen due, 0 if not */

	bool dcs_ok;          /* the view is current */
	struct dcs_view view; /* the cluster in etcd (sync, failover, history...) */
	struct ha_lease lease;
	struct ha_failsafe_in failsafe;

	struct ha_peer peers[DCS_MAX_MEMBERS]; /* probe results, when probed */
	int n_peers;
	bool peers_probed; /* the peers above are from this cycle */

	struct ha_backup backup;

	bool shutdown;          /* the agent is stopping (SIGTERM) */
	bool restart_requested; /* POST /restart */
	bool reinit_requested;  /* POST /reinitialize */
};

/* The role this node heads for. */
enum ha_role {
	HA_ROLE_NONE = 0, /* uninitialized, waiting, or refusing to run */
	HA_ROLE_PRIMARY,
	HA_ROLE_REPLICA,
	HA_ROLE_STOPPED, /* shutting down */
	HA_ROLE__COUNT
};

enum ha_action_kind {
	HA_ACT_INITIALIZE_RACE = 0, /* create-if-absent of the initialize key; lose = stop */
	HA_ACT_BOOTSTRAP,           /* initdb, start primary, take leader, set initialize+config */
	HA_ACT_REGISTER_SYSID,      /* existing data, no cluster: initialize = our sysid */
	HA_ACT_CLONE,               /* pg_basebackup from target */
	HA_ACT_REINIT,              /* move data aside, then clone from target */
	HA_ACT_REWIND,              /* stop, pg_rewind from target (re-clone if it fails) */
	HA_ACT_START_PRIMARY,       /* start PostgreSQL as primary (we hold the key) */
	HA_ACT_START_REPLICA,       /* start as standby of target ("" = no upstream) */
	HA_ACT_STOP_FAST,           /* clean stop with shutdown checkpoint */
	HA_ACT_STOP_IMMEDIATE,      /* fencing stop, no checkpoint */
	HA_ACT_RESTART,             /* stop fast + start in the same role */
	HA_ACT_FOLLOW,              /* re-point a running standby to target */
	HA_ACT_ACQUIRE_LEADER,      /* create-if-absent of the leader key; lose = stop */
	HA_ACT_RELEASE_LEADER,      /* compare-value delete of the leader key */
	HA_ACT_SYNC_CLAIM,          /* sync = {me, pre-promotion standbys}; before promoting */
	HA_ACT_PROMOTE,             /* pg_promote, then checkpoint for future rewinds */
	HA_ACT_WRITE_HISTORY,       /* history key from the timeline history file */
	HA_ACT_SYNC_SLOTS,          /* physical slots for the other members */
	HA_ACT_SET_SSN,             /* synchronous_standby_names = ssn, reload */
	HA_ACT_PUBLISH_SYNC,        /* sync key = sync_names (CAS) */
	HA_ACT_CLEAR_FAILOVER,      /* failover key = {} */
	HA_ACT_HANDOVER,         /* switchover: checkpoint, stop fast, wait for target, release */
	HA_ACT_BACKUP_JOB,       /* a pgBackRest job, target names it: stanza, info, request... */
	HA_ACT_RESTORE,          /* the restore key's restore of this leader's data (pgBackRest) */
	HA_ACT_PUBLISH_FAILSAFE, /* failsafe key = decision.failsafe (CAS, leader only) */
	HA_ACT_DELETE_FAILSAFE,  /* failsafe_mode off: delete the failsafe key (CAS) */
	HA_ACT__COUNT
};

struct ha_action {
	enum ha_action_kind kind;
	char target[DCS_NAME_LEN]; /* member to clone/rewind/follow from, or hand over to */
};

/* Which rule of the decision table produced the plan (stable, for logs and tests). */
enum ha_rule {
	HA_RULE_SHUTDOWN = 0,
	HA_RULE_DCS_LOST_FENCE,
	HA_RULE_DCS_LOST_WAIT,
	HA_RULE_SYSID_MISMATCH,
	HA_RULE_PAUSED,
	HA_RULE_BOOTSTRAP,
	HA_RULE_WAIT_BOOTSTRAP,
	HA_RULE_ADOPT_DATA,
	HA_RULE_CLONE,
	HA_RULE_WAIT_LEADER_TO_CLONE,
	HA_RULE_REINIT,
	HA_RULE_LOST_KEY_FENCE,
	HA_RULE_PRIMARY_CRASHED_HANDOVER,
	HA_RULE_PRIMARY_RESTART,
	HA_RULE_REWIND_FORMER_PRIMARY,
	HA_RULE_RECLONE_AFTER_REWIND,
	HA_RULE_START_REPLICA,
	HA_RULE_STARTING,
	HA_RULE_LEADER,
	HA_RULE_SWITCHOVER,
	HA_RULE_RETAKE_LEADER,
	HA_RULE_RETAKE_VANISHED,
	HA_RULE_RETAKE_REFUSED,
	HA_RULE_FAILSAFE_WINDOW,
	HA_RULE_DEMOTE,
	HA_RULE_PROMOTE_HELD,
	HA_RULE_REWIND_DIVERGED,
	HA_RULE_FOLLOW,
	HA_RULE_RACE_WIN,
	HA_RULE_RACE_LOSE,
	HA_RULE_RESTART,
	HA_RULE_RESTORE,
	HA_RULE_RESTORE_WAIT,
	HA_RULE_RESTORE_RECLONE,
	HA_RULE_IDLE,
	HA_RULE__COUNT
};

struct ha_decision {
	enum ha_rule rule;
	enum ha_role role;
	struct ha_action actions[HA_MAX_ACTIONS]; /* run in order; stop at the first failure */
	int n_actions;
	const char *reason;                          /* static text of the rule */
	char detail[DCS_NAME_LEN * 2];               /* the member the reason is about, if any */
	char ssn[HA_SSN_LEN];                        /* for HA_ACT_SET_SSN */
	char sync_names[DCS_MAX_SYNC][DCS_NAME_LEN]; /* for HA_ACT_PUBLISH_SYNC / SYNC_CLAIM */
	int n_sync_names;
	struct dcs_failsafe failsafe; /* for HA_ACT_PUBLISH_FAILSAFE */
	bool retry_soon; /* transient (a primary still stopping, peers not asked): re-run soon */
};

#endif
