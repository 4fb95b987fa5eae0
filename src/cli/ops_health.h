/*
 * ops_health.h: the verdict of `pgha health` from what was observed: one check per
 * link of the client path, each PASS, WARN, FAIL or SKIP with a one-line detail.
 *
 *   etcd quorum     every endpoint's /health, and a linearizable read of the cluster;
 *   leader          exactly one leader key, its member answers /primary 200 and no
 *                   other member does;
 *   replica <name>  every other member (and every expected one: the lab's nodes)
 *                   running, streaming, /replica 200, lag within the limit;
 *   sync standby    with synchronous_mode on: the sync key names the leader and at
 *                   least one streaming standby;
 *   pooler <name>   each member's published PgBouncer runs SELECT 1 on that member;
 *   router rw / ro  a session through the router's read-write port lands on the
 *                   leader, one through the read-only port on a replica;
 *   WAL archive     the leader's archiving (pgBackRest): not failing, and no WAL file
 *                   waiting longer than a minute (WARN) or five (FAIL).
 *
 * Pure: ops_health_eval computes, the render functions format; the probing itself is
 * ops_probe.h's job.
 */
#ifndef PGHA_CLI_OPS_HEALTH_H
#define PGHA_CLI_OPS_HEALTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "client/client.h"
#include "dcs/dcs_types.h"
#include "util/buf.h"

#define OPS_MAX_CHECKS (8 + 2 * DCS_MAX_MEMBERS + CLIENT_MAX_ETCD)
#define OPS_DETAIL_LEN 256
#define OPS_ERR_LEN    192
#define OPS_CHECK_NAME 80

enum ops_status {
	OPS_PASS = 0,
	OPS_WARN,
	OPS_FAIL,
	OPS_SKIP, /* not applicable (synchronous_mode off) */
	OPS_STATUS__COUNT
};

/* One etcd endpoint's GET /health. */
struct ops_etcd_probe {
	char url[CLIENT_URL_LEN];
	bool answered; /* an HTTP reply came back */
	bool healthy;  /* {"health":"true"} */
	char err[OPS_ERR_LEN];
};

/* One member's REST health endpoints (0 = no answer). */
struct ops_rest_probe {
	long primary_code; /* GET /primary */
	long replica_code; /* GET /replica */
	char err[OPS_ERR_LEN];
};

/* One libpq session (through a pooler or the router) and where it landed. */
struct ops_sql_probe {
	bool tried;
	bool ok;                         /* connected and the query answered */
	bool in_recovery;                /* pg_is_in_recovery() */
	char cluster_name[DCS_NAME_LEN]; /* current_setting('cluster_name'): the member */
	int port;                        /* current_setting('port') */
	char err[OPS_ERR_LEN];
};

struct ops_health_input {
	bool view_ok;                /* the linearizable read succeeded */
	char view_err[OPS_ERR_LEN];  /* why not */
	const struct dcs_view *view; /* when view_ok */

	struct ops_etcd_probe etcd[CLIENT_MAX_ETCD];
	int n_etcd;

	const char *const *expected; /* members that must exist (lab nodes); may be NULL */
	int n_expected;

	struct ops_rest_probe rest[DCS_MAX_MEMBERS];  /* by index of view->members */
	struct ops_sql_probe pooler[DCS_MAX_MEMBERS]; /* by index; tried if it has one */

	bool router_configured;
	char router_rw[CLIENT_URL_LEN]; /* host:port probed */
	char router_ro[CLIENT_URL_LEN];
	struct ops_sql_probe router_rw_probe;
	struct ops_sql_probe router_ro_probe;

	int64_t max_lag_bytes; /* < 0: the config's maximum_lag_on_failover */
	int64_t wall_now_ms;   /* epoch ms, for the archive's ages */
};

struct ops_check {
	char name[OPS_CHECK_NAME]; /* "etcd quorum", "replica node2"... */
	enum ops_status status;
	char detail[OPS_DETAIL_LEN];
};

struct ops_health {
	struct ops_check checks[OPS_MAX_CHECKS];
	int n;
	int n_fail;
	int n_warn;
};

/* ops_status_str: "PASS", "WARN", "FAIL", "SKIP". */
const char *ops_status_str(enum ops_status s);
/* ops_health_eval: the checks, in the order listed above. */
void ops_health_eval(const struct ops_health_input *in, struct ops_health *out);
/* ops_health_text: "PASS  leader          node1 answers /primary" lines and a verdict. */
void ops_health_text(const struct ops_health *h, struct buf *out);
/* ops_health_json: {"healthy": bool, "failed": n, "warnings": n, "checks": [...]}. Owned. */
json_t *ops_health_json(const struct ops_health *h);

#endif
