/*
 * router_target.c: target table, eligibility rules and rise/fall health counters.
 *
 * Does: map DCS members to targets (by name, stable slots), detect leader changes,
 * keep HAProxy's single health counter per endpoint, pick targets (RW: the single
 * eligible leader; RO: round robin). Does not: do I/O, read clocks, or log; the loop
 * resolves addresses, runs checks and closes sessions on what this module reports.
 */
#include "router/router_target.h"

#include <stdio.h>
#include <string.h>
#include "util/compiler.h"
#include "util/strutil.h"

const char *rt_listener_str(enum rt_listener l)
{
	static const char *const names[RT__COUNT] = {[RT_RW] = "rw", [RT_RO] = "ro"};

	return (unsigned)l < RT__COUNT ? names[l] : "?";
}

void rt_table_init(struct rt_table *tbl, const struct router_config *cfg)
{
	memset(tbl, 0, sizeof(*tbl));
	tbl->rise = cfg->rise;
	tbl->fall = cfg->fall;
	tbl->kind = cfg->target;
	tbl->hold_on_switchover = cfg->hold_on_switchover;
	/* A switchover request nobody acts on must not keep the primary away for ever. */
	tbl->switchover_max_ms = cfg->hold_timeout_ms;
	tbl->rw_current = -1;
}

/* --- health counter ------------------------------------------------------------------ */

bool rt_health_up(const struct rt_health *h, int rise)
{
	return h->health >= rise;
}

bool rt_health_report(struct rt_health *h, bool ok, int rise, int fall)
{
	bool was_up = rt_health_up(h, rise);

	if (ok)
		h->health = h->health + 1 >= rise ? rise + fall - 1 : h->health + 1;
	else
		h->health = h->health > rise ? h->health - 1 : 0;
	return rt_health_up(h, rise) != was_up;
}

static bool health_transitional(const struct rt_health *h, int rise, int fall)
{
	return h->health != 0 && h->health != rise + fall - 1;
}

/* --- addresses ------------------------------------------------------------------------ */

bool rt_member_addr(const struct dcs_member *m, enum router_target_kind k, char *out, size_t size)
{
	char host[DCS_URL_LEN];
	int port;

	if (k == ROUTER_TARGET_POOLER && m->pooler[0] != '\0')
		return str_split_hostport(m->pooler, host, sizeof(host), &port) &&
		       str_copy(out, size, m->pooler);
	if (m->host[0] == '\0' || m->port <= 0 || m->port > 65535)
		return false;
	/* An IPv6 literal needs brackets to stay parseable as host:port. */
	if (strchr(m->host, ':') != NULL)
		return snprintf(out, size, "[%s]:%d", m->host, m->port) < (int)size;
	return snprintf(out, size, "%s:%d", m->host, m->port) < (int)size;
}

bool rt_api_base(const char *api_url, char *out, size_t size)
{
	const char *scheme_end = strstr(api_url, "://");
	const char *path;
	size_t len;

	if (scheme_end == NULL || !str_has_prefix(api_url, "http"))
		return false;
	path = strchr(scheme_end + 3, '/');
	len = path != NULL ? (size_t)(path - api_url) : strlen(api_url);
	if (len == (size_t)(scheme_end + 3 - api_url) || len >= size)
		return false;
	memcpy(out, api_url, len);
	out[len] = '\0';
	return true;
}

/* --- eligibility ---------------------------------------------------------------------- */

enum rt_check_kind rt_target_check_kind(const struct rt_target *t)
{
	return t->is_leader ? RT_CHECK_PRIMARY : RT_CHECK_REPLICA;
}

static bool switchover_holds(const struct rt_table *tbl, int64_t now_ms)
{
	return tbl->hold_on_switchover && tbl->switchover_pending &&
	       now_ms - tbl->switchover_seen_ms < tbl->switchover_max_ms;
}

bool rt_eligible(const struct rt_table *tbl, int i, enum rt_listener l, int64_t now_ms)
{
	const struct rt_target *t = &tbl->t[i];

	if (!t->in_use || !t->present || t->sa_len == 0 || t->penalty_until_ms > now_ms)
		return false;
	if (l == RT_RW)
		return t->is_leader && rt_health_up(&t->check[RT_CHECK_PRIMARY], tbl->rise) &&
		       !switchover_holds(tbl, now_ms);
	return !t->is_leader && rt_health_up(&t->check[RT_CHECK_REPLICA], tbl->rise);
}

static uint64_t eligible_mask(const struct rt_table *tbl, enum rt_listener l, int64_t now_ms)
{
	uint64_t mask = 0;

	for (int i = 0; i < RT_MAX_TARGETS; i++) {
		if (rt_eligible(tbl, i, l, now_ms))
			mask |= UINT64_C(1) << i;
	}
	return mask;
}

