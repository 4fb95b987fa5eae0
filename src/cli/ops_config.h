/*
 * ops_config.h: editing the cluster's dynamic configuration (the etcd "config" key) as
 * `pgha edit-config` and `pgha show-config` do, with patronictl's rules:
 *   - `--set a.b.c=VALUE`: a dotted path into the configuration, except that after
 *     postgresql.parameters the rest is one name (GUCs may contain dots); VALUE is
 *     typed as a YAML scalar (2 is a number, on a boolean, '2' a string, [a, b] a
 *     list); an empty VALUE (YAML null) removes the key, and objects left empty go too;
 *   - `--apply FILE`: a JSON merge patch (RFC 7396) written in YAML or JSON;
 *   - the text shown and edited is YAML with sorted keys, block style.
 *
 * Pure and library-like: no I/O, no logging; problems come back in err.
 */
#ifndef PGHA_CLI_OPS_CONFIG_H
#define PGHA_CLI_OPS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "util/buf.h"
#include "util/compiler.h"

/*
 * ops_config_set: applies one "dotted.key=value" pair to config (an object), in place.
 * False with err set when the pair has no '=', the key is empty or has an empty part,
 * or the value is not valid YAML.
 */
bool ops_config_set(json_t *config, const char *pair, char *err, size_t errlen) MUST_CHECK;
/*
 * ops_config_merge_patch: RFC 7396 merge of patch into target (both objects): null
 * removes a key, objects merge recursively, anything else replaces.
 */
void ops_config_merge_patch(json_t *target, const json_t *patch);
/*
 * ops_config_parse: a configuration document (YAML or JSON) into an owned object; an
 * empty document gives an empty object. NULL with err set on a syntax error or when
 * the document is not a mapping. name is used in messages.
 */
json_t *ops_config_parse(const char *text, const char *name, char *err, size_t errlen);
/*
 * ops_config_yaml: config as YAML (sorted keys, block style, strings quoted only when
 * a plain scalar would read back as something else), appended to out. An empty object
 * is "{}". False with err set if libyaml's emitter fails.
 */
bool ops_config_yaml(const json_t *config, struct buf *out, char *err, size_t errlen) MUST_CHECK;
/*
 * ops_config_check: would the agents accept config? The checks of their PATCH /config:
 * known keys with values of the right type and range, and timings that satisfy
 * dyn_config_timing_ok. False with the problems in err.
 */
bool ops_config_check(const json_t *config, char *err, size_t errlen) MUST_CHECK;

#endif
