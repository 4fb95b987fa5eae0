/*
 * client.c: a cluster's etcd, credentials and dynamic configuration (see client.h).
 */
#include "client/client.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/envsecret.h"

void client_creds_from_env(struct client_creds *cr)
{
	const char *user = envsecret_get("PGHA_REST_USER");
	const char *password = envsecret_get("PGHA_REST_PASSWORD");

	if (user != NULL)
		snprintf(cr->rest_user, sizeof(cr->rest_user), "%s", user);
	if (password != NULL)
		snprintf(cr->rest_password, sizeof(cr->rest_password), "%s", password);
	if (user != NULL || password != NULL)
		snprintf(cr->note, sizeof(cr->note), "PGHA_REST_USER / PGHA_REST_PASSWORD");
}

struct dcs *client_dcs_open(const struct client *c, int request_timeout_ms, bool watch)
{
	const char *eps[CLIENT_MAX_ETCD + 1];
	struct dcs_options o = {.endpoints = eps,
	                        .tls = &c->etcd_tls,
	                        .username = c->creds.etcd_user[0] ? c->creds.etcd_user : NULL,
	                        .password = c->creds.etcd_password,
	                        .namespace_ = c->namespace_,
	                        .scope = c->scope,
	                        .request_timeout_ms = request_timeout_ms,
	                        /* A stalled etcd member costs a command this, not a timeout. */
	                        .hedge_ms = CLIENT_HEDGE_MS,
	                        .watch = watch};

	for (int i = 0; i < c->n_etcd; i++)
		eps[i] = c->etcd[i];
	eps[c->n_etcd] = NULL;
	return dcs_open(&o);
}

bool client_read_view(const struct client *c, int request_timeout_ms, struct dcs_view *v)
{
	struct dcs *d = client_dcs_open(c, request_timeout_ms, false);
	bool ok;

	memset(v, 0, sizeof(*v));
	if (d == NULL)
		return false;
	ok = dcs_read(d, v);
	dcs_close(d);
	return ok;
}

void client_unreachable(const struct client *c, struct buf *out)
{
	buf_puts(out, "cannot reach etcd (");
	for (int i = 0; i < c->n_etcd; i++)
		buf_printf(out, "%s%s", i ? ", " : "", c->etcd[i]);
	buf_printf(out, ") to read cluster \"%s\"", c->scope);
}

void client_say(const char *who, const char *fmt, ...)
{
	struct buf line;
	va_list ap;

	buf_init(&line);
	va_start(ap, fmt);
	buf_vprintf(&line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "pgha %s: %s\n", who, line.data);
	buf_free(&line);
}

void client_cluster_dyn(const struct dcs_view *v, struct dyn_config *d)
{
	char err[256];
	json_t *cfg = v->config_json ? json_loads(v->config_json, 0, NULL) : NULL;

	dyn_config_defaults(d);
	if (json_is_object(cfg))
		(void)dyn_config_from_json(d, cfg, err, sizeof(err));
	json_decref(cfg);
}

/* dyn_bool: the boolean at offset in client_cluster_dyn(v). */
static bool dyn_bool(const struct dcs_view *v, size_t offset)
{
	struct dyn_config d;
	bool value;

	client_cluster_dyn(v, &d);
	value = *(const bool *)((const char *)&d + offset);
	dyn_config_free(&d);
	return value;
}

bool client_synchronous_mode(const struct dcs_view *v)
{
	return dyn_bool(v, offsetof(struct dyn_config, synchronous_mode));
}

bool client_paused(const struct dcs_view *v)
{
	return dyn_bool(v, offsetof(struct dyn_config, pause));
}
