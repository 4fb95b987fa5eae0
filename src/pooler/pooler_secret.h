/*
 * pooler_secret.h: the superuser's SCRAM verifier for PgBouncer's auth file.
 *
 * libpq computes it (PQencryptPasswordConn, the same code psql's \password uses), so
 * nothing of SCRAM is written here. Library-like: no logging, messages in err.
 */
#ifndef PGHA_POOLER_POOLER_SECRET_H
#define PGHA_POOLER_POOLER_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include "util/compiler.h"

#define POOLER_VERIFIER_LEN 256 /* "SCRAM-SHA-256$4096:<salt>$<stored>:<server>" is ~133 */

/*
 * pooler_scram_verifier: a fresh SCRAM-SHA-256 verifier (random salt) of password for
 * user into out. An empty password gets the verifier of a random 32-byte password that
 * is thrown away: nobody can log in with it, which is what "no password" must mean.
 */
bool pooler_scram_verifier(const char *user, const char *password, char *out, size_t size,
                           char *err, size_t errlen) MUST_CHECK;

#endif
