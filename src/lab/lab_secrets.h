/*
 * lab_secrets.h: the generated passwords of a local cluster, in DIR/secrets/.
 *
 * One file per secret (superuser, replication, rewind, restapi, etcd, etcd-root), mode
 * 0600 in a 0700 directory, holding the password and a newline. Passwords are 32 characters of
 * [A-Za-z0-9] drawn from /dev/urandom: no character needs quoting in YAML, pgpass,
 * libpq service files or URLs. The user names are fixed (Patroni's usual ones).
 *
 * Does not chown (lab_up chowns the whole directory) and does not log: errors go to err.
 */
#ifndef PGHA_LAB_LAB_SECRETS_H
#define PGHA_LAB_LAB_SECRETS_H

#include <stdbool.h>
#include <stddef.h>
#include "util/compiler.h"

#define LAB_SECRET_LEN   33 /* 32 characters + NUL */
#define LAB_SUPERUSER    "postgres"
#define LAB_REPLICATION  "replicator"
#define LAB_REWIND_USER  "rewind_user"
#define LAB_RESTAPI_USER "pgha"
#define LAB_ETCD_USER    "pgha" /* etcd's user of the agents, router and tools */
#define LAB_ETCD_ROOT    "root" /* etcd's administrator: enables authentication */

struct lab_secrets {
	char superuser[LAB_SECRET_LEN];
	char replication[LAB_SECRET_LEN];
	char rewind[LAB_SECRET_LEN];
	char restapi[LAB_SECRET_LEN];
	char etcd[LAB_SECRET_LEN];      /* "" in a lab made before etcd had users */
	char etcd_root[LAB_SECRET_LEN]; /* idem */
};

/* lab_password_from_bytes: maps random bytes to a password (pure; rejection sampling). */
bool lab_password_from_bytes(const unsigned char *bytes, size_t n, char *out, size_t size);
/* lab_secrets_generate: fresh random passwords (reads /dev/urandom). */
bool lab_secrets_generate(struct lab_secrets *s, char *err, size_t errlen) MUST_CHECK;
/* lab_secrets_save: creates secrets_dir (0700) and writes one 0600 file per secret. */
bool lab_secrets_save(const struct lab_secrets *s, const char *secrets_dir, char *err,
                      size_t errlen) MUST_CHECK;
/* lab_secrets_load: reads them back; a missing, empty or malformed file is an error. */
bool lab_secrets_load(struct lab_secrets *s, const char *secrets_dir, char *err,
                      size_t errlen) MUST_CHECK;

#endif
