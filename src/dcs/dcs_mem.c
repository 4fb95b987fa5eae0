/*
 * dcs_mem.c: the in-memory etcd cluster (see dcs_mem.h) and its clients (dcs_store.h).
 *
 * One mutex guards the cluster: keys (sorted by name), leases, revision, the members'
 * faults and the list of open clients. A request first pays its member's faults
 * outside the lock (a latency is a sleep on the clock), then runs under the lock,
 * expiring due leases first, and wakes the watching clients if it changed anything.
 * The lessor thread expires leases on time even when nobody asks.
 */
#include "dcs/dcs_mem.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dcs/dcs_store.h"
#include "log/log.h"
#include "util/clocksrc.h"
#include "util/thread.h"
#include "util/xalloc.h"

#define MAX_MEMBERS 32

struct mem_key {
	char *key;   /* owned */
	char *value; /* owned */
	int64_t create_rev, mod_rev, version, lease;
};

struct mem_lease {
	int64_t id;
	int ttl_s;         /* as granted */
	int64_t expiry_ms; /* on the clock */
};

struct mem_member {
	char name[DCS_NAME_LEN]; /* "" for tools */
	bool unreachable;
	int64_t latency_ms;
	int fail_next;
	struct dcs_mem_stats stats;
};

struct mem_client;

struct dcs_mem {
	pthread_mutex_t mu;
	pthread_cond_t lessor_cv; /* leases or quorum changed, or stop */
	struct clocksrc *clock;
	struct mem_key *keys; /* sorted by key */
	int n_keys, cap_keys;
	struct mem_lease *leases;
	int n_leases, cap_leases;
	int64_t revision;
	int64_t next_lease;
	bool quorum_lost;
	int fail_opens;
	struct mem_member members[MAX_MEMBERS];
	int n_members;
	struct mem_client *clients; /* open clients, for wake-ups */
	bool stop;
	pthread_t lessor;
};

struct mem_client {
	struct dcs_store base;
	struct dcs_mem *m;
	char member[DCS_NAME_LEN];
	int request_timeout_ms, op_timeout_ms;
	/* The watched copy, when asked for. */
	char *prefix; /* NULL without a watch */
	int wake_fd;
	struct dcs_view last; /* the copy as last seen while reachable */
	bool has_last;
	bool lost;             /* not following the cluster since lost_since_ms */
	int64_t lost_since_ms; /* on the clock */
	struct mem_client *next;
};

static struct mem_client *mc(struct dcs_store *s)
{
	return (struct mem_client *)s;
}

/* --- members and faults (mu held) -------------------------------------------------------- */

static struct mem_member *member_of(struct dcs_mem *m, const char *name)
{
	struct mem_member *f;

	for (int i = 0; i < m->n_members; i++)
		if (strcmp(m->members[i].name, name) == 0)
			return &m->members[i];
	if (m->n_members == MAX_MEMBERS)
		abort(); /* a test with more members than any cluster has */
	f = &m->members[m->n_members++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	return f;
}

static bool reaches(struct dcs_mem *m, const struct mem_client *c)
{
	return !m->quorum_lost && !member_of(m, c->member)->unreachable;
}

/* wake_watchers: every watching client that follows the cluster learns of a change. */
static void wake_watchers(struct dcs_mem *m)
{
	uint64_t one = 1;

	for (struct mem_client *c = m->clients; c != NULL; c = c->next)
		if (c->prefix != NULL && reaches(m, c) &&
		    write(c->wake_fd, &one, sizeof(one)) < 0) {
			/* EAGAIN: a wake-up is pending anyway */
		}
}

/* cut_off_watchers: the watching clients that no longer reach the cluster stop
 * following it from now (a watch stream that breaks). */
static void cut_off_watchers(struct dcs_mem *m)
{
	int64_t now = clocksrc_now_ms(m->clock);

	for (struct mem_client *c = m->clients; c != NULL; c = c->next) {
		if (c->prefix != NULL && c->has_last && !c->lost && !reaches(m, c)) {
			c->lost = true;
			c->lost_since_ms = now;
		}
	}
}

static void wake_all(struct dcs_mem *m)
{
	uint64_t one = 1;

	for (struct mem_client *c = m->clients; c != NULL; c = c->next)
		if (c->prefix != NULL && write(c->wake_fd, &one, sizeof(one)) < 0) {
			/* as above */
		}
}

/* --- keys and leases (mu held) -------------------------------------------------------------- */

static int key_index(const struct dcs_mem *m, const char *key, bool *found)
{
	int i = 0;

	while (i < m->n_keys && strcmp(m->keys[i].key, key) < 0)
		i++;
	*found = i < m->n_keys && strcmp(m->keys[i].key, key) == 0;
	return i;
}

static struct mem_key *find_key(struct dcs_mem *m, const char *key)
{
	bool found;
	int i = key_index(m, key, &found);

