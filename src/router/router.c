/*
 * router.c: the router's loop and its inputs other than client bytes: listeners,
 * signals (signalfd), the DCS watch (eventfd), health-check scheduling and results,
 * fencing on leader changes, and publishing counters.
 *
 * One thread runs everything on the data path; nothing in it blocks except the
 * address resolution of a member whose address changed (rare, and numeric addresses
 * resolve without I/O). Time is read once per iteration.
 */
#include "router/router.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include "dcs/dcs.h"
#include "log/log.h"
#include "router/router_int.h"
#include "util/clock.h"
#include "util/netaddr.h"
#include "util/xalloc.h"

#define MAX_EVENTS       256
#define PUBLISH_EVERY_MS 100  /* /metrics freshness */
#define DCS_MAX_AGE_MS   5000 /* a view older than this is reported as stale */
#define HELD_RECHECK_MS  50   /* held clients re-try penalised targets this often */

/* --- epoll helpers ----------------------------------------------------------------------- */

static bool watch_fd(struct router *r, struct ev_handle *h, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = h};

	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, h->fd, &ev) == -1) {
		log_error("router: epoll_ctl: %m");
		return false;
	}
	return true;
}

/* --- listeners --------------------------------------------------------------------------- */

/* A wildcard IPv6 listener takes IPv4 clients too, whatever net.ipv6.bindv6only says. */
static bool listen_options(int fd, const struct netaddr *a)
{
	int one = 1;
	int zero = 0;

	if (netaddr_is_v6(a) && netaddr_is_any(a) &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) == -1)
		return false;
	/* Accepted sockets inherit TCP_NODELAY (and the keepalive settings): one call here,
	 * none per client. */
	return setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
	       setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0;
}

static int bind_listener(const char *addr, int backlog, const struct keepalive *k)
{
	struct netaddr a;
	char err[320];
	int fd;

	if (!netaddr_resolve(addr, NETADDR_LISTEN, &a, err, sizeof(err))) {
		log_error("router: %s", err);
		return -1;
	}
	fd = socket(a.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 &&
	    (!listen_options(fd, &a) || !keepalive_apply(fd, k) ||
	     bind(fd, (const struct sockaddr *)&a.sa, a.len) == -1 || listen(fd, backlog) == -1)) {
		log_error("router: cannot listen on %s: %m", addr);
		close(fd);
		fd = -1;
	}
	return fd;
}

static bool open_listeners(struct router *r)
{
	const char *addrs[RT__COUNT] = {r->cfg.rw_listen, r->cfg.ro_listen};

	for (int l = 0; l < RT__COUNT; l++) {
		struct listener *li = &r->listeners[l];

		li->lst = (enum rt_listener)l;
		li->ev = (struct ev_handle){.kind = EV_LISTENER, .fd = -1, .owner = li};
		snprintf(r->live.l[l].addr, sizeof(r->live.l[l].addr), "%s", addrs[l]);
		if (addrs[l][0] == '\0')
			continue;
		li->ev.fd = bind_listener(addrs[l], r->cfg.backlog, &r->keepalive);
		if (li->ev.fd < 0 || !watch_fd(r, &li->ev, EPOLLIN))
			return false;
		log_info("router: %s listener on %s", rt_listener_str(li->lst), addrs[l]);
	}
	return true;
}

/* --- targets: addresses ------------------------------------------------------------------ */

static void resolve_target(struct rt_target *t)
{
	struct netaddr a;
	char err[320];

	t->addr_changed = false;
	t->sa_len = 0;
	if (t->addr[0] == '\0') {
		log_warn("router: member %s has no usable address \"%s\"", t->name, t->addr);
		return;
	}
	if (!netaddr_resolve(t->addr, NETADDR_CONNECT, &a, err, sizeof(err))) {
		log_warn("router: member %s: %s", t->name, err);
		return;
	}
	memcpy(&t->sa, &a.sa, a.len);
	t->sa_len = a.len;
	log_info("router: member %s routes to %s", t->name, t->addr);
}

/* --- cluster view ------------------------------------------------------------------------ */

