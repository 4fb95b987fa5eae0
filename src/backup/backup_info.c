/*
 * backup_info.c: what `pgbackrest info --output=json` says about a stanza: its
 * status, its backups and its archive; the recovery window; `pgha backup list` as a
 * table or JSON (backup.h). Pure.
 */
#include "backup/backup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util/strutil.h"
#include "util/xalloc.h"

const char *backup_type_name(enum backup_type t)
{
	static const char *const names[BACKUP_TYPE__COUNT] = {"none", "full", "diff", "incr"};

	return t < BACKUP_TYPE__COUNT ? names[t] : "?";
}

enum backup_type backup_type_parse(const char *s)
{
	for (int t = BACKUP_FULL; t < BACKUP_TYPE__COUNT; t++) {
		if (str_eq(s, backup_type_name((enum backup_type)t)))
			return (enum backup_type)t;
	}
	return BACKUP_NONE;
}

/* --- parsing ---------------------------------------------------------------------------- */

/* jstr: a string member, "" when absent or not a string. */
static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static void copy_str(const json_t *o, const char *key, char *out, size_t size)
{
	if (!str_copy(out, size, jstr(o, key)))
		out[0] = '\0';
}

static int64_t get_int(const json_t *o, const char *key)
{
	return json_is_integer(json_object_get(o, key))
	           ? (int64_t)json_integer_value(json_object_get(o, key))
	           : 0;
}

/* wal_timeline: "00000002000000000000000A" -> 2; 0 if not a WAL file name. */
static int wal_timeline(const char *wal)
{
	char hex[9];

	if (strlen(wal) != 24 || strspn(wal, "0123456789ABCDEF") != 24)
		return 0;
	memcpy(hex, wal, 8);
	hex[8] = '\0';
	return (int)strtol(hex, NULL, 16);
}

static void parse_lsn(const json_t *lsn, const char *key, uint64_t *out)
{
	const char *s = json_string_value(json_object_get(lsn, key));

	if (s == NULL || !str_parse_lsn(s, out))
		*out = 0;
}

static void parse_set(const json_t *b, struct backup_set *s)
{
	const json_t *ts = json_object_get(b, "timestamp");
	const json_t *lsn = json_object_get(b, "lsn");
	const json_t *archive = json_object_get(b, "archive");
	const json_t *info = json_object_get(b, "info");
	const json_t *repo = json_object_get(info, "repository");

	memset(s, 0, sizeof(*s));
	copy_str(b, "label", s->label, sizeof(s->label));
	copy_str(b, "prior", s->prior, sizeof(s->prior));
	s->type = backup_type_parse(jstr(b, "type"));
	s->start_s = get_int(ts, "start");
	s->stop_s = get_int(ts, "stop");
	parse_lsn(lsn, "start", &s->lsn_start);
	parse_lsn(lsn, "stop", &s->lsn_stop);
	copy_str(archive, "start", s->wal_start, sizeof(s->wal_start));
	copy_str(archive, "stop", s->wal_stop, sizeof(s->wal_stop));
	s->timeline = wal_timeline(s->wal_stop[0] ? s->wal_stop : s->wal_start);
	s->size = get_int(info, "size");
	s->delta = get_int(info, "delta");
	s->repo_size = get_int(repo, "size");
	s->repo_delta = get_int(repo, "delta");
	s->error = json_is_true(json_object_get(b, "error")) || s->type == BACKUP_NONE ||
	           s->label[0] == '\0';
}

static void parse_archive(const json_t *stanza, struct backup_info *out)
{
	const json_t *archives = json_object_get(stanza, "archive");
	size_t i;
	const json_t *a;

	/* One entry per database id; the last is the current database's. */
	json_array_foreach(archives, i, a)
	{
		char min[BACKUP_WAL_LEN], max[BACKUP_WAL_LEN];

		copy_str(a, "min", min, sizeof(min));
		copy_str(a, "max", max, sizeof(max));
		if (min[0] != '\0' &&
		    (out->archive_min[0] == '\0' || strcmp(min, out->archive_min) < 0))
			snprintf(out->archive_min, sizeof(out->archive_min), "%s", min);
		if (max[0] != '\0' && strcmp(max, out->archive_max) > 0)
			snprintf(out->archive_max, sizeof(out->archive_max), "%s", max);
	}
}

