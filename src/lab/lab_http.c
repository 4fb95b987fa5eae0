/*
 * lab_http.c: a libcurl GET with a hard timeout.
 */
#include "lab/lab_http.h"

#include <curl/curl.h>
#include <stdio.h>

static size_t collect(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct buf *body = userdata;

	if (body)
		buf_append(body, data, size * nmemb);
	return size * nmemb;
}

bool lab_http_get(const char *url, int timeout_ms, long *status, struct buf *body, char *err,
                  size_t errlen)
{
	char curl_err[CURL_ERROR_SIZE] = "";
	CURL *curl = curl_easy_init();
	CURLcode rc;

	*status = 0;
	if (curl == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		return false;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*"); /* loopback only: never via a proxy */
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	else
		snprintf(err, errlen, "%s", curl_err[0] ? curl_err : curl_easy_strerror(rc));
	curl_easy_cleanup(curl);
	return rc == CURLE_OK;
}
