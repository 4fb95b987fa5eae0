/*
 * pg_types.c: names of the observation enums and the race position of a node.
 * Pure: no I/O.
 */
#include "pg/pg_types.h"

const char *pg_data_state_str(enum pg_data_state s)
{
	switch (s) {
	case PG_DATA_EMPTY:
		return "empty";
	case PG_DATA_INVALID:
		return "invalid";
	case PG_DATA_SHUT_DOWN:
		return "shut down";
	case PG_DATA_SHUT_DOWN_RECOVERY:
		return "shut down in recovery";
	case PG_DATA_IN_PRODUCTION:
		return "in production";
	case PG_DATA_IN_RECOVERY:
		return "in archive recovery";
	case PG_DATA_OTHER:
		return "other";
	case PG_DATA__COUNT:
		break;
	}
	return "unknown";
}

const char *pg_proc_state_str(enum pg_proc_state s)
{
	switch (s) {
	case PG_PROC_STOPPED:
		return "stopped";
	case PG_PROC_STARTING:
		return "starting";
	case PG_PROC_RUNNING:
		return "running";
	case PG_PROC_STOPPING:
		return "stopping";
	case PG_PROC_CRASHED:
		return "crashed";
	case PG_PROC__COUNT:
		break;
	}
	return "unknown";
}

uint64_t pg_observation_lsn(const struct pg_observation *o)
{
	if (!o->connected)
		return 0;
	if (!o->in_recovery)
		return o->wal_lsn;
	/* A replica may have received WAL it has not replayed yet, or (archive recovery,
	 * no receiver) replayed WAL it never received by streaming: the larger counts. */
	return o->receive_lsn > o->replay_lsn ? o->receive_lsn : o->replay_lsn;
}
