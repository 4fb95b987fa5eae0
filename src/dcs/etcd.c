/*
 * etcd.c: the etcd v3 gateway client: endpoints, retries, authentication, the
 * request/response plumbing and the watch stream, on libcurl.
 *
 * Does: one reused curl easy handle per client (keep-alive connections keep the idle
 * request rate cheap), per-attempt timeouts in ms, moving to the next endpoint on
 * transport errors and on answers that only mean "ask another member", the raft-term
 * guard against stale members, logging each failure once with its endpoint. Does not:
 * build or decode message bodies (etcd_json.c) or know what the keys mean.
 */
#include "dcs/etcd.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "http/http.h"
#include "log/log.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define MAX_REPLY_BYTES (64u << 20) /* a reply larger than this is refused */
#define ROUND_PAUSE_MS  100         /* pause after every endpoint failed once */
#define TOKEN_LEN       512
#define ERR_LEN         256
#define ENDPOINT_MAX    16

struct endpoint {
	char *url;    /* "http://host:port", no trailing slash */
	bool failing; /* the last attempt failed (logged once per episode) */
};

struct etcd {
	pthread_mutex_t mu; /* serialises calls: one handle, one connection cache */
	CURL *curl;
	struct curl_slist *headers; /* content type, hasleader, auth token */
	struct endpoint endpoints[ENDPOINT_MAX];
	int n_endpoints;
	atomic_int current; /* the endpoint that answered last (read by log lines anywhere) */
	int request_timeout_ms;
	int op_timeout_ms;
	bool pinned;
	const atomic_bool *abort;
	char *username;
	char *password;
	struct tls_client tls; /* https: given to every handle (http.h) */
	char token[TOKEN_LEN]; /* "" until authenticated */
	struct buf reply;      /* body of the reply being received */
	struct http_body sink; /* reply, at most MAX_REPLY_BYTES */
	char curl_err[CURL_ERROR_SIZE];
	uint64_t cluster_id;      /* raft terms are compared within one cluster */
	int64_t outage_logged_ms; /* when "no endpoint answered" was last logged, 0 = up */
	uint64_t raft_term;       /* highest seen */
	uint64_t stale_term;      /* term of the last reply refused as stale */
	int err_code;             /* last ETCD_FAILED answer */
	char err_msg[ERR_LEN + 32];
};

/* Outcome of one attempt on one endpoint. */
enum attempt {
	ATTEMPT_OK,
	ATTEMPT_FAILED, /* a definite error answer: no point asking another member */
	ATTEMPT_RETRY,  /* try the next endpoint */
	ATTEMPT_STALE,  /* the member's raft term is behind: try the next endpoint */
	ATTEMPT_AUTH    /* token missing or expired: authenticate, then retry */
};

static const char *const status_names[ETCD_STATUS__COUNT] = {"ok", "unavailable", "failed",
                                                             "no such lease"};

const char *etcd_status_str(enum etcd_status s)
{
	return (unsigned)s < ETCD_STATUS__COUNT ? status_names[s] : "?";
}

/* --- set-up -------------------------------------------------------------------------- */

static int check_abort(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	const struct etcd *c = arg;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return c->abort != NULL && atomic_load(c->abort);
}

/* Options shared by the request handle and watch handles: pgha's (http.h), then etcd's. */
static void common_options(CURL *h, char *errbuf, const struct tls_client *tls)
{
	http_easy_setup(h, errbuf, tls);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 2L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 1L);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
}

static struct curl_slist *make_headers(const char *token)
{
	struct curl_slist *h = NULL;

	h = curl_slist_append(h, "Content-Type: application/json");
	/* A member without a raft leader answers "no leader" at once instead of hanging. */
	h = curl_slist_append(h, "Grpc-Metadata-hasleader: true");
	/* No "Expect: 100-continue" round trip before larger bodies (member JSON). */
	h = curl_slist_append(h, "Expect:");
	if (token != NULL && *token != '\0') {
		char *line = xasprintf("Authorization: %s", token);

		h = curl_slist_append(h, line);
		free(line);
	}
	return h;
}

