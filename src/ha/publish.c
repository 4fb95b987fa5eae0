/*
 * publish.c: Patroni-format values written by the agent.
 */
#include "ha/publish.h"

#include <stdlib.h>
#include <string.h>
#include "util/strutil.h"
#include "util/xalloc.h"

static void set_u64(json_t *obj, const char *key, uint64_t v)
{
	json_object_set_new(obj, key, json_integer((json_int_t)v));
}

static void add_pg_fields(json_t *o, const struct pg_observation *pg)
{
	if (!pg->connected)
		return;
	if (pg->in_recovery) {
		set_u64(o, "xlog_location", MAX(pg->receive_lsn, pg->replay_lsn));
		set_u64(o, "receive_lsn", pg->receive_lsn);
		set_u64(o, "replay_lsn", pg->replay_lsn);
		json_object_set_new(
		    o, "replication_state",
		    json_string(pg->receiver_streaming ? "streaming" : "in archive recovery"));
	} else {
		set_u64(o, "xlog_location", pg->wal_lsn);
	}
	if (pg->timeline > 0)
		json_object_set_new(o, "timeline", json_integer(pg->timeline));
}

static void add_extensions(json_t *o, const struct member_facts *f)
{
	const struct pg_archiver *a = f->archive;
	const struct dcs_backup_pg *b = f->backup_pg;

	if (a != NULL)
		json_object_set_new(
		    o, "archive",
		    json_pack("{s:i, s:I, s:s, s:I, s:I, s:s, s:I}", "ready", a->ready,
		              "oldest_ready_ms", (json_int_t)a->oldest_ready_ms,
		              "last_archived_wal", a->last_archived_wal, "last_archived_ms",
		              (json_int_t)a->last_archived_ms, "failed_count",
		              (json_int_t)a->failed_count, "last_failed_wal", a->last_failed_wal,
		              "last_failed_ms", (json_int_t)a->last_failed_ms));
	if (b != NULL)
		json_object_set_new(o, "pgbackrest",
		                    json_pack("{s:s, s:s, s:i}", "pg-path", b->path,
		                              "pg-socket-path", b->socket_path, "pg-port",
		                              b->port));
}

char *publish_member_json(const struct member_facts *f)
{
	json_t *o = json_object();
	char *s;

	json_object_set_new(o, "conn_url", json_string(f->conn_url));
	json_object_set_new(o, "api_url", json_string(f->api_url));
	json_object_set_new(o, "state", json_string(f->state));
	json_object_set_new(o, "role", json_string(f->role));
	json_object_set_new(o, "version", json_string(PUBLISH_PATRONI_VERSION));
	add_pg_fields(o, f->pg);
	if (f->tags && json_object_size(f->tags) > 0)
		json_object_set(o, "tags", (json_t *)(uintptr_t)f->tags);
	if (f->pooler && f->pooler[0])
		json_object_set_new(o, "pooler", json_string(f->pooler));
	if (f->pause)
		json_object_set_new(o, "pause", json_true());
	add_extensions(o, f);
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

char *publish_status_json(uint64_t optime)
{
	return xasprintf("{\"optime\":%llu}", (unsigned long long)optime);
}

/* parse_line: "1\t0/3000158\tno recovery target specified" */
static bool parse_line(char *line, int *tl, uint64_t *lsn, const char **reason)
{
	char *tab1 = strchr(line, '\t'), *tab2;

	if (tab1 == NULL)
		return false;
	*tab1 = '\0';
	tab2 = strchr(tab1 + 1, '\t');
	if (tab2)
		*tab2 = '\0';
	*reason = tab2 ? str_trim(tab2 + 1) : "";
	return str_parse_int(str_trim(line), tl) && *tl > 0 &&
	       str_parse_lsn(str_trim(tab1 + 1), lsn);
}

static const struct dcs_history_entry *old_entry(const struct dcs_view *old, int tl)
{
	for (int i = 0; old && i < old->n_history; i++)
		if (old->history[i].timeline == tl)
			return &old->history[i];
	return NULL;
}

static json_t *history_line(int tl, uint64_t lsn, const char *reason, const char *ts,
                            const char *leader)
{
	json_t *a = json_array();

	json_array_append_new(a, json_integer(tl));
	json_array_append_new(a, json_integer((json_int_t)lsn));
	json_array_append_new(a, json_string(reason));
	if (ts && ts[0]) {
		json_array_append_new(a, json_string(ts));
		if (leader && leader[0])
			json_array_append_new(a, json_string(leader));
	}
	return a;
}

char *publish_history_json(const char *file_text, const struct dcs_view *old, const char *timestamp,
                           const char *new_leader)
{
	char *copy = xstrdup(file_text), *save = NULL;
	json_t *arr = json_array();
	char *s = NULL;
	size_t last;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const struct dcs_history_entry *e;
		const char *reason;
		uint64_t lsn;
		int tl;

		if (line[0] == '#' || !parse_line(line, &tl, &lsn, &reason))
			continue;
		e = old_entry(old, tl);
		json_array_append_new(arr, history_line(tl, lsn, reason, e ? e->timestamp : NULL,
		                                        e ? e->new_leader : NULL));
	}
	last = json_array_size(arr);
	if (last > 0) {
		json_t *newest = json_array_get(arr, last - 1);

		if (json_array_size(newest) == 3) {
			json_array_append_new(newest, json_string(timestamp));
			json_array_append_new(newest, json_string(new_leader));
		}
		s = json_dumps(arr, JSON_COMPACT);
	}
	json_decref(arr);
	free(copy);
	return s;
}
