/*
 * cmd_router.c: `pgha router -c FILE`: loads the router configuration, prepares the
 * process (signals, file descriptor limit, libcurl through http.h) and runs the router until
 * SIGTERM or SIGINT.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include "cli/cli.h"
#include "http/http.h"
#include "log/log.h"
#include "router/router.h"
#include "util/compiler.h"

static const struct cli_spec router_spec = {
    "router",
    "usage: pgha router -c FILE [--log-level LEVEL]\n\n"
    "Routes client connections: the read-write port to the member that holds\n"
    "the leader key and answers /primary, the read-only port round robin to\n"
    "members answering /replica. Clients are held while no target is eligible.\n\n"
    "  -c, --config FILE     YAML: scope, namespace, etcd3.hosts and a router: section\n"
    "  -l, --log-level L     error, warn, info (default) or debug\n"
    "      --check           validate the configuration, print it, and exit\n"
    "  -h, --help            this text\n\n"
    "See docs/router.md for the router: keys and their defaults.\n",
    cli_daemon_opts,
    CLI_DAEMON_N_OPTS,
};

/* raise_fd_limit: each session needs two descriptors; take what the hard limit allows. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			log_warn("router: cannot raise the file descriptor limit: %m");
	}
}

static bool set_level(const char *level)
{
	enum log_level lv;

	if (level == NULL || level[0] == '\0')
		return true;
	if (!log_parse_level(level, &lv)) {
		fprintf(stderr, "pgha router: unknown log level \"%s\"\n", level);
		return false;
	}
	log_set_level(lv);
	return true;
}

static int run(const struct router_config *cfg)
{
	sigset_t set;
	struct router *r;
	bool ok;

	/* Blocked here, read from a signalfd by the loop; threads inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	if (!http_global_init()) {
		log_error("router: libcurl could not initialise");
		return EXIT_FAILED;
	}
	r = router_new(cfg);
	if (r == NULL) {
		http_global_cleanup();
		return EXIT_FAILED;
	}
	ok = router_run(r);
	router_free(r);
	http_global_cleanup();
	return ok ? EXIT_OK : EXIT_FAILED;
}

/* print_config: the effective configuration, one key per line (for --check). */
static void print_config(const struct router_config *c)
{
	printf("scope: %s\nnamespace: %s\netcd3.hosts:", c->scope, c->namespace_);
	for (int i = 0; i < c->n_etcd; i++)
		printf("%s%s", i == 0 ? " " : ",", c->etcd_hosts[i]);
	printf("\nrouter:\n  rw_listen: %s\n  ro_listen: %s\n  http_listen: %s\n", c->rw_listen,
	       c->ro_listen, c->http_listen);
	printf("  hold_timeout: %.3f\n  check_interval: %d\n  check_timeout: %d\n",
	       (double)c->hold_timeout_ms / 1000.0, c->check_interval_ms, c->check_timeout_ms);
	printf("  rise: %d\n  fall: %d\n  max_replica_lag: %lld\n  connect_timeout: %d\n", c->rise,
	       c->fall, (long long)c->max_replica_lag_bytes, c->connect_timeout_ms);
	printf("  target: %s\n  hold_on_switchover: %s\n  max_clients: %d\n  backlog: %d\n",
	       router_target_kind_str(c->target), c->hold_on_switchover ? "true" : "false",
	       c->max_clients, c->backlog);
	printf(
	    "  login_timeout: %.3f\n  client_idle_timeout: %.3f\n  max_clients_per_address: %d\n",
	    (double)c->login_timeout_ms / 1000.0, (double)c->idle_timeout_ms / 1000.0,
	    c->max_clients_per_address);
	printf("  tcp_keepalive: %s\n  tcp_keepidle: %d\n  tcp_keepintvl: %d\n  tcp_keepcnt: %d\n",
	       c->tcp_keepalive ? "true" : "false", c->tcp_keepidle_s, c->tcp_keepintvl_s,
	       c->tcp_keepcnt);
	printf("  etcd password: %s\n", c->etcd_password[0] != '\0' ? "set" : "none");
}

int cmd_router(int argc, char **argv)
{
	struct router_config cfg;
	struct cli_daemon_args a;
	char err[768];
	int rc = cli_parse_daemon(&router_spec, argc, argv, &a);

	if (rc >= 0)
		return rc;
	log_set_ident("router");
	if (!router_config_load(&cfg, a.config, err, sizeof(err))) {
		fprintf(stderr, "pgha router: %s\n", err);
		return EXIT_USAGE;
	}
	if (!set_level(a.level != NULL ? a.level : cfg.log_level))
		return EXIT_USAGE;
	if (a.check) {
		print_config(&cfg);
		return EXIT_OK;
	}
	return run(&cfg);
}
