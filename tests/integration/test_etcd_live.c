/*
 * test_etcd_live.c: the etcd client and the DCS layer against a real 3-member etcd
 * 3.4 cluster started in a temp directory (client ports 23791-23793, peer ports
 * 23891-23893; 23798 is a socket that accepts but never answers, 23799 is closed).
 *
 * Checks: lease grant/keepalive/expiry deleting the key, the leader race (exactly one
 * winner), renew CONFLICT after a takeover, re-attach to a new lease, release, the
 * watch waking a waiter within 100 ms of a lease-expiry DELETE, failover past a dead
 * port, a silent endpoint (sub-second timeout), a SIGKILLed member and a SIGSTOPped
 * member under a watch, a malformed member value written with etcdctl, base64 interop
 * with etcdctl both ways, and the guarded writes (sync, config, initialize, history).
 * Every etcd process is stopped by pid and the directory removed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "dcs/dcs.h"
#include "dcs/etcd.h"
#include "log/log.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/proc.h"
#include "util/xalloc.h"

#define N_MEMBERS      3
#define CLIENT_PORT(i) (23791 + (i))
#define PEER_PORT(i)   (23891 + (i))
#define SILENT_PORT    23798
#define DEAD_PORT      23799
#define ETCD_BIN       "/usr/bin/etcd"
#define ETCDCTL_BIN    "/usr/bin/etcdctl"

struct cluster {
	char dir[256];
	pid_t pids[N_MEMBERS];
	char ep[N_MEMBERS][32]; /* "127.0.0.1:23791" */
	int silent_fd;          /* listening socket that never accepts */
};

/* --- cluster management ------------------------------------------------------------------- */

static pid_t start_member(struct cluster *cl, int i)
{
	char name[8], data[300], client[64], peer[64], initial[256], logf[300], err[256];
	const char *argv[32];
	int n = 0;
	pid_t pid;

	snprintf(name, sizeof(name), "e%d", i);
	snprintf(data, sizeof(data), "%s/%s", cl->dir, name);
	snprintf(logf, sizeof(logf), "%s/%s.log", cl->dir, name);
	snprintf(client, sizeof(client), "http://127.0.0.1:%d", CLIENT_PORT(i));
	snprintf(peer, sizeof(peer), "http://127.0.0.1:%d", PEER_PORT(i));
	snprintf(initial, sizeof(initial),
	         "e0=http://127.0.0.1:%d,e1=http://127.0.0.1:%d,"
	         "e2=http://127.0.0.1:%d",
	         PEER_PORT(0), PEER_PORT(1), PEER_PORT(2));
	argv[n++] = ETCD_BIN;
	argv[n++] = "--name", argv[n++] = name;
	argv[n++] = "--data-dir", argv[n++] = data;
	argv[n++] = "--listen-client-urls", argv[n++] = client;
	argv[n++] = "--advertise-client-urls", argv[n++] = client;
	argv[n++] = "--listen-peer-urls", argv[n++] = peer;
	argv[n++] = "--initial-advertise-peer-urls", argv[n++] = peer;
	argv[n++] = "--initial-cluster", argv[n++] = initial;
	argv[n++] = "--initial-cluster-token", argv[n++] = "pgha-test-etcd-live";
	argv[n++] = "--initial-cluster-state", argv[n++] = "new";
	argv[n] = NULL;
	struct proc_spec spec = {.argv = argv,
	                         .log_path = logf,
	                         .stdin_null = true,
	                         .new_session = true,
	                         .death_signal = SIGKILL};
	pid = proc_spawn(&spec, err, sizeof(err));
	if (pid < 0)
		print_error("cannot start etcd %s: %s\n", name, err);
	return pid;
}

/* Waits until member i answers a linearizable read. */
static bool wait_member(struct cluster *cl, int i, int timeout_ms)
{
	const char *eps[] = {cl->ep[i], NULL};
	struct etcd_options o = {.endpoints = eps, .request_timeout_ms = 500, .op_timeout_ms = 500};
	struct etcd *c = etcd_new(&o, NULL, 0);
	struct etcd_range_req req = {.key = "/health"};
	int64_t deadline = clock_now_ms() + timeout_ms;
	bool ok = false;

	log_set_level(LOG_LEVEL_ERROR); /* refusals while it starts are expected */
	while (!ok && clock_now_ms() < deadline) {
		struct etcd_kvs kvs;
		struct etcd_header hdr;

		ok = etcd_range(c, &req, &kvs, &hdr) == ETCD_OK;
		if (ok)
			etcd_kvs_free(&kvs);
		else
			clock_sleep_ms(100);
	}
	log_set_level(LOG_LEVEL_INFO);
	etcd_free(c);
	return ok;
}

static int silent_listener(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(SILENT_PORT)};
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 64) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int cluster_setup(void **state)
{
	struct cluster *cl = xcalloc(1, sizeof(*cl));

	*state = cl;
	snprintf(cl->dir, sizeof(cl->dir), "/tmp/pgha-etcd-live-XXXXXX");
	if (mkdtemp(cl->dir) == NULL)
		return -1;
	cl->silent_fd = silent_listener();
	for (int i = 0; i < N_MEMBERS; i++) {
		snprintf(cl->ep[i], sizeof(cl->ep[i]), "127.0.0.1:%d", CLIENT_PORT(i));
		if ((cl->pids[i] = start_member(cl, i)) < 0)
			return -1;
	}
	for (int i = 0; i < N_MEMBERS; i++)
		if (!wait_member(cl, i, 20000))
			return -1;
	return cl->silent_fd >= 0 ? 0 : -1;
}

