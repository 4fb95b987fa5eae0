/*
 * api_health.c: the health-check rules (/primary, /replica, /read-only, /sync,
 * /health, /liveness, /readiness...) with Patroni 4.x semantics, including its
 * substring matching of the path. Pure: the caller passes the snapshot, the
 * request and the time; nothing here reads a clock, logs or does I/O.
 */
#include "api/api_health.h"

#include <ctype.h>
#include <jansson.h>
#include <string.h>
#include "util/compiler.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define OK          200
#define UNAVAILABLE 503

/* pgha does not run standby clusters; the rules keep Patroni's shape regardless. */
static const bool standby_cluster = false;

const char *api_query_get(const struct api_query *q, const char *key)
{
	for (int i = 0; q != NULL && i < q->n; i++) {
		if (str_eq(q->args[i].key, key))
			return q->args[i].value != NULL ? q->args[i].value : "";
	}
	return NULL;
}

static bool is_primary_role(const char *role)
{
	return str_eq(role, "primary") || str_eq(role, "master");
}

/* sync_lists: the sync key names this member (sync mode active: leader set). */
static bool sync_lists(const struct dcs_sync *sync, const char *name)
{
	if (!sync->present || sync->leader[0] == '\0')
		return false;
	for (int i = 0; i < sync->n_standbys && i < DCS_MAX_SYNC; i++) {
		if (str_eq_nocase(sync->standbys[i], name))
			return true;
	}
	return false;
}

/* pg_answers: Patroni only queries PostgreSQL in these states. */
static bool pg_answers(const struct api_snapshot *s)
{
	return s->pg.connected && (str_eq(s->state, "running") || str_eq(s->state, "restarting") ||
	                           str_eq(s->state, "starting"));
}

static void derive_replica(const struct api_snapshot *s, struct api_facts *f)
{
	f->replayed_lsn = s->pg.replay_lsn;
	f->received_lsn = s->pg.receive_lsn != 0 ? s->pg.receive_lsn : s->pg.replay_lsn;
	f->streaming = s->pg.receiver_streaming;
	f->is_sync = s->synchronous_mode && f->dcs_available && sync_lists(&s->view.sync, s->name);
	/* Patroni 4.x also trusts the WAL receiver's idea of the primary's position. */
	f->leader_optime = MAX(f->leader_optime, s->pg.receive_lsn);
}

void api_facts_derive(const struct api_snapshot *s, int64_t now_ms, struct api_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->sql_ok = pg_answers(s);
	f->state = str_eq(s->state, "running") && !f->sql_ok ? "unknown" : s->state;
	if (f->sql_ok)
		f->role = s->pg.in_recovery ? "replica" : "primary";
	else
		f->role = s->role;
	f->is_primary = is_primary_role(f->role);
	f->is_replica = str_eq(f->role, "replica");
	f->is_leader = s->holds_leader && now_ms < s->leader_valid_until_ms;
	f->dcs_available = s->view.valid && s->dcs_ok;
	f->failsafe_active = now_ms < s->failsafe_until_ms;
	f->cluster_unlocked = !f->dcs_available || !s->view.has_leader;
	if (f->dcs_available && s->view.has_status)
		f->leader_optime = s->view.status_optime;
	if (f->sql_ok && f->is_replica)
		derive_replica(s, f);
}

/* is_lagging: optime > replayed + max_lag, without overflowing. */
static bool is_lagging(uint64_t optime, uint64_t replayed, int64_t max_lag)
{
	return optime > replayed && optime - replayed > (uint64_t)MAX(max_lag, 0);
}

/* replica_ok: Patroni's rule R (docs/patroni.md, REST API). */
static bool replica_ok(const struct api_snapshot *s, const struct api_facts *f,
                       const struct api_query *q)
{
	const char *lag_text = api_query_get(q, "lag");
	const char *wanted_state = api_query_get(q, "replication_state");
	int64_t max_lag;

	if (s->noloadbalance || !f->is_replica || !str_eq(f->state, "running"))
		return false;
	/* An unparsable lag is ignored, as Patroni does. */
	if (lag_text != NULL && str_parse_bytes(lag_text, &max_lag) &&
	    is_lagging(f->leader_optime, f->replayed_lsn, max_lag))
		return false;
	if (wanted_state != NULL && wanted_state[0] != '\0' &&
	    !(f->streaming && str_eq(wanted_state, "streaming")))
		return false;
	return true;
}

struct role_codes {
	int leader;
	int primary;
	int standby_leader;
	int replica;
};

static void role_codes(const struct api_snapshot *s, const struct api_facts *f,
                       const struct api_query *q, struct role_codes *c)
{
	c->replica = replica_ok(s, f, q) ? OK : UNAVAILABLE;
	c->leader = c->primary = c->standby_leader = UNAVAILABLE;
	if (!f->dcs_available && s->pause) {
		/* Paused and cut off from the DCS: the PostgreSQL role is all we know. */
		bool standby_leader = str_eq(f->role, "standby_leader");

		c->leader = f->is_primary || standby_leader ? OK : UNAVAILABLE;
		c->primary = f->is_primary ? OK : UNAVAILABLE;
		c->standby_leader = standby_leader ? OK : UNAVAILABLE;
	} else if (f->is_leader) {
		c->leader = OK;
		if (standby_cluster) {
			c->primary = c->replica = UNAVAILABLE;
			c->standby_leader =
			    f->is_replica || str_eq(f->role, "standby_leader") ? OK : UNAVAILABLE;
		} else {
			c->primary = OK;
		}
	}
}