static void parse_stanza(const json_t *st, struct backup_info *out)
{
	const json_t *status = json_object_get(st, "status");
	const json_t *backups = json_object_get(st, "backup");
	const json_t *dbs = json_object_get(st, "db");
	size_t i;
	const json_t *b;

	out->status_code = (int)get_int(status, "code");
	copy_str(status, "message", out->status_message, sizeof(out->status_message));
	out->backup_running = json_is_true(
	    json_object_get(json_object_get(json_object_get(status, "lock"), "backup"), "held"));
	if (json_array_size(dbs) > 0)
		snprintf(
		    out->system_id, sizeof(out->system_id), "%lld",
		    (long long)get_int(json_array_get(dbs, json_array_size(dbs) - 1), "system-id"));
	parse_archive(st, out);
	out->sets = xcalloc(json_array_size(backups) + 1, sizeof(*out->sets));
	json_array_foreach(backups, i, b)
	{
		parse_set(b, &out->sets[out->n_sets++]);
	}
}

bool backup_info_parse(const char *json, const char *stanza, struct backup_info *out, char *err,
                       size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loads(json, 0, &jerr);
	size_t i;
	const json_t *st;

	memset(out, 0, sizeof(*out));
	snprintf(out->stanza, sizeof(out->stanza), "%s", stanza);
	out->status_code = -1;
	if (!json_is_array(root)) {
		snprintf(err, errlen, "not pgBackRest's info JSON (%s)",
		         root == NULL ? jerr.text : "not an array");
		json_decref(root);
		return false;
	}
	json_array_foreach(root, i, st)
	{
		if (str_eq(jstr(st, "name"), stanza))
			parse_stanza(st, out);
	}
	json_decref(root);
	return true;
}

void backup_info_free(struct backup_info *info)
{
	free(info->sets);
	info->sets = NULL;
	info->n_sets = 0;
}

const struct backup_set *backup_info_newest(const struct backup_info *info, enum backup_type t)
{
	for (int i = info->n_sets - 1; i >= 0; i--) {
		const struct backup_set *s = &info->sets[i];

		if (!s->error && (t == BACKUP_NONE || s->type == t))
			return s;
	}
	return NULL;
}

const struct backup_set *backup_info_find(const struct backup_info *info, const char *label)
{
	for (int i = 0; i < info->n_sets; i++) {
		if (str_eq(info->sets[i].label, label))
			return &info->sets[i];
	}
	return NULL;
}

void backup_info_window(const struct backup_info *info, int64_t last_archived_s,
                        struct backup_window *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < info->n_sets; i++) {
		if (!info->sets[i].error) {
			out->known = true;
			out->from_s = info->sets[i].stop_s;
			break;
		}
	}
	/* The backup's own end is reachable even before the next WAL file is archived. */
	if (out->known && last_archived_s > 0)
		out->until_s = last_archived_s > out->from_s ? last_archived_s : out->from_s;
}

/* --- rendering ------------------------------------------------------------------------------ */

