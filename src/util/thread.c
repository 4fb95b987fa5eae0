/*
 * thread.c: named thread starts (see thread.h).
 */
#include "util/thread.h"

#include <stdio.h>

int thread_start(pthread_t *thread, const char *name, void *(*main)(void *), void *arg)
{
	char short_name[16];
	int rc = pthread_create(thread, NULL, main, arg);

	if (rc != 0)
		return rc;
	/* The kernel keeps 15 bytes; a longer name would make the call fail. */
	snprintf(short_name, sizeof(short_name), "%s", name);
	(void)pthread_setname_np(*thread, short_name);
	return 0;
}
