/*
 * agent_failsafe.c: failsafe_mode on this node, both sides (docs/agent.md, "Failsafe
 * mode"; the rules themselves are pure, in ha_failsafe.c and ha_decide.c).
 *
 * As a replica: POST /failsafe from the primary this node knows opens a window of one
 * ttl in which it neither races, nor takes the leader key, nor promotes; taking the
 * key is bracketed by agent_fs_begin_race/end_race so that a POST is accepted either
 * before a race starts (then the race is refused) or not at all.
 * As the leader: keeps the failsafe key at its members (a CAS), and tells the lease
 * keeper whom its rounds must hear from: everyone the key names, and everyone a write
 * that may still land names, handed over before that write is sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "dcs/dcs_codec.h"
#include "ha/agent_int.h"
#include "ha/ha_failsafe.h"
#include "http/http.h"
#include "log/log.h"
#include "util/clocksrc.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define REFUSAL_LOG_MS 10000 /* the same refusal is logged again after this */

void agent_fs_init(struct agent *a)
{
	struct agent_fs *fs = &a->fs;

	pthread_mutex_init(&fs->mu, NULL);
	snprintf(fs->replica.self, sizeof(fs->replica.self), "%s", a->cfg.name);
	snprintf(fs->user, sizeof(fs->user), "%s", a->cfg.restapi.username);
	snprintf(fs->password, sizeof(fs->password), "%s", a->cfg.restapi.password);
	fs->seen.state = DCS_FS_VALID;
}

void agent_fs_free(struct agent *a)
{
	pthread_mutex_destroy(&a->fs.mu);
}

/* --- what the loop observes --------------------------------------------------------------- */

/*
 * remember: the members of a current view v; one missing from current views for longer
 * than keep_ms is forgotten. Absence counts only in current views: after an etcd outage
 * that took every lease with it, the members have keep_ms to register again.
 */
static void remember(struct agent_fs *fs, const struct dcs_view *v, int64_t now, int64_t keep_ms)
{
	struct dcs_failsafe *s = &fs->seen;

	for (int i = s->n - 1; i >= 0; i--) {
		if (dcs_view_member(v, s->names[i]) != NULL)
			continue;
		if (fs->seen_ms[i] == 0)
			fs->seen_ms[i] = now; /* absent from now on */
		if (now - fs->seen_ms[i] <= keep_ms)
			continue;
		s->n--;
		memmove(s->names[i], s->names[i + 1], (size_t)(s->n - i) * DCS_NAME_LEN);
		memmove(s->api_urls[i], s->api_urls[i + 1], (size_t)(s->n - i) * DCS_URL_LEN);
		memmove(&fs->seen_ms[i], &fs->seen_ms[i + 1], (size_t)(s->n - i) * sizeof(int64_t));
	}
	for (int m = 0; m < v->n_members; m++) {
		const struct dcs_member *mb = &v->members[m];
		int i = 0;

		while (i < s->n && !str_eq(s->names[i], mb->name))
			i++;
		if (mb->api_url[0] == '\0' || (i == s->n && s->n == DCS_MAX_MEMBERS))
			continue;
		if (i == s->n)
			snprintf(s->names[s->n++], DCS_NAME_LEN, "%s", mb->name);
		snprintf(s->api_urls[i], DCS_URL_LEN, "%s", mb->api_url);
		fs->seen_ms[i] = 0; /* present */
	}
}

/* recent_absent: members seen lately that the view lacks (the list's debounce). */
static void recent_absent(const struct agent_fs *fs, const struct dcs_view *v,
                          struct dcs_failsafe *out)
{
	memset(out, 0, sizeof(*out));
	out->state = DCS_FS_VALID;
	for (int i = 0; i < fs->seen.n; i++) {
		if (dcs_view_member(v, fs->seen.names[i]) != NULL)
			continue;
		memcpy(out->names[out->n], fs->seen.names[i], DCS_NAME_LEN);
		memcpy(out->api_urls[out->n], fs->seen.api_urls[i], DCS_URL_LEN);
		out->n++;
	}
}

/* note_leader: the leader key's holder in a current view; a window it contradicts ends. */
static void note_leader(struct agent *a, const struct dcs_view *v)
{
	struct agent_fs *fs = &a->fs;
	const struct dcs_member *m = dcs_view_leader_member(v);

	if (!v->has_leader || v->leader[0] == '\0')
		return;
	if (m != NULL && m->api_url[0] != '\0')
		snprintf(fs->leader_url, sizeof(fs->leader_url), "%s", m->api_url);
	else if (!str_eq(fs->replica.last_leader, v->leader))
		fs->leader_url[0] = '\0'; /* a new leader whose URL we do not know yet */
	snprintf(fs->replica.last_leader, sizeof(fs->replica.last_leader), "%s", v->leader);
	/* etcd has the last word: someone else leads now. Our own name on the key (an
	 * acquire applied late) leaves the window open: we wait it out. */
	if (fs->window_until_ms != 0 && !str_eq(v->leader, fs->window_leader) &&
	    !str_eq(v->leader, a->cfg.name)) {
		log_info("failsafe: %s holds the leader key now; the window for %s is closed",
		         v->leader, fs->window_leader);
		fs->window_until_ms = 0;
	}
}

