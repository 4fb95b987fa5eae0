/*
 * http.c: libcurl easy handles set up one way (see http.h).
 */
#include "http/http.h"

#include <stdio.h>
#include <stdlib.h>
#include "util/strutil.h"
#include "util/xalloc.h"

#define DEFAULT_CONNECT_MS 3000

bool http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

void http_global_cleanup(void)
{
	curl_global_cleanup();
}

/* libcurl copies every string option, so tls need not outlive the call. */
static void set_tls(CURL *h, const struct tls_client *tls)
{
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (tls == NULL)
		return;
	if (tls->cafile[0] != '\0') {
		curl_easy_setopt(h, CURLOPT_CAINFO, tls->cafile);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL); /* that CA only, not the system's too */
	}
	if (tls->certfile[0] != '\0') {
		curl_easy_setopt(h, CURLOPT_SSLCERT, tls->certfile);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
		if (tls->keyfile[0] != '\0')
			curl_easy_setopt(h, CURLOPT_SSLKEY, tls->keyfile);
		if (tls->key_password[0] != '\0')
			curl_easy_setopt(h, CURLOPT_KEYPASSWD, tls->key_password);
	}
	if (tls->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

void http_easy_setup(CURL *h, char *errbuf, const struct tls_client *tls)
{
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	if (errbuf != NULL) {
		errbuf[0] = '\0';
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	}
	set_tls(h, tls);
}

void http_easy_timeouts(CURL *h, int timeout_ms, int connect_timeout_ms)
{
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	                 (long)(connect_timeout_ms > 0 ? connect_timeout_ms : timeout_ms));
}

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
	struct http_body *b = arg;

	if (b->buf == NULL)
		return size * n;
	if (b->max_bytes > 0 && b->buf->len + size * n > b->max_bytes)
		return 0; /* libcurl fails the transfer: CURLE_WRITE_ERROR */
	buf_append(b->buf, data, size * n);
	return size * n;
}

void http_easy_body(CURL *h, struct http_body *b)
{
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
}

const char *http_easy_error(const char *errbuf, CURLcode rc)
{
	return errbuf != NULL && errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
}

static void set_request(CURL *curl, const struct http_req *req, struct curl_slist **headers)
{
	curl_easy_setopt(curl, CURLOPT_URL, req->url);
	http_easy_timeouts(curl, req->timeout_ms,
	                   req->connect_timeout_ms > 0 ? req->connect_timeout_ms
	                                               : MIN(req->timeout_ms, DEFAULT_CONNECT_MS));
	if (str_eq(req->method, "GET"))
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	else
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req->method);
	if (req->body != NULL) {
		*headers = curl_slist_append(*headers, "Content-Type: application/json");
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, *headers);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body);
	}
	if (req->user != NULL && req->user[0] != '\0') {
		curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(curl, CURLOPT_USERNAME, req->user);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, req->password ? req->password : "");
	}
}

bool http_request(const struct http_req *req, long *status, struct buf *body, char *err,
                  size_t errlen)
{
	char curl_err[CURL_ERROR_SIZE];
	struct http_body sink = {.buf = body};
	struct curl_slist *headers = NULL;
	CURL *curl = curl_easy_init();
	CURLcode rc;

	*status = HTTP_UNSENT;
	if (curl == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		return false;
	}
	http_easy_setup(curl, curl_err, req->tls);
	http_easy_body(curl, &sink);
	set_request(curl, req, &headers);
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	} else {
		long sent = 0;

		curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &sent);
		*status = sent > 0 ? 0 : HTTP_UNSENT;
		snprintf(err, errlen, "%s", http_easy_error(curl_err, rc));
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return rc == CURLE_OK;
}

/* One request of http_request_all: its handle, headers and body sink. */
struct parallel {
	CURL *curl;
	struct curl_slist *headers;
	struct http_body sink;
};

static bool tls_failure(CURLcode rc)
{
	return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR ||
	       rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CACERT_BADFILE;
}

static void finish_one(CURLM *multi, struct parallel *p, CURLcode rc, long *status)
{
	long sent = 0;

	if (rc == CURLE_OK) {
		curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, status);
	} else if (tls_failure(rc)) {
		*status = HTTP_TLS_FAILED;
	} else {
		curl_easy_getinfo(p->curl, CURLINFO_REQUEST_SIZE, &sent);
		*status = sent > 0 ? 0 : HTTP_UNSENT;
	}
	curl_multi_remove_handle(multi, p->curl);
}

static void run_all(CURLM *multi, struct parallel *ps, int n, long *status)
{
	int running = 0, left;
	CURLMsg *m;

	do {
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			break;
		while ((m = curl_multi_info_read(multi, &left)) != NULL) {
			for (int i = 0; m->msg == CURLMSG_DONE && i < n; i++)
				if (ps[i].curl == m->easy_handle)
					finish_one(multi, &ps[i], m->data.result, &status[i]);
		}
		if (running > 0)
			curl_multi_poll(multi, NULL, 0, 100, NULL);
	} while (running > 0);
}

void http_request_all(const struct http_req *reqs, int n, size_t max_body, long *status,
                      struct buf *bodies)
{
	CURLM *multi = curl_multi_init();
	struct parallel *ps = xcalloc((size_t)(n > 0 ? n : 1), sizeof(*ps));

	for (int i = 0; i < n; i++) {
		status[i] = HTTP_UNSENT;
		ps[i].sink = (struct http_body){bodies ? &bodies[i] : NULL, max_body};
		ps[i].curl = multi != NULL ? curl_easy_init() : NULL;
		if (ps[i].curl == NULL)
			continue;
		http_easy_setup(ps[i].curl, NULL, reqs[i].tls);
		http_easy_body(ps[i].curl, &ps[i].sink);
		set_request(ps[i].curl, &reqs[i], &ps[i].headers);
		curl_multi_add_handle(multi, ps[i].curl);
	}
	if (multi != NULL)
		run_all(multi, ps, n, status);
	for (int i = 0; i < n; i++) {
		if (ps[i].curl != NULL)
			curl_multi_remove_handle(multi, ps[i].curl); /* fine if already removed */
		curl_slist_free_all(ps[i].headers);
		curl_easy_cleanup(ps[i].curl);
	}
	free(ps);
	curl_multi_cleanup(multi);
}

bool http_get(const char *url, const struct tls_client *tls, int timeout_ms, long *status,
              struct buf *body, char *err, size_t errlen)
{
	struct http_req req = {.method = "GET", .url = url, .tls = tls, .timeout_ms = timeout_ms};

	return http_request(&req, status, body, err, errlen);
}
