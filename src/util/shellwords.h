/*
 * shellwords.h: a command line split into words the way Python's shlex.split (POSIX
 * mode) does, which is how Patroni reads the `command` of a replica creation or
 * bootstrap method. No expansion of any kind: no variables, globs or substitutions;
 * the words are run directly, never through a shell.
 *
 *   blanks separate words; '...' keeps everything literally; "..." keeps everything but
 *   \" \\ \$ \` (backslash-escaped); outside quotes a backslash escapes the next byte.
 *
 * Pure: no I/O.
 */
#ifndef PGHA_UTIL_SHELLWORDS_H
#define PGHA_UTIL_SHELLWORDS_H

#include <stdbool.h>
#include <stddef.h>
#include "util/compiler.h"

/*
 * shellwords_split: the words of s as an owned, NULL-terminated vector (free it with
 * shellwords_free). False with err set on an unterminated quote or a trailing
 * backslash; *out is then NULL. An empty line gives an empty vector.
 */
bool shellwords_split(const char *s, char ***out, char *err, size_t errlen) MUST_CHECK;
void shellwords_free(char **words);

#endif
