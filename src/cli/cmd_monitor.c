/*
 * cmd_monitor.c: `pgha monitor`: a live view of the cluster, fed by an etcd watch
 * (dcs.h's watch cache and its wait fd): on a terminal the screen is redrawn on every
 * change and every --interval, with the members table and the recent events; otherwise
 * each event is printed as one line. SIGINT / SIGTERM end it with status 0.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/ops_ctx.h"
#include "cli/ops_monitor.h"
#include "log/log.h"
#include "util/clock.h"
#include "util/xalloc.h"

#define CLEAR_SCREEN "\033[H\033[2J"
#define MAX_EVENTS   64 /* per refresh */

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct monitor {
	const struct ops_ctx *ctx;
	struct dcs *d;
	bool tty;        /* stdout is a terminal: full-screen view */
	int interval_ms; /* redraw at least this often */
	int n_events;    /* events shown on the screen */
	bool watch_ok;   /* last known state of the etcd watch */
	bool watch_seen; /* it has been current once */
	bool have_view;  /* view and prev hold a snapshot */
	struct dcs_view view;
	struct mon_snapshot prev;
	struct mon_log log;
};

/* record: one event, stamped now; printed at once when not on a terminal. */
static void record(struct monitor *m, const char *text)
{
	char iso[OPS_MON_TIME_LEN];
	char when[OPS_MON_TIME_LEN];

	clock_wall_iso8601(iso, sizeof(iso));
	/* on screen the time of day is enough: "2026-11-25T19:03:57.521+00:00" -> 19:03:57.521 */
	snprintf(when, sizeof(when), "%.12s", strlen(iso) > 23 ? iso + 11 : iso);
	ops_mon_log_add(&m->log, m->tty ? when : iso, text);
	if (m->tty)
		return;
	printf("%s %s\n", iso, text);
	fflush(stdout);
}

static void draw(const struct monitor *m)
{
	char now[OPS_MON_TIME_LEN];
	struct buf screen;

	clock_wall_iso8601(now, sizeof(now));
	buf_init(&screen);
	buf_puts(&screen, CLEAR_SCREEN);
	if (m->have_view)
		ops_mon_screen(&m->view, m->ctx->client.scope, now, m->watch_ok, &m->log,
		               m->n_events, &screen);
	else
		buf_printf(&screen, "pgha monitor: cluster %s at %s\n\nwaiting for etcd (%s...)\n",
		           m->ctx->client.scope, now, m->ctx->client.etcd[0]);
	fputs(screen.data, stdout);
	fflush(stdout);
	buf_free(&screen);
}

static void refresh(struct monitor *m)
{
	char events[MAX_EVENTS][OPS_MON_EVENT_LEN];
	struct mon_snapshot cur;
	struct dcs_view v;
	bool ok = dcs_snapshot(m->d, &v, -1);
	bool watch_ok = ok && dcs_watch_healthy(m->d);
	int n;

	/* a watch still starting up is not news: report changes once it has been current */
	if (m->watch_seen && watch_ok != m->watch_ok)
		record(m, watch_ok ? "etcd watch current again"
		                   : "etcd watch lost: the view may be stale");
	m->watch_seen = m->watch_seen || watch_ok;
	m->watch_ok = watch_ok;
	if (ok) {
		ops_mon_snapshot(&v, &cur);
		n = ops_mon_diff(m->have_view ? &m->prev : NULL, &cur, events, MAX_EVENTS);
		for (int i = 0; i < n; i++)
			record(m, events[i]);
		m->prev = cur;
		if (m->have_view)
			dcs_view_free(&m->view);
		m->view = v;
		m->have_view = true;
	}
	if (m->tty)
		draw(m);
}

/*
 * open_watch: the DCS client, with SIGINT and SIGTERM blocked from here on (its threads
 * inherit the mask, so the signals come to this thread); *unblocked gets the mask to
 * wait with: ppoll() lets them in atomically, so none is missed between two checks.
 */
static struct dcs *open_watch(const struct ops_ctx *ctx, sigset_t *unblocked)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, unblocked);
	sigdelset(unblocked, SIGINT);
	sigdelset(unblocked, SIGTERM);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return ops_dcs_open(ctx, true);
}

static void wait_change(struct monitor *m, const sigset_t *unblocked)
{
	struct pollfd pfd = {.fd = dcs_wait_fd(m->d), .events = POLLIN};
	struct timespec ts = {.tv_sec = m->interval_ms / 1000,
	                      .tv_nsec = (long)(m->interval_ms % 1000) * 1000000L};

	if (ppoll(&pfd, 1, &ts, unblocked) > 0)
		(void)dcs_wait(m->d, 0); /* consume the change notification */
}

int cmd_monitor(int argc, char **argv)
{
	struct ops_args a;
	struct ops_ctx ctx;
	struct monitor *m;
	sigset_t unblocked;
	int rc = ops_start(OPS_MONITOR, argc, argv, &a, &ctx);

	if (rc >= 0)
		return rc;
	/* the screen is ours: only errors from the DCS client (lost watch, etcd down) */
	log_set_level(LOG_LEVEL_ERROR);
	m = xcalloc(1, sizeof(*m)); /* the event log is large */
	m->ctx = &ctx;
	m->tty = isatty(STDOUT_FILENO);
	m->interval_ms = a.interval_ms;
	m->n_events = a.events;
	m->d = open_watch(&ctx, &unblocked);
	if (m->d == NULL) {
		free(m);
		return EXIT_USAGE;
	}
	while (!stop_requested) {
		refresh(m);
		wait_change(m, &unblocked);
	}
	if (m->tty)
		printf("\n");
	if (m->have_view)
		dcs_view_free(&m->view);
	dcs_close(m->d);
	free(m);
	return EXIT_OK;
}
