/*
 * pg_slots.h: which replication slots to create and to drop on the local PostgreSQL,
 * as a pure plan (pg_sync_slots in pg.h carries it out).
 *
 * The rule: pgha creates the slots it wants (the members' physical slots, Patroni's
 * permanent `slots`) and drops only slots it created itself, once nobody wants them,
 * nobody uses them (active) and no `ignore_slots` entry matches them. A slot made by
 * anyone else - a backup tool's, a CDC consumer's, an operator's - is never dropped:
 * Patroni drops every slot it does not know, and the field reports it silently
 * breaking backup and replication tools. What pgha created is a record kept with the
 * data directory; a name in the record whose slot is gone is forgotten, so a later
 * slot of that name made by someone else is not taken for pgha's.
 *
 * Pure: no I/O.
 */
#ifndef PGHA_PG_PG_SLOTS_H
#define PGHA_PG_PG_SLOTS_H

#include <stdbool.h>
#include "config/config.h"

#define PG_MAX_SLOTS 64 /* slots of one node considered (existing, wanted, recorded) */

/* One row of pg_replication_slots. */
struct pg_slot_row {
	char name[64];
	char type[16]; /* physical, logical */
	char database[64];
	char plugin[64];
	bool active;
	bool temporary;
};

struct pg_slots_plan {
	const struct slot_spec *create[PG_MAX_SLOTS]; /* borrowed from wanted */
	int n_create;
	char drop[PG_MAX_SLOTS][64];
	int n_drop;
	char keep[PG_MAX_SLOTS][64]; /* recorded slots that stay pgha's */
	int n_keep;
};

/*
 * pg_slots_plan: creates = wanted slots that do not exist (by name); drops = existing
 * slots in record, not wanted, not temporary, not active, matching no ignore entry;
 * keep = existing slots in record that are not dropped. After carrying it out, the
 * record is keep plus the creates that succeeded plus the drops that failed.
 */
void pg_slots_plan(const struct pg_slot_row *existing, int n_existing, const char (*record)[64],
                   int n_record, const struct slot_spec *wanted, int n_wanted,
                   const struct slot_match *ignore, int n_ignore, struct pg_slots_plan *out);
/* pg_slot_matches: every property m gives ("" = any) is the slot's. */
bool pg_slot_matches(const struct pg_slot_row *s, const struct slot_match *m);

#endif