static int cluster_teardown(void **state)
{
	struct cluster *cl = *state;

	for (int i = 0; i < N_MEMBERS; i++)
		if (cl->pids[i] > 0 && !proc_stop(cl->pids[i], SIGTERM, 5000))
			print_error("etcd pid %d did not stop\n", (int)cl->pids[i]);
	if (cl->silent_fd >= 0)
		close(cl->silent_fd);
	if (cl->dir[0] != '\0' && !fs_rm_rf(cl->dir))
		print_error("cannot remove %s\n", cl->dir);
	free(cl);
	return 0;
}

/* Restarts a member that was killed (its data dir makes it rejoin). */
static void restart_member(struct cluster *cl, int i)
{
	int status;

	(void)proc_wait(cl->pids[i], 5000, &status);
	cl->pids[i] = start_member(cl, i);
	assert_true(cl->pids[i] > 0);
	assert_true(wait_member(cl, i, 20000));
}

/* --- clients -------------------------------------------------------------------------------- */

/* A raw client on the given endpoints (NULL-terminated list of strings). */
static struct etcd *client(const char *const *eps, int request_ms, int op_ms)
{
	struct etcd_options o = {
	    .endpoints = eps, .request_timeout_ms = request_ms, .op_timeout_ms = op_ms};
	struct etcd *c = etcd_new(&o, NULL, 0);

	assert_non_null(c);
	return c;
}

static struct dcs *open_dcs_on(const char *const *eps, const char *scope, const char *name,
                               bool watch, int check_ms)
{
	struct dcs_options o = {.endpoints = eps,
	                        .namespace_ = "service",
	                        .scope = scope,
	                        .member_name = name,
	                        .request_timeout_ms = 1000,
	                        .op_timeout_ms = 6000,
	                        .watch = watch,
	                        .watch_check_ms = check_ms};
	struct dcs *d = dcs_open(&o);

	assert_non_null(d);
	return d;
}

static struct dcs *open_dcs(struct cluster *cl, const char *scope, const char *name, bool watch)
{
	const char *eps[] = {cl->ep[0], cl->ep[1], cl->ep[2], NULL};

	return open_dcs_on(eps, scope, name, watch, 0);
}

/* The value of key via a linearizable read, or NULL if absent. Owned. */
static char *get(struct etcd *c, const char *key, int64_t *lease)
{
	struct etcd_range_req req = {.key = key};
	struct etcd_kvs kvs;
	struct etcd_header hdr;
	char *value = NULL;

	assert_int_equal(etcd_range(c, &req, &kvs, &hdr), ETCD_OK);
	if (kvs.n == 1) {
		value = xstrdup(kvs.items[0].value);
		if (lease != NULL)
			*lease = kvs.items[0].lease;
	}
	etcd_kvs_free(&kvs);
	return value;
}

static int64_t mod_revision(struct etcd *c, const char *key)
{
	struct etcd_range_req req = {.key = key};
	struct etcd_kvs kvs;
	struct etcd_header hdr;
	int64_t rev;

	assert_int_equal(etcd_range(c, &req, &kvs, &hdr), ETCD_OK);
	rev = kvs.n == 1 ? kvs.items[0].mod_revision : 0;
	etcd_kvs_free(&kvs);
	return rev;
}

static struct etcd *client_all(struct cluster *cl)
{
	const char *eps[] = {cl->ep[0], cl->ep[1], cl->ep[2], NULL};

	return client(eps, 1000, 6000);
}

/* etcdctl with the given arguments; its stdout in out (if not NULL). */
static bool etcdctl(struct cluster *cl, struct buf *out, ...)
{
	char eps[128];
	const char *argv[16] = {ETCDCTL_BIN, eps};
	const char *env[] = {"ETCDCTL_API=3", NULL};
	struct proc_spec spec = {.argv = argv, .env = env, .stdin_null = true};
	char err[256];
	struct buf sink;
	va_list ap;
	int n = 2;
	bool ok;

	snprintf(eps, sizeof(eps), "--endpoints=%s,%s,%s", cl->ep[0], cl->ep[1], cl->ep[2]);
	va_start(ap, out);
	while ((argv[n] = va_arg(ap, const char *)) != NULL && n < 15)
		n++;
	va_end(ap);
	buf_init(&sink); /* its "OK" lines are of no interest */
	ok = proc_run(&spec, 10000, out != NULL ? out : &sink, err, sizeof(err));
	buf_free(&sink);
	if (!ok)
		print_error("etcdctl: %s\n", err);
	return ok;
}

/* --- leases --------------------------------------------------------------------------------- */

static void test_lease_expiry_deletes_key(void **state)
{
	struct cluster *cl = *state;
	struct etcd *c = client_all(cl);
	int64_t lease = 0, on = 0;
	int ttl = 0;
	char *v;

	assert_int_equal(etcd_lease_grant(c, 2, &lease, &ttl), ETCD_OK);
	assert_true(lease != 0);
	assert_int_equal(ttl, 2);
	assert_int_equal(etcd_put(c, "/t/lease/k", "v", lease, NULL), ETCD_OK);
	v = get(c, "/t/lease/k", &on);
	assert_string_equal(v, "v");
	assert_true(on == lease);
	free(v);
	for (int i = 0; i < 3; i++) { /* kept alive past its TTL */
		clock_sleep_ms(1000);
		assert_int_equal(etcd_lease_keepalive(c, lease, &ttl), ETCD_OK);
		assert_int_equal(ttl, 2);
	}
	v = get(c, "/t/lease/k", NULL);
	assert_non_null(v);
	free(v);
	clock_sleep_ms(3500); /* TTL + the lessor's 0.5 s tick + slack */
	assert_null(get(c, "/t/lease/k", NULL));
	assert_int_equal(etcd_lease_keepalive(c, lease, &ttl), ETCD_OK);
	assert_int_equal(ttl, 0);
	/* A put on the dead lease: an etcd error, recognised as such. */
	assert_int_equal(etcd_put(c, "/t/lease/k", "v", lease, NULL), ETCD_NO_LEASE);
	assert_int_equal(etcd_last_error_code(c), ETCD_CODE_NOT_FOUND);
	assert_int_equal(etcd_lease_revoke(c, lease), ETCD_NO_LEASE);
	etcd_free(c);
}

