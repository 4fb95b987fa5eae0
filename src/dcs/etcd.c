/*
 * etcd.c: the etcd v3 gateway client: endpoints, hedged requests, authentication, the
 * request/response plumbing and the watch stream, on libcurl.
 *
 * Does: one libcurl multi handle per client, whose attempts (easy handles, kept and
 * reused) share its keep-alive connections; per-attempt deadlines in ms; reads and
 * keepalives hedged to the next member after the hedge delay and writes repeated only
 * where a second copy cannot do harm (etcd_hedge.h has the rules); the raft-term guard
 * against stale members; logging each failure once with its endpoint. Does not: build
 * or decode message bodies (etcd_json.c) or know what the keys mean.
 */
#include "dcs/etcd.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "dcs/etcd_hedge.h"
#include "http/http.h"
#include "log/log.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define MAX_REPLY_BYTES (64u << 20) /* a reply larger than this is refused */
#define TOKEN_LEN       512
#define ERR_LEN         256
#define ENDPOINT_MAX    ETCD_HEDGE_MAX_MEMBERS
#define MAX_ATTEMPTS    (ENDPOINT_MAX * ETCD_HEDGE_PER_MEMBER)
#define IDLE_POLL_MS    10 /* nothing out and nobody to ask yet: look again this soon */

struct endpoint {
	char *url;    /* "http://host:port", no trailing slash */
	bool failing; /* the last attempt failed (logged once per episode) */
};

/* One request on one member: an easy handle of the multi handle, reused across calls. */
struct attempt {
	CURL *easy; /* NULL until first used */
	bool out;   /* added to the multi handle, not finished */
	int ep;
	struct buf reply;
	struct http_body sink;
	char curl_err[CURL_ERROR_SIZE];
};

struct etcd {
	pthread_mutex_t mu; /* serialises calls: one multi handle, one connection cache */
	CURL *curl;         /* serial requests: authentication */
	CURLM *multi;       /* a call's attempts */
	struct attempt attempts[MAX_ATTEMPTS];
	struct curl_slist *headers; /* content type, hasleader, auth token */
	struct endpoint endpoints[ENDPOINT_MAX];
	struct etcd_hedge_member members[ENDPOINT_MAX]; /* what etcd_hedge.c ranks */
	int n_endpoints;
	atomic_int current; /* the endpoint that answered last (read by log lines anywhere) */
	int request_timeout_ms;
	int op_timeout_ms;
	int op_timeout_set_ms; /* as configured, 0 = derived */
	int hedge_ms;
	bool pinned;
	const atomic_bool *abort;
	char *username;
	char *password;
	struct tls_client tls; /* https: given to every handle (http.h) */
	char token[TOKEN_LEN]; /* "" until authenticated */
	struct buf reply;      /* body of a serial reply */
	struct http_body sink; /* reply, at most MAX_REPLY_BYTES */
	char curl_err[CURL_ERROR_SIZE];
	uint64_t cluster_id;      /* raft terms are compared within one cluster */
	int64_t outage_logged_ms; /* when "no endpoint answered" was last logged, 0 = up */
	uint64_t raft_term;       /* highest seen */
	uint64_t stale_term;      /* term of the last reply refused as stale */
	int err_code;             /* last ETCD_FAILED answer */
	char err_msg[ERR_LEN + 32];
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

/* Options shared by the request handles and watch handles: pgha's (http.h), then etcd's. */
static void common_options(CURL *h, char *errbuf, const struct tls_client *tls)
{
	http_easy_setup(h, errbuf, tls);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 2L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 1L);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
}

/* request_options: a request handle's options: common ones, its reply sink, the abort. */
static void request_options(struct etcd *c, CURL *h, char *errbuf, struct http_body *sink)
{
	common_options(h, errbuf, &c->tls);
	http_easy_body(h, sink);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, check_abort);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
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
	c->sink = (struct http_body){.buf = &c->reply, .max_bytes = MAX_REPLY_BYTES};
	c->curl = curl_easy_init();
	request_options(c, c->curl, c->curl_err, &c->sink);
	c->multi = curl_multi_init();
	for (int i = 0; i < MAX_ATTEMPTS; i++)
		buf_init(&c->attempts[i].reply);
	c->headers = make_headers(NULL);
	c->hedge_ms = opt->hedge_ms;
	etcd_set_timeouts(c, opt->request_timeout_ms, opt->op_timeout_ms);
	return c;
}