static char *normalise_endpoint(const char *ep, const char *protocol)
{
	char *url = strstr(ep, "://") != NULL
	                ? xstrdup(ep)
	                : xasprintf("%s://%s", protocol ? protocol : "http", ep);
	size_t len = strlen(url);

	while (len > 0 && url[len - 1] == '/')
		url[--len] = '\0';
	return url;
}

struct etcd *etcd_new(const struct etcd_options *opt, char *err, size_t errlen)
{
	struct etcd *c;

	if (opt->endpoints == NULL || opt->endpoints[0] == NULL) {
		snprintf(err, errlen, "no etcd endpoint configured");
		return NULL;
	}
	if (!http_global_init()) {
		snprintf(err, errlen, "libcurl could not initialise");
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
	for (int i = 0; i < ENDPOINT_MAX && opt->endpoints[i] != NULL; i++)
		c->endpoints[c->n_endpoints++].url =
		    normalise_endpoint(opt->endpoints[i], opt->protocol);
	c->username = xstrdup(opt->username);
	c->password = xstrdup(opt->password != NULL ? opt->password : "");
	if (opt->tls != NULL)
		c->tls = *opt->tls;
	buf_init(&c->reply);
	c->curl = curl_easy_init();
	common_options(c->curl, c->curl_err, &c->tls);
	c->sink = (struct http_body){.buf = &c->reply, .max_bytes = MAX_REPLY_BYTES};
	http_easy_body(c->curl, &c->sink);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, check_abort);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
	c->headers = make_headers(NULL);
	etcd_set_timeouts(c, opt->request_timeout_ms, opt->op_timeout_ms);
	return c;
}

void etcd_free(struct etcd *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->headers);
	for (int i = 0; i < c->n_endpoints; i++)
		free(c->endpoints[i].url);
	free(c->username);
	free(c->password);
	buf_free(&c->reply);
	pthread_mutex_destroy(&c->mu);
	free(c);
	http_global_cleanup();
}

void etcd_set_timeouts(struct etcd *c, int request_timeout_ms, int op_timeout_ms)
{
	pthread_mutex_lock(&c->mu);
	if (request_timeout_ms > 0)
		c->request_timeout_ms = request_timeout_ms;
	else if (c->request_timeout_ms <= 0)
		c->request_timeout_ms = 1000;
	c->op_timeout_ms =
	    op_timeout_ms > 0 ? op_timeout_ms : c->request_timeout_ms * c->n_endpoints;
	pthread_mutex_unlock(&c->mu);
}

int etcd_op_timeout_ms(struct etcd *c)
{
	int ms;

	pthread_mutex_lock(&c->mu);
	ms = c->op_timeout_ms;
	pthread_mutex_unlock(&c->mu);
	return ms;
}

void etcd_set_pinned(struct etcd *c, bool pinned)
{
	c->pinned = pinned;
}

void etcd_next_endpoint(struct etcd *c)
{
	pthread_mutex_lock(&c->mu);
	c->current = (c->current + 1) % c->n_endpoints;
	pthread_mutex_unlock(&c->mu);
}

void etcd_set_abort(struct etcd *c, const atomic_bool *flag)
{
	c->abort = flag;
}

const char *etcd_endpoint(const struct etcd *c)
{
	return c->endpoints[c->current].url;
}

uint64_t etcd_raft_term(const struct etcd *c)
{
	return c->raft_term;
}

int etcd_last_error_code(const struct etcd *c)
{
	return c->err_code;
}

const char *etcd_last_error(const struct etcd *c)
{
	return c->err_msg;
}

static bool error_is_lease_not_found(const struct etcd *c)
{
	return c->err_code == ETCD_CODE_NOT_FOUND && strstr(c->err_msg, "lease not found") != NULL;
}

