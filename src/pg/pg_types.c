/*
 * pg_types.c: names of the observation enums and the race position of a node.
 * Pure: no I/O.
 */
#include "pg/pg_types.h"

const char *pg_data_state_str(enum pg_data_state s)
{
	/* pg_controldata's words, for log lines that an operator compares with its output */
	static const char *const names[PG_DATA__COUNT] = {
	    [PG_DATA_EMPTY] = "empty",
	    [PG_DATA_INVALID] = "invalid",
	    [PG_DATA_SHUT_DOWN] = "shut down",
	    [PG_DATA_SHUT_DOWN_RECOVERY] = "shut down in recovery",
	    [PG_DATA_IN_PRODUCTION] = "in production",
	    [PG_DATA_IN_RECOVERY] = "in archive recovery",
	    [PG_DATA_OTHER] = "other",
	};

	return (unsigned)s < PG_DATA__COUNT && names[s] ? names[s] : "unknown";
}

const char *pg_proc_state_str(enum pg_proc_state s)
{
	static const char *const names[PG_PROC__COUNT] = {
	    [PG_PROC_STOPPED] = "stopped", [PG_PROC_STARTING] = "starting",
	    [PG_PROC_RUNNING] = "running", [PG_PROC_STOPPING] = "stopping",
	    [PG_PROC_CRASHED] = "crashed",
	};

	return (unsigned)s < PG_PROC__COUNT && names[s] ? names[s] : "unknown";
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