void etcd_free(struct etcd *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < MAX_ATTEMPTS; i++) {
		struct attempt *a = &c->attempts[i];

		if (a->out)
			curl_multi_remove_handle(c->multi, a->easy);
		if (a->easy != NULL)
			curl_easy_cleanup(a->easy);
		buf_free(&a->reply);
	}
	curl_multi_cleanup(c->multi);
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

/*
 * The hedge delay: the option when set, else a third of the attempt deadline (so that
 * the next member is asked well before the first attempt gives up), at least 50 ms.
 */
static void derive_timing(struct etcd *c)
{
	c->op_timeout_ms = c->op_timeout_set_ms > 0 ? c->op_timeout_set_ms
	                                            : c->request_timeout_ms * c->n_endpoints;
	if (c->hedge_ms <= 0)
		c->hedge_ms = MAX(50, c->request_timeout_ms / 3);
}

void etcd_set_timeouts(struct etcd *c, int request_timeout_ms, int op_timeout_ms)
{
	pthread_mutex_lock(&c->mu);
	if (request_timeout_ms > 0)
		c->request_timeout_ms = request_timeout_ms;
	else if (c->request_timeout_ms <= 0)
		c->request_timeout_ms = 1000;
	c->op_timeout_set_ms = MAX(op_timeout_ms, 0);
	derive_timing(c);
	pthread_mutex_unlock(&c->mu);
}