	return found ? &m->keys[i] : NULL;
}

static struct mem_lease *find_lease(struct dcs_mem *m, int64_t id)
{
	for (int i = 0; i < m->n_leases; i++)
		if (m->leases[i].id == id)
			return &m->leases[i];
	return NULL;
}

static void put_key(struct dcs_mem *m, const char *key, const char *value, int64_t lease,
                    int64_t rev)
{
	bool found;
	int i = key_index(m, key, &found);
	struct mem_key *k;

	if (!found) {
		if (m->n_keys == m->cap_keys) {
			m->cap_keys = m->cap_keys ? 2 * m->cap_keys : 16;
			m->keys = xrealloc(m->keys, (size_t)m->cap_keys * sizeof(*m->keys));
		}
		memmove(&m->keys[i + 1], &m->keys[i], (size_t)(m->n_keys - i) * sizeof(*m->keys));
		m->n_keys++;
		k = &m->keys[i];
		memset(k, 0, sizeof(*k));
		k->key = xstrdup(key);
		k->create_rev = rev;
	}
	k = &m->keys[i];
	free(k->value);
	k->value = xstrdup(value);
	k->mod_rev = rev;
	k->version++;
	k->lease = lease;
}

static void remove_key_at(struct dcs_mem *m, int i)
{
	free(m->keys[i].key);
	free(m->keys[i].value);
	memmove(&m->keys[i], &m->keys[i + 1], (size_t)(m->n_keys - i - 1) * sizeof(*m->keys));
	m->n_keys--;
}

/* in_range: key in [from, end); end NULL = from only. */
static bool in_range(const char *key, const char *from, const char *end)
{
	if (end == NULL)
		return strcmp(key, from) == 0;
	return strcmp(key, from) >= 0 && strcmp(key, end) < 0;
}

static int64_t delete_range(struct dcs_mem *m, const char *from, const char *end)
{
	int64_t n = 0;

	for (int i = m->n_keys - 1; i >= 0; i--) {
		if (in_range(m->keys[i].key, from, end)) {
			remove_key_at(m, i);
			n++;
		}
	}
	return n;
}

/* drop_lease: the lease goes, and its keys with it (one revision, as etcd). */
static void drop_lease(struct dcs_mem *m, int64_t id)
{
	bool any = false;

	for (int i = m->n_keys - 1; i >= 0; i--) {
		if (m->keys[i].lease == id) {
			remove_key_at(m, i);
			any = true;
		}
	}
	if (any)
		m->revision++;
	for (int i = 0; i < m->n_leases; i++) {
		if (m->leases[i].id == id) {
			m->leases[i] = m->leases[--m->n_leases];
			break;
		}
	}
}

/* expire_due: drops the leases whose time has come; true if any. Frozen without quorum. */
static bool expire_due(struct dcs_mem *m)
{
	int64_t now = clocksrc_now_ms(m->clock);
	bool any = false;

	for (int i = m->n_leases - 1; !m->quorum_lost && i >= 0; i--) {
		if (m->leases[i].expiry_ms <= now) {
			log_info("dcs-mem: lease %lld expired", (long long)m->leases[i].id);
			drop_lease(m, m->leases[i].id);
			any = true;
		}
	}
	if (any)
		wake_watchers(m);
	return any;
}

static int64_t next_expiry(const struct dcs_mem *m)
{
	int64_t next = CLOCKSRC_FOREVER;

	for (int i = 0; !m->quorum_lost && i < m->n_leases; i++)
		next = MIN(next, m->leases[i].expiry_ms);
	return next;
}

static void *lessor_main(void *arg)
{
	struct dcs_mem *m = arg;

	clocksrc_thread_begin(m->clock);
	pthread_mutex_lock(&m->mu);
	while (!m->stop) {
		(void)expire_due(m);
		clocksrc_wait(m->clock, &m->lessor_cv, &m->mu, next_expiry(m));
	}
	pthread_mutex_unlock(&m->mu);
	clocksrc_thread_exit(m->clock);
	return NULL;
}

/* --- requests ------------------------------------------------------------------------------- */

static int op_timeout(const struct mem_client *c)
{
	if (c->op_timeout_ms > 0)
		return c->op_timeout_ms;
	return c->request_timeout_ms > 0 ? c->request_timeout_ms : 5000;
}

/*
 * begin: pays the member's faults, then takes the lock and expires due leases.
 * ETCD_OK with mu held, or the failure (logged) without it.
 */
static enum etcd_status begin(struct mem_client *c)
{
	struct dcs_mem *m = c->m;
	struct mem_member *f;
	int64_t latency, timeout = op_timeout(c);
	bool unreachable, fail;

