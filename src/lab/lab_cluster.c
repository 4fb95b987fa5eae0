/*
 * lab_cluster.c: cluster.json (jansson) and the paths inside a lab directory.
 */
#include "lab/lab_cluster.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "lab/lab_secrets.h"
#include "util/fsutil.h"
#include "util/strutil.h"
#include "util/xalloc.h"

bool lab_scope_valid(const char *scope)
{
	size_t len = strlen(scope);

	return len > 0 && len < LAB_NAME_LEN &&
	       strspn(scope, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
	           len;
}

const char *lab_shown_dir(const struct lab_cluster *c)
{
	return c->link[0] ? c->link : c->dir;
}

bool lab_path(const struct lab_cluster *c, const char *rel, char *out, size_t size)
{
	int n = snprintf(out, size, "%s/%s", c->dir, rel);

	return n > 0 && (size_t)n < size;
}

bool lab_node_path(const struct lab_cluster *c, const char *node, const char *rel, char *out,
                   size_t size)
{
	int n = rel[0] ? snprintf(out, size, "%s/%s/%s", c->dir, node, rel)
	               : snprintf(out, size, "%s/%s", c->dir, node);

	return n > 0 && (size_t)n < size;
}

bool lab_router_config(const struct lab_cluster *c, char *out, size_t size)
{
	return lab_path(c, "router.yml", out, size);
}

void lab_etcd_url(const struct lab_cluster *c, int i, char *out, size_t size)
{
	snprintf(out, size, "%s://127.0.0.1:%d", c->tls ? "https" : "http",
	         c->plan.etcd[i].client_port);
}

void lab_api_url(const struct lab_cluster *c, const struct lab_node_ports *n, char *out,
                 size_t size)
{
	snprintf(out, size, "%s://127.0.0.1:%d", c->tls ? "https" : "http", n->api_port);
}

bool lab_tls_path(const struct lab_cluster *c, const char *file, char *out, size_t size)
{
	int n = snprintf(out, size, "%s/tls/%s", c->dir, file);

	return n > 0 && (size_t)n < size;
}

void lab_tls_client(const struct lab_cluster *c, struct tls_client *out)
{
	memset(out, 0, sizeof(*out));
	if (c->tls && !lab_tls_path(c, "ca.crt", out->cafile, sizeof(out->cafile)))
		out->cafile[0] = '\0';
}

/* --- encoding ---------------------------------------------------------------------- */

static json_t *ports_json(const struct lab_plan *p)
{
	json_t *etcd = json_array();
	json_t *nodes = json_array();

	for (int i = 0; i < LAB_N_ETCD; i++)
		json_array_append_new(etcd, json_pack("{s:s, s:i, s:i}", "name", p->etcd[i].name,
		                                      "client_port", p->etcd[i].client_port,
		                                      "peer_port", p->etcd[i].peer_port));
	for (int k = 0; k < p->n_nodes; k++)
		json_array_append_new(
		    nodes, json_pack("{s:s, s:i, s:i, s:i}", "name", p->nodes[k].name, "pg_port",
		                     p->nodes[k].pg_port, "api_port", p->nodes[k].api_port,
		                     "pgbouncer_port", p->nodes[k].bouncer_port));
	return json_pack("{s:i, s:o, s:o, s:{s:i, s:i, s:i}}", "base_port", p->base_port, "etcd",
	                 etcd, "nodes", nodes, "router", "rw_port", p->router_rw_port, "ro_port",
	                 p->router_ro_port, "http_port", p->router_http_port);
}

char *lab_cluster_to_json(const struct lab_cluster *c)
{
	json_t *urls = json_array();
	json_t *names = json_array();
	json_t *root;
	char *json_text;
	char *text;

	for (int i = 0; i < LAB_N_ETCD; i++) {
		char url[LAB_URL_LEN];

		lab_etcd_url(c, i, url, sizeof(url));
		json_array_append_new(urls, json_string(url));
	}
	for (int k = 0; k < c->plan.n_nodes; k++)
		json_array_append_new(names, json_string(c->plan.nodes[k].name));
	root = json_pack("{s:i, s:s, s:s, s:s, s:o, s:o, s:s, s:b, s:o, s:{s:s, s:s, s:s}}",
	                 "format", LAB_FORMAT_VERSION, "dir", c->dir, "scope", c->scope,
	                 "namespace", c->namespace_, "etcd", urls, "nodes", names, "os_user",
	                 c->os_user, "tls", c->tls, "ports", ports_json(&c->plan), "binaries",
	                 "pgha", c->pgha_bin, "pg_bin_dir", c->pg_bin_dir, "etcd", c->etcd_bin);
	if (c->link[0])
		json_object_set_new(root, "link", json_string(c->link));
	json_text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	text = xasprintf("%s\n", json_text ? json_text : "{}"); /* NULL only without memory */
	free(json_text);
	return text;
}

/* --- decoding ---------------------------------------------------------------------- */

/* get_str: copies the string member key of obj into out[size]; false (err set) if not. */
static bool get_str(const json_t *obj, const char *key, char *out, size_t size, char *err,
                    size_t errlen)
{
	const json_t *v = json_object_get(obj, key);
	const char *why = !json_is_string(v) || json_string_length(v) == 0
	                      ? "must be a non-empty string"
	                  : !str_copy(out, size, json_string_value(v)) ? "is too long"
	                                                               : NULL;

	if (why != NULL)
		snprintf(err, errlen, "\"%s\" %s", key, why);
	return why == NULL;
}

static bool get_port(const json_t *obj, const char *key, int *out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 65535) {
		snprintf(err, errlen, "\"%s\" must be a port number", key);
		return false;
	}
	*out = (int)json_integer_value(v);
	return true;
}

