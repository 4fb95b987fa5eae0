/*
 * fuzz_etcd_stream.c: the watch-stream splitter (etcd_stream_feed) on a stream cut into
 * chunks at places the input chooses, each message decoded as a watch message and its
 * events applied to the watch cache (dcs_cache.h), whose view is then built: the path
 * every byte etcd sends takes. Properties: the splitter never buffers more than its
 * limit past a call, and the cache and view stay consistent.
 */
#include <jansson.h>
#include "dcs/dcs.h"
#include "dcs/dcs_cache.h"
#include "dcs/etcd_json.h"
#include "fuzz.h"

#define PREFIX "/service/s/"

static bool on_message(const json_t *m, void *arg)
{
	struct dcs_cache *c = arg;
	struct etcd_watch_msg msg;
	char err[256];
	int n;

	if (!etcd_json_watch_msg(m, &msg, err, sizeof(err)))
		return true;
	for (int i = 0; i < msg.n_events; i++)
		(void)dcs_cache_apply(c, &msg.events[i]);
	dcs_cache_advance(c, msg.header.revision);
	n = msg.n_events;
	etcd_watch_msg_free(&msg);
	return n < 100; /* a stop is a path too */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct etcd_stream st;
	struct dcs_cache cache;
	struct dcs_view view;
	char err[256], warn[1024];
	size_t chunk = size > 0 ? (size_t)data[0] % 64 + 1 : 1;

	etcd_stream_init(&st, 4096);
	dcs_cache_init(&cache);
	for (size_t off = size > 0 ? 1 : 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;
		enum etcd_stream_rc rc = etcd_stream_feed(&st, (const char *)data + off, n,
		                                          on_message, &cache, err, sizeof(err));

		if (rc != ETCD_STREAM_OK)
			break;
		FUZZ_CHECK(st.pending.len <= st.max_bytes);
	}
	dcs_cache_view(&cache, PREFIX, &view, warn, sizeof(warn));
	FUZZ_CHECK(view.n_members <= DCS_MAX_MEMBERS);
	FUZZ_CHECK(view.valid || view.n_members == 0);
	dcs_view_free(&view);
	dcs_cache_deinit(&cache);
	etcd_stream_deinit(&st);
	return 0;
}
