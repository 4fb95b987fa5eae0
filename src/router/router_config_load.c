/*
 * router_config_load.c: the router's configuration file: YAML text -> JSON
 * (yaml_to_json, config/config.h) -> struct router_config (router_config.c).
 * Kept apart so that the pure JSON mapping links without the YAML code.
 */
#include <stdio.h>
#include "config/config.h"
#include "router/router_config.h"
#include "util/fsutil.h"
#include "util/xalloc.h"

bool router_config_load(struct router_config *cfg, const char *path, char *err, size_t errlen)
{
	char yerr[256];
	char *text;
	char inner[512];
	json_t *root;
	bool ok;

	router_config_defaults(cfg);
	text = fs_read_file(path, NULL);
	if (text == NULL) {
		snprintf(err, errlen, "%s: cannot read: %m", path);
		return false;
	}
	root = yaml_to_json(text, path, yerr, sizeof(yerr));
	free(text);
	if (root == NULL) {
		snprintf(err, errlen, "%s", yerr);
		return false;
	}
	ok = router_config_from_json(cfg, root, inner, sizeof(inner));
	if (!ok)
		snprintf(err, errlen, "%s: %s", path, inner);
	json_decref(root);
	return ok;
}