	pthread_mutex_lock(&m->mu);
	f = member_of(m, c->member);
	f->stats.requests++;
	latency = f->latency_ms;
	unreachable = f->unreachable;
	fail = m->quorum_lost || f->fail_next > 0;
	if (f->fail_next > 0)
		f->fail_next--;
	pthread_mutex_unlock(&m->mu);
	if (unreachable || latency >= timeout)
		clocksrc_sleep_ms(m->clock, timeout); /* nothing answers: the client times out */
	else if (latency > 0)
		clocksrc_sleep_ms(m->clock, latency);
	pthread_mutex_lock(&m->mu);
	if (unreachable || fail || latency >= timeout || !reaches(m, c)) {
		member_of(m, c->member)->stats.failed++;
		pthread_mutex_unlock(&m->mu);
		log_warn("dcs-mem: request of %s failed: %s", c->member[0] ? c->member : "a tool",
		         unreachable || latency >= timeout ? "timed out" : "no leader / error");
		return ETCD_UNAVAILABLE;
	}
	(void)expire_due(m);
	return ETCD_OK;
}

/* end: releases the lock, waking the watchers when the request changed something. */
static void end(struct dcs_mem *m, bool changed)
{
	if (changed)
		wake_watchers(m);
	pthread_mutex_unlock(&m->mu);
}

static void copy_kv(struct etcd_kv *out, const struct mem_key *k, bool keys_only)
{
	memset(out, 0, sizeof(*out));
	out->key = xstrdup(k->key);
	out->key_len = strlen(out->key);
	out->value = xstrdup(keys_only ? "" : k->value);
	out->value_len = strlen(out->value);
	out->create_revision = k->create_rev;
	out->mod_revision = k->mod_rev;
	out->version = k->version;
	out->lease = k->lease;
}

static int newer_first(const void *a, const void *b)
{
	const struct etcd_kv *x = a, *y = b;

	return x->mod_revision < y->mod_revision ? 1 : x->mod_revision > y->mod_revision ? -1 : 0;
}

/* range_locked: the keys of req, as etcd returns them. */
static void range_locked(struct dcs_mem *m, const struct etcd_range_req *req, struct etcd_kvs *out)
{
	memset(out, 0, sizeof(*out));
	out->items = xcalloc((size_t)m->n_keys + 1, sizeof(*out->items));
	for (int i = 0; i < m->n_keys; i++) {
		if (!in_range(m->keys[i].key, req->key, req->range_end))
			continue;
		out->count++;
		if (!req->count_only)
			copy_kv(&out->items[out->n++], &m->keys[i], req->keys_only);
	}
	if (req->newest_first)
		qsort(out->items, (size_t)out->n, sizeof(*out->items), newer_first);
	while (req->limit > 0 && out->n > req->limit)
		etcd_kv_free(&out->items[--out->n]);
}

static void header(const struct dcs_mem *m, struct etcd_header *hdr)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->cluster_id = 1;
	hdr->member_id = 1;
	hdr->revision = m->revision;
	hdr->raft_term = 1;
}

