/*
 * api_render.h: the bodies of the read endpoints, built from a snapshot:
 * /patroni (also the body of every health GET), /cluster, /history, /config and
 * /metrics, in Patroni's formats (docs/patroni.md, REST API).
 *
 * Pure: no I/O, no clock (times are passed in), no logging. JSON values returned
 * are owned by the caller (json_decref).
 */
#ifndef PGHA_API_API_RENDER_H
#define PGHA_API_API_RENDER_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "api/api_health.h"
#include "api/api_snapshot.h"
#include "util/buf.h"

/* api_render_status: the /patroni object for s with facts f (from api_facts_derive). */
json_t *api_render_status(const struct api_snapshot *s, const struct api_facts *f);
/* api_render_cluster: the /cluster object; NULL without a current DCS view. */
json_t *api_render_cluster(const struct api_snapshot *s);
/* api_render_history: the history key as an array ([] when absent); NULL without a view. */
json_t *api_render_history(const struct api_snapshot *s);
/* api_render_config: the config key as an object; NULL when missing or unparsable. */
json_t *api_render_config(const struct api_snapshot *s);
/* api_render_failsafe: the failsafe key as an object; NULL when absent or unreadable. */
json_t *api_render_failsafe(const struct api_snapshot *s);
/* api_render_metrics: Prometheus text exposition of s into out (appended). */
void api_render_metrics(const struct api_snapshot *s, const struct api_facts *f, int64_t now_ms,
                        struct buf *out);
/*
 * api_format_pg_timestamp: epoch ms as PostgreSQL/Python print a timestamptz in
 * UTC, "2024-01-02 03:04:05.678000+00:00", into out (at least 40 bytes).
 */
void api_format_pg_timestamp(int64_t epoch_ms, char *out, size_t size);

#endif