static void apply_view(struct router *r, const struct dcs_view *view)
{
	char old_leader[DCS_NAME_LEN];
	bool old_switchover = r->targets.switchover_pending;
	struct rt_changes ch;

	snprintf(old_leader, sizeof(old_leader), "%s", r->targets.leader);
	if ((view->n_members == 0) != r->view_empty) {
		r->view_empty = view->n_members == 0;
		if (r->view_empty)
			log_warn("router: no member under %s%s/ (wrong scope or namespace, or the "
			         "cluster is down): clients are held",
			         r->cfg.namespace_, r->cfg.scope);
	}
	rt_table_apply_view(&r->targets, view, r->now_ms, clock_wall_epoch_s() * 1000, &ch);
	for (int i = 0; ch.addr_changed && i < RT_MAX_TARGETS; i++) {
		if (r->targets.t[i].in_use && r->targets.t[i].addr_changed)
			resolve_target(&r->targets.t[i]);
	}
	if (strcmp(old_leader, r->targets.leader) != 0)
		log_info("router: leader key: \"%s\" -> \"%s\"", old_leader, r->targets.leader);
	if (ch.lost_leader >= 0) {
		/* Fencing at the edge: nothing keeps writing to a node that lost the key. */
		if (r->targets.t[ch.lost_leader].sessions[RT_RW] > 0)
			log_info(
			    "router: %s lost the leader key: closing its %d read-write sessions",
			    r->targets.t[ch.lost_leader].name,
			    r->targets.t[ch.lost_leader].sessions[RT_RW]);
		session_fence(r, ch.lost_leader, RT_RW);
	}
	if (ch.new_leader >= 0 && r->targets.t[ch.new_leader].sessions[RT_RO] > 0) {
		log_info("router: %s became leader: closing its %d read-only sessions",
		         r->targets.t[ch.new_leader].name,
		         r->targets.t[ch.new_leader].sessions[RT_RO]);
		session_fence(r, ch.new_leader, RT_RO);
	}
	if (old_switchover != r->targets.switchover_pending)
		log_info("router: switchover %s", r->targets.switchover_pending
		                                      ? "requested: new read-write clients are held"
		                                      : "no longer pending");
	for (int l = 0; l < RT__COUNT; l++)
		session_dispatch_held(r, (enum rt_listener)l);
}

/*
 * load_view: applies the watch cache. Before the first load a snapshot would block
 * waiting for it, so it is only taken once the watch reports itself current (the
 * loop polls for that until the first view, then the eventfd signals changes).
 */
static void load_view(struct router *r)
{
	struct dcs_view view;

	if (!r->targets.has_view && !dcs_watch_healthy(r->dcs))
		return;
	if (!dcs_snapshot(r->dcs, &view, DCS_MAX_AGE_MS))
		return; /* logged by dcs */
	/* A stale view changes nothing: the health checks keep confirming the last one. */
	if (view.valid)
		apply_view(r, &view);
	dcs_view_free(&view);
}

static void on_dcs(struct router *r)
{
	(void)dcs_wait(r->dcs, 0); /* resets the eventfd: this read covers every change so far */
	load_view(r);
}

/* --- health checks ----------------------------------------------------------------------- */

/* log_health: a check endpoint of target i went up or down (penalties aside). */
static void log_health(const struct router *r, int i, enum rt_check_kind kind, bool was_up)
{
	const struct rt_target *t = &r->targets.t[i];
	bool up = rt_health_up(&t->check[kind], r->targets.rise);

	if (up != was_up)
		log_info("router: %s (%s) %s is %s (last check: %d)", t->name, t->addr,
		         kind == RT_CHECK_PRIMARY ? "/primary" : "/replica", up ? "up" : "down",
		         t->last_status);
}

static void on_check_result(void *arg, int i, enum rt_check_kind kind, int status)
{
	struct router *r = arg;
	bool was_up = rt_health_up(&r->targets.t[i].check[kind], r->targets.rise);
	bool flipped;

	r->now_ms = clock_now_ms();
	flipped = rt_table_check_result(&r->targets, i, kind, status, r->now_ms,
	                                r->cfg.check_interval_ms);
	log_health(r, i, kind, was_up);
	if (!flipped)
		return;
	for (int l = 0; l < RT__COUNT; l++)
		session_dispatch_held(r, (enum rt_listener)l);
}

static void check_url(const struct router *r, const struct rt_target *t, char *out, size_t size)
{
	if (rt_target_check_kind(t) == RT_CHECK_PRIMARY)
		snprintf(out, size, "%s/primary", t->api_base);
	else if (r->cfg.max_replica_lag_bytes >= 0)
		snprintf(out, size, "%s/replica?lag=%lld", t->api_base,
		         (long long)r->cfg.max_replica_lag_bytes);
	else
		snprintf(out, size, "%s/replica", t->api_base);
}

