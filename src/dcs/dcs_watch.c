/*
 * dcs_watch.c: the watch thread: range the prefix, stream changes into the cache,
 * verify a silent stream, reconnect to the next endpoint when anything is wrong.
 *
 * Does: keep struct dcs_cache current and signal the wake eventfd on each change, so a
 * DELETE of the leader key (lease expiry included) wakes the HA loop within
 * milliseconds. Does not: decide anything from the contents or write to etcd.
 * Locking: the mutex guards the cache, the state flags and the built view; the thread
 * owns its etcd client and stream and never holds the mutex during I/O.
 */
#include "dcs/dcs_watch.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "dcs/dcs_cache.h"
#include "log/log.h"
#include "util/clock.h"
#include "util/thread.h"
#include "util/xalloc.h"

#define POLL_MS            250 /* granularity of the thread's timers */
#define BACKOFF_MIN_MS     100 /* pause before retrying a failed load */
#define BACKOFF_MAX_MS     2000
#define STABLE_STREAM_MS   5000 /* a stream that lived this long resets the backoff */
#define IN_FLIGHT_GRACE_MS 200  /* time given to events already on the wire */
#define WARN_LEN           2048

struct dcs_watch {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t loaded_cond; /* signalled after the first load */

	/* Under mu. */
	struct dcs_cache cache;
	bool loaded;           /* the cache was filled at least once */
	bool synced;           /* the stream is up and current */
	int64_t lost_since_ms; /* when synced last went false */
	uint64_t generation;   /* bumped on every change of the contents */
	struct dcs_view view;  /* built from the cache on demand */
	bool view_built;
	uint64_t view_generation; /* generation view was built from */
	char last_warn[WARN_LEN]; /* codec warnings last logged (not repeated) */

	/* Set once, then read-only. */
	char *prefix;
	char *prefix_end;
	int wake_fd;
	int stop_fd; /* eventfd: interrupts the stream's poll at shutdown */
	int check_ms;
	atomic_bool stop;
	atomic_bool check_now;

	/* The thread's own. */
	struct etcd *etcd;
	bool created;           /* the current stream was confirmed by etcd */
	int64_t last_msg_ms;    /* last message on the stream */
	int64_t header_rev;     /* newest header revision seen on the stream */
	int64_t established_ms; /* when the current stream was confirmed */
};

static void wake(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, a wake-up is pending anyway. */
	}
}

static bool stopping(struct dcs_watch *w)
{
	return atomic_load(&w->stop);
}

/* Sleeps up to ms, returning early at shutdown. */
static void pause_ms(struct dcs_watch *w, int ms)
{
	struct pollfd p = {.fd = w->stop_fd, .events = POLLIN};

	if (poll(&p, 1, ms) < 0) {
		/* EINTR: the loop re-checks the stop flag. */
	}
}

/* --- state changes (under the mutex) ------------------------------------------------- */

/* Losing or regaining the stream changes what views are worth: waiters hear of it. */
static void set_synced(struct dcs_watch *w, bool synced)
{
	bool changed;

	pthread_mutex_lock(&w->mu);
	changed = w->synced != synced;
	if (w->synced && !synced)
		w->lost_since_ms = clock_now_ms();
	w->synced = synced;
	pthread_mutex_unlock(&w->mu);
	if (changed)
		wake(w->wake_fd);
}

/* Fills the cache from one linearizable range; the stream then starts after it. */
static bool load(struct dcs_watch *w)
{
	struct etcd_range_req req = {.key = w->prefix, .range_end = w->prefix_end};
	struct etcd_kvs kvs;
	struct etcd_header hdr;
	bool changed;

	if (etcd_range(w->etcd, &req, &kvs, &hdr) != ETCD_OK)
		return false; /* logged by etcd.c */
	pthread_mutex_lock(&w->mu);
	changed = dcs_cache_load(&w->cache, &kvs, hdr.revision);
	if (changed)
		w->generation++;
	w->loaded = true;
	pthread_cond_broadcast(&w->loaded_cond);
	pthread_mutex_unlock(&w->mu);
	etcd_kvs_free(&kvs);
	w->header_rev = hdr.revision;
	if (changed)
		wake(w->wake_fd);
	return true;
}

static bool apply_events(struct dcs_watch *w, const struct etcd_watch_msg *msg)
{
	bool changed = false;
	bool progress = msg->n_events == 0 && !msg->created;

	pthread_mutex_lock(&w->mu);
	for (int i = 0; i < msg->n_events; i++)
		changed |= dcs_cache_apply(&w->cache, &msg->events[i]);
	/* Only a progress notification promises that everything up to its revision is in. */
	if (progress)
		dcs_cache_advance(&w->cache, msg->header.revision);
	if (changed)
		w->generation++;
	pthread_mutex_unlock(&w->mu);
	return changed;
}

/* --- the stream ------------------------------------------------------------------------- */

