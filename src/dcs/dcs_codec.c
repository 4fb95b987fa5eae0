/*
 * dcs_codec.c: Patroni's etcd values <-> struct dcs_view (see docs/patroni.md, etcd keys).
 *
 * Does: decode every key kind of one prefix range (leader, members/<name>, sync,
 * failover incl. the legacy "leader:candidate" text, history, status incl. the bare
 * integer form and the legacy optime/leader key, initialize, config), the helpers of
 * dcs_types.h, and the encoders of the small JSON values we write. Does not: talk to
 * etcd or log. A malformed value is left out of the view and described in the warn
 * buffer; it never fails the view. Safety-relevant presence is kept even for garbage:
 * an unreadable leader or initialize key still counts as present, and the mod_revision
 * of an unreadable sync/failover/config key is kept so that a CAS can overwrite it.
 */
#include "dcs/dcs.h"
#include "dcs/dcs_codec.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "util/buf.h"
#include "util/compiler.h"
#include "util/err.h"
#include "util/iso8601.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define ERR_LEN 200

/* Accumulates one warning line per problem into the caller's buffer. */
struct warnings {
	char *buf; /* may be NULL */
	size_t size;
	size_t used;
};

static void PRINTF_LIKE(2, 3) warnf(struct warnings *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->buf == NULL || w->used + 1 >= w->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->used, w->size - w->used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	w->used = MIN(w->used + (size_t)n, w->size - 1);
	if (w->used + 1 < w->size) {
		w->buf[w->used++] = '\n';
		w->buf[w->used] = '\0';
	}
}

/* --- typed field readers (null or absent = default) --------------------------------- */

static bool field_str(const json_t *o, const char *name, char *dst, size_t size, char *err,
                      size_t errlen)
{
	const json_t *v = json_object_get(o, name);

	dst[0] = '\0';
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_string(v)) {
		err_set(err, errlen, "\"%s\" is not a string", name);
		return false;
	}
	if (!str_copy(dst, size, json_string_value(v))) {
		err_set(err, errlen, "\"%s\" is too long", name);
		return false;
	}
	return true;
}

static bool field_u64(const json_t *o, const char *name, uint64_t *out, bool *present, char *err,
                      size_t errlen)
{
	const json_t *v = json_object_get(o, name);

	*out = 0;
	if (present != NULL)
		*present = false;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		err_set(err, errlen, "\"%s\" is not a non-negative integer", name);
		return false;
	}
	*out = (uint64_t)json_integer_value(v);
	if (present != NULL)
		*present = true;
	return true;
}

static bool field_int(const json_t *o, const char *name, int *out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, name);
	json_int_t i;

	if (v == NULL || json_is_null(v))
		return true;
	if (json_is_string(v) && str_parse_int(json_string_value(v), out))
		return true;
	i = json_integer_value(v);
	if (!json_is_integer(v) || i < INT32_MIN || i > INT32_MAX) {
		err_set(err, errlen, "\"%s\" is not an integer", name);
		return false;
	}
	*out = (int)i;
	return true;
}

/* Tags are written as configured: booleans, but "true"/"on" strings and 0/1 occur. */
static bool field_flag(const json_t *o, const char *name, bool *out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, name);

	*out = false;
	if (v == NULL || json_is_null(v))
		return true;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return true;
	}
	if (json_is_integer(v)) {
		*out = json_integer_value(v) != 0;
		return true;
	}
	if (json_is_string(v) && str_parse_bool(json_string_value(v), out))
		return true;
	err_set(err, errlen, "\"%s\" is not a boolean", name);
	return false;
}

/* --- members ---------------------------------------------------------------------------- */

/* host and port of conn_url ("postgres://host:port/db"), parsed by libcurl's URL API. */
static bool parse_conn_url(struct dcs_member *m, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;
	bool ok = false;

	if (curl_url_set(u, CURLUPART_URL, m->conn_url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		err_set(err, errlen, "conn_url \"%s\" is not a URL", m->conn_url);
		goto out;
	}
	m->port = 5432; /* libpq's default when the URL has none */
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK &&
	    (!str_parse_int(port, &m->port) || m->port <= 0 || m->port > 65535)) {
		err_set(err, errlen, "conn_url \"%s\" has a bad port", m->conn_url);
		goto out;
	}
	/* An IPv6 literal comes back as "[::1]"; libpq wants it bare. */
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	ok = str_copy(m->host, sizeof(m->host), host);
	if (!ok)
		err_set(err, errlen, "conn_url host is too long");
out:
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ok;
}

