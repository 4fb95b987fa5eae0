/*
 * router_limits.h: what one client address may hold, and the TCP keepalive of the
 * router's sockets.
 *
 * The address table counts the open sessions of each client address (IPv4 and IPv4-
 * mapped IPv6 count as one) so that one host cannot take every file descriptor and
 * backend slot (router.max_clients_per_address). Pure but for allocation: unit-tested
 * and fuzzed. Entries live while their count is above zero; a pointer to one stays
 * valid until its last release.
 */
#ifndef PGHA_ROUTER_ROUTER_LIMITS_H
#define PGHA_ROUTER_ROUTER_LIMITS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct addr_count;

struct addr_table {
	struct addr_count **buckets; /* owned, n_buckets chains */
	int n_buckets;
	int n; /* addresses with a count above zero */
};

void addr_table_init(struct addr_table *t);
void addr_table_free(struct addr_table *t);
/*
 * addr_table_acquire: one more session of the address sa, counted in *out; false when
 * the address already holds limit. Limit 0 (no limit) and families other than IPv4 and
 * IPv6 are not counted: true with *out NULL.
 */
bool addr_table_acquire(struct addr_table *t, const struct sockaddr_storage *sa, int limit,
                        struct addr_count **out);
/* addr_table_release: one session of c ended (c may be freed). NULL is a no-op. */
void addr_table_release(struct addr_table *t, struct addr_count *c);
/* addr_count_value: sessions the address holds now. */
int addr_count_value(const struct addr_count *c);

/* TCP keepalive settings (router.tcp_keepalive, tcp_keepidle, tcp_keepintvl, tcp_keepcnt). */
struct keepalive {
	bool on;
	int idle_s;
	int interval_s;
	int count;
};

/* keepalive_apply: sets them on fd (a listener's are inherited by what it accepts). */
bool keepalive_apply(int fd, const struct keepalive *k);

#endif