static void test_lease_ensure_and_revoke(void **state)
{
	struct cluster *cl = *state;
	struct dcs *d = open_dcs(cl, "t_lease", "pg1", false);
	struct etcd *c = client_all(cl);
	int64_t before = clock_now_ms(), sent = 0, first;
	char *v;

	assert_true(dcs_lease_ensure(d, 5, &sent));
	assert_true(sent >= before && sent <= clock_now_ms());
	first = dcs_lease_id(d);
	assert_true(first != 0);
	assert_true(dcs_lease_ensure(d, 5, &sent)); /* keepalive of the same lease */
	assert_true(dcs_lease_id(d) == first);
	assert_true(dcs_member_put(d, "{\"state\":\"running\"}"));
	v = get(c, "/service/t_lease/members/pg1", NULL);
	assert_string_equal(v, "{\"state\":\"running\"}");
	free(v);
	/* Revoking the lease takes its keys along. */
	assert_true(dcs_lease_revoke(d));
	assert_int_equal(dcs_lease_id(d), 0);
	assert_null(get(c, "/service/t_lease/members/pg1", NULL));
	assert_true(dcs_lease_revoke(d));
	/* A TTL change takes a new lease. */
	assert_true(dcs_lease_ensure(d, 5, &sent));
	first = dcs_lease_id(d);
	assert_true(dcs_lease_ensure(d, 6, &sent));
	assert_true(dcs_lease_id(d) != first);
	etcd_free(c);
	dcs_close(d);
}

static void test_member_put_skips_unchanged(void **state)
{
	struct cluster *cl = *state;
	struct dcs *d = open_dcs(cl, "t_member", "pg1", false);
	struct etcd *c = client_all(cl);
	const char *key = "/service/t_member/members/pg1";
	int64_t rev;

	assert_true(dcs_lease_ensure(d, 10, NULL));
	assert_true(dcs_member_put(d, "{\"xlog_location\":1}"));
	rev = mod_revision(c, key);
	assert_true(rev > 0);
	assert_true(dcs_member_put(d, "{\"xlog_location\":1}")); /* no request */
	assert_int_equal(mod_revision(c, key), rev);
	assert_true(dcs_member_put(d, "{\"xlog_location\":2}"));
	assert_true(mod_revision(c, key) > rev);
	etcd_free(c);
	assert_true(dcs_lease_revoke(d));
	dcs_close(d);
}

/* --- the leader key --------------------------------------------------------------------------- */

struct racer {
	struct dcs *d;
	pthread_barrier_t *start;
	enum dcs_cas result;
};

static void *race(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->start);
	r->result = dcs_leader_acquire(r->d, -1);
	return NULL;
}

static void test_leader_race_one_winner(void **state)
{
	struct cluster *cl = *state;
	struct racer r[2] = {{.d = open_dcs(cl, "t_race", "pg1", false)},
	                     {.d = open_dcs(cl, "t_race", "pg2", false)}};
	struct etcd *c = client_all(cl);
	pthread_barrier_t start;

	for (int i = 0; i < 2; i++)
		assert_true(dcs_lease_ensure(r[i].d, 10, NULL));
	for (int round = 0; round < 8; round++) {
		pthread_t t[2];
		int winner;
		char *v;

		pthread_barrier_init(&start, NULL, 2);
		for (int i = 0; i < 2; i++) {
			r[i].start = &start;
			assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&start);
		assert_true((r[0].result == DCS_CAS_OK) != (r[1].result == DCS_CAS_OK));
		winner = r[0].result == DCS_CAS_OK ? 0 : 1;
		assert_int_equal(r[1 - winner].result, DCS_CAS_CONFLICT);
		v = get(c, "/service/t_race/leader", NULL);
		assert_string_equal(v, winner == 0 ? "pg1" : "pg2");
		free(v);
		/* Acquiring again what we hold is fine; the loser still cannot. */
		assert_int_equal(dcs_leader_acquire(r[winner].d, -1), DCS_CAS_OK);
		assert_int_equal(dcs_leader_acquire(r[1 - winner].d, -1), DCS_CAS_CONFLICT);
		assert_int_equal(dcs_leader_release(r[winner].d), DCS_CAS_OK);
	}
	for (int i = 0; i < 2; i++) {
		assert_true(dcs_lease_revoke(r[i].d));
		dcs_close(r[i].d);
	}
	etcd_free(c);
}

static void test_renew_conflict_after_takeover(void **state)
{
	struct cluster *cl = *state;
	struct dcs *a = open_dcs(cl, "t_takeover", "pg1", false);
	struct dcs *b = open_dcs(cl, "t_takeover", "pg2", false);
	struct etcd *c = client_all(cl);
	int64_t sent = 0, before;
	char *v;

	assert_true(dcs_lease_ensure(a, 10, NULL));
	assert_int_equal(dcs_leader_acquire(a, -1), DCS_CAS_OK);
	before = clock_now_ms();
	assert_int_equal(dcs_leader_renew(a, 10, &sent), DCS_RENEW_OK);
	assert_true(sent >= before && sent <= clock_now_ms());
	/* Nobody else can take a held key. */
	assert_true(dcs_lease_ensure(b, 10, NULL));
	assert_int_equal(dcs_leader_acquire(b, -1), DCS_CAS_CONFLICT);
	/* a's lease dies (as if a froze past its TTL); b takes over. */
	assert_int_equal(etcd_lease_revoke(c, dcs_lease_id(a)), ETCD_OK);
	assert_null(get(c, "/service/t_takeover/leader", NULL));
	assert_int_equal(dcs_leader_acquire(b, -1), DCS_CAS_OK);
	/* a wakes up: its renew grants a new lease, but the key is b's. */
	assert_int_equal(dcs_leader_renew(a, 10, &sent), DCS_RENEW_OTHER);
	v = get(c, "/service/t_takeover/leader", NULL);
	assert_string_equal(v, "pg2");
	free(v);
	/* And a's release does not touch b's key. */
	assert_int_equal(dcs_leader_release(a), DCS_CAS_CONFLICT);
	v = get(c, "/service/t_takeover/leader", NULL);
	assert_string_equal(v, "pg2");
	free(v);
	/* If the key vanished meanwhile, a renew says so and never re-creates it itself
	 * (taking it back is the lease keeper's decision). */
	assert_int_equal(dcs_leader_release(b), DCS_CAS_OK);
	assert_int_equal(dcs_leader_renew(a, 10, &sent), DCS_RENEW_ABSENT);
	assert_null(get(c, "/service/t_takeover/leader", NULL));
	assert_true(dcs_lease_revoke(a) && dcs_lease_revoke(b));
	dcs_close(a);
	dcs_close(b);
	etcd_free(c);
}

