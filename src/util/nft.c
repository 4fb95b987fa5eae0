/*
 * nft.c: nftables through the nft tool (see nft.h).
 */
#include "util/nft.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/fsutil.h"
#include "util/proc.h"

bool nft_binary(char *out, size_t size)
{
	const char *path = getenv("PATH");
	char dirs[4096];
	char *save = NULL;

	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin", path ? path : "");
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		int n = snprintf(out, size, "%s/nft", d);

		if (d[0] == '/' && n > 0 && (size_t)n < size && access(out, X_OK) == 0)
			return true;
	}
	return false;
}

bool nft_usable(char *err, size_t errlen)
{
	char path[PATH_MAX];

	if (geteuid() != 0) {
		snprintf(err, errlen, "nftables rules need root (running as uid %d)",
		         (int)geteuid());
		return false;
	}
	if (!nft_binary(path, sizeof(path))) {
		snprintf(err, errlen, "the nft tool is not installed (Debian package nftables)");
		return false;
	}
	return true;
}

/* run: nft with args (after the binary); stdout discarded, stderr ours unless quiet. */
static bool run(const char *const *args, bool quiet, char *err, size_t errlen)
{
	char path[PATH_MAX];
	const char *argv[8] = {path};
	struct buf out;
	struct proc_spec spec = {
	    .argv = argv, .stdin_null = true, .log_path = quiet ? "/dev/null" : NULL};
	bool ok;
	int n = 1;

	if (!nft_binary(path, sizeof(path))) {
		snprintf(err, errlen, "the nft tool is not installed (Debian package nftables)");
		return false;
	}
	for (; args[n - 1] && n < 7; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	buf_init(&out);
	ok = proc_run(&spec, NFT_TIMEOUT_MS, &out, err, errlen);
	buf_free(&out);
	return ok;
}

bool nft_apply(const char *ruleset, char *err, size_t errlen)
{
	char path[] = "/tmp/pgha-nft.XXXXXX";
	int fd = mkstemp(path);
	size_t len = strlen(ruleset);
	bool ok;

	if (fd == -1) {
		snprintf(err, errlen, "cannot write the ruleset: %s", strerror(errno));
		return false;
	}
	ok = write(fd, ruleset, len) == (ssize_t)len;
	close(fd);
	if (!ok)
		snprintf(err, errlen, "cannot write the ruleset to %s", path);
	else
		ok = run((const char *const[]){"-f", path, NULL}, false, err, errlen);
	unlink(path);
	return ok;
}

bool nft_table_exists(const char *family, const char *name)
{
	char err[256];

	return run((const char *const[]){"list", "table", family, name, NULL}, true, err,
	           sizeof(err));
}

bool nft_table_delete(const char *family, const char *name, char *err, size_t errlen)
{
	if (!nft_table_exists(family, name))
		return true;
	return run((const char *const[]){"delete", "table", family, name, NULL}, false, err,
	           errlen) ||
	       !nft_table_exists(family, name);
}