static enum etcd_status ms_range(struct dcs_store *s, const struct etcd_range_req *req,
                                 struct etcd_kvs *out, struct etcd_header *hdr)
{
	enum etcd_status st = begin(mc(s));

	if (st != ETCD_OK)
		return st;
	range_locked(mc(s)->m, req, out);
	if (hdr != NULL)
		header(mc(s)->m, hdr);
	end(mc(s)->m, false);
	return ETCD_OK;
}

static enum etcd_status ms_put(struct dcs_store *s, const char *key, const char *value,
                               int64_t lease, int64_t *revision)
{
	struct dcs_mem *m = mc(s)->m;
	enum etcd_status st = begin(mc(s));

	if (st != ETCD_OK)
		return st;
	if (lease != 0 && find_lease(m, lease) == NULL) {
		end(m, false);
		log_warn("dcs-mem: put of %s: requested lease not found", key);
		return ETCD_NO_LEASE;
	}
	put_key(m, key, value, lease, ++m->revision);
	if (revision != NULL)
		*revision = m->revision;
	end(m, true);
	return ETCD_OK;
}

static enum etcd_status ms_del(struct dcs_store *s, const char *key, const char *range_end,
                               int64_t *deleted)
{
	struct dcs_mem *m = mc(s)->m;
	enum etcd_status st = begin(mc(s));
	int64_t n;

	if (st != ETCD_OK)
		return st;
	n = delete_range(m, key, range_end);
	if (n > 0)
		m->revision++;
	if (deleted != NULL)
		*deleted = n;
	end(m, n > 0);
	return ETCD_OK;
}

/* --- transactions ---------------------------------------------------------------------------- */

