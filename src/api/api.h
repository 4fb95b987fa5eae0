/*
 * api.h: the agent's REST API, a drop-in for Patroni's (port 8008 style).
 *
 * The server (libmicrohttpd: one epoll thread pool, idle timeout, a total deadline per
 * request, connection limits per address and in all) answers health checks and read
 * endpoints from copies of the agent's struct api_snapshot, and turns unsafe requests
 * (switchover, restart, config changes...) into validated struct api_request values that
 * the agent carries out through api_ops.operation.
 *
 * This module does everything HTTP: TLS (libmicrohttpd's GnuTLS: https, client
 * certificates), who may call the unsafe endpoints (allowlist, client certificate,
 * Basic auth, in Patroni's order), routing, methods, body limits, JSON parsing and the
 * status codes that depend only on the request. It does not decide anything about the
 * cluster: that is the agent's job behind api_ops.
 */
#ifndef PGHA_API_API_H
#define PGHA_API_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "api/api_snapshot.h"
#include "dcs/dcs_types.h"
#include "util/buf.h"
#include "util/compiler.h"

#define API_MAX_BODY_BYTES (64 * 1024) /* larger request bodies get 413 */
#define API_MAX_OPERATIONS 4           /* unsafe requests running at once; more get 503 */

/* The unsafe requests (Patroni's protected endpoints). */
enum api_op {
	API_OP_SWITCHOVER = 0,    /* POST /switchover (or /failover with a leader) */
	API_OP_FAILOVER,          /* POST /failover: manual failover to a named candidate */
	API_OP_SWITCHOVER_CANCEL, /* DELETE /switchover: drop a scheduled switchover */
	API_OP_RESTART,           /* POST /restart: now, or scheduled */
	API_OP_RESTART_CANCEL,    /* DELETE /restart: drop a scheduled restart */
	API_OP_REINITIALIZE,      /* POST /reinitialize: re-clone this replica */
	API_OP_RELOAD,            /* POST /reload: re-read the configuration (SIGHUP) */
	API_OP_CONFIG_PATCH,      /* PATCH /config: JSON merge patch of the dynamic config */
	API_OP_CONFIG_PUT,        /* PUT /config: replace the dynamic config */
	API_OP__COUNT
};

/* api_op_str: "switchover", "failover", ... (for logs). */
const char *api_op_str(enum api_op op);

/*
 * api_request: one validated unsafe request. Fields not used by an operation are
 * zero/empty. Everything here has been checked the way Patroni checks it before
 * acting (required fields, types, schedule in the future with a time zone...).
 */
struct api_request {
	enum api_op op;

	/* switchover / failover */
	char leader[DCS_NAME_LEN];    /* switch over from this leader; "" = not given */
	char candidate[DCS_NAME_LEN]; /* "candidate" (or its alias "member"); "" = any */

	/* switchover and restart: scheduled_at / schedule */
	char scheduled_at[64];         /* as sent, ISO 8601 with a zone; "" = now */
	int64_t scheduled_at_epoch_ms; /* the same instant, epoch ms; 0 = now */

	/* restart filters: restart only if every given one matches */
	bool restart_pending; /* only if PostgreSQL has pending_restart */
	char role[16];        /* "primary", "replica", "standby_leader"; "" = any */
	int postgres_version; /* only if server_version < this (150002); 0 = any */
	int timeout_s;        /* give up (and fail over) after; 0 = agent default */

	/* reinitialize */
	bool force;       /* cancel a running task first */
	bool from_leader; /* clone from the leader, not a replica */

	/* config patch / put */
	json_t *config; /* owned: the JSON body (an object); else NULL */
};

/* api_request_free: releases the owned parts (config). */
void api_request_free(struct api_request *req);

/*
 * A POST /failsafe (Patroni's failsafe_mode: a primary cut off from etcd asking whether
 * it may go on). The body is parsed by the server; the agent decides, in this order
 * (Patroni's): 502 when failsafe_mode is off, then parse_status when not 0, then its
 * own checks.
 */
