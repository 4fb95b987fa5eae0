/*
 * lab_ports.h: is a loopback port free? (a bind test, before `pgha up` starts anything)
 *
 * A bind with SO_REUSEADDR, as the servers themselves do, so that connections of a
 * previous run lingering in TIME_WAIT do not count as "in use"; a listener on the
 * port (on 127.0.0.1 or on the wildcard address) does.
 */
#ifndef PGHA_LAB_LAB_PORTS_H
#define PGHA_LAB_LAB_PORTS_H

#include <stdbool.h>
#include <stddef.h>
#include "lab/lab_plan.h"

/* lab_port_free: true if a TCP socket can bind 127.0.0.1:port; else err says why. */
bool lab_port_free(int port, char *err, size_t errlen);
/*
 * lab_ports_check: bind-tests the ports of the plan whose owner is in owners
 * (NULL-terminated; NULL = every owner). On the first busy port, false with err naming
 * it, what it is for and the `pgha up` option that moves it.
 */
bool lab_ports_check(const struct lab_plan *p, const char *const *owners, char *err, size_t errlen);

#endif
