/*
 * ops_ctx.h: what every command that talks to a cluster needs besides its options: the
 * cluster (a lab's cluster.json with `--dir DIR`, default ./pgha-lab, or an agent
 * configuration with `-c FILE`) as a struct client with its credentials, one-shot
 * reads that say on stderr when etcd cannot be reached, the members table, the hint
 * for a REST call answered 401 (client_rest.h makes the calls), and confirmation
 * prompts.
 *
 * Credentials: with --dir, the lab's generated secrets (REST user "pgha", superuser
 * "postgres"); with -c, restapi.authentication and the superuser of that agent
 * configuration. PGHA_REST_USER / PGHA_REST_PASSWORD override the REST ones. Missing
 * credentials are not an error until an agent answers 401.
 */
#ifndef PGHA_CLI_OPS_CTX_H
#define PGHA_CLI_OPS_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include "cli/ops_args.h"
#include "client/client.h"
#include "dcs/dcs.h"
#include "lab/lab.h"
#include "util/buf.h"
#include "util/compiler.h"

struct ops_ctx {
	const char *cmd;        /* "switchover"... for messages */
	struct client client;   /* the cluster and the credentials */
	bool is_lab;            /* --dir: lab below is loaded */
	struct lab_cluster lab; /* the lab's cluster.json */
};

/*
 * ops_ctx_open: resolves the target (-c FILE, else DIR) and loads the credentials.
 * False with err set when it cannot be resolved (no cluster.json, bad configuration,
 * no etcd3 hosts...).
 */
bool ops_ctx_open(const char *cmd, const struct cli_target_args *a, struct ops_ctx *ctx, char *err,
                  size_t errlen) MUST_CHECK;
/*
 * ops_start: the common start of a command: parses argv into a and opens ctx. Returns
 * -1 to go on, else the exit status to return (help printed on stdout, or an error and
 * the usage on stderr).
 */
int ops_start(enum ops_cmd cmd, int argc, char **argv, struct ops_args *a, struct ops_ctx *ctx);
/* What a command does once its view of the cluster is read; returns the exit status. */
typedef int ops_view_fn(const struct ops_ctx *ctx, const struct ops_args *a,
                        const struct dcs_view *v);
/*
 * ops_run: ops_start, one linearizable read of the cluster (EXIT_UNAVAIL, said on
 * stderr, when etcd cannot be reached), then fn.
 */
int ops_run(enum ops_cmd cmd, int argc, char **argv, ops_view_fn *fn);
/* ops_dcs_open: a DCS client for the cluster (with the watch thread if watch); owned. */
struct dcs *ops_dcs_open(const struct ops_ctx *ctx, bool watch);
/*
 * ops_read_view: one linearizable read of the cluster. On failure prints "pgha CMD:
 * cannot reach etcd (...)" on stderr and returns false.
 */
bool ops_read_view(const struct ops_ctx *ctx, struct dcs_view *v) MUST_CHECK;

/* The condition an ops_wait_view waits for, on each view read. */
typedef bool ops_view_cond(const struct dcs_view *v, const void *arg);
/*
 * ops_wait_view: reads the cluster every poll_ms until done(view, arg) holds (true) or
 * the deadline (CLOCK_BOOTTIME ms) passes (false). A read that fails is tried again.
 */
bool ops_wait_view(const struct ops_ctx *ctx, int64_t deadline_ms, int poll_ms, ops_view_cond *done,
                   const void *arg);

/* ops_auth_hint: prints to stderr what to do about a 401 (where credentials came from). */
void ops_auth_hint(const struct ops_ctx *ctx);

enum ops_confirm {
	OPS_CONFIRM_YES = 0,
	OPS_CONFIRM_NO,    /* the user said no */
	OPS_CONFIRM_NO_TTY /* nobody to ask: stdin is not a terminal and no --force */
};

/*
 * ops_confirm: asks question ("... [y/N]") on the terminal; with force, YES without
 * asking. Refuses to prompt when stdin is not a terminal (and says so on stderr).
 */
enum ops_confirm ops_confirm(const struct ops_ctx *ctx, const char *question, bool force);
/* ops_print_members: the members table of v on stdout. */
void ops_print_members(const struct ops_ctx *ctx, const struct dcs_view *v);
/*
 * ops_list: reads the cluster and prints the members table (or the `pgha list --json`
 * object) on stdout. Returns EXIT_OK, or EXIT_UNAVAIL with a message on stderr when
 * etcd cannot be reached.
 */
int ops_list(const struct client *c, bool json);

#endif
