/*
 * fuzz.h: what the libFuzzer harnesses (tests/fuzz/fuzz_*.c) share: the entry point's
 * declaration, a NUL-terminated copy of the input, and a property check that aborts
 * (so that libFuzzer saves the input as a crash). Header-only; see tests/fuzz/README.md.
 */
#ifndef PGHA_TESTS_FUZZ_H
#define PGHA_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_text: an owned NUL-terminated copy of the input (it may hold NULs of its own). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* FUZZ_CHECK: a property that must hold for every input; a violation is a crash. */
#define FUZZ_CHECK(cond)                                                                      \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, \
			        #cond);                                                       \
			abort();                                                              \
		}                                                                             \
	} while (0)

/* fuzz_terminated: a fixed array holds a NUL-terminated string. */
#define fuzz_terminated(arr) (memchr((arr), '\0', sizeof(arr)) != NULL)

#endif
