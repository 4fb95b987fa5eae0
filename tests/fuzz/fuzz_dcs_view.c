/*
 * fuzz_dcs_view.c: the view decoder (dcs_view_from_kvs) on hostile keys and values of
 * one prefix: keys and values are byte strings with lengths (NULs inside), most keys
 * under the prefix. Properties: at most DCS_MAX_MEMBERS members, none when the view is
 * refused; members sorted by name, each found by name; names printable and one level;
 * URLs only of the allowed schemes; every string terminated; a copy equals the view.
 *
 * Input: records of [key length][key][value length, 2 bytes][value]; a key that starts
 * with '+' means the prefix followed by the rest.
 */
#include <strings.h>
#include "dcs/dcs.h"
#include "fuzz.h"

#define PREFIX    "/service/s/"
#define MAX_PAIRS 64

struct pairs {
	struct dcs_kv kv[MAX_PAIRS];
	char *owned[MAX_PAIRS * 2];
	int n;
};

static char *bytes(const uint8_t *p, size_t n, const char *head)
{
	size_t h = strlen(head);
	char *s = malloc(h + n + 1);

	if (s == NULL)
		abort();
	memcpy(s, head, h);
	memcpy(s + h, p, n);
	s[h + n] = '\0';
	return s;
}

static void read_pairs(const uint8_t *d, size_t size, struct pairs *ps)
{
	size_t at = 0;

	while (ps->n < MAX_PAIRS && at < size) {
		size_t klen = d[at++], vlen;
		bool prefixed = at < size && d[at] == '+';
		struct dcs_kv *kv = &ps->kv[ps->n];

		if (klen == 0 || at + klen + 2 > size)
			break;
		vlen = (size_t)d[at + klen] << 8 | d[at + klen + 1];
		if (at + klen + 2 + vlen > size)
			vlen = size - at - klen - 2;
		kv->key = ps->owned[2 * ps->n] =
		    bytes(d + at + prefixed, klen - prefixed, prefixed ? PREFIX : "");
		kv->key_len = strlen(prefixed ? PREFIX : "") + klen - prefixed;
		kv->value = ps->owned[2 * ps->n + 1] = bytes(d + at + klen + 2, vlen, "");
		kv->value_len = vlen;
		kv->mod_revision = ps->n + 1;
		kv->create_revision = 1;
		ps->n++;
		at += klen + 2 + vlen;
	}
}

static bool scheme_ok(const char *url, const char *a, const char *b)
{
	return url[0] == '\0' || strncasecmp(url, a, strlen(a)) == 0 ||
	       strncasecmp(url, b, strlen(b)) == 0;
}

static void check_member(const struct dcs_view *v, int i)
{
	const struct dcs_member *m = &v->members[i];

	FUZZ_CHECK(fuzz_terminated(m->name) && m->name[0] != '\0');
	FUZZ_CHECK(strchr(m->name, '/') == NULL);
	for (const char *c = m->name; *c; c++)
		FUZZ_CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
	FUZZ_CHECK(i == 0 || strcmp(v->members[i - 1].name, m->name) < 0);
	FUZZ_CHECK(dcs_view_member(v, m->name) == m);
	FUZZ_CHECK(fuzz_terminated(m->api_url) && fuzz_terminated(m->conn_url));
	FUZZ_CHECK(fuzz_terminated(m->host) && fuzz_terminated(m->state));
	FUZZ_CHECK(scheme_ok(m->api_url, "http://", "https://"));
	FUZZ_CHECK(scheme_ok(m->conn_url, "postgres://", "postgresql://"));
	FUZZ_CHECK(m->host[0] == '\0' || (m->port > 0 && m->port <= 65535));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pairs ps = {.n = 0};
	struct dcs_view v, copy;
	char warn[2048];

	read_pairs(data, size, &ps);
	dcs_view_from_kvs(&v, PREFIX, ps.kv, ps.n, 7, warn, sizeof(warn));
	FUZZ_CHECK(v.n_members >= 0 && v.n_members <= DCS_MAX_MEMBERS);
	FUZZ_CHECK(v.valid == (v.n_members_refused == 0));
	FUZZ_CHECK(v.valid || v.n_members == 0);
	FUZZ_CHECK(v.n_history >= 0 && v.n_history <= DCS_MAX_HISTORY);
	FUZZ_CHECK(v.sync.n_standbys >= 0 && v.sync.n_standbys <= DCS_MAX_SYNC);
	FUZZ_CHECK(fuzz_terminated(v.leader) && fuzz_terminated(v.initialize));
	FUZZ_CHECK(fuzz_terminated(v.failover.leader) && fuzz_terminated(v.failover.member));
	for (int i = 0; i < v.n_members; i++)
		check_member(&v, i);
	FUZZ_CHECK(memchr(warn, '\0', sizeof(warn)) != NULL);
	dcs_view_copy(&copy, &v);
	FUZZ_CHECK(copy.n_members == v.n_members && copy.valid == v.valid);
	dcs_view_free(&copy);
	dcs_view_free(&v);
	for (int i = 0; i < 2 * ps.n; i++)
		free(ps.owned[i]);
	return 0;
}
