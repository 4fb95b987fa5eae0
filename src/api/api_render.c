/*
 * api_render.c: JSON bodies of /patroni, /cluster, /history and /config in
 * Patroni's formats. LSNs are JSON integers (byte positions) everywhere except in
 * /cluster, where Patroni prints them as "X/Y" text. Pure: no I/O, no clock.
 */
#include "api/api_render.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>
#include "dcs/dcs_roles.h"
#include "util/strutil.h"
#include "util/xalloc.h"

/*
 * jstr: a JSON string of s. Names and states come from etcd and PostgreSQL (bad
 * input is possible): bytes that are not valid UTF-8 become '?' instead of making
 * the whole value (and the body) disappear.
 */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);
	char *copy;

	if (j != NULL)
		return j;
	copy = xstrdup(s);
	for (char *p = copy; *p != '\0'; p++) {
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	}
	j = json_string(copy);
	free(copy);
	return j;
}

static json_t *lsn_json(uint64_t lsn)
{
	return json_integer((json_int_t)lsn);
}

void api_format_pg_timestamp(int64_t epoch_ms, char *out, size_t size)
{
	time_t secs = (time_t)(epoch_ms / 1000);
	int ms = (int)(epoch_ms % 1000);
	struct tm tm;
	char date[32];

	if (ms < 0) {
		ms += 1000;
		secs--;
	}
	gmtime_r(&secs, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(out, size, "%s.%03d000+00:00", date, ms);
}

static json_t *xlog_primary(const struct api_snapshot *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "location", lsn_json(s->pg.wal_lsn));
	return o;
}

static json_t *xlog_replica(const struct api_snapshot *s, const struct api_facts *f)
{
	json_t *o = json_object();
	json_t *ts = json_null();

	if (s->pg.replay_timestamp_ms > 0) {
		char text[48];

		api_format_pg_timestamp(s->pg.replay_timestamp_ms, text, sizeof(text));
		ts = json_string(text);
	}
	json_object_set_new(o, "received_location", lsn_json(f->received_lsn));
	json_object_set_new(o, "replayed_location", lsn_json(f->replayed_lsn));
	json_object_set_new(o, "replayed_timestamp", ts);
	json_object_set_new(o, "paused", json_boolean(s->pg.replay_paused));
	return o;
}

static json_t *replication_list(const struct pg_observation *pg)
{
	json_t *list = json_array();

	for (int i = 0; i < pg->n_replication && i < PG_MAX_REPLICATION; i++) {
		const struct pg_replica_conn *r = &pg->replication[i];
		json_t *o = json_object();

		json_object_set_new(o, "application_name", jstr(r->application_name));
		json_object_set_new(o, "client_addr", jstr(r->client_addr));
		json_object_set_new(o, "state", jstr(r->state));
		json_object_set_new(o, "sync_state", jstr(r->sync_state));
		json_object_set_new(o, "sync_priority", json_integer(r->sync_priority));
		json_array_append_new(list, o);
	}
	return list;
}

/* add_postgres: the fields Patroni reads from PostgreSQL itself. */
static void add_postgres(json_t *o, const struct api_snapshot *s, const struct api_facts *f)
{
	if (s->pg.postmaster_start_text[0] != '\0')
		json_object_set_new(o, "postmaster_start_time", jstr(s->pg.postmaster_start_text));
	json_object_set_new(o, "role", jstr(f->role));
	json_object_set_new(o, "server_version", json_integer(s->pg.server_version));
	json_object_set_new(o, "xlog", f->is_replica ? xlog_replica(s, f) : xlog_primary(s));
	if (s->pg.timeline > 0)
		json_object_set_new(o, "timeline", json_integer(s->pg.timeline));
	if (f->is_replica && f->streaming)
		json_object_set_new(o, "replication_state", json_string("streaming"));
	if (s->pg.n_replication > 0)
		json_object_set_new(o, "replication", replication_list(&s->pg));
	if (f->is_sync)
		json_object_set_new(o, "sync_standby", json_true());
}

/* add_agent: the fields Patroni adds from its own state. */
static void add_agent(json_t *o, const struct api_snapshot *s, const struct api_facts *f)
{
	json_t *tags = s->tags_json != NULL ? json_loads(s->tags_json, 0, NULL) : NULL;
	json_t *patroni;

	if (s->pause)
		json_object_set_new(o, "pause", json_true());
	if (f->cluster_unlocked)
		json_object_set_new(o, "cluster_unlocked", json_true());
	json_object_set_new(o, "dcs_last_seen", json_integer(s->dcs_last_seen_s));
	if (json_is_object(tags) && json_object_size(tags) > 0)
		json_object_set(o, "tags", tags);
	json_decref(tags);
	if (s->pg.system_id[0] != '\0')
		json_object_set_new(o, "database_system_identifier", jstr(s->pg.system_id));
	if (s->pending_restart)
		json_object_set_new(o, "pending_restart", json_true());
	if (f->failsafe_active) /* Patroni shows the key only while it is true */
		json_object_set_new(o, "failsafe_mode_is_active", json_true());
	patroni = json_object();
	json_object_set_new(patroni, "version", jstr(s->version));
	json_object_set_new(patroni, "scope", jstr(s->scope));
	json_object_set_new(patroni, "name", jstr(s->name));
	json_object_set_new(o, "patroni", patroni);
}

