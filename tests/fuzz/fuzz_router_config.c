/*
 * fuzz_router_config.c: the router's file (router_config_load) on any text, through a
 * memfd so that the file path the router reads is the one a user gives: a
 * configuration or line-numbered errors, never a crash.
 */
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz.h"
#include "router/router_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("router.yml", MFD_CLOEXEC);
	char path[64], err[2048];
	struct router_config cfg;

	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (router_config_load(&cfg, path, err, sizeof(err))) {
		FUZZ_CHECK(cfg.scope[0] != '\0' && cfg.n_etcd > 0);
		FUZZ_CHECK(cfg.rise >= 1 && cfg.fall >= 1 && cfg.login_timeout_ms >= 0);
	} else {
		FUZZ_CHECK(fuzz_terminated(err) && err[0] != '\0');
	}
	close(fd);
	return 0;
}