/* --- one attempt ------------------------------------------------------------------------ */

/* Answers that only say "this member cannot serve now": another member may. */
static bool error_is_retryable(int code, long http, const char *msg)
{
	return http >= 500 || code == ETCD_CODE_UNAVAILABLE ||
	       code == ETCD_CODE_DEADLINE_EXCEEDED || strstr(msg, "no leader") != NULL ||
	       strstr(msg, "not capable") != NULL || strstr(msg, "leader changed") != NULL ||
	       strstr(msg, "timed out") != NULL;
}

static bool error_is_auth(int code, const char *msg)
{
	return code == ETCD_CODE_UNAUTHENTICATED || strstr(msg, "invalid auth token") != NULL ||
	       strstr(msg, "user name is empty") != NULL;
}

/* The reply's header: top-level, or inside "result" (keepalive). */
static bool reply_header(const json_t *reply, struct etcd_header *hdr)
{
	const json_t *r = json_object_get(reply, "result");

	return etcd_json_header(r != NULL ? r : reply, hdr, NULL, 0);
}

/*
 * The stale-member guard (Patroni 4.1): within one etcd cluster raft terms only grow,
 * so a reply carrying a lower term than one already seen comes from a member that has
 * not caught up. With "hasleader" this is rare; it is cheap to check.
 */
static bool term_is_stale(struct etcd *c, const json_t *reply)
{
	struct etcd_header h;

	if (!reply_header(reply, &h) || h.cluster_id == 0)
		return false;
	if (h.cluster_id != c->cluster_id) {
		c->cluster_id = h.cluster_id;
		c->raft_term = h.raft_term;
		return false;
	}
	if (h.raft_term < c->raft_term) {
		c->stale_term = h.raft_term;
		return true;
	}
	c->raft_term = h.raft_term;
	return false;
}

static CURLcode perform(struct etcd *c, const char *url, const char *body, int timeout_ms)
{
	buf_reset(&c->reply);
	c->curl_err[0] = '\0';
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	http_easy_timeouts(c->curl, timeout_ms, timeout_ms);
	return curl_easy_perform(c->curl);
}

/* Classifies an error answer; records and logs definite ones. */
static enum attempt error_answer(struct etcd *c, int idx, const char *path, long http, int code,
                                 const char *msg, char *why, size_t whylen)
{
	if (error_is_retryable(code, http, msg)) {
		snprintf(why, whylen, "%s", msg);
		return ATTEMPT_RETRY;
	}
	if (error_is_auth(code, msg) && c->username != NULL)
		return ATTEMPT_AUTH;
	c->err_code = code;
	snprintf(c->err_msg, sizeof(c->err_msg), "%s", msg);
	log_warn("etcd %s: %s: %s (code %d)", c->endpoints[idx].url, path, msg, code);
	return ATTEMPT_FAILED;
}

static enum attempt attempt_once(struct etcd *c, int idx, const char *path, const char *body,
                                 int timeout_ms, json_t **reply, char *why, size_t whylen)
{
	char *url = xasprintf("%s%s", c->endpoints[idx].url, path);
	CURLcode rc = perform(c, url, body, timeout_ms);
	long http = 0;
	json_t *j;
	int code;
	char msg[ERR_LEN];

	free(url);
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", http_easy_error(c->curl_err, rc));
		return ATTEMPT_RETRY;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &http);
	j = json_loadb(c->reply.data, c->reply.len, 0, NULL);
	if (j == NULL) {
		snprintf(why, whylen, "HTTP %ld with a reply that is not JSON", http);
		return ATTEMPT_RETRY;
	}
	if (etcd_json_error(j, &code, msg, sizeof(msg))) {
		json_decref(j);
		return error_answer(c, idx, path, http, code, msg, why, whylen);
	}
	if (http != 200) {
		json_decref(j);
		snprintf(why, whylen, "HTTP %ld", http);
		return ATTEMPT_RETRY;
	}
	if (term_is_stale(c, j)) {
		json_decref(j);
		snprintf(why, whylen, "stale member (raft term %" PRIu64 " < %" PRIu64 ")",
		         c->stale_term, c->raft_term);
		return ATTEMPT_STALE;
	}
	*reply = j;
	return ATTEMPT_OK;
}

