/*
 * ops_ctx.h: what every operations command needs besides its options: the cluster
 * (cli_common.h resolves --dir / -c), the credentials for the agents' REST API and for
 * PostgreSQL sessions, REST calls to a member, and confirmation prompts.
 *
 * Credentials: with --dir, the lab's generated secrets (DIR/secrets: REST user "pgha",
 * superuser "postgres"); with -c, restapi.authentication and the superuser of that
 * agent configuration. PGHA_REST_USER / PGHA_REST_PASSWORD override the REST ones.
 * Missing credentials are not an error until an agent answers 401.
 */
#ifndef PGHA_CLI_OPS_CTX_H
#define PGHA_CLI_OPS_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include "cli/cli_common.h"
#include "cli/ops_args.h"
#include "dcs/dcs.h"
#include "lab/lab_cluster.h"
#include "util/buf.h"
#include "util/compiler.h"

#define OPS_SECRET_LEN 256

struct ops_creds {
	char rest_user[CLI_NAME_LEN];
	char rest_password[OPS_SECRET_LEN];
	char pg_user[CLI_NAME_LEN];
	char pg_password[OPS_SECRET_LEN];
	char note[256]; /* where they came from, or why they are missing */
};

struct ops_ctx {
	const char *cmd; /* "switchover"... for messages */
	struct cli_target target;
	struct ops_creds creds;
	bool is_lab;            /* --dir: lab below is loaded */
	struct lab_cluster lab; /* the lab's cluster.json */
};

/*
 * ops_ctx_open: resolves the target and loads the credentials. False with err set
 * when the target cannot be resolved (no cluster.json, bad configuration...).
 */
bool ops_ctx_open(const char *cmd, const struct cli_target_args *a, struct ops_ctx *ctx, char *err,
                  size_t errlen) MUST_CHECK;
/*
 * ops_start: the common start of a command: parses argv into a and opens ctx. Returns
 * -1 to go on, else the exit status to return (help printed on stdout, or an error and
 * the usage on stderr).
 */
int ops_start(enum ops_cmd cmd, int argc, char **argv, struct ops_args *a, struct ops_ctx *ctx);
/* ops_dcs_open: a DCS client for the cluster (with the watch thread if watch); owned. */
struct dcs *ops_dcs_open(const struct ops_ctx *ctx, bool watch);
/*
 * ops_read_view: one linearizable read of the cluster. On failure prints "pgha CMD:
 * cannot reach etcd (...)" on stderr and returns false.
 */
bool ops_read_view(const struct ops_ctx *ctx, struct dcs_view *v) MUST_CHECK;

/*
 * ops_api_url: the URL of endpoint ("switchover", "patroni"...) on the agent whose
 * members/<name> api_url is api_url ("http://host:port/patroni"): scheme and host:port
 * kept, path replaced, as patronictl does. False if api_url is not http(s)://host...
 */
bool ops_api_url(const char *api_url, const char *endpoint, char *out, size_t size) MUST_CHECK;

/*
 * ops_rest: method on endpoint of member m with a JSON body (or NULL), with the REST
 * credentials. Returns the HTTP status, or when the agent did not answer (err says why)
 * 0, or OPS_HTTP_UNSENT (ops_http.h) if the request cannot have reached it. A 401 adds
 * a hint about credentials to err... the caller prints err.
 */
long ops_rest(const struct ops_ctx *ctx, const struct dcs_member *m, const char *method,
              const char *endpoint, const char *body, int timeout_ms, struct buf *reply, char *err,
              size_t errlen);
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

#endif
