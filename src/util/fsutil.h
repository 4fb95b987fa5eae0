/*
 * fsutil.h: whole-file reads, atomic writes and directory helpers.
 *
 * Library-like: nothing here logs. Failures return false with errno set (or a message
 * in err for the functions that take one).
 */
#ifndef PGHA_UTIL_FSUTIL_H
#define PGHA_UTIL_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "util/compiler.h"

/* fs_size: the size of path in bytes, 0 if it cannot be read (a log not written yet). */
off_t fs_size(const char *path);
/*
 * fs_read_tail: what was appended to path since offset, at most max bytes (the last
 * ones), NUL-terminated in out[max + 1]; "" if nothing. For a failed program's last
 * words in its log.
 */
void fs_read_tail(const char *path, off_t offset, char *out, size_t max);
/* fs_read_file: owned NUL-terminated contents of path; NULL (errno set) on failure. */
char *fs_read_file(const char *path, size_t *len);
/*
 * fs_write_atomic: writes data to path.tmp, fsyncs it, renames it over path and fsyncs
 * the directory, so readers see the old file or the new one, never a torn one.
 */
bool fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode) MUST_CHECK;
/* fs_mkdir_p: creates path and its parents with mode (existing directories are fine). */
bool fs_mkdir_p(const char *path, mode_t mode) MUST_CHECK;
/* fs_rm_rf: removes path recursively; a missing path is success. */
bool fs_rm_rf(const char *path) MUST_CHECK;
bool fs_exists(const char *path);
/* fs_same_file: a and b name the same file or directory (same device and inode). */
bool fs_same_file(const char *a, const char *b);
bool fs_is_dir(const char *path);
/* fs_dir_is_empty: true for an empty or missing directory. */
bool fs_dir_is_empty(const char *path);
/* fs_chown_r: chowns path and everything below it. */
bool fs_chown_r(const char *path, uid_t uid, gid_t gid) MUST_CHECK;
/* fs_abspath: absolute form of path (which need not exist) into out. */
bool fs_abspath(const char *path, char *out, size_t size) MUST_CHECK;

#endif
