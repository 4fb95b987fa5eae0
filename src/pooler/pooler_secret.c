/*
 * pooler_secret.c: SCRAM verifiers through libpq.
 */
#include "pooler/pooler_secret.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include "util/b64.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define RANDOM_PASSWORD_BYTES 32

/* random_password: an owned base64 text of random bytes, or NULL if none could be read. */
static char *random_password(void)
{
	unsigned char raw[RANDOM_PASSWORD_BYTES];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return NULL;
	return b64_encode(raw, sizeof(raw));
}

bool pooler_scram_verifier(const char *user, const char *password, char *out, size_t size,
                           char *err, size_t errlen)
{
	char *own = password[0] ? NULL : random_password();
	/*
	 * PQencryptPasswordConn wants a connection object only to ask the server for
	 * password_encryption when no algorithm is given; with one, any PGconn does. An
	 * unknown option makes libpq return a failed one at once, without any I/O.
	 */
	PGconn *conn = PQconnectStart("pgha_no_connection=1");
	char *v = NULL;
	bool ok = false;

	if (password[0] == '\0' && own == NULL)
		snprintf(err, errlen, "cannot read random bytes for a password");
	else if (conn == NULL)
		snprintf(err, errlen, "out of memory for a libpq connection object");
	else if ((v = PQencryptPasswordConn(conn, own ? own : password, user, "scram-sha-256")) ==
	         NULL)
		snprintf(err, errlen, "cannot compute a SCRAM verifier: %s", PQerrorMessage(conn));
	else if (!(ok = str_copy(out, size, v)))
		snprintf(err, errlen, "SCRAM verifier too long");
	if (own) {
		memset(own, 0, strlen(own));
		free(own);
	}
	PQfreemem(v);
	PQfinish(conn);
	return ok;
}
