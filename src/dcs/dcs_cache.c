/*
 * dcs_cache.c: the key -> kv map behind the watch. A linear array: the prefix of one
 * cluster holds a few dozen keys at most, and events arrive a few times per second.
 */
#include "dcs/dcs_cache.h"

#include <string.h>
#include "util/xalloc.h"

void dcs_cache_init(struct dcs_cache *c)
{
	memset(c, 0, sizeof(*c));
}

static void entry_free(struct dcs_cache_entry *e)
{
	free(e->key);
	free(e->value);
}

void dcs_cache_deinit(struct dcs_cache *c)
{
	for (int i = 0; i < c->n; i++)
		entry_free(&c->items[i]);
	free(c->items);
	memset(c, 0, sizeof(*c));
}

/* find: the entry whose key is these len bytes (compared with their length), or -1. */
static int find(const struct dcs_cache *c, const char *key, size_t len)
{
	for (int i = 0; i < c->n; i++)
		if (c->items[i].key_len == len && memcmp(c->items[i].key, key, len) == 0)
			return i;
	return -1;
}

const struct dcs_cache_entry *dcs_cache_get(const struct dcs_cache *c, const char *key)
{
	int i = find(c, key, strlen(key));

	return i >= 0 ? &c->items[i] : NULL;
}

static void set_entry(struct dcs_cache_entry *e, const struct etcd_kv *kv)
{
	free(e->value);
	if (e->key == NULL) {
		e->key = xmemdup0(kv->key, kv->key_len);
		e->key_len = kv->key_len;
	}
	e->value = xmemdup0(kv->value, kv->value_len);
	e->value_len = kv->value_len;
	e->create_revision = kv->create_revision;
	e->mod_revision = kv->mod_revision;
	e->lease = kv->lease;
}

static void put(struct dcs_cache *c, const struct etcd_kv *kv)
{
	int i = find(c, kv->key, kv->key_len);

	if (i < 0) {
		if (c->n == c->cap) {
			c->cap = c->cap > 0 ? c->cap * 2 : 16;
			c->items = xrealloc(c->items, (size_t)c->cap * sizeof(*c->items));
		}
		i = c->n++;
		memset(&c->items[i], 0, sizeof(c->items[i]));
	}
	set_entry(&c->items[i], kv);
}

static void remove_at(struct dcs_cache *c, int i)
{
	entry_free(&c->items[i]);
	c->items[i] = c->items[--c->n];
}

/* Same keys at the same mod_revisions: nothing a reader could tell apart. */
static bool same_as(const struct dcs_cache *c, const struct etcd_kvs *kvs)
{
	if (c->n != kvs->n)
		return false;
	for (int i = 0; i < kvs->n; i++) {
		int e = find(c, kvs->items[i].key, kvs->items[i].key_len);

		if (e < 0 || c->items[e].mod_revision != kvs->items[i].mod_revision)
			return false;
	}
	return true;
}

bool dcs_cache_load(struct dcs_cache *c, const struct etcd_kvs *kvs, int64_t revision)
{
	bool changed = !same_as(c, kvs);

	for (int i = 0; i < c->n; i++)
		entry_free(&c->items[i]);
	c->n = 0;
	for (int i = 0; i < kvs->n; i++)
		put(c, &kvs->items[i]);
	c->revision = revision;
	return changed;
}

bool dcs_cache_apply(struct dcs_cache *c, const struct etcd_event *ev)
{
	int i = find(c, ev->kv.key, ev->kv.key_len);

	/*
	 * Older than what the contents reflect: already in them (a replay after a reload).
	 * Equal is allowed: one transaction's events share their revision.
	 */
	if (ev->kv.mod_revision < c->revision)
		return false;
	c->revision = ev->kv.mod_revision;
	if (i >= 0 && ev->kv.mod_revision <= c->items[i].mod_revision)
		return false;
	if (ev->type == ETCD_EVENT_DELETE) {
		if (i < 0)
			return false;
		remove_at(c, i);
		return true;
	}
	put(c, &ev->kv);
	return true;
}

void dcs_cache_advance(struct dcs_cache *c, int64_t revision)
{
	if (revision > c->revision)
		c->revision = revision;
}

int64_t dcs_cache_max_mod(const struct dcs_cache *c)
{
	int64_t max = 0;

	for (int i = 0; i < c->n; i++)
		if (c->items[i].mod_revision > max)
			max = c->items[i].mod_revision;
	return max;
}

void dcs_cache_view(const struct dcs_cache *c, const char *prefix, struct dcs_view *view,
                    char *warn, size_t warnlen)
{
	struct dcs_kv *kvs = xcalloc((size_t)(c->n > 0 ? c->n : 1), sizeof(*kvs));

	for (int i = 0; i < c->n; i++) {
		kvs[i].key = c->items[i].key;
		kvs[i].key_len = c->items[i].key_len;
		kvs[i].value = c->items[i].value;
		kvs[i].value_len = c->items[i].value_len;
		kvs[i].create_revision = c->items[i].create_revision;
		kvs[i].mod_revision = c->items[i].mod_revision;
		kvs[i].lease = c->items[i].lease;
	}
	dcs_view_from_kvs(view, prefix, kvs, c->n, c->revision, warn, warnlen);
	free(kvs);
}
