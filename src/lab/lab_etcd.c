/*
 * lab_etcd.c: etcd command lines and the health wait.
 */
#include "lab/lab_etcd.h"

#include <stdio.h>
#include <string.h>
#include "client/client_rest.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/proc.h"
#include "util/xalloc.h"

#define ETCD_MAX_ARGS     24
#define HEALTH_POLL_MS    200
#define HEALTH_TIMEOUT_MS 1000

bool lab_etcd_data_dir(const struct lab_cluster *c, int i, char *out, size_t size)
{
	int n = snprintf(out, size, "%s/etcd/e%d", c->dir, i + 1);

	return n > 0 && (size_t)n < size;
}

bool lab_etcd_marker(const struct lab_cluster *c, int i, char *out, size_t size)
{
	int n = snprintf(out, size, "--data-dir=%s/etcd/e%d", c->dir, i + 1);

	return n > 0 && (size_t)n < size;
}

static char *initial_cluster(const struct lab_cluster *c)
{
	struct buf b;
	char *s;

	buf_init(&b);
	buf_puts(&b, "--initial-cluster=");
	for (int i = 0; i < LAB_N_ETCD; i++)
		buf_printf(&b, "%s%s=http://127.0.0.1:%d", i ? "," : "", c->plan.etcd[i].name,
		           c->plan.etcd[i].peer_port);
	s = buf_steal(&b);
	buf_free(&b); /* buf_steal leaves b re-initialised */
	return s;
}

char **lab_etcd_argv(const struct lab_cluster *c, int i)
{
	const struct lab_etcd_ports *e = &c->plan.etcd[i];
	char **argv = xcalloc(ETCD_MAX_ARGS, sizeof(char *));
	int n = 0;

	argv[n++] = xstrdup(c->etcd_bin);
	argv[n++] = xasprintf("--name=%s", e->name);
	argv[n++] = xasprintf("--data-dir=%s/etcd/e%d", c->dir, i + 1);
	argv[n++] = xasprintf("--listen-client-urls=http://127.0.0.1:%d", e->client_port);
	argv[n++] = xasprintf("--advertise-client-urls=http://127.0.0.1:%d", e->client_port);
	argv[n++] = xasprintf("--listen-peer-urls=http://127.0.0.1:%d", e->peer_port);
	argv[n++] = xasprintf("--initial-advertise-peer-urls=http://127.0.0.1:%d", e->peer_port);
	argv[n++] = initial_cluster(c);
	argv[n++] = xstrdup("--initial-cluster-state=new");
	argv[n++] =
	    xasprintf("--initial-cluster-token=pgha-lab-%s-%d", c->scope, c->plan.base_port);
	/* A stalled raft leader is replaced within 0.5-1 s and the agents' hedged renewals
	 * reach the new one inside their 1.5 s deadline; pre-vote keeps a member that
	 * returns from deposing a fresh leader; progress notifications keep a quiet watch
	 * talking, so that a silent one means a stalled member (docs/agent.md, "Timing"). */
	argv[n++] = xstrdup("--heartbeat-interval=50");
	argv[n++] = xstrdup("--election-timeout=500");
	argv[n++] = xstrdup("--pre-vote=true");
	argv[n++] = xstrdup("--experimental-watch-progress-notify-interval=1s");
	argv[n++] = xstrdup("--auto-compaction-mode=periodic");
	argv[n++] = xstrdup("--auto-compaction-retention=1h");
	argv[n++] = xstrdup("--snapshot-count=10000");
	argv[n++] = xstrdup("--logger=zap");
	argv[n++] = xstrdup("--log-outputs=stderr");
	argv[n] = NULL;
	return argv;
}

void lab_argv_free(char **argv)
{
	if (argv == NULL)
		return;
	for (int i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* member_healthy: GET /health answered 200 with "health":"true". */
static bool member_healthy(const struct lab_cluster *c, int i, char *why, size_t whylen)
{
	char url[LAB_URL_LEN];
	bool healthy = false;

	lab_etcd_url(c, i, url, sizeof(url));
	return client_etcd_health(url, HEALTH_TIMEOUT_MS, &healthy, why, whylen) && healthy;
}

bool lab_etcd_wait_healthy(const struct lab_cluster *c, const pid_t *pids, int64_t deadline_ms,
                           char *err, size_t errlen)
{
	for (;;) {
		int healthy = 0;
		char why[256] = "";
		const char *who = "";

		for (int i = 0; i < LAB_N_ETCD; i++) {
			if (pids[i] > 0 && !proc_alive(pids[i])) {
				snprintf(err, errlen, "%s (pid %d) exited", c->plan.etcd[i].name,
				         (int)pids[i]);
				return false;
			}
			if (member_healthy(c, i, why, sizeof(why)))
				healthy++;
			else
				who = c->plan.etcd[i].name;
		}
		if (healthy == LAB_N_ETCD)
			return true;
		if (clock_now_ms() >= deadline_ms) {
			snprintf(err, errlen, "%s not healthy in time: %s", who, why);
			return false;
		}
		clock_sleep_ms(HEALTH_POLL_MS);
	}
}
