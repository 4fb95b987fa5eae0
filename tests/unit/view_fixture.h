/*
 * view_fixture.h: canned DCS views for the unit tests of the code that shows a cluster
 * (client/'s members table, lab/'s health verdict).
 */
#ifndef PGHA_TESTS_VIEW_FIXTURE_H
#define PGHA_TESTS_VIEW_FIXTURE_H

#include <stdio.h>
#include <string.h>
#include "dcs/dcs_types.h"

#define MB (1024 * 1024)

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

#endif