static bool decode_tags(const json_t *o, struct dcs_member *m, char *err, size_t errlen)
{
	const json_t *tags = json_object_get(o, "tags");

	m->failover_priority = 1;
	if (tags == NULL || json_is_null(tags))
		return true;
	if (!json_is_object(tags)) {
		err_set(err, errlen, "\"tags\" is not an object");
		return false;
	}
	return field_flag(tags, "nofailover", &m->nofailover, err, errlen) &&
	       field_flag(tags, "noloadbalance", &m->noloadbalance, err, errlen) &&
	       field_flag(tags, "nosync", &m->nosync, err, errlen) &&
	       field_int(tags, "failover_priority", &m->failover_priority, err, errlen);
}

static bool field_i64(const json_t *o, const char *name, int64_t *out, char *err, size_t errlen)
{
	uint64_t u = 0;
	bool ok = field_u64(o, name, &u, NULL, err, errlen) && u <= INT64_MAX;

	*out = ok ? (int64_t)u : 0;
	return ok;
}

static bool decode_archive(const json_t *a, struct dcs_archive *x)
{
	char err[ERR_LEN];

	return field_int(a, "ready", &x->ready, err, sizeof(err)) &&
	       field_i64(a, "oldest_ready_ms", &x->oldest_ready_ms, err, sizeof(err)) &&
	       field_str(a, "last_archived_wal", x->last_archived_wal, sizeof(x->last_archived_wal),
	                 err, sizeof(err)) &&
	       field_i64(a, "last_archived_ms", &x->last_archived_ms, err, sizeof(err)) &&
	       field_i64(a, "failed_count", &x->failed_count, err, sizeof(err)) &&
	       field_str(a, "last_failed_wal", x->last_failed_wal, sizeof(x->last_failed_wal), err,
	                 sizeof(err)) &&
	       field_i64(a, "last_failed_ms", &x->last_failed_ms, err, sizeof(err));
}

static bool decode_backup_pg(const json_t *b, struct dcs_backup_pg *p)
{
	char err[ERR_LEN];

	return field_str(b, "pg-path", p->path, sizeof(p->path), err, sizeof(err)) &&
	       field_str(b, "pg-socket-path", p->socket_path, sizeof(p->socket_path), err,
	                 sizeof(err)) &&
	       field_int(b, "pg-port", &p->port, err, sizeof(err));
}

/* pgha's extensions are best effort: one that does not parse is left out, not the member. */
static void decode_extensions(const json_t *o, struct dcs_member *m)
{
	const json_t *a = json_object_get(o, "archive");
	const json_t *b = json_object_get(o, "pgbackrest");

	m->archive.present = json_is_object(a) && decode_archive(a, &m->archive);
	if (!m->archive.present)
		memset(&m->archive, 0, sizeof(m->archive));
	if (!json_is_object(b) || !decode_backup_pg(b, &m->backup_pg))
		memset(&m->backup_pg, 0, sizeof(m->backup_pg));
}

static bool decode_member_fields(const json_t *o, struct dcs_member *m, char *err, size_t errlen)
{
	decode_extensions(o, m);
	return field_str(o, "conn_url", m->conn_url, sizeof(m->conn_url), err, errlen) &&
	       field_str(o, "api_url", m->api_url, sizeof(m->api_url), err, errlen) &&
	       field_str(o, "pooler", m->pooler, sizeof(m->pooler), err, errlen) &&
	       field_str(o, "state", m->state, sizeof(m->state), err, errlen) &&
	       field_str(o, "role", m->role, sizeof(m->role), err, errlen) &&
	       field_u64(o, "xlog_location", &m->xlog_location, &m->has_xlog, err, errlen) &&
	       field_u64(o, "receive_lsn", &m->receive_lsn, NULL, err, errlen) &&
	       field_u64(o, "replay_lsn", &m->replay_lsn, NULL, err, errlen) &&
	       field_str(o, "replication_state", m->replication_state, sizeof(m->replication_state),
	                 err, errlen) &&
	       field_int(o, "timeline", &m->timeline, err, errlen) &&
	       field_flag(o, "pause", &m->pause, err, errlen) && decode_tags(o, m, err, errlen);
}

bool dcs_member_decode(const char *json, struct dcs_member *m, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *o = json_loads(json, 0, &jerr);
	char name[DCS_NAME_LEN];
	bool ok;

	memcpy(name, m->name, sizeof(name));
	memset(m, 0, sizeof(*m));
	memcpy(m->name, name, sizeof(name));
	if (o == NULL || !json_is_object(o)) {
		err_set(err, errlen, o == NULL ? "not JSON: %s" : "not a JSON object%s",
		        o == NULL ? jerr.text : "");
		json_decref(o);
		return false;
	}
	ok = decode_member_fields(o, m, err, errlen) &&
	     (m->conn_url[0] == '\0' || parse_conn_url(m, err, errlen));
	json_decref(o);
	return ok;
}

static int member_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dcs_member *)a)->name, ((const struct dcs_member *)b)->name);
}

