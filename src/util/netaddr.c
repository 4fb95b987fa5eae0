/*
 * netaddr.c: host:port resolution for binding and connecting (rules in netaddr.h).
 */
#include "util/netaddr.h"

#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "util/err.h"
#include "util/strutil.h"

#define HOST_LEN 256

/* pick: the first result, or for a listener the first IPv4 one if there is one. */
static const struct addrinfo *pick(const struct addrinfo *res, enum netaddr_use use)
{
	if (use == NETADDR_LISTEN)
		for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
			if (ai->ai_family == AF_INET)
				return ai;
	return res;
}

bool netaddr_resolve(const char *hostport, enum netaddr_use use, struct netaddr *out, char *err,
                     size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
	                         .ai_socktype = SOCK_STREAM,
	                         .ai_flags =
	                             AI_NUMERICSERV | (use == NETADDR_LISTEN ? AI_PASSIVE : 0)};
	struct addrinfo *res = NULL;
	const struct addrinfo *ai;
	char host[HOST_LEN];
	char port_s[16];
	int port;
	int rc;

	if (hostport == NULL || !str_split_hostport(hostport, host, sizeof(host), &port)) {
		err_set(err, errlen, "\"%s\" is not host:port", hostport ? hostport : "");
		return false;
	}
	if (use == NETADDR_LISTEN && (host[0] == '\0' || str_eq(host, "*")))
		snprintf(host, sizeof(host), "::");
	snprintf(port_s, sizeof(port_s), "%d", port);
	rc = getaddrinfo(host, port_s, &hints, &res);
	if (rc != 0 || res == NULL) {
		err_set(err, errlen, "cannot resolve \"%s\": %s", host,
		        rc != 0 ? gai_strerror(rc) : "no address");
		return false;
	}
	ai = pick(res, use);
	memset(out, 0, sizeof(*out));
	memcpy(&out->sa, ai->ai_addr, ai->ai_addrlen);
	out->len = ai->ai_addrlen;
	freeaddrinfo(res);
	return true;
}

bool netaddr_is_v6(const struct netaddr *a)
{
	return a->sa.ss_family == AF_INET6;
}

bool netaddr_is_any(const struct netaddr *a)
{
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)&a->sa;
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&a->sa;

	return netaddr_is_v6(a) ? IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr)
	                        : v4->sin_addr.s_addr == htonl(INADDR_ANY);
}

int netaddr_port(const struct netaddr *a)
{
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)&a->sa;
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&a->sa;

	return ntohs(netaddr_is_v6(a) ? v6->sin6_port : v4->sin_port);
}
