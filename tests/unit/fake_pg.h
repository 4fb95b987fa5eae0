/*
 * fake_pg.h: the PostgreSQL node of the agent's unit tests, linked in place of pg/'s
 * process code (pg.h): it records, in order, what the agent asked of PostgreSQL and
 * answers as the test scripted, so that a plan's steps can be checked one by one
 * ("the promotion was never attempted after the key was lost").
 *
 * One node per test binary. Calls are recorded as "op" or "op:arg" ("stop:fast",
 * "start:replica:10.0.0.2", "promote", "fence"), separated by commas. Thread-safe:
 * the fencer calls pg_fence_now from its own thread.
 */
#ifndef PGHA_TESTS_FAKE_PG_H
#define PGHA_TESTS_FAKE_PG_H

#include <stdbool.h>
#include "pg/pg.h"

/* fake_pg_reset: forgets the calls; every operation succeeds; PostgreSQL as obs says. */
void fake_pg_reset(const struct pg_observation *obs);
/* fake_pg_fail: the operation named op ("promote", "start"...) fails from now on. */
void fake_pg_fail(const char *op);
/* fake_pg_calls: the calls so far, "a,b:c,...". Borrowed until the next call. */
const char *fake_pg_calls(void);
/* fake_pg_fences: how many times pg_fence_now was called. */
int fake_pg_fences(void);

#endif
