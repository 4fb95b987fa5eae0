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

/* busy_hint: how to move a busy port out of the way. */
static void busy_hint(const struct lab_plan *p, const struct lab_port_use *u, char *out,
                      size_t size)
{
	if (str_eq(lab_port_kind_option(u->kind), "--router-port"))
		snprintf(out, size,
		         "Pick other router ports with --router-port R (read-write R, read-only "
		         "R+1; now %d and %d).",
		         p->router_rw_port, p->router_ro_port);
	else
		snprintf(out, size, "Pick another --base-port (the plan uses ports %d-%d).",
		         p->base_port, p->base_port + LAB_PLAN_SPAN - 1);
}

bool lab_ports_check(const struct lab_plan *p, const char *const *owners, char *err, size_t errlen)
{
	struct lab_port_use ports[LAB_MAX_PORTS];
	int n = lab_plan_ports(p, ports, LAB_MAX_PORTS);

	for (int i = 0; i < n; i++) {
		char why[128];
		char hint[160];

		if (!owner_selected(ports[i].owner, owners))
			continue;
		if (lab_port_free(ports[i].port, why, sizeof(why)))
			continue;
		busy_hint(p, &ports[i], hint, sizeof(hint));
		snprintf(err, errlen, "port %d (%s %s) is not free: %s\n%s", ports[i].port,
		         ports[i].owner, lab_port_kind_str(ports[i].kind), why, hint);
		return false;
	}
	return true;
}
