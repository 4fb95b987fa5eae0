/*
 * client_sql.c: one libpq session that reports where it landed (see client_sql.h).
 */
#include "client/client_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pq/pq.h"
#include "util/clock.h"
#include "util/conninfo.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define LANDING_SQL                                                                           \
	"SELECT pg_catalog.pg_is_in_recovery(), pg_catalog.current_setting('cluster_name'), " \
	"pg_catalog.current_setting('port')"
#define MAX_KEYS 10

/* conn_params: libpq keywords and values for t (port_s holds the port's text). */
static void conn_params(const struct client_sql_target *t, char *port_s, size_t size,
                        const char **keys, const char **values)
{
	/* Optional settings: NULL or "" leaves libpq's default. */
	const char *const optional[][2] = {{"user", t->user},
	                                   {"password", t->password},
	                                   {"sslmode", t->sslmode},
	                                   {"sslrootcert", t->sslrootcert}};
	int n = 0;

	if (t->service != NULL) {
		keys[n] = "service";
		values[n++] = t->service;
	} else {
		snprintf(port_s, size, "%d", t->port);
		keys[n] = "host";
		values[n++] = t->host;
		keys[n] = "port";
		values[n++] = port_s;
		keys[n] = "dbname";
		values[n++] = "postgres";
	}
	keys[n] = "application_name";
	values[n++] = t->application_name ? t->application_name : "pgha";
	for (size_t i = 0; i < ARRAY_LEN(optional); i++) {
		if (optional[i][1] != NULL && optional[i][1][0] != '\0') {
			keys[n] = optional[i][0];
			values[n++] = optional[i][1];
		}
	}
	keys[n] = NULL;
	values[n] = NULL;
}

/*
 * connect_to: pq_connect with PGSERVICEFILE set for the call only when t names a service
 * file: libpq reads the service file (and the passfile it names) while it starts the
 * connection, and nowhere else.
 */
static PGconn *connect_to(const struct client_sql_target *t, char *err, size_t errlen)
{
	const char *keys[MAX_KEYS];
	const char *values[MAX_KEYS];
	char port_s[16];
	const char *old = getenv("PGSERVICEFILE");
	char *saved = old ? xstrdup(old) : NULL;
	char why[400];
	PGconn *conn = NULL;
	enum pq_status st;

	conn_params(t, port_s, sizeof(port_s), keys, values);
	if (t->service_file != NULL)
		setenv("PGSERVICEFILE", t->service_file, 1);
	st = pq_connect(keys, values, clock_now_ms() + t->connect_timeout_ms, &conn, why,
	                sizeof(why));
	if (t->service_file != NULL && saved != NULL)
		setenv("PGSERVICEFILE", saved, 1);
	else if (t->service_file != NULL)
		unsetenv("PGSERVICEFILE");
	free(saved);
	if (st != PQ_READY)
		snprintf(err, errlen, "cannot connect: %s",
		         st == PQ_TIMEOUT ? "no answer in time" : why);
	return conn;
}

static bool read_row(const PGresult *res, struct client_landing *out, char *err, size_t errlen)
{
	out->in_recovery = str_eq(PQgetvalue(res, 0, 0), "t");
	if (str_copy(out->node, sizeof(out->node), PQgetvalue(res, 0, 1)) &&
	    str_parse_int(PQgetvalue(res, 0, 2), &out->pg_port))
		return true;
	snprintf(err, errlen, "unexpected answer ('%.64s', '%.16s')", PQgetvalue(res, 0, 1),
	         PQgetvalue(res, 0, 2));
	return false;
}

static bool query(PGconn *conn, int timeout_ms, struct client_landing *out, char *err,
                  size_t errlen)
{
	enum pq_status st = pq_send(conn, LANDING_SQL, 0, NULL)
	                        ? pq_await(conn, clock_now_ms() + timeout_ms, NULL)
	                        : PQ_BROKEN;
	PGresult *res = st == PQ_READY ? pq_first_result(conn) : NULL;
	bool ok = false;

	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    PQnfields(res) == 3)
		ok = read_row(res, out, err, errlen);
	else if (res != NULL)
		pq_message(err, errlen, "query failed: ", PQresultErrorMessage(res));
	else if (st == PQ_TIMEOUT)
		snprintf(err, errlen, "query failed: no answer in time");
	else
		pq_message(err, errlen, "query failed: ", PQerrorMessage(conn));
	PQclear(res);
	return ok;
}

bool client_sql_landing(const struct client_sql_target *t, struct client_landing *out, char *err,
                        size_t errlen)
{
	PGconn *conn;
	bool ok;

	memset(out, 0, sizeof(*out));
	conn = connect_to(t, err, errlen);
	if (conn == NULL)
		return false;
	ok = query(conn, t->query_timeout_ms, out, err, errlen);
	PQfinish(conn);
	return ok;
}

void client_sql_tls_conninfo(const struct client *c, struct buf *out)
{
	if (c->pg_sslmode[0] != '\0')
		conninfo_append(out, "sslmode", c->pg_sslmode);
	if (c->pg_sslrootcert[0] != '\0')
		conninfo_append(out, "sslrootcert", c->pg_sslrootcert);
}
