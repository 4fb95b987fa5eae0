/*
 * lab_view.c: DCS access for the lab tooling.
 */
#include "lab/lab_view.h"

#include <string.h>

struct dcs *lab_dcs_open(const struct lab_cluster *c, int timeout_ms)
{
	char urls[LAB_N_ETCD][LAB_URL_LEN];
	const char *eps[LAB_N_ETCD + 1];
	struct dcs_options o = {.endpoints = eps,
	                        .namespace_ = c->namespace_,
	                        .scope = c->scope,
	                        .request_timeout_ms = timeout_ms};

	for (int i = 0; i < LAB_N_ETCD; i++) {
		lab_etcd_url(c, i, urls[i], sizeof(urls[i]));
		eps[i] = urls[i];
	}
	eps[LAB_N_ETCD] = NULL;
	return dcs_open(&o);
}

bool lab_view_read(const struct lab_cluster *c, int timeout_ms, struct dcs_view *v)
{
	struct dcs *d = lab_dcs_open(c, timeout_ms);
	bool ok;

	memset(v, 0, sizeof(*v));
	if (d == NULL)
		return false;
	ok = dcs_read(d, v);
	dcs_close(d);
	return ok;
}
