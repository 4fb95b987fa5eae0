/*
 * dcs_cache.h: the watch's in-memory copy of one etcd prefix, key -> kv.
 *
 * Loaded from a range, then kept current by watch events (a newer mod_revision wins,
 * so a late or replayed event never undoes a newer one). Pure and single-threaded: the
 * caller (dcs_watch.c) holds the lock. Nothing here logs.
 */
#ifndef PGHA_DCS_DCS_CACHE_H
#define PGHA_DCS_DCS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dcs/dcs.h"
#include "dcs/etcd_json.h"

/*
 * Keys and values are byte strings with their length, as etcd stores them: a key that
 * holds a NUL byte ("leader\0x") is another key than "leader", never its shadow.
 */
struct dcs_cache_entry {
	char *key; /* owned, full key, NUL-terminated after key_len */
	size_t key_len;
	char *value; /* owned, NUL-terminated after value_len */
	size_t value_len;
	int64_t create_revision;
	int64_t mod_revision;
	int64_t lease;
};

struct dcs_cache {
	struct dcs_cache_entry *items; /* owned, unordered; a prefix holds a few dozen keys */
	int n;
	int cap;
	int64_t revision; /* newest store revision the contents are known to reflect */
};

void dcs_cache_init(struct dcs_cache *c);
void dcs_cache_deinit(struct dcs_cache *c);
/* dcs_cache_load: replaces the contents with a range result; true if anything differs. */
bool dcs_cache_load(struct dcs_cache *c, const struct etcd_kvs *kvs, int64_t revision);
/* dcs_cache_apply: one watch event; true if it changed the contents. */
bool dcs_cache_apply(struct dcs_cache *c, const struct etcd_event *ev);
/*
 * dcs_cache_advance: the store is known to be at revision with every change of the
 * prefix applied (a watch message's header, a progress notification).
 */
void dcs_cache_advance(struct dcs_cache *c, int64_t revision);
/* dcs_cache_get: the entry for key (text: no NUL inside), or NULL. Borrowed until the next change.
 */
const struct dcs_cache_entry *dcs_cache_get(const struct dcs_cache *c, const char *key);
/* dcs_cache_max_mod: highest mod_revision among the keys (0 when empty). */
int64_t dcs_cache_max_mod(const struct dcs_cache *c);
/* dcs_cache_view: the view of the contents (dcs_view_from_kvs); view must hold nothing. */
void dcs_cache_view(const struct dcs_cache *c, const char *prefix, struct dcs_view *view,
                    char *warn, size_t warnlen);

#endif