/* printable: s for a log line, control characters shown as '?' (a name is etcd's data). */
static const char *printable(const char *s, char *out, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	out[i] = '\0';
	return out;
}

static bool has_control_char(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* The member's name from "members/<name>": one level only, non-empty, bounded, printable. */
static bool member_name(const char *rel, char *name, struct warnings *w)
{
	const char *n = rel + strlen("members/");
	char shown[48];

	if (*n == '\0' || strchr(n, '/') != NULL)
		return false;
	if (has_control_char(n)) {
		warnf(w, "members/%s: control character in the name; member ignored",
		      printable(n, shown, sizeof(shown)));
		return false;
	}
	if (!str_copy(name, DCS_NAME_LEN, n)) {
		warnf(w, "members/%.40s...: member name too long; member ignored", n);
		return false;
	}
	return true;
}

/* url_scheme_in: url is "<one of schemes>://..." (case-insensitive, as URL schemes are). */
static bool url_scheme_in(const char *url, const char *const *schemes)
{
	const char *sep = strstr(url, "://");

	for (; sep != NULL && *schemes != NULL; schemes++)
		if (strlen(*schemes) == (size_t)(sep - url) &&
		    strncasecmp(url, *schemes, (size_t)(sep - url)) == 0)
			return true;
	return false;
}

/*
 * drop_bad_urls: a member's URLs are followed by peers (api_url: REST probes) and by the
 * router and the clone (conn_url): only http(s) and postgres(ql) make sense there. Any
 * other scheme (file:, gopher:, ...) is dropped with a warning; the member itself stays
 * in the view, because its WAL position and tags still count in the leader race.
 */
static void drop_bad_urls(struct dcs_member *m, struct warnings *w)
{
	static const char *const api_schemes[] = {"http", "https", NULL};
	static const char *const pg_schemes[] = {"postgres", "postgresql", NULL};
	char shown[80];

	if (m->api_url[0] != '\0' && !url_scheme_in(m->api_url, api_schemes)) {
		warnf(w, "members/%s: api_url \"%s\" is not http(s); ignored", m->name,
		      printable(m->api_url, shown, sizeof(shown)));
		m->api_url[0] = '\0';
	}
	if (m->conn_url[0] != '\0' && !url_scheme_in(m->conn_url, pg_schemes)) {
		warnf(w, "members/%s: conn_url \"%s\" is not postgres(ql); ignored", m->name,
		      printable(m->conn_url, shown, sizeof(shown)));
		m->conn_url[0] = '\0';
		m->host[0] = '\0';
		m->port = 0;
	}
}

static void add_member(struct dcs_member *all, int *n, const char *rel, const struct dcs_kv *kv,
                       struct warnings *w)
{
	struct dcs_member *m = &all[*n];
	char err[ERR_LEN];

	memset(m, 0, sizeof(*m));
	if (!member_name(rel, m->name, w))
		return;
	if (!dcs_member_decode(kv->value, m, err, sizeof(err))) {
		warnf(w, "%s: %s; member ignored", rel, err);
		return;
	}
	drop_bad_urls(m, w);
	m->mod_revision = kv->mod_revision;
	m->lease = kv->lease;
	(*n)++;
}

/* By name, then the newest write first (for drop_repeated_names). */
static int member_newest_cmp(const void *a, const void *b)
{
	const struct dcs_member *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return (x->mod_revision < y->mod_revision) - (x->mod_revision > y->mod_revision);
}

/*
 * drop_repeated_names: all sorted by name, one member per name, the newest write's. etcd
 * holds a key once, but a view is also built from a cache fed by watch events: should a
 * name ever come twice, a lookup by name must still find the one member every other
 * agent sees (the fuzz harness found two, and the lookup found the older). Returns n.
 */
static int drop_repeated_names(struct dcs_member *all, int n, struct warnings *w)
{
	int kept = 0;

	qsort(all, (size_t)n, sizeof(*all), member_newest_cmp);
	for (int i = 0; i < n; i++) {
		if (kept > 0 && strcmp(all[kept - 1].name, all[i].name) == 0) {
			warnf(w, "members/%s: given twice; the newest kept", all[i].name);
			continue;
		}
		if (kept != i)
			all[kept] = all[i];
		kept++;
	}
	return kept;
}

/*
 * keep_members: every member, sorted by name; or, when there are more than a view holds,
 * none and an invalid view: keeping some would silently drop others (the leader, a
 * replica ahead in WAL), and a decision on part of the cluster is not safe. Consumers
 * treat an invalid view as etcd being unreadable: nobody changes role on it.
 */
static void keep_members(struct dcs_view *v, struct dcs_member *all, int n, struct warnings *w)
{
	n = drop_repeated_names(all, n, w);
	if (n > DCS_MAX_MEMBERS) {
		warnf(w,
		      "%d members in etcd, more than the %d pgha reads: view refused (no role "
		      "changes until members are removed)",
		      n, DCS_MAX_MEMBERS);
		v->valid = false;
		v->n_members_refused = n;
		v->n_members = 0;
		return;
	}
	memcpy(v->members, all, (size_t)n * sizeof(*all));
	v->n_members = n;
}

/* --- sync ------------------------------------------------------------------------------- */

static void sync_add(struct dcs_sync *s, const char *name, size_t len, struct warnings *w)
{
	char tmp[DCS_NAME_LEN];

	while (len > 0 && (*name == ' ')) /* "a, b" */
		name++, len--;
	while (len > 0 && name[len - 1] == ' ')
		len--;
	if (len == 0)
		return;
	if (len >= sizeof(tmp)) {
		warnf(w, "sync: standby name too long; ignored");
		return;
	}
	if (s->n_standbys == DCS_MAX_SYNC) {
		warnf(w, "sync: more than %d standbys; the rest ignored", DCS_MAX_SYNC);
		return;
	}
	memcpy(tmp, name, len);
	tmp[len] = '\0';
	memcpy(s->standbys[s->n_standbys++], tmp, len + 1);
}

/* sync_standby: "a,b" (Patroni), null, or a JSON array of names (accepted too). */
static bool sync_standbys(struct dcs_sync *s, const json_t *v, struct warnings *w)
{
	if (v == NULL || json_is_null(v))
		return true;
	if (json_is_string(v)) {
		const char *p = json_string_value(v);

		while (*p != '\0') {
			size_t len = strcspn(p, ",");

			sync_add(s, p, len, w);
			p += len + (p[len] == ',');
		}
		return true;
	}
	if (!json_is_array(v))
		return false;
	for (size_t i = 0; i < json_array_size(v); i++) {
		const char *name = json_string_value(json_array_get(v, i));

		if (name == NULL)
			return false;
		sync_add(s, name, strlen(name), w);
	}
	return true;
}

static void decode_sync(struct dcs_sync *s, const struct dcs_kv *kv, struct warnings *w)
{
	json_t *o = json_loads(kv->value, 0, NULL);
	char err[ERR_LEN];

	s->mod_revision = kv->mod_revision;
	if (o == NULL || !json_is_object(o) ||
	    !field_str(o, "leader", s->leader, sizeof(s->leader), err, sizeof(err)) ||
	    !sync_standbys(s, json_object_get(o, "sync_standby"), w)) {
		warnf(w, "sync: malformed value; treated as absent");
		memset(s, 0, sizeof(*s));
		s->mod_revision = kv->mod_revision;
	} else {
		s->present = true;
	}
	json_decref(o);
}

/* --- failover --------------------------------------------------------------------------- */

/* Legacy text "leader:candidate" (Patroni's Failover.from_node still accepts it). */
static bool failover_legacy(struct dcs_failover *f, const char *text)
{
	char copy[DCS_NAME_LEN * 2 + 2];
	char *member = NULL;

	if (!str_copy(copy, sizeof(copy), text))
		return false;
	if ((member = strchr(copy, ':')) != NULL) {
		*member++ = '\0';
		member[strcspn(member, ":")] = '\0'; /* "a:b:c" is a -> b, as split(':') */
	}
	return str_copy(f->leader, sizeof(f->leader), str_trim(copy)) &&
	       (member == NULL || str_copy(f->member, sizeof(f->member), str_trim(member)));
}

static bool failover_object(struct dcs_failover *f, const json_t *o, char *err, size_t errlen)
{
	if (!field_str(o, "leader", f->leader, sizeof(f->leader), err, errlen) ||
	    !field_str(o, "member", f->member, sizeof(f->member), err, errlen) ||
	    !field_str(o, "scheduled_at", f->scheduled_at, sizeof(f->scheduled_at), err, errlen))
		return false;
	/* Without a zone the time is UTC, as Patroni's own writes always carry one. */
	if (f->scheduled_at[0] != '\0' &&
	    iso8601_parse(f->scheduled_at, &f->scheduled_at_epoch_ms) == ISO8601_INVALID) {
		err_set(err, errlen, "scheduled_at \"%s\" is not an ISO 8601 time",
		        f->scheduled_at);
		return false;
	}
	return true;
}

static void decode_failover(struct dcs_failover *f, const struct dcs_kv *kv, struct warnings *w)
{
	json_t *o = json_loads(kv->value, 0, NULL);
	char err[ERR_LEN] = "";
	bool ok;

	if (o == NULL) { /* not JSON at all: the legacy text form */
		ok = failover_legacy(f, kv->value);
		if (!ok)
			err_set(err, sizeof(err), "names in the legacy text form are too long");
	} else if (json_is_object(o)) {
		ok = failover_object(f, o, err, sizeof(err));
	} else {
		ok = true; /* valid JSON but not an object means "nothing pending" (Patroni) */
	}
	json_decref(o);
	if (!ok) {
		warnf(w, "failover: %s; request ignored", err);
		memset(f, 0, sizeof(*f));
	}
	f->present = ok && (f->leader[0] != '\0' || f->member[0] != '\0');
	f->mod_revision = kv->mod_revision;
}

/* --- pgha's request keys ---------------------------------------------------------------- */

/* previous_fields: the optional "previous" object, the outcome of the request replaced. */
static bool previous_fields(const json_t *o, struct dcs_request_outcome *p, char *err,
                            size_t errlen)
{
	const json_t *v = json_object_get(o, "previous");

	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_object(v)) {
		err_set(err, errlen, "\"previous\" is not an object");
		return false;
	}
	return field_str(v, "id", p->id, sizeof(p->id), err, errlen) &&
	       field_str(v, "state", p->state, sizeof(p->state), err, errlen) &&
	       field_str(v, "result", p->result, sizeof(p->result), err, errlen) &&
	       field_int(v, "timeline", &p->timeline, err, errlen);
}

