/*
 * fuzz_dcs_member.c: a members/<name> value (dcs_member_decode), as any etcd writer
 * may put it: every field bounded and terminated, the port of conn_url in range.
 */
#include "dcs/dcs.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct dcs_member m;
	char err[256];

	memset(&m, 0, sizeof(m));
	strcpy(m.name, "fuzz");
	if (dcs_member_decode(text, &m, err, sizeof(err))) {
		FUZZ_CHECK(strcmp(m.name, "fuzz") == 0);
		FUZZ_CHECK(fuzz_terminated(m.conn_url) && fuzz_terminated(m.api_url));
		FUZZ_CHECK(fuzz_terminated(m.host) && fuzz_terminated(m.pooler));
		FUZZ_CHECK(fuzz_terminated(m.state) && fuzz_terminated(m.role));
		FUZZ_CHECK(fuzz_terminated(m.replication_state));
		FUZZ_CHECK(m.conn_url[0] == '\0' || (m.port > 0 && m.port <= 65535));
	} else {
		FUZZ_CHECK(fuzz_terminated(err));
	}
	free(text);
	return 0;
}
