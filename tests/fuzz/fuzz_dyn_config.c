/*
 * fuzz_dyn_config.c: the cluster-wide configuration (etcd's config key, PATCH /config)
 * through dyn_config_from_json over the defaults, then round-tripped: what the agent
 * writes back (dyn_config_to_json) must read again to the same values, and the timing
 * rule Patroni enforces holds whenever it was satisfiable. Also the YAML form that
 * `pgha edit-config` checks.
 */
#include <jansson.h>
#include "config/config.h"
#include "fuzz.h"

static void round_trip(const struct dyn_config *d)
{
	json_t *out = dyn_config_to_json(d);
	struct dyn_config again;
	json_t *out2;
	char err[1024];

	dyn_config_defaults(&again);
	FUZZ_CHECK(out != NULL && dyn_config_from_json(&again, out, err, sizeof(err)));
	out2 = dyn_config_to_json(&again);
	FUZZ_CHECK(json_equal(out, out2));
	json_decref(out);
	json_decref(out2);
	dyn_config_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	char *text = fuzz_text(data, size);
	struct dyn_config d, copy;
	char err[1024];

	dyn_config_defaults(&d);
	if (v != NULL && dyn_config_from_json(&d, v, err, sizeof(err))) {
		FUZZ_CHECK(fuzz_terminated(err));
		round_trip(&d);
		dyn_config_copy(&copy, &d);
		dyn_config_free(&copy);
	}
	dyn_config_free(&d);
	json_decref(v);
	(void)dyn_config_check_yaml(text, "fuzz.yml", err, sizeof(err));
	FUZZ_CHECK(fuzz_terminated(err));
	free(text);
	return 0;
}
