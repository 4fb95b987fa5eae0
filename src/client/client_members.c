/*
 * client_members.c: members rows, the patronictl-style table and the list JSON.
 */
#include "client/client_members.h"

#include <stdio.h>
#include <string.h>
#include "util/strutil.h"

#define N_COLS   6
#define CELL_LEN (DCS_URL_LEN + 24) /* host:port */
#define MB       (1024 * 1024)

int client_members_rows(const struct dcs_view *v, struct client_member_row *rows, int max)
{
	bool sync_mode = client_synchronous_mode(v);
	int n = 0;

	for (int i = 0; i < v->n_members && n < max; i++) {
		struct client_member_row *r = &rows[n++];

		r->m = &v->members[i];
		r->role = dcs_member_role(v, r->m, sync_mode);
		r->state = dcs_member_state(r->m, r->role);
		r->has_lag = dcs_member_lag(v, r->m, r->role, &r->lag_bytes);
	}
	return n;
}

/* --- table --------------------------------------------------------------------------- */

struct table {
	char cells[DCS_MAX_MEMBERS + 1][N_COLS][CELL_LEN];
	int n_rows; /* including the header row */
	size_t width[N_COLS];
};

static const bool right_aligned[N_COLS] = {false, false, false, false, true, true};

static void row_cells(const struct client_member_row *r, char cells[N_COLS][CELL_LEN])
{
	const struct dcs_member *m = r->m;

	snprintf(cells[0], CELL_LEN, "%s", m->name);
	if (m->port > 0)
		snprintf(cells[1], CELL_LEN, "%s:%d", m->host, m->port);
	else
		snprintf(cells[1], CELL_LEN, "%s", m->host);
	snprintf(cells[2], CELL_LEN, "%s", dcs_role_title(r->role));
	snprintf(cells[3], CELL_LEN, "%s", r->state);
	if (m->timeline > 0)
		snprintf(cells[4], CELL_LEN, "%d", m->timeline);
	else
		cells[4][0] = '\0';
	if (r->role == DCS_ROLE_LEADER)
		cells[5][0] = '\0';
	else if (!r->has_lag)
		snprintf(cells[5], CELL_LEN, "unknown");
	else
		snprintf(cells[5], CELL_LEN, "%llu",
		         (unsigned long long)((r->lag_bytes + MB / 2) / MB));
}

static void table_fill(const struct dcs_view *v, struct table *t)
{
	static const char *const titles[N_COLS] = {"Member", "Host", "Role",
	                                           "State",  "TL",   "Lag in MB"};
	struct client_member_row rows[DCS_MAX_MEMBERS];
	int n = client_members_rows(v, rows, DCS_MAX_MEMBERS);

	for (int c = 0; c < N_COLS; c++)
		snprintf(t->cells[0][c], CELL_LEN, "%s", titles[c]);
	for (int i = 0; i < n; i++)
		row_cells(&rows[i], t->cells[i + 1]);
	t->n_rows = n + 1;
	for (int c = 0; c < N_COLS; c++) {
		t->width[c] = 0;
		for (int i = 0; i < t->n_rows; i++)
			t->width[c] = MAX(t->width[c], strlen(t->cells[i][c]));
	}
}

static void hrule(const struct table *t, struct buf *out)
{
	for (int c = 0; c < N_COLS; c++) {
		buf_puts(out, "+");
		for (size_t i = 0; i < t->width[c] + 2; i++)
			buf_puts(out, "-");
	}
	buf_puts(out, "+");
}

static void table_row(const struct table *t, int i, struct buf *out)
{
	for (int c = 0; c < N_COLS; c++) {
		int w = (int)t->width[c];

		if (right_aligned[c] && i > 0)
			buf_printf(out, "| %*s ", w, t->cells[i][c]);
		else
			buf_printf(out, "| %-*s ", w, t->cells[i][c]);
	}
	buf_puts(out, "|\n");
}

/* title_rule: the top rule with "+ Cluster: scope (sysid) " laid over it, as patronictl. */
static void title_rule(const struct table *t, const struct dcs_view *v, const char *scope,
                       struct buf *out)
{
	struct buf rule;
	struct buf title;

	buf_init(&rule);
	buf_init(&title);
	hrule(t, &rule);
	buf_printf(&title, "+ Cluster: %s ", scope);
	if (v->has_initialize && v->initialize[0])
		buf_printf(&title, "(%s) ", v->initialize);
	buf_puts(out, title.data);
	if (title.len < rule.len)
		buf_puts(out, rule.data + title.len);
	else
		buf_puts(out, "+");
	buf_puts(out, "\n");
	buf_free(&title);
	buf_free(&rule);
}