static bool request_fields(const json_t *o, struct dcs_request *r, char *err, size_t errlen)
{
	return field_str(o, "id", r->id, sizeof(r->id), err, errlen) &&
	       field_str(o, "kind", r->kind, sizeof(r->kind), err, errlen) &&
	       field_str(o, "target", r->target, sizeof(r->target), err, errlen) &&
	       field_str(o, "leader", r->leader, sizeof(r->leader), err, errlen) &&
	       field_int(o, "from_timeline", &r->from_timeline, err, errlen) &&
	       field_str(o, "state", r->state, sizeof(r->state), err, errlen) &&
	       field_str(o, "member", r->member, sizeof(r->member), err, errlen) &&
	       field_int(o, "timeline", &r->timeline, err, errlen) &&
	       field_str(o, "result", r->result, sizeof(r->result), err, errlen) &&
	       field_str(o, "requested_at", r->requested_at, sizeof(r->requested_at), err,
	                 errlen) &&
	       previous_fields(o, &r->previous, err, errlen);
}

static void decode_request(const char *name, struct dcs_request *r, const struct dcs_kv *kv,
                           struct warnings *w)
{
	json_t *o = json_loads(kv->value, 0, NULL);
	char err[ERR_LEN] = "not a JSON object";

	memset(r, 0, sizeof(*r));
	r->mod_revision = kv->mod_revision;
	if (json_is_object(o) && request_fields(o, r, err, sizeof(err)) && r->id[0] != '\0') {
		r->present = true;
	} else {
		warnf(w, "%s: %s; request ignored", name, r->id[0] ? err : "no id");
		memset(r, 0, sizeof(*r));
		r->mod_revision = kv->mod_revision;
	}
	json_decref(o);
}

