/*
 * fuzz_config_yaml.c: the agent's YAML configuration (config_load_string, Patroni's
 * keys) and the YAML reader under it (yaml_to_json): any text gives a configuration
 * or errors, never a crash; messages are terminated and bounded.
 */
#include <jansson.h>
#include "config/config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct config cfg;
	struct config_msgs errors, warnings;
	char err[512];
	json_t *j;

	memset(&cfg, 0, sizeof(cfg));
	if (config_load_string(text, "fuzz.yml", &cfg, &errors, &warnings)) {
		FUZZ_CHECK(errors.n == 0);
		FUZZ_CHECK(cfg.scope[0] != '\0' && cfg.name[0] != '\0');
		config_free(&cfg);
	} else {
		FUZZ_CHECK(errors.n > 0);
	}
	for (int i = 0; i < errors.n && i < CONFIG_MAX_MSGS; i++)
		FUZZ_CHECK(fuzz_terminated(errors.items[i]));
	j = yaml_to_json(text, "fuzz.yml", err, sizeof(err));
	json_decref(j);
	FUZZ_CHECK(j != NULL || err[0] != '\0');
	free(text);
	return 0;
}
