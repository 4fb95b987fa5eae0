/*
 * lab_cluster.h: what a local cluster is, as stored in DIR/cluster.json, and where
 * its files live inside DIR.
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

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include "lab/lab_plan.h"
#include "util/compiler.h"

#define LAB_FORMAT_VERSION 1
#define LAB_DEFAULT_DIR    "pgha-lab"
#define LAB_DEFAULT_SCOPE  "pgha-lab"
#define LAB_NAMESPACE      "/service/"
#define LAB_URL_LEN        64

struct lab_cluster {
	char dir[PATH_MAX];            /* absolute path of DIR */
	char scope[LAB_NAME_LEN];      /* cluster name in etcd */
	char namespace_[LAB_NAME_LEN]; /* "/service/" */
	char os_user[LAB_NAME_LEN];    /* user every process of the lab runs as */
	char pgha_bin[PATH_MAX];       /* the pgha binary the agents run */
	char pg_bin_dir[PATH_MAX];     /* PostgreSQL binaries (initdb, postgres...) */
	char etcd_bin[PATH_MAX];       /* the etcd server binary */
	struct lab_plan plan;
	/* Not stored: cluster.json had no router ports (written before the lab ran a
	 * router); plan has lab_plan_default_router's and `pgha up` adds the router. */
	bool legacy_router;
};

/* lab_scope_valid: 1..63 characters of [A-Za-z0-9_-] (safe in etcd keys, YAML, files). */
bool lab_scope_valid(const char *scope);

/* lab_path: DIR/<rel> into out; false if it does not fit. */
bool lab_path(const struct lab_cluster *c, const char *rel, char *out, size_t size) MUST_CHECK;
/* lab_node_path: DIR/<node>/<rel> ("" rel gives the node directory). */
bool lab_node_path(const struct lab_cluster *c, const char *node, const char *rel, char *out,
                   size_t size) MUST_CHECK;
/* lab_router_config: DIR/router.yml, also the argument that marks the router's process. */
bool lab_router_config(const struct lab_cluster *c, char *out, size_t size) MUST_CHECK;
/* lab_etcd_url: "http://127.0.0.1:<client port>" of etcd member i (0-based). */
void lab_etcd_url(const struct lab_cluster *c, int i, char *out, size_t size);
/* lab_api_url: "http://127.0.0.1:<api port>" of a node (no path). */
void lab_api_url(const struct lab_node_ports *n, char *out, size_t size);

/* lab_cluster_to_json: the cluster.json text (owned). */
char *lab_cluster_to_json(const struct lab_cluster *c);
/*
 * lab_cluster_from_json: parses cluster.json text into c. Checks the format version,
 * types, names and the port plan; false with err set on any problem. A file without
 * ports.router.http_port predates the lab's router: its router entry (once mere
 * reservations) is ignored, the router gets lab_plan_default_router's ports and
 * c->legacy_router is set.
 */
bool lab_cluster_from_json(const char *text, struct lab_cluster *c, char *err,
                           size_t errlen) MUST_CHECK;
/*
 * lab_cluster_load: reads DIR/cluster.json (dir absolute or relative); its "dir" must be
 * DIR's absolute path.
 */
bool lab_cluster_load(const char *dir, struct lab_cluster *c, char *err, size_t errlen) MUST_CHECK;
/* lab_cluster_save: writes DIR/cluster.json atomically (mode 0644). */
bool lab_cluster_save(const struct lab_cluster *c, char *err, size_t errlen) MUST_CHECK;

#endif