static void test_renew_reattaches_to_new_lease(void **state)
{
	struct cluster *cl = *state;
	struct dcs *a = open_dcs(cl, "t_reattach", "pg1", false);
	struct etcd *c = client_all(cl);
	int64_t old, on = 0;
	char *v;

	assert_true(dcs_lease_ensure(a, 10, NULL));
	old = dcs_lease_id(a);
	assert_int_equal(dcs_leader_acquire(a, -1), DCS_CAS_OK);
	/* A TTL change forces a new lease: the key must move onto it, still ours. */
	assert_int_equal(dcs_leader_renew(a, 12, NULL), DCS_RENEW_OK);
	assert_true(dcs_lease_id(a) != old);
	v = get(c, "/service/t_reattach/leader", &on);
	assert_string_equal(v, "pg1");
	assert_true(on == dcs_lease_id(a));
	free(v);
	assert_int_equal(dcs_leader_renew(a, 12, NULL), DCS_RENEW_OK);
	assert_int_equal(etcd_lease_revoke(c, old), ETCD_OK); /* the old lease is no anchor */
	v = get(c, "/service/t_reattach/leader", NULL);
	assert_string_equal(v, "pg1");
	free(v);
	assert_int_equal(dcs_leader_release(a), DCS_CAS_OK);
	assert_null(get(c, "/service/t_reattach/leader", NULL));
	assert_int_equal(dcs_leader_release(a), DCS_CAS_OK); /* already gone */
	/* The lease died since the last keepalive: acquire grants a new one and retries. */
	old = dcs_lease_id(a);
	assert_int_equal(etcd_lease_revoke(c, old), ETCD_OK);
	assert_int_equal(dcs_leader_acquire(a, -1), DCS_CAS_OK);
	assert_true(dcs_lease_id(a) != old);
	v = get(c, "/service/t_reattach/leader", &on);
	assert_string_equal(v, "pg1");
	assert_true(on == dcs_lease_id(a));
	free(v);
	assert_true(dcs_lease_revoke(a));
	dcs_close(a);
	etcd_free(c);
}

/* --- other guarded writes
 * ------------------------------------------------------------------------- */

static void test_guarded_writes(void **state)
{
	struct cluster *cl = *state;
	struct dcs *a = open_dcs(cl, "t_writes", "pg1", false);
	struct dcs *b = open_dcs(cl, "t_writes", "pg2", false);
	struct dcs *tool = open_dcs(cl, "t_writes", NULL, false);
	const char *standbys[] = {"pg2"};
	struct dcs_view v;

	assert_int_equal(dcs_initialize_race(a), DCS_CAS_OK);
	assert_int_equal(dcs_initialize_race(b), DCS_CAS_CONFLICT);
	assert_true(dcs_initialize_set(a, "7161849373838315551"));
	assert_true(dcs_lease_ensure(a, 10, NULL) && dcs_lease_ensure(b, 10, NULL));
	assert_int_equal(dcs_leader_acquire(a, -1), DCS_CAS_OK);
	/* sync: created by the leader only; a non-leader cannot overwrite it. */
	assert_int_equal(dcs_sync_write(b, standbys, 1, 0), DCS_CAS_CONFLICT);
	assert_int_equal(dcs_sync_write(a, standbys, 1, 0), DCS_CAS_OK);
	assert_int_equal(dcs_sync_write(a, NULL, 0, 0), DCS_CAS_CONFLICT); /* exists now */
	assert_true(dcs_read(tool, &v));
	assert_true(v.sync.present && dcs_sync_has(&v.sync, "pg2"));
	assert_int_equal(dcs_sync_write(b, NULL, 0, v.sync.mod_revision), DCS_CAS_CONFLICT);
	assert_int_equal(dcs_sync_write(a, NULL, 0, v.sync.mod_revision), DCS_CAS_OK);
	dcs_view_free(&v);
	/* history only by the leader. */
	assert_false(dcs_history_write(b, "[[1,100,\"x\"]]"));
	assert_true(dcs_history_write(a, "[[1,100,\"x\"]]"));
	/* config CAS. */
	assert_int_equal(dcs_config_write(tool, "{\"ttl\":10}", -1), DCS_CAS_OK);
	assert_true(dcs_read(tool, &v));
	assert_int_equal(dcs_config_write(tool, "{\"ttl\":20}", v.config_mod_revision + 1),
	                 DCS_CAS_CONFLICT);
	assert_int_equal(dcs_config_write(tool, "{\"ttl\":20}", v.config_mod_revision), DCS_CAS_OK);
	dcs_view_free(&v);
	/* failover request and its CAS clear. */
	assert_true(dcs_failover_write(tool, "pg1", "pg2", NULL));
	assert_true(dcs_status_write(a, "{\"optime\":100}"));
	assert_true(dcs_read(tool, &v));
	assert_true(v.failover.present);
	assert_string_equal(v.failover.member, "pg2");
	assert_int_equal(dcs_failover_clear(a, v.failover.mod_revision + 5), DCS_CAS_CONFLICT);
	assert_int_equal(dcs_failover_clear(a, v.failover.mod_revision), DCS_CAS_OK);
	assert_int_equal(v.status_optime, 100);
	assert_string_equal(v.initialize, "7161849373838315551");
	assert_int_equal(dcs_view_timeline(&v), 2);
	dcs_view_free(&v);
	assert_true(dcs_read(tool, &v));
	assert_false(v.failover.present);
	dcs_view_free(&v);
	assert_true(dcs_delete_cluster(tool));
	assert_true(dcs_read(tool, &v));
	assert_false(v.has_initialize || v.has_leader || v.has_config);
	dcs_view_free(&v);
	assert_true(dcs_lease_revoke(a) && dcs_lease_revoke(b));
	dcs_close(a);
	dcs_close(b);
	dcs_close(tool);
}

