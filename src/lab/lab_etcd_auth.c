/*
 * lab_etcd_auth.c: etcd's users and authentication for a lab (see lab_etcd.h).
 *
 * Through the JSON gateway with http/, like every other etcd request of pgha: no
 * password ever goes on a command line (etcdctl would take it as an argument).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "http/http.h"
#include "lab/lab_etcd.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/strutil.h"

#define AUTH_TIMEOUT_MS 5000 /* an authentication costs etcd a bcrypt hash and a raft round */

struct gateway {
	char url[LAB_URL_LEN];
	struct tls_client tls;
};

/*
 * call: POST <member 0>/v3/auth/<what> with body (taken). True when etcd answered 200,
 * or answered an error containing tolerate (NULL: none); else err says what it said.
 */
static bool call(const struct gateway *g, const char *what, json_t *body, const char *tolerate,
                 char *err, size_t errlen)
{
	char url[LAB_URL_LEN + 64];
	char *text = json_dumps(body, JSON_COMPACT);
	struct http_req req = {.method = "POST",
	                       .url = url,
	                       .body = text,
	                       .tls = &g->tls,
	                       .timeout_ms = AUTH_TIMEOUT_MS};
	struct buf reply;
	long status = 0;
	bool ok;

	json_decref(body);
	snprintf(url, sizeof(url), "%s/v3/auth/%s", g->url, what);
	buf_init(&reply);
	ok = http_request(&req, &status, &reply, err, errlen);
	if (text != NULL)
		memset(text, 0, strlen(text)); /* it may hold a password */
	free(text);
	if (ok && status != 200 && !(tolerate != NULL && strstr(reply.data, tolerate) != NULL)) {
		snprintf(err, errlen, "etcd %s answered %ld: %.200s", what, status, reply.data);
		ok = false;
	}
	buf_free(&reply);
	return ok;
}

static json_t *user(const char *name, const char *password)
{
	return json_pack("{s:s, s:s}", "name", name, "password", password);
}

/* readwrite_grant: role pgha may read and write every key under the lab's namespace. */
static json_t *readwrite_grant(const struct lab_cluster *c)
{
	size_t len = strlen(c->namespace_);
	char end[LAB_NAME_LEN];
	char *key = b64_encode(c->namespace_, len);
	char *range_end;
	json_t *j;

	snprintf(end, sizeof(end), "%s", c->namespace_);
	end[len - 1]++; /* "/service/" -> "/service0": the whole prefix */
	range_end = b64_encode(end, len);
	j = json_pack("{s:s, s:{s:s, s:s, s:s}}", "name", LAB_ETCD_USER, "perm", "permType",
	              "READWRITE", "key", key, "range_end", range_end);
	free(key);
	free(range_end);
	return j;
}

/* enabled: authentication is on already (root can log in), or an error. */
static int enabled(const struct gateway *g, const struct lab_secrets *s, char *err, size_t errlen)
{
	if (call(g, "authenticate", user(LAB_ETCD_ROOT, s->etcd_root), NULL, err, errlen))
		return 1;
	return strstr(err, "authentication is not enabled") != NULL ? 0 : -1;
}

bool lab_etcd_auth_enable(const struct lab_cluster *c, const struct lab_secrets *s, char *err,
                          size_t errlen)
{
	struct gateway g;
	int on;

	lab_etcd_url(c, 0, g.url, sizeof(g.url));
	lab_tls_client(c, &g.tls);
	if ((on = enabled(&g, s, err, errlen)) != 0)
		return on > 0;
	return call(&g, "user/add", user(LAB_ETCD_ROOT, s->etcd_root), "already exists", err,
	            errlen) &&
	       call(&g, "user/grant",
	            json_pack("{s:s, s:s}", "user", LAB_ETCD_ROOT, "role", "root"), NULL, err,
	            errlen) &&
	       call(&g, "role/add", json_pack("{s:s}", "name", LAB_ETCD_USER), "already exists",
	            err, errlen) &&
	       call(&g, "role/grant", readwrite_grant(c), NULL, err, errlen) &&
	       call(&g, "user/add", user(LAB_ETCD_USER, s->etcd), "already exists", err, errlen) &&
	       call(&g, "user/grant",
	            json_pack("{s:s, s:s}", "user", LAB_ETCD_USER, "role", LAB_ETCD_USER), NULL,
	            err, errlen) &&
	       call(&g, "enable", json_object(), NULL, err, errlen);
}