static int cmp_int(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static bool compare_holds(struct dcs_mem *m, const struct etcd_compare *c)
{
	const struct mem_key *k = find_key(m, c->key);
	int r = 0;

	switch (c->target) {
	case ETCD_TARGET_VERSION:
		r = cmp_int(k ? k->version : 0, c->number);
		break;
	case ETCD_TARGET_CREATE:
		r = cmp_int(k ? k->create_rev : 0, c->number);
		break;
	case ETCD_TARGET_MOD:
		r = cmp_int(k ? k->mod_rev : 0, c->number);
		break;
	case ETCD_TARGET_VALUE:
		r = strcmp(k ? k->value : "", c->value ? c->value : "");
		break;
	case ETCD_TARGET_LEASE:
		r = cmp_int(k ? k->lease : 0, c->number);
		break;
	case ETCD_TARGET__COUNT:
		break;
	}
	switch (c->result) {
	case ETCD_CMP_EQUAL:
		return r == 0;
	case ETCD_CMP_GREATER:
		return r > 0;
	case ETCD_CMP_LESS:
		return r < 0;
	case ETCD_CMP_NOT_EQUAL:
		return r != 0;
	case ETCD_CMP__COUNT:
		break;
	}
	return false;
}

/* branch_ok: every lease a put of the branch names exists (else etcd fails the txn). */
static bool branch_ok(struct dcs_mem *m, const struct etcd_op *ops, int n, bool *writes)
{
	*writes = false;
	for (int i = 0; i < n; i++) {
		if (ops[i].type != ETCD_OP_RANGE)
			*writes = true;
		if (ops[i].type == ETCD_OP_PUT && ops[i].lease != 0 &&
		    find_lease(m, ops[i].lease) == NULL)
			return false;
	}
	return true;
}

static void run_op(struct dcs_mem *m, const struct etcd_op *op, int64_t rev,
                   struct etcd_op_reply *r)
{
	struct etcd_range_req rr = {.key = op->key, .range_end = op->range_end};

	memset(r, 0, sizeof(*r));
	r->type = op->type;
	switch (op->type) {
	case ETCD_OP_RANGE:
		range_locked(m, &rr, &r->kvs);
		break;
	case ETCD_OP_PUT:
		put_key(m, op->key, op->value ? op->value : "", op->lease, rev);
		break;
	case ETCD_OP_DELETE:
		r->deleted = delete_range(m, op->key, op->range_end);
		break;
	case ETCD_OP__COUNT:
		break;
	}
}

static enum etcd_status ms_txn(struct dcs_store *s, const struct etcd_txn_req *req,
                               struct etcd_txn_reply *out)
{
	struct dcs_mem *m = mc(s)->m;
	enum etcd_status st = begin(mc(s));
	const struct etcd_op *ops;
	bool holds = true, writes;
	int n;

	if (st != ETCD_OK)
		return st;
	for (int i = 0; i < req->n_compare; i++)
		holds = holds && compare_holds(m, &req->compare[i]);
	ops = holds ? req->success : req->failure;
	n = holds ? req->n_success : req->n_failure;
	if (!branch_ok(m, ops, n, &writes)) {
		end(m, false);
		log_warn("dcs-mem: transaction: requested lease not found");
		return ETCD_NO_LEASE;
	}
	memset(out, 0, sizeof(*out));
	out->succeeded = holds;
	out->responses = xcalloc((size_t)n + 1, sizeof(*out->responses));
	out->n_responses = n;
	if (writes)
		m->revision++;
	for (int i = 0; i < n; i++)
		run_op(m, &ops[i], m->revision, &out->responses[i]);
	header(m, &out->header);
	end(m, writes);
	return ETCD_OK;
}

/* --- leases ---------------------------------------------------------------------------------- */

static enum etcd_status ms_lease_grant(struct dcs_store *s, int ttl_s, int64_t *lease,
                                       int *granted_ttl_s)
{
	struct dcs_mem *m = mc(s)->m;
	enum etcd_status st = begin(mc(s));
	struct mem_lease *l;

	if (st != ETCD_OK)
		return st;
	if (m->n_leases == m->cap_leases) {
		m->cap_leases = m->cap_leases ? 2 * m->cap_leases : 8;
		m->leases = xrealloc(m->leases, (size_t)m->cap_leases * sizeof(*m->leases));
	}
	l = &m->leases[m->n_leases++];
	l->id = ++m->next_lease;
	l->ttl_s = MAX(ttl_s, DCS_MEM_MIN_TTL_S); /* etcd raises short TTLs */
	l->expiry_ms = clocksrc_now_ms(m->clock) + (int64_t)l->ttl_s * 1000;
	*lease = l->id;
	if (granted_ttl_s != NULL)
		*granted_ttl_s = l->ttl_s;
	clocksrc_signal(m->clock, &m->lessor_cv);
	end(m, false);
	return ETCD_OK;
}

static enum etcd_status ms_lease_keepalive(struct dcs_store *s, int64_t lease, int *ttl_s)
{
	struct dcs_mem *m = mc(s)->m;
	enum etcd_status st = begin(mc(s));
	struct mem_lease *l;
	struct mem_member *f;

	if (st != ETCD_OK)
		return st;
	l = find_lease(m, lease);
	*ttl_s = l ? l->ttl_s : 0; /* 0: the lease is gone */
	if (l != NULL) {
		/* The leader resets expiry to now + TTL when it serves the keepalive. */
		l->expiry_ms = clocksrc_now_ms(m->clock) + (int64_t)l->ttl_s * 1000;
		f = member_of(m, mc(s)->member);
		f->stats.keepalives++;
		f->stats.last_keepalive_ms = clocksrc_now_ms(m->clock);
	}
	end(m, false);
	return ETCD_OK;
}

static enum etcd_status ms_lease_revoke(struct dcs_store *s, int64_t lease)
{
	struct dcs_mem *m = mc(s)->m;
	enum etcd_status st = begin(mc(s));
	bool known;

	if (st != ETCD_OK)
		return st;
	known = find_lease(m, lease) != NULL;
	if (known)
		drop_lease(m, lease);
	end(m, known);
	return known ? ETCD_OK : ETCD_NO_LEASE;
}

/* --- the watched copy ---------------------------------------------------------------------------
 */

/* view_locked: the prefix as a view, built as the etcd watch builds it. */
static void view_locked(struct dcs_mem *m, const char *prefix, struct dcs_view *view)
{
	struct dcs_kv *kvs = xcalloc((size_t)m->n_keys + 1, sizeof(*kvs));
	size_t plen = strlen(prefix);
	char warn[1024] = "";
	int n = 0;

	for (int i = 0; i < m->n_keys; i++) {
		const struct mem_key *k = &m->keys[i];

		if (strncmp(k->key, prefix, plen) != 0)
			continue;
		kvs[n++] = (struct dcs_kv){.key = k->key,
		                           .value = k->value,
		                           .create_revision = k->create_rev,
		                           .mod_revision = k->mod_rev,
		                           .lease = k->lease};
	}
	dcs_view_from_kvs(view, prefix, kvs, n, m->revision, warn, sizeof(warn));
	free(kvs);
}

/* follow: brings c's copy up to date when it reaches the cluster; mu held. */
static void follow(struct mem_client *c)
{
	struct dcs_mem *m = c->m;

	if (!reaches(m, c)) {
		if (!c->lost) {
			c->lost = true;
			c->lost_since_ms = clocksrc_now_ms(m->clock);
		}
		return;
	}
	(void)expire_due(m);
	if (c->has_last)
		dcs_view_free(&c->last);
	view_locked(m, c->prefix, &c->last);
	c->has_last = true;
	c->lost = false;
}

static bool ms_watch_view(struct dcs_store *s, struct dcs_view *view, int max_age_ms, int wait_ms)
{
	struct mem_client *c = mc(s);
	bool ok;

	(void)wait_ms; /* the copy is loaded at once when the cluster is reachable */
	memset(view, 0, sizeof(*view));
	pthread_mutex_lock(&c->m->mu);
	follow(c);
	ok = c->has_last;
	if (ok) {
		dcs_view_copy(view, &c->last);
		/* Stale, or refused by the decoder (dcs_view_from_kvs): not valid. */
		view->valid =
		    view->valid && (!c->lost || max_age_ms < 0 ||
		                    clocksrc_now_ms(c->m->clock) - c->lost_since_ms <= max_age_ms);
	}
	pthread_mutex_unlock(&c->m->mu);
	return ok;
}

static bool ms_watch_synced(struct dcs_store *s)
{
	bool synced;

	pthread_mutex_lock(&mc(s)->m->mu);
	synced = reaches(mc(s)->m, mc(s));
	pthread_mutex_unlock(&mc(s)->m->mu);
	return synced;
}

static void ms_watch_check_soon(struct dcs_store *s)
{
	(void)s; /* the copy is always checked against the cluster when read */
}

static bool ms_watch_contradicts(struct dcs_store *s, const char *key, const char *value,
                                 int64_t lease, int64_t since_revision)
{
	struct dcs_mem *m = mc(s)->m;
	const struct mem_key *k;
	bool differs = false;

	pthread_mutex_lock(&m->mu);
	if (reaches(m, mc(s)) && m->revision >= since_revision) {
		(void)expire_due(m);
		k = find_key(m, key);
		differs = k == NULL || strcmp(k->value, value) != 0 || k->lease != lease;
	}
	pthread_mutex_unlock(&m->mu);
	return differs;
}

/* --- clients -------------------------------------------------------------------------------------
 */

static void ms_close(struct dcs_store *s)
{
	struct mem_client *c = mc(s);
	struct mem_client **p;

	pthread_mutex_lock(&c->m->mu);
	for (p = &c->m->clients; *p != c; p = &(*p)->next)
		;
	*p = c->next;
	pthread_mutex_unlock(&c->m->mu);
	if (c->has_last)
		dcs_view_free(&c->last);
	free(c->prefix);
	free(c);
}

static void ms_set_timeouts(struct dcs_store *s, int request_timeout_ms, int op_timeout_ms,
                            int hedge_ms)
{
	(void)hedge_ms; /* one in-memory cluster: nobody to hedge to */
	pthread_mutex_lock(&mc(s)->m->mu);
	if (request_timeout_ms > 0)
		mc(s)->request_timeout_ms = request_timeout_ms;
	mc(s)->op_timeout_ms = op_timeout_ms;
	pthread_mutex_unlock(&mc(s)->m->mu);
}

static int ms_op_timeout_ms(struct dcs_store *s)
{
	int t;

	pthread_mutex_lock(&mc(s)->m->mu);
	t = op_timeout(mc(s));
	pthread_mutex_unlock(&mc(s)->m->mu);
	return t;
}

static const struct dcs_store_ops mem_store_ops = {
    .close = ms_close,
    .set_timeouts = ms_set_timeouts,
    .op_timeout_ms = ms_op_timeout_ms,
    .range = ms_range,
    .put = ms_put,
    .del = ms_del,
    .txn = ms_txn,
    .lease_grant = ms_lease_grant,
    .lease_keepalive = ms_lease_keepalive,
    .lease_revoke = ms_lease_revoke,
    .watch_view = ms_watch_view,
    .watch_synced = ms_watch_synced,
    .watch_check_soon = ms_watch_check_soon,
    .watch_contradicts = ms_watch_contradicts,
};

struct dcs_store *dcs_store_mem_open(const struct dcs_store_options *opt)
{
	struct dcs_mem *m = opt->dcs->mem;
	struct mem_client *c;

	pthread_mutex_lock(&m->mu);
	if (m->fail_opens > 0) {
		m->fail_opens--;
		pthread_mutex_unlock(&m->mu);
		log_error("dcs: cannot open a client of the in-memory cluster (injected failure)");
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->base.ops = &mem_store_ops;
	c->m = m;
	snprintf(c->member, sizeof(c->member), "%s",
	         opt->dcs->member_name ? opt->dcs->member_name : "");
	(void)member_of(m, c->member);
	c->request_timeout_ms = opt->dcs->request_timeout_ms;
	c->op_timeout_ms = opt->dcs->op_timeout_ms;
	c->wake_fd = opt->wake_fd;
	c->prefix = opt->watch_prefix ? xstrdup(opt->watch_prefix) : NULL;
	c->next = m->clients;
	m->clients = c;
	pthread_mutex_unlock(&m->mu);
	return &c->base;
}

/* --- the cluster -------------------------------------------------------------------------------
 */

struct dcs_mem *dcs_mem_new(struct clocksrc *clock)
{
	struct dcs_mem *m = xcalloc(1, sizeof(*m));
	int rc;

	m->clock = clock != NULL ? clock : clocksrc_real();
	m->revision = 1;
	m->next_lease = 0x7000;
	pthread_mutex_init(&m->mu, NULL);
	clocksrc_cond_init(&m->lessor_cv);
	clocksrc_thread_add(m->clock);
	rc = thread_start(&m->lessor, "dcs-mem-lessor", lessor_main, m);
	if (rc != 0) { /* a test machine out of threads: nothing sensible to do */
		fprintf(stderr, "dcs_mem_new: cannot start the lessor thread (%d)\n", rc);
		abort();
	}
	return m;
}

void dcs_mem_free(struct dcs_mem *m)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->mu);
	m->stop = true;
	clocksrc_signal(m->clock, &m->lessor_cv);
	pthread_mutex_unlock(&m->mu);
	pthread_join(m->lessor, NULL);
	for (int i = 0; i < m->n_keys; i++) {
		free(m->keys[i].key);
		free(m->keys[i].value);
	}
	free(m->keys);
	free(m->leases);
	pthread_cond_destroy(&m->lessor_cv);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

void dcs_mem_set_reachable(struct dcs_mem *m, const char *member, bool reachable)
{
	pthread_mutex_lock(&m->mu);
	member_of(m, member)->unreachable = !reachable;
	cut_off_watchers(m);
	wake_all(m); /* a watch notices losing or regaining the cluster */
	pthread_mutex_unlock(&m->mu);
}

void dcs_mem_set_latency(struct dcs_mem *m, const char *member, int64_t latency_ms)
{
	pthread_mutex_lock(&m->mu);
	member_of(m, member)->latency_ms = latency_ms;
	pthread_mutex_unlock(&m->mu);
}

void dcs_mem_fail_next(struct dcs_mem *m, const char *member, int n)
{
	pthread_mutex_lock(&m->mu);
	member_of(m, member)->fail_next = n;
	pthread_mutex_unlock(&m->mu);
}

void dcs_mem_set_quorum(struct dcs_mem *m, bool has_quorum)
{
	int64_t now = clocksrc_now_ms(m->clock);

	pthread_mutex_lock(&m->mu);
	if (m->quorum_lost && has_quorum) {
		/* A new raft leader: every lease counts afresh from its full TTL. */
		for (int i = 0; i < m->n_leases; i++)
			m->leases[i].expiry_ms =
			    now + (int64_t)m->leases[i].ttl_s * 1000 + DCS_MEM_ELECTION_MS;
	}
	m->quorum_lost = !has_quorum;
	cut_off_watchers(m);
	clocksrc_signal(m->clock, &m->lessor_cv);
	wake_all(m);
	pthread_mutex_unlock(&m->mu);
}

void dcs_mem_revoke_all(struct dcs_mem *m)
{
	pthread_mutex_lock(&m->mu);
	while (m->n_leases > 0)
		drop_lease(m, m->leases[0].id);
	wake_watchers(m);
	pthread_mutex_unlock(&m->mu);
}

void dcs_mem_fail_opens(struct dcs_mem *m, int n)
{
	pthread_mutex_lock(&m->mu);
	m->fail_opens = n;
	pthread_mutex_unlock(&m->mu);
}

bool dcs_mem_get(struct dcs_mem *m, const char *key, char **value, int64_t *lease)
{
	const struct mem_key *k;

	pthread_mutex_lock(&m->mu);
	(void)expire_due(m);
	k = find_key(m, key);
	if (k != NULL) {
		*value = xstrdup(k->value);
		if (lease != NULL)
			*lease = k->lease;
	}
	pthread_mutex_unlock(&m->mu);
	return k != NULL;
}

bool dcs_mem_put(struct dcs_mem *m, const char *key, const char *value, int64_t lease)
{
	bool ok;

	pthread_mutex_lock(&m->mu);
	(void)expire_due(m);
	ok = lease == 0 || find_lease(m, lease) != NULL;
	if (ok)
		put_key(m, key, value, lease, ++m->revision);
	end(m, ok);
	return ok;
}

bool dcs_mem_delete(struct dcs_mem *m, const char *key)
{
	int64_t n;

	pthread_mutex_lock(&m->mu);
	n = delete_range(m, key, NULL);
	if (n > 0)
		m->revision++;
	end(m, n > 0);
	return n > 0;
}

int64_t dcs_mem_lease_expiry(struct dcs_mem *m, int64_t lease)
{
	const struct mem_lease *l;
	int64_t at;

	pthread_mutex_lock(&m->mu);
	(void)expire_due(m);
	l = find_lease(m, lease);
	at = l ? l->expiry_ms : 0;
	pthread_mutex_unlock(&m->mu);
	return at;
}

void dcs_mem_stats(struct dcs_mem *m, const char *member, struct dcs_mem_stats *out)
{
	pthread_mutex_lock(&m->mu);
	*out = member_of(m, member)->stats;
	pthread_mutex_unlock(&m->mu);
}
