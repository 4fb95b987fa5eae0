/*
 * ops_probe.c: health probes over HTTP (libcurl, ops_http.h) and libpq.
 */
#include "cli/ops_probe.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include "cli/ops_ctx.h"
#include "cli/ops_http.h"
#include "util/clock.h"
#include "util/strutil.h"

#define QUERY_TIMEOUT_MS 5000
#define PROBE_SQL                                                                             \
	"SELECT pg_catalog.pg_is_in_recovery(), pg_catalog.current_setting('cluster_name'), " \
	"pg_catalog.current_setting('port')"

void ops_probe_etcd(const char *url, int timeout_ms, struct ops_etcd_probe *p)
{
	char health_url[CLI_URL_LEN + 16];
	struct ops_http_req req = {.method = "GET", .url = health_url, .timeout_ms = timeout_ms};
	struct buf body;
	long status;
	json_t *j;

	memset(p, 0, sizeof(*p));
	snprintf(p->url, sizeof(p->url), "%s", url);
	snprintf(health_url, sizeof(health_url), "%s/health", url);
	buf_init(&body);
	p->answered = ops_http_do(&req, &status, &body, p->err, sizeof(p->err));
	j = p->answered ? json_loads(body.data, 0, NULL) : NULL;
	/* etcd 3.4 answers {"health":"true"}, 3.5 adds "reason" */
	p->healthy =
	    status == 200 && str_eq(json_string_value(json_object_get(j, "health")), "true");
	if (p->answered && !p->healthy)
		snprintf(p->err, sizeof(p->err), "/health answered %ld %.60s", status, body.data);
	json_decref(j);
	buf_free(&body);
}

static long rest_get(const struct dcs_member *m, const char *endpoint, int timeout_ms,
                     struct ops_rest_probe *p)
{
	char url[CLI_URL_LEN + 32];
	struct ops_http_req req = {.method = "GET", .url = url, .timeout_ms = timeout_ms};
	long status = 0;

	if (!ops_api_url(m->api_url, endpoint, url, sizeof(url))) {
		snprintf(p->err, sizeof(p->err), "no usable api_url ('%.150s')", m->api_url);
		return 0;
	}
	if (!ops_http_do(&req, &status, NULL, p->err, sizeof(p->err)))
		return 0;
	return status;
}

void ops_probe_rest(const struct dcs_member *m, int timeout_ms, struct ops_rest_probe *p)
{
	memset(p, 0, sizeof(*p));
	p->primary_code = rest_get(m, "primary", timeout_ms, p);
	if (p->primary_code != 0) /* an agent that did not answer once is not asked twice */
		p->replica_code = rest_get(m, "replica", timeout_ms, p);
}

/* --- libpq ---------------------------------------------------------------------------- */

static void sql_error(struct ops_sql_probe *p, const char *what, const char *msg)
{
	char clean[OPS_ERR_LEN];

	snprintf(clean, sizeof(clean), "%s", msg ? msg : "");
	str_trim(clean);
	for (char *c = clean; *c; c++) /* libpq messages may span lines */
		if (*c == '\n')
			*c = ' ';
	snprintf(p->err, sizeof(p->err), "%s: %.160s", what, clean);
}

/* wait_result: the query's result within timeout_ms (PQsendQuery already done), or NULL. */
static PGresult *wait_result(PGconn *conn, int timeout_ms)
{
	int64_t deadline = clock_now_ms() + timeout_ms;
	PGresult *res = NULL;
	PGresult *r;

	while (PQisBusy(conn)) {
		struct pollfd pfd = {.fd = PQsocket(conn), .events = POLLIN};
		int64_t left = deadline - clock_now_ms();

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0 || !PQconsumeInput(conn))
			return NULL;
	}
	while ((r = PQgetResult(conn)) != NULL) {
		if (res == NULL)
			res = r;
		else
			PQclear(r);
	}
	return res;
}

static void read_row(const PGresult *res, struct ops_sql_probe *p)
{
	p->ok = true;
	p->in_recovery = str_eq(PQgetvalue(res, 0, 0), "t");
	snprintf(p->cluster_name, sizeof(p->cluster_name), "%s", PQgetvalue(res, 0, 1));
	if (!str_parse_int(PQgetvalue(res, 0, 2), &p->port))
		p->port = 0;
}

void ops_probe_sql(const char *host, int port, const char *user, const char *password,
                   int connect_timeout_s, struct ops_sql_probe *p)
{
	char port_s[16];
	char timeout_s[16];
	const char *keys[] = {"host", "port",     "dbname", "connect_timeout", "application_name",
	                      "user", "password", NULL};
	const char *values[] = {host,          port_s, "postgres", timeout_s,
	                        "pgha-health", NULL,   NULL,       NULL};
	PGresult *res;
	PGconn *conn;

	memset(p, 0, sizeof(*p));
	p->tried = true;
	snprintf(port_s, sizeof(port_s), "%d", port);
	snprintf(timeout_s, sizeof(timeout_s), "%d", connect_timeout_s);
	if (user != NULL && user[0] != '\0') /* else libpq's defaults (PGUSER, passfile...) */
		values[5] = user;
	if (password != NULL && password[0] != '\0')
		values[6] = password;
	conn = PQconnectdbParams(keys, values, 0);
	if (PQstatus(conn) != CONNECTION_OK) {
		sql_error(p, "cannot connect", PQerrorMessage(conn));
		PQfinish(conn);
		return;
	}
	res = PQsendQuery(conn, PROBE_SQL) ? wait_result(conn, QUERY_TIMEOUT_MS) : NULL;
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    PQnfields(res) == 3)
		read_row(res, p);
	else
		sql_error(p, "query failed", res ? PQresultErrorMessage(res) : "no answer in time");
	PQclear(res);
	PQfinish(conn);
}
