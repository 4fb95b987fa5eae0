/*
 * lab_place.c: where a lab lives, and the copy of pgha it runs (see lab_place.h).
 */
#include "lab/lab_place.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/fsutil.h"
#include "util/strutil.h"

#define NAME_MAX_LEN 24 /* of the link's name kept in the directory's name */

bool lab_place_needed(const struct lab_runas *ru, const char *dir)
{
	char parent[PATH_MAX];

	if (!ru->set_user || !str_copy(parent, sizeof(parent), dir))
		return false;
	return !lab_user_can_access(ru, dirname(parent), X_OK);
}

/* private_base: base exists as a directory of ours, writable by nobody else. */
static bool private_base(const char *base, char *err, size_t errlen)
{
	struct stat st;

	if (!fs_mkdir_p(base, 0755) || lstat(base, &st) == -1) {
		snprintf(err, errlen, "cannot create %s: %s", base, strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
		snprintf(err, errlen,
		         "%s is not a directory of uid %d that only it may write; refusing to "
		         "put a lab there",
		         base, (int)geteuid());
		return false;
	}
	return true;
}

/* dir_name: the link's last component, cut to NAME_MAX_LEN of [A-Za-z0-9_.-]. */
static void dir_name(const char *link, char *out, size_t size)
{
	const char *slash = strrchr(link, '/');
	const char *name = slash ? slash + 1 : link;
	size_t n = 0;

	for (; *name && n + 1 < size && n < NAME_MAX_LEN; name++) {
		bool plain = strchr("_.-", *name) != NULL || (*name >= '0' && *name <= '9') ||
		             (*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z');

		out[n++] = plain ? *name : '_';
	}
	out[n] = '\0';
	if (n == 0 || out[0] == '.')
		snprintf(out, size, "lab");
}

bool lab_place_elsewhere(const char *base, const char *link, char *out, size_t size, char *err,
                         size_t errlen)
{
	char name[NAME_MAX_LEN + 1];
	int n;

	dir_name(link, name, sizeof(name));
	n = snprintf(out, size, "%s/%s.XXXXXX", base, name);
	if (n < 0 || (size_t)n >= size) {
		snprintf(err, errlen, "%s: path too long", base);
		return false;
	}
	if (!private_base(base, err, errlen))
		return false;
	if (mkdtemp(out) == NULL || chmod(out, 0755) == -1) {
		snprintf(err, errlen, "cannot create a directory in %s: %s", base, strerror(errno));
		return false;
	}
	/* An empty directory at link is allowed (`pgha up` accepts one): it gives way. */
	if ((fs_is_dir(link) && rmdir(link) == -1) || symlink(out, link) == -1) {
		snprintf(err, errlen, "cannot make %s a link to %s: %s", link, out,
		         strerror(errno));
		rmdir(out);
		return false;
	}
	return true;
}

bool lab_place_unlink(const struct lab_cluster *c)
{
	char target[PATH_MAX];
	char base[PATH_MAX];
	ssize_t n;

	if (c->link[0] == '\0')
		return true;
	n = readlink(c->link, target, sizeof(target) - 1);
	if (n <= 0)
		return true; /* gone already, or no longer a link: nothing of ours to remove */
	target[n] = '\0';
	if (!str_eq(target, c->dir))
		return true;
	if (unlink(c->link) == -1)
		return false;
	/* The base goes too once its last lab has gone (rmdir refuses otherwise). */
	if (!fs_exists(c->dir) && str_copy(base, sizeof(base), c->dir))
		(void)rmdir(dirname(base));
	return true;
}

bool lab_install_binary(struct lab_cluster *c, const char *src, char *err, size_t errlen)
{
	char bin_dir[PATH_MAX];
	char dst[PATH_MAX];
	size_t len = 0;
	char *data;
	bool ok;

	if (!lab_path(c, "bin", bin_dir, sizeof(bin_dir)) ||
	    !lab_path(c, LAB_BIN_REL, dst, sizeof(dst))) {
		snprintf(err, errlen, "%s: path too long", c->dir);
		return false;
	}
	data = fs_read_file(src, &len);
	ok = data != NULL && fs_mkdir_p(bin_dir, 0755) && fs_write_atomic(dst, data, len, 0755);
	if (!ok)
		snprintf(err, errlen, "cannot copy %s to %s: %s", src, dst, strerror(errno));
	free(data);
	return ok && str_copy(c->pgha_bin, sizeof(c->pgha_bin), dst);
}
