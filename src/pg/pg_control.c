/*
 * pg_control.c: what pg_controldata says about a data directory (cluster state,
 * system identifier, latest checkpoint and its timeline).
 *
 * The parser is pure and reads the C-locale text of PostgreSQL 9.6 to 17 (the lines
 * it needs have not changed); pg_controldata is always run with LC_ALL=C. Lines it
 * does not know are skipped, so a newer version adding lines still parses.
 */
#include "pg/pg_int.h"

#include <stdio.h>
#include <string.h>
#include "log/log.h"
#include "util/fsutil.h"
#include "util/strutil.h"
#include "util/xalloc.h"

static const struct {
	const char *text;
	enum pg_data_state state;
} states[] = {
    {"shut down", PG_DATA_SHUT_DOWN},         {"shut down in recovery", PG_DATA_SHUT_DOWN_RECOVERY},
    {"in production", PG_DATA_IN_PRODUCTION}, {"in archive recovery", PG_DATA_IN_RECOVERY},
    {"starting up", PG_DATA_OTHER},           {"shutting down", PG_DATA_OTHER},
    {"in crash recovery", PG_DATA_OTHER},     {"unrecognized status code", PG_DATA_OTHER},
};

static bool parse_state(const char *value, enum pg_data_state *out)
{
	for (size_t i = 0; i < ARRAY_LEN(states); i++) {
		if (str_eq(value, states[i].text)) {
			*out = states[i].state;
			return true;
		}
	}
	return false;
}

/* Fields found so far; all four are required. */
struct found {
	bool state, system_id, timeline, checkpoint;
};

static void parse_line(const char *key, const char *value, struct pg_observation *o,
                       struct found *f)
{
	int64_t v;

	if (str_eq(key, "Database cluster state")) {
		/* A state this code does not know (a newer PostgreSQL) is not "shut down". */
		if (!parse_state(value, &o->data))
			o->data = PG_DATA_OTHER;
		f->state = value[0] != '\0';
	} else if (str_eq(key, "Database system identifier")) {
		f->system_id = str_parse_i64(value, &v) && value[0] != '-' &&
		               str_copy(o->system_id, sizeof(o->system_id), value);
	} else if (str_eq(key, "Latest checkpoint's TimeLineID")) {
		f->timeline = str_parse_i64(value, &v) && v > 0 && v <= INT32_MAX;
		o->control_timeline = f->timeline ? (int)v : 0;
	} else if (str_eq(key, "Latest checkpoint location")) {
		f->checkpoint = str_parse_lsn(value, &o->control_checkpoint);
	}
}

bool pg_controldata_parse(const char *text, struct pg_observation *o)
{
	struct pg_observation parsed = *o;
	struct found f = {false, false, false, false};
	char *copy = xstrdup(text), *save = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');

		if (colon == NULL)
			continue;
		*colon = '\0';
		parse_line(str_trim(line), str_trim(colon + 1), &parsed, &f);
	}
	free(copy);
	if (!(f.state && f.system_id && f.timeline && f.checkpoint))
		return false;
	o->data = parsed.data;
	memcpy(o->system_id, parsed.system_id, sizeof(o->system_id));
	o->control_timeline = parsed.control_timeline;
	o->control_checkpoint = parsed.control_checkpoint;
	return true;
}

/* data_dir_state: EMPTY or INVALID without running anything, else OTHER (look closer). */
static enum pg_data_state data_dir_state(const char *data_dir)
{
	char *version = xasprintf("%s/PG_VERSION", data_dir);
	char *control = xasprintf("%s/global/pg_control", data_dir);
	enum pg_data_state s = PG_DATA_OTHER;

	if (fs_dir_is_empty(data_dir))
		s = PG_DATA_EMPTY;
	else if (!fs_exists(version) || !fs_exists(control))
		s = PG_DATA_INVALID;
	free(version);
	free(control);
	return s;
}

bool pg_controldata_read(const struct pg_node *n, struct pg_observation *o, int timeout_ms)
{
	char *bin = pg_bin(n, "pg_controldata");
	const char *argv[] = {bin, "-D", n->data_dir, NULL};
	struct buf out;
	bool ok;

	o->data = data_dir_state(n->data_dir);
	if (o->data != PG_DATA_OTHER) {
		free(bin);
		return true;
	}
	buf_init(&out);
	ok = pg_tool_run(n, argv, timeout_ms, &out);
	if (ok && !pg_controldata_parse(out.data, o)) {
		log_error("cannot parse the output of %s for %s", bin, n->data_dir);
		ok = false;
	}
	if (!ok)
		o->data = PG_DATA_INVALID;
	buf_free(&out);
	free(bin);
	return ok;
}
