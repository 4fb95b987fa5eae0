/*
 * api_fixture.h: canned api_snapshot values for the REST API tests (unit and
 * integration): a two-member cluster "batman" seen from pg1, as a leader, a
 * replica, a stopped node... Header-only (static functions) so that each test
 * binary carries its own copy.
 */
#ifndef PGHA_TESTS_API_FIXTURE_H
#define PGHA_TESTS_API_FIXTURE_H

#include <stdio.h>
#include <string.h>
#include "api/api_snapshot.h"
#include "util/xalloc.h"

#define FIX_NOW_MS 1000000  /* CLOCK_BOOTTIME of "now" in pure tests */
#define FIX_OPTIME 50331648 /* status.optime: 0/3000000 */
#define FIX_TTL_S  30

static inline void fix_member(struct dcs_member *m, const char *name, const char *role, int port,
                              uint64_t lsn)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->role, sizeof(m->role), "%s", role);
	snprintf(m->state, sizeof(m->state), "running");
	snprintf(m->host, sizeof(m->host), "127.0.0.1");
	m->port = port;
	snprintf(m->conn_url, sizeof(m->conn_url), "postgres://127.0.0.1:%d/postgres", port);
	snprintf(m->api_url, sizeof(m->api_url), "http://127.0.0.1:%d/patroni", port + 1000);
	m->has_xlog = true;
	m->xlog_location = lsn;
	m->timeline = 2;
	m->failover_priority = 1;
	if (strcmp(role, "replica") == 0) {
		m->receive_lsn = lsn;
		m->replay_lsn = lsn;
		snprintf(m->replication_state, sizeof(m->replication_state), "streaming");
	}
}

/* fix_base: pg1 running, DCS fine, leader key held by leader_name; no role yet. */
static inline void fix_base(struct api_snapshot *s, int64_t now_ms, const char *leader_name)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "pg1");
	snprintf(s->scope, sizeof(s->scope), "batman");
	snprintf(s->version, sizeof(s->version), "0.1.0");
	s->ttl_s = FIX_TTL_S;
	s->loop_wait_s = 10;
	s->maximum_lag_on_failover = 1048576;
	s->tags_json = xstrdup("{\"clonefrom\":true,\"zone\":\"a\"}");
	s->failover_priority = 1;
	snprintf(s->state, sizeof(s->state), "running");
	s->pg.proc = PG_PROC_RUNNING;
	s->pg.connected = true;
	s->pg.server_version = 150010;
	s->pg.timeline = 2;
	s->pg.postmaster_start_ms = 1700000000123;
	snprintf(s->pg.postmaster_start_text, sizeof(s->pg.postmaster_start_text),
	         "2023-11-14 22:13:20.123456+00:00");
	snprintf(s->pg.system_id, sizeof(s->pg.system_id), "7301234567890123456");
	s->dcs_ok = true;
	s->dcs_last_seen_s = 1700000100;
	s->next_cycle_ms = now_ms + 1000;
	s->now_ms = now_ms;
	s->view.valid = true;
	s->view.revision = 42;
	s->view.has_leader = leader_name != NULL;
	if (leader_name != NULL)
		snprintf(s->view.leader, sizeof(s->view.leader), "%s", leader_name);
	s->view.has_status = true;
	s->view.status_optime = FIX_OPTIME;
	s->view.has_config = true;
	s->view.config_json = xstrdup("{\"ttl\":30,\"loop_wait\":10,\"pause\":false}");
	s->view.history_json =
	    xstrdup("[[1,25623960,\"no recovery target specified\",\"2019-09-23T16:57:57+02:00\","
	            "\"pg2\"]]");
	s->view.n_members = 2;
}

/* fix_leader: pg1 is the primary and holds a fresh leader lock. */
static inline void fix_leader(struct api_snapshot *s, int64_t now_ms)
{
	fix_base(s, now_ms, "pg1");
	snprintf(s->role, sizeof(s->role), "primary");
	s->pg.in_recovery = false;
	s->pg.wal_lsn = FIX_OPTIME;
	s->pg.n_replication = 1;
	snprintf(s->pg.replication[0].application_name, PG_NAME_LEN, "pg2");
	snprintf(s->pg.replication[0].client_addr, 64, "127.0.0.1");
	snprintf(s->pg.replication[0].state, 24, "streaming");
	snprintf(s->pg.replication[0].sync_state, 16, "async");
	s->holds_leader = true;
	s->leader_valid_until_ms = now_ms + FIX_TTL_S * 1000;
	fix_member(&s->view.members[0], "pg1", "primary", 5432, FIX_OPTIME);
	fix_member(&s->view.members[1], "pg2", "replica", 5433, FIX_OPTIME - 4096);
}

/* fix_replica: pg1 streams from pg2 (the leader), lag_bytes behind status.optime. */
static inline void fix_replica(struct api_snapshot *s, int64_t now_ms, uint64_t lag_bytes)
{
	fix_base(s, now_ms, "pg2");
	snprintf(s->role, sizeof(s->role), "replica");
	s->pg.in_recovery = true;
	s->pg.receive_lsn = FIX_OPTIME - lag_bytes;
	s->pg.replay_lsn = FIX_OPTIME - lag_bytes;
	s->pg.replay_timestamp_ms = 1700000200500;
	s->pg.receiver_streaming = true;
	fix_member(&s->view.members[0], "pg1", "replica", 5432, FIX_OPTIME - lag_bytes);
	fix_member(&s->view.members[1], "pg2", "primary", 5433, FIX_OPTIME);
}

/* fix_stopped: PostgreSQL is down on pg1 (a replica by role). */
static inline void fix_stopped(struct api_snapshot *s, int64_t now_ms)
{
	fix_replica(s, now_ms, 0);
	snprintf(s->state, sizeof(s->state), "stopped");
	s->pg.proc = PG_PROC_STOPPED;
	s->pg.connected = false;
}

#endif