/* --- failsafe --------------------------------------------------------------------------- */

/* failsafe_entry: one "name": "api_url" pair; false (with a warning) if unusable. */
static bool failsafe_entry(struct dcs_failsafe *fs, const char *name, const json_t *url,
                           struct warnings *w)
{
	if (!json_is_string(url) || fs->n >= DCS_MAX_MEMBERS ||
	    !str_copy(fs->names[fs->n], DCS_NAME_LEN, name) ||
	    !str_copy(fs->api_urls[fs->n], DCS_URL_LEN, json_string_value(url))) {
		warnf(w,
		      "failsafe: member \"%.*s\" unusable (not a URL string, name or URL too "
		      "long, or more than %d members); the key counts as unreadable",
		      DCS_NAME_LEN, name, DCS_MAX_MEMBERS);
		return false;
	}
	fs->n++;
	return true;
}

/*
 * decode_failsafe: {"name": "api_url", ...}. Anything else (not JSON, not an object, no
 * member, a value that is not a string) is INVALID: it blocks every race, as an
 * unreadable sync key does, because the members it meant to name cannot be known.
 */
static void decode_failsafe(struct dcs_failsafe *fs, const struct dcs_kv *kv, struct warnings *w)
{
	json_t *o = json_loads(kv->value, 0, NULL);
	const char *name;
	json_t *url;
	bool ok = json_is_object(o) && json_object_size(o) > 0;

	memset(fs, 0, sizeof(*fs));
	fs->mod_revision = kv->mod_revision;
	if (ok) {
		json_object_foreach(o, name, url)
		{
			if (!(ok = failsafe_entry(fs, name, url, w)))
				break;
		}
	} else {
		warnf(w, "failsafe: not a non-empty JSON object of member names to api_urls; "
		         "nobody may take the leader key until a leader rewrites it");
	}
	json_decref(o);
	fs->state = ok ? DCS_FS_VALID : DCS_FS_INVALID;
	if (!ok)
		fs->n = 0;
}