void etcd_set_hedge(struct etcd *c, int hedge_ms)
{
	pthread_mutex_lock(&c->mu);
	c->hedge_ms = hedge_ms;
	derive_timing(c);
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

/*
 * etcd_next_endpoint: the member the watch stream was on let it down; it counts as
 * failing, so that the best other member becomes current.
 */
void etcd_next_endpoint(struct etcd *c)
{
	int order[ENDPOINT_MAX];

	pthread_mutex_lock(&c->mu);
	c->members[c->current].last_fail_ms = clock_now_ms();
	etcd_hedge_rank(c->members, c->n_endpoints, order);
	c->current = order[0];
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

/* --- one reply ------------------------------------------------------------------------- */

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

/* Records and logs a definite error answer: the call's result. */
static void definite_error(struct etcd *c, int idx, const char *path, int code, const char *msg)
{
	c->err_code = code;
	snprintf(c->err_msg, sizeof(c->err_msg), "%s", msg);
	log_warn("etcd %s: %s: %s (code %d)", c->endpoints[idx].url, path, msg, code);
}

/* The request a finished transfer carried. */
struct transfer {
	int idx;          /* endpoint */
	const char *path; /* "/v3/kv/range" */
	CURL *easy;
	const char *errbuf; /* libcurl's message for rc */
	CURLcode rc;
	const struct buf *body; /* what came back */
	bool check_term;        /* a read: refuse a stale member's reply */
};

/* decode: what a finished transfer means; *reply (owned) on ETCD_ANSWER_OK. */
static enum etcd_answer decode(struct etcd *c, const struct transfer *t, json_t **reply, char *why,
                               size_t whylen)
{
	long http = 0, sent = 0;
	json_t *j;
	int code;
	char msg[ERR_LEN];

	if (t->rc != CURLE_OK) {
		curl_easy_getinfo(t->easy, CURLINFO_REQUEST_SIZE, &sent);
		snprintf(why, whylen, "%s", http_easy_error(t->errbuf, t->rc));
		return etcd_hedge_classify_transport(sent > 0);
	}
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &http);
	j = json_loadb(t->body->data, t->body->len, 0, NULL);
	if (j == NULL) {
		snprintf(why, whylen, "HTTP %ld with a reply that is not JSON", http);
		return ETCD_ANSWER_UNKNOWN;
	}
	if (etcd_json_error(j, &code, msg, sizeof(msg))) {
		enum etcd_answer a = etcd_hedge_classify_error(http, code, msg);

		json_decref(j);
		snprintf(why, whylen, "%s", msg);
		if (a == ETCD_ANSWER_AUTH && c->username == NULL)
			a = ETCD_ANSWER_DEFINITE; /* no credentials to offer */
		if (a == ETCD_ANSWER_DEFINITE)
			definite_error(c, t->idx, t->path, code, msg);
		return a;
	}
	if (http != 200) {
		json_decref(j);
		snprintf(why, whylen, "HTTP %ld", http);
		return ETCD_ANSWER_UNKNOWN;
	}
	if (t->check_term && term_is_stale(c, j)) {
		json_decref(j);
		snprintf(why, whylen, "stale member (raft term %" PRIu64 " < %" PRIu64 ")",
		         c->stale_term, c->raft_term);
		return ETCD_ANSWER_STALE;
	}
	*reply = j;
	return ETCD_ANSWER_OK;
}

static bool aborted(const struct etcd *c)
{
	return c->abort != NULL && atomic_load(c->abort);
}

/* --- authentication (serial, on the client's own handle) ----------------------------------- */

static void set_token(struct etcd *c, const char *token)
{
	snprintf(c->token, sizeof(c->token), "%s", token);
	curl_slist_free_all(c->headers);
	c->headers = make_headers(token);
}

static enum etcd_answer serial_request(struct etcd *c, int idx, const char *path, const char *body,
                                       json_t **reply, char *why, size_t whylen)
{
	char *url = xasprintf("%s%s", c->endpoints[idx].url, path);
	struct transfer t = {
	    .idx = idx, .path = path, .easy = c->curl, .errbuf = c->curl_err, .body = &c->reply};

	buf_reset(&c->reply);
	c->curl_err[0] = '\0';
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	http_easy_timeouts(c->curl, c->request_timeout_ms, c->request_timeout_ms);
	t.rc = curl_easy_perform(c->curl);
	free(url);
	return decode(c, &t, reply, why, whylen);
}

/* POST /v3/auth/authenticate on endpoint idx; the token then goes on every request. */
static bool authenticate(struct etcd *c, int idx, char *why, size_t whylen)
{
	json_t *req = etcd_json_auth_req(c->username, c->password);
	char *body = json_dumps(req, JSON_COMPACT);
	json_t *reply = NULL;
	enum etcd_answer a;
	char token[TOKEN_LEN];
	bool ok = false;

	json_decref(req);
	set_token(c, ""); /* an expired token must not be sent with the authentication */
	a = serial_request(c, idx, "/v3/auth/authenticate", body, &reply, why, whylen);
	free(body);
	if (a == ETCD_ANSWER_OK && etcd_json_auth_reply(reply, token, sizeof(token), why, whylen)) {
		set_token(c, token);
		log_debug("etcd %s: authenticated as %s", c->endpoints[idx].url, c->username);
		ok = true;
	} else if (a == ETCD_ANSWER_AUTH) { /* credentials refused */
		definite_error(c, idx, "/v3/auth/authenticate", ETCD_CODE_UNAUTHENTICATED, why);
	}
	json_decref(reply);
	return ok;
}

/*
 * authenticate_any: a token from the first member, in preference order, that answers;
 * false when none did or the credentials were refused (err_code set).
 */
static bool authenticate_any(struct etcd *c, char *why, size_t whylen)
{
	int order[ENDPOINT_MAX];

	etcd_hedge_rank(c->members, c->n_endpoints, order);
	for (int k = 0; k < c->n_endpoints && c->err_code == 0 && !aborted(c); k++) {
		if (authenticate(c, order[k], why, whylen))
			return true;
		c->members[order[k]].last_fail_ms = clock_now_ms();
	}
	return false;
}

/* --- failures and successes ---------------------------------------------------------------- */

static void note_failure(struct etcd *c, int idx, const char *path, const char *why, bool more)
{
	struct endpoint *ep = &c->endpoints[idx];
	const char *next = more ? "; trying the next endpoint" : "";

	c->members[idx].last_fail_ms = clock_now_ms();
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
	c->members[idx].last_ok_ms = clock_now_ms();
	c->members[idx].stale = false;
	c->current = idx;
	c->outage_logged_ms = 0;
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

/* --- one call: attempts on the members, hedged as its policy allows ------------------------------
 */

struct call {
	const char *path;
	const char *body;
	enum etcd_hedge_policy policy;
	int64_t deadline_ms;
	int64_t next_launch_ms;
	struct etcd_hedge_call hedge;
	int n_out;
	int n_failed;        /* attempts that failed */
	bool stale_seen;     /* a reply was refused for its raft term */
	uint64_t stale_term; /* the highest such term */
	bool done;
	bool need_auth;
	enum etcd_status status;
	json_t *reply; /* owned on ETCD_OK */
	char why[ERR_LEN];
};

static struct attempt *free_attempt(struct etcd *c)
{
	for (int i = 0; i < MAX_ATTEMPTS; i++) {
		struct attempt *a = &c->attempts[i];

		if (a->out)
			continue;
		if (a->easy == NULL) {
			a->easy = curl_easy_init();
			a->sink =
			    (struct http_body){.buf = &a->reply, .max_bytes = MAX_REPLY_BYTES};
			request_options(c, a->easy, a->curl_err, &a->sink);
		}
		return a;
	}
	return NULL;
}

static void launch(struct etcd *c, struct call *k, int idx, int64_t now)
{
	struct attempt *a = free_attempt(c);
	int timeout_ms = (int)MIN(c->request_timeout_ms, MAX(k->deadline_ms - now, 1));
	char *url;

	if (a == NULL || a->easy == NULL)
		return; /* every handle is out: the call waits for one to finish */
	url = xasprintf("%s%s", c->endpoints[idx].url, k->path);
	buf_reset(&a->reply);
	a->curl_err[0] = '\0';
	a->ep = idx;
	curl_easy_setopt(a->easy, CURLOPT_URL, url);
	curl_easy_setopt(a->easy, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(a->easy, CURLOPT_POSTFIELDS, k->body);
	curl_easy_setopt(a->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(k->body));
	http_easy_timeouts(a->easy, timeout_ms, timeout_ms);
	free(url);
	if (curl_multi_add_handle(c->multi, a->easy) != CURLM_OK)
		return;
	a->out = true;
	k->hedge.last_launch_ms[idx] = now;
	k->hedge.out[idx]++;
	k->n_out++;
}

/* retire: takes a out of the multi handle (an unfinished transfer closes its connection). */
static void retire(struct etcd *c, struct call *k, struct attempt *a)
{
	curl_multi_remove_handle(c->multi, a->easy);
	a->out = false;
	k->hedge.out[a->ep]--;
	k->n_out--;
}

/* maybe_launch: the next attempt, when the policy's schedule says it is due. */
static void maybe_launch(struct etcd *c, struct call *k, int64_t now)
{
	int idx;

	if (now < k->next_launch_ms)
		return;
	if (c->pinned)
		idx = k->hedge.last_launch_ms[c->current] == 0 ? c->current : -1;
	else
		idx = etcd_hedge_pick(c->members, c->n_endpoints, &k->hedge, now, c->hedge_ms);
	if (idx < 0) {
		k->next_launch_ms = c->pinned ? INT64_MAX : now + IDLE_POLL_MS;
		return;
	}
	launch(c, k, idx, now);
	k->next_launch_ms = etcd_hedge_next_ms(k->policy, now, c->hedge_ms);
}

/*
 * failed: an attempt on idx failed with a. Once every member has failed as often as
 * the round count says, a refusal that was only for a lower raft term makes the
 * remembered term suspect (a member that campaigned alone raised it): the best term of
 * this call is accepted from now on.
 */
static void failed(struct etcd *c, struct call *k, int idx, enum etcd_answer a)
{
	bool more = !c->pinned && etcd_hedge_retry(k->policy, a);

	note_failure(c, idx, k->path, k->why, more);
	if (a == ETCD_ANSWER_STALE) {
		c->members[idx].stale = true;
		k->stale_seen = true;
		k->stale_term = MAX(k->stale_term, c->stale_term);
	}
	if (++k->n_failed % c->n_endpoints == 0 && k->stale_seen) {
		c->raft_term = k->stale_term;
		for (int i = 0; i < c->n_endpoints; i++)
			c->members[i].stale = false;
		k->stale_seen = false;
	}
	if (more)
		k->next_launch_ms = MIN(k->next_launch_ms, clock_now_ms());
	else if (k->n_out == 0 && (c->pinned || k->policy == ETCD_HEDGE_ONCE))
		k->done = true; /* nothing more may be tried: unavailable, outcome unknown */
}

/* answered: one attempt finished with answer a. */
static void answered(struct etcd *c, struct call *k, int idx, enum etcd_answer a, json_t *reply)
{
	switch (a) {
	case ETCD_ANSWER_OK:
	case ETCD_ANSWER_DEFINITE:
		note_success(c, idx);
		k->status = a == ETCD_ANSWER_OK ? ETCD_OK : ETCD_FAILED;
		k->reply = reply;
		k->done = true;
		return;
	case ETCD_ANSWER_AUTH:
		k->need_auth = true;
		k->done = true;
		return;
	case ETCD_ANSWER_UNAPPLIED:
	case ETCD_ANSWER_UNKNOWN:
	case ETCD_ANSWER_STALE:
	case ETCD_ANSWER__COUNT:
		break;
	}
	failed(c, k, idx, a);
}

static struct attempt *attempt_of(struct etcd *c, CURL *easy)
{
	for (int i = 0; i < MAX_ATTEMPTS; i++)
		if (c->attempts[i].out && c->attempts[i].easy == easy)
			return &c->attempts[i];
	return NULL;
}

/* collect: every attempt that finished since the last look. */
static void collect(struct etcd *c, struct call *k)
{
	CURLMsg *m;
	int left;

	while (!k->done && (m = curl_multi_info_read(c->multi, &left)) != NULL) {
		struct attempt *a = m->msg == CURLMSG_DONE ? attempt_of(c, m->easy_handle) : NULL;
		struct transfer t;
		json_t *reply = NULL;
		enum etcd_answer ans;

		if (a == NULL)
			continue;
		t = (struct transfer){.idx = a->ep,
		                      .path = k->path,
		                      .easy = a->easy,
		                      .errbuf = a->curl_err,
		                      .rc = m->data.result,
		                      .body = &a->reply,
		                      .check_term = k->policy == ETCD_HEDGE_PARALLEL};
		retire(c, k, a);
		ans = decode(c, &t, &reply, k->why, sizeof(k->why));
		answered(c, k, t.idx, ans, reply);
	}
}

/* wait_ms: how long the call may sleep before something is due. */
static int wait_ms(const struct call *k, int64_t now)
{
	int64_t until = MIN(k->deadline_ms, k->next_launch_ms);

	return (int)MAX(MIN(until - now, 1000), 0);
}

static void run_call(struct etcd *c, struct call *k)
{
	int running;

	while (!k->done && !aborted(c)) {
		int64_t now = clock_now_ms();

		if (now >= k->deadline_ms)
			break;
		maybe_launch(c, k, now);
		if (k->n_out == 0) {
			if (k->next_launch_ms == INT64_MAX)
				break;
			clock_sleep_ms(MAX(MIN(k->next_launch_ms, k->deadline_ms) - now, 0));
			continue;
		}
		curl_multi_perform(c->multi, &running);
		collect(c, k);
		if (!k->done)
			curl_multi_poll(c->multi, NULL, 0, wait_ms(k, clock_now_ms()), NULL);
		curl_multi_perform(c->multi, &running);
		collect(c, k);
	}
	for (int i = 0; i < MAX_ATTEMPTS; i++) /* attempts nobody waits for any more */
		if (c->attempts[i].out)
			retire(c, k, &c->attempts[i]);
}

/* call_locked: one call, authenticating first (and again once if the token expired). */
static enum etcd_status call_locked(struct etcd *c, const char *path, const char *body,
                                    enum etcd_hedge_policy policy, json_t **reply)
{
	struct call k = {.path = path, .body = body, .policy = policy};

	k.status = ETCD_UNAVAILABLE;
	for (int round = 0; round < 2; round++) {
		bool auth_first = c->username != NULL && (c->token[0] == '\0' || k.need_auth);

		memset(&k.hedge, 0, sizeof(k.hedge));
		k.deadline_ms = clock_now_ms() + c->op_timeout_ms;
		k.next_launch_ms = 0;
		k.done = k.need_auth = false;
		if (auth_first && !authenticate_any(c, k.why, sizeof(k.why)))
			return c->err_code != 0 ? ETCD_FAILED : ETCD_UNAVAILABLE;
		run_call(c, &k);
		if (!k.need_auth)
			break;
	}
	*reply = k.reply;
	if (k.status == ETCD_UNAVAILABLE && k.need_auth)
		k.status = ETCD_FAILED; /* the token was refused twice */
	if (k.status == ETCD_UNAVAILABLE && !aborted(c) && !c->pinned)
		log_outage(c, path, k.why[0] ? k.why : "no answer in time");
	return k.status;
}

/*
 * call: POST req (consumed) to path with policy; *reply owned on ETCD_OK. A read's
 * policy is parallel whatever the caller asked.
 */
static enum etcd_status call(struct etcd *c, const char *path, json_t *req,
                             enum etcd_hedge_policy policy, json_t **reply)
{
	char *body = json_dumps(req, JSON_COMPACT);
	enum etcd_status st;

	json_decref(req);
	*reply = NULL;
	pthread_mutex_lock(&c->mu);
	c->err_code = 0;
	c->err_msg[0] = '\0';
	st = call_locked(c, path, body, policy, reply);
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
	enum etcd_status st =
	    call(c, "/v3/kv/range", etcd_json_range_req(req), ETCD_HEDGE_PARALLEL, &reply);

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
	enum etcd_status st =
	    call(c, "/v3/kv/put", etcd_json_put_req(key, value, lease), ETCD_HEDGE_ONCE, &reply);

	if (st == ETCD_OK && revision != NULL)
		*revision = etcd_json_header(reply, &hdr, NULL, 0) ? hdr.revision : 0;
	json_decref(reply);
	return st;
}

enum etcd_status etcd_delete(struct etcd *c, const char *key, const char *range_end,
                             int64_t *deleted)
{
	json_t *reply;
	enum etcd_status st = call(c, "/v3/kv/deleterange", etcd_json_delete_req(key, range_end),
	                           ETCD_HEDGE_ONCE, &reply);
	const json_t *d = json_object_get(reply, "deleted");

	if (st == ETCD_OK && deleted != NULL)
		*deleted = json_is_string(d) ? strtoll(json_string_value(d), NULL, 10)
		                             : json_integer_value(d);
	json_decref(reply);
	return st;
}

static bool ops_read_only(const struct etcd_op *ops, int n)
{
	for (int i = 0; i < n; i++)
		if (ops[i].type != ETCD_OP_RANGE)
			return false;
	return true;
}

/*
 * txn_policy: a transaction that only reads is hedged; one whose compares its own
 * writes falsify (req->retry_safe) may be sent again after a failure; any other write
 * goes to another member only when the first cannot have applied it.
 */
static enum etcd_hedge_policy txn_policy(const struct etcd_txn_req *req)
{
	if (ops_read_only(req->success, req->n_success) &&
	    ops_read_only(req->failure, req->n_failure))
		return ETCD_HEDGE_PARALLEL;
	return req->retry_safe ? ETCD_HEDGE_SERIAL : ETCD_HEDGE_ONCE;
}

enum etcd_status etcd_txn(struct etcd *c, const struct etcd_txn_req *req,
                          struct etcd_txn_reply *out)
{
	json_t *reply;
	char err[ERR_LEN];
	enum etcd_status st =
	    call(c, "/v3/kv/txn", etcd_json_txn_req(req), txn_policy(req), &reply);

	if (st == ETCD_OK && !etcd_json_txn_reply(reply, out, err, sizeof(err)))
		st = bad_reply(c, "/v3/kv/txn", err);
	json_decref(reply);
	return st;
}

enum etcd_status etcd_lease_grant(struct etcd *c, int ttl_s, int64_t *lease, int *granted_ttl_s)
{
	json_t *reply;
	char err[ERR_LEN];
	enum etcd_status st =
	    call(c, "/v3/lease/grant", etcd_json_lease_grant_req(ttl_s), ETCD_HEDGE_SERIAL, &reply);

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
	enum etcd_status st = call(c, "/v3/lease/keepalive", etcd_json_lease_id_req(lease),
	                           ETCD_HEDGE_PARALLEL, &reply);

	if (st == ETCD_OK && !etcd_json_keepalive_reply(reply, ttl_s, err, sizeof(err)))
		st = bad_reply(c, "/v3/lease/keepalive", err);
	json_decref(reply);
	return st;
}

enum etcd_status etcd_lease_revoke(struct etcd *c, int64_t lease)
{
	json_t *reply;
	enum etcd_status st =
	    call(c, "/v3/lease/revoke", etcd_json_lease_id_req(lease), ETCD_HEDGE_SERIAL, &reply);

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
