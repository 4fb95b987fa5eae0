/*
 * tls.h: what a TLS client presents and trusts, as plain data: the CA bundle that
 * server certificates are verified against, an optional client certificate with its
 * key, and whether verification is switched off.
 *
 * config/ fills it from Patroni's keys (etcd3.cacert/cert/key; ctl.cacert/certfile/
 * keyfile/keyfile_password/insecure, falling back to restapi.cafile/certfile/keyfile as
 * Patroni's REST client does), the router's file and the lab fill it too, and http/
 * hands it to libcurl: the one type both sides share, so that neither has to include
 * the other. Nothing here opens a file.
 */
#ifndef PGHA_UTIL_TLS_H
#define PGHA_UTIL_TLS_H

#include <limits.h>
#include <stdbool.h>

#define TLS_SECRET_LEN 256

struct tls_client {
	char cafile[PATH_MAX];             /* trust only this CA bundle; "" = the system's CAs */
	char certfile[PATH_MAX];           /* client certificate (PEM); "" = none */
	char keyfile[PATH_MAX];            /* its private key; "" = in certfile */
	char key_password[TLS_SECRET_LEN]; /* decrypts keyfile; "" = not encrypted */
	bool insecure; /* accept any server certificate (ctl.insecure): debugging only */
};

#endif