/* --- history, status, the rest ----------------------------------------------------------- */

/* [tl, lsn, "reason", "timestamp", "new_leader"]; the last three are optional. */
static bool history_entry(const json_t *a, struct dcs_history_entry *e)
{
	const json_t *tl = json_array_get(a, 0), *lsn = json_array_get(a, 1);
	const char *s;

	memset(e, 0, sizeof(*e));
	if (!json_is_array(a) || !json_is_integer(tl) || !json_is_integer(lsn) ||
	    json_integer_value(tl) <= 0 || json_integer_value(tl) > INT32_MAX ||
	    json_integer_value(lsn) < 0)
		return false;
	e->timeline = (int)json_integer_value(tl);
	e->switch_lsn = (uint64_t)json_integer_value(lsn);
	if ((s = json_string_value(json_array_get(a, 2))) != NULL)
		snprintf(e->reason, sizeof(e->reason), "%s", s);
	if ((s = json_string_value(json_array_get(a, 3))) != NULL)
		snprintf(e->timestamp, sizeof(e->timestamp), "%s", s);
	if ((s = json_string_value(json_array_get(a, 4))) != NULL)
		snprintf(e->new_leader, sizeof(e->new_leader), "%s", s);
	return true;
}

static void decode_history(struct dcs_view *v, const struct dcs_kv *kv, struct warnings *w)
{
	json_t *a = json_loads(kv->value, 0, NULL);
	size_t n = json_array_size(a);
	/* Only the newest DCS_MAX_HISTORY lines are kept; older ones are skipped up front. */
	size_t first = n > DCS_MAX_HISTORY ? n - DCS_MAX_HISTORY : 0;

	if (!json_is_array(a)) {
		warnf(w, "history: not a JSON array; ignored");
		json_decref(a);
		return;
	}
	v->n_history = 0; /* given twice (hostile input): the later one stays */
	free(v->history_json);
	for (size_t i = first; i < n; i++) {
		if (history_entry(json_array_get(a, i), &v->history[v->n_history]))
			v->n_history++;
		else
			warnf(w, "history: entry %zu malformed; skipped", i);
	}
	v->history_json = xstrdup(kv->value);
	json_decref(a);
}

/* status: {"optime":N,...}, or a bare integer (legacy readers and optime/leader). */
static bool decode_optime(const char *value, uint64_t *optime)
{
	json_t *o = json_loads(value, JSON_DECODE_ANY, NULL);
	const json_t *v = json_is_object(o) ? json_object_get(o, "optime") : o;
	bool ok = json_is_integer(v) && json_integer_value(v) >= 0;

	if (ok)
		*optime = (uint64_t)json_integer_value(v);
	json_decref(o);
	return ok;
}

static void decode_config(struct dcs_view *v, const struct dcs_kv *kv, struct warnings *w)
{
	json_t *o = json_loads(kv->value, 0, NULL);

	v->config_mod_revision = kv->mod_revision;
	if (json_is_object(o)) {
		v->has_config = true;
		free(v->config_json); /* given twice (hostile input): the later one stays */
		v->config_json = xstrdup(kv->value);
	} else {
		warnf(w, "config: not a JSON object; ignored");
	}
	json_decref(o);
}

static void decode_leader(struct dcs_view *v, const struct dcs_kv *kv, struct warnings *w)
{
	/* Present even when unreadable: someone holds the key, so nobody else may lead. */
	v->has_leader = true;
	v->leader_lease = kv->lease;
	v->leader_mod_revision = kv->mod_revision;
	v->leader_create_revision = kv->create_revision;
	if (!str_copy(v->leader, sizeof(v->leader), kv->value)) {
		warnf(w, "leader: name too long; leader unknown");
		v->leader[0] = '\0';
	} else if (v->leader[0] == '\0') {
		warnf(w, "leader: empty value; leader unknown");
	}
}

static void decode_initialize(struct dcs_view *v, const struct dcs_kv *kv, struct warnings *w)
{
	/* Present even when unreadable: the cluster exists and must never be initdb'ed. */
	v->has_initialize = true;
	if (!str_copy(v->initialize, sizeof(v->initialize), kv->value))
		warnf(w, "initialize: value too long; truncated");
}

