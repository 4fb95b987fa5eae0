/*
 * api_tls.c: https for the REST API (see api_tls.h).
 */
#include "api/api_tls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <gnutls/gnutls.h>
#include "log/log.h"
#include "util/fsutil.h"
#include "util/xalloc.h"

/* GnuTLS priorities: its defaults without anything older than TLS 1.2. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

static char *read_pem(const char *key, const char *path)
{
	size_t len;
	char *text = fs_read_file(path, &len);

	if (text == NULL)
		log_error("REST API: %s %s: cannot read: %s", key, path, strerror(errno));
	return text;
}

bool api_tls_load(const struct api_options *opt, struct api_tls *t)
{
	memset(t, 0, sizeof(*t));
	if (opt->certfile == NULL || opt->certfile[0] == '\0')
		return true;
	t->on = true;
	t->verify = opt->verify_client;
	if (opt->keyfile == NULL || opt->keyfile[0] == '\0' ||
	    (t->verify != API_VERIFY_NONE && (opt->cafile == NULL || opt->cafile[0] == '\0'))) {
		log_error("REST API: restapi.certfile needs restapi.keyfile, and verify_client "
		          "needs restapi.cafile");
		return false;
	}
	t->cert = read_pem("restapi.certfile", opt->certfile);
	t->key = read_pem("restapi.keyfile", opt->keyfile);
	if (t->verify != API_VERIFY_NONE)
		t->trust = read_pem("restapi.cafile", opt->cafile);
	if (opt->keyfile_password != NULL && opt->keyfile_password[0] != '\0')
		t->key_password = xstrdup(opt->keyfile_password);
	if (t->cert == NULL || t->key == NULL || (t->verify != API_VERIFY_NONE && !t->trust)) {
		api_tls_free(t);
		return false;
	}
	return true;
}

void api_tls_free(struct api_tls *t)
{
	free(t->cert);
	if (t->key != NULL)
		explicit_bzero(t->key, strlen(t->key));
	free(t->key);
	free(t->trust);
	if (t->key_password != NULL)
		explicit_bzero(t->key_password, strlen(t->key_password));
	free(t->key_password);
	memset(t, 0, sizeof(*t));
}

void api_tls_options(const struct api_tls *t, struct MHD_OptionItem *items, unsigned *flags)
{
	int n = 0;

	if (t->on) {
		*flags |= MHD_USE_TLS;
		items[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, t->cert};
		items[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, t->key};
		items[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
		                                     (void *)(uintptr_t)TLS_PRIORITIES};
		if (t->key_password != NULL)
			items[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_KEY_PASSWORD, 0,
			                                     t->key_password};
		if (t->trust != NULL)
			items[n++] =
			    (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0, t->trust};
	}
	items[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
}

bool api_tls_client_verified(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t session;
	unsigned int status = 1;
	unsigned int n = 0;

	if (ci == NULL || ci->tls_session == NULL)
		return false;
	session = (gnutls_session_t)ci->tls_session;
	/* No certificate at all: verify_peers would call that "not signed by a CA" too. */
	if (gnutls_certificate_get_peers(session, &n) == NULL || n == 0)
		return false;
	return gnutls_certificate_verify_peers2(session, &status) == GNUTLS_E_SUCCESS &&
	       status == 0;
}
