/*
 * dcs_store_etcd.c: the DCS client's store on etcd: etcd.h's calls for the key-value
 * operations and dcs_watch.h's thread for the watched copy (see dcs_store.h).
 * Adapters only: no policy, no retries beyond those of etcd.c.
 */
#include "dcs/dcs_store.h"

#include <stdlib.h>
#include "dcs/dcs_watch.h"
#include "log/log.h"
#include "util/xalloc.h"

struct etcd_store {
	struct dcs_store base;
	struct etcd *etcd;
	struct dcs_watch *watch; /* NULL without a watch */
};

static struct etcd_store *es(struct dcs_store *s)
{
	return (struct etcd_store *)s;
}

static void es_close(struct dcs_store *s)
{
	dcs_watch_stop(es(s)->watch);
	etcd_free(es(s)->etcd);
	free(s);
}

static void es_set_timeouts(struct dcs_store *s, int request_timeout_ms, int op_timeout_ms,
                            int hedge_ms)
{
	etcd_set_timeouts(es(s)->etcd, request_timeout_ms, op_timeout_ms);
	etcd_set_hedge(es(s)->etcd, hedge_ms);
	if (es(s)->watch != NULL)
		dcs_watch_set_timeouts(es(s)->watch, request_timeout_ms, op_timeout_ms);
}

static int es_op_timeout_ms(struct dcs_store *s)
{
	return etcd_op_timeout_ms(es(s)->etcd);
}

static enum etcd_status es_range(struct dcs_store *s, const struct etcd_range_req *req,
                                 struct etcd_kvs *out, struct etcd_header *hdr)
{
	return etcd_range(es(s)->etcd, req, out, hdr);
}

static enum etcd_status es_put(struct dcs_store *s, const char *key, const char *value,
                               int64_t lease, int64_t *revision)
{
	return etcd_put(es(s)->etcd, key, value, lease, revision);
}

static enum etcd_status es_del(struct dcs_store *s, const char *key, const char *range_end,
                               int64_t *deleted)
{
	return etcd_delete(es(s)->etcd, key, range_end, deleted);
}

static enum etcd_status es_txn(struct dcs_store *s, const struct etcd_txn_req *req,
                               struct etcd_txn_reply *out)
{
	return etcd_txn(es(s)->etcd, req, out);
}

static enum etcd_status es_lease_grant(struct dcs_store *s, int ttl_s, int64_t *lease,
                                       int *granted_ttl_s)
{
	return etcd_lease_grant(es(s)->etcd, ttl_s, lease, granted_ttl_s);
}

static enum etcd_status es_lease_keepalive(struct dcs_store *s, int64_t lease, int *ttl_s)
{
	return etcd_lease_keepalive(es(s)->etcd, lease, ttl_s);
}

static enum etcd_status es_lease_revoke(struct dcs_store *s, int64_t lease)
{
	return etcd_lease_revoke(es(s)->etcd, lease);
}

static bool es_watch_view(struct dcs_store *s, struct dcs_view *view, int max_age_ms, int wait_ms)
{
	return dcs_watch_view(es(s)->watch, view, max_age_ms, wait_ms);
}

static bool es_watch_synced(struct dcs_store *s)
{
	return dcs_watch_is_synced(es(s)->watch);
}

static void es_watch_check_soon(struct dcs_store *s)
{
	dcs_watch_check_soon(es(s)->watch);
}

static bool es_watch_contradicts(struct dcs_store *s, const char *key, const char *value,
                                 int64_t lease, int64_t since_revision)
{
	return dcs_watch_contradicts(es(s)->watch, key, value, lease, since_revision);
}

static const struct dcs_store_ops etcd_store_ops = {
    .close = es_close,
    .set_timeouts = es_set_timeouts,
    .op_timeout_ms = es_op_timeout_ms,
    .range = es_range,
    .put = es_put,
    .del = es_del,
    .txn = es_txn,
    .lease_grant = es_lease_grant,
    .lease_keepalive = es_lease_keepalive,
    .lease_revoke = es_lease_revoke,
    .watch_view = es_watch_view,
    .watch_synced = es_watch_synced,
    .watch_check_soon = es_watch_check_soon,
    .watch_contradicts = es_watch_contradicts,
};

struct dcs_store *dcs_store_etcd_open(const struct dcs_store_options *opt)
{
	const struct dcs_options *d = opt->dcs;
	struct etcd_options eo = {.endpoints = d->endpoints,
	                          .protocol = d->protocol,
	                          .tls = d->tls,
	                          .username = d->username,
	                          .password = d->password,
	                          .request_timeout_ms = d->request_timeout_ms,
	                          .op_timeout_ms = d->op_timeout_ms,
	                          .hedge_ms = d->hedge_ms};
	struct etcd_store *s = xcalloc(1, sizeof(*s));
	char err[256];

	s->base.ops = &etcd_store_ops;
	s->etcd = etcd_new(&eo, err, sizeof(err));
	if (s->etcd == NULL) {
		log_error("dcs: %s", err);
		free(s);
		return NULL;
	}
	if (opt->watch_prefix != NULL) {
		struct dcs_watch_options wo = {.etcd = &eo,
		                               .prefix = opt->watch_prefix,
		                               .wake_fd = opt->wake_fd,
		                               .check_ms = d->watch_check_ms};

		s->watch = dcs_watch_start(&wo);
		if (s->watch == NULL) { /* logged */
			es_close(&s->base);
			return NULL;
		}
	}
	return &s->base;
}