static bool on_message(const struct etcd_watch_msg *msg, void *arg)
{
	struct dcs_watch *w = arg;

	w->last_msg_ms = clock_now_ms();
	if (msg->canceled || msg->compact_revision > 0) {
		log_warn("dcs: watch on %s canceled by etcd%s%s (compacted at %lld); reloading",
		         etcd_endpoint(w->etcd), msg->cancel_reason[0] ? ": " : "",
		         msg->cancel_reason, (long long)msg->compact_revision);
		return false;
	}
	if (msg->header.revision > w->header_rev)
		w->header_rev = msg->header.revision;
	if (msg->created && !w->created) {
		w->created = true;
		w->established_ms = w->last_msg_ms;
		set_synced(w, true);
		log_info("dcs: watching %s on %s from revision %lld", w->prefix,
		         etcd_endpoint(w->etcd), (long long)w->header_rev);
	}
	if (apply_events(w, msg))
		wake(w->wake_fd);
	return true;
}

/* The copy agrees with a range of the prefix: same key count, same newest key. */
static bool cache_matches(struct dcs_watch *w, const struct etcd_kvs *kvs, int64_t revision)
{
	int64_t newest = kvs->n > 0 ? kvs->items[0].mod_revision : 0;
	bool ok;

	if (w->header_rev >= revision) /* the stream already went past that revision */
		return true;
	pthread_mutex_lock(&w->mu);
	ok = w->cache.n == kvs->count && dcs_cache_max_mod(&w->cache) == newest;
	pthread_mutex_unlock(&w->mu);
	return ok;
}

/* The freshness check of a silent stream (see dcs_watch.h). */
static bool verify(struct dcs_watch *w, struct etcd_watch *stream)
{
	struct etcd_range_req req = {.key = w->prefix,
	                             .range_end = w->prefix_end,
	                             .keys_only = true,
	                             .limit = 1,
	                             .newest_first = true};
	struct etcd_kvs kvs;
	struct etcd_header hdr;
	enum etcd_status st;
	bool ok;

	if (!w->created) {
		log_warn("dcs: watch on %s not confirmed by etcd; reconnecting",
		         etcd_endpoint(w->etcd));
		return false;
	}
	etcd_set_pinned(w->etcd, true); /* ask the stream's own member, nobody else */
	st = etcd_range(w->etcd, &req, &kvs, &hdr);
	etcd_set_pinned(w->etcd, false);
	if (st != ETCD_OK)
		return false; /* logged by etcd.c */
	/* A mismatch may be events still on the wire: give them a moment to land. */
	int64_t until_ms = clock_now_ms() + IN_FLIGHT_GRACE_MS;

	while (!(ok = cache_matches(w, &kvs, hdr.revision)) && clock_now_ms() < until_ms &&
	       etcd_watch_run(stream, (int)(until_ms - clock_now_ms()), w->stop_fd))
		;
	if (!ok && !stopping(w))
		log_warn("dcs: watch on %s is behind etcd (revision %lld); reloading",
		         etcd_endpoint(w->etcd), (long long)hdr.revision);
	etcd_kvs_free(&kvs);
	return ok;
}

/* Runs one stream until it ends or is found stale. */
static void stream(struct dcs_watch *w)
{
	int64_t start_rev;
	struct etcd_watch *s;

	pthread_mutex_lock(&w->mu);
	start_rev = w->cache.revision + 1;
	pthread_mutex_unlock(&w->mu);
	w->created = false;
	w->established_ms = 0;
	w->last_msg_ms = clock_now_ms();
	s = etcd_watch_open(w->etcd, w->prefix, w->prefix_end, start_rev, on_message, w);
	while (!stopping(w) && etcd_watch_run(s, POLL_MS, w->stop_fd)) {
		bool due = clock_now_ms() - w->last_msg_ms >= w->check_ms;

		if (atomic_exchange(&w->check_now, false) || due) {
			if (!verify(w, s))
				break;
			w->last_msg_ms = clock_now_ms();
		}
	}
	etcd_watch_close(s);
	set_synced(w, false);
}

static void *watch_main(void *arg)
{
	struct dcs_watch *w = arg;
	int backoff_ms = 0;

	while (!stopping(w)) {
		if (backoff_ms > 0)
			pause_ms(w, backoff_ms);
		if (stopping(w))
			break;
		if (!load(w)) {
			backoff_ms =
			    backoff_ms > 0 ? MIN(backoff_ms * 2, BACKOFF_MAX_MS) : BACKOFF_MIN_MS;
			continue;
		}
		stream(w);
		/* A stream that died young may die again: back off; a long-lived one: go now. */
		if (w->established_ms > 0 && clock_now_ms() - w->established_ms >= STABLE_STREAM_MS)
			backoff_ms = 0;
		else
			backoff_ms =
			    backoff_ms > 0 ? MIN(backoff_ms * 2, BACKOFF_MAX_MS) : BACKOFF_MIN_MS;
		etcd_next_endpoint(w->etcd);
	}
	return NULL;
}