/* --- authentication ---------------------------------------------------------------------- */

static void set_token(struct etcd *c, const char *token)
{
	snprintf(c->token, sizeof(c->token), "%s", token);
	curl_slist_free_all(c->headers);
	c->headers = make_headers(token);
}

/* POST /v3/auth/authenticate on endpoint idx; the token then goes on every request. */
static enum attempt authenticate(struct etcd *c, int idx, int timeout_ms, char *why, size_t whylen)
{
	json_t *req = etcd_json_auth_req(c->username, c->password);
	char *body = json_dumps(req, JSON_COMPACT);
	json_t *reply = NULL;
	enum attempt a;
	char token[TOKEN_LEN];

	json_decref(req);
	set_token(c, ""); /* an expired token must not be sent with the authentication */
	a = attempt_once(c, idx, "/v3/auth/authenticate", body, timeout_ms, &reply, why, whylen);
	free(body);
	if (a == ATTEMPT_AUTH) /* credentials refused */
		a = ATTEMPT_FAILED;
	if (a != ATTEMPT_OK)
		return a;
	if (!etcd_json_auth_reply(reply, token, sizeof(token), why, whylen)) {
		a = ATTEMPT_RETRY;
	} else {
		set_token(c, token);
		log_debug("etcd %s: authenticated as %s", c->endpoints[idx].url, c->username);
	}
	json_decref(reply);
	return a;
}

/* --- calls with failover ------------------------------------------------------------------ */

static void note_failure(struct etcd *c, int idx, const char *path, const char *why)
{
	struct endpoint *ep = &c->endpoints[idx];
	const char *next = c->pinned ? "" : "; trying the next endpoint";

	/* Warn once per failing episode of an endpoint; the rest is debug noise. */
	if (!ep->failing)
		log_warn("etcd %s: %s: %s%s", ep->url, path, why, next);
	else
		log_debug("etcd %s: %s: %s%s", ep->url, path, why, next);
	ep->failing = true;
}

static void note_success(struct etcd *c, int idx)
{
	struct endpoint *ep = &c->endpoints[idx];

	if (ep->failing)
		log_info("etcd %s: answering again", ep->url);
	ep->failing = false;
	c->current = idx;
	c->outage_logged_ms = 0;
}

static bool aborted(const struct etcd *c)
{
	return c->abort != NULL && atomic_load(c->abort);
}

/* One attempt, authenticating first when needed (at most once per attempt). */
static enum attempt attempt_auth(struct etcd *c, int idx, const char *path, const char *body,
                                 int timeout_ms, json_t **reply, char *why, size_t whylen)
{
	enum attempt a = ATTEMPT_AUTH;

	if (c->username == NULL || c->token[0] != '\0')
		a = attempt_once(c, idx, path, body, timeout_ms, reply, why, whylen);
	if (a == ATTEMPT_AUTH) {
		a = authenticate(c, idx, timeout_ms, why, whylen);
		if (a == ATTEMPT_OK)
			a = attempt_once(c, idx, path, body, timeout_ms, reply, why, whylen);
		if (a == ATTEMPT_AUTH)
			a = ATTEMPT_FAILED;
	}
	return a;
}

struct round {
	bool stale_seen;     /* a reply was refused for its raft term in this round */
	uint64_t stale_term; /* the highest such term */
};

/*
 * After every endpoint failed once: if some refusals were only for a lower raft term,
 * our remembered term itself is suspect (a member that campaigned alone raised it),
 * so accept the best term of this round from now on.
 */