/* refresh_replica: the facts POST /failsafe is judged on. fs->mu held. */
static void refresh_replica(struct agent *a, const struct ha_input *in)
{
	struct agent_fs *fs = &a->fs;
	const struct pg_observation *pg = &in->pg;

	fs->replica.mode = a->dyn->cfg.failsafe_mode;
	fs->replica.primary = pg->proc == PG_PROC_RUNNING && pg->connected && !pg->in_recovery;
	fs->replica.timeline = pg->timeline;
	snprintf(fs->replica.upstream, sizeof(fs->replica.upstream), "%s", a->upstream);
	fs->ttl_ms = in->settings.ttl_ms;
	fs->lsn = pg->in_recovery ? pg_observation_lsn(pg) : 0;
}

void agent_fs_observe(struct agent *a, struct ha_input *in)
{
	struct agent_fs *fs = &a->fs;

	in->failsafe.mode = a->dyn->cfg.failsafe_mode;
	agent_api_url(a, in->failsafe.my_api_url, sizeof(in->failsafe.my_api_url));
	if (in->dcs_ok)
		remember(fs, &in->view, in->now_ms, 2 * in->settings.ttl_ms);
	recent_absent(fs, &in->view, &in->failsafe.recent);
	pthread_mutex_lock(&fs->mu);
	if (in->dcs_ok)
		note_leader(a, &in->view);
	refresh_replica(a, in);
	in->failsafe.window_until_ms = fs->window_until_ms;
	memcpy(in->failsafe.window_leader, fs->window_leader, DCS_NAME_LEN);
	pthread_mutex_unlock(&fs->mu);
}

void agent_fs_probe_extra(struct agent *a, const struct ha_input *in, struct dcs_failsafe *out)
{
	const struct dcs_failsafe *key = &in->view.failsafe;
	const char *last = a->fs.replica.last_leader; /* written by this thread only */

	memset(out, 0, sizeof(*out));
	out->state = DCS_FS_VALID;
	for (int i = 0; key->state == DCS_FS_VALID && i < key->n; i++) {
		memcpy(out->names[out->n], key->names[i], DCS_NAME_LEN);
		memcpy(out->api_urls[out->n], key->api_urls[i], DCS_URL_LEN);
		out->n++;
	}
	if (last[0] != '\0' && a->fs.leader_url[0] != '\0' && !dcs_failsafe_has(out, last) &&
	    out->n < DCS_MAX_MEMBERS) {
		snprintf(out->names[out->n], DCS_NAME_LEN, "%s", last);
		snprintf(out->api_urls[out->n], DCS_URL_LEN, "%s", a->fs.leader_url);
		out->n++;
	}
}

/* --- the race ------------------------------------------------------------------------------ */

bool agent_fs_begin_race(struct agent *a)
{
	struct agent_fs *fs = &a->fs;
	int64_t now = clocksrc_now_ms(a->clock);
	bool open;

	pthread_mutex_lock(&fs->mu);
	open = now < fs->window_until_ms;
	if (!open)
		fs->replica.racing = true;
	pthread_mutex_unlock(&fs->mu);
	if (open)
		log_warn("not taking the leader key: %s, running without etcd, was confirmed "
		         "over POST /failsafe less than a ttl ago",
		         fs->window_leader);
	return !open;
}

void agent_fs_end_race(struct agent *a, bool acquired)
{
	struct agent_fs *fs = &a->fs;

	pthread_mutex_lock(&fs->mu);
	fs->replica.racing = false;
	if (acquired) { /* we lead now: every POST is refused from here on */
		snprintf(fs->replica.last_leader, sizeof(fs->replica.last_leader), "%s",
		         a->cfg.name);
		fs->window_until_ms = 0;
	}
	pthread_mutex_unlock(&fs->mu);
}

/* --- the leader's side: the key and the keeper -------------------------------------------------
 */

/* forget_obsolete: drops the writes that can no longer matter (ha_fs_write_obsolete). */
static void forget_obsolete(struct agent_fs *fs, int64_t view_rev)
{
	int kept = 0;

	for (int i = 0; i < fs->n_writes; i++)
		if (!ha_fs_write_obsolete(&fs->writes[i], view_rev))
			fs->writes[kept++] = fs->writes[i];
	fs->n_writes = kept;
}

