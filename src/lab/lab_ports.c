/*
 * lab_ports.c: bind tests of the lab's port plan.
 */
#include "lab/lab_ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "util/strutil.h"

bool lab_port_free(int port, char *err, size_t errlen)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return false;
	}
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
	     bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (!ok)
		snprintf(err, errlen, "%s", strerror(errno));
	close(fd);
	return ok;
}

static bool owner_selected(const char *owner, const char *const *owners)
{
	if (owners == NULL)
		return true;
	for (int i = 0; owners[i]; i++) {
		if (str_eq(owners[i], owner))
			return true;
	}
	return false;
}

bool lab_ports_check(const struct lab_plan *p, const char *const *owners, bool with_reserved,
                     char *err, size_t errlen)
{
	struct lab_port_use ports[LAB_MAX_PORTS];
	int n = lab_plan_ports(p, ports, LAB_MAX_PORTS);

	for (int i = 0; i < n; i++) {
		char why[128];

		if (!owner_selected(ports[i].owner, owners) ||
		    (ports[i].reserved && !with_reserved))
			continue;
		if (lab_port_free(ports[i].port, why, sizeof(why)))
			continue;
		snprintf(err, errlen, "port %d (%s %s%s) is not free: %s", ports[i].port,
		         ports[i].owner, lab_port_kind_str(ports[i].kind),
		         ports[i].reserved ? ", reserved" : "", why);
		return false;
	}
	return true;
}
