/*
 * fuzz_iso8601.c: the timestamp parser (util/iso8601.h) that reads scheduled_at in etcd
 * and in REST bodies: any text, valid or not, never a crash, and a valid time is one
 * of the years the parser admits.
 */
#include "fuzz.h"
#include "util/iso8601.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	int64_t ms = 0;
	enum iso8601_result r = iso8601_parse(text, &ms);

	if (r != ISO8601_INVALID) /* years 0001-9999, with any offset */
		FUZZ_CHECK(ms > -62200000000000LL && ms < 253500000000000LL);
	free(text);
	return 0;
}