json_t *api_render_status(const struct api_snapshot *s, const struct api_facts *f)
{
	json_t *o = json_object();

	json_object_set_new(o, "state", jstr(f->state));
	if (f->sql_ok)
		add_postgres(o, s, f);
	else
		json_object_set_new(o, "role", jstr(f->role));
	add_agent(o, s, f);
	return o;
}

/* member_tags: the tags a member key carries (the flags the view keeps of them). */
static json_t *member_tags(const struct dcs_member *m)
{
	json_t *tags = json_object();

	if (m->nofailover)
		json_object_set_new(tags, "nofailover", json_true());
	if (m->noloadbalance)
		json_object_set_new(tags, "noloadbalance", json_true());
	if (m->nosync)
		json_object_set_new(tags, "nosync", json_true());
	if (m->failover_priority != 1)
		json_object_set_new(tags, "failover_priority", json_integer(m->failover_priority));
	return tags;
}

/* add_lag: lsn/lag (and receive_, replay_ variants) against the reference position. */
static void add_lag(json_t *o, const char *prefix, uint64_t lsn, uint64_t ref)
{
	char lsn_key[32];
	char lag_key[32];
	char text[32];

	snprintf(lsn_key, sizeof(lsn_key), "%slsn", prefix);
	snprintf(lag_key, sizeof(lag_key), "%slag", prefix);
	if (lsn == 0) {
		json_object_set_new(o, lsn_key, json_string("unknown"));
		json_object_set_new(o, lag_key, json_string("unknown"));
		return;
	}
	str_format_lsn(lsn, text, sizeof(text));
	json_object_set_new(o, lsn_key, json_string(text));
	json_object_set_new(o, lag_key, json_integer((json_int_t)dcs_lag_bytes(ref, lsn)));
}

/* cluster_member: one member of /cluster; roles, states and lags follow dcs_roles.h. */
static json_t *cluster_member(const struct api_snapshot *s, const struct dcs_member *m)
{
	enum dcs_role role = dcs_member_role(&s->view, m, s->synchronous_mode);
	bool leader = role == DCS_ROLE_LEADER;
	uint64_t ref = dcs_view_reference_lsn(&s->view);
	json_t *o = json_object();
	json_t *tags = member_tags(m);

	json_object_set_new(o, "name", jstr(m->name));
	json_object_set_new(o, "role", jstr(dcs_role_str(role)));
	json_object_set_new(o, "state", jstr(dcs_member_state(m, role)));
	json_object_set_new(o, "api_url", jstr(m->api_url));
	if (m->host[0] != '\0') {
		json_object_set_new(o, "host", jstr(m->host));
		if (m->port > 0)
			json_object_set_new(o, "port", json_integer(m->port));
	}
	if (m->timeline > 0)
		json_object_set_new(o, "timeline", json_integer(m->timeline));
	if (json_object_size(tags) > 0)
		json_object_set(o, "tags", tags);
	json_decref(tags);
	if (!leader) {
		add_lag(o, "receive_", m->receive_lsn, ref);
		add_lag(o, "replay_", m->replay_lsn, ref);
		add_lag(o, "", m->has_xlog ? m->xlog_location : 0, ref);
	}
	return o;
}

static json_t *scheduled_switchover(const struct dcs_failover *fo)
{
	json_t *o = json_object();

	json_object_set_new(o, "at", jstr(fo->scheduled_at));
	if (fo->leader[0] != '\0')
		json_object_set_new(o, "from", jstr(fo->leader));
	if (fo->member[0] != '\0')
		json_object_set_new(o, "to", jstr(fo->member));
	return o;
}

json_t *api_render_cluster(const struct api_snapshot *s)
{
	const struct dcs_view *v = &s->view;
	json_t *members;
	json_t *o;

	if (!v->valid)
		return NULL;
	members = json_array();
	/* The view keeps members sorted by name, which is the order Patroni prints. */
	for (int i = 0; i < v->n_members && i < DCS_MAX_MEMBERS; i++)
		json_array_append_new(members, cluster_member(s, &v->members[i]));
	o = json_object();
	json_object_set_new(o, "members", members);
	json_object_set_new(o, "scope", jstr(s->scope));
	if (s->pause)
		json_object_set_new(o, "pause", json_true());
	if (v->failover.present && v->failover.scheduled_at[0] != '\0')
		json_object_set_new(o, "scheduled_switchover", scheduled_switchover(&v->failover));
	return o;
}

json_t *api_render_history(const struct api_snapshot *s)
{
	json_t *h;

	if (!s->view.valid)
		return NULL;
	h = s->view.history_json != NULL ? json_loads(s->view.history_json, 0, NULL) : NULL;
	if (!json_is_array(h)) {
		json_decref(h);
		h = json_array();
	}
	return h;
}

json_t *api_render_failsafe(const struct api_snapshot *s)
{
	const struct dcs_failsafe *fs = &s->view.failsafe;
	json_t *o;

	if (fs->state != DCS_FS_VALID)
		return NULL;
	o = json_object();
	for (int i = 0; i < fs->n; i++)
		json_object_set_new(o, fs->names[i], json_string(fs->api_urls[i]));
	return o;
}

json_t *api_render_config(const struct api_snapshot *s)
{
	json_t *c;

	if (!s->view.valid || !s->view.has_config || s->view.config_json == NULL)
		return NULL;
	c = json_loads(s->view.config_json, 0, NULL);
	if (!json_is_object(c)) {
		json_decref(c);
		return NULL;
	}
	return c;
}
