/*
 * chaos_writer.h: the chaos workload: one thread inserting unique ids, one INSERT per
 * transaction, through a connection string (service=rw: the router, as a client would
 * reach the primary). Every acknowledged id is recorded. After the fault mark it also
 * notes the first error, the longest stretch without an acknowledgement (the write
 * downtime: from the mark or the last acknowledgement after it to the next one), and
 * when a write sent after the fault was in place (settled), on a connection opened
 * after the fault began (mark), was acknowledged: only that proves recovery. A commit
 * in flight at the fault may still come back, and so may one on an old session: a
 * backend whose postmaster was killed keeps serving its client until it notices. On any error it
 * reconnects at once (pausing 15 ms between failed attempts): the router may hold a connection
 * during a failover, which only makes a connect slower.
 *
 * An id is acknowledged only when its COMMIT returned success (see chaos_pq.h);
 * anything else (error, timeout, connection lost) leaves its fate unknown, which is
 * fine: only acknowledged ids must survive.
 */
#ifndef PGHA_CHAOS_CHAOS_WRITER_H
#define PGHA_CHAOS_CHAOS_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct chaos_writer;

/* What the writer saw; filled by chaos_writer_stats. */
struct chaos_writer_stats {
	int64_t acked;              /* acknowledged inserts */
	int64_t errors;             /* failed connects and statements */
	int64_t connect_errors;     /* of which failed connects (the router held none) */
	int64_t first_err_us;       /* first error at or after the mark; 0 = none */
	int64_t gap_from_us;        /* the longest stretch without ack after the mark: start */
	int64_t gap_to_us;          /* ... and the acknowledgement that ended it; 0 = none */
	int64_t recovered_us;       /* ack of a statement sent after settle; 0 = none yet */
	int64_t acked_since_settle; /* acks of statements sent after the latest settle */
	int64_t last_ack_us;        /* latest acknowledgement; 0 = none */
	char last_error[256];       /* the latest error message */
};

/*
 * chaos_writer_start: starts the thread writing ids id_base+1, id_base+2... into
 * chaos_ids (which must exist) through conninfo (copied). Owned; NULL if the thread
 * could not start.
 */
struct chaos_writer *chaos_writer_start(const char *conninfo, int64_t id_base);
/* chaos_writer_mark: the fault begins at t_us: errors and gaps are noted from then. */
void chaos_writer_mark(struct chaos_writer *w, int64_t t_us);
/*
 * chaos_writer_settle: the fault is in place at t_us (signals sent, request answered,
 * cut made) or, again, healed: recovered_us and acked_since_settle start over. With
 * any_session, a statement on a session opened before the fault proves recovery too
 * (faults that leave PostgreSQL untouched: etcd, the network); without, only one on a
 * session opened after the mark does.
 */
void chaos_writer_settle(struct chaos_writer *w, int64_t t_us, bool any_session);
void chaos_writer_stats(struct chaos_writer *w, struct chaos_writer_stats *out);
/* chaos_writer_stop: stops and joins the thread (a statement in flight is abandoned);
 * a second call does nothing. */
void chaos_writer_stop(struct chaos_writer *w);
/* chaos_writer_acked: the acknowledged ids, ascending (after stop). Borrowed. */
const int64_t *chaos_writer_acked(const struct chaos_writer *w, size_t *n);
void chaos_writer_free(struct chaos_writer *w);

#endif