/* start_checks: starts the checks that are due; returns when the next one is due. */
static int64_t start_checks(struct router *r)
{
	int64_t next = INT64_MAX;
	char url[DCS_URL_LEN + 64];

	for (int i = 0; i < RT_MAX_TARGETS; i++) {
		struct rt_target *t = &r->targets.t[i];

		if (!t->in_use || !t->present || t->api_base[0] == '\0' ||
		    checker_busy(r->checker, i))
			continue;
		if (t->next_check_ms <= r->now_ms) {
			check_url(r, t, url, sizeof(url));
			t->next_check_ms = r->now_ms + r->cfg.check_interval_ms;
			if (!checker_start(r->checker, i, rt_target_check_kind(t), url))
				continue; /* logged; retried at the next interval */
		}
		next = MIN(next, t->next_check_ms);
	}
	return next;
}

/* --- publishing -------------------------------------------------------------------------- */

static void fill_target(const struct router *r, int i, struct router_stats_target *o)
{
	const struct rt_target *t = &r->targets.t[i];

	snprintf(o->name, sizeof(o->name), "%s", t->name);
	snprintf(o->addr, sizeof(o->addr), "%s", t->addr);
	o->present = t->present;
	o->is_leader = t->is_leader;
	for (int l = 0; l < RT__COUNT; l++) {
		o->eligible[l] = rt_eligible(&r->targets, i, (enum rt_listener)l, r->now_ms);
		o->sessions[l] = t->sessions[l];
		o->sessions_total[l] = t->sessions_total[l];
	}
	o->health = t->check[rt_target_check_kind(t)].health;
	o->last_status = t->last_status;
	o->bytes_in = t->bytes_in;
	o->bytes_out = t->bytes_out;
	o->checks_failed = t->checks_failed;
}

void router_publish(struct router *r)
{
	struct router_stats *s = &r->live;

	s->uptime_ms = r->now_ms - r->start_ms;
	s->dcs_ok = dcs_watch_healthy(r->dcs);
	s->has_view = r->targets.has_view;
	s->rise = r->targets.rise;
	s->switchover_pending = r->targets.switchover_pending;
	snprintf(s->leader, sizeof(s->leader), "%s", r->targets.leader);
	s->n_targets = 0;
	for (int i = 0; i < RT_MAX_TARGETS; i++) {
		if (r->targets.t[i].in_use)
			fill_target(r, i, &s->t[s->n_targets++]);
	}
	for (int l = 0; l < RT__COUNT; l++)
		s->l[l].target_changes = r->targets.target_changes[l];
	pthread_mutex_lock(&r->pub_lock);
	r->pub = *s;
	r->pub_gen++;
	pthread_cond_broadcast(&r->pub_cond);
	pthread_mutex_unlock(&r->pub_lock);
	if (s->dcs_ok != r->dcs_was_ok)
		log_info("router: etcd watch %s", s->dcs_ok ? "is current" : "lost track");
	r->dcs_was_ok = s->dcs_ok;
}

void router_fresh_stats(struct router *r, struct router_stats *out)
{
	struct timespec deadline;
	uint64_t one = 1;
	uint64_t gen;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_nsec += 200 * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&r->pub_lock);
	gen = r->pub_gen;
	if (write(r->pub_req.fd, &one, sizeof(one)) == (ssize_t)sizeof(one)) {
		while (r->pub_gen == gen &&
		       pthread_cond_timedwait(&r->pub_cond, &r->pub_lock, &deadline) == 0)
			;
	}
	*out = r->pub;
	pthread_mutex_unlock(&r->pub_lock);
}

