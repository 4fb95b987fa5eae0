/*
 * peers.c: parallel GET of the members' /patroni with libcurl's multi interface.
 */
#include "ha/peers.h"

#include <jansson.h>
#include <string.h>
#include "http/http.h"
#include "log/log.h"
#include "util/buf.h"
#include "util/strutil.h"

#define MAX_STATUS_BYTES 65536 /* a status body is small; anything else is not a peer */

static uint64_t json_u64(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v)
	                                                       : 0;
}

static void parse_tags(const json_t *tags, struct ha_peer *p)
{
	const json_t *prio = json_object_get(tags, "failover_priority");

	p->nofailover = json_is_true(json_object_get(tags, "nofailover"));
	p->failover_priority = json_is_integer(prio) ? (int)json_integer_value(prio) : 1;
	if (p->nofailover)
		p->failover_priority = 0;
}

bool peers_parse_status(const char *body, struct ha_peer *p)
{
	json_t *root = json_loads(body, 0, NULL);
	const json_t *xlog, *state, *role, *tl;
	uint64_t received, replayed;

	if (!json_is_object(root)) {
		json_decref(root);
		return false;
	}
	state = json_object_get(root, "state");
	role = json_object_get(root, "role");
	xlog = json_object_get(root, "xlog");
	tl = json_object_get(root, "timeline");
	p->running = json_is_string(state) && str_eq(json_string_value(state), "running");
	/* Patroni: "not in recovery" is xlog.location present, or role primary/master. */
	p->is_primary =
	    p->running && (json_object_get(xlog, "location") != NULL ||
	                   (json_is_string(role) && (str_eq(json_string_value(role), "primary") ||
	                                             str_eq(json_string_value(role), "master"))));
	received = json_u64(xlog, "received_location");
	replayed = json_u64(xlog, "replayed_location");
	p->lsn = p->is_primary ? json_u64(xlog, "location") : MAX(received, replayed);
	p->timeline = json_is_integer(tl) ? (int)json_integer_value(tl) : 0;
	parse_tags(json_object_get(root, "tags"), p);
	p->reachable = true;
	json_decref(root);
	return true;
}

/* peer_add: one member to probe (out[*n]), with its /patroni URL into urls. */
static void peer_add(const char *name, const char *url, struct ha_peer *out,
                     char (*urls)[DCS_URL_LEN], int *n)
{
	memset(&out[*n], 0, sizeof(out[*n]));
	snprintf(out[*n].name, sizeof(out[*n].name), "%s", name);
	snprintf(urls[*n], DCS_URL_LEN, "%s", url);
	(*n)++;
}

int peers_probe(const struct dcs_view *view, const struct dcs_failsafe *extra, const char *self,
                const struct tls_client *tls, int timeout_ms, struct ha_peer *out, int max)
{
	char urls[DCS_MAX_MEMBERS][DCS_URL_LEN];
	struct http_req reqs[DCS_MAX_MEMBERS] = {{0}};
	struct buf bodies[DCS_MAX_MEMBERS];
	long status[DCS_MAX_MEMBERS];
	int n = 0;

	max = MIN(max, DCS_MAX_MEMBERS);
	for (int i = 0; i < view->n_members && n < max; i++)
		if (!str_eq(view->members[i].name, self))
			peer_add(view->members[i].name, view->members[i].api_url, out, urls, &n);
	for (int i = 0; extra != NULL && i < extra->n && n < max; i++)
		if (!str_eq(extra->names[i], self) &&
		    dcs_view_member(view, extra->names[i]) == NULL)
			peer_add(extra->names[i], extra->api_urls[i], out, urls, &n);
	for (int i = 0; i < n; i++) {
		buf_init(&bodies[i]);
		/* No URL: nothing to ask, the request fails at once as unreachable. */
		reqs[i] = (struct http_req){
		    .method = "GET", .url = urls[i], .tls = tls, .timeout_ms = timeout_ms};
	}
	http_request_all(reqs, n, MAX_STATUS_BYTES, status, bodies);
	for (int i = 0; i < n; i++) {
		/*
		 * A peer whose certificate does not verify looks unreachable, which lets the race
		 * go on without it: say why, so that a broken CA or certificate is seen.
		 */
		if (status[i] == HTTP_TLS_FAILED)
			log_warn("peer %s: TLS failed: it counts as unreachable", out[i].name);
		if (status[i] >= 200 && status[i] < 600 &&
		    !peers_parse_status(bodies[i].data, &out[i]))
			out[i].reachable = false;
		buf_free(&bodies[i]);
	}
	return n;
}
