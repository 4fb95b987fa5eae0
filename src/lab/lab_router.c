/*
 * lab_router.c: the lab's router: command lines and the wait until clients get through.
 */
#include "lab/lab_router.h"

#include <limits.h>
#include <stdio.h>
#include "http/http.h"
#include "util/clock.h"
#include "util/proc.h"
#include "util/strutil.h"

#define POLL_MS            200
#define HTTP_TIMEOUT_MS    1000
#define LANDING_TIMEOUT_MS 5000

bool lab_router_argv(const struct lab_cluster *c, bool check, char *config, size_t size,
                     const char **argv)
{
	int n = 0;

	if (!lab_router_config(c, config, size))
		return false;
	argv[n++] = c->pgha_bin;
	argv[n++] = "router";
	if (check)
		argv[n++] = "--check";
	argv[n++] = "-c";
	argv[n++] = config;
	argv[n] = NULL;
	return true;
}

bool lab_router_landing_ok(const struct client_landing *rw, const char *leader, char *why,
                           size_t whylen)
{
	if (!rw->in_recovery && str_eq(rw->node, leader))
		return true;
	snprintf(why, whylen, "service=rw lands on %s (port %d%s), but %s leads",
	         rw->node[0] ? rw->node : "a server without cluster_name", rw->pg_port,
	         rw->in_recovery ? ", in recovery" : "", leader);
	return false;
}

/* health_ok: the router's GET /health answers 200; else why says what it answered. */
static bool health_ok(const struct lab_cluster *c, char *why, size_t whylen)
{
	char url[LAB_URL_LEN + 16];
	char err[256];
	long status = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", c->plan.router_http_port);
	/* Plain http: the router's own endpoint, on 127.0.0.1 only (router_config.h). */
	if (!http_get(url, NULL, HTTP_TIMEOUT_MS, &status, NULL, err, sizeof(err))) {
		snprintf(why, whylen, "router: GET %s: %s", url, err);
		return false;
	}
	if (status != 200) {
		snprintf(why, whylen, "router: GET %s answers %ld (no read-write target yet)", url,
		         status);
		return false;
	}
	return true;
}

/* rw_ok: service=rw through the router lands on leader. */
static bool rw_ok(const struct lab_cluster *c, const char *leader, struct client_landing *rw,
                  char *why, size_t whylen)
{
	char service_file[PATH_MAX];
	char err[512];
	struct client_sql_target t = {.service_file = service_file,
	                              .service = "rw",
	                              .application_name = "pgha-up",
	                              .connect_timeout_ms = LANDING_TIMEOUT_MS,
	                              .query_timeout_ms = LANDING_TIMEOUT_MS};

	if (!lab_path(c, "pg_service.conf", service_file, sizeof(service_file))) {
		snprintf(why, whylen, "%.200s: path too long", c->dir);
		return false;
	}
	if (!client_sql_landing(&t, rw, err, sizeof(err))) {
		snprintf(why, whylen, "service=rw (127.0.0.1:%d): %s", c->plan.router_rw_port, err);
		return false;
	}
	return lab_router_landing_ok(rw, leader, why, whylen);
}

bool lab_router_wait(const struct lab_cluster *c, pid_t pid, const char *leader,
                     int64_t deadline_ms, struct client_landing *rw, struct buf *why)
{
	char last[768] = "";

	for (;;) {
		if (pid > 0 && !proc_alive(pid)) {
			buf_printf(why, "the router (pid %d) exited; see %s/logs/%s.log\n",
			           (int)pid, c->dir, LAB_ROUTER_NAME);
			return false;
		}
		if (health_ok(c, last, sizeof(last)) && rw_ok(c, leader, rw, last, sizeof(last)))
			return true;
		if (clock_now_ms() >= deadline_ms) {
			buf_printf(why, "%s\n", last);
			return false;
		}
		clock_sleep_ms(POLL_MS);
	}
}
