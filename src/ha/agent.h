/*
 * agent.h: one node's HA agent (Patroni's role): the HA loop and what it drives.
 *
 *   observe (ha_observe.c)  PostgreSQL, the DCS view from the watch cache, the lease,
 *                           and the peers' /patroni when the leader key is free
 *   decide  (ha_decide.c)   pure: a plan of actions and a reason
 *   apply   (ha_apply.c)    idempotent I/O; stops at the first failed action
 *   publish (ha_observe.c)  members/<name>, status, and the REST API's snapshot
 *
 * Threads: the HA loop (main thread), the DCS watch (dcs.c), the lease keeper's
 * renewer and fencer (lease.c), and the REST API's threads (api/). Only the HA loop
 * changes PostgreSQL; the fencer may stop it immediately.
 */
#ifndef PGHA_HA_AGENT_H
#define PGHA_HA_AGENT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "api/api_snapshot.h"
#include "config/config.h"
#include "dcs/dcs.h"
#include "ha/ha_types.h"

struct lease_keeper;
struct pg_node;
struct pooler;
struct api_server;

/* Requests from the REST API to the HA loop (one slot each; the loop clears them). */
struct agent_requests {
	atomic_bool restart;     /* POST /restart */
	atomic_bool reinit;      /* POST /reinitialize */
	atomic_bool reload;      /* POST /reload or SIGHUP */
	atomic_bool shutdown;    /* SIGTERM/SIGINT */
	atomic_int restart_done; /* generation counters the API waits on */
	atomic_int reinit_done;
};

/* What of the DCS view warrants an immediate cycle when it changes (agent.c). */
struct agent_view_mark {
	bool valid;
	bool has_leader;
	char leader[DCS_NAME_LEN];
	int64_t leader_rev, config_rev, failover_rev, sync_rev;
	bool has_initialize;
};

struct agent {
	struct config cfg;     /* the node's YAML configuration */
	struct dyn_config dyn; /* effective dynamic configuration */
	int64_t dyn_revision;  /* mod_revision of the config key applied, -1 none */
	const char *endpoints[CONFIG_MAX_ETCD + 1]; /* borrowed from cfg */
	struct dcs_options dcs_opt;
	struct dcs *dcs;     /* HA loop's client; runs the watch */
	struct dcs *api_dcs; /* REST API's client (switchover, config) */
	pthread_mutex_t api_dcs_mu;
	struct lease_keeper *lease;
	struct pg_node *pg;
	struct pooler *pooler; /* PgBouncer, when pgbouncer.enabled */
	bool pooler_up;        /* it ran at the end of the last cycle */
	struct api_server *api;
	int signal_fd;
	int kick_fd; /* eventfd: the lease keeper or the REST API wants a cycle */

	/* Memory across cycles. */
	char upstream[DCS_NAME_LEN];          /* member our standby config points at */
	char rewind_failed_for[DCS_NAME_LEN]; /* leader a rewind from failed */
	int64_t crashed_since_ms;             /* PostgreSQL seen crashed since, 0 if not */
	bool pg_start_failed;
	enum ha_rule last_rule;
	char last_detail[DCS_NAME_LEN * 2];
	char state_override[32]; /* "creating replica"... during long actions */
	char slots_for[1024];    /* member names the slots were last made for */
	uint64_t status_optime;  /* last status optime written */
	int64_t status_written_ms;
	int64_t last_dcs_ok_s; /* epoch s of the last good DCS view */
	int64_t next_cycle_ms;
	struct agent_view_mark decided_on; /* the view the last cycle decided on */
	int64_t waiting_logged_ms;         /* rate limit for "waiting for etcd" */

	struct agent_requests req;

	/* systemd's watchdog is petted by a thread of its own while the HA loop progresses. */
	_Atomic int64_t heartbeat_ms; /* CLOCK_BOOTTIME ms the last cycle started */
	atomic_bool busy;             /* a long action (clone, rewind, stop) is running */
	atomic_bool watchdog_stop;
	pthread_t watchdog;
	bool watchdog_on;

	pthread_mutex_t status_mu;  /* guards status */
	struct api_snapshot status; /* what the REST API serves */
};

/* agent_main: runs the agent for an already loaded configuration; returns an exit code. */
int agent_main(struct config *cfg);
/* agent_reload: re-reads the YAML and applies what can change live (agent_reload.c). */
void agent_reload(struct agent *a);
/* agent_kick: run a cycle now (thread-safe; from the lease keeper and the REST API). */
void agent_kick(struct agent *a);

/* --- between the agent's own files ------------------------------------------------- */

/* Observation of one cycle (ha_observe.c). */
void agent_observe(struct agent *a, struct ha_input *in);
/* Applies the plan; returns true when something changed (re-run the cycle soon). */
bool agent_apply(struct agent *a, const struct ha_input *in, const struct ha_decision *d);
/* Publishes the member key, the status key (leader) and the REST snapshot. */
void agent_publish(struct agent *a, const struct ha_input *in, const struct ha_decision *d);
/*
 * agent_publish_promoted: right after a promotion, the REST API answers as the primary
 * it now is, instead of after the rest of the plan and the next cycle: routers and load
 * balancers confirm a new leader with GET /primary. Does nothing unless the lease
 * keeper holds the key.
 */
void agent_publish_promoted(struct agent *a, const struct ha_input *in);
/* agent_set_state: a Patroni state shown during a long action ("creating replica"). */
void agent_set_state(struct agent *a, const char *state, const struct ha_input *in);
/* agent_refresh_dyn: applies the etcd config key to a->dyn when it changed. */
void agent_refresh_dyn(struct agent *a, const struct dcs_view *view);
/* agent_conn_url / agent_api_url: this node's published URLs. */
void agent_conn_url(const struct agent *a, char *out, size_t size);
void agent_api_url(const struct agent *a, char *out, size_t size);

#endif
