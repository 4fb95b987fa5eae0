/*
 * chaos_writer.c: the workload thread (see chaos_writer.h).
 */
#include "chaos/chaos_writer.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "chaos/chaos_pq.h"
#include "util/clock.h"
#include "util/compiler.h"
#include "util/xalloc.h"

#define RETRY_PAUSE_MS 15
/* A statement gets this long before the writer gives up on it and reconnects: longer
 * than any failover it must ride out, short enough not to hang the run. */
#define STMT_TIMEOUT_MS 15000
#define INSERT_SQL      "INSERT INTO chaos_ids(id) VALUES ($1)"

struct chaos_writer {
	pthread_t thread;
	char *conninfo;  /* owned */
	int64_t next_id; /* the next id to try */
	atomic_bool stop;
	bool joined;
	pthread_mutex_t mu; /* guards everything below */
	int64_t mark_us;
	int64_t settle_us;
	bool any_session; /* see chaos_writer_settle */
	struct chaos_writer_stats st;
	int64_t *acked; /* owned, ascending */
	size_t n_acked;
	size_t cap_acked;
};

static void note_error(struct chaos_writer *w, const char *msg, bool connecting)
{
	int64_t now = clock_now_us();

	pthread_mutex_lock(&w->mu);
	w->st.errors++;
	w->st.connect_errors += connecting;
	if (w->mark_us && !w->st.first_err_us && now >= w->mark_us)
		w->st.first_err_us = now;
	snprintf(w->st.last_error, sizeof(w->st.last_error), "%s", msg);
	pthread_mutex_unlock(&w->mu);
}

/* note_gap: the stretch since the previous acknowledgement (or the mark) ends at now. */
static void note_gap(struct chaos_writer *w, int64_t now)
{
	int64_t from = MAX(w->st.last_ack_us, w->mark_us);

	if (now - from > w->st.gap_to_us - w->st.gap_from_us) {
		w->st.gap_from_us = from;
		w->st.gap_to_us = now;
	}
}

static void note_ack(struct chaos_writer *w, int64_t id, int64_t conn_us, int64_t sent_us)
{
	int64_t now = clock_now_us();

	pthread_mutex_lock(&w->mu);
	if (w->n_acked == w->cap_acked) {
		w->cap_acked = w->cap_acked ? w->cap_acked * 2 : 4096;
		w->acked = xrealloc(w->acked, w->cap_acked * sizeof(*w->acked));
	}
	w->acked[w->n_acked++] = id;
	w->st.acked++;
	if (w->mark_us && now >= w->mark_us)
		note_gap(w, now);
	if (w->settle_us && sent_us >= w->settle_us) {
		w->st.acked_since_settle++;
		if (!w->st.recovered_us && (w->any_session || conn_us >= w->mark_us))
			w->st.recovered_us = now;
	}
	w->st.last_ack_us = now;
	pthread_mutex_unlock(&w->mu);
}

/*
 * insert_one: one id on conn, opened at conn_us; false when the connection must be
 * dropped.
 */
static bool insert_one(struct chaos_writer *w, PGconn *conn, int64_t conn_us)
{
	char idtext[24];
	const char *params[1] = {idtext};
	char err[256];
	int64_t id = ++w->next_id;
	int64_t sent_us = clock_now_us();

	snprintf(idtext, sizeof(idtext), "%" PRId64, id);
	switch (chaos_pq_exec(conn, INSERT_SQL, 1, params, STMT_TIMEOUT_MS, &w->stop, NULL, 0, err,
	                      sizeof(err))) {
	case CHAOS_PQ_OK:
		note_ack(w, id, conn_us, sent_us);
		return true;
	case CHAOS_PQ_UNACKED:
		note_error(w, err, false);
		return true;
	case CHAOS_PQ_ERROR:
	case CHAOS_PQ_TIMEOUT:
		break;
	}
	if (!atomic_load(&w->stop))
		note_error(w, err, false);
	return false;
}

static void *writer_main(void *arg)
{
	struct chaos_writer *w = arg;
	PGconn *conn = NULL;
	int64_t conn_us = 0;
	char err[256];

	while (!atomic_load(&w->stop)) {
		if (conn == NULL) {
			conn_us = clock_now_us();
			conn = chaos_pq_connect(w->conninfo, err, sizeof(err));
		}
		if (conn == NULL) {
			note_error(w, err, true);
			clock_sleep_ms(RETRY_PAUSE_MS);
			continue;
		}
		if (!insert_one(w, conn, conn_us)) {
			PQfinish(conn);
			conn = NULL;
		}
	}
	PQfinish(conn);
	return NULL;
}

struct chaos_writer *chaos_writer_start(const char *conninfo, int64_t id_base)
{
	struct chaos_writer *w = xcalloc(1, sizeof(*w));

	w->conninfo = xstrdup(conninfo);
	w->next_id = id_base;
	atomic_init(&w->stop, false);
	pthread_mutex_init(&w->mu, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		free(w->conninfo);
		free(w);
		return NULL;
	}
	return w;
}

void chaos_writer_mark(struct chaos_writer *w, int64_t t_us)
{
	pthread_mutex_lock(&w->mu);
	w->mark_us = t_us;
	w->st.first_err_us = 0;
	w->st.gap_from_us = w->st.gap_to_us = 0;
	w->st.recovered_us = 0;
	pthread_mutex_unlock(&w->mu);
}

void chaos_writer_settle(struct chaos_writer *w, int64_t t_us, bool any_session)
{
	pthread_mutex_lock(&w->mu);
	w->settle_us = t_us;
	w->any_session = any_session;
	w->st.recovered_us = 0;
	w->st.acked_since_settle = 0;
	pthread_mutex_unlock(&w->mu);
}

void chaos_writer_stats(struct chaos_writer *w, struct chaos_writer_stats *out)
{
	pthread_mutex_lock(&w->mu);
	*out = w->st;
	pthread_mutex_unlock(&w->mu);
}

void chaos_writer_stop(struct chaos_writer *w)
{
	atomic_store(&w->stop, true);
	if (!w->joined)
		pthread_join(w->thread, NULL);
	w->joined = true;
}

const int64_t *chaos_writer_acked(const struct chaos_writer *w, size_t *n)
{
	*n = w->n_acked;
	return w->acked;
}

void chaos_writer_free(struct chaos_writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_destroy(&w->mu);
	free(w->acked);
	free(w->conninfo);
	free(w);
}
