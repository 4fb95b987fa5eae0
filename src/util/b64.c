/*
 * b64.c: base64 encoder and strict decoder.
 */
#include "util/b64.h"

#include <string.h>
#include "util/xalloc.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *b64_encode(const void *data, size_t len)
{
	const unsigned char *in = data;
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static int sextet(char c)
{
	const char *p = c ? strchr(alphabet, c) : NULL;

	return p ? (int)(p - alphabet) : -1;
}

char *b64_decode(const char *text, size_t *out_len)
{
	size_t len = strlen(text);
	char *out;
	size_t o = 0;

	if (len % 4 != 0)
		return NULL;
	out = xmalloc(len / 4 * 3 + 1);
	for (size_t i = 0; i < len; i += 4) {
		int a = sextet(text[i]), b = sextet(text[i + 1]);
		int c = text[i + 2] == '=' ? 0 : sextet(text[i + 2]);
		int d = text[i + 3] == '=' ? 0 : sextet(text[i + 3]);
		bool last = i + 4 == len;

		if (a < 0 || b < 0 || c < 0 || d < 0 ||
		    (!last && (text[i + 2] == '=' || text[i + 3] == '=')) ||
		    (text[i + 2] == '=' && text[i + 3] != '=')) {
			free(out);
			return NULL;
		}
		unsigned v =
		    ((unsigned)a << 18) | ((unsigned)b << 12) | ((unsigned)c << 6) | (unsigned)d;
		out[o++] = (char)(v >> 16);
		if (text[i + 2] != '=')
			out[o++] = (char)(v >> 8);
		if (text[i + 3] != '=')
			out[o++] = (char)v;
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}
