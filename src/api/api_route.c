/*
 * api_route.c: the routing table of the REST API (see api_route.h for the rules
 * and where they differ from Patroni's). Pure: no I/O, no allocation.
 */
#include "api/api_route.h"

#include <stdio.h>
#include <string.h>
#include "util/compiler.h"
#include "util/strutil.h"

struct route_row {
	const char *segment; /* first path segment */
	const char *method;
	enum api_endpoint ep;
	enum api_op op; /* for API_EP_OPERATION */
};

/* Named handlers; every other GET/HEAD/OPTIONS goes to the health handler. */
static const struct route_row routes[] = {
    {"patroni", "GET", API_EP_PATRONI, API_OP__COUNT},
    {"cluster", "GET", API_EP_CLUSTER, API_OP__COUNT},
    {"history", "GET", API_EP_HISTORY, API_OP__COUNT},
    {"config", "GET", API_EP_CONFIG, API_OP__COUNT},
    {"metrics", "GET", API_EP_METRICS, API_OP__COUNT},
    {"liveness", "GET", API_EP_LIVENESS, API_OP__COUNT},
    {"readiness", "GET", API_EP_READINESS, API_OP__COUNT},
    {"failsafe", "GET", API_EP_FAILSAFE, API_OP__COUNT},
    {"failsafe", "POST", API_EP_FAILSAFE_POST, API_OP__COUNT},
    {"switchover", "POST", API_EP_OPERATION, API_OP_SWITCHOVER},
    {"switchover", "DELETE", API_EP_OPERATION, API_OP_SWITCHOVER_CANCEL},
    {"failover", "POST", API_EP_OPERATION, API_OP_FAILOVER},
    {"restart", "POST", API_EP_OPERATION, API_OP_RESTART},
    {"restart", "DELETE", API_EP_OPERATION, API_OP_RESTART_CANCEL},
    {"reinitialize", "POST", API_EP_OPERATION, API_OP_REINITIALIZE},
    {"reload", "POST", API_EP_OPERATION, API_OP_RELOAD},
    {"config", "PATCH", API_EP_OPERATION, API_OP_CONFIG_PATCH},
    {"config", "PUT", API_EP_OPERATION, API_OP_CONFIG_PUT},
};

/* Methods with a handler somewhere; any other one is 501. */
static const char *const write_methods[] = {"POST", "PUT", "PATCH", "DELETE"};

static bool is_read_method(const char *method)
{
	return str_eq(method, "GET") || str_eq(method, "HEAD") || str_eq(method, "OPTIONS");
}

static bool is_write_method(const char *method)
{
	for (size_t i = 0; i < ARRAY_LEN(write_methods); i++) {
		if (str_eq(method, write_methods[i]))
			return true;
	}
	return false;
}

/* first_segment: Patroni's path.lstrip('/').split('/')[0], into out. */
static void first_segment(const char *path, char *out, size_t size)
{
	size_t len;

	while (*path == '/')
		path++;
	len = strcspn(path, "/");
	if (len >= size)
		len = 0; /* longer than any route: matches nothing */
	memcpy(out, path, len);
	out[len] = '\0';
}

static const struct route_row *find_row(const char *segment, const char *method)
{
	for (size_t i = 0; i < ARRAY_LEN(routes); i++) {
		if (str_eq(routes[i].segment, segment) && str_eq(routes[i].method, method))
			return &routes[i];
	}
	return NULL;
}

/* allow_list: the methods segment answers ("" when the segment is unknown). */
static void allow_list(const char *segment, char *out, size_t size)
{
	bool known = false;

	for (size_t i = 0; i < ARRAY_LEN(routes); i++)
		known = known || str_eq(routes[i].segment, segment);
	out[0] = '\0';
	if (!known)
		return;
	/* GET, HEAD and OPTIONS are answered on every path (the health handler). */
	snprintf(out, size, "GET, HEAD, OPTIONS");
	for (size_t m = 0; m < ARRAY_LEN(write_methods); m++) {
		if (find_row(segment, write_methods[m]) != NULL) {
			size_t used = strlen(out);

			snprintf(out + used, size - used, ", %s", write_methods[m]);
		}
	}
}

static void route_read(const char *method, const char *segment, struct api_route *out)
{
	const struct route_row *row = find_row(segment, "GET");

	out->ep = row != NULL ? row->ep : API_EP_HEALTH;
	out->status_only =
	    !str_eq(method, "GET") || out->ep == API_EP_LIVENESS || out->ep == API_EP_READINESS;
}

void api_route_find(const char *method, const char *path, struct api_route *out)
{
	char segment[32];
	const struct route_row *row;

	memset(out, 0, sizeof(*out));
	out->op = API_OP__COUNT;
	first_segment(path, segment, sizeof(segment));
	if (is_read_method(method)) {
		route_read(method, segment, out);
		return;
	}
	if (!is_write_method(method)) {
		out->ep = API_EP_NOT_IMPLEMENTED;
		return;
	}
	row = find_row(segment, method);
	if (row != NULL) {
		out->ep = row->ep;
		out->op = row->op;
		out->protected_ = true;
		return;
	}
	allow_list(segment, out->allow, sizeof(out->allow));
	out->ep = out->allow[0] != '\0' ? API_EP_METHOD_NOT_ALLOWED : API_EP_NOT_FOUND;
}
