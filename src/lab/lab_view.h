/*
 * lab_view.h: the lab's cluster as etcd holds it: a DCS client for the lab's three
 * etcd members, scope and namespace (dcs.h does the work).
 */
#ifndef PGHA_LAB_LAB_VIEW_H
#define PGHA_LAB_LAB_VIEW_H

#include <stdbool.h>
#include "dcs/dcs.h"
#include "lab/lab_cluster.h"
#include "util/compiler.h"

/* lab_dcs_open: a client without watch; owned (dcs_close). No I/O yet. */
struct dcs *lab_dcs_open(const struct lab_cluster *c, int timeout_ms);
/* lab_view_read: one linearizable read; false (logged by dcs) when etcd did not answer. */
bool lab_view_read(const struct lab_cluster *c, int timeout_ms, struct dcs_view *v) MUST_CHECK;

#endif