static void on_publish_request(struct router *r)
{
	uint64_t n;

	if (read(r->pub_req.fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
		router_publish(r);
}

/* --- the loop ---------------------------------------------------------------------------- */

static void on_signal(struct router *r)
{
	struct signalfd_siginfo si;

	while (read(r->sig.fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info(
			    "router: SIGHUP: reload is not supported; restart to apply changes");
			continue;
		}
		log_info("router: signal %u: stopping", si.ssi_signo);
		r->stopping = true;
	}
}

static void dispatch(struct router *r, struct ev_handle *h, uint32_t events)
{
	switch (h->kind) {
	case EV_CLIENT:
	case EV_SERVER:
		session_on_event(r, h, events);
		break;
	case EV_LISTENER:
		session_accept_all(r, h->owner);
		break;
	case EV_CHECK:
		if (h->fd >= 0)
			checker_on_event(r->checker, h->fd, events);
		break;
	case EV_DCS:
		on_dcs(r);
		break;
	case EV_SIGNAL:
		on_signal(r);
		break;
	case EV_PUBLISH:
		on_publish_request(r);
		break;
	case EV_CANCEL:
		cancel_on_event(r, h, events);
		break;
	case EV__COUNT:
		break;
	}
}

/* idle_sweep: client_idle_timeout, checked a few times per timeout; its next time. */
static int64_t idle_sweep(struct router *r)
{
	if (r->cfg.idle_timeout_ms <= 0)
		return INT64_MAX;
	if (r->now_ms >= r->next_idle_sweep_ms) {
		session_idle_sweep(r);
		r->next_idle_sweep_ms = r->now_ms + MAX(100, MIN(1000, r->cfg.idle_timeout_ms / 4));
	}
	return r->next_idle_sweep_ms;
}

/* housekeeping: timers of every kind; returns the epoll timeout until the next one. */
static int housekeeping(struct router *r)
{
	int64_t next = INT64_MAX;

	session_expire(r);
	if (!r->targets.has_view) {
		load_view(r);
		next = r->now_ms + HELD_RECHECK_MS;
	}
	checker_on_time(r->checker, r->now_ms);
	next = MIN(next, MIN(start_checks(r), checker_deadline_ms(r->checker)));
	if (r->accept_resume_ms <= r->now_ms)
		session_accept_resume(r);
	if (r->held[RT_RW].n + r->held[RT_RO].n > 0) {
		for (int l = 0; l < RT__COUNT; l++)
			session_dispatch_held(r, (enum rt_listener)l);
		next = MIN(next, r->now_ms + HELD_RECHECK_MS);
	}
	if (r->now_ms >= r->next_publish_ms) {
		router_publish(r);
		r->next_publish_ms = r->now_ms + PUBLISH_EVERY_MS;
	}
	next = MIN(next, holdq_next_deadline(&r->held[RT_RW]));
	next = MIN(next, holdq_next_deadline(&r->held[RT_RO]));
	next = MIN(next, holdq_next_deadline(&r->connecting));
	next = MIN(next, holdq_next_deadline(&r->greeting));
	next = MIN(next, holdq_next_deadline(&r->cancel_fwds));
	next = MIN(next, idle_sweep(r));
	next = MIN(next, r->accept_resume_ms);
	next =
	    MIN(next, r->next_publish_ms + 900); /* idle: refresh uptime/dcs state now and then */
	next = MIN(next, router_notify_tick(r));
	return next <= r->now_ms ? 0 : (int)MIN(next - r->now_ms, 60000);
}

bool router_run(struct router *r)
{
	struct epoll_event evs[MAX_EVENTS];
	int timeout_ms = 0;

	while (!r->stopping) {
		int n = epoll_wait(r->epfd, evs, MAX_EVENTS, timeout_ms);

		if (n < 0 && errno != EINTR) {
			log_error("router: epoll_wait: %m");
			return false;
		}
		r->now_ms = clock_now_ms();
		for (int i = 0; i < n; i++)
			dispatch(r, evs[i].data.ptr, evs[i].events);
		timeout_ms = housekeeping(r);
		session_free_closed(r);
		cancel_free_done(r);
		checker_end_iteration(r->checker);
	}
	router_notify_stopping(r);
	log_info("router: closing %d client connections", r->n_clients);
	session_close_all(r);
	cancel_close_all(r);
	session_free_closed(r);
	return true;
}

/* --- setup ------------------------------------------------------------------------------- */

static struct dcs *open_dcs(const struct router_config *cfg)
{
	const char *endpoints[ROUTER_MAX_ETCD + 1];
	struct dcs_options opt = {
	    .endpoints = endpoints,
	    .protocol = cfg->etcd_protocol,
	    .tls = &cfg->etcd_tls,
	    .namespace_ = cfg->namespace_,
	    .scope = cfg->scope,
	    .username = cfg->etcd_username[0] != '\0' ? cfg->etcd_username : NULL,
	    .password = cfg->etcd_password[0] != '\0' ? cfg->etcd_password : NULL,
	    .request_timeout_ms = 2000,
	    .hedge_ms = 100, /* a stalled etcd member delays a read by this, not 2 s */
	    .watch = true,
	};

	for (int i = 0; i < cfg->n_etcd; i++)
		endpoints[i] = cfg->etcd_hosts[i];
	endpoints[cfg->n_etcd] = NULL;
	return dcs_open(&opt);
}

static bool open_signals(struct router *r)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	r->sig = (struct ev_handle){.kind = EV_SIGNAL, .owner = r};
	r->sig.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (r->sig.fd < 0) {
		log_error("router: signalfd: %m");
		return false;
	}
	return watch_fd(r, &r->sig, EPOLLIN);
}

static bool open_inputs(struct router *r)
{
	if (!open_signals(r) || !open_listeners(r))
		return false;
	r->checker =
	    checker_new(r->epfd, r->cfg.check_timeout_ms, &r->cfg.rest_tls, on_check_result, r);
	if (r->checker == NULL)
		return false;
	r->dcs = open_dcs(&r->cfg);
	if (r->dcs == NULL)
		return false;
	r->dcs_ev = (struct ev_handle){.kind = EV_DCS, .fd = dcs_wait_fd(r->dcs), .owner = r};
	if (!watch_fd(r, &r->dcs_ev, EPOLLIN))
		return false;
	r->pub_req = (struct ev_handle){.kind = EV_PUBLISH, .owner = r};
	r->pub_req.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->pub_req.fd < 0 || !watch_fd(r, &r->pub_req, EPOLLIN))
		return false;
	if (r->cfg.http_listen[0] != '\0') {
		r->http = router_http_start(r, r->cfg.http_listen);
		if (r->http == NULL)
			return false;
	}
	return true;
}

