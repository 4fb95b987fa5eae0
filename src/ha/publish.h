/*
 * publish.h: what the agent writes about itself and its cluster, in Patroni's
 * formats: the members/<name> value, the status value and the history value.
 * Pure builders (jansson only), unit-tested against Patroni's documented forms.
 */
#ifndef PGHA_HA_PUBLISH_H
#define PGHA_HA_PUBLISH_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "dcs/dcs_types.h"
#include "pg/pg_types.h"

/* The version we report in Patroni's "version" fields: the layout we implement. */
#define PUBLISH_PATRONI_VERSION "4.0.0"

struct member_facts {
	const char *conn_url; /* postgres://host:port/postgres */
	const char *api_url;  /* http://host:port/patroni */
	const char *pooler;   /* "host:port" or NULL */
	const char *state;    /* Patroni state string */
	const char *role;     /* primary, replica, demoted, uninitialized */
	const struct pg_observation *pg;
	const json_t *tags; /* configured tags object, may be NULL */
	bool pause;
	/* pgha's extensions, NULL when none: a primary's archiving ("archive"), where
	 * pgBackRest reaches this node's PostgreSQL ("pgbackrest"). */
	const struct pg_archiver *archive;
	const struct dcs_backup_pg *backup_pg;
};

/* publish_member_json: compact members/<name> value. Owned string. */
char *publish_member_json(const struct member_facts *f);
/* publish_status_json: {"optime":N}. Owned string. */
char *publish_status_json(uint64_t optime);
/*
 * publish_history_json: the history key for a new leader, from the text of its
 * timeline history file ("tl\tX/Y\treason" lines). Timestamps and leader names of
 * lines already in old (the current key, may be NULL) are kept; the newest line gets
 * timestamp and new_leader. Returns NULL if the file has no valid line. Owned.
 */
char *publish_history_json(const char *file_text, const struct dcs_view *old, const char *timestamp,
                           const char *new_leader);

#endif
