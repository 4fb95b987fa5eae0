/*
 * fuzz_router_wire.c: the router's look at a client's first bytes (wire_classify) and
 * the ErrorResponse it builds (wire_error): a kind only when the bytes allow it, and an
 * ErrorResponse that is well-formed (its length field, its terminators) in any buffer.
 */
#include "fuzz.h"
#include "router/router_wire.h"

static void check_error(const uint8_t *data, size_t size)
{
	char out[WIRE_ERROR_MAX], state[6] = "00000", msg[600];
	size_t cap = size > 0 ? data[0] % (sizeof(out) + 1) : sizeof(out);
	size_t mlen = size > 6 ? size - 6 : 0;
	size_t n;

	if (size > 5)
		memcpy(state, data + 1, 5);
	mlen = mlen < sizeof(msg) - 1 ? mlen : sizeof(msg) - 1;
	memcpy(msg, data + (size > 6 ? 6 : size), mlen);
	msg[mlen] = '\0';
	n = wire_error(out, cap, state, msg);
	FUZZ_CHECK(n <= cap);
	if (n > 0) {
		uint32_t len = (uint32_t)(unsigned char)out[1] << 24 |
		               (uint32_t)(unsigned char)out[2] << 16 |
		               (uint32_t)(unsigned char)out[3] << 8 | (unsigned char)out[4];

		FUZZ_CHECK(out[0] == 'E' && len == n - 1 && out[n - 1] == '\0' &&
		           out[n - 2] == '\0');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum wire_first k = wire_classify(data, size);

	FUZZ_CHECK(k < WIRE__COUNT);
	if (k == WIRE_CANCEL)
		FUZZ_CHECK(size >= WIRE_CANCEL_LEN);
	if (k == WIRE_STARTUP || k == WIRE_SSL || k == WIRE_GSSENC)
		FUZZ_CHECK(size >= 8);
	if (k == WIRE_NEED_MORE)
		FUZZ_CHECK(size < WIRE_PEEK_LEN);
	check_error(data, size);
	return 0;
}