static void init_cond(pthread_cond_t *c)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(c, &attr);
	pthread_condattr_destroy(&attr);
}

struct router *router_new(const struct router_config *cfg)
{
	struct router *r = xcalloc(1, sizeof(*r));

	r->cfg = *cfg;
	r->sig.fd = -1;
	for (int l = 0; l < RT__COUNT; l++) {
		r->listeners[l].ev.fd = -1;
		holdq_init(&r->held[l]);
	}
	holdq_init(&r->connecting);
	holdq_init(&r->greeting);
	holdq_init(&r->cancel_fwds);
	addr_table_init(&r->addrs);
	r->keepalive = (struct keepalive){.on = cfg->tcp_keepalive,
	                                  .idle_s = cfg->tcp_keepidle_s,
	                                  .interval_s = cfg->tcp_keepintvl_s,
	                                  .count = cfg->tcp_keepcnt};
	rt_table_init(&r->targets, cfg);
	pthread_mutex_init(&r->pub_lock, NULL);
	init_cond(&r->pub_cond);
	r->pub_req.fd = -1;
	r->buf = xmalloc(ROUTER_BUF_SIZE);
	r->now_ms = r->start_ms = clock_now_ms();
	r->accept_resume_ms = INT64_MAX;
	rt_notify_init(&r->notify, r->now_ms);
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0) {
		log_error("router: epoll_create1: %m");
		router_free(r);
		return NULL;
	}
	if (!open_inputs(r)) {
		router_free(r);
		return NULL;
	}
	router_publish(r);
	return r;
}

void router_free(struct router *r)
{
	if (r == NULL)
		return;
	router_http_stop(r->http); /* first: it reads r->pub */
	session_close_all(r);
	cancel_close_all(r);
	session_free_spares(r);
	addr_table_free(&r->addrs);
	for (int l = 0; l < RT__COUNT; l++) {
		if (r->listeners[l].ev.fd >= 0)
			close(r->listeners[l].ev.fd);
	}
	checker_free(r->checker);
	dcs_close(r->dcs);
	if (r->sig.fd >= 0)
		close(r->sig.fd);
	if (r->epfd >= 0)
		close(r->epfd);
	if (r->pub_req.fd >= 0)
		close(r->pub_req.fd);
	pthread_mutex_destroy(&r->pub_lock);
	pthread_cond_destroy(&r->pub_cond);
	free(r->buf);
	free(r);
}
