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

static CURL *new_probe(const struct dcs_member *m, struct http_body *body,
                       const struct tls_client *tls, int timeout_ms)
{
	CURL *h = curl_easy_init();

	if (h == NULL)
		return NULL;
	http_easy_setup(h, NULL, tls);
	http_easy_timeouts(h, timeout_ms, timeout_ms);
	http_easy_body(h, body);
	curl_easy_setopt(h, CURLOPT_URL, m->api_url);
	return h;
}

/*
 * log_tls_failures: a peer whose certificate does not verify looks unreachable, which
 * lets the race go on without it: say why, so that a broken CA or certificate is seen
 * (a timeout or a refused connection is an ordinary unreachable peer).
 */
static void log_tls_failures(CURLM *multi, CURL *const *handles, const struct ha_peer *out, int n)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
		CURLcode rc = msg->data.result;

		if (msg->msg != CURLMSG_DONE ||
		    (rc != CURLE_PEER_FAILED_VERIFICATION && rc != CURLE_SSL_CONNECT_ERROR &&
		     rc != CURLE_SSL_CERTPROBLEM && rc != CURLE_SSL_CACERT_BADFILE))
			continue;
		for (int i = 0; i < n; i++)
			if (handles[i] == msg->easy_handle)
				log_warn("peer %s: TLS failed (%s): it counts as unreachable",
				         out[i].name, curl_easy_strerror(rc));
	}
}

int peers_probe(const struct dcs_view *view, const char *self, const struct tls_client *tls,
                int timeout_ms, struct ha_peer *out, int max)
{
	CURLM *multi = curl_multi_init();
	CURL *handles[DCS_MAX_MEMBERS] = {0};
	struct buf bodies[DCS_MAX_MEMBERS];
	struct http_body sinks[DCS_MAX_MEMBERS];
	int n = 0, running = 0;

	for (int i = 0; i < view->n_members && n < max && n < DCS_MAX_MEMBERS; i++) {
		const struct dcs_member *m = &view->members[i];

		if (str_eq(m->name, self))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		memcpy(out[n].name, m->name, sizeof(out[n].name));
		buf_init(&bodies[n]);
		sinks[n] = (struct http_body){.buf = &bodies[n], .max_bytes = MAX_STATUS_BYTES};
		handles[n] = m->api_url[0] ? new_probe(m, &sinks[n], tls, timeout_ms) : NULL;
		if (handles[n])
			curl_multi_add_handle(multi, handles[n]);
		n++;
	}
	do {
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			break;
		if (running)
			curl_multi_poll(multi, NULL, 0, 100, NULL);
	} while (running > 0);
	log_tls_failures(multi, handles, out, n);
	for (int i = 0; i < n; i++) {
		long code = 0;

		if (handles[i] == NULL) {
			buf_free(&bodies[i]);
			continue;
		}
		curl_easy_getinfo(handles[i], CURLINFO_RESPONSE_CODE, &code);
		if (code >= 200 && code < 600 && !peers_parse_status(bodies[i].data, &out[i]))
			out[i].reachable = false;
		curl_multi_remove_handle(multi, handles[i]);
		curl_easy_cleanup(handles[i]);
		buf_free(&bodies[i]);
	}
	curl_multi_cleanup(multi);
	return n;
}
