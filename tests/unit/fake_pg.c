/*
 * fake_pg.c: a recorded PostgreSQL node (see fake_pg.h).
 */
#include "fake_pg.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

struct pg_node {
	int unused;
};

static struct pg_node node;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char calls[8192];
static char failing[512]; /* ",op,op," */
static struct pg_observation observed;
static atomic_int fences;

void fake_pg_reset(const struct pg_observation *obs)
{
	pthread_mutex_lock(&mu);
	calls[0] = '\0';
	failing[0] = '\0';
	memset(&observed, 0, sizeof(observed));
	if (obs != NULL)
		observed = *obs;
	atomic_store(&fences, 0);
	pthread_mutex_unlock(&mu);
}

void fake_pg_fail(const char *op)
{
	pthread_mutex_lock(&mu);
	snprintf(failing + strlen(failing), sizeof(failing) - strlen(failing), ",%s,", op);
	pthread_mutex_unlock(&mu);
}

const char *fake_pg_calls(void)
{
	return calls;
}

int fake_pg_fences(void)
{
	return atomic_load(&fences);
}

/* record: appends op[:arg]; returns whether op succeeds. */
static bool record(const char *op, const char *arg)
{
	char key[64];
	bool ok;

	pthread_mutex_lock(&mu);
	snprintf(calls + strlen(calls), sizeof(calls) - strlen(calls), "%s%s%s%s",
	         calls[0] ? "," : "", op, arg && arg[0] ? ":" : "", arg ? arg : "");
	snprintf(key, sizeof(key), ",%s,", op);
	ok = strstr(failing, key) == NULL;
	pthread_mutex_unlock(&mu);
	return ok;
}

struct pg_node *pg_node_new(const struct pg_node_options *opt)
{
	(void)opt;
	return &node;
}

void pg_node_free(struct pg_node *n)
{
	(void)n;
}

bool pg_node_set_params(struct pg_node *n, const struct pg_params *dcs_params)
{
	(void)n;
	(void)dcs_params;
	return true; /* not recorded: the loop calls it on every config change */
}

bool pg_reload(struct pg_node *n)
{
	(void)n;
	return record("reload", NULL);
}

void pg_observe(struct pg_node *n, struct pg_observation *o, int timeout_ms)
{
	(void)n;
	(void)timeout_ms;
	pthread_mutex_lock(&mu);
	*o = observed;
	pthread_mutex_unlock(&mu);
}

enum pg_proc_state pg_proc_state(struct pg_node *n)
{
	enum pg_proc_state s;

	(void)n;
	pthread_mutex_lock(&mu);
	s = observed.proc;
	pthread_mutex_unlock(&mu);
	return s;
}

int pg_postmaster_fd(struct pg_node *n)
{
	(void)n;
	return -1;
}

pid_t pg_postmaster_pid(const struct pg_node *n)
{
	(void)n;
	return 0;
}

bool pg_data_system_id(struct pg_node *n, char *out, size_t size)
{
	(void)n;
	pthread_mutex_lock(&mu);
	snprintf(out, size, "%s", observed.system_id);
	pthread_mutex_unlock(&mu);
	return out[0] != '\0';
}

bool pg_initdb(struct pg_node *n)
{
	(void)n;
	return record("initdb", NULL);
}

bool pg_bootstrap_roles(struct pg_node *n, int timeout_ms)
{
	(void)n;
	(void)timeout_ms;
	return record("bootstrap_roles", NULL);
}

bool pg_basebackup(struct pg_node *n, const char *host, int port, const char *const *extra,
                   int timeout_ms)
{
	(void)n;
	(void)port;
	(void)extra;
	(void)timeout_ms;
	return record("basebackup", host);
}

enum pg_rewind_result pg_rewind(struct pg_node *n, const char *host, int port, int timeout_ms)
{
	(void)n;
	(void)port;
	(void)timeout_ms;
	return record("rewind", host) ? PG_REWIND_DONE : PG_REWIND_FAILED;
}

bool pg_move_data_aside(struct pg_node *n, const char *suffix, char *moved_to, size_t size)
{
	(void)n;
	if (moved_to != NULL && size > 0)
		snprintf(moved_to, size, "/fake/data.%s", suffix);
	return record("move_aside", suffix);
}

bool pg_start(struct pg_node *n, const struct pg_role_conf *role)
{
	char arg[300];

	(void)n;
	snprintf(arg, sizeof(arg), "%s%s%s", role->standby ? "replica" : "primary",
	         role->upstream_host[0] ? ":" : "", role->upstream_host);
	return record("start", arg);
}

bool pg_wait_ready(struct pg_node *n, int timeout_ms)
{
	(void)n;
	(void)timeout_ms;
	return true; /* not recorded: it follows every start */
}

bool pg_stop(struct pg_node *n, enum pg_stop_mode mode, int timeout_ms)
{
	static const char *const modes[] = {"smart", "fast", "immediate", "kill"};

	(void)n;
	(void)timeout_ms;
	return record("stop", modes[mode]);
}

void pg_fence_now(struct pg_node *n)
{
	(void)n;
	atomic_fetch_add(&fences, 1);
	(void)record("fence", NULL);
}

bool pg_promote(struct pg_node *n, int timeout_ms)
{
	(void)n;
	(void)timeout_ms;
	return record("promote", NULL);
}

bool pg_reconfigure(struct pg_node *n, const struct pg_role_conf *role)
{
	(void)n;
	return record("reconfigure",
	              role->standby ? role->upstream_host : role->synchronous_standby_names);
}

bool pg_checkpoint(struct pg_node *n, int timeout_ms)
{
	(void)n;
	(void)timeout_ms;
	return record("checkpoint", NULL);
}

bool pg_sync_slots(struct pg_node *n, const struct slot_spec *wanted, int n_wanted,
                   const struct slot_match *ignore, int n_ignore)
{
	(void)n;
	(void)wanted;
	(void)n_wanted;
	(void)ignore;
	(void)n_ignore;
	return record("sync_slots", NULL);
}

bool pg_exec(struct pg_node *n, const char *sql, int timeout_ms)
{
	(void)n;
	(void)timeout_ms;
	return record("exec", sql);
}

const char *pg_node_socket_dir(const struct pg_node *n)
{
	(void)n;
	return "/fake/data.sock";
}

bool pg_node_set_archive(struct pg_node *n, const struct pg_archive *archive)
{
	(void)n;
	(void)archive;
	return record("set_archive", NULL);
}

bool pg_archive_flush(struct pg_node *n, int timeout_ms)
{
	(void)n;
	(void)timeout_ms;
	return record("archive_flush", NULL);
}

bool pg_data_adopt(struct pg_node *n, bool keep_auto_conf)
{
	(void)n;
	return record("adopt", keep_auto_conf ? "keep" : NULL);
}
