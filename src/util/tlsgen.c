/*
 * tlsgen.c: a CA and leaf certificates through the openssl command (see tlsgen.h).
 */
#include "util/tlsgen.h"

#include <limits.h>
#include <stdio.h>
#include "util/compiler.h"
#include "util/proc.h"

#define OPENSSL_BIN     "/usr/bin/openssl" /* Debian's package openssl */
#define OPENSSL_TIMEOUT 30000
#define OPENSSL_LOG     "openssl.log" /* in dir: what openssl said, for a failure */
#define ARG_LEN         (PATH_MAX + 64)

/* run: argv (openssl and its arguments) with its output appended to dir/openssl.log. */
static bool run(const char *dir, const char *const *argv, char *err, size_t errlen)
{
	char log_path[PATH_MAX + 16];
	char why[256];
	struct proc_spec spec = {.argv = argv, .log_path = log_path, .stdin_null = true};

	snprintf(log_path, sizeof(log_path), "%s/" OPENSSL_LOG, dir);
	if (proc_run(&spec, OPENSSL_TIMEOUT, NULL, why, sizeof(why)))
		return true;
	snprintf(err, errlen, "openssl %s: %s (its output is in %s)", argv[1], why, log_path);
	return false;
}

static bool fits(int n, size_t size)
{
	return n > 0 && (size_t)n < size;
}

/* One `openssl req -x509`: a new EC key and its certificate, self-signed or by a CA. */
struct req {
	const char *key, *crt, *subj, *days;
	const char *ca, *ca_key; /* NULL: self-signed (the CA itself) */
	const char *const *exts; /* -addext values, NULL-terminated */
};

static bool req_run(const char *dir, const struct req *r, char *err, size_t errlen)
{
	const char *argv[40];
	int n = 0;

	argv[n++] = OPENSSL_BIN;
	argv[n++] = "req";
	argv[n++] = "-x509";
	argv[n++] = "-new";
	if (r->ca != NULL) {
		argv[n++] = "-CA";
		argv[n++] = r->ca;
		argv[n++] = "-CAkey";
		argv[n++] = r->ca_key;
	}
	argv[n++] = "-newkey";
	argv[n++] = "ec";
	argv[n++] = "-pkeyopt";
	argv[n++] = "ec_paramgen_curve:prime256v1";
	argv[n++] = "-noenc"; /* the key is protected by its file's mode, 0600 */
	argv[n++] = "-keyout";
	argv[n++] = r->key;
	argv[n++] = "-out";
	argv[n++] = r->crt;
	argv[n++] = "-days";
	argv[n++] = r->days;
	argv[n++] = "-subj";
	argv[n++] = r->subj;
	for (int i = 0; r->exts[i] != NULL && n < (int)ARRAY_LEN(argv) - 3; i++) {
		argv[n++] = "-addext";
		argv[n++] = r->exts[i];
	}
	argv[n] = NULL;
	return run(dir, argv, err, errlen);
}

bool tlsgen_ca(const char *dir, const char *cn, char *err, size_t errlen)
{
	static const char *const exts[] = {"basicConstraints=critical,CA:TRUE",
	                                   "keyUsage=critical,keyCertSign,cRLSign", NULL};
	char key[ARG_LEN], crt[ARG_LEN], subj[ARG_LEN], days[16];
	struct req r = {.key = key, .crt = crt, .subj = subj, .days = days, .exts = exts};

	snprintf(days, sizeof(days), "%d", TLSGEN_CA_DAYS);
	if (!fits(snprintf(key, sizeof(key), "%s/ca.key", dir), sizeof(key)) ||
	    !fits(snprintf(crt, sizeof(crt), "%s/ca.crt", dir), sizeof(crt)) ||
	    !fits(snprintf(subj, sizeof(subj), "/CN=%s", cn), sizeof(subj))) {
		snprintf(err, errlen, "%s: path or name too long", dir);
		return false;
	}
	return req_run(dir, &r, err, errlen);
}

bool tlsgen_leaf(const char *dir, const char *name, const char *cn, const char *sans, int days,
                 char *err, size_t errlen)
{
	char ca[ARG_LEN], ca_key[ARG_LEN], key[ARG_LEN], crt[ARG_LEN], subj[ARG_LEN];
	char san[ARG_LEN], days_s[16];
	const char *const exts[] = {san, "basicConstraints=critical,CA:FALSE",
	                            "keyUsage=critical,digitalSignature",
	                            "extendedKeyUsage=serverAuth,clientAuth", NULL};
	struct req r = {.key = key,
	                .crt = crt,
	                .subj = subj,
	                .days = days_s,
	                .ca = ca,
	                .ca_key = ca_key,
	                .exts = exts};

	snprintf(days_s, sizeof(days_s), "%d", days);
	if (!fits(snprintf(ca, sizeof(ca), "%s/ca.crt", dir), sizeof(ca)) ||
	    !fits(snprintf(ca_key, sizeof(ca_key), "%s/ca.key", dir), sizeof(ca_key)) ||
	    !fits(snprintf(key, sizeof(key), "%s/%s.key", dir, name), sizeof(key)) ||
	    !fits(snprintf(crt, sizeof(crt), "%s/%s.crt", dir, name), sizeof(crt)) ||
	    !fits(snprintf(subj, sizeof(subj), "/CN=%s", cn), sizeof(subj)) ||
	    !fits(snprintf(san, sizeof(san), "subjectAltName=%s", sans), sizeof(san))) {
		snprintf(err, errlen, "%s: path or name too long", dir);
		return false;
	}
	return req_run(dir, &r, err, errlen);
}
