/*
 * fuzz_etcd_json.c: every decoder of etcd's JSON gateway replies (dcs/etcd_json.h) on
 * any JSON value: a decoder either fills its output whole or leaves nothing owned, and
 * decoded keys and values are terminated after their length (NULs inside allowed).
 */
#include <jansson.h>
#include "dcs/etcd_json.h"
#include "fuzz.h"

static void check_kvs(const struct etcd_kvs *kvs)
{
	FUZZ_CHECK(kvs->n >= 0);
	for (int i = 0; i < kvs->n; i++) {
		FUZZ_CHECK(kvs->items[i].key[kvs->items[i].key_len] == '\0');
		FUZZ_CHECK(kvs->items[i].value[kvs->items[i].value_len] == '\0');
	}
}

static void replies(const json_t *v)
{
	char err[256], token[128];
	struct etcd_kvs kvs;
	struct etcd_txn_reply txn;
	struct etcd_watch_msg msg;
	struct etcd_header hdr;
	int64_t lease;
	int ttl, code;

	if (etcd_json_range_reply(v, &kvs, err, sizeof(err))) {
		check_kvs(&kvs);
		etcd_kvs_free(&kvs);
	}
	if (etcd_json_txn_reply(v, &txn, err, sizeof(err))) {
		for (int i = 0; i < txn.n_responses; i++)
			check_kvs(&txn.responses[i].kvs);
		etcd_txn_reply_free(&txn);
	}
	if (etcd_json_watch_msg(v, &msg, err, sizeof(err))) {
		for (int i = 0; i < msg.n_events; i++)
			FUZZ_CHECK(msg.events[i].kv.key[msg.events[i].kv.key_len] == '\0');
		FUZZ_CHECK(fuzz_terminated(msg.cancel_reason));
		etcd_watch_msg_free(&msg);
	}
	if (etcd_json_lease_grant_reply(v, &lease, &ttl, err, sizeof(err)))
		FUZZ_CHECK(lease != 0 && ttl > 0);
	if (etcd_json_keepalive_reply(v, &ttl, err, sizeof(err)))
		FUZZ_CHECK(ttl >= 0);
	if (etcd_json_auth_reply(v, token, sizeof(token), err, sizeof(err)))
		FUZZ_CHECK(token[0] != '\0' && fuzz_terminated(token));
	(void)etcd_json_header(v, &hdr, err, sizeof(err));
	if (etcd_json_error(v, &code, err, sizeof(err)))
		FUZZ_CHECK(fuzz_terminated(err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);

	if (v != NULL) {
		replies(v);
		json_decref(v);
	}
	return 0;
}
