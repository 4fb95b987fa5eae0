/*
 * api_access.c: the REST API's allowlist (see api_access.h).
 */
#include "api/api_access.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/strutil.h"
#include "util/xalloc.h"

#define ENTRY_LEN 256

bool api_net_parse(const char *s, struct api_net *n)
{
	char addr[ENTRY_LEN];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	int max;

	if (len == 0 || len >= sizeof(addr))
		return false;
	memcpy(addr, s, len);
	addr[len] = '\0';
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, addr, n->addr) == 1)
		n->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, n->addr) == 1)
		n->family = AF_INET6;
	else
		return false;
	max = n->family == AF_INET ? 32 : 128;
	n->prefix = max;
	if (slash != NULL && (!str_parse_int(slash + 1, &n->prefix) || n->prefix < 0 ||
	                      n->prefix > max || slash[1] == '\0'))
		return false;
	return true;
}

/* address_of: sa's address bytes (a v4-mapped v6 address as v4); its family, or 0. */
static int address_of(const struct sockaddr *sa, uint8_t out[16])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (sa->sa_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return AF_INET;
	}
	if (sa->sa_family != AF_INET6)
		return 0;
	memcpy(out, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
	if (memcmp(out, mapped, sizeof(mapped)) == 0) {
		memmove(out, out + 12, 4);
		return AF_INET;
	}
	return AF_INET6;
}

bool api_net_match(const struct api_net *n, const struct sockaddr *sa)
{
	uint8_t a[16];
	int whole = n->prefix / 8;
	int bits = n->prefix % 8;

	if (address_of(sa, a) != n->family || memcmp(a, n->addr, (size_t)whole) != 0)
		return false;
	return bits == 0 || ((a[whole] ^ n->addr[whole]) & (0xff << (8 - bits)) & 0xff) == 0;
}

static void add_net(struct api_allow *a, const struct api_net *n)
{
	a->nets = xrealloc(a->nets, (size_t)(a->n + 1) * sizeof(*a->nets));
	a->nets[a->n++] = *n;
}

/* add_resolved: every address of host as a one-address network; false if none. */
static bool add_resolved(struct api_allow *a, const char *host)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	int added = 0;

	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return false;
	for (const struct addrinfo *r = res; r != NULL; r = r->ai_next) {
		struct api_net n;

		memset(&n, 0, sizeof(n));
		n.family = address_of(r->ai_addr, n.addr);
		if (n.family == 0)
			continue;
		n.prefix = n.family == AF_INET ? 32 : 128;
		add_net(a, &n);
		added++;
	}
	freeaddrinfo(res);
	return added > 0;
}

bool api_allow_build(char *const *entries, bool members, struct api_allow *a, char *err,
                     size_t errlen)
{
	memset(a, 0, sizeof(*a));
	a->members = members;
	a->active = members || (entries != NULL && entries[0] != NULL);
	for (size_t i = 0; entries != NULL && entries[i] != NULL; i++) {
		struct api_net n;

		if (api_net_parse(entries[i], &n)) {
			add_net(a, &n);
		} else if (strchr(entries[i], '/') != NULL || !add_resolved(a, entries[i])) {
			snprintf(err, errlen,
			         "restapi.allowlist: '%s' is neither an address, a network "
			         "(a.b.c.d/n) nor a host name that resolves",
			         entries[i]);
			api_allow_free(a);
			return false;
		}
	}
	return true;
}

void api_allow_free(struct api_allow *a)
{
	free(a->nets);
	memset(a, 0, sizeof(*a));
}

/* url_host: the host of "scheme://host[:port]/..." into out (brackets removed). */
static bool url_host(const char *url, char *out, size_t size)
{
	const char *p = strstr(url, "://");
	char hostport[ENTRY_LEN];
	size_t len;
	int port;

	if (p == NULL)
		return false;
	p += 3;
	len = strcspn(p, "/?#");
	if (len == 0 || len >= sizeof(hostport))
		return false;
	memcpy(hostport, p, len);
	hostport[len] = '\0';
	if (str_split_hostport(hostport, out, size, &port))
		return true;
	return str_copy(out, size, hostport);
}

/* member_match: sa is an address of some member's api_url host. */
static bool member_match(const struct sockaddr *sa, const struct dcs_view *view)
{
	for (int i = 0; view != NULL && i < view->n_members; i++) {
		struct api_allow one = {.n = 0};
		char host[ENTRY_LEN];
		bool match = false;

		if (!url_host(view->members[i].api_url, host, sizeof(host)) ||
		    !add_resolved(&one, host)) {
			api_allow_free(&one);
			continue;
		}
		for (int k = 0; k < one.n && !match; k++)
			match = api_net_match(&one.nets[k], sa);
		api_allow_free(&one);
		if (match)
			return true;
	}
	return false;
}

bool api_allow_check(const struct api_allow *a, const struct sockaddr *sa,
                     const struct dcs_view *view)
{
	if (!a->active)
		return true;
	for (int i = 0; i < a->n; i++)
		if (api_net_match(&a->nets[i], sa))
			return true;
	return a->members && member_match(sa, view);
}
