/*
 * router_limits.c: sessions per client address (a chained hash of 16-byte addresses),
 * and TCP keepalive options.
 */
#include "router/router_limits.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include "util/xalloc.h"

#define INITIAL_BUCKETS 256

struct addr_count {
	unsigned char addr[16]; /* IPv6, or IPv4 as ::ffff:a.b.c.d */
	int count;
	struct addr_count *next;
};

void addr_table_init(struct addr_table *t)
{
	t->n_buckets = INITIAL_BUCKETS;
	t->buckets = xcalloc((size_t)t->n_buckets, sizeof(*t->buckets));
	t->n = 0;
}

void addr_table_free(struct addr_table *t)
{
	for (int i = 0; i < t->n_buckets; i++) {
		while (t->buckets[i] != NULL) {
			struct addr_count *c = t->buckets[i];

			t->buckets[i] = c->next;
			free(c);
		}
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

/* key_of: sa as 16 bytes; false for a family without addresses to count. */
static bool key_of(const struct sockaddr_storage *sa, unsigned char key[16])
{
	if (sa->ss_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
		return true;
	}
	if (sa->ss_family != AF_INET)
		return false;
	memset(key, 0, 10);
	key[10] = key[11] = 0xff;
	memcpy(key + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	return true;
}

/* FNV-1a: short keys, spread enough for a table sized by its load. */
static unsigned hash(const unsigned char key[16], int n_buckets)
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return h % (unsigned)n_buckets;
}

/* grow: twice the buckets once there are more addresses than buckets. */
static void grow(struct addr_table *t)
{
	int n = t->n_buckets * 2;
	struct addr_count **b = xcalloc((size_t)n, sizeof(*b));

	for (int i = 0; i < t->n_buckets; i++) {
		while (t->buckets[i] != NULL) {
			struct addr_count *c = t->buckets[i];
			unsigned h = hash(c->addr, n);

			t->buckets[i] = c->next;
			c->next = b[h];
			b[h] = c;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->n_buckets = n;
}

bool addr_table_acquire(struct addr_table *t, const struct sockaddr_storage *sa, int limit,
                        struct addr_count **out)
{
	unsigned char key[16];
	struct addr_count *c;
	unsigned h;

	*out = NULL;
	if (limit <= 0 || !key_of(sa, key))
		return true;
	h = hash(key, t->n_buckets);
	for (c = t->buckets[h]; c != NULL; c = c->next)
		if (memcmp(c->addr, key, 16) == 0)
			break;
	if (c != NULL && c->count >= limit)
		return false;
	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		memcpy(c->addr, key, 16);
		c->next = t->buckets[h];
		t->buckets[h] = c;
		if (++t->n > t->n_buckets)
			grow(t);
	}
	c->count++;
	*out = c;
	return true;
}

void addr_table_release(struct addr_table *t, struct addr_count *c)
{
	struct addr_count **p;

	if (c == NULL || --c->count > 0)
		return;
	for (p = &t->buckets[hash(c->addr, t->n_buckets)]; *p != NULL; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			free(c);
			t->n--;
			return;
		}
	}
}

int addr_count_value(const struct addr_count *c)
{
	return c->count;
}

bool keepalive_apply(int fd, const struct keepalive *k)
{
	int on = k->on ? 1 : 0;

	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) == -1)
		return false;
	if (!k->on)
		return true;
	return setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &k->idle_s, sizeof(k->idle_s)) == 0 &&
	       setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &k->interval_s, sizeof(k->interval_s)) ==
	           0 &&
	       setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &k->count, sizeof(k->count)) == 0;
}
