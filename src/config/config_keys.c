/*
 * config_keys.c: the table of every key of the agent's configuration file that pgha
 * reads or knows to ignore (Patroni's names), with its type, its field in struct
 * config, its range and its default. The engine (config_engine.c) walks a file through
 * it; keys that need more than a type point to handlers in config_sections.c; checks
 * across keys, derived defaults and environment overrides are config.c's.
 *
 * Keys Patroni has and pgha does not use have rows too, so that they get a "not
 * supported" warning instead of "unknown". The cluster-wide keys under bootstrap.dcs
 * are dyn_config.c's table, the same that reads etcd's copy.
 */
#include <stddef.h>
#include "config/config.h"
#include "config/config_engine.h"
#include "config/config_int.h"

/* One row per line reads best. */
/* clang-format off */
#define T struct config
#define SECTION(p)               CFG_SECTION_ROW(p, 0)
#define STR(p, f)                CFG_STR_ROW(T, p, f, NULL, NULL)
#define STR_DEF(p, f, d, text)   CFG_STR_ROW(T, p, f, d, text)
#define LISTEN(p, f)             CFG_STR_ROW(T, p, f, NULL, cfg_text_listen)
#define ADDRESS(p, f)            CFG_STR_ROW(T, p, f, NULL, cfg_text_address)
#define INT(p, f, lo, hi, d)     CFG_INT_ROW(T, p, f, lo, hi, d)
#define BOOL(p, f, d)            CFG_BOOL_ROW(T, p, f, d, 0)
#define STRV(p, f)               CFG_STRV_ROW(T, p, f)
#define PARAMS(p, f)             CFG_PARAMS_ROW(T, p, f)
#define FN(p, fn)                CFG_FN_ROW(p, fn)
#define IGNORED(p, why)          CFG_IGNORED_ROW(p, why)
#define REFUSED(p, why)          CFG_REFUSED_ROW(p, why)
#define PG_AUTH(u, k) "postgresql.authentication." #u "." #k
#define USER(u) \
	SECTION("postgresql.authentication." #u), \
	STR(PG_AUTH(u, username), postgresql.u.username), \
	STR(PG_AUTH(u, password), postgresql.u.password), \
	CFG_CHOICE_ROW(T, PG_AUTH(u, sslmode), postgresql.u.sslmode, sslmodes, NULL), \
	STR(PG_AUTH(u, sslrootcert), postgresql.u.sslrootcert), \
	STR(PG_AUTH(u, sslcert), postgresql.u.sslcert), \
	STR(PG_AUTH(u, sslkey), postgresql.u.sslkey), \
	STR(PG_AUTH(u, sslpassword), postgresql.u.sslpassword), \
	STR(PG_AUTH(u, sslcrl), postgresql.u.sslcrl)
#define POOLER_TLS(side) \
	CFG_CHOICE_ROW(T, "pgbouncer." #side "_sslmode", pgbouncer.side.sslmode, sslmodes, \
	               "disable"), \
	STR("pgbouncer." #side "_cert_file", pgbouncer.side.cert_file), \
	STR("pgbouncer." #side "_key_file", pgbouncer.side.key_file), \
	STR("pgbouncer." #side "_ca_file", pgbouncer.side.ca_file), \
	CFG_CHOICE_ROW(T, "pgbouncer." #side "_protocols", pgbouncer.side.protocols, \
	               tls_protocols, "secure")
/* clang-format on */

static const char *const pool_modes[] = {"session", "transaction", NULL};
/* libpq's sslmode values, which PgBouncer's *_tls_sslmode share. */
static const char *const sslmodes[] = {"disable",   "allow",       "prefer", "require",
                                       "verify-ca", "verify-full", NULL};
static const char *const verify_modes[] = {"none", "optional", "required", NULL};
/* PgBouncer's names: "secure" is TLS 1.2 and 1.3; older protocols are not offered. */
static const char *const tls_protocols[] = {"secure", "tlsv1.2", "tlsv1.3", NULL};

const struct cfg_key config_keys[] = {
    STR("scope", scope),
    STR_DEF("namespace", namespace_, "service", cfg_text_namespace),
    STR("name", name),

    SECTION("log"),
    STR_DEF("log.level", log_level, "info", cfg_text_log_level),
    IGNORED("log.*", "pgha logs to stderr"),

    SECTION("restapi"),
    LISTEN("restapi.listen", restapi.listen),
    ADDRESS("restapi.connect_address", restapi.connect_address),
    SECTION("restapi.authentication"),
    STR("restapi.authentication.username", restapi.username),
    STR("restapi.authentication.password", restapi.password),
    STR("restapi.certfile", restapi.certfile),
    STR("restapi.keyfile", restapi.keyfile),
    STR("restapi.keyfile_password", restapi.keyfile_password),
    STR("restapi.cafile", restapi.cafile),
    CFG_ENUM_ROW(T, "restapi.verify_client", restapi.verify_client, verify_modes, "none"),
    STRV("restapi.allowlist", restapi.allowlist),
    BOOL("restapi.allowlist_include_members", restapi.allowlist_include_members, NULL),
    IGNORED("restapi.ciphers", "TLS 1.2 and 1.3 with GnuTLS's default ciphers"),
    IGNORED("restapi.http_extra_headers", NULL),
    IGNORED("restapi.https_extra_headers", NULL),
    IGNORED("restapi.request_queue_size", NULL),
    IGNORED("restapi.server_tokens", NULL),

    FN("etcd3", cfg_read_etcd3),
    FN("etcd", cfg_read_etcd_alias),
    CFG_HOSTS_ROW(T, "etcd3.hosts", etcd.hosts, etcd.n_hosts, cfg_text_etcd_endpoint),
    FN("etcd3.host", cfg_read_etcd_host),
    FN("etcd3.url", cfg_read_etcd_host),
    STR_DEF("etcd3.protocol", etcd.protocol, "http", cfg_text_etcd_protocol),
    STR("etcd3.username", etcd.username),
    STR("etcd3.password", etcd.password),
    STR("etcd3.cacert", etcd.tls.cafile),
    STR("etcd3.cert", etcd.tls.certfile),
    STR("etcd3.key", etcd.tls.keyfile),
    IGNORED("etcd3.use_proxies", NULL),
    IGNORED("etcd3.proxy", NULL),
    IGNORED("etcd3.srv", "list the endpoints in hosts"),
    IGNORED("etcd3.srv_suffix", "list the endpoints in hosts"),
    IGNORED("etcd3.retry_timeout", "bootstrap.dcs.retry_timeout applies"),

    SECTION("bootstrap"),
    CFG_FN_TABLE_ROW(T, "bootstrap.dcs", bootstrap.dcs, cfg_read_dcs, dyn_config_keys),
    FN("bootstrap.initdb", cfg_read_initdb),
    STRV("bootstrap.pg_hba", bootstrap.pg_hba),
    FN("bootstrap.method", cfg_read_bootstrap_method),
    IGNORED("bootstrap.users", "create roles with SQL once the cluster is up"),
    IGNORED("bootstrap.post_bootstrap", NULL),
    IGNORED("bootstrap.post_init", NULL),
    FN("bootstrap.*", cfg_read_method_section), /* last: the method's section, or unknown */

    SECTION("postgresql"),
    LISTEN("postgresql.listen", postgresql.listen),
    ADDRESS("postgresql.connect_address", postgresql.connect_address),
    STR("postgresql.data_dir", postgresql.data_dir),
    STR("postgresql.bin_dir", postgresql.bin_dir),
    STR("postgresql.pgpass", postgresql.pgpass),
    SECTION("postgresql.authentication"),
    USER(superuser),
    USER(replication),
    USER(rewind),
    IGNORED("postgresql.authentication.*.sslcrldir", "sslcrl is read"),
    IGNORED("postgresql.authentication.*.gssencmode", NULL),
    IGNORED("postgresql.authentication.*.channel_binding", NULL),
    PARAMS("postgresql.parameters", postgresql.parameters),
    STRV("postgresql.pg_hba", postgresql.pg_hba),
    /* Both also in the dcs (see config_use_pg_rewind): the local value wins when set. */
    BOOL("postgresql.use_pg_rewind", postgresql.use_pg_rewind, "true"),
    BOOL("postgresql.remove_data_directory_on_rewind_failure",
         postgresql.remove_data_directory_on_rewind_failure, NULL),
    IGNORED("postgresql.remove_data_directory_on_diverged_timelines", "a diverged node is rewound"),
    IGNORED("postgresql.proxy_address", NULL),
    IGNORED("postgresql.config_dir", "the agent owns postgresql.conf in data_dir"),
    IGNORED("postgresql.custom_conf", "the agent owns postgresql.conf in data_dir"),
    IGNORED("postgresql.bin_name", NULL),
    IGNORED("postgresql.callbacks", NULL),
    FN("postgresql.create_replica_methods", cfg_read_replica_methods),
    IGNORED("postgresql.replica_method", "list it in create_replica_methods"),
    IGNORED("postgresql.recovery_conf", NULL),
    IGNORED("postgresql.pg_ident", NULL),
    IGNORED("postgresql.pg_ctl_timeout", NULL),
    IGNORED("postgresql.pre_promote", NULL),
    IGNORED("postgresql.before_stop", NULL),
    IGNORED("postgresql.rewind", NULL),
    IGNORED("postgresql.use_unix_socket", NULL),
    IGNORED("postgresql.use_unix_socket_repl", NULL),
    FN("postgresql.*", cfg_read_method_section), /* last: a method's section, or unknown */

    CFG_FN_TABLE_ROW(T, "pgbackrest", pgbackrest, cfg_read_pgbackrest, config_pgbackrest_keys),

    CFG_FN_TABLE_ROW(T, "tags", tags, cfg_read_tags, config_tag_keys),

    SECTION("pgbouncer"),
    BOOL("pgbouncer.enabled", pgbouncer.enabled, NULL),
    LISTEN("pgbouncer.listen", pgbouncer.listen),
    STR_DEF("pgbouncer.bin", pgbouncer.bin, "/usr/sbin/pgbouncer", NULL),
    INT("pgbouncer.pool_size", pgbouncer.pool_size, 1, 10000, "20"),
    INT("pgbouncer.max_client_conn", pgbouncer.max_client_conn, 1, 1000000, "1000"),
    CFG_CHOICE_ROW(T, "pgbouncer.pool_mode", pgbouncer.pool_mode, pool_modes, "session"),
    POOLER_TLS(client_tls),
    POOLER_TLS(server_tls),

    /* How this node and the tools reach other nodes' REST APIs (config.c: fallbacks). */
    SECTION("ctl"),
    BOOL("ctl.insecure", ctl.tls.insecure, NULL),
    STR("ctl.cacert", ctl.tls.cafile),
    STR("ctl.certfile", ctl.tls.certfile),
    STR("ctl.keyfile", ctl.tls.keyfile),
    STR("ctl.keyfile_password", ctl.tls.key_password),
    SECTION("ctl.authentication"),
    STR("ctl.authentication.username", ctl.username),
    STR("ctl.authentication.password", ctl.password),
    IGNORED("watchdog", "PostgreSQL runs as the agent's child and dies with it"),
    IGNORED("citus", NULL),
    IGNORED("consul", "pgha uses etcd"),
    IGNORED("zookeeper", "pgha uses etcd"),
    IGNORED("exhibitor", "pgha uses etcd"),
    IGNORED("kubernetes", "pgha uses etcd"),
    IGNORED("raft", "pgha uses etcd"),
    CFG_END_ROW,
};

#undef T
#define T struct pgbackrest_conf

/* pgbackrest: pgha's own section (Patroni has none): see docs/backup.md. */
const struct cfg_key config_pgbackrest_keys[] = {
    BOOL("enabled", enabled, NULL),
    STR("stanza", stanza),
    STR_DEF("bin", bin, "/usr/bin/pgbackrest", NULL),
    STR("path", path),
    FN("options", cfg_read_pgbackrest_options),
    CFG_END_ROW,
};

#undef T
#define T struct tags

/* tags: the ones pgha acts on; any other is the user's, published as written. */
const struct cfg_key config_tag_keys[] = {
    BOOL("nofailover", nofailover, NULL),
    BOOL("noloadbalance", noloadbalance, NULL),
    BOOL("nosync", nosync, NULL),
    BOOL("clonefrom", clonefrom, NULL),
    /* Patroni's default; 0 means never (and then nofailover is true too) */
    INT("failover_priority", failover_priority, 0, 1000000, "1"),
    IGNORED("replicatefrom", "published, but pgha does not cascade"),
    IGNORED("nostream", "published, but pgha does not cascade"),
    IGNORED("sync_priority", "published, but not used to pick the sync standby"),
    CFG_KEEP_ROW("*"),
    CFG_END_ROW,
};
