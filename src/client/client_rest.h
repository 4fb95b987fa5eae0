/*
 * client_rest.h: the tooling's HTTP calls: the agents' REST API (Patroni's endpoints,
 * addressed through each member's published api_url, with the client's REST
 * credentials) and etcd's /health. Requests go through http.h.
 *
 * Does not print: outcomes are HTTP status codes, bodies and err.
 */
#ifndef PGHA_CLIENT_CLIENT_REST_H
#define PGHA_CLIENT_CLIENT_REST_H

#include <stdbool.h>
#include <stddef.h>
#include "client/client.h"
#include "dcs/dcs_types.h"
#include "http/http.h"
#include "util/buf.h"
#include "util/compiler.h"

/*
 * client_api_url: the URL of endpoint ("switchover", "patroni"...) on the agent whose
 * members/<name> api_url is api_url ("http://host:port/patroni"): scheme and host:port
 * kept, path replaced, as patronictl does. False if api_url is not http(s)://host...
 */
bool client_api_url(const char *api_url, const char *endpoint, char *out, size_t size) MUST_CHECK;
/*
 * client_rest: method on endpoint of member m with a JSON body (or NULL), with the
 * client's REST credentials. Returns the HTTP status, or when the agent did not answer
 * (err says why) 0, or HTTP_UNSENT if the request cannot have reached it (see
 * http_request). Blocks up to timeout_ms.
 */
long client_rest(const struct client *c, const struct dcs_member *m, const char *method,
                 const char *endpoint, const char *body, int timeout_ms, struct buf *reply,
                 char *err, size_t errlen);
/*
 * client_rest_get: GET endpoint of member m, as client_rest but without credentials
 * (the health endpoints need none) and without a body. Returns the HTTP status, 0 when
 * the agent did not answer (err says why).
 */
long client_rest_get(const struct client *c, const struct dcs_member *m, const char *endpoint,
                     int timeout_ms, char *err, size_t errlen);
/*
 * client_failsafe_state: failsafe_mode from v's dynamic configuration and, when on,
 * whether a primary runs on it: the leader's /patroni, or with no leader key (it
 * expired while the primary ran without etcd) every member of the failsafe key's.
 */
struct client_failsafe;
void client_failsafe_state(const struct client *c, const struct dcs_view *v, int timeout_ms,
                           struct client_failsafe *out);
/*
 * client_etcd_health: GET <url>/health (tls: etcd's CA). True when etcd answered (then
 * *healthy tells whether it said {"health": "true"}, and err what it said otherwise);
 * false with err set when nothing answered. /health needs no credentials.
 */
bool client_etcd_health(const char *url, const struct tls_client *tls, int timeout_ms,
                        bool *healthy, char *err, size_t errlen);

#endif
