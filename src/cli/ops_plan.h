/*
 * ops_plan.h: what restart and reinit will ask of which agent, decided from the
 * options and one view of the cluster with patronictl's rules, before anything is
 * sent: every named node must be a member (reinit: not the leader); the restart body
 * carries the filters (restart_pending, postgres_version, timeout, schedule). And the
 * scheduled times of switchover and restart: ISO 8601, where one without a zone is
 * local time, as patronictl reads it. (Switchover and failover are planned by
 * client_handover.h, which `pgha chaos` shares.)
 *
 * Pure except ops_schedule_iso, which reads the local time zone.
 */
#ifndef PGHA_CLI_OPS_PLAN_H
#define PGHA_CLI_OPS_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include "cli/ops_args.h"
#include "client/client_handover.h"
#include "dcs/dcs_types.h"
#include "util/compiler.h"

#define OPS_ISO_LEN CLIENT_ISO_LEN

/*
 * ops_schedule_iso: TIME (ISO 8601, with or without a zone) as ISO 8601 with an
 * explicit offset ("2026-11-25T20:00:00+01:00") into out. False with err set if it
 * cannot be parsed.
 */
bool ops_schedule_iso(const char *text, char *out, size_t size, char *err,
                      size_t errlen) MUST_CHECK;
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