/* count_flips: counts targets whose eligibility differs from before[]; true if any. */
static bool count_flips(struct rt_table *tbl, const uint64_t before[RT__COUNT], int64_t now_ms)
{
	bool any = false;

	for (int l = 0; l < RT__COUNT; l++) {
		uint64_t diff = before[l] ^ eligible_mask(tbl, (enum rt_listener)l, now_ms);

		tbl->target_changes[l] += (uint64_t)__builtin_popcountll(diff);
		any = any || diff != 0;
	}
	return any;
}

static void snapshot_masks(const struct rt_table *tbl, uint64_t out[RT__COUNT], int64_t now_ms)
{
	for (int l = 0; l < RT__COUNT; l++)
		out[l] = eligible_mask(tbl, (enum rt_listener)l, now_ms);
}

int rt_select(struct rt_table *tbl, enum rt_listener l, int64_t now_ms)
{
	if (l == RT_RW) {
		for (int i = 0; i < RT_MAX_TARGETS; i++) {
			if (rt_eligible(tbl, i, RT_RW, now_ms))
				return i;
		}
		return -1;
	}
	for (int n = 0; n < RT_MAX_TARGETS; n++) {
		int i = (int)((tbl->rr_cursor + (unsigned)n) % RT_MAX_TARGETS);

		if (rt_eligible(tbl, i, RT_RO, now_ms)) {
			tbl->rr_cursor = (unsigned)i + 1;
			return i;
		}
	}
	return -1;
}

/* --- applying a view -------------------------------------------------------------------- */

static int find_target(const struct rt_table *tbl, const char *name)
{
	for (int i = 0; i < RT_MAX_TARGETS; i++) {
		if (tbl->t[i].in_use && strcmp(tbl->t[i].name, name) == 0)
			return i;
	}
	return -1;
}

static int new_target(struct rt_table *tbl, const char *name, int64_t now_ms)
{
	for (int i = 0; i < RT_MAX_TARGETS; i++) {
		struct rt_target *t = &tbl->t[i];

		if (t->in_use)
			continue;
		memset(t, 0, sizeof(*t));
		t->in_use = true;
		snprintf(t->name, sizeof(t->name), "%s", name);
		/* One pass confirms a member the DCS already vouches for: fast start. */
		for (int k = 0; k < RT_CHECK__COUNT; k++)
			t->check[k].health = tbl->rise - 1;
		t->next_check_ms = now_ms;
		return i;
	}
	return -1;
}

static void update_member(struct rt_table *tbl, struct rt_target *t, const struct dcs_member *m,
                          struct rt_changes *ch)
{
	char addr[DCS_URL_LEN];

	t->present = true;
	if (!rt_api_base(m->api_url, t->api_base, sizeof(t->api_base)))
		t->api_base[0] = '\0';
	if (!rt_member_addr(m, tbl->kind, addr, sizeof(addr)))
		addr[0] = '\0';
	if (strcmp(addr, t->addr) != 0) {
		snprintf(t->addr, sizeof(t->addr), "%s", addr);
		t->sa_len = 0;
		t->addr_changed = true;
		ch->addr_changed = true;
	}
}

static void sync_members(struct rt_table *tbl, const struct dcs_view *view, int64_t now_ms,
                         struct rt_changes *ch)
{
	for (int i = 0; i < RT_MAX_TARGETS; i++)
		/* A leader kept through a vanished key stays, with its last address. */
		tbl->t[i].present = !view->has_leader && tbl->t[i].in_use && tbl->t[i].is_leader;
	for (int m = 0; m < view->n_members; m++) {
		int i = find_target(tbl, view->members[m].name);

		if (i < 0)
			i = new_target(tbl, view->members[m].name, now_ms);
		if (i >= 0)
			update_member(tbl, &tbl->t[i], &view->members[m], ch);
	}
	for (int i = 0; i < RT_MAX_TARGETS; i++) {
		struct rt_target *t = &tbl->t[i];

		if (t->in_use && !t->present && t->sessions[RT_RW] + t->sessions[RT_RO] == 0)
			t->in_use = false;
	}
}

/* set_leader: moves the leader flag; a new leader is checked at once on /primary. */
static void set_leader(struct rt_table *tbl, const struct dcs_view *view, int64_t now_ms,
                       struct rt_changes *ch)
{
	bool handing_over = tbl->switchover_pending || view->failover.present;

