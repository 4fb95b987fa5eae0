/*
 * pg_slots.c: the plan of which replication slots to create and drop (pg_slots.h).
 * Pure.
 */
#include "pg/pg_slots.h"

#include <string.h>
#include "util/strutil.h"

static bool field_matches(const char *want, const char *have)
{
	return want[0] == '\0' || str_eq(want, have);
}

bool pg_slot_matches(const struct pg_slot_row *s, const struct slot_match *m)
{
	return field_matches(m->name, s->name) && field_matches(m->type, s->type) &&
	       field_matches(m->database, s->database) && field_matches(m->plugin, s->plugin);
}

static const struct pg_slot_row *find_row(const struct pg_slot_row *rows, int n, const char *name)
{
	for (int i = 0; i < n; i++) {
		if (str_eq(rows[i].name, name))
			return &rows[i];
	}
	return NULL;
}

static bool recorded(const char (*record)[64], int n, const char *name)
{
	for (int i = 0; i < n; i++) {
		if (str_eq(record[i], name))
			return true;
	}
	return false;
}

static bool wanted_name(const struct slot_spec *wanted, int n, const char *name)
{
	for (int i = 0; i < n; i++) {
		if (str_eq(wanted[i].name, name))
			return true;
	}
	return false;
}

static bool ignored(const struct pg_slot_row *s, const struct slot_match *ignore, int n)
{
	for (int i = 0; i < n; i++) {
		if (pg_slot_matches(s, &ignore[i]))
			return true;
	}
	return false;
}

void pg_slots_plan(const struct pg_slot_row *existing, int n_existing, const char (*record)[64],
                   int n_record, const struct slot_spec *wanted, int n_wanted,
                   const struct slot_match *ignore, int n_ignore, struct pg_slots_plan *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < n_wanted && out->n_create < PG_MAX_SLOTS; i++) {
		if (find_row(existing, n_existing, wanted[i].name) == NULL)
			out->create[out->n_create++] = &wanted[i];
	}
	for (int i = 0; i < n_existing; i++) {
		const struct pg_slot_row *s = &existing[i];
		bool drop;

		if (s->temporary || !recorded(record, n_record, s->name))
			continue; /* not pgha's: never touched */
		drop = !wanted_name(wanted, n_wanted, s->name) && !s->active &&
		       !ignored(s, ignore, n_ignore);
		if (drop && out->n_drop < PG_MAX_SLOTS)
			memcpy(out->drop[out->n_drop++], s->name, sizeof(s->name));
		else if (!drop && out->n_keep < PG_MAX_SLOTS)
			memcpy(out->keep[out->n_keep++], s->name, sizeof(s->name));
	}
}