/* usable: the failsafe list confirmed in etcd names us (read while leading, or written). */
static bool usable(const struct agent *a, const struct ha_input *in)
{
	const struct dcs_view *v = &in->view;
	bool leading = in->lease.held && (!v->has_leader || str_eq(v->leader, a->cfg.name));

	if (leading && dcs_failsafe_has(&v->failsafe, a->cfg.name))
		return true;
	for (int i = 0; i < a->fs.n_writes; i++)
		if (a->fs.writes[i].new_revision > 0 &&
		    dcs_failsafe_has(&a->fs.writes[i].list, a->cfg.name))
			return true;
	return false;
}

/* post_body: {"name","conn_url","api_url","timeline"}, what a Patroni replica reads too. */
static void post_body(struct agent *a, const struct ha_input *in, char *out, size_t size)
{
	char conn_url[300], api_url[300];
	json_t *o = json_object();
	char *text;

	agent_conn_url(a, conn_url, sizeof(conn_url));
	agent_api_url(a, api_url, sizeof(api_url));
	json_object_set_new(o, "name", json_string(a->cfg.name));
	json_object_set_new(o, "conn_url", json_string(conn_url));
	json_object_set_new(o, "api_url", json_string(api_url));
	if (in->pg.timeline > 0)
		json_object_set_new(o, "timeline", json_integer(in->pg.timeline));
	text = json_dumps(o, JSON_COMPACT);
	snprintf(out, size, "%s", text ? text : "{}");
	free(text);
	json_decref(o);
}

/* hand_keeper: the keeper's failsafe settings from in and the writes so far. */
static void hand_keeper(struct agent *a, const struct ha_input *in, bool mode)
{
	struct lease_failsafe *lf = xcalloc(1, sizeof(*lf));
	const struct dcs_failover *fo = &in->view.failover;

	lf->mode = mode;
	lf->usable = mode && usable(a, in);
	ha_fs_targets(&in->view.failsafe, a->fs.writes, a->fs.n_writes, a->cfg.name, &lf->targets);
	post_body(a, in, lf->body, sizeof(lf->body));
	lf->retake_ok = in->pg.timeline >= dcs_view_timeline(&in->view) &&
	                !(fo->present && fo->member[0] && !str_eq(fo->member, a->cfg.name));
	lease_keeper_set_failsafe(a->lease, lf);
	free(lf);
}

void agent_fs_after_cycle(struct agent *a, const struct ha_input *in)
{
	if (!in->dcs_ok)
		return; /* cut off from etcd, the keeper keeps what it last knew */
	forget_obsolete(&a->fs, in->view.failsafe.mod_revision);
	hand_keeper(a, in, a->dyn->cfg.failsafe_mode);
}

enum dcs_cas agent_fs_publish(struct agent *a, const struct ha_input *in,
                              const struct dcs_failsafe *list)
{
	struct agent_fs *fs = &a->fs;
	struct ha_fs_write *w;
	char *json;
	enum dcs_cas r;

	forget_obsolete(fs, in->view.failsafe.mod_revision);
	if (fs->n_writes == AGENT_FS_WRITES)
		return DCS_CAS_ERROR; /* earlier writes still unresolved: the next cycle */
	w = &fs->writes[fs->n_writes++];
	w->list = *list;
	w->base_revision = in->view.failsafe.mod_revision;
	w->new_revision = 0;
	/* The keeper asks the new members before the write can land (docs/agent.md). */
	hand_keeper(a, in, a->dyn->cfg.failsafe_mode);
	json = dcs_failsafe_encode(list);
	r = dcs_failsafe_write(a->dcs, json, w->base_revision, &w->new_revision);
	free(json);
	if (r == DCS_CAS_CONFLICT)
		fs->n_writes--; /* it did not land and never will */
	else if (r == DCS_CAS_OK)
		log_info("failsafe key: %d member(s)", list->n);
	hand_keeper(a, in, a->dyn->cfg.failsafe_mode);
	return r;
}

enum dcs_cas agent_fs_delete(struct agent *a, const struct ha_input *in)
{
	enum dcs_cas r;

	/* The keeper stops relying on the key before it goes. */
	hand_keeper(a, in, false);
	r = dcs_failsafe_delete(a->dcs, in->view.failsafe.mod_revision);
	if (r == DCS_CAS_OK)
		log_info("failsafe_mode is off: failsafe key deleted");
	return r;
}

int64_t agent_fs_live_until(struct agent *a, const struct ha_lease *lease)
{
	int64_t now = clocksrc_now_ms(a->clock);
	int64_t until = 0;

	if (ha_fs_carries(lease, now))
		return lease->fs_deadline_ms;
	pthread_mutex_lock(&a->fs.mu);
	if (now < a->fs.window_until_ms)
		until = a->fs.window_until_ms;
	pthread_mutex_unlock(&a->fs.mu);
	return until;
}

/* --- POST /failsafe ----------------------------------------------------------------------------
 */

