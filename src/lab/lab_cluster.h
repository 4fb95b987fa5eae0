/*
 * lab_cluster.h: DIR/cluster.json, and where a lab's files live inside DIR (internal to
 * lab/; struct lab_cluster itself is public, in lab.h).
 *
 * cluster.json is what every `--dir` reader needs (pgha list, the test library,
 * people): scope, namespace, etcd client URLs, the port plan, node names, the OS user
 * and the binaries used. It is written once by `pgha up` before anything starts, so a
 * directory without it is never treated as a lab (and never removed by `pgha down`).
 *
 * The codec is pure (errors in err); lab_cluster_load/save do the file I/O.
 */
#ifndef PGHA_LAB_LAB_CLUSTER_H
#define PGHA_LAB_LAB_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include "lab/lab.h"
#include "lab/lab_plan.h"
#include "util/compiler.h"

#define LAB_FORMAT_VERSION 1
#define LAB_NAMESPACE      "/service/"
#define LAB_URL_LEN        64

/* lab_node_path: DIR/<node>/<rel> ("" rel gives the node directory). */
bool lab_node_path(const struct lab_cluster *c, const char *node, const char *rel, char *out,
                   size_t size) MUST_CHECK;
/* lab_router_config: DIR/router.yml, also the argument that marks the router's process. */
bool lab_router_config(const struct lab_cluster *c, char *out, size_t size) MUST_CHECK;
/* lab_etcd_url: "https://127.0.0.1:<client port>" of etcd member i (0-based); http without TLS. */
void lab_etcd_url(const struct lab_cluster *c, int i, char *out, size_t size);
/* lab_tls_path: DIR/tls/<file> (ca.crt, <node>.crt...). */
bool lab_tls_path(const struct lab_cluster *c, const char *file, char *out, size_t size) MUST_CHECK;

/* lab_cluster_to_json: the cluster.json text (owned). */
char *lab_cluster_to_json(const struct lab_cluster *c);
/*
 * lab_cluster_from_json: parses cluster.json text into c. Checks the format version,
 * types, names and the port plan (the router's ports included); false with err set on
 * any problem.
 */
bool lab_cluster_from_json(const char *text, struct lab_cluster *c, char *err,
                           size_t errlen) MUST_CHECK;
/* lab_view_read: one linearizable read of the lab's cluster; false (logged) if etcd is down. */
bool lab_view_read(const struct lab_cluster *c, int timeout_ms, struct dcs_view *v) MUST_CHECK;
/* lab_cluster_save: writes DIR/cluster.json atomically (mode 0644). */
bool lab_cluster_save(const struct lab_cluster *c, char *err, size_t errlen) MUST_CHECK;

#endif
