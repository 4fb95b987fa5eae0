/*
 * ops_diff.h: a unified diff of two texts, line by line, as `diff -u` and Python's
 * difflib.unified_diff print it (what patronictl edit-config shows before it writes).
 *
 * Pure: no I/O. Texts are compared as lines; a missing final newline is ignored.
 */
#ifndef PGHA_CLI_OPS_DIFF_H
#define PGHA_CLI_OPS_DIFF_H

#include "util/buf.h"

/*
 * ops_diff_unified: appends to out the "--- from" / "+++ to" header and the hunks
 * ("@@ -a,b +c,d @@", lines prefixed ' ', '-', '+') with context lines around each
 * change; nothing when the texts have the same lines. Above a few million line pairs
 * (texts of thousands of lines) it falls back to one hunk replacing everything.
 */
void ops_diff_unified(const char *before, const char *after, const char *from, const char *to,
                      int context, struct buf *out);

#endif