/* --- the watch
 * ------------------------------------------------------------------------------------- */

/* Waits until the watched view satisfies pred, or timeout; the view is left filled. */
static bool wait_view(struct dcs *d, struct dcs_view *v, int timeout_ms,
                      bool (*pred)(const struct dcs_view *, const void *), const void *arg)
{
	int64_t deadline = clock_now_ms() + timeout_ms;

	for (;;) {
		memset(v, 0, sizeof(*v));
		if (dcs_snapshot(d, v, -1) && pred(v, arg))
			return true;
		dcs_view_free(v);
		if (clock_now_ms() >= deadline)
			return false;
		(void)dcs_wait(d, 50);
	}
}

static bool healthy_is(struct dcs *d, bool want, int timeout_ms)
{
	int64_t deadline = clock_now_ms() + timeout_ms;

	while (dcs_watch_healthy(d) != want && clock_now_ms() < deadline)
		(void)dcs_wait(d, 50);
	return dcs_watch_healthy(d) == want;
}

static bool leader_is(const struct dcs_view *v, const void *name)
{
	return name != NULL ? v->has_leader && strcmp(v->leader, name) == 0 : !v->has_leader;
}

static bool has_member(const struct dcs_view *v, const void *name)
{
	return dcs_view_member(v, name) != NULL;
}

struct poller {
	struct etcd *c;
	const char *key;
	atomic_bool stop;
	int64_t gone_ms; /* when a linearizable read first saw the key gone */
};

static void *poll_until_gone(void *arg)
{
	struct poller *p = arg;

	while (!atomic_load(&p->stop)) {
		char *v = get(p->c, p->key, NULL);

		if (v == NULL) {
			p->gone_ms = clock_now_ms();
			break;
		}
		free(v);
		clock_sleep_ms(2);
	}
	return NULL;
}

static void test_watch_wakes_on_lease_expiry(void **state)
{
	struct cluster *cl = *state;
	struct dcs *watcher = open_dcs(cl, "t_wake", "pg2", true);
	struct dcs *holder = open_dcs(cl, "t_wake", "pg1", false);
	struct poller p = {.c = client_all(cl), .key = "/service/t_wake/leader"};
	struct dcs_view v;
	pthread_t t;
	int64_t woke_ms;

	assert_true(dcs_lease_ensure(holder, 2, NULL));
	assert_int_equal(dcs_leader_acquire(holder, -1), DCS_CAS_OK);
	assert_true(wait_view(watcher, &v, 5000, leader_is, "pg1"));
	assert_true(v.valid);
	dcs_view_free(&v);
	assert_true(healthy_is(watcher, true, 5000));
	/* The holder stops renewing; etcd deletes the key when the lease expires. */
	assert_int_equal(pthread_create(&t, NULL, poll_until_gone, &p), 0);
	assert_true(wait_view(watcher, &v, 6000, leader_is, NULL));
	woke_ms = clock_now_ms();
	dcs_view_free(&v);
	clock_sleep_ms(200);
	atomic_store(&p.stop, true);
	pthread_join(t, NULL);
	assert_true(p.gone_ms > 0);
	print_message("watch woke %lld ms after a read first saw the key gone\n",
	              (long long)(woke_ms - p.gone_ms));
	assert_true(woke_ms - p.gone_ms < 100);
	etcd_free(p.c);
	dcs_close(holder);
	dcs_close(watcher);
}

static void test_watch_view_and_malformed_member(void **state)
{
	struct cluster *cl = *state;
	struct dcs *watcher = open_dcs(cl, "t_bad", NULL, true);
	struct dcs *tool = open_dcs(cl, "t_bad", NULL, false);
	struct dcs_view v;

	assert_true(etcdctl(
	    cl, NULL, "put", "/service/t_bad/members/good",
	    "{\"conn_url\":\"postgres://127.0.0.1:5432/postgres\",\"role\":\"replica\"}", NULL));
	assert_true(etcdctl(cl, NULL, "put", "/service/t_bad/members/bad", "{not json", NULL));
	assert_true(etcdctl(cl, NULL, "put", "/service/t_bad/sync", "[garbage", NULL));
	assert_true(etcdctl(cl, NULL, "put", "/service/t_bad/leader", "good", NULL));
	/* Without the watch: one linearizable read. */
	assert_true(dcs_read(tool, &v));
	assert_int_equal(v.n_members, 1);
	assert_string_equal(v.members[0].name, "good");
	assert_int_equal(v.members[0].port, 5432);
	assert_false(v.sync.present);
	assert_non_null(dcs_view_leader_member(&v));
	dcs_view_free(&v);
	/* From the watch cache: the same view. */
	assert_true(wait_view(watcher, &v, 5000, leader_is, "good"));
	assert_int_equal(v.n_members, 1);
	dcs_view_free(&v);
	assert_true(etcdctl(cl, NULL, "del", "--prefix", "/service/t_bad/", NULL));
	dcs_close(tool);
	dcs_close(watcher);
}

