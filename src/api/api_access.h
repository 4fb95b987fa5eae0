/*
 * api_access.h: who may call the REST API's unsafe endpoints, by address:
 * restapi.allowlist (addresses, networks in CIDR form, host names) and, with
 * allowlist_include_members, the hosts of the members' api_url, as Patroni has them.
 *
 * Names are resolved when the list is built (the agent starts) and, for members,
 * when an unsafe request arrives (members come and go; those requests are rare). The
 * matching itself is pure and unit-tested. Nothing is logged: problems go to err.
 */
#ifndef PGHA_API_API_ACCESS_H
#define PGHA_API_API_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "dcs/dcs_types.h"
#include "util/compiler.h"

/* One network: family AF_INET or AF_INET6, the address bytes, the prefix length. */
struct api_net {
	int family;
	uint8_t addr[16];
	int prefix;
};

struct api_allow {
	struct api_net *nets; /* owned */
	int n;
	bool members; /* allowlist_include_members */
	bool active;  /* an allowlist or allowlist_include_members is configured */
};

/*
 * api_net_parse: "10.0.0.0/8", "192.0.2.7", "2001:db8::/32" (numeric only) into n.
 * False if it is none of those (a host name, a bad prefix).
 */
bool api_net_parse(const char *s, struct api_net *n) MUST_CHECK;
/* api_net_match: the address sa (AF_INET, AF_INET6, v4-mapped v6) is inside n. */
bool api_net_match(const struct api_net *n, const struct sockaddr *sa);
/*
 * api_allow_build: the allowlist entries (NULL-terminated, or NULL) and the members
 * flag into a (owned: api_allow_free). Host names are resolved now, every address
 * they have. False with err naming the entry that is neither a network nor a name
 * that resolves.
 */
bool api_allow_build(char *const *entries, bool members, struct api_allow *a, char *err,
                     size_t errlen) MUST_CHECK;
void api_allow_free(struct api_allow *a);
/*
 * api_allow_check: the client at sa may use unsafe endpoints: no list is configured,
 * or sa is in it, or (members) sa is an address of a member's api_url host in view.
 */
bool api_allow_check(const struct api_allow *a, const struct sockaddr *sa,
                     const struct dcs_view *view);

#endif
