/*
 * api_tls.h: the REST API's TLS side on libmicrohttpd and GnuTLS: the certificate, key
 * and client CA read into memory, the daemon options that turn https on, and the check
 * of a connection's client certificate.
 *
 * Protocols: TLS 1.2 and 1.3 only. Client certificates are asked for only when
 * verify_client is optional or required; libmicrohttpd then asks without insisting,
 * and api_tls_client_verified tells whether the connection presented one that
 * chains to restapi.cafile and is in its validity period (the caller answers 403,
 * as Patroni does). Errors are logged here, with the file they concern.
 */
#ifndef PGHA_API_API_TLS_H
#define PGHA_API_API_TLS_H

#include <stdbool.h>
#include <microhttpd.h>
#include "api/api.h"
#include "util/compiler.h"

#define API_TLS_MAX_OPTIONS 6 /* api_tls_options' items, MHD_OPTION_END included */

struct api_tls {
	bool on;    /* https */
	char *cert; /* owned PEM texts */
	char *key;
	char *trust; /* NULL unless client certificates are asked for */
	char *key_password;
	enum api_verify_client verify;
};

/* api_tls_load: reads opt's files (nothing when certfile is unset). False (logged) on error. */
bool api_tls_load(const struct api_options *opt, struct api_tls *t) MUST_CHECK;
void api_tls_free(struct api_tls *t);
/* api_tls_options: libmicrohttpd options for t into items, MHD_OPTION_END last; flags |= TLS. */
void api_tls_options(const struct api_tls *t, struct MHD_OptionItem *items, unsigned *flags);
/* api_tls_client_verified: conn presented a client certificate that verifies. */
bool api_tls_client_verified(struct MHD_Connection *conn);

#endif
