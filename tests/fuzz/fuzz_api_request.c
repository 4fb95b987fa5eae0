/*
 * fuzz_api_request.c: the REST API's request side: the route of any method and path
 * (api_route_find) and the body of every unsafe request (api_request_parse): a
 * validated request or an HTTP error status with a message, never a crash; every
 * accepted value within its field.
 *
 * Input: one byte of mode (op or route), one of flags, then the body or "METHOD path".
 */
#include "api/api.h"
#include "api/api_request.h"
#include "api/api_route.h"
#include "fuzz.h"

#define NOW_EPOCH_MS 1780000000000LL

static void route(const char *text)
{
	const char *sp = strchr(text, ' ');
	char method[32];
	struct api_route r;

	if (sp == NULL || (size_t)(sp - text) >= sizeof(method))
		return;
	memcpy(method, text, (size_t)(sp - text));
	method[sp - text] = '\0';
	api_route_find(method, sp + 1, &r);
}

static void request(enum api_op op, bool paused, const char *body, size_t len)
{
	struct api_request_input in = {.op = op,
	                               .body = body,
	                               .body_len = len,
	                               .paused = paused,
	                               .now_epoch_ms = NOW_EPOCH_MS};
	struct api_request req;
	char msg[256];
	int status;

	memset(&req, 0, sizeof(req));
	status = api_request_parse(&in, &req, msg, sizeof(msg));
	if (status == 0) {
		FUZZ_CHECK(fuzz_terminated(req.leader) && fuzz_terminated(req.candidate));
		FUZZ_CHECK(fuzz_terminated(req.scheduled_at) && fuzz_terminated(req.role));
		FUZZ_CHECK(req.timeout_s >= 0);
		FUZZ_CHECK(req.scheduled_at[0] == '\0' || req.scheduled_at_epoch_ms > NOW_EPOCH_MS);
	} else {
		FUZZ_CHECK(status >= 400 && status <= 599 && fuzz_terminated(msg));
	}
	api_request_free(&req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 2)
		return 0;
	text = fuzz_text(data + 2, size - 2);
	if (data[0] == 0xff)
		route(text);
	else
		request((enum api_op)(data[0] % API_OP__COUNT), data[1] & 1,
		        data[1] & 2 ? NULL : text, size - 2);
	free(text);
	return 0;
}
