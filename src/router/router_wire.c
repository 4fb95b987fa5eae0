/*
 * router_wire.c: a client's first message, and the ErrorResponse the router sends
 * (router_wire.h). Formats from PostgreSQL's protocol documentation (Message Formats).
 */
#include "router/router_wire.h"

#include <string.h>

#define CODE_CANCEL 80877102u /* 1234 << 16 | 5678 */
#define CODE_SSL    80877103u
#define CODE_GSSENC 80877104u

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void put_u32(char *p, uint32_t v)
{
	p[0] = (char)(v >> 24);
	p[1] = (char)(v >> 16);
	p[2] = (char)(v >> 8);
	p[3] = (char)v;
}

enum wire_first wire_classify(const unsigned char *buf, size_t len)
{
	uint32_t n, code;

	/* A TLS record of type handshake (22), version 3.x: direct TLS, no SSLRequest first. */
	if (len >= 1 && buf[0] == 0x16)
		return len < 2 ? WIRE_NEED_MORE : buf[1] == 0x03 ? WIRE_DIRECT_TLS : WIRE_BAD;
	if (len < 8)
		return WIRE_NEED_MORE;
	n = get_u32(buf);
	code = get_u32(buf + 4);
	if (code == CODE_CANCEL) {
		if (n != WIRE_CANCEL_LEN)
			return WIRE_BAD;
		return len < WIRE_CANCEL_LEN ? WIRE_NEED_MORE : WIRE_CANCEL;
	}
	if (code == CODE_SSL || code == CODE_GSSENC)
		return n != 8 ? WIRE_BAD : code == CODE_SSL ? WIRE_SSL : WIRE_GSSENC;
	/* A startup packet: protocol 3.x (or 2.0, which the server refuses itself). */
	if (n < 8 || n > WIRE_MAX_STARTUP || (code >> 16 != 3 && code >> 16 != 2))
		return WIRE_BAD;
	return WIRE_STARTUP;
}

int wire_may_encrypt(enum wire_first k)
{
	return k == WIRE_SSL || k == WIRE_GSSENC || k == WIRE_DIRECT_TLS;
}

/* field: a type byte and a NUL-terminated text (cut to max bytes) at out+pos, or 0. */
static size_t field(char *out, size_t size, size_t pos, char type, const char *text, size_t max)
{
	size_t len = strnlen(text, max);

	if (pos + 1 + len + 1 > size)
		return 0;
	out[pos] = type;
	memcpy(out + pos + 1, text, len);
	out[pos + 1 + len] = '\0';
	return 1 + len + 1;
}

size_t wire_error(char *out, size_t size, const char *sqlstate, const char *message)
{
	size_t pos = 5, n;
	/* Severity twice: S is localized in general, V (since 9.6) never is. */
	const struct {
		char type;
		const char *text;
		size_t max;
	} fields[] = {
	    {'S', "FATAL", 5}, {'V', "FATAL", 5}, {'C', sqlstate, 5}, {'M', message, 400}};

	if (size < 6)
		return 0;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		n = field(out, size, pos, fields[i].type, fields[i].text, fields[i].max);
		if (n == 0)
			return 0;
		pos += n;
	}
	if (pos + 1 > size)
		return 0;
	out[pos++] = '\0';
	out[0] = 'E';
	put_u32(out + 1, (uint32_t)(pos - 1));
	return pos;
}
