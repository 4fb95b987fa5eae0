/*
 * ops_probe.c: health probes over HTTP and libpq (see ops_probe.h).
 */
#include "cli/ops_probe.h"

#include <stdio.h>
#include <string.h>
#include "client/client_rest.h"
#include "client/client_sql.h"
#include "util/strutil.h"

void ops_probe_etcd(const struct client *c, const char *url, int timeout_ms,
                    struct ops_etcd_probe *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->url, sizeof(p->url), "%s", url);
	p->answered =
	    client_etcd_health(url, &c->etcd_tls, timeout_ms, &p->healthy, p->err, sizeof(p->err));
}

void ops_probe_rest(const struct client *c, const struct dcs_member *m, int timeout_ms,
                    struct ops_rest_probe *p)
{
	memset(p, 0, sizeof(*p));
	p->primary_code = client_rest_get(c, m, "primary", timeout_ms, p->err, sizeof(p->err));
	if (p->primary_code != 0) /* an agent that did not answer once is not asked twice */
		p->replica_code =
		    client_rest_get(c, m, "replica", timeout_ms, p->err, sizeof(p->err));
}

void ops_probe_sql(const char *addr, const struct client *c, int connect_timeout_ms,
                   int query_timeout_ms, struct ops_sql_probe *p)
{
	char host[CLIENT_URL_LEN];
	struct client_sql_target t = {.host = host,
	                              .user = c->creds.pg_user,
	                              .password = c->creds.pg_password,
	                              .sslmode = c->pg_sslmode,
	                              .sslrootcert = c->pg_sslrootcert,
	                              .application_name = "pgha-health",
	                              .connect_timeout_ms = connect_timeout_ms,
	                              .query_timeout_ms = query_timeout_ms};
	struct client_landing at;

	memset(p, 0, sizeof(*p));
	p->tried = true;
	if (!str_split_hostport(addr, host, sizeof(host), &t.port)) {
		snprintf(p->err, sizeof(p->err), "'%s' is not HOST:PORT", addr);
		return;
	}
	p->ok = client_sql_landing(&t, &at, p->err, sizeof(p->err));
	p->in_recovery = at.in_recovery;
	snprintf(p->cluster_name, sizeof(p->cluster_name), "%s", at.node);
	p->port = at.pg_port;
}