static bool has(const char *path, const char *needle)
{
	return strstr(path, needle) != NULL;
}

static bool path_in(const char *path, const char *a, const char *b)
{
	return str_eq(path, a) || (b != NULL && str_eq(path, b));
}

/* dcs_rules: the sync/async family, only answered with a current DCS view. */
static int dcs_rules(const struct api_facts *f, const struct role_codes *c, const char *path)
{
	bool leader_like = c->primary == OK || c->standby_leader == OK;

	if (path_in(path, "/sync", "/synchronous"))
		return f->is_sync ? c->replica : UNAVAILABLE;
	if (str_eq(path, "/quorum"))
		return UNAVAILABLE; /* quorum commit is not supported: nobody is a quorum standby */
	if (path_in(path, "/async", "/asynchronous"))
		return !f->is_sync ? c->replica : UNAVAILABLE;
	if (str_eq(path, "/read-only-quorum"))
		return leader_like ? OK : UNAVAILABLE;
	if (path_in(path, "/read-only-sync", "/read-only-synchronous"))
		return leader_like ? OK : f->is_sync ? c->replica : UNAVAILABLE;
	return UNAVAILABLE;
}

/* path_rule: the status before tag filters; *ignore_tags for the leader family. */
static int path_rule(const struct api_facts *f, const struct role_codes *c, const char *path,
                     bool *ignore_tags)
{
	*ignore_tags = true;
	if (has(path, "standby_leader") || has(path, "standby-leader"))
		return c->standby_leader;
	if (has(path, "leader"))
		return c->leader;
	if (has(path, "master") || has(path, "primary") || has(path, "read-write"))
		return c->primary;
	*ignore_tags = false;
	if (has(path, "replica"))
		return c->replica;
	if (has(path, "read-only") && !has(path, "sync") && !has(path, "quorum"))
		return c->primary == OK || c->standby_leader == OK ? OK : c->replica;
	if (has(path, "health"))
		return str_eq(f->state, "running") ? OK : UNAVAILABLE;
	if (f->dcs_available)
		return dcs_rules(f, c, path);
	return UNAVAILABLE;
}

/* tag_text: a tag value as Patroni compares it: strings as is, others str().lower(). */
static char *tag_text(const json_t *v)
{
	char *text;

	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	for (char *p = text; p != NULL && *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return text;
}

/* first_occurrence: args[i] is the first one with its key (parse_qs keeps [0]). */
static bool first_occurrence(const struct api_query *q, int i)
{
	for (int j = 0; j < i; j++) {
		if (str_eq(q->args[j].key, q->args[i].key))
			return false;
	}
	return true;
}

/* tags_match: every tag_<key>=<value> argument equals the configured tag. */
static bool tags_match(const struct api_snapshot *s, const struct api_query *q)
{
	json_t *tags = NULL;
	bool ok = true;

	for (int i = 0; ok && q != NULL && i < q->n; i++) {
		const char *key = q->args[i].key;
		const char *want = q->args[i].value != NULL ? q->args[i].value : "";
		json_t *have;
		char *text;

		if (!str_has_prefix(key, "tag_") || !first_occurrence(q, i))
			continue;
		if (tags == NULL)
			tags = s->tags_json != NULL ? json_loads(s->tags_json, 0, NULL) : NULL;
		have = json_is_object(tags) ? json_object_get(tags, key + 4) : NULL;
		if (have == NULL || json_is_null(have))
			ok = false;
		else {
			text = tag_text(have);
			ok = text != NULL && str_eq(text, want);
			free(text);
		}
	}
	json_decref(tags);
	return ok;
}

int api_health_status(const struct api_snapshot *s, const struct api_facts *f, const char *path,
                      const struct api_query *q)
{
	struct role_codes codes;
	bool ignore_tags;
	int status;

	if (str_eq(path, "/"))
		path = "/primary";
	role_codes(s, f, q, &codes);
	status = path_rule(f, &codes, path, &ignore_tags);
	if (status == OK && !ignore_tags && !tags_match(s, q))
		status = UNAVAILABLE;
	return status;
}

int api_liveness_status(const struct api_snapshot *s, int64_t now_ms)
{
	/* Patroni tolerates a stuck loop longer on a replica: the primary's problems
	 * show up as a lost lock anyway, while a replica has nothing else to fail. */
	bool running_primary = is_primary_role(s->role) && str_eq(s->state, "running");
	int64_t threshold_ms = (int64_t)s->ttl_s * 1000 * (running_primary ? 1 : 2);

	return s->pause || s->next_cycle_ms + threshold_ms > now_ms ? OK : UNAVAILABLE;
}

int api_readiness_status(const struct api_snapshot *s, const struct api_facts *f,
                         const struct api_query *q)
{
	const char *lag_text = api_query_get(q, "lag");
	const char *mode = api_query_get(q, "mode");
	int64_t max_lag = s->maximum_lag_on_failover;
	uint64_t location;

	if (f->is_leader)
		return OK;
	if (!str_eq(s->state, "running") || !f->sql_ok || !f->streaming)
		return UNAVAILABLE;
	/* Without the DCS the WAL receiver is the only reference (failsafe is not supported). */
	if (!f->dcs_available && s->pg.receive_lsn == 0)
		return UNAVAILABLE;
	location = mode != NULL && str_eq(mode, "write") ? f->received_lsn : f->replayed_lsn;
	if (lag_text != NULL && !str_parse_bytes(lag_text, &max_lag))
		max_lag = s->maximum_lag_on_failover;
	return is_lagging(f->leader_optime, location, max_lag) ? UNAVAILABLE : OK;
}