/* --- endpoints and failover
 * ------------------------------------------------------------------------ */

static void test_failover_past_dead_and_silent_endpoints(void **state)
{
	struct cluster *cl = *state;
	char dead[32], silent[32];
	const char *eps_dead[] = {dead, cl->ep[0], NULL};
	const char *eps_silent[] = {silent, cl->ep[1], NULL};
	const char *eps_none[] = {dead, silent, NULL};
	struct etcd_range_req req = {.key = "/t/failover"};
	struct etcd_kvs kvs;
	struct etcd_header hdr;
	struct etcd *c;
	int64_t t0, ms;

	snprintf(dead, sizeof(dead), "127.0.0.1:%d", DEAD_PORT);
	snprintf(silent, sizeof(silent), "http://127.0.0.1:%d/", SILENT_PORT);
	/* A closed port: refused at once, the next endpoint answers. */
	c = client(eps_dead, 300, 0);
	t0 = clock_now_ms();
	assert_int_equal(etcd_range(c, &req, &kvs, &hdr), ETCD_OK);
	etcd_kvs_free(&kvs);
	assert_true(clock_now_ms() - t0 < 300);
	assert_string_equal(etcd_endpoint(c), "http://127.0.0.1:23791");
	etcd_free(c);
	/* A member that accepts and never answers: a read is hedged to the next one after
	 * the hedge delay (a third of the 300 ms request timeout), not after the timeout. */
	c = client(eps_silent, 300, 0);
	t0 = clock_now_ms();
	assert_int_equal(etcd_range(c, &req, &kvs, &hdr), ETCD_OK);
	etcd_kvs_free(&kvs);
	ms = clock_now_ms() - t0;
	print_message("silent endpoint cost %lld ms at a 300 ms request timeout (hedged)\n",
	              (long long)ms);
	assert_true(ms >= 90 && ms < 800);
	/* The good endpoint is remembered: the next call does not wait again. */
	t0 = clock_now_ms();
	assert_int_equal(etcd_range(c, &req, &kvs, &hdr), ETCD_OK);
	etcd_kvs_free(&kvs);
	assert_true(clock_now_ms() - t0 < 250);
	etcd_free(c);
	/* Nobody answers: unavailable, within the overall deadline. */
	c = client(eps_none, 200, 700);
	t0 = clock_now_ms();
	assert_int_equal(etcd_range(c, &req, &kvs, &hdr), ETCD_UNAVAILABLE);
	ms = clock_now_ms() - t0;
	assert_true(ms >= 600 && ms < 1500);
	etcd_free(c);
}

static bool member_seen(struct dcs *d, const char *name, int timeout_ms)
{
	struct dcs_view v;
	bool ok = wait_view(d, &v, timeout_ms, has_member, name);

	if (ok)
		dcs_view_free(&v);
	return ok;
}

static void test_member_killed(void **state)
{
	struct cluster *cl = *state;
	const char *order[] = {cl->ep[2], cl->ep[0], cl->ep[1], NULL};
	struct dcs *d = open_dcs_on(order, "t_kill", "pg1", false, 0);
	struct dcs *watcher = open_dcs_on(order, "t_kill", NULL, true, 0);
	struct dcs_view v;
	int64_t t0;

	assert_true(dcs_lease_ensure(d, 10, NULL));
	assert_true(dcs_member_put(d, "{\"n\":1}"));
	assert_true(member_seen(watcher, "pg1", 5000));
	assert_true(healthy_is(watcher, true, 5000));    /* the stream is up, not just the load */
	assert_int_equal(kill(cl->pids[2], SIGKILL), 0); /* the member both are talking to */
	t0 = clock_now_ms();
	/* Requests move on to the next endpoint (across a raft election if need be). */
	assert_true(dcs_lease_ensure(d, 10, NULL));
	assert_int_equal(dcs_leader_acquire(d, -1), DCS_CAS_OK);
	assert_true(dcs_read(d, &v));
	assert_string_equal(v.leader, "pg1");
	dcs_view_free(&v);
	print_message("requests recovered %lld ms after SIGKILL\n",
	              (long long)(clock_now_ms() - t0));
	/* The watch reconnects elsewhere and keeps delivering. */
	assert_true(wait_view(watcher, &v, 8000, leader_is, "pg1"));
	dcs_view_free(&v);
	assert_true(dcs_member_put(d, "{\"n\":2}"));
	{
		struct etcd *c = client_all(cl);
		int64_t lease = dcs_lease_id(d);

		assert_int_equal(etcd_put(c, "/service/t_kill/members/pg9", "{}", lease, NULL),
		                 ETCD_OK);
		etcd_free(c);
	}
	assert_true(member_seen(watcher, "pg9", 8000));
	print_message("watch recovered %lld ms after SIGKILL\n", (long long)(clock_now_ms() - t0));
	assert_true(healthy_is(watcher, true, 5000));
	assert_true(dcs_lease_revoke(d));
	dcs_close(watcher);
	dcs_close(d);
	restart_member(cl, 2);
}

