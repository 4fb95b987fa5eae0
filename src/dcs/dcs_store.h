/*
 * dcs_store.h: the store behind a DCS client (dcs.c): etcd's v3 key-value model
 * (ranges, puts, deletes, transactions with compares, leases) and a watched copy of
 * the cluster's prefix that wakes the client on every change.
 *
 * Two stores implement it: etcd itself (dcs_store_etcd.c, over etcd.h and
 * dcs_watch.h) and the in-memory cluster of the unit tests (dcs_mem.c). Patroni's
 * layout, the compare-and-swap rules and the lease bookkeeping stay in dcs.c, one
 * implementation for both. Internal to dcs/.
 *
 * Errors: a store logs its failures once (as etcd.c does); results are valid only on
 * ETCD_OK and then owned by the caller. Thread-safety: as etcd.h, calls on one store
 * client are serialised by the store; the watch functions may be called from any thread.
 */
#ifndef PGHA_DCS_DCS_STORE_H
#define PGHA_DCS_DCS_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include "dcs/dcs.h"
#include "dcs/etcd.h"

struct dcs_store;

/* How a client opens its store (dcs_open's options, plus the watch it asks for). */
struct dcs_store_options {
	const struct dcs_options *dcs; /* endpoints, auth, timeouts, member name, in-memory store */
	const char *watch_prefix;      /* keep a watched copy of this prefix; NULL = no watch */
	int wake_fd;                   /* eventfd written on every change of the copy */
};

struct dcs_store_ops {
	void (*close)(struct dcs_store *s);
	/* request_timeout_ms <= 0 keeps the current one; op_timeout_ms, hedge_ms 0 = derived */
	void (*set_timeouts)(struct dcs_store *s, int request_timeout_ms, int op_timeout_ms,
	                     int hedge_ms);
	int (*op_timeout_ms)(struct dcs_store *s);
	enum etcd_status (*range)(struct dcs_store *s, const struct etcd_range_req *req,
	                          struct etcd_kvs *out, struct etcd_header *hdr);
	enum etcd_status (*put)(struct dcs_store *s, const char *key, const char *value,
	                        int64_t lease, int64_t *revision);
	enum etcd_status (*del)(struct dcs_store *s, const char *key, const char *range_end,
	                        int64_t *deleted);
	enum etcd_status (*txn)(struct dcs_store *s, const struct etcd_txn_req *req,
	                        struct etcd_txn_reply *out);
	enum etcd_status (*lease_grant)(struct dcs_store *s, int ttl_s, int64_t *lease,
	                                int *granted_ttl_s);
	enum etcd_status (*lease_keepalive)(struct dcs_store *s, int64_t lease, int *ttl_s);
	enum etcd_status (*lease_revoke)(struct dcs_store *s, int64_t lease);
	/* The watched copy (only with a watch_prefix): as dcs_watch.h describes it. */
	bool (*watch_view)(struct dcs_store *s, struct dcs_view *view, int max_age_ms, int wait_ms);
	bool (*watch_synced)(struct dcs_store *s);
	void (*watch_check_soon)(struct dcs_store *s);
	bool (*watch_contradicts)(struct dcs_store *s, const char *key, const char *value,
	                          int64_t lease, int64_t since_revision);
};

struct dcs_store {
	const struct dcs_store_ops *ops;
};

/* dcs_store_etcd_open: a client of etcd. NULL (logged) if it cannot be made. */
struct dcs_store *dcs_store_etcd_open(const struct dcs_store_options *opt);
/* dcs_store_mem_open: a client of opt->dcs->mem (dcs_mem.c). NULL (logged) on failure. */
struct dcs_store *dcs_store_mem_open(const struct dcs_store_options *opt);

#endif
