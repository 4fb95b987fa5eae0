/*
 * dcs.c: dcs.h on an etcd v3 store: Patroni's keys under /<namespace>/<scope>/, the
 * lease, the leader key and the other writes, and snapshots from the watched copy.
 * The store is etcd itself or, in unit tests, the in-memory cluster (dcs_store.h):
 * the rules below are the same for both.
 *
 * Does: every write that decides who leads or what may be promoted is a transaction
 * with a compare (leader: create-if-absent, value+lease compare, value-guarded
 * re-attach and delete; sync: mod_revision + leader value; config/failover: mod_revision).
 * Outcomes of retried requests are read back in the failure branch, so a transaction
 * that succeeded but whose reply was lost is not mistaken for a conflict. Does not:
 * decide anything (ha/), or build member JSON (the caller does).
 */
#include "dcs/dcs.h"

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "dcs/dcs_cache.h"
#include "dcs/dcs_codec.h"
#include "dcs/dcs_store.h"
#include "dcs/dcs_watch.h"
#include "log/log.h"
#include "util/clocksrc.h"
#include "util/xalloc.h"

#define WARN_LEN 2048

struct dcs {
	struct dcs_store *store; /* etcd, or the in-memory cluster of the unit tests */
	struct clocksrc *clock;  /* lease sent-times are read on it */
	bool watch;              /* the store keeps a watched copy of the prefix */
	char *prefix;            /* "/service/batman/" */
	char *prefix_end;        /* "/service/batman0": end of the prefix range */
	char *member_name;       /* NULL for tools */
	char *leader_key;
	char *failsafe_key;
	char *member_key;  /* NULL without member_name */
	int wake_fd;       /* eventfd: changes and dcs_wake() */
	int op_timeout_ms; /* as configured (0 = derived) */

	int64_t lease;          /* current lease, 0 = none */
	int lease_ttl_s;        /* TTL it was requested with */
	char *member_json;      /* last value put to member_key */
	int64_t member_lease;   /* lease it was put with */
	int64_t member_rev;     /* store revision of that put */
	int64_t leader_created; /* create_revision of the leader key we hold, 0 = unknown */
};

/* "service", "/service", "/service/" -> "/service/<scope>/" */
static char *make_prefix(const char *ns, const char *scope)
{
	const char *n = ns != NULL && *ns != '\0' ? ns : "service";
	size_t len;

	while (*n == '/')
		n++;
	len = strlen(n);
	while (len > 0 && n[len - 1] == '/')
		len--;
	return xasprintf("/%.*s/%s/", (int)len, n, scope);
}

static char *key(const struct dcs *d, const char *rel)
{
	return xasprintf("%s%s", d->prefix, rel);
}

/* --- the store's calls ------------------------------------------------------------------ */

static enum etcd_status store_range(struct dcs *d, const struct etcd_range_req *req,
                                    struct etcd_kvs *out, struct etcd_header *hdr)
{
	return d->store->ops->range(d->store, req, out, hdr);
}

static enum etcd_status store_put(struct dcs *d, const char *key, const char *value, int64_t lease,
                                  int64_t *revision)
{
	return d->store->ops->put(d->store, key, value, lease, revision);
}

static enum etcd_status store_del(struct dcs *d, const char *key, const char *range_end,
                                  int64_t *deleted)
{
	return d->store->ops->del(d->store, key, range_end, deleted);
}

static enum etcd_status store_txn(struct dcs *d, const struct etcd_txn_req *req,
                                  struct etcd_txn_reply *out)
{
	return d->store->ops->txn(d->store, req, out);
}

static enum etcd_status store_lease_grant(struct dcs *d, int ttl_s, int64_t *lease,
                                          int *granted_ttl_s)
{
	return d->store->ops->lease_grant(d->store, ttl_s, lease, granted_ttl_s);
}

static enum etcd_status store_lease_keepalive(struct dcs *d, int64_t lease, int *ttl_s)
{
	return d->store->ops->lease_keepalive(d->store, lease, ttl_s);
}

static enum etcd_status store_lease_revoke(struct dcs *d, int64_t lease)
{
	return d->store->ops->lease_revoke(d->store, lease);
}

static struct dcs *dcs_new(const struct dcs_options *opt)
{
	struct dcs *d = xcalloc(1, sizeof(*d));

