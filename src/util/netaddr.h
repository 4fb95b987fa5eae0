/*
 * netaddr.h: "host:port" text into a socket address, for the sockets pgha binds (the
 * REST API, the router's listeners and its HTTP endpoint) and those the router
 * connects to. One set of rules for every listener:
 *   - the host may be a name, an IPv4 address or an IPv6 one in brackets ("[::1]:8008");
 *   - to listen, "" or "*" means every address: "::" with IPv4 mapped in (dual stack);
 *   - to listen on a name that has both an IPv4 and an IPv6 address, the IPv4 one is
 *     used, as Patroni's server binds it; to connect, getaddrinfo's order is kept.
 * It does not log: problems come back in err. Names are resolved through getaddrinfo,
 * which may block on DNS; numeric addresses never do.
 */
#ifndef PGHA_UTIL_NETADDR_H
#define PGHA_UTIL_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include "util/compiler.h"

enum netaddr_use {
	NETADDR_LISTEN,  /* an address to bind */
	NETADDR_CONNECT, /* an address to connect to */
};

struct netaddr {
	struct sockaddr_storage sa; /* AF_INET or AF_INET6 */
	socklen_t len;              /* of sa's family */
};

/*
 * netaddr_resolve: hostport into *out for use. False with err set ("\"x\" is not
 * host:port", "cannot resolve \"x\": Name or service not known").
 */
bool netaddr_resolve(const char *hostport, enum netaddr_use use, struct netaddr *out, char *err,
                     size_t errlen) MUST_CHECK;
bool netaddr_is_v6(const struct netaddr *a);
/* netaddr_is_any: the unspecified address (0.0.0.0 or ::), i.e. every local address. */
bool netaddr_is_any(const struct netaddr *a);
int netaddr_port(const struct netaddr *a);

#endif