/* Dispatches one key (relative to the prefix). */
static void decode_key(struct dcs_view *v, const char *rel, const struct dcs_kv *kv,
                       uint64_t *legacy_optime, bool *has_legacy, struct warnings *w)
{
	if (strcmp(rel, "leader") == 0) {
		decode_leader(v, kv, w);
	} else if (strcmp(rel, "initialize") == 0) {
		decode_initialize(v, kv, w);
	} else if (strcmp(rel, "config") == 0) {
		decode_config(v, kv, w);
	} else if (strcmp(rel, "sync") == 0) {
		decode_sync(&v->sync, kv, w);
	} else if (strcmp(rel, "failover") == 0) {
		decode_failover(&v->failover, kv, w);
	} else if (strcmp(rel, "failsafe") == 0) {
		decode_failsafe(&v->failsafe, kv, w);
	} else if (strcmp(rel, "history") == 0) {
		decode_history(v, kv, w);
	} else if (strcmp(rel, "status") == 0) {
		v->has_status = decode_optime(kv->value, &v->status_optime);
		if (!v->has_status)
			warnf(w, "status: no optime; ignored");
	} else if (strcmp(rel, "optime/leader") == 0) {
		*has_legacy = decode_optime(kv->value, legacy_optime);
	} else if (strcmp(rel, "backup") == 0) {
		decode_request(rel, &v->backup, kv, w);
	} else if (strcmp(rel, "restore") == 0) {
		decode_request(rel, &v->restore, kv, w);
	}
}

/*
 * readable_kv: kv as text for the decoders, or false for a key that holds a NUL byte:
 * it is another key than its printable prefix ("leader\0x" is not "leader") and no key
 * of Patroni's layout. A value that holds one is unreadable: read as "" (the decoders
 * then keep what must be kept, such as the presence of the leader key).
 */
static bool readable_kv(const struct dcs_kv *in, struct dcs_kv *out, struct warnings *w)
{
	size_t klen = in->key_len > 0 ? in->key_len : strlen(in->key);
	size_t vlen = in->value_len > 0 ? in->value_len : strlen(in->value);
	char shown[80];

	*out = *in;
	if (memchr(in->key, '\0', klen) != NULL) {
		warnf(w, "key \"%s\\0...\" holds a NUL byte; ignored",
		      printable(in->key, shown, sizeof(shown)));
		return false;
	}
	if (memchr(in->value, '\0', vlen) != NULL) {
		warnf(w, "%s: the value holds a NUL byte; read as empty",
		      printable(in->key, shown, sizeof(shown)));
		out->value = "";
	}
	return true;
}

void dcs_view_from_kvs(struct dcs_view *view, const char *prefix, const struct dcs_kv *kvs, int n,
                       int64_t revision, char *warn, size_t warnlen)
{
	struct warnings w = {.buf = warn, .size = warnlen};
	struct dcs_member *all = xcalloc((size_t)MAX(n, 1), sizeof(*all));
	size_t plen = strlen(prefix);
	int n_all = 0;
	uint64_t legacy_optime = 0;
	bool has_legacy = false;

	if (warn != NULL && warnlen > 0)
		warn[0] = '\0';
	memset(view, 0, sizeof(*view));
	view->valid = true;
	view->revision = revision;
	for (int i = 0; i < n; i++) {
		struct dcs_kv kv;
		const char *rel = kvs[i].key + plen;

		if (strncmp(kvs[i].key, prefix, plen) != 0 || !readable_kv(&kvs[i], &kv, &w))
			continue;
		if (str_has_prefix(rel, "members/"))
			add_member(all, &n_all, rel, &kv, &w);
		else
			decode_key(view, rel, &kv, &legacy_optime, &has_legacy, &w);
	}
	keep_members(view, all, n_all, &w);
	free(all);
	if (!view->has_status && has_legacy) {
		view->has_status = true;
		view->status_optime = legacy_optime;
	}
}

/* --- view helpers (dcs_types.h, dcs.h) ------------------------------------------------------ */

const struct dcs_member *dcs_view_member(const struct dcs_view *v, const char *name)
{
	struct dcs_member key;

	if (name == NULL || !str_copy(key.name, sizeof(key.name), name))
		return NULL;
	return bsearch(&key, v->members, (size_t)v->n_members, sizeof(key), member_cmp);
}

const struct dcs_member *dcs_view_leader_member(const struct dcs_view *v)
{
	if (!v->has_leader || v->leader[0] == '\0')
		return NULL;
	return dcs_view_member(v, v->leader);
}

bool dcs_sync_has(const struct dcs_sync *s, const char *name)
{
	for (int i = 0; i < s->n_standbys; i++)
		if (str_eq_nocase(s->standbys[i], name))
			return true;
	return false;
}

bool dcs_failsafe_has(const struct dcs_failsafe *fs, const char *name)
{
	return dcs_failsafe_url(fs, name) != NULL;
}

const char *dcs_failsafe_url(const struct dcs_failsafe *fs, const char *name)
{
	for (int i = 0; fs->state == DCS_FS_VALID && i < fs->n; i++)
		if (strcmp(fs->names[i], name) == 0)
			return fs->api_urls[i];
	return NULL;
}

int dcs_view_timeline(const struct dcs_view *v)
{
	return v->n_history > 0 ? v->history[v->n_history - 1].timeline + 1 : 1;
}

