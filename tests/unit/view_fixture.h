/*
 * view_fixture.h: canned DCS views for the unit tests of the code that shows or acts on
 * a cluster (client/'s members table and plans, lab/'s health verdict, cli/'s health
 * report and operations): members by hand (add_member, canned_view), or a view decoded
 * from etcd keys and values under P (view_of, three_nodes).
 */
#ifndef PGHA_TESTS_VIEW_FIXTURE_H
#define PGHA_TESTS_VIEW_FIXTURE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "dcs/dcs.h"
#include "dcs/dcs_types.h"

#define MB (1024 * 1024)
#define P  "/service/t/"

static inline struct dcs_member *add_member(struct dcs_view *v, const char *name, int port,
                                            const char *state)
{
	struct dcs_member *m = &v->members[v->n_members++];

	memset(m, 0, sizeof(*m));
	strcpy(m->name, name);
	strcpy(m->host, "127.0.0.1");
	m->port = port;
	snprintf(m->conn_url, sizeof(m->conn_url), "postgres://127.0.0.1:%d/postgres", port);
	snprintf(m->api_url, sizeof(m->api_url), "http://127.0.0.1:%d/patroni", port + 1);
	strcpy(m->state, state);
	strcpy(m->role, "replica");
	m->failover_priority = 1;
	return m;
}

/*
 * canned_view: node1 leads (xlog 48 MB, status.optime 50 MB), node2 streams 2 MB
 * behind, node3 is still being cloned and is listed in the sync key.
 */
static inline void canned_view(struct dcs_view *v)
{
	struct dcs_member *m;

	memset(v, 0, sizeof(*v));
	v->valid = true;
	v->has_initialize = true;
	strcpy(v->initialize, "7300000000000000001");
	v->has_leader = true;
	strcpy(v->leader, "node1");
	v->has_status = true;
	v->status_optime = 50 * MB;
	m = add_member(v, "node1", 6510, "running");
	strcpy(m->role, "master");
	strcpy(m->pooler, "127.0.0.1:6512");
	m->has_xlog = true;
	m->xlog_location = 48 * MB;
	m->timeline = 2;
	m = add_member(v, "node2", 6520, "running");
	strcpy(m->replication_state, "streaming");
	m->has_xlog = true;
	m->receive_lsn = 48 * MB;
	m->replay_lsn = 47 * MB;
	m->xlog_location = 48 * MB;
	m->timeline = 2;
	add_member(v, "node3", 6530, "creating replica");
	v->sync.present = true;
	strcpy(v->sync.leader, "node1");
	strcpy(v->sync.standbys[0], "node3");
	v->sync.n_standbys = 1;
}

/* view_of: a view from (relative key, value) pairs, NULL-terminated. */
static inline void view_of(struct dcs_view *v, ...)
{
	struct dcs_kv kvs[32];
	char keys[32][128];
	int n = 0;
	va_list ap;
	const char *k;
	char warn[512];

	va_start(ap, v);
	while ((k = va_arg(ap, const char *)) != NULL && n < 32) {
		snprintf(keys[n], sizeof(keys[n]), "%s%s", P, k);
		kvs[n] = (struct dcs_kv){.key = keys[n],
		                         .value = va_arg(ap, const char *),
		                         .create_revision = 1,
		                         .mod_revision = 10 + n,
		                         .lease = 0};
		n++;
	}
	va_end(ap);
	dcs_view_from_kvs(v, P, kvs, n, 99, warn, sizeof(warn));
	if (warn[0])
		fail_msg("view warnings: %s", warn);
}

#define M_PRIMARY                                                                              \
	"{\"conn_url\":\"postgres://127.0.0.1:5432/postgres\",\"api_url\":\"http://127.0.0.1:" \
	"8008/patroni\",\"state\":\"running\",\"role\":\"primary\",\"xlog_location\":100,"     \
	"\"timeline\":2}"
#define M_REPLICA(port, api)                                                           \
	"{\"conn_url\":\"postgres://127.0.0.1:" port                                   \
	"/postgres\",\"api_url\":\"http://127.0.0.1:" api                              \
	"/patroni\",\"state\":\"running\",\"role\":\"replica\",\"xlog_location\":100," \
	"\"receive_lsn\":100,\"replay_lsn\":100,\"replication_state\":\"streaming\","  \
	"\"timeline\":2}"
#define M_NOFAILOVER                                                                           \
	"{\"conn_url\":\"postgres://127.0.0.1:5434/postgres\",\"api_url\":\"http://127.0.0.1:" \
	"8010/"                                                                                \
	"patroni\",\"state\":\"running\",\"role\":\"replica\",\"tags\":{\"nofailover\":true}}"

/* three_nodes: node1 leads, node2 and node3 replicas (node3 nofailover if asked). */
static inline void three_nodes(struct dcs_view *v, bool node3_nofailover)
{
	view_of(v, "leader", "node1", "members/node1", M_PRIMARY, "members/node2",
	        M_REPLICA("5433", "8009"), "members/node3",
	        node3_nofailover ? M_NOFAILOVER : M_REPLICA("5434", "8010"), "config",
	        "{\"ttl\":3,\"loop_wait\":1}", NULL);
}

#endif