/* --- public ------------------------------------------------------------------------------- */

static void init_sync(struct dcs_watch *w)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->loaded_cond, &attr);
	pthread_condattr_destroy(&attr);
}

static void free_watch(struct dcs_watch *w)
{
	etcd_free(w->etcd);
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	dcs_cache_deinit(&w->cache);
	dcs_view_free(&w->view);
	pthread_cond_destroy(&w->loaded_cond);
	pthread_mutex_destroy(&w->mu);
	free(w->prefix);
	free(w->prefix_end);
	free(w);
}

struct dcs_watch *dcs_watch_start(const struct dcs_watch_options *opt)
{
	struct dcs_watch *w = xcalloc(1, sizeof(*w));
	char err[256];
	int rc;

	init_sync(w);
	dcs_cache_init(&w->cache);
	w->prefix = xstrdup(opt->prefix);
	w->prefix_end = etcd_prefix_end(opt->prefix);
	w->wake_fd = opt->wake_fd;
	w->check_ms = opt->check_ms > 0 ? opt->check_ms : DCS_WATCH_CHECK_MS;
	w->lost_since_ms = clock_now_ms();
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	w->etcd = etcd_new(opt->etcd, err, sizeof(err));
	if (w->etcd == NULL || w->stop_fd < 0 || w->prefix_end == NULL) {
		log_error("dcs: cannot start the watch: %s",
		          w->etcd == NULL ? err : "no eventfd or bad prefix");
		free_watch(w);
		return NULL;
	}
	etcd_set_abort(w->etcd, &w->stop);
	if ((rc = thread_start(&w->thread, "dcs-watch", watch_main, w)) != 0) {
		log_error("dcs: cannot start the watch thread: %s", strerror(rc));
		free_watch(w);
		return NULL;
	}
	return w;
}

void dcs_watch_stop(struct dcs_watch *w)
{
	if (w == NULL)
		return;
	atomic_store(&w->stop, true);
	wake(w->stop_fd);
	pthread_join(w->thread, NULL);
	free_watch(w);
}

void dcs_watch_set_timeouts(struct dcs_watch *w, int request_timeout_ms, int op_timeout_ms)
{
	etcd_set_timeouts(w->etcd, request_timeout_ms, op_timeout_ms);
}

static void wait_loaded(struct dcs_watch *w, int wait_ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (!w->loaded && pthread_cond_timedwait(&w->loaded_cond, &w->mu, &until) == 0)
		;
}

void dcs_log_warnings(char *warn)
{
	char *save = NULL;

	for (char *line = strtok_r(warn, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		log_warn("dcs: %s", line);
}

bool dcs_watch_view(struct dcs_watch *w, struct dcs_view *view, int max_age_ms, int wait_ms)
{
	char warn[WARN_LEN] = "";
	bool fresh;

	memset(view, 0, sizeof(*view));
	pthread_mutex_lock(&w->mu);
	if (!w->loaded && wait_ms > 0)
		wait_loaded(w, wait_ms);
	if (!w->loaded) {
		pthread_mutex_unlock(&w->mu);
		return false;
	}
	if (!w->view_built || w->view_generation != w->generation) {
		dcs_view_free(&w->view);
		dcs_cache_view(&w->cache, w->prefix, &w->view, warn, sizeof(warn));
		w->view_built = true;
		w->view_generation = w->generation;
		/* The same malformed value would be reported on every change of any key. */
		if (strcmp(warn, w->last_warn) == 0)
			warn[0] = '\0';
		else
			memcpy(w->last_warn, warn, sizeof(warn));
	}
	dcs_view_copy(view, &w->view);
	fresh = w->synced || max_age_ms < 0 || clock_now_ms() - w->lost_since_ms <= max_age_ms;
	view->valid = view->valid && fresh; /* a view the decoder refused stays invalid */
	pthread_mutex_unlock(&w->mu);
	dcs_log_warnings(warn);
	return true;
}

bool dcs_watch_is_synced(struct dcs_watch *w)
{
	bool synced;

	pthread_mutex_lock(&w->mu);
	synced = w->synced;
	pthread_mutex_unlock(&w->mu);
	return synced;
}

void dcs_watch_check_soon(struct dcs_watch *w)
{
	atomic_store(&w->check_now, true);
}

bool dcs_watch_contradicts(struct dcs_watch *w, const char *key, const char *value, int64_t lease,
                           int64_t since_revision)
{
	const struct dcs_cache_entry *e;
	bool differs = false;

	pthread_mutex_lock(&w->mu);
	/* A cache that has not reached since_revision yet cannot know about that write. */
	if (w->synced && w->cache.revision >= since_revision) {
		e = dcs_cache_get(&w->cache, key);
		differs = e == NULL || strcmp(e->value, value) != 0 || e->lease != lease;
	}
	pthread_mutex_unlock(&w->mu);
	return differs;
}