/* iso_utc: epoch seconds as "2026-12-07T21:21:47Z" ("" for 0). */
static void iso_utc(int64_t s, char *out, size_t size)
{
	time_t t = (time_t)s;
	struct tm tm;

	if (s <= 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(out, size, "%s", "");
		return;
	}
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *time_json(int64_t s)
{
	char text[32];

	iso_utc(s, text, sizeof(text));
	return text[0] ? json_string(text) : json_null();
}

static json_t *text_or_null(const char *s)
{
	return s[0] ? json_string(s) : json_null();
}

static json_t *set_json(const struct backup_set *s)
{
	char lsn_start[24], lsn_stop[24];

	str_format_lsn(s->lsn_start, lsn_start, sizeof(lsn_start));
	str_format_lsn(s->lsn_stop, lsn_stop, sizeof(lsn_stop));
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:i, s:s, s:s, s:o, "
	                 "s:o, s:b}",
	                 "label", s->label, "type", backup_type_name(s->type), "prior",
	                 text_or_null(s->prior), "start", time_json(s->start_s), "stop",
	                 time_json(s->stop_s), "duration_s", (json_int_t)(s->stop_s - s->start_s),
	                 "size", (json_int_t)s->size, "delta", (json_int_t)s->delta, "repo_size",
	                 (json_int_t)s->repo_size, "repo_delta", (json_int_t)s->repo_delta,
	                 "timeline", s->timeline, "lsn_start", lsn_start, "lsn_stop", lsn_stop,
	                 "wal_start", text_or_null(s->wal_start), "wal_stop",
	                 text_or_null(s->wal_stop), "error", s->error);
}

json_t *backup_info_json(const struct backup_info *info, int64_t last_archived_s)
{
	struct backup_window w;
	json_t *sets = json_array();

	backup_info_window(info, last_archived_s, &w);
	for (int i = 0; i < info->n_sets; i++)
		json_array_append_new(sets, set_json(&info->sets[i]));
	return json_pack("{s:s, s:{s:i, s:s}, s:b, s:{s:o, s:o, s:o}, s:{s:o, s:o}, s:o}", "stanza",
	                 info->stanza, "status", "code", info->status_code, "message",
	                 info->status_message, "running", info->backup_running, "archive", "min",
	                 text_or_null(info->archive_min), "max", text_or_null(info->archive_max),
	                 "last_archived", time_json(last_archived_s), "window", "from",
	                 w.known ? time_json(w.from_s) : json_null(), "until",
	                 w.known ? time_json(w.until_s) : json_null(), "backups", sets);
}

/* human_bytes: 181648754 -> "173.2 MiB". */
static void human_bytes(int64_t b, char *out, size_t size)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)b;
	int u = 0;

	while (v >= 1024.0 && u < 4) {
		v /= 1024.0;
		u++;
	}
	snprintf(out, size, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
}

static void table_row(const struct backup_set *s, struct buf *out)
{
	char start[32], size[24], repo[24];

	iso_utc(s->start_s, start, sizeof(start));
	human_bytes(s->size, size, sizeof(size));
	human_bytes(s->repo_size, repo, sizeof(repo));
	buf_printf(out, "%-34s %-4s %-20s %6llds %10s %10s %3d%s\n", s->label,
	           backup_type_name(s->type), start, (long long)(s->stop_s - s->start_s), size,
	           repo, s->timeline, s->error ? "  (error)" : "");
}

void backup_info_table(const struct backup_info *info, int64_t last_archived_s, struct buf *out)
{
	struct backup_window w;
	char from[32], until[32];

	buf_printf(out, "Stanza %s: %s%s\n", info->stanza,
	           info->status_code == 0 ? "ok" : info->status_message,
	           info->backup_running ? " (a backup is running)" : "");
	buf_printf(out, "%-34s %-4s %-20s %7s %10s %10s %3s\n", "Backup", "Type", "Started (UTC)",
	           "Took", "Size", "In repo", "TL");
	for (int i = 0; i < info->n_sets; i++)
		table_row(&info->sets[i], out);
	backup_info_window(info, last_archived_s, &w);
	iso_utc(w.from_s, from, sizeof(from));
	iso_utc(w.until_s, until, sizeof(until));
	if (w.known)
		buf_printf(out, "Recovery window: %s to %s\n", from,
		           until[0] ? until : "the last archived WAL");
	else
		buf_puts(out, "Recovery window: none (no usable backup yet)\n");
	if (info->archive_max[0])
		buf_printf(out, "WAL archive: %s to %s\n", info->archive_min, info->archive_max);
}
