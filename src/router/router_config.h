/*
 * router_config.h: the router's configuration (`pgha router -c FILE`).
 *
 * The file is the same YAML a node uses (Patroni key names): scope, namespace and
 * etcd3.hosts locate the cluster; a `router:` section holds the router's own keys.
 * Everything else in the file is ignored, so one file can serve an agent and a router.
 * The etcd password may also come from PATRONI_ETCD3_PASSWORD (and the user from
 * PATRONI_ETCD3_USERNAME), which win, or from router.etcd_password_file; a file that
 * others can read must not hold one.
 * It is read by the same engine as the agent's file (config/config_engine.h): every
 * problem is reported with its file and line. No logging: messages come back in err.
 */
#ifndef PGHA_ROUTER_ROUTER_CONFIG_H
#define PGHA_ROUTER_ROUTER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "util/compiler.h"
#include "util/tls.h"

#define ROUTER_NAME_LEN 64
#define ROUTER_ADDR_LEN 256
#define ROUTER_MAX_ETCD 16
#define ROUTER_PATH_LEN 4096

/* Where a member's sessions are sent: its PgBouncer (default) or PostgreSQL itself. */
enum router_target_kind {
	ROUTER_TARGET_POOLER = 0, /* members/<name> "pooler", else conn_url host:port */
	ROUTER_TARGET_POSTGRES,   /* conn_url host:port */
	ROUTER_TARGET__COUNT      /* not a kind */
};

struct router_config {
	char scope[ROUTER_NAME_LEN];                       /* cluster name */
	char namespace_[ROUTER_NAME_LEN];                  /* etcd namespace, "/service/" style */
	char etcd_hosts[ROUTER_MAX_ETCD][ROUTER_ADDR_LEN]; /* "host:port" */
	int n_etcd;
	char etcd_username[ROUTER_NAME_LEN];      /* etcd auth, "" = none; also from the
	                                             environment, PATRONI_ETCD3_USERNAME */
	char etcd_password[ROUTER_ADDR_LEN];      /* from etcd3.password, the file below or
	                                             PATRONI_ETCD3_PASSWORD */
	char etcd_password_file[ROUTER_PATH_LEN]; /* a file only its owner reads, "" = none */
	char etcd_protocol[8];                    /* etcd3.protocol: http or https */
	struct tls_client etcd_tls;               /* etcd3.cacert, cert, key */
	struct tls_client rest_tls;    /* the health checks of https api_urls: ctl.cacert,
	                                  certfile, keyfile, keyfile_password, insecure (the CA
	                                  falls back on restapi.cafile, as in Patroni) */
	char restapi_cafile[PATH_MAX]; /* read only as ctl.cacert's fallback */
	char log_level[16];            /* log.level, "" = info */

	char rw_listen[ROUTER_ADDR_LEN];   /* host:port of the read-write listener */
	char ro_listen[ROUTER_ADDR_LEN];   /* host:port of the read-only listener, "" = none */
	char http_listen[ROUTER_ADDR_LEN]; /* host:port of /health and /metrics, "" = none */
	int hold_timeout_ms;               /* longest a client waits for an eligible target */
	int check_interval_ms;             /* health-check period of a steady target */
	int check_timeout_ms;              /* one health check, connect included */
	int rise;                          /* consecutive passes that make a target up */
	int fall;                          /* consecutive failures that make it down */
	int64_t max_replica_lag_bytes;     /* /replica?lag=; -1 = no bound */
	int connect_timeout_ms;            /* backend TCP connect */
	enum router_target_kind target;    /* pooler or postgres */
	bool hold_on_switchover;           /* hold new RW clients while a switchover is pending */
	int max_clients;                   /* open client connections; 0 = as many as fds allow */
	int backlog;                       /* listen(2) backlog */
	int login_timeout_ms;              /* a client's first message must come within; 0 = none */
	int idle_timeout_ms;               /* client_idle_timeout: no byte either way; 0 = none */
	int max_clients_per_address;       /* open connections of one client address; 0 = any */
	bool tcp_keepalive;                /* on client and backend sockets */
	int tcp_keepidle_s;                /* idle time before the first probe */
	int tcp_keepintvl_s;               /* between probes */
	int tcp_keepcnt;                   /* unanswered probes before the peer is dead */
};

/* router_config_defaults: every key at its default (no etcd host, no scope). */
void router_config_defaults(struct router_config *cfg);
/*
 * router_config_from_json: applies a parsed configuration document (an object) over
 * cfg. Unknown keys in `router:` are errors (a typo must not silently keep a default);
 * other top-level keys are ignored. Returns false with every problem in err, each
 * naming its key, separated by "; ".
 */
bool router_config_from_json(struct router_config *cfg, const json_t *root, char *err,
                             size_t errlen) MUST_CHECK;
/*
 * router_config_load: defaults, then the YAML file at path. False with every problem in
 * err, one per line: "path:line: key: what is wrong".
 */
bool router_config_load(struct router_config *cfg, const char *path, char *err,
                        size_t errlen) MUST_CHECK;
const char *router_target_kind_str(enum router_target_kind k);

#endif
