/*
 * client_rest.c: REST calls to the agents and etcd's /health (see client_rest.h).
 */
#include "client/client_rest.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "client/client_members.h"
#include "util/strutil.h"

bool client_api_url(const char *api_url, const char *endpoint, char *out, size_t size)
{
	const char *host;
	size_t len;
	int n;

	if (str_has_prefix(api_url, "http://"))
		host = api_url + strlen("http://");
	else if (str_has_prefix(api_url, "https://"))
		host = api_url + strlen("https://");
	else
		return false;
	len = strcspn(host, "/?#");
	if (len == 0)
		return false;
	n = snprintf(out, size, "%.*s/%s", (int)(host - api_url + (ptrdiff_t)len), api_url,
	             endpoint);
	return n > 0 && (size_t)n < size;
}

long client_rest(const struct client *c, const struct dcs_member *m, const char *method,
                 const char *endpoint, const char *body, int timeout_ms, struct buf *reply,
                 char *err, size_t errlen)
{
	char url[CLIENT_URL_LEN + 64];
	struct http_req req = {.method = method,
	                       .url = url,
	                       .body = body,
	                       .user = c->creds.rest_user,
	                       .password = c->creds.rest_password,
	                       .tls = &c->rest_tls,
	                       .timeout_ms = timeout_ms};
	long status;

	if (!client_api_url(m->api_url, endpoint, url, sizeof(url))) {
		snprintf(err, errlen, "member %s has no usable api_url ('%s')", m->name,
		         m->api_url);
		return HTTP_UNSENT;
	}
	if (!http_request(&req, &status, reply, err, errlen))
		return status == HTTP_UNSENT ? HTTP_UNSENT : 0;
	return status;
}

long client_rest_get(const struct client *c, const struct dcs_member *m, const char *endpoint,
                     int timeout_ms, char *err, size_t errlen)
{
	char url[CLIENT_URL_LEN + 64];
	long status = 0;

	if (!client_api_url(m->api_url, endpoint, url, sizeof(url))) {
		snprintf(err, errlen, "no usable api_url ('%.150s')", m->api_url);
		return 0;
	}
	if (!http_get(url, &c->rest_tls, timeout_ms, &status, NULL, err, errlen))
		return 0;
	return status;
}

/* on_failsafe: m's /patroni says it runs as primary on failsafe. */
static bool on_failsafe(const struct client *c, const struct dcs_member *m, int timeout_ms)
{
	struct buf body;
	char err[256];
	json_t *j = NULL;
	const char *role;
	bool yes = false;

	buf_init(&body);
	if (client_rest(c, m, "GET", "patroni", NULL, timeout_ms, &body, err, sizeof(err)) == 200)
		j = json_loads(body.data, 0, NULL);
	role = json_string_value(json_object_get(j, "role"));
	yes = json_is_true(json_object_get(j, "failsafe_mode_is_active")) && role != NULL &&
	      (strcmp(role, "primary") == 0 || strcmp(role, "master") == 0);
	json_decref(j);
	buf_free(&body);
	return yes;
}

void client_failsafe_state(const struct client *c, const struct dcs_view *v, int timeout_ms,
                           struct client_failsafe *out)
{
	struct dyn_config d;
	struct dcs_member m;

	memset(out, 0, sizeof(*out));
	client_cluster_dyn(v, &d);
	out->mode = d.failsafe_mode;
	dyn_config_free(&d);
	for (int i = 0; out->mode && !out->active && i < v->failsafe.n; i++) {
		if (v->failsafe.state != DCS_FS_VALID ||
		    (v->has_leader && strcmp(v->leader, v->failsafe.names[i]) != 0))
			continue;
		memset(&m, 0, sizeof(m));
		snprintf(m.name, sizeof(m.name), "%s", v->failsafe.names[i]);
		snprintf(m.api_url, sizeof(m.api_url), "%s", v->failsafe.api_urls[i]);
		out->active = on_failsafe(c, &m, timeout_ms);
		if (out->active)
			memcpy(out->primary, m.name, sizeof(out->primary));
	}
}

bool client_etcd_health(const char *url, const struct tls_client *tls, int timeout_ms,
                        bool *healthy, char *err, size_t errlen)
{
	char health_url[CLIENT_URL_LEN + 16];
	struct buf body;
	long status = 0;
	json_t *j;
	bool answered;

	*healthy = false;
	snprintf(health_url, sizeof(health_url), "%s/health", url);
	buf_init(&body);
	answered = http_get(health_url, tls, timeout_ms, &status, &body, err, errlen);
	j = answered ? json_loads(body.data, 0, NULL) : NULL;
	/* etcd 3.4 answers {"health":"true"}, 3.5 adds "reason" */
	*healthy = status == 200 && str_eq(json_string_value(json_object_get(j, "health")), "true");
	if (answered && !*healthy)
		snprintf(err, errlen, "/health answered %ld %.60s", status, body.data);
	json_decref(j);
	buf_free(&body);
	return answered;
}
