/*
 * router_wire.h: the few PostgreSQL protocol messages the router reads or writes itself.
 *
 * The router relays bytes and never parses a session; it only looks at a client's first
 * message, before any backend is involved: a CancelRequest must go where its session
 * is, and something that is no PostgreSQL client is refused at the door. And it answers
 * a client it cannot serve (no target in time, too many connections from its address)
 * with an ErrorResponse, which every driver reports, instead of a bare close. Pure:
 * no I/O, no allocation; fuzzed (tests/fuzz).
 */
#ifndef PGHA_ROUTER_ROUTER_WIRE_H
#define PGHA_ROUTER_ROUTER_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_CANCEL_LEN  16    /* a CancelRequest: length, code, process id, secret key */
#define WIRE_PEEK_LEN    16    /* the most wire_classify ever needs */
#define WIRE_MAX_STARTUP 10000 /* PostgreSQL's limit on a startup packet */
#define WIRE_ERROR_MAX   512   /* room for any ErrorResponse wire_error builds */

/* What a client's first message is. */
enum wire_first {
	WIRE_NEED_MORE = 0, /* too few bytes to tell */
	WIRE_STARTUP,       /* StartupMessage (protocol 2 or 3): relay */
	WIRE_SSL,           /* SSLRequest: relay; the stream may be encrypted from then on */
	WIRE_GSSENC,        /* GSSENCRequest: likewise */
	WIRE_DIRECT_TLS,    /* a TLS ClientHello (PostgreSQL 17's sslnegotiation=direct): relay */
	WIRE_CANCEL,        /* CancelRequest: the first WIRE_CANCEL_LEN bytes */
	WIRE_BAD,           /* no PostgreSQL client's first message: refuse */
	WIRE__COUNT
};

/* wire_classify: the kind of the first message of buf[len] (the start of the stream). */
enum wire_first wire_classify(const unsigned char *buf, size_t len);
/* wire_may_encrypt: after a first message of kind k, the stream may be encrypted. */
int wire_may_encrypt(enum wire_first k);
/*
 * wire_error: a FATAL ErrorResponse (severity, SQLSTATE, message) into out[size];
 * returns its length, 0 if it does not fit. The message is cut to keep within size.
 */
size_t wire_error(char *out, size_t size, const char *sqlstate, const char *message);

#endif