static void end_of_round(struct etcd *c, struct round *r, int64_t deadline_ms)
{
	int64_t left_ms = deadline_ms - clock_now_ms();

	if (r->stale_seen)
		c->raft_term = r->stale_term;
	memset(r, 0, sizeof(*r));
	if (left_ms > 0)
		clock_sleep_ms(MIN(ROUND_PAUSE_MS, left_ms));
}

/* log_outage: once when etcd becomes unreachable, then every 30 s while it stays so. */
static void log_outage(struct etcd *c, const char *path, const char *why)
{
	int64_t now = clock_now_ms();

	if (c->outage_logged_ms != 0 && now - c->outage_logged_ms < 30000) {
		log_debug("etcd: no endpoint answered %s (%s)", path, why);
		return;
	}
	log_error("etcd: no endpoint answered %s within %d ms (last error: %s); retrying", path,
	          c->op_timeout_ms, why);
	c->outage_logged_ms = now;
}

static enum etcd_status call_locked(struct etcd *c, const char *path, const char *body,
                                    json_t **reply)
{
	int64_t deadline_ms = clock_now_ms() + c->op_timeout_ms;
	struct round round = {0};
	char why[ERR_LEN] = "";

	for (int attempt = 0;; attempt++) {
		int idx = (c->current + attempt) % c->n_endpoints;
		int64_t left_ms = deadline_ms - clock_now_ms();
		enum attempt a;

		if ((attempt > 0 && left_ms <= 0) || aborted(c))
			break;
		a = attempt_auth(c, idx, path, body,
		                 (int)MIN(c->request_timeout_ms, MAX(left_ms, 1)), reply, why,
		                 sizeof(why));
		if (a == ATTEMPT_OK || a == ATTEMPT_FAILED) {
			note_success(c, idx);
			return a == ATTEMPT_OK ? ETCD_OK : ETCD_FAILED;
		}
		note_failure(c, idx, path, why);
		if (a == ATTEMPT_STALE) {
			round.stale_seen = true;
			round.stale_term = MAX(round.stale_term, c->stale_term);
		}
		if (c->pinned)
			break;
		if ((attempt + 1) % c->n_endpoints == 0)
			end_of_round(c, &round, deadline_ms);
	}
	if (!aborted(c) && !c->pinned) /* a pinned attempt's failure is logged above */
		log_outage(c, path, why);
	return ETCD_UNAVAILABLE;
}

/* call: POST body (consumed) to path; *reply owned on ETCD_OK. */
static enum etcd_status call(struct etcd *c, const char *path, json_t *req, json_t **reply)
{
	char *body = json_dumps(req, JSON_COMPACT);
	enum etcd_status st;

	json_decref(req);
	*reply = NULL;
	pthread_mutex_lock(&c->mu);
	c->err_code = 0;
	c->err_msg[0] = '\0';
	st = call_locked(c, path, body, reply);
	/* Decided under the lock: the error fields belong to this call only until then. */
	if (st == ETCD_FAILED && error_is_lease_not_found(c))
		st = ETCD_NO_LEASE;
	pthread_mutex_unlock(&c->mu);
	free(body);
	return st;
}

/* A 200 reply that does not decode is a protocol error: logged, reported as FAILED. */
static enum etcd_status bad_reply(struct etcd *c, const char *path, const char *err)
{
	c->err_code = -1;
	snprintf(c->err_msg, sizeof(c->err_msg), "malformed reply: %s", err);
	log_error("etcd %s: %s: malformed reply: %s", etcd_endpoint(c), path, err);
	return ETCD_FAILED;
}

/* --- operations ---------------------------------------------------------------------------- */

enum etcd_status etcd_range(struct etcd *c, const struct etcd_range_req *req, struct etcd_kvs *out,
                            struct etcd_header *hdr)
{
	json_t *reply;
	char err[ERR_LEN];
	enum etcd_status st = call(c, "/v3/kv/range", etcd_json_range_req(req), &reply);