	for (int i = 0; i < RT_MAX_TARGETS; i++) {
		struct rt_target *t = &tbl->t[i];
		bool leads = t->in_use && view->has_leader && strcmp(t->name, view->leader) == 0;

		/*
		 * No key at all: the last leader is kept on probation (rt_table_apply_view),
		 * unless a switchover was under way: then it released the key on purpose and
		 * is stepping down, and new clients wait for the next leader instead.
		 */
		t->kept = t->in_use && t->is_leader && !view->has_leader && !handing_over;
		if (t->kept)
			leads = true;
		if (leads == t->is_leader)
			continue;
		t->is_leader = leads;
		t->next_check_ms = now_ms;
		if (leads) {
			/* The DCS names it; one /primary pass confirms it. */
			t->check[RT_CHECK_PRIMARY].health = tbl->rise - 1;
			t->confirming = true;
			ch->new_leader = i;
		} else {
			t->confirming = false;
			/* A deposed primary must prove itself a replica from scratch. */
			t->check[RT_CHECK_PRIMARY].health = 0;
			t->check[RT_CHECK_REPLICA].health = 0;
			ch->lost_leader = i;
		}
	}
	tbl->has_leader = view->has_leader;
	snprintf(tbl->leader, sizeof(tbl->leader), "%s", view->has_leader ? view->leader : "");
}

static void set_switchover(struct rt_table *tbl, const struct dcs_view *view, int64_t now_ms,
                           int64_t wall_ms)
{
	const struct dcs_failover *f = &view->failover;
	bool due = f->present && f->scheduled_at_epoch_ms <= wall_ms;
	bool names_leader =
	    f->leader[0] == '\0' ? f->member[0] != '\0' : strcmp(f->leader, tbl->leader) == 0;

	tbl->switchover_pending = due && tbl->has_leader && names_leader;
	if (tbl->switchover_pending && f->mod_revision != tbl->switchover_revision) {
		tbl->switchover_revision = f->mod_revision;
		tbl->switchover_seen_ms = now_ms;
	}
}

void rt_table_apply_view(struct rt_table *tbl, const struct dcs_view *view, int64_t now_ms,
                         int64_t wall_ms, struct rt_changes *ch)
{
	uint64_t before[RT__COUNT];

	memset(ch, 0, sizeof(*ch));
	ch->lost_leader = -1;
	ch->new_leader = -1;
	snapshot_masks(tbl, before, now_ms);
	sync_members(tbl, view, now_ms, ch);
	set_leader(tbl, view, now_ms, ch);
	set_switchover(tbl, view, now_ms, wall_ms);
	tbl->has_view = true;
	ch->eligibility = count_flips(tbl, before, now_ms) || ch->addr_changed;
}

/*
 * confirm_leader: a new key holder is typically still promoting when the leader
 * change arrives, so its first /primary answers are 503. Those must not push it back
 * to needing `rise` passes: it is polled quickly (a HEAD on the agent every 20 ms for
 * the few hundred ms a promotion takes) and the first 200 makes it up.
 */
static void confirm_leader(struct rt_table *tbl, struct rt_target *t, bool ok, int64_t now_ms,
                           int interval_ms)
{
	struct rt_health *h = &t->check[RT_CHECK_PRIMARY];

	if (ok) {
		h->health = tbl->rise + tbl->fall - 1;
		t->confirming = false;
		t->next_check_ms = now_ms + interval_ms;
	} else {
		t->next_check_ms = now_ms + MAX(interval_ms / 25, 10); /* 20 ms at 500 ms */
	}
}

bool rt_table_check_result(struct rt_table *tbl, int i, enum rt_check_kind kind, int status,
                           int64_t now_ms, int interval_ms)
{
	struct rt_target *t = &tbl->t[i];
	uint64_t before[RT__COUNT];
	struct rt_health *h;

	if (!t->in_use || rt_target_check_kind(t) != kind)
		return false; /* the role changed while the check ran: its answer is moot */
	snapshot_masks(tbl, before, now_ms);
	if (t->kept && status != 200) {
		/* Without its key, the first failed /primary ends the probation for good. */
		t->kept = false;
		t->is_leader = false;
		t->check[RT_CHECK_PRIMARY].health = 0;
		t->check[RT_CHECK_REPLICA].health = 0;
		t->last_status = status;
		t->checks_failed++;
		return count_flips(tbl, before, now_ms);
	}
	h = &t->check[kind];
	t->last_status = status;
	if (status != 200)
		t->checks_failed++;
	if (t->confirming && kind == RT_CHECK_PRIMARY) {
		confirm_leader(tbl, t, status == 200, now_ms, interval_ms);
		return count_flips(tbl, before, now_ms);
	}
	(void)rt_health_report(h, status == 200, tbl->rise, tbl->fall);
	/* HAProxy's fastinter: a target in transition is re-checked sooner. */
	t->next_check_ms =
	    now_ms + (health_transitional(h, tbl->rise, tbl->fall) ? interval_ms / 4 : interval_ms);
	return count_flips(tbl, before, now_ms);
}