static bool decode_etcd(const json_t *arr, struct lab_plan *p, char *err, size_t errlen)
{
	if (!json_is_array(arr) || json_array_size(arr) != LAB_N_ETCD) {
		snprintf(err, errlen, "ports.etcd must list %d members", LAB_N_ETCD);
		return false;
	}
	for (int i = 0; i < LAB_N_ETCD; i++) {
		const json_t *m = json_array_get(arr, (size_t)i);

		if (!get_str(m, "name", p->etcd[i].name, sizeof(p->etcd[i].name), err, errlen) ||
		    !get_port(m, "client_port", &p->etcd[i].client_port, err, errlen) ||
		    !get_port(m, "peer_port", &p->etcd[i].peer_port, err, errlen))
			return false;
	}
	return true;
}

static bool decode_nodes(const json_t *arr, struct lab_plan *p, char *err, size_t errlen)
{
	size_t n = json_array_size(arr);

	if (!json_is_array(arr) || n < 1 || n > LAB_MAX_NODES) {
		snprintf(err, errlen, "ports.nodes must list 1 to %d nodes", LAB_MAX_NODES);
		return false;
	}
	p->n_nodes = (int)n;
	for (int k = 0; k < p->n_nodes; k++) {
		const json_t *m = json_array_get(arr, (size_t)k);
		struct lab_node_ports *node = &p->nodes[k];

		if (!get_str(m, "name", node->name, sizeof(node->name), err, errlen) ||
		    !get_port(m, "pg_port", &node->pg_port, err, errlen) ||
		    !get_port(m, "api_port", &node->api_port, err, errlen) ||
		    !get_port(m, "pgbouncer_port", &node->bouncer_port, err, errlen))
			return false;
	}
	return true;
}

static bool decode_router(const json_t *router, struct lab_plan *p, char *err, size_t errlen)
{
	if (!json_is_object(router)) {
		snprintf(err, errlen, "\"ports.router\" must be an object");
		return false;
	}
	return get_port(router, "rw_port", &p->router_rw_port, err, errlen) &&
	       get_port(router, "ro_port", &p->router_ro_port, err, errlen) &&
	       get_port(router, "http_port", &p->router_http_port, err, errlen);
}

static bool decode_plan(const json_t *ports, struct lab_plan *p, char *err, size_t errlen)
{
	if (!json_is_object(ports)) {
		snprintf(err, errlen, "\"ports\" must be an object");
		return false;
	}
	return get_port(ports, "base_port", &p->base_port, err, errlen) &&
	       decode_etcd(json_object_get(ports, "etcd"), p, err, errlen) &&
	       decode_nodes(json_object_get(ports, "nodes"), p, err, errlen) &&
	       decode_router(json_object_get(ports, "router"), p, err, errlen) &&
	       lab_plan_validate(p, err, errlen);
}

static bool decode_root(const json_t *root, struct lab_cluster *c, char *err, size_t errlen)
{
	const json_t *bin = json_object_get(root, "binaries");
	const json_t *fmt = json_object_get(root, "format");

	if (!json_is_integer(fmt) || json_integer_value(fmt) != LAB_FORMAT_VERSION) {
		snprintf(err, errlen, "unsupported format (expected \"format\": %d)",
		         LAB_FORMAT_VERSION);
		return false;
	}
	if (!json_is_object(bin)) {
		snprintf(err, errlen, "\"binaries\" must be an object");
		return false;
	}
	/* Absent: a lab made before TLS, which runs without it. */
	c->tls = json_is_true(json_object_get(root, "tls"));
	if (!get_str(root, "dir", c->dir, sizeof(c->dir), err, errlen) ||
	    !get_str(root, "scope", c->scope, sizeof(c->scope), err, errlen) ||
	    !get_str(root, "namespace", c->namespace_, sizeof(c->namespace_), err, errlen) ||
	    !get_str(root, "os_user", c->os_user, sizeof(c->os_user), err, errlen) ||
	    !get_str(bin, "pgha", c->pgha_bin, sizeof(c->pgha_bin), err, errlen) ||
	    !get_str(bin, "pg_bin_dir", c->pg_bin_dir, sizeof(c->pg_bin_dir), err, errlen) ||
	    !get_str(bin, "etcd", c->etcd_bin, sizeof(c->etcd_bin), err, errlen))
		return false;
	if (!lab_scope_valid(c->scope)) {
		snprintf(err, errlen, "invalid scope '%s'", c->scope);
		return false;
	}
	if (c->dir[0] != '/') {
		snprintf(err, errlen, "\"dir\" must be an absolute path");
		return false;
	}
	if (json_object_get(root, "link") != NULL &&
	    (!get_str(root, "link", c->link, sizeof(c->link), err, errlen) || c->link[0] != '/')) {
		snprintf(err, errlen, "\"link\" must be an absolute path");
		return false;
	}
	return decode_plan(json_object_get(root, "ports"), &c->plan, err, errlen);
}