	if (st != ETCD_OK)
		return st;
	if (!etcd_json_header(reply, hdr, err, sizeof(err)) ||
	    !etcd_json_range_reply(reply, out, err, sizeof(err)))
		st = bad_reply(c, "/v3/kv/range", err);
	json_decref(reply);
	return st;
}

enum etcd_status etcd_put(struct etcd *c, const char *key, const char *value, int64_t lease,
                          int64_t *revision)
{
	json_t *reply;
	struct etcd_header hdr;
	enum etcd_status st = call(c, "/v3/kv/put", etcd_json_put_req(key, value, lease), &reply);

	if (st == ETCD_OK && revision != NULL)
		*revision = etcd_json_header(reply, &hdr, NULL, 0) ? hdr.revision : 0;
	json_decref(reply);
	return st;
}

enum etcd_status etcd_delete(struct etcd *c, const char *key, const char *range_end,
                             int64_t *deleted)
{
	json_t *reply;
	enum etcd_status st =
	    call(c, "/v3/kv/deleterange", etcd_json_delete_req(key, range_end), &reply);
	const json_t *d = json_object_get(reply, "deleted");

	if (st == ETCD_OK && deleted != NULL)
		*deleted = json_is_string(d) ? strtoll(json_string_value(d), NULL, 10)
		                             : json_integer_value(d);
	json_decref(reply);
	return st;
}

enum etcd_status etcd_txn(struct etcd *c, const struct etcd_txn_req *req,
                          struct etcd_txn_reply *out)
{
	json_t *reply;
	char err[ERR_LEN];
	enum etcd_status st = call(c, "/v3/kv/txn", etcd_json_txn_req(req), &reply);

	if (st == ETCD_OK && !etcd_json_txn_reply(reply, out, err, sizeof(err)))
		st = bad_reply(c, "/v3/kv/txn", err);
	json_decref(reply);
	return st;
}

enum etcd_status etcd_lease_grant(struct etcd *c, int ttl_s, int64_t *lease, int *granted_ttl_s)
{
	json_t *reply;
	char err[ERR_LEN];
	enum etcd_status st = call(c, "/v3/lease/grant", etcd_json_lease_grant_req(ttl_s), &reply);

	if (st == ETCD_OK &&
	    !etcd_json_lease_grant_reply(reply, lease, granted_ttl_s, err, sizeof(err)))
		st = bad_reply(c, "/v3/lease/grant", err);
	json_decref(reply);
	return st;
}

enum etcd_status etcd_lease_keepalive(struct etcd *c, int64_t lease, int *ttl_s)
{
	json_t *reply;
	char err[ERR_LEN];
	enum etcd_status st = call(c, "/v3/lease/keepalive", etcd_json_lease_id_req(lease), &reply);

	if (st == ETCD_OK && !etcd_json_keepalive_reply(reply, ttl_s, err, sizeof(err)))
		st = bad_reply(c, "/v3/lease/keepalive", err);
	json_decref(reply);
	return st;
}

enum etcd_status etcd_lease_revoke(struct etcd *c, int64_t lease)
{
	json_t *reply;
	enum etcd_status st = call(c, "/v3/lease/revoke", etcd_json_lease_id_req(lease), &reply);

	json_decref(reply);
	return st;
}

/* --- watch stream ---------------------------------------------------------------------------- */

struct etcd_watch {
	CURL *easy;
	CURLM *multi;
	struct curl_slist *headers; /* own copy: the client may re-authenticate meanwhile */
	char *body;
	char *url;
	struct etcd_stream stream;
	etcd_watch_fn *fn;
	void *arg;
	bool stopped; /* ended on our side (fn, an error message): already logged */
	char curl_err[CURL_ERROR_SIZE];
};

