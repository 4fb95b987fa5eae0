/*
 * ops_history.c: the history key, decoded and rendered.
 */
#include "cli/ops_history.h"

#include <stdio.h>
#include <string.h>
#include "util/compiler.h"

#define N_COLS   5
#define CELL_LEN 128

static const char *const field_names[N_COLS] = {"timeline", "lsn", "reason", "timestamp",
                                                "new_leader"};

/* line_json: one [tl, lsn, reason?, timestamp?, leader?] line; NULL if malformed. */
static json_t *line_json(const json_t *line)
{
	json_t *o;

	if (!json_is_array(line) || json_array_size(line) < 2 ||
	    !json_is_integer(json_array_get(line, 0)) || !json_is_integer(json_array_get(line, 1)))
		return NULL;
	o = json_object();
	for (size_t i = 0; i < N_COLS; i++) {
		json_t *v = json_array_get(line, i);

		/* text fields must be strings; anything else is shown as unknown (null) */
		if (v == NULL || (i >= 2 && !json_is_string(v)))
			v = json_null();
		else
			json_incref(v);
		json_object_set_new(o, field_names[i], v);
	}
	return o;
}

json_t *ops_history_json(const char *history_key, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *raw;
	json_t *out;

	if (history_key == NULL || history_key[0] == '\0')
		return json_array();
	raw = json_loads(history_key, JSON_DECODE_ANY, &jerr);
	if (!json_is_array(raw)) {
		snprintf(err, errlen, "the history key is not a JSON array%s%s", raw ? "" : ": ",
		         raw ? "" : jerr.text);
		json_decref(raw);
		return NULL;
	}
	out = json_array();
	for (size_t i = 0; i < json_array_size(raw); i++) {
		json_t *o = line_json(json_array_get(raw, i));

		if (o == NULL) {
			snprintf(
			    err, errlen,
			    "history line %zu is not [timeline, lsn, reason, timestamp, leader]",
			    i + 1);
			json_decref(out);
			json_decref(raw);
			return NULL;
		}
		json_array_append_new(out, o);
	}
	json_decref(raw);
	return out;
}

/* --- table --------------------------------------------------------------------------- */

static void cell(const json_t *row, int c, char *out)
{
	const json_t *v = json_object_get(row, field_names[c]);

	if (json_is_integer(v))
		snprintf(out, CELL_LEN, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_string(v))
		snprintf(out, CELL_LEN, "%s", json_string_value(v));
	else
		out[0] = '\0';
}

static void rule(const size_t *width, struct buf *out)
{
	for (int c = 0; c < N_COLS; c++) {
		buf_puts(out, "+");
		for (size_t i = 0; i < width[c] + 2; i++)
			buf_puts(out, "-");
	}
	buf_puts(out, "+\n");
}

static void row(const size_t *width, char cells[N_COLS][CELL_LEN], struct buf *out)
{
	for (int c = 0; c < N_COLS; c++) {
		int w = (int)width[c];

		if (c < 2) /* TL and LSN are right-aligned, as in patronictl */
			buf_printf(out, "| %*s ", w, cells[c]);
		else
			buf_printf(out, "| %-*s ", w, cells[c]);
	}
	buf_puts(out, "|\n");
}

void ops_history_table(const json_t *history, struct buf *out)
{
	static const char *const titles[N_COLS] = {"TL", "LSN", "Reason", "Timestamp",
	                                           "New Leader"};
	char cells[N_COLS][CELL_LEN];
	size_t width[N_COLS];
	size_t n = json_array_size(history);

	for (int c = 0; c < N_COLS; c++)
		width[c] = strlen(titles[c]);
	for (size_t i = 0; i < n; i++) {
		for (int c = 0; c < N_COLS; c++) {
			cell(json_array_get(history, i), c, cells[c]);
			width[c] = MAX(width[c], strlen(cells[c]));
		}
	}
	rule(width, out);
	for (int c = 0; c < N_COLS; c++)
		snprintf(cells[c], CELL_LEN, "%s", titles[c]);
	row(width, cells, out);
	rule(width, out);
	for (size_t i = 0; i < n; i++) {
		for (int c = 0; c < N_COLS; c++)
			cell(json_array_get(history, i), c, cells[c]);
		row(width, cells, out);
	}
	if (n > 0)
		rule(width, out);
}
