/*
 * chaos_etcd.c: etcd's raft leader (see chaos_etcd.h).
 */
#include "chaos/chaos_etcd.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "http/http.h"
#include "util/strutil.h"

/* id_of: a uint64 field that etcd's gateway writes as a string (or, rarely, a number). */
static bool id_of(json_t *o, const char *key, char *out, size_t size)
{
	json_t *v = json_object_get(o, key);

	if (json_is_string(v))
		snprintf(out, size, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(out, size, "%lld", (long long)json_integer_value(v));
	else
		return false;
	return true;
}

bool chaos_etcd_parse_status(const char *body, struct chaos_etcd_member *m)
{
	json_t *j = json_loads(body, 0, NULL);

	m->answered =
	    json_is_object(j) &&
	    id_of(json_object_get(j, "header"), "member_id", m->member_id, sizeof(m->member_id)) &&
	    id_of(j, "leader", m->leader_id, sizeof(m->leader_id));
	json_decref(j);
	return m->answered;
}

void chaos_etcd_pick(struct chaos_etcd_view *v)
{
	int best_votes = 0;

	v->leader = -1;
	for (int i = 0; i < v->n; i++) {
		int votes = 0;

		if (!v->m[i].member_id[0])
			continue;
		for (int j = 0; j < v->n; j++)
			votes += v->m[j].answered && str_eq(v->m[j].leader_id, v->m[i].member_id);
		if (votes > best_votes) {
			best_votes = votes;
			v->leader = i;
		}
	}
}

void chaos_etcd_status(const struct client *cl, int timeout_ms, struct chaos_etcd_view *v)
{
	v->n = cl->n_etcd;
	for (int i = 0; i < cl->n_etcd; i++) {
		char url[CLIENT_URL_LEN + 32];
		char err[256];
		struct buf body;
		long status = 0;
		struct http_req req = {.method = "POST",
		                       .url = url,
		                       .body = "{}",
		                       .tls = &cl->etcd_tls, /* Status needs no user */
		                       .timeout_ms = timeout_ms};

		snprintf(url, sizeof(url), "%s/v3/maintenance/status", cl->etcd[i]);
		buf_init(&body);
		v->m[i].answered = false;
		v->m[i].leader_id[0] = '\0';
		if (http_request(&req, &status, &body, err, sizeof(err)) && status == 200)
			(void)chaos_etcd_parse_status(body.data, &v->m[i]);
		buf_free(&body);
	}
	chaos_etcd_pick(v);
}

int chaos_etcd_victims(const struct chaos_etcd_view *v, int n, bool followers, int *out)
{
	int k = 0;

	if (v->leader < 0)
		return 0;
	if (!followers)
		out[k++] = v->leader;
	for (int i = 0; i < v->n && k < n; i++) {
		if (i != v->leader)
			out[k++] = i;
	}
	return k;
}