static bool watch_deliver(const json_t *j, void *arg)
{
	struct etcd_watch *w = arg;
	struct etcd_watch_msg msg;
	char err[ERR_LEN];
	int code;
	bool more;

	if (etcd_json_error(j, &code, err, sizeof(err))) {
		log_warn("etcd %s: watch: %s (code %d)", w->url, err, code);
		return false;
	}
	if (!etcd_json_watch_msg(j, &msg, err, sizeof(err))) {
		log_warn("etcd %s: watch: malformed message: %s", w->url, err);
		return false;
	}
	more = w->fn(&msg, w->arg);
	etcd_watch_msg_free(&msg);
	return more;
}

static size_t watch_data(char *data, size_t size, size_t n, void *arg)
{
	struct etcd_watch *w = arg;
	char err[ERR_LEN];

	switch (etcd_stream_feed(&w->stream, data, size * n, watch_deliver, w, err, sizeof(err))) {
	case ETCD_STREAM_OK:
		return size * n;
	case ETCD_STREAM_BAD:
		log_warn("etcd %s: watch: %s", w->url, err);
		break;
	case ETCD_STREAM_STOPPED:
	case ETCD_STREAM__COUNT:
		break;
	}
	w->stopped = true;
	return 0;
}

struct etcd_watch *etcd_watch_open(struct etcd *c, const char *key, const char *range_end,
                                   int64_t start_revision, etcd_watch_fn *fn, void *arg)
{
	struct etcd_watch *w = xcalloc(1, sizeof(*w));
	json_t *req = etcd_json_watch_req(key, range_end, start_revision, true);

	pthread_mutex_lock(&c->mu);
	w->url = xasprintf("%s/v3/watch", etcd_endpoint(c));
	w->headers = make_headers(c->token);
	long connect_ms = c->request_timeout_ms;
	pthread_mutex_unlock(&c->mu);
	w->body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	w->fn = fn;
	w->arg = arg;
	etcd_stream_init(&w->stream, MAX_REPLY_BYTES);
	w->easy = curl_easy_init();
	common_options(w->easy, w->curl_err, &c->tls);
	curl_easy_setopt(w->easy, CURLOPT_URL, w->url);
	curl_easy_setopt(w->easy, CURLOPT_HTTPHEADER, w->headers);
	curl_easy_setopt(w->easy, CURLOPT_POSTFIELDS, w->body);
	curl_easy_setopt(w->easy, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(w->easy, CURLOPT_WRITEFUNCTION, watch_data);
	curl_easy_setopt(w->easy, CURLOPT_WRITEDATA, w);
	w->multi = curl_multi_init();
	curl_multi_add_handle(w->multi, w->easy);
	return w;
}

/* The transfer finished: say why, unless watch_data already did. */
static void watch_log_end(struct etcd_watch *w)
{
	CURLMsg *m;
	int left;

	if (w->stopped)
		return;
	while ((m = curl_multi_info_read(w->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		if (m->data.result == CURLE_OK)
			log_warn("etcd %s: watch stream closed by etcd", w->url);
		else
			log_warn("etcd %s: watch stream: %s", w->url,
			         http_easy_error(w->curl_err, m->data.result));
	}
	w->stopped = true;
}

bool etcd_watch_run(struct etcd_watch *w, int timeout_ms, int wake_fd)
{
	struct curl_waitfd extra = {.fd = wake_fd, .events = CURL_WAIT_POLLIN};
	int running = 0;

	if (w->stopped)
		return false;
	curl_multi_perform(w->multi, &running);
	if (running > 0) {
		curl_multi_poll(w->multi, &extra, wake_fd >= 0 ? 1 : 0, timeout_ms, NULL);
		curl_multi_perform(w->multi, &running);
	}
	if (running == 0)
		watch_log_end(w);
	return running > 0 && !w->stopped;
}

void etcd_watch_close(struct etcd_watch *w)
{
	if (w == NULL)
		return;
	curl_multi_remove_handle(w->multi, w->easy);
	curl_easy_cleanup(w->easy);
	curl_multi_cleanup(w->multi);
	curl_slist_free_all(w->headers);
	etcd_stream_deinit(&w->stream);
	free(w->body);
	free(w->url);
	free(w);
}
