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

#define ETCD_MAX_ARGS     32
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

static const char *scheme(const struct lab_cluster *c)
{
	return c->tls ? "https" : "http";
}

static char *initial_cluster(const struct lab_cluster *c)
{
	struct buf b;
	char *s;

	buf_init(&b);
	buf_puts(&b, "--initial-cluster=");
	for (int i = 0; i < LAB_N_ETCD; i++)
		buf_printf(&b, "%s%s=%s://127.0.0.1:%d", i ? "," : "", c->plan.etcd[i].name,
		           scheme(c), c->plan.etcd[i].peer_port);
	s = buf_steal(&b);
	buf_free(&b); /* buf_steal leaves b re-initialised */
	return s;
}

/*
 * tls_args: clients and peers over TLS with the lab's etcd certificate. Clients prove
 * who they are with etcd users (lab_etcd_auth); peers with a certificate of the lab's
 * CA, so that nothing without one can join the cluster.
 */
static int tls_args(const struct lab_cluster *c, char **argv, int n)
{
	char crt[PATH_MAX], key[PATH_MAX], ca[PATH_MAX];

	if (!c->tls || !lab_tls_path(c, "etcd.crt", crt, sizeof(crt)) ||
	    !lab_tls_path(c, "etcd.key", key, sizeof(key)) ||
	    !lab_tls_path(c, "ca.crt", ca, sizeof(ca)))
		return n;
	argv[n++] = xasprintf("--cert-file=%s", crt);
	argv[n++] = xasprintf("--key-file=%s", key);
	argv[n++] = xasprintf("--peer-cert-file=%s", crt);
	argv[n++] = xasprintf("--peer-key-file=%s", key);
	argv[n++] = xasprintf("--peer-trusted-ca-file=%s", ca);
	argv[n++] = xstrdup("--peer-client-cert-auth");
	/*
	 * bcrypt's cost slows down guessing a weak password from a stolen etcd database;
	 * the lab's are 32 random letters and digits (190 bits), which no cost changes,
	 * while cost 10 makes every login of every client (agents open several) take tens
	 * of milliseconds of a loaded core: logins then time out and pile up at start.
	 */
	argv[n++] = xstrdup("--bcrypt-cost=4");
	return n;
}

char **lab_etcd_argv(const struct lab_cluster *c, int i)
{
	const struct lab_etcd_ports *e = &c->plan.etcd[i];
	char **argv = xcalloc(ETCD_MAX_ARGS, sizeof(char *));
	const char *s = scheme(c);
	int n = 0;

	argv[n++] = xstrdup(c->etcd_bin);
	argv[n++] = xasprintf("--name=%s", e->name);
	argv[n++] = xasprintf("--data-dir=%s/etcd/e%d", c->dir, i + 1);
	argv[n++] = xasprintf("--listen-client-urls=%s://127.0.0.1:%d", s, e->client_port);
	argv[n++] = xasprintf("--advertise-client-urls=%s://127.0.0.1:%d", s, e->client_port);
	argv[n++] = xasprintf("--listen-peer-urls=%s://127.0.0.1:%d", s, e->peer_port);
	argv[n++] = xasprintf("--initial-advertise-peer-urls=%s://127.0.0.1:%d", s, e->peer_port);
	n = tls_args(c, argv, n);
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
	struct tls_client tls;
	bool healthy = false;

	lab_etcd_url(c, i, url, sizeof(url));
	lab_tls_client(c, &tls);
	return client_etcd_health(url, &tls, HEALTH_TIMEOUT_MS, &healthy, why, whylen) && healthy;
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
