/*
 * tls_fixture.h: a throw-away CA and certificates for tests of TLS (util/tlsgen.h, so
 * the openssl command): "server" for 127.0.0.1 and localhost, "client" and
 * "elsewhere" (a server certificate for another name), each as DIR/<name>.crt and .key.
 * Header-only (static inline); include after cmocka.h and sys_fixture.h.
 */
#ifndef PGHA_TESTS_TLS_FIXTURE_H
#define PGHA_TESTS_TLS_FIXTURE_H

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "util/tls.h"
#include "util/tlsgen.h"

struct tls_fixture {
	char *dir; /* owned: the temporary directory */
	char ca[PATH_MAX];
};

/* tls_fixture_make: a CA named cn and its three certificates in a fresh directory. */
static inline void tls_fixture_make(struct tls_fixture *f, const char *cn)
{
	char err[512] = "";
	bool ok;

	f->dir = make_tmpdir();
	snprintf(f->ca, sizeof(f->ca), "%s/ca.crt", f->dir);
	ok = tlsgen_ca(f->dir, cn, err, sizeof(err)) &&
	     tlsgen_leaf(f->dir, "server", "server", "IP:127.0.0.1,DNS:localhost", 1, err,
	                 sizeof(err)) &&
	     tlsgen_leaf(f->dir, "client", "client", "DNS:client", 1, err, sizeof(err)) &&
	     tlsgen_leaf(f->dir, "elsewhere", "elsewhere", "DNS:elsewhere.example", 1, err,
	                 sizeof(err));
	if (!ok)
		fail_msg("tls fixture: %s", err);
}

static inline void tls_fixture_free(struct tls_fixture *f)
{
	remove_tmpdir(f->dir);
	f->dir = NULL;
}

/* tls_fixture_path: DIR/<name>.<ext> into out. */
static inline const char *tls_fixture_path(const struct tls_fixture *f, const char *name,
                                           const char *ext, char *out, size_t size)
{
	snprintf(out, size, "%s/%s.%s", f->dir, name, ext);
	return out;
}

/* tls_fixture_client: a client that trusts f's CA and, if name, presents name's pair. */
static inline void tls_fixture_client(const struct tls_fixture *f, const char *name,
                                      struct tls_client *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->cafile, sizeof(t->cafile), "%s", f->ca);
	if (name != NULL) {
		tls_fixture_path(f, name, "crt", t->certfile, sizeof(t->certfile));
		tls_fixture_path(f, name, "key", t->keyfile, sizeof(t->keyfile));
	}
}

#endif
