/*
 * chaos_report.h: the outcome of one chaos run, its verdict, and its two renderings:
 * the timeline for people and one JSON object (jansson) for tools.
 *
 * Pure: no I/O; text goes into a buf, JSON into an owned string.
 */
#ifndef PGHA_CHAOS_CHAOS_REPORT_H
#define PGHA_CHAOS_CHAOS_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include "chaos/chaos_args.h"
#include "chaos/chaos_timeline.h"
#include "dcs/dcs_types.h"
#include "util/buf.h"

#define CHAOS_MAX_PROBLEMS 8
#define CHAOS_PROBLEM_LEN  320

struct chaos_result {
	enum chaos_scenario scenario;
	char victim[DCS_NAME_LEN];     /* the leader when the fault was injected */
	char new_leader[DCS_NAME_LEN]; /* the leader at the end ("" if none) */
	int64_t t0_us;                 /* the fault (clock_now_us) */
	double downtime_s;             /* fault to the first acknowledged write; < 0 = none */
	int64_t acked;                 /* acknowledged inserts, the whole run */
	int64_t lost_acked;            /* of those, missing on the new primary */
	int64_t errors;                /* failed connects and statements of the writer */
	int64_t connect_errors;        /* of which failed connects */
	bool verified;                 /* the ids could be read from the new primary */
	bool restart;                  /* the victim was to rejoin (no --no-restart) */
	bool rejoined;                 /* the cluster healed with the victim in it */
	bool rewound;                  /* ... after the victim ran pg_rewind */
	double rejoin_s;               /* fault to healed; < 0 = not */
	bool split_brain;              /* two nodes acknowledged commits at once */
	char split_detail[256];
	double fault_s;             /* how long a healing fault lasted; 0 = it does not heal */
	char etcd_victims[160];     /* etcd members stopped ("etcd2 etcd1"), "" if none */
	int leader_changes;         /* the leader key changed holder (from the fault on) */
	int etcd_leader_changes;    /* etcd's raft leader changed; -1 = not watched */
	double failsafe_s;          /* some node reported failsafe mode for this long */
	int64_t isolated_acks;      /* partition-primary: the cut-off primary acknowledged
	                               this many commits sent after the cut; -1 = n/a */
	bool interrupted;           /* a signal ended the run early (the fault healed) */
	int timeout_s;              /* --timeout, for the messages */
	struct chaos_event *events; /* sorted; owned after chaos_run (chaos_result_free) */
	int n_events;
	char problems[CHAOS_MAX_PROBLEMS][CHAOS_PROBLEM_LEN]; /* set by chaos_result_judge */
	int n_problems;
};

/* chaos_result_judge: fills problems; true when there is none (exit status 0). */
bool chaos_result_judge(struct chaos_result *r);
/* chaos_report_text: the timeline ("T+2.41s  node2 acquired leader key"), the summary
 * line ("acked 18233, lost 0, downtime 2.76 s") and one line per problem. */
void chaos_report_text(const struct chaos_result *r, struct buf *out);
/* chaos_report_json: one JSON object (owned text, with a final newline). */
char *chaos_report_json(const struct chaos_result *r);
/* chaos_result_free: frees the events (the struct itself is the caller's). */
void chaos_result_free(struct chaos_result *r);

#endif
