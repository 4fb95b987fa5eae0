/*
 * fsutil.c: file and directory helpers.
 */
#include "util/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/strutil.h"
#include "util/xalloc.h"

off_t fs_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : 0;
}

void fs_read_tail(const char *path, off_t offset, char *out, size_t max)
{
	off_t end = fs_size(path);
	ssize_t got = 0;
	int fd;

	out[0] = '\0';
	if (end - offset > (off_t)max)
		offset = end - (off_t)max;
	if (end <= offset || (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	got = pread(fd, out, (size_t)(end - offset), offset);
	close(fd);
	out[got > 0 ? got : 0] = '\0';
}

char *fs_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, used = 0;
	char *data;

	if (fd == -1)
		return NULL;
	data = xmalloc(cap);
	for (;;) {
		ssize_t n;

		if (used + 1 >= cap) {
			cap *= 2;
			data = xrealloc(data, cap);
		}
		n = read(fd, data + used, cap - used - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			int saved = errno;

			free(data);
			close(fd);
			errno = saved;
			return NULL;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	data[used] = '\0';
	if (len)
		*len = used;
	return data;
}

static bool write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static void fsync_parent(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd != -1) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

bool fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = xasprintf("%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	bool ok = false;

	if (fd == -1)
		goto out;
	/* open() applies the umask; the caller's mode (e.g. 0600 for secrets) must hold. */
	ok = fchmod(fd, mode) == 0 && write_all(fd, data, len) && fsync(fd) == 0;
	ok = (close(fd) == 0) && ok;
	if (ok)
		ok = rename(tmp, path) == 0;
	if (ok)
		fsync_parent(path);
	else
		unlink(tmp);
out:
	free(tmp);
	return ok;
}

bool fs_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	if (!str_copy(buf, sizeof(buf), path)) {
		errno = ENAMETOOLONG;
		return false;
	}
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) == -1 && errno != EEXIST)
			return false;
		*p = '/';
	}
	if (mkdir(buf, mode) == -1 && errno != EEXIST)
		return false;
	return fs_is_dir(buf);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) == -1 && errno != ENOENT ? -1 : 0;
	return unlink(path) == -1 && errno != ENOENT ? -1 : 0;
}

bool fs_rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return errno == ENOENT;
	return nftw(path, rm_entry, 32, FTW_DEPTH | FTW_PHYS) == 0;
}

bool fs_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

bool fs_same_file(const char *a, const char *b)
{
	struct stat sa;
	struct stat sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

bool fs_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool fs_dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool empty = true;

	if (d == NULL)
		return errno == ENOENT;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			empty = false;
			break;
		}
	}
	closedir(d);
	return empty;
}

static uid_t chown_uid;
static gid_t chown_gid;

static int chown_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return lchown(path, chown_uid, chown_gid);
}

bool fs_chown_r(const char *path, uid_t uid, gid_t gid)
{
	/* nftw offers no context pointer; this runs only in single-threaded CLI code. */
	chown_uid = uid;
	chown_gid = gid;
	return nftw(path, chown_entry, 32, FTW_PHYS) == 0;
}

bool fs_abspath(const char *path, char *out, size_t size)
{
	char cwd[PATH_MAX];
	int n;

	if (path[0] == '/')
		return str_copy(out, size, path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return false;
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	n = strcmp(path, ".") == 0 ? snprintf(out, size, "%s", cwd)
	                           : snprintf(out, size, "%s/%s", cwd, path);
	return n > 0 && (size_t)n < size;
}
