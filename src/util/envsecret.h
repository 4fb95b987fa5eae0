/*
 * envsecret.h: pgha's secrets in the environment, kept from every other process.
 *
 * The agent reads passwords from Patroni's variables (PATRONI_SUPERUSER_PASSWORD, ...),
 * the tools from PGHA_REST_PASSWORD, the router from PATRONI_ETCD3_PASSWORD. Children
 * inherit the environment, and the agent's own /proc/<pid>/environ is readable by every
 * process of its OS user, PostgreSQL's backends included (pg_read_file() with
 * pg_read_server_files). So, as Patroni does for PostgreSQL:
 *
 * - envsecret_take() moves pgha's own variables (PATRONI_*, PGHA_*) and libpq's
 *   PGPASSWORD (which would win over the passfiles pgha's connections name) out of the
 *   process environment once, at start, before any thread: a private copy is kept and
 *   the original text is zeroed (also in the initial block /proc/<pid>/environ shows);
 * - envsecret_get() is how pgha reads them afterwards (the environment when not taken);
 * - util/proc.c gives no child an entry envsecret_withheld() names: those above, and
 *   systemd's CREDENTIALS_DIRECTORY; pgha passes passwords to its children in 0600
 *   files (passfile, initdb --pwfile, PgBouncer's auth_file).
 */
#ifndef PGHA_UTIL_ENVSECRET_H
#define PGHA_UTIL_ENVSECRET_H

#include <stdbool.h>

/* envsecret_is_own: "NAME=value" (or NAME) is taken (PATRONI_*, PGHA_*, PGPASSWORD). */
bool envsecret_is_own(const char *entry);
/* envsecret_withheld: no child may inherit entry ("NAME=value" or NAME). */
bool envsecret_withheld(const char *entry);
/* envsecret_take: moves pgha's variables out of the environment. Not thread-safe: call first. */
void envsecret_take(void);
/* envsecret_get: the value of name as it was when taken, else getenv(name). Borrowed. */
const char *envsecret_get(const char *name);

#endif