bool lab_cluster_from_json(const char *text, struct lab_cluster *c, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loads(text, 0, &jerr);
	bool ok;

	memset(c, 0, sizeof(*c));
	if (root == NULL) {
		snprintf(err, errlen, "line %d: %s", jerr.line, jerr.text);
		return false;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "not a JSON object");
		json_decref(root);
		return false;
	}
	ok = decode_root(root, c, err, errlen);
	json_decref(root);
	return ok;
}

/* --- files ------------------------------------------------------------------------- */

bool lab_cluster_load(const char *dir, struct lab_cluster *c, char *err, size_t errlen)
{
	char abs[PATH_MAX];
	char *path;
	char *text;
	char why[256];
	bool ok;

	if (!fs_abspath(dir, abs, sizeof(abs))) {
		snprintf(err, errlen, "%s: path too long", dir);
		return false;
	}
	path = xasprintf("%s/cluster.json", abs);
	text = fs_read_file(path, NULL);
	if (text == NULL) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		free(path);
		return false;
	}
	ok = lab_cluster_from_json(text, c, why, sizeof(why));
	if (!ok)
		snprintf(err, errlen, "%s: %s", path, why);
	/* Generated files hold absolute paths, and `pgha down` removes c->dir: it must be
	 * the directory we were pointed at (by any path, the lab's link among them), never
	 * another one named in the file. */
	if (ok && !str_eq(c->dir, abs) && !fs_same_file(c->dir, abs)) {
		snprintf(err, errlen,
		         "%s says the lab is in %s (moved or another spelling of the path?); "
		         "use --dir %s",
		         path, c->dir, c->dir);
		ok = false;
	}
	free(text);
	free(path);
	return ok;
}

bool lab_cluster_save(const struct lab_cluster *c, char *err, size_t errlen)
{
	char path[PATH_MAX];
	char *text = lab_cluster_to_json(c);
	bool ok = lab_path(c, "cluster.json", path, sizeof(path));

	ok = ok && fs_write_atomic(path, text, strlen(text), 0644);
	if (!ok)
		snprintf(err, errlen, "cannot write %s/cluster.json: %s", c->dir, strerror(errno));
	free(text);
	return ok;
}

/* --- the tooling's view ------------------------------------------------------------ */

static void lab_creds(const struct lab_cluster *c, struct client_creds *cr)
{
	struct lab_secrets s;
	char dir[PATH_MAX];
	char err[256] = "path too long";

	if (!lab_path(c, "secrets", dir, sizeof(dir)) ||
	    !lab_secrets_load(&s, dir, err, sizeof(err))) {
		snprintf(cr->note, sizeof(cr->note), "the lab's secrets could not be read (%.200s)",
		         err);
		return;
	}
	snprintf(cr->rest_user, sizeof(cr->rest_user), "%s", LAB_RESTAPI_USER);
	snprintf(cr->rest_password, sizeof(cr->rest_password), "%s", s.restapi);
	snprintf(cr->pg_user, sizeof(cr->pg_user), "%s", LAB_SUPERUSER);
	snprintf(cr->pg_password, sizeof(cr->pg_password), "%s", s.superuser);
	if (s.etcd[0] != '\0') {
		snprintf(cr->etcd_user, sizeof(cr->etcd_user), "%s", LAB_ETCD_USER);
		snprintf(cr->etcd_password, sizeof(cr->etcd_password), "%s", s.etcd);
	}
	snprintf(cr->note, sizeof(cr->note), "credentials from %.200s", dir);
	memset(&s, 0, sizeof(s));
}

void lab_client(const struct lab_cluster *c, struct client *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->scope, sizeof(out->scope), "%s", c->scope);
	snprintf(out->namespace_, sizeof(out->namespace_), "%s", c->namespace_);
	for (int i = 0; i < LAB_N_ETCD; i++)
		lab_etcd_url(c, i, out->etcd[i], sizeof(out->etcd[i]));
	out->n_etcd = LAB_N_ETCD;
	lab_creds(c, &out->creds);
	lab_tls_client(c, &out->etcd_tls);
	lab_tls_client(c, &out->rest_tls);
	if (c->tls) {
		snprintf(out->pg_sslmode, sizeof(out->pg_sslmode), "verify-full");
		snprintf(out->pg_sslrootcert, sizeof(out->pg_sslrootcert), "%s",
		         out->rest_tls.cafile);
	}
}

bool lab_view_read(const struct lab_cluster *c, int timeout_ms, struct dcs_view *v)
{
	struct client cl;

	lab_client(c, &cl);
	return client_read_view(&cl, timeout_ms, v);
}