	d->prefix = make_prefix(opt->namespace_, opt->scope);
	d->prefix_end = etcd_prefix_end(d->prefix);
	d->member_name = xstrdup(opt->member_name);
	d->leader_key = key(d, "leader");
	d->failsafe_key = key(d, "failsafe");
	if (d->member_name != NULL) {
		char *rel = xasprintf("members/%s", d->member_name);

		d->member_key = key(d, rel);
		free(rel);
	}
	d->op_timeout_ms = opt->op_timeout_ms;
	d->clock = opt->clock != NULL ? opt->clock : clocksrc_real();
	d->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return d;
}

/* A scope or member name becomes one path segment of a key, readable by Patroni. */
static bool name_ok(const char *what, const char *name, bool may_be_null)
{
	if (name == NULL && may_be_null)
		return true;
	if (name == NULL || *name == '\0' || strchr(name, '/') != NULL ||
	    strlen(name) >= DCS_NAME_LEN) {
		log_error("dcs: %s \"%s\" must be 1 to %d bytes without '/'", what,
		          name != NULL ? name : "", DCS_NAME_LEN - 1);
		return false;
	}
	return true;
}

struct dcs *dcs_open(const struct dcs_options *opt)
{
	struct dcs_store_options so = {.dcs = opt};
	struct dcs *d;

	if (!name_ok("scope", opt->scope, false) || !name_ok("member name", opt->member_name, true))
		return NULL;
	d = dcs_new(opt);
	if (d->wake_fd < 0 || d->prefix_end == NULL) {
		log_error("dcs: cannot create an eventfd");
		dcs_close(d);
		return NULL;
	}
	so.watch_prefix = opt->watch ? d->prefix : NULL;
	so.wake_fd = d->wake_fd;
	d->store = opt->mem != NULL ? dcs_store_mem_open(&so) : dcs_store_etcd_open(&so);
	if (d->store == NULL) { /* logged */
		dcs_close(d);
		return NULL;
	}
	d->watch = opt->watch;
	return d;
}

void dcs_close(struct dcs *d)
{
	if (d == NULL)
		return;
	if (d->store != NULL)
		d->store->ops->close(d->store);
	if (d->wake_fd >= 0)
		close(d->wake_fd);
	free(d->prefix);
	free(d->prefix_end);
	free(d->member_name);
	free(d->leader_key);
	free(d->failsafe_key);
	free(d->member_key);
	free(d->member_json);
	free(d);
}

void dcs_set_timeouts(struct dcs *d, int request_timeout_ms, int op_timeout_ms, int hedge_ms)
{
	d->op_timeout_ms = op_timeout_ms;
	d->store->ops->set_timeouts(d->store, request_timeout_ms, op_timeout_ms, hedge_ms);
}

const char *dcs_prefix(const struct dcs *d)
{
	return d->prefix;
}

/* --- reading ------------------------------------------------------------------------------ */

bool dcs_read(struct dcs *d, struct dcs_view *view)
{
	struct etcd_range_req req = {.key = d->prefix, .range_end = d->prefix_end};
	struct etcd_kvs kvs;
	struct etcd_header hdr;
	struct dcs_cache cache;
	char warn[WARN_LEN];

	memset(view, 0, sizeof(*view));
	if (store_range(d, &req, &kvs, &hdr) != ETCD_OK)
		return false; /* logged by the store */
	dcs_cache_init(&cache);
	(void)dcs_cache_load(&cache, &kvs, hdr.revision);
	dcs_cache_view(&cache, d->prefix, view, warn, sizeof(warn));
	dcs_cache_deinit(&cache);
	etcd_kvs_free(&kvs);
	dcs_log_warnings(warn);
	return true;
}

bool dcs_snapshot(struct dcs *d, struct dcs_view *view, int max_age_ms)
{
	if (!d->watch)
		return dcs_read(d, view);
	if (d->store->ops->watch_view(d->store, view, max_age_ms,
	                              d->store->ops->op_timeout_ms(d->store)))
		return true;
	log_debug("dcs: no view of %s yet: the watch has not loaded it", d->prefix);
	return false;
}

bool dcs_wait(struct dcs *d, int timeout_ms)
{
	struct pollfd p = {.fd = d->wake_fd, .events = POLLIN};
	uint64_t count;

	if (poll(&p, 1, timeout_ms) <= 0)
		return false;
	/* Reading resets the eventfd counter: one wake-up covers every change so far. */
	return read(d->wake_fd, &count, sizeof(count)) == sizeof(count);
}