struct api_failsafe_post {
	int parse_status; /* 0, 411 (no body length) or 400 (reason in why) */
	char why[128];
	char name[DCS_NAME_LEN];    /* the primary asking */
	char conn_url[DCS_URL_LEN]; /* its postgres:// URL */
	char api_url[DCS_URL_LEN];  /* its /patroni URL */
	int timeline;               /* its timeline; 0 when not sent (Patroni does not) */
};

/*
 * api_failsafe_parse: the body of a POST /failsafe into out: a JSON object with string
 * name, conn_url and api_url (others ignored, "slots" included; an integer "timeline"
 * optional). body NULL: no Content-Length (411). Pure.
 */
void api_failsafe_parse(const char *body, size_t len, struct api_failsafe_post *out);

/*
 * api_ops: what the agent provides. Both callbacks are called from the server's
 * threads, concurrently with each other and with the agent's own loop, so they
 * must be thread-safe.
 *
 * snapshot: fills out with a deep copy of the latest published snapshot (the
 *   server frees it with api_snapshot_free). Must not block beyond a mutex.
 * operation: carries out req and returns the HTTP status (Patroni's codes: 200,
 *   202, 404, 409, 412, 503...) with the reply text in reply. It runs in its own
 *   thread and may block (a switchover waits for the new leader, as Patroni does);
 *   health checks keep being answered meanwhile.
 */
struct api_ops {
	void *ctx;
	void (*snapshot)(void *ctx, struct api_snapshot *out);
	int (*operation)(void *ctx, const struct api_request *req, struct buf *reply);
	/*
	 * failsafe: judges a POST /failsafe and returns its status: 200 (reply "Accepted";
	 * lsn, when not "", goes out as the "lsn" header, Patroni 4's), 400/411/500/502 with
	 * the reason in reply. Answered in the server's thread: it must not block beyond a
	 * mutex. NULL: 502.
	 */
	int (*failsafe)(void *ctx, const struct api_failsafe_post *req, struct buf *reply,
	                char *lsn, size_t lsnlen);
};

/* restapi.verify_client (Patroni's meaning, see api_server.c). */
enum api_verify_client {
	API_VERIFY_NONE = 0, /* no client certificate is asked for */
	API_VERIFY_OPTIONAL, /* asked; the unsafe endpoints need a valid one (else 403) */
	API_VERIFY_REQUIRED  /* every request needs a valid one (else 403) */
};

struct api_options {
	const char *listen;   /* restapi.listen: "0.0.0.0:8008", "[::]:8008", "*:8008" */
	const char *username; /* restapi.authentication; NULL/"" with no password = off */
	const char *password;
	/* https when certfile is set: PEM files, read once at start (restapi.*). */
	const char *certfile;
	const char *keyfile;
	const char *keyfile_password; /* NULL/"" = the key is not encrypted */
	const char *cafile;           /* the CA of client certificates (verify_client) */
	enum api_verify_client verify_client;
	char *const *allowlist;         /* restapi.allowlist, NULL-terminated, or NULL = anyone */
	bool allowlist_include_members; /* ... plus the hosts of the members' api_url */
	int threads;                    /* worker threads (epoll each); 0 = 3 */
	int connection_timeout_s;       /* idle connections are closed after this; 0 = 5 */
	int request_timeout_s;          /* a request's head and body, in all; 0 = 10 */
	int max_connections;            /* total open connections; 0 = 512 */
	int max_connections_per_ip; /* 0 = 32: it takes 16 client addresses to fill the server */
};

struct api_server;

/*
 * api_start: binds opt->listen and starts serving. ops is copied. Returns NULL
 * (and logs why) when the address is malformed or cannot be bound, a certificate,
 * key or CA file cannot be read or used, or an allowlist entry does not resolve.
 * Owned: stop it with api_stop.
 */
struct api_server *api_start(const struct api_options *opt, const struct api_ops *ops);
/* api_port: the TCP port the server is bound to. */
int api_port(const struct api_server *srv);
/*
 * api_stop: waits for running operations to return, closes every connection and
 * frees srv. NULL is a no-op.
 */
void api_stop(struct api_server *srv);

#endif
