/*
 * agent_reload.c: SIGHUP and POST /reload: re-read the node's YAML and apply what can
 * change while the agent runs.
 *
 * Applied at once: tags, the log level, postgresql.parameters (PostgreSQL reloads;
 * parameters that need a restart show as pending_restart), create_replica_methods and
 * PgBouncer's pool settings. Identity and addresses (scope, name, namespace, etcd hosts, listen and
 * connect addresses, data and bin directories, users) are what the other threads and
 * the cluster know the node by: a change there is reported and waits for an agent
 * restart. A file that no longer parses changes nothing.
 */
#include <string.h>
#include "ha/agent_int.h"
#include "log/log.h"
#include "pg/pg.h"
#include "util/strutil.h"

/* The fields whose change needs a restart, with a name for the message. */
static void report_restart_needed(const struct config *run, const struct config *f)
{
	const struct {
		const char *key;
		const char *now, *then;
	} keys[] = {
	    {"scope", run->scope, f->scope},
	    {"name", run->name, f->name},
	    {"namespace", run->namespace_, f->namespace_},
	    {"restapi.listen", run->restapi.listen, f->restapi.listen},
	    {"restapi.connect_address", run->restapi.connect_address, f->restapi.connect_address},
	    {"postgresql.listen", run->postgresql.listen, f->postgresql.listen},
	    {"postgresql.connect_address", run->postgresql.connect_address,
	     f->postgresql.connect_address},
	    {"postgresql.data_dir", run->postgresql.data_dir, f->postgresql.data_dir},
	    {"postgresql.bin_dir", run->postgresql.bin_dir, f->postgresql.bin_dir},
	    {"pgbouncer.listen", run->pgbouncer.listen, f->pgbouncer.listen},
	    {"restapi.certfile", run->restapi.certfile, f->restapi.certfile},
	    {"restapi.keyfile", run->restapi.keyfile, f->restapi.keyfile},
	    {"restapi.cafile", run->restapi.cafile, f->restapi.cafile},
	    {"ctl.cacert", run->ctl.tls.cafile, f->ctl.tls.cafile},
	    {"etcd3.protocol", run->etcd.protocol, f->etcd.protocol},
	    {"etcd3.cacert", run->etcd.tls.cafile, f->etcd.tls.cafile},
	    {"etcd3.username", run->etcd.username, f->etcd.username},
	};
	bool etcd_same = run->etcd.n_hosts == f->etcd.n_hosts;
	bool pgbackrest_same = run->pgbackrest.enabled == f->pgbackrest.enabled &&
	                       str_eq(run->pgbackrest.stanza, f->pgbackrest.stanza) &&
	                       str_eq(run->pgbackrest.bin, f->pgbackrest.bin) &&
	                       str_eq(run->pgbackrest.path, f->pgbackrest.path) &&
	                       pg_params_equal(&run->pgbackrest.options, &f->pgbackrest.options);

	for (int i = 0; etcd_same && i < run->etcd.n_hosts; i++)
		etcd_same = str_eq(run->etcd.hosts[i], f->etcd.hosts[i]);
	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		if (!str_eq(keys[i].now, keys[i].then))
			log_warn("reload: %s changed; it takes effect when the agent restarts",
			         keys[i].key);
	if (!etcd_same)
		log_warn("reload: etcd3.hosts changed; it takes effect when the agent restarts");
	if (!pgbackrest_same) /* archive_mode needs PostgreSQL's restart anyway */
		log_warn("reload: pgbackrest changed; it takes effect when the agent restarts");
}

#define SWAP_INT(x, y)           \
	do {                     \
		int swap_ = (x); \
		(x) = (y);       \
		(y) = swap_;     \
	} while (0)

/* swap_live: moves the reloadable parts of fresh into the running config. */
static void swap_live(struct config *run, struct config *fresh)
{
	struct tags t = run->tags;
	struct pg_params p = run->postgresql.parameters;
	enum log_level level;

	run->tags = fresh->tags;
	fresh->tags = t; /* freed with fresh */
	run->postgresql.parameters = fresh->postgresql.parameters;
	fresh->postgresql.parameters = p;
	/* Replica methods are read when a replica is made: swapped whole. */
	for (int i = 0; i < CONFIG_MAX_METHODS; i++) {
		struct replica_method m = run->postgresql.create_replica_methods[i];

		run->postgresql.create_replica_methods[i] =
		    fresh->postgresql.create_replica_methods[i];
		fresh->postgresql.create_replica_methods[i] = m;
	}
	SWAP_INT(run->postgresql.n_create_replica_methods,
	         fresh->postgresql.n_create_replica_methods);
	run->pgbouncer.pool_size = fresh->pgbouncer.pool_size;
	run->pgbouncer.max_client_conn = fresh->pgbouncer.max_client_conn;
	memcpy(run->pgbouncer.pool_mode, fresh->pgbouncer.pool_mode,
	       sizeof(run->pgbouncer.pool_mode));
	memcpy(run->log_level, fresh->log_level, sizeof(run->log_level));
	if (log_parse_level(run->log_level, &level))
		log_set_level(level);
}

void agent_reload(struct agent *a)
{
	struct config fresh;
	struct config_msgs errors = {.n = 0}, warnings = {.n = 0};

	atomic_store(&a->req.reload, false);
	if (!config_load(a->cfg.path, &fresh, &errors, &warnings)) {
		for (int i = 0; i < errors.n; i++)
			log_error("reload: %s", errors.items[i]);
		log_error("reload: %s rejected; the running configuration stays", a->cfg.path);
		return;
	}
	for (int i = 0; i < warnings.n; i++)
		log_warn("reload: %s", warnings.items[i]);
	report_restart_needed(&a->cfg, &fresh);
	swap_live(&a->cfg, &fresh);
	config_free(&fresh);
	/* PostgreSQL re-reads its (re-rendered) configuration; PgBouncer's is rewritten by
	 * the next pooler_ensure, which reloads it when it changed. */
	if (!pg_reload(a->pg))
		log_warn("reload: PostgreSQL did not reload its configuration");
	log_info("reload: %s applied", a->cfg.path);
}