void dcs_wake(struct dcs *d)
{
	uint64_t one = 1;

	if (write(d->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, a wake-up is pending anyway. */
	}
}

int dcs_wait_fd(struct dcs *d)
{
	return d->wake_fd;
}

bool dcs_watch_healthy(struct dcs *d)
{
	return d->watch && d->store->ops->watch_synced(d->store);
}

/* --- lease ---------------------------------------------------------------------------------- */

static bool grant(struct dcs *d, int ttl_s, int64_t *sent_ms)
{
	int64_t sent = clocksrc_now_ms(d->clock);
	int64_t lease;
	int granted_s;

	if (store_lease_grant(d, ttl_s, &lease, &granted_s) != ETCD_OK)
		return false; /* logged by the store */
	if (d->lease != 0)
		log_info("dcs: lease %" PRId64 " replaced by %" PRId64 " (TTL %d s)", d->lease,
		         lease, granted_s);
	d->lease = lease;
	d->lease_ttl_s = ttl_s;
	if (sent_ms != NULL)
		*sent_ms = sent;
	return true;
}

bool dcs_lease_ensure(struct dcs *d, int ttl_s, int64_t *sent_ms)
{
	int64_t sent =
	    clocksrc_now_ms(d->clock); /* before the request: the lease outlives sent + TTL */
	int left_s = 0;

	if (d->lease != 0 && d->lease_ttl_s == ttl_s) {
		if (store_lease_keepalive(d, d->lease, &left_s) != ETCD_OK)
			return false; /* logged by the store */
		if (left_s > 0) {
			if (sent_ms != NULL)
				*sent_ms = sent;
			return true;
		}
		log_warn("dcs: lease %" PRId64 " expired; granting a new one", d->lease);
	}
	/* A TTL change also takes a new lease; the old one just expires (keys move over). */
	return grant(d, ttl_s, sent_ms);
}

int64_t dcs_lease_id(const struct dcs *d)
{
	return d->lease;
}

void dcs_lease_attach(struct dcs *d, int64_t lease_id)
{
	d->lease = lease_id;
}

bool dcs_lease_revoke(struct dcs *d)
{
	enum etcd_status st;

	if (d->lease == 0)
		return true;
	st = store_lease_revoke(d, d->lease);
	if (st == ETCD_NO_LEASE) /* already expired: the same outcome */
		st = ETCD_OK;
	if (st == ETCD_OK) {
		d->lease = 0;
		free(d->member_json);
		d->member_json = NULL;
	}
	return st == ETCD_OK;
}

/* --- transactions ----------------------------------------------------------------------------- */

static bool need_member(const struct dcs *d, const char *what)
{
	if (d->member_name != NULL)
		return true;
	log_error("dcs: %s needs a member name", what);
	return false;
}

static bool need_lease(const struct dcs *d, const char *what)
{
	if (d->lease != 0)
		return true;
	log_error("dcs: %s needs a lease (dcs_lease_ensure first)", what);
	return false;
}

/* The kv read by the failure branch's single range, or NULL if the key is absent. */
static const struct etcd_kv *failure_kv(const struct etcd_txn_reply *r)
{
	if (r->succeeded || r->n_responses < 1 || r->responses[0].type != ETCD_OP_RANGE ||
	    r->responses[0].kvs.n < 1)
		return NULL;
	return &r->responses[0].kvs.items[0];
}

/*
 * cas_rev: a compare-and-write: the compares, one op on success; CONFLICT when they
 * fail. retry_safe: the op falsifies the compares (etcd_txn_req). *revision (may be
 * NULL) gets the store revision of a successful write.
 */
static enum dcs_cas cas_rev(struct dcs *d, const struct etcd_compare *cmp, int n_cmp,
                            const struct etcd_op *op, bool retry_safe, int64_t *revision)
{
	struct etcd_txn_req req = {.compare = cmp,
	                           .n_compare = n_cmp,
	                           .success = op,
	                           .n_success = 1,
	                           .retry_safe = retry_safe};
	struct etcd_txn_reply rep;
	bool ok;

	if (store_txn(d, &req, &rep) != ETCD_OK)
		return DCS_CAS_ERROR;
	ok = rep.succeeded;
	if (ok && revision != NULL)
		*revision = rep.header.revision;
	etcd_txn_reply_free(&rep);
	return ok ? DCS_CAS_OK : DCS_CAS_CONFLICT;
}

static enum dcs_cas cas(struct dcs *d, const struct etcd_compare *cmp, int n_cmp,
                        const struct etcd_op *op, bool retry_safe)
{
	return cas_rev(d, cmp, n_cmp, op, retry_safe, NULL);
}

static enum dcs_cas conflict(struct dcs *d)
{
	/* Our view may be behind: have the watch prove it is current (Patroni PR #2783). */
	if (d->watch)
		d->store->ops->watch_check_soon(d->store);
	return DCS_CAS_CONFLICT;
}

/* --- leader key ------------------------------------------------------------------------------- */

/*
 * The create-if-absent transaction; *r is set when etcd answered. With failsafe_rev
 * >= 0 the failsafe key must also still be at that mod_revision (0: absent): the race
 * was decided on it, and an acquire that etcd applies late (parked on a stalled member)
 * must not land after the leader changed who may race.
 */
static enum etcd_status acquire_txn(struct dcs *d, int64_t failsafe_rev, enum dcs_cas *r)
{
	struct etcd_compare cmp[2] = {
	    {.key = d->leader_key, .target = ETCD_TARGET_CREATE},
	    {.key = d->failsafe_key, .target = ETCD_TARGET_MOD, .number = failsafe_rev}};
	struct etcd_op put = {
	    .type = ETCD_OP_PUT, .key = d->leader_key, .value = d->member_name, .lease = d->lease};
	struct etcd_op get = {.type = ETCD_OP_RANGE, .key = d->leader_key};
	struct etcd_txn_req req = {cmp, failsafe_rev >= 0 ? 2 : 1, &put, 1, &get, 1, true};
	struct etcd_txn_reply rep;
	const struct etcd_kv *kv;
	enum etcd_status st = store_txn(d, &req, &rep);

	if (st != ETCD_OK)
		return st;
	kv = failure_kv(&rep);
	/* Ours on our lease: this call's first attempt won but its reply was lost. */
	*r = rep.succeeded ||
	             (kv != NULL && strcmp(kv->value, d->member_name) == 0 && kv->lease == d->lease)
	         ? DCS_CAS_OK
	         : DCS_CAS_CONFLICT;
	if (rep.succeeded)
		d->leader_created = rep.header.revision;
	else if (*r == DCS_CAS_OK)
		d->leader_created = kv->create_revision;
	etcd_txn_reply_free(&rep);
	return ETCD_OK;
}

enum dcs_cas dcs_leader_acquire(struct dcs *d, int64_t failsafe_rev)
{
	enum dcs_cas r = DCS_CAS_ERROR;
	enum etcd_status st;

	if (!need_member(d, "taking the leader key") || !need_lease(d, "taking the leader key"))
		return DCS_CAS_ERROR;
	st = acquire_txn(d, failsafe_rev, &r);
	if (st == ETCD_NO_LEASE) {
		/* The lease expired since the last keepalive: Patroni grants anew and retries. */
		d->lease = 0;
		if (!grant(d, d->lease_ttl_s, NULL))
			return DCS_CAS_ERROR;
		st = acquire_txn(d, failsafe_rev, &r);
	}
	if (st != ETCD_OK)
		return DCS_CAS_ERROR;
	if (r == DCS_CAS_OK)
		log_info("dcs: leader key taken by %s (lease %" PRId64 ")", d->member_name,
		         d->lease);
	return r == DCS_CAS_CONFLICT ? conflict(d) : r;
}

/*
 * The key is ours on an old lease: move it to the current one, guarded by its value
 * and that old lease (so that a copy applied twice, or late, does nothing).
 */
static enum dcs_cas reattach(struct dcs *d, int64_t old_lease)
{
	struct etcd_compare cmp[2] = {
	    {.key = d->leader_key, .target = ETCD_TARGET_VALUE, .value = d->member_name},
	    {.key = d->leader_key, .target = ETCD_TARGET_LEASE, .number = old_lease}};
	struct etcd_op put = {
	    .type = ETCD_OP_PUT, .key = d->leader_key, .value = d->member_name, .lease = d->lease};
	enum dcs_cas r = cas(d, cmp, 2, &put, true);

	if (r == DCS_CAS_OK)
		log_info("dcs: leader key moved from lease %" PRId64 " to %" PRId64, old_lease,
		         d->lease);
	else if (r == DCS_CAS_CONFLICT)
		log_warn("dcs: leader key lost while moving it to lease %" PRId64, d->lease);
	return r;
}

/* What the failure branch saw: the key gone, someone else's, or ours on an old lease. */
static enum dcs_renew renew_failed(struct dcs *d, const struct etcd_kv *kv)
{
	if (kv == NULL) {
		log_warn("dcs: leader key is gone (expired, revoked or deleted)");
		return DCS_RENEW_ABSENT;
	}
	if (strcmp(kv->value, d->member_name) != 0) {
		log_warn("dcs: leader key is held by \"%s\" now", kv->value);
		return DCS_RENEW_OTHER;
	}
	d->leader_created = kv->create_revision;
	switch (reattach(d, kv->lease)) {
	case DCS_CAS_OK:
		return DCS_RENEW_OK;
	case DCS_CAS_CONFLICT:
		return DCS_RENEW_OTHER; /* changed under us: the next renewal says how */
	case DCS_CAS_ERROR:
		break;
	}
	return DCS_RENEW_ERROR;
}

enum dcs_renew dcs_leader_renew(struct dcs *d, int ttl_s, int64_t *sent_ms)
{
	struct etcd_compare cmp[2] = {
	    {.key = d->leader_key, .target = ETCD_TARGET_VALUE, .value = d->member_name},
	    {.key = d->leader_key, .target = ETCD_TARGET_LEASE, .number = 0}};
	struct etcd_op get = {.type = ETCD_OP_RANGE, .key = d->leader_key};
	struct etcd_txn_req req = {cmp, 2, &get, 1, &get, 1, false};
	struct etcd_txn_reply rep;
	const struct etcd_kv *kv;
	enum dcs_renew r;

	if (!need_member(d, "renewing the leader key") || !dcs_lease_ensure(d, ttl_s, sent_ms))
		return DCS_RENEW_ERROR;
	cmp[1].number = d->lease;
	if (store_txn(d, &req, &rep) != ETCD_OK)
		return DCS_RENEW_ERROR;
	if (rep.succeeded) {
		kv = rep.n_responses > 0 && rep.responses[0].kvs.n > 0
		         ? &rep.responses[0].kvs.items[0]
		         : NULL;
		if (kv != NULL)
			d->leader_created = kv->create_revision;
		r = DCS_RENEW_OK;
	} else {
		r = renew_failed(d, failure_kv(&rep));
	}
	etcd_txn_reply_free(&rep);
	if (r == DCS_RENEW_ABSENT || r == DCS_RENEW_OTHER)
		(void)conflict(d);
	return r;
}

/*
 * dcs_leader_release: compares the value and, when known, the create revision of the
 * key we hold: a copy of the delete that etcd applies late can then never delete a key
 * we (or anyone) created afterwards, and a second copy is harmless.
 */
enum dcs_cas dcs_leader_release(struct dcs *d)
{
	struct etcd_compare cmp[2] = {
	    {.key = d->leader_key, .target = ETCD_TARGET_VALUE, .value = d->member_name},
	    {.key = d->leader_key, .target = ETCD_TARGET_CREATE, .number = d->leader_created}};
	struct etcd_op del = {.type = ETCD_OP_DELETE, .key = d->leader_key};
	struct etcd_op get = {.type = ETCD_OP_RANGE, .key = d->leader_key};
	struct etcd_txn_req req = {cmp, d->leader_created > 0 ? 2 : 1, &del, 1, &get, 1, true};
	struct etcd_txn_reply rep;
	enum dcs_cas r;

	if (!need_member(d, "releasing the leader key"))
		return DCS_CAS_ERROR;
	if (store_txn(d, &req, &rep) != ETCD_OK)
		return DCS_CAS_ERROR;
	/* Already absent is a release done (perhaps by this call's lost first attempt). */
	r = rep.succeeded || failure_kv(&rep) == NULL ? DCS_CAS_OK : DCS_CAS_CONFLICT;
	etcd_txn_reply_free(&rep);
	if (r == DCS_CAS_OK) {
		log_info("dcs: leader key released by %s", d->member_name);
		d->leader_created = 0;
	}
	return r == DCS_CAS_CONFLICT ? conflict(d) : r;
}

/* --- other keys ------------------------------------------------------------------------------- */

static bool plain_put(struct dcs *d, const char *rel, const char *value, int64_t lease)
{
	char *k = key(d, rel);
	bool ok = store_put(d, k, value, lease, NULL) == ETCD_OK;

	free(k);
	return ok;
}

static bool member_unchanged(struct dcs *d, const char *json)
{
	if (d->member_json == NULL || strcmp(d->member_json, json) != 0 ||
	    d->member_lease != d->lease)
		return false;
	/* Someone may have deleted the key (patronictl remove): trust a current cache. */
	return !d->watch || !d->store->ops->watch_contradicts(d->store, d->member_key, json,
	                                                      d->lease, d->member_rev);
}

bool dcs_member_put(struct dcs *d, const char *json)
{
	enum etcd_status st;
	int64_t revision = 0;

	if (!need_member(d, "publishing the member key") ||
	    !need_lease(d, "publishing the member key"))
		return false;
	if (member_unchanged(d, json))
		return true;
	st = store_put(d, d->member_key, json, d->lease, &revision);
	if (st == ETCD_NO_LEASE)
		d->lease = 0; /* the next dcs_lease_ensure grants a new one */
	if (st != ETCD_OK)
		return false;
	free(d->member_json);
	d->member_json = xstrdup(json);
	d->member_lease = d->lease;
	d->member_rev = revision;
	return true;
}

enum dcs_cas dcs_initialize_race(struct dcs *d)
{
	char *k = key(d, "initialize");
	struct etcd_compare absent = {.key = k, .target = ETCD_TARGET_CREATE};
	struct etcd_op put = {.type = ETCD_OP_PUT, .key = k, .value = ""};
	enum dcs_cas r = cas(d, &absent, 1, &put, true);

	free(k);
	return r;
}

bool dcs_initialize_set(struct dcs *d, const char *sysid)
{
	return plain_put(d, "initialize", sysid, 0);
}

bool dcs_initialize_cancel(struct dcs *d)
{
	char *k = key(d, "initialize");
	bool ok = store_del(d, k, NULL, NULL) == ETCD_OK;

	free(k);
	return ok;
}

enum dcs_cas dcs_config_write(struct dcs *d, const char *json, int64_t mod_revision)
{
	char *k;
	enum dcs_cas r;

	if (mod_revision < 0)
		return plain_put(d, "config", json, 0) ? DCS_CAS_OK : DCS_CAS_ERROR;
	k = key(d, "config");
	struct etcd_compare same = {.key = k, .target = ETCD_TARGET_MOD, .number = mod_revision};
	struct etcd_op put = {.type = ETCD_OP_PUT, .key = k, .value = json};

	r = cas(d, &same, 1, &put, true);
	free(k);
	return r;
}

enum dcs_cas dcs_sync_write(struct dcs *d, const char *const *standbys, int n, int64_t mod_revision)
{
	char *k;
	char *value;
	enum dcs_cas r;

	if (!need_member(d, "writing the sync key"))
		return DCS_CAS_ERROR;
	k = key(d, "sync");
	value = dcs_sync_encode(d->member_name, standbys, standbys != NULL ? n : 0);
	/* Only the current leader may say who is synchronous (mod_revision 0: absent). */
	struct etcd_compare cmp[2] = {
	    {.key = k, .target = ETCD_TARGET_MOD, .number = mod_revision},
	    {.key = d->leader_key, .target = ETCD_TARGET_VALUE, .value = d->member_name}};
	struct etcd_op put = {.type = ETCD_OP_PUT, .key = k, .value = value};

	r = cas(d, cmp, 2, &put, true);
	free(value);
	free(k);
	return r == DCS_CAS_CONFLICT ? conflict(d) : r;
}

enum dcs_cas dcs_sync_delete(struct dcs *d, int64_t mod_revision)
{
	char *k = key(d, "sync");
	struct etcd_compare cmp[2] = {
	    {.key = k, .target = ETCD_TARGET_MOD, .number = mod_revision},
	    {.key = d->leader_key, .target = ETCD_TARGET_VALUE, .value = d->member_name}};
	struct etcd_op del = {.type = ETCD_OP_DELETE, .key = k};
	/* Tools (no member name) may clear it with the revision compare alone. */
	enum dcs_cas r = cas(d, cmp, d->member_name != NULL ? 2 : 1, &del, true);

	free(k);
	return r;
}

bool dcs_failover_write(struct dcs *d, const char *leader, const char *member,
                        const char *scheduled_at)
{
	char *value = dcs_failover_encode(leader, member, scheduled_at);
	bool ok = plain_put(d, "failover", value, 0);

	free(value);
	return ok;
}

enum dcs_cas dcs_failover_clear(struct dcs *d, int64_t mod_revision)
{
	char *k;
	enum dcs_cas r;

	if (mod_revision <= 0)
		return plain_put(d, "failover", "{}", 0) ? DCS_CAS_OK : DCS_CAS_ERROR;
	k = key(d, "failover");
	struct etcd_compare same = {.key = k, .target = ETCD_TARGET_MOD, .number = mod_revision};
	struct etcd_op put = {.type = ETCD_OP_PUT, .key = k, .value = "{}"};

	r = cas(d, &same, 1, &put, true);
	free(k);
	return r;
}

enum dcs_cas dcs_request_write(struct dcs *d, const char *name, const struct dcs_request *r,
                               int64_t mod_revision)
{
	char *k = key(d, name);
	char *value = dcs_request_encode(r);
	struct etcd_compare same = {.key = k, .target = ETCD_TARGET_MOD, .number = mod_revision};
	struct etcd_op put = {.type = ETCD_OP_PUT, .key = k, .value = value};
	enum dcs_cas res = cas(d, &same, 1, &put, true);

	free(value);
	free(k);
	return res;
}

enum dcs_cas dcs_request_delete(struct dcs *d, const char *name, int64_t mod_revision)
{
	char *k = key(d, name);
	struct etcd_compare same = {.key = k, .target = ETCD_TARGET_MOD, .number = mod_revision};
	struct etcd_op del = {.type = ETCD_OP_DELETE, .key = k};
	enum dcs_cas res = cas(d, &same, 1, &del, true);

	free(k);
	return res;
}

bool dcs_history_write(struct dcs *d, const char *json)
{
	char *k;
	enum dcs_cas r;

	if (!need_member(d, "writing the history key"))
		return false;
	k = key(d, "history");
	struct etcd_compare mine = {
	    .key = d->leader_key, .target = ETCD_TARGET_VALUE, .value = d->member_name};
	struct etcd_op put = {.type = ETCD_OP_PUT, .key = k, .value = json};

	/* Not retry_safe: a late copy could put back a shorter history. */
	r = cas(d, &mine, 1, &put, false);
	free(k);
	if (r == DCS_CAS_CONFLICT)
		log_warn("dcs: history not written: %s does not hold the leader key",
		         d->member_name);
	return r == DCS_CAS_OK;
}

/* The failsafe key's compares: its revision as the view showed it, and our leadership. */
static void failsafe_compares(struct dcs *d, int64_t mod_revision, struct etcd_compare cmp[2])
{
	cmp[0] = (struct etcd_compare){
	    .key = d->failsafe_key, .target = ETCD_TARGET_MOD, .number = mod_revision};
	cmp[1] = (struct etcd_compare){
	    .key = d->leader_key, .target = ETCD_TARGET_VALUE, .value = d->member_name};
}

enum dcs_cas dcs_failsafe_write(struct dcs *d, const char *json, int64_t mod_revision,
                                int64_t *new_revision)
{
	struct etcd_compare cmp[2];
	struct etcd_op put = {.type = ETCD_OP_PUT, .key = d->failsafe_key, .value = json};
	enum dcs_cas r;

	if (!need_member(d, "writing the failsafe key"))
		return DCS_CAS_ERROR;
	failsafe_compares(d, mod_revision, cmp);
	r = cas_rev(d, cmp, 2, &put, true, new_revision);
	return r == DCS_CAS_CONFLICT ? conflict(d) : r;
}

enum dcs_cas dcs_failsafe_delete(struct dcs *d, int64_t mod_revision)
{
	struct etcd_compare cmp[2];
	struct etcd_op del = {.type = ETCD_OP_DELETE, .key = d->failsafe_key};
	enum dcs_cas r;

	if (!need_member(d, "deleting the failsafe key"))
		return DCS_CAS_ERROR;
	failsafe_compares(d, mod_revision, cmp);
	r = cas(d, cmp, 2, &del, true);
	return r == DCS_CAS_CONFLICT ? conflict(d) : r;
}

bool dcs_status_write(struct dcs *d, const char *json)
{
	return plain_put(d, "status", json, 0);
}

bool dcs_delete_cluster(struct dcs *d)
{
	return store_del(d, d->prefix, d->prefix_end, NULL) == ETCD_OK;
}