void client_members_table(const struct dcs_view *v, const char *scope, struct buf *out)
{
	struct table t;

	table_fill(v, &t);
	title_rule(&t, v, scope, out);
	table_row(&t, 0, out);
	hrule(&t, out);
	buf_puts(out, "\n");
	for (int i = 1; i < t.n_rows; i++)
		table_row(&t, i, out);
	hrule(&t, out);
	buf_puts(out, "\n");
	if (client_paused(v))
		buf_puts(out, " Maintenance mode: on\n");
}

/* --- JSON ---------------------------------------------------------------------------- */

/* text: a JSON string; etcd keys are arbitrary bytes, so invalid UTF-8 is replaced. */
static json_t *text(const char *s)
{
	json_t *j = json_string(s);

	return j ? j : json_string("(invalid UTF-8)");
}

static json_t *text_or_null(const char *s)
{
	return s[0] ? text(s) : json_null();
}

/* archive_json: a primary's WAL archiving (pgha's extension of its member key), or null. */
static json_t *archive_json(const struct dcs_archive *a, int64_t now_ms)
{
	json_int_t lag_s = a->ready > 0 && a->oldest_ready_ms > 0 && now_ms > a->oldest_ready_ms
	                       ? (json_int_t)((now_ms - a->oldest_ready_ms) / 1000)
	                       : 0;

	if (!a->present)
		return json_null();
	return json_pack(
	    "{s:i, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:b}", "ready", a->ready, "lag_s",
	    now_ms > 0 ? json_integer(lag_s) : json_null(), "oldest_ready_ms",
	    a->oldest_ready_ms ? json_integer(a->oldest_ready_ms) : json_null(),
	    "last_archived_wal", text_or_null(a->last_archived_wal), "last_archived_ms",
	    a->last_archived_ms ? json_integer(a->last_archived_ms) : json_null(), "failed_count",
	    (json_int_t)a->failed_count, "last_failed_wal", text_or_null(a->last_failed_wal),
	    "last_failed_ms", a->last_failed_ms ? json_integer(a->last_failed_ms) : json_null(),
	    "failing", a->last_failed_ms > a->last_archived_ms);
}

static json_t *row_json(const struct client_member_row *r, int64_t now_ms)
{
	const struct dcs_member *m = r->m;
	json_t *o = json_object();

	json_object_set_new(o, "name", text(m->name));
	json_object_set_new(o, "host", text_or_null(m->host));
	json_object_set_new(o, "port", m->port > 0 ? json_integer(m->port) : json_null());
	json_object_set_new(o, "api_url", text_or_null(m->api_url));
	json_object_set_new(o, "pooler", text_or_null(m->pooler));
	json_object_set_new(o, "role", json_string(dcs_role_str(r->role)));
	json_object_set_new(o, "state", text(r->state));
	json_object_set_new(o, "timeline",
	                    m->timeline > 0 ? json_integer(m->timeline) : json_null());
	json_object_set_new(o, "lag_bytes",
	                    r->has_lag ? json_integer((json_int_t)r->lag_bytes) : json_null());
	json_object_set_new(o, "archive", archive_json(&m->archive, now_ms));
	return o;
}

void client_failsafe_line(const struct client_failsafe *fs, struct buf *out)
{
	if (fs->active)
		buf_printf(out,
		           " Failsafe mode: active on %s (it cannot reach etcd; every member "
		           "confirms it)\n",
		           fs->primary);
}

json_t *client_failsafe_json(const struct client_failsafe *fs, const struct dcs_view *v)
{
	json_t *o = json_object();
	json_t *members = json_array();

	for (int i = 0; v->failsafe.state == DCS_FS_VALID && i < v->failsafe.n; i++)
		json_array_append_new(members, text(v->failsafe.names[i]));
	json_object_set_new(o, "mode", json_boolean(fs->mode));
	json_object_set_new(o, "active", json_boolean(fs->active));
	json_object_set_new(o, "primary", fs->primary[0] ? text(fs->primary) : json_null());
	json_object_set_new(o, "members", members);
	return o;
}

json_t *client_members_json(const struct dcs_view *v, const struct client *c, int64_t now_ms)
{
	struct client_member_row rows[DCS_MAX_MEMBERS];
	int n = client_members_rows(v, rows, DCS_MAX_MEMBERS);
	json_t *etcd = json_array();
	json_t *members = json_array();
	json_t *o = json_object();

	for (int i = 0; i < c->n_etcd; i++)
		json_array_append_new(etcd, text(c->etcd[i]));
	for (int i = 0; i < n; i++)
		json_array_append_new(members, row_json(&rows[i], now_ms));
	json_object_set_new(o, "scope", text(c->scope));
	json_object_set_new(o, "namespace", text(c->namespace_));
	json_object_set_new(o, "etcd", etcd);
	json_object_set_new(o, "leader", v->has_leader ? text(v->leader) : json_null());
	json_object_set_new(o, "pause", json_boolean(client_paused(v)));
	json_object_set_new(o, "members", members);
	return o;
}