bool dcs_member_is_primary_role(const struct dcs_member *m)
{
	return strcmp(m->role, "primary") == 0 || strcmp(m->role, "master") == 0;
}

void dcs_view_free(struct dcs_view *view)
{
	free(view->config_json);
	free(view->history_json);
	view->config_json = NULL;
	view->history_json = NULL;
}

void dcs_view_copy(struct dcs_view *dst, const struct dcs_view *src)
{
	memcpy(dst, src, sizeof(*dst));
	dst->config_json = xstrdup(src->config_json);
	dst->history_json = xstrdup(src->history_json);
}

/* --- encoders ------------------------------------------------------------------------------- */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *dcs_sync_encode(const char *leader, const char *const *standbys, int n)
{
	const char **sorted = xcalloc((size_t)MAX(n, 1), sizeof(*sorted));
	json_t *o = json_object();
	struct buf joined;
	char *text;

	buf_init(&joined);
	if (standbys == NULL)
		n = 0;
	if (n > 0) {
		memcpy(sorted, standbys, (size_t)n * sizeof(*sorted));
		qsort(sorted, (size_t)n, sizeof(*sorted), name_cmp);
	}
	for (int i = 0; i < n; i++)
		buf_printf(&joined, "%s%s", i > 0 ? "," : "", sorted[i]);
	json_object_set_new(o, "leader", json_string(leader));
	json_object_set_new(o, "quorum", json_integer(0));
	json_object_set_new(o, "sync_standby", n > 0 ? json_string(joined.data) : json_null());
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	buf_free(&joined);
	free(sorted);
	return text;
}

bool dcs_request_pending(const struct dcs_request *r)
{
	return r->present && !str_eq(r->state, "done") && !str_eq(r->state, "failed") &&
	       !str_eq(r->state, "ready");
}

static void set_text(json_t *o, const char *key, const char *value)
{
	if (value[0] != '\0')
		json_object_set_new(o, key, json_string(value));
}

void dcs_request_follow(struct dcs_request *next, const struct dcs_request *current)
{
	memset(&next->previous, 0, sizeof(next->previous));
	if (!current->present || dcs_request_pending(current))
		return;
	snprintf(next->previous.id, sizeof(next->previous.id), "%s", current->id);
	snprintf(next->previous.state, sizeof(next->previous.state), "%s", current->state);
	snprintf(next->previous.result, sizeof(next->previous.result), "%s", current->result);
	next->previous.timeline = current->timeline;
}

bool dcs_request_outcome_of(const struct dcs_request *key, const char *id, struct dcs_request *out)
{
	struct dcs_request_outcome p;

	if (!key->present || id[0] == '\0' || !str_eq(key->previous.id, id))
		return false;
	p = key->previous; /* out may be key */
	memset(out, 0, sizeof(*out));
	out->present = true;
	snprintf(out->id, sizeof(out->id), "%s", p.id);
	snprintf(out->state, sizeof(out->state), "%s", p.state);
	snprintf(out->result, sizeof(out->result), "%s", p.result);
	out->timeline = p.timeline;
	return true;
}

char *dcs_request_encode(const struct dcs_request *r)
{
	json_t *o = json_object();
	char *text;

	set_text(o, "id", r->id);
	set_text(o, "kind", r->kind);
	set_text(o, "target", r->target);
	set_text(o, "leader", r->leader);
	if (r->from_timeline > 0)
		json_object_set_new(o, "from_timeline", json_integer(r->from_timeline));
	set_text(o, "state", r->state);
	set_text(o, "member", r->member);
	if (r->timeline > 0)
		json_object_set_new(o, "timeline", json_integer(r->timeline));
	set_text(o, "result", r->result);
	set_text(o, "requested_at", r->requested_at);
	if (r->previous.id[0] != '\0') {
		json_t *p = json_object();

		set_text(p, "id", r->previous.id);
		set_text(p, "state", r->previous.state);
		set_text(p, "result", r->previous.result);
		if (r->previous.timeline > 0)
			json_object_set_new(p, "timeline", json_integer(r->previous.timeline));
		json_object_set_new(o, "previous", p);
	}
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}

char *dcs_failsafe_encode(const struct dcs_failsafe *fs)
{
	json_t *o = json_object();
	char *text;

	for (int i = 0; i < fs->n; i++)
		json_object_set_new(o, fs->names[i], json_string(fs->api_urls[i]));
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}

char *dcs_failover_encode(const char *leader, const char *member, const char *scheduled_at)
{
	json_t *o = json_object();
	char *text;

	if (leader != NULL && *leader != '\0')
		json_object_set_new(o, "leader", json_string(leader));
	if (member != NULL && *member != '\0')
		json_object_set_new(o, "member", json_string(member));
	if (scheduled_at != NULL && *scheduled_at != '\0')
		json_object_set_new(o, "scheduled_at", json_string(scheduled_at));
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}