static void test_watch_member_frozen(void **state)
{
	struct cluster *cl = *state;
	const char *order[] = {cl->ep[1], cl->ep[0], cl->ep[2], NULL};
	const char *others[] = {cl->ep[0], cl->ep[2], NULL};
	struct dcs *watcher = open_dcs_on(order, "t_frozen", NULL, true, 500);
	struct dcs *writer = open_dcs_on(others, "t_frozen", "pg1", false, 0);
	int64_t t0;

	dcs_set_timeouts(watcher, 500, 0, 0);
	assert_true(dcs_lease_ensure(writer, 10, NULL));
	assert_true(dcs_member_put(writer, "{\"n\":1}"));
	assert_true(member_seen(watcher, "pg1", 5000));
	/* The stream's member freezes: no error, no close, just silence. */
	assert_int_equal(kill(cl->pids[1], SIGSTOP), 0);
	t0 = clock_now_ms();
	{
		/* A plain put is never sent twice at once: one parked on a follower that
		 * forwards to a frozen raft leader fails (outcome unknown) and is repeated here,
		 * as the agent repeats its member key at its next cycle. */
		struct etcd *c = client(others, 1000, 6000);
		enum etcd_status st = ETCD_UNAVAILABLE;

		for (int i = 0; i < 10 && st != ETCD_OK; i++)
			st = etcd_put(c, "/service/t_frozen/members/pg2", "{}", 0, NULL);
		assert_int_equal(st, ETCD_OK);
		etcd_free(c);
	}
	/* The silence check notices and the watch moves to a live member. */
	assert_true(member_seen(watcher, "pg2", 8000));
	print_message("frozen member detected, change seen after %lld ms\n",
	              (long long)(clock_now_ms() - t0));
	assert_int_equal(kill(cl->pids[1], SIGCONT), 0);
	assert_true(wait_member(cl, 1, 20000));
	assert_true(dcs_lease_revoke(writer));
	dcs_close(writer);
	dcs_close(watcher);
}

static void test_watch_quorum_lost(void **state)
{
	struct cluster *cl = *state;
	const char *only0[] = {cl->ep[0], NULL};
	struct dcs *watcher = open_dcs_on(only0, "t_quorum", NULL, true, 1000);
	struct dcs_view v;
	int64_t t0;

	dcs_set_timeouts(watcher, 500, 0, 0);
	assert_true(healthy_is(watcher, true, 5000));
	/* Its member keeps running but loses its raft leader: the view must not stay current. */
	assert_int_equal(kill(cl->pids[1], SIGSTOP), 0);
	assert_int_equal(kill(cl->pids[2], SIGSTOP), 0);
	t0 = clock_now_ms();
	assert_true(healthy_is(watcher, false, 8000));
	print_message("quorum loss noticed by the watch after %lld ms\n",
	              (long long)(clock_now_ms() - t0));
	/* It stays so while the quorum is gone (its member steps down, then "no leader"). */
	clock_sleep_ms(3000);
	assert_false(dcs_watch_healthy(watcher));
	assert_true(dcs_snapshot(watcher, &v, 2000));
	assert_false(v.valid); /* lost for longer than max_age_ms */
	dcs_view_free(&v);
	assert_true(dcs_snapshot(watcher, &v, -1));
	assert_true(v.valid); /* any age accepted: the last known contents */
	dcs_view_free(&v);
	assert_int_equal(kill(cl->pids[1], SIGCONT), 0);
	assert_int_equal(kill(cl->pids[2], SIGCONT), 0);
	assert_true(healthy_is(watcher, true, 20000));
	assert_true(dcs_snapshot(watcher, &v, 0));
	assert_true(v.valid);
	dcs_view_free(&v);
	for (int i = 0; i < N_MEMBERS; i++)
		assert_true(wait_member(cl, i, 20000));
	dcs_close(watcher);
}

/* --- interop with etcdctl
 * ----------------------------------------------------------------------------- */

static void test_base64_interop_with_etcdctl(void **state)
{
	struct cluster *cl = *state;
	struct etcd *c = client_all(cl);
	const char *odd_key = "/t/interop/members/nöde 1:\"x\"";
	const char *odd_value = "line1\nline2 \"quoted\" \\ ü € 🐘 {}[]";
	struct buf out;
	char *v;

	buf_init(&out);
	/* etcdctl writes, we read. */
	assert_true(etcdctl(cl, NULL, "put", odd_key, odd_value, NULL));
	v = get(c, odd_key, NULL);
	assert_non_null(v);
	assert_string_equal(v, odd_value);
	free(v);
	/* We write, etcdctl reads (it prints the value and a newline). */
	assert_int_equal(etcd_put(c, "/t/interop/ours", odd_value, 0, NULL), ETCD_OK);
	assert_true(etcdctl(cl, &out, "get", "--print-value-only", "/t/interop/ours", NULL));
	assert_int_equal(out.len, strlen(odd_value) + 1);
	assert_memory_equal(out.data, odd_value, strlen(odd_value));
	buf_reset(&out);
	assert_true(
	    etcdctl(cl, &out, "get", "--keys-only", "--prefix", "/t/interop/members/", NULL));
	assert_non_null(strstr(out.data, odd_key));
	buf_free(&out);
	etcd_free(c);
}

/* The row of member name in patronictl's JSON output, or NULL. Borrowed from rows. */
static const json_t *patronictl_row(const json_t *rows, const char *name)
{
	size_t i;
	const json_t *row;

	json_array_foreach(rows, i,
	                   row) if (strcmp(json_string_value(json_object_get(row, "Member")),
	                                   name) == 0) return row;
	return NULL;
}

