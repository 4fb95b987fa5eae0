/*
 * client.h: the cluster client, what the tooling (cli/, lab/, chaos/) needs to talk
 * to one cluster: its etcd endpoints, scope and namespace, the credentials for the
 * agents' REST API and for PostgreSQL sessions, a DCS client and one-shot reads, and
 * the cluster's effective dynamic configuration.
 *
 * The module's other headers, one per job: client_members.h (the members table of
 * `pgha list` and `pgha monitor`), client_rest.h (the agents' REST API and etcd's
 * /health), client_sql.h (where a PostgreSQL session lands), client_handover.h
 * (switchover and failover requests).
 *
 * A struct client is filled by whoever knows the cluster: a lab from its cluster.json
 * and secrets (lab/lab.h), the CLI from an agent configuration (-c FILE); nothing here
 * knows either source. Sits on dcs/, config/, http/ and pq/; cli/, lab/ and chaos/
 * sit on it, and nothing below includes it. Does not exit; prints nothing but what
 * client_say is asked to.
 */
#ifndef PGHA_CLIENT_CLIENT_H
#define PGHA_CLIENT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include "config/config.h"
#include "dcs/dcs.h"
#include "util/buf.h"
#include "util/compiler.h"
#include "util/tls.h"

#define CLIENT_MAX_ETCD   16
#define CLIENT_URL_LEN    272 /* "http://" + a config.h host:port */
#define CLIENT_NAME_LEN   64
#define CLIENT_SECRET_LEN 256
#define CLIENT_HEDGE_MS   100 /* an etcd read unanswered this long goes to another member */

/*
 * Credentials: a lab's generated secrets, or restapi.authentication and the superuser
 * of an agent configuration. Missing ones are not an error until an agent answers 401;
 * note says where they came from (or why they are missing) for that message.
 */
struct client_creds {
	char rest_user[CLIENT_NAME_LEN];
	char rest_password[CLIENT_SECRET_LEN];
	char pg_user[CLIENT_NAME_LEN];
	char pg_password[CLIENT_SECRET_LEN];
	char etcd_user[CLIENT_NAME_LEN]; /* etcd authentication; "" = none */
	char etcd_password[CLIENT_SECRET_LEN];
	char note[256];
};

struct client {
	char scope[CLIENT_NAME_LEN];
	char namespace_[CLIENT_NAME_LEN];           /* "/service/" form */
	char etcd[CLIENT_MAX_ETCD][CLIENT_URL_LEN]; /* client URLs, "http(s)://host:port" */
	int n_etcd;
	struct client_creds creds;
	struct tls_client etcd_tls; /* https etcd: its CA (and a client certificate) */
	struct tls_client rest_tls; /* https REST APIs: ctl's CA, client certificate */
	/* PostgreSQL sessions by host and port (not through a service file) */
	char pg_sslmode[16];           /* libpq's sslmode; "" = libpq's default */
	char pg_sslrootcert[PATH_MAX]; /* with verify-ca/verify-full: the CA */
};

/*
 * client_creds_from_env: PGHA_REST_USER / PGHA_REST_PASSWORD, when set, override the
 * REST credentials (and the note).
 */
void client_creds_from_env(struct client_creds *cr);
/*
 * client_dcs_open: a DCS client of the cluster (with the watch thread if watch);
 * request_timeout_ms per etcd endpoint tried. Owned (dcs_close); NULL (logged) on bad
 * settings. No I/O in the calling thread.
 */
struct dcs *client_dcs_open(const struct client *c, int request_timeout_ms, bool watch);
/* client_read_view: one linearizable read; false (logged by dcs) if etcd is down. */
bool client_read_view(const struct client *c, int request_timeout_ms,
                      struct dcs_view *v) MUST_CHECK;
/* client_unreachable: "cannot reach etcd (URL, URL) to read cluster \"scope\"" into out. */
void client_unreachable(const struct client *c, struct buf *out);

/* client_say: one line "pgha WHO: message" on stderr, the tooling's way to tell a person. */
void client_say(const char *who, const char *fmt, ...) PRINTF_LIKE(2, 3);

/*
 * client_cluster_dyn: the cluster's effective dynamic configuration, the config key of
 * v over pgha's defaults, as the agents read it, into d (overwritten; dyn_config_free
 * it). A key that does not parse leaves the defaults.
 */
void client_cluster_dyn(const struct dcs_view *v, struct dyn_config *d);
/* client_synchronous_mode: synchronous_mode of client_cluster_dyn(v). */
bool client_synchronous_mode(const struct dcs_view *v);
/* client_paused: pause of client_cluster_dyn(v): the cluster is in maintenance mode. */
bool client_paused(const struct dcs_view *v);

#endif
