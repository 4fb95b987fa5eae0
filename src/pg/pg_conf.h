/*
 * pg_conf.h: the files pgha writes for its local PostgreSQL, rendered as text.
 *
 * postgresql.conf (include of initdb's original, merged parameters, then what pgha
 * requires), pg_hba.conf, pg_ident.conf, the passfile, primary_conninfo, slot names
 * and the quoting rules of each format. Pure: no I/O, no logging; problems go to the
 * caller as messages.
 */
#ifndef PGHA_PG_PG_CONF_H
#define PGHA_PG_PG_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include "config/config.h"
#include "pg/pg.h"
#include "util/buf.h"
#include "util/compiler.h"

#define PG_CONF_BASE          "postgresql.base.conf"
#define PG_CONF_IDENT_MAP     "pgha"
#define PG_CONF_MIN_SENDERS   10
#define PG_CONF_MIN_SLOTS     10
#define PG_CONF_WAL_KEEP_SIZE "128MB" /* when unset: lets a briefly absent replica catch up */

/* Everything postgresql.conf depends on; paths are absolute. */
struct pg_conf_input {
	const struct config *cfg;           /* name, postgresql.listen/parameters/replication */
	const struct pg_params *dcs_params; /* cluster-wide parameters, may be NULL */
	const struct pg_role_conf *role;    /* primary or standby of upstream */
	const char *data_dir;
	const char *socket_dir;           /* unix_socket_directories */
	const char *pgpass;               /* passfile named in primary_conninfo */
	const struct pg_archive *archive; /* pgha's archiving; NULL or empty commands = none */
};

/*
 * pg_conf_listen: postgresql.listen "host:port" ("a,b:port", "[::1]:port") into
 * listen_addresses and port. false with a message in err if malformed.
 */
bool pg_conf_listen(const char *listen, char *host, size_t host_size, int *port, char *err,
                    size_t errlen) MUST_CHECK;
/*
 * pg_conf_render: postgresql.conf into out. Parameters pgha must control are taken
 * from the role and config, user values for them are dropped (each drop that changes
 * a value is described on its own line in warnings). Invalid parameter names are
 * dropped likewise. false (err filled) only if the listen address is unusable.
 */
bool pg_conf_render(const struct pg_conf_input *in, struct buf *out, struct buf *warnings,
                    char *err, size_t errlen) MUST_CHECK;
/*
 * pg_auto_conf_clean: postgresql.auto.conf (ALTER SYSTEM's file, read after
 * postgresql.conf, so its settings win) without the settings pgha owns for in (a
 * restore_command, primary_conninfo or port that pgBackRest's restore, pg_basebackup
 * or pg_rewind brought along from another node) and without any recovery target
 * (a restored node that kept one would stop there again as a standby and promote
 * itself). Comments and other settings stay. Each removed line goes to removed, one a
 * line; true when something was removed.
 */
bool pg_auto_conf_clean(const struct pg_conf_input *in, const char *text, struct buf *out,
                        struct buf *removed);
/* pg_conf_quote: a postgresql.conf string literal: 'it''s', backslashes doubled. */
void pg_conf_quote(struct buf *out, const char *value);
/*
 * pg_primary_conninfo: the walreceiver's conninfo for role's upstream: replication
 * user, passfile, application_name = member name, short connect timeout, keepalives.
 */
void pg_primary_conninfo(const struct config *cfg, const struct pg_role_conf *role,
                         const char *pgpass, struct buf *out);
/*
 * pg_hba_render: postgresql.pg_hba if set, else bootstrap.pg_hba, else pgha's default:
 * the agent's OS user may connect over the unix socket as the superuser (peer
 * authentication through the pgha map of pg_ident.conf), everything else, local or
 * TCP, needs a password (scram-sha-256); replication only for the replication user.
 */
void pg_hba_render(const struct config *cfg, struct buf *out);
/* pg_ident_render: pg_ident.conf mapping os_user to the superuser in map "pgha". */
void pg_ident_render(const struct config *cfg, const char *os_user, struct buf *out);
/*
 * pg_passfile_render: "*:*:*:user:password" for the superuser, replication and rewind
 * users that have a password, with ':' and '\' escaped.
 */
void pg_passfile_render(const struct config *cfg, struct buf *out);
/* pg_hba_quote: a pg_hba.conf/pg_ident.conf token in double quotes ("" for "). */
void pg_hba_quote(struct buf *out, const char *token);
/* pg_param_name_valid: a GUC name: [A-Za-z_][A-Za-z0-9_.$]*, at most 63 bytes. */
bool pg_param_name_valid(const char *name);
/* pg_slot_name_valid: a replication slot name: [a-z0-9_]{1,63}. */
bool pg_slot_name_valid(const char *name);
/*
 * pg_conninfo_ssl: u's TLS settings (postgresql.authentication.<user>.sslmode,
 * sslrootcert, sslcert, sslkey, sslpassword, sslcrl) appended to a conninfo string; the
 * sslmode is libpq's default, prefer, when unset. With verify-full the other node's
 * certificate must chain to sslrootcert and name the host connected to.
 */
void pg_conninfo_ssl(struct buf *out, const struct pg_user *u);
/* pg_replication_user / pg_rewind_user: the configured user, or the superuser if unset. */
const struct pg_user *pg_replication_user(const struct config *cfg);
const struct pg_user *pg_rewind_user(const struct config *cfg);

#endif
