/*
 * ops_http.c: libcurl easy requests with a hard timeout, never through a proxy (the
 * agents are addressed directly, as Patroni's members/<name> api_url says).
 */
#include "cli/ops_http.h"

#include <curl/curl.h>
#include <stdio.h>
#include "util/strutil.h"

static size_t collect(char *data, size_t size, size_t nmemb, void *userdata)
{
	if (userdata)
		buf_append(userdata, data, size * nmemb);
	return size * nmemb;
}

static void set_request(CURL *curl, const struct ops_http_req *req, struct curl_slist **headers)
{
	curl_easy_setopt(curl, CURLOPT_URL, req->url);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)MIN(req->timeout_ms, 3000));
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
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

bool ops_http_do(const struct ops_http_req *req, long *status, struct buf *body, char *err,
                 size_t errlen)
{
	char curl_err[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	CURL *curl = curl_easy_init();
	CURLcode rc;

	*status = 0;
	if (curl == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		return false;
	}
	set_request(curl, req, &headers);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	} else {
		long sent = 0;

		curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &sent);
		*status = sent > 0 ? 0 : OPS_HTTP_UNSENT;
		snprintf(err, errlen, "%s", curl_err[0] ? curl_err : curl_easy_strerror(rc));
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return rc == CURLE_OK;
}
