/*
 * ops_plan.h: what an operation will ask of which agent, decided from the options and
 * one view of the cluster with patronictl's rules, before anything is sent:
 *   - switchover / failover: the leader must be the one named (if named), the
 *     candidate a member other than the leader without nofailover; the request goes to
 *     the leader's REST API, or to the candidate's when there is no leader; a failover
 *     that names the leader is a switchover;
 *   - restart / reinit: every named node must be a member (reinit: not the leader);
 *     the restart body carries the filters (restart_pending, postgres_version,
 *     timeout, schedule).
 * Scheduled times are ISO 8601; one without a zone is local time, as patronictl reads it.
 *
 * Pure except ops_schedule_iso, which reads the local time zone.
 */
#ifndef PGHA_CLI_OPS_PLAN_H
#define PGHA_CLI_OPS_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cli/ops_args.h"
#include "config/config.h"
#include "dcs/dcs_types.h"
#include "util/compiler.h"

#define OPS_ISO_LEN 48

struct ops_handover {
	const char *action;             /* "switchover" or "failover" (the endpoint too) */
	char leader[DCS_NAME_LEN];      /* "" in a leaderless cluster */
	char candidate[DCS_NAME_LEN];   /* "" = the best one */
	char scheduled_at[OPS_ISO_LEN]; /* normalised ISO 8601, "" = now */
	char target[DCS_NAME_LEN];      /* the member whose REST API gets the request */
	char *body;                     /* owned JSON text */
};

/*
 * ops_schedule_iso: TIME (ISO 8601, with or without a zone) as ISO 8601 with an
 * explicit offset ("2026-11-25T20:00:00+01:00") into out. False with err set if it
 * cannot be parsed.
 */
bool ops_schedule_iso(const char *text, char *out, size_t size, char *err,
                      size_t errlen) MUST_CHECK;
/* ops_cluster_dyn: the cluster's effective dynamic configuration (the config key over
 * pgha's defaults) into d (overwritten; dyn_config_free it). */
void ops_cluster_dyn(const struct dcs_view *v, struct dyn_config *d);
/*
 * ops_plan_handover: the switchover / failover request for a (cmd, leader, candidate,
 * scheduled as normalised by the caller into scheduled_iso or ""), against v. False
 * with err set (patronictl's messages) when it cannot be asked; h->body is then NULL.
 */
bool ops_plan_handover(const struct ops_args *a, const char *scheduled_iso,
                       const struct dcs_view *v, struct ops_handover *h, char *err,
                       size_t errlen) MUST_CHECK;
void ops_handover_free(struct ops_handover *h);
/*
 * ops_plan_nodes: checks the NODE arguments against v (each a member; for reinit not
 * the leader). False with err set naming the first bad one.
 */
bool ops_plan_nodes(const struct ops_args *a, const struct dcs_view *v, char *err,
                    size_t errlen) MUST_CHECK;
/*
 * ops_restart_body: the POST /restart body (owned JSON text) from --pending,
 * --pg-version, --timeout and scheduled_iso (or ""). NULL with err set for a bad
 * --pg-version or a schedule while paused.
 */
char *ops_restart_body(const struct ops_args *a, const char *scheduled_iso, bool paused, char *err,
                       size_t errlen);

#endif