/* judge: the verdict on p, opening the window on acceptance. fs->mu held. */
static enum ha_fs_verdict judge(struct agent *a, const struct api_failsafe_post *req, int64_t now,
                                bool *opened)
{
	struct agent_fs *fs = &a->fs;
	struct ha_fs_post p = {.timeline = req->timeline};
	enum ha_fs_verdict v;

	snprintf(p.name, sizeof(p.name), "%s", req->name);
	v = ha_failsafe_accept(&fs->replica, &p);
	*opened = false;
	if (v != HA_FS_ACCEPT)
		return v;
	*opened = now >= fs->window_until_ms || !str_eq(fs->window_leader, req->name);
	fs->window_until_ms = now + fs->ttl_ms;
	snprintf(fs->window_leader, sizeof(fs->window_leader), "%s", req->name);
	return v;
}

/* log_verdict: a window that opens, and refusals (at most every REFUSAL_LOG_MS). fs->mu held. */
static void log_verdict(struct agent_fs *fs, const struct api_failsafe_post *req,
                        enum ha_fs_verdict v, bool opened, int64_t now)
{
	if (opened)
		log_warn("failsafe: %s runs without etcd and asked us to confirm it: no race or "
		         "promotion here for %lld ms after its last request",
		         req->name, (long long)fs->ttl_ms);
	if (v == HA_FS_ACCEPT || now - fs->refusal_logged_ms < REFUSAL_LOG_MS)
		return;
	fs->refusal_logged_ms = now;
	log_warn("failsafe: refused %s's POST /failsafe: %s", req->name, ha_fs_verdict_str(v));
}

int agent_fs_post(void *ctx, const struct api_failsafe_post *req, struct buf *reply, char *lsn,
                  size_t lsnlen)
{
	struct agent *a = ctx;
	struct agent_fs *fs = &a->fs;
	int64_t now = clocksrc_now_ms(a->clock);
	enum ha_fs_verdict v = HA_FS_MODE_OFF;
	bool opened = false;

	pthread_mutex_lock(&fs->mu);
	if (fs->replica.mode && req->parse_status != 0) {
		pthread_mutex_unlock(&fs->mu);
		buf_puts(reply, req->why);
		return req->parse_status;
	}
	if (fs->replica.mode)
		v = judge(a, req, now, &opened);
	if (v == HA_FS_ACCEPT && fs->lsn > 0)
		snprintf(lsn, lsnlen, "%llu", (unsigned long long)fs->lsn);
	log_verdict(fs, req, v, opened, now);
	pthread_mutex_unlock(&fs->mu);
	if (v == HA_FS_NOT_LEADER)
		buf_printf(reply, "%s: %s is not the leader this node knows", ha_fs_verdict_str(v),
		           req->name);
	else
		buf_puts(reply, ha_fs_verdict_str(v));
	return v == HA_FS_ACCEPT ? 200 : v == HA_FS_MODE_OFF ? 502 : 500;
}

/* --- the keeper's rounds over HTTP
 * ---------------------------------------------------------------- */

/* failsafe_url: api_url with its path replaced by /failsafe (Patroni's rule). */
static void failsafe_url(const char *api_url, char *out, size_t size)
{
	const char *host = strstr(api_url, "://");
	const char *path = host != NULL ? strchr(host + 3, '/') : NULL;
	int len = path != NULL ? (int)(path - api_url) : (int)strlen(api_url);

	snprintf(out, size, "%.*s/failsafe", len, api_url);
}

void agent_fs_round(void *ctx, const struct dcs_failsafe *targets, const char *body, int timeout_ms,
                    bool *accepted)
{
	struct agent *a = ctx;
	char urls[DCS_MAX_MEMBERS][DCS_URL_LEN + 16];
	struct http_req reqs[DCS_MAX_MEMBERS] = {{0}};
	struct buf bodies[DCS_MAX_MEMBERS];
	long status[DCS_MAX_MEMBERS];
	int n = MIN(targets->n, DCS_MAX_MEMBERS);

	for (int i = 0; i < n; i++) {
		failsafe_url(targets->api_urls[i], urls[i], sizeof(urls[i]));
		buf_init(&bodies[i]);
		reqs[i] = (struct http_req){.method = "POST",
		                            .url = urls[i],
		                            .body = body,
		                            .user = a->fs.user,
		                            .password = a->fs.password,
		                            .tls = &a->cfg.ctl.tls,
		                            .timeout_ms = timeout_ms};
	}
	http_request_all(reqs, n, 4096, status, bodies);
	for (int i = 0; i < n; i++) {
		/* Patroni's rule: 200 and the body exactly "Accepted". */
		accepted[i] = status[i] == 200 && str_eq(bodies[i].data, "Accepted");
		buf_free(&bodies[i]);
	}
}