/* A stock Patroni 3.0.2 patronictl reads the cluster our DCS layer wrote. */
static void test_patronictl_reads_our_keys(void **state)
{
	struct cluster *cl = *state;
	struct dcs *a = open_dcs(cl, "t_patroni", "pg1", false);
	struct dcs *b = open_dcs(cl, "t_patroni", "pg2", false);
	const char *sync[] = {"pg2"};
	const char *argv[] = {"/usr/bin/patronictl", "-c", NULL, "list", "-f", "json", NULL};
	struct proc_spec spec = {.argv = argv, .stdin_null = true};
	char cfg[300], yml[256], err[256];
	struct buf out;
	json_t *rows;
	const json_t *row;

	if (!fs_exists(argv[0]))
		skip();
	snprintf(cfg, sizeof(cfg), "%s/patroni.yml", cl->dir);
	snprintf(yml, sizeof(yml),
	         "scope: t_patroni\nnamespace: /service/\netcd3:\n  hosts: %s,%s\n", cl->ep[0],
	         cl->ep[1]);
	assert_true(fs_write_atomic(cfg, yml, strlen(yml), 0600));
	argv[2] = cfg;
	assert_int_equal(dcs_initialize_race(a), DCS_CAS_OK);
	assert_int_equal(dcs_config_write(a, "{\"ttl\":30,\"synchronous_mode\":true}", -1),
	                 DCS_CAS_OK);
	assert_true(dcs_lease_ensure(a, 30, NULL) && dcs_lease_ensure(b, 30, NULL));
	assert_int_equal(dcs_leader_acquire(a, -1), DCS_CAS_OK);
	assert_true(dcs_member_put(a, "{\"conn_url\":\"postgres://127.0.0.1:5432/postgres\","
	                              "\"api_url\":\"http://127.0.0.1:8008/patroni\",\"state\":"
	                              "\"running\",\"role\":\"master\",\"xlog_location\":100,"
	                              "\"timeline\":2}"));
	assert_true(dcs_member_put(b, "{\"conn_url\":\"postgres://127.0.0.1:5433/postgres\","
	                              "\"api_url\":\"http://127.0.0.1:8009/patroni\",\"state\":"
	                              "\"running\",\"role\":\"replica\",\"xlog_location\":100,"
	                              "\"timeline\":2}"));
	assert_int_equal(dcs_sync_write(a, sync, 1, 0), DCS_CAS_OK);
	assert_true(dcs_status_write(a, "{\"optime\":100}"));
	buf_init(&out);
	assert_true(proc_run(&spec, 30000, &out, err, sizeof(err)));
	rows = json_loads(out.data, 0, NULL);
	assert_non_null(rows);
	assert_int_equal(json_array_size(rows), 2);
	row = patronictl_row(rows, "pg1");
	assert_non_null(row);
	assert_string_equal(json_string_value(json_object_get(row, "Role")), "Leader");
	/* Host from conn_url; the port is shown since the members' ports differ. */
	assert_string_equal(json_string_value(json_object_get(row, "Host")), "127.0.0.1:5432");
	assert_int_equal(json_integer_value(json_object_get(row, "TL")), 2);
	row = patronictl_row(rows, "pg2");
	assert_non_null(row);
	assert_string_equal(json_string_value(json_object_get(row, "Role")), "Sync Standby");
	assert_string_equal(json_string_value(json_object_get(row, "Host")), "127.0.0.1:5433");
	json_decref(rows);
	buf_free(&out);
	assert_true(dcs_delete_cluster(a));
	assert_true(dcs_lease_revoke(a) && dcs_lease_revoke(b));
	dcs_close(a);
	dcs_close(b);
}

/* Last: it turns authentication on for the whole cluster. */
static void test_authentication(void **state)
{
	struct cluster *cl = *state;
	const char *eps[] = {cl->ep[0], cl->ep[1], cl->ep[2], NULL};
	struct etcd_options o = {.endpoints = eps, .request_timeout_ms = 1000};
	struct dcs_options dopt = {.endpoints = eps,
	                           .scope = "t_auth",
	                           .username = "root",
	                           .password = "r00t-pw",
	                           .request_timeout_ms = 1000,
	                           .watch = true};
	struct etcd *anon, *root, *wrong;
	struct dcs *watcher;
	char *v;

	assert_true(etcdctl(cl, NULL, "user", "add", "root", "--new-user-password=r00t-pw", NULL));
	assert_true(etcdctl(cl, NULL, "auth", "enable", NULL));
	anon = etcd_new(&o, NULL, 0);
	o.username = "root", o.password = "r00t-pw";
	root = etcd_new(&o, NULL, 0);
	o.password = "wrong";
	wrong = etcd_new(&o, NULL, 0);
	assert_int_equal(etcd_put(anon, "/t/auth/k", "x", 0, NULL), ETCD_FAILED);
	assert_non_null(strstr(etcd_last_error(anon), "user name is empty"));
	assert_int_equal(etcd_put(wrong, "/t/auth/k", "x", 0, NULL), ETCD_FAILED);
	assert_non_null(strstr(etcd_last_error(wrong), "authentication failed"));
	assert_int_equal(etcd_put(root, "/t/auth/k", "v1", 0, NULL), ETCD_OK);
	v = get(root, "/t/auth/k", NULL);
	assert_string_equal(v, "v1");
	free(v);
	/* The watch authenticates too, and its stream carries the token. */
	watcher = dcs_open(&dopt);
	assert_non_null(watcher);
	assert_int_equal(etcd_put(root, "/service/t_auth/members/pg1", "{}", 0, NULL), ETCD_OK);
	assert_true(member_seen(watcher, "pg1", 5000));
	dcs_close(watcher);
	assert_true(etcdctl(cl, NULL, "--user=root:r00t-pw", "auth", "disable", NULL));
	etcd_free(anon);
	etcd_free(root);
	etcd_free(wrong);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lease_expiry_deletes_key),
	    cmocka_unit_test(test_lease_ensure_and_revoke),
	    cmocka_unit_test(test_member_put_skips_unchanged),
	    cmocka_unit_test(test_leader_race_one_winner),
	    cmocka_unit_test(test_renew_conflict_after_takeover),
	    cmocka_unit_test(test_renew_reattaches_to_new_lease),
	    cmocka_unit_test(test_guarded_writes),
	    cmocka_unit_test(test_watch_wakes_on_lease_expiry),
	    cmocka_unit_test(test_watch_view_and_malformed_member),
	    cmocka_unit_test(test_failover_past_dead_and_silent_endpoints),
	    cmocka_unit_test(test_base64_interop_with_etcdctl),
	    cmocka_unit_test(test_patronictl_reads_our_keys),
	    cmocka_unit_test(test_member_killed),
	    cmocka_unit_test(test_watch_member_frozen),
	    cmocka_unit_test(test_watch_quorum_lost),
	    cmocka_unit_test(test_authentication),
	};

	return cmocka_run_group_tests(tests, cluster_setup, cluster_teardown);
}
