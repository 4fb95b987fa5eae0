/*
 * thread.h: starting the daemons' threads, each with a name.
 *
 * Every thread pgha starts goes through thread_start (or a thread_spawn_fn a caller
 * was given in its place), so that each start is checked and each thread carries a
 * name that top -H, gdb and ThreadSanitizer's reports show. A component that must not
 * run half-started (the lease keeper without its fencer) takes a thread_spawn_fn
 * in its options: unit tests inject a failure there.
 */
#ifndef PGHA_UTIL_THREAD_H
#define PGHA_UTIL_THREAD_H

#include <pthread.h>
#include "util/compiler.h"

/* Starts main(arg) in a joinable thread; returns 0 or an errno value (nothing started). */
typedef int thread_spawn_fn(pthread_t *thread, const char *name, void *(*main)(void *), void *arg);

/*
 * thread_start: pthread_create, then the name (at most 15 bytes are kept). The new
 * thread inherits the caller's signal mask. Returns 0 or the errno value; does not log.
 */
int thread_start(pthread_t *thread, const char *name, void *(*main)(void *), void *arg) MUST_CHECK;

#endif
