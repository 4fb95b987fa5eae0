/*
 * cgroup.c: the cgroup v2 hierarchy: where it is, paths for nftables, membership,
 * removal (see cgroup.h).
 */
#include "util/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/fsutil.h"
#include "util/strutil.h"

/* mountinfo_cgroup2: one mountinfo line; its mount point into out if it is cgroup2. */
static bool mountinfo_cgroup2(const char *line, size_t len, char *out, size_t size)
{
	char copy[1024];
	char *fields[6];
	char *save = NULL;
	char *dash;
	int n = 0;

	if (len >= sizeof(copy))
		return false;
	memcpy(copy, line, len);
	copy[len] = '\0';
	/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS" */
	dash = strstr(copy, " - ");
	if (dash == NULL || strncmp(dash + 3, "cgroup2 ", 8) != 0)
		return false;
	*dash = '\0';
	for (char *f = strtok_r(copy, " ", &save); f && n < 6; f = strtok_r(NULL, " ", &save))
		fields[n++] = f;
	return n >= 5 && fields[4][0] == '/' && str_copy(out, size, fields[4]);
}

bool cgroup2_mount_from(const char *mountinfo, char *out, size_t size)
{
	for (const char *p = mountinfo; p && *p;) {
		size_t len = strcspn(p, "\n");

		if (mountinfo_cgroup2(p, len, out, size))
			return true;
		p += len;
		p += *p == '\n';
	}
	return false;
}

bool cgroup2_root(char *out, size_t size)
{
	char *text = fs_read_file("/proc/self/mountinfo", NULL);
	bool ok = text != NULL && cgroup2_mount_from(text, out, size);

	free(text);
	return ok;
}

bool cgroup_nft_path(const char *root, const char *rel, char *out, size_t size, int *level)
{
	const char *below;
	int n;

	if (!str_has_prefix(root, CGROUP_NFT_BASE) || rel[0] != '/' || rel[1] == '\0')
		return false;
	below = root + strlen(CGROUP_NFT_BASE);
	if (*below != '\0' && *below != '/')
		return false;
	*level = 0;
	for (const char *p = rel; *p; p++)
		*level += *p == '/';
	/* "/unified" + "/pgha/n1" -> "unified/pgha/n1"; "" + "/pgha/n1" -> "pgha/n1" */
	n = snprintf(out, size, "%s%s", *below ? below + 1 : "", *below ? rel : rel + 1);
	return n > 0 && (size_t)n < size;
}

bool cgroup_of_pid(pid_t pid, char *out, size_t size)
{
	char path[64];
	char *text;
	const char *line;
	bool ok = false;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	text = fs_read_file(path, NULL);
	if (text == NULL)
		return false;
	/* one line per hierarchy: "0::/path" is the v2 one */
	for (line = text; *line != '\0';) {
		size_t len = strcspn(line, "\n");

		if (str_has_prefix(line, "0::")) {
			ok = len - 3 < size;
			if (ok)
				snprintf(out, size, "%.*s", (int)(len - 3), line + 3);
			break;
		}
		line += len + (line[len] == '\n');
	}
	free(text);
	return ok;
}

bool cgroup_within(const char *path, const char *rel)
{
	size_t n = strlen(rel);

	return strncmp(path, rel, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* add_procs: the pids of dir/cgroup.procs appended to pids[*n..max). */
static void add_procs(const char *dir, pid_t *pids, int *n, int max)
{
	char path[PATH_MAX + 16];
	char *text;
	char *save = NULL;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	text = fs_read_file(path, NULL);
	for (char *t = text ? strtok_r(text, "\n", &save) : NULL; t && *n < max;
	     t = strtok_r(NULL, "\n", &save)) {
		int pid;

		if (str_parse_int(t, &pid) && pid > 0)
			pids[(*n)++] = (pid_t)pid;
	}
	free(text);
}

/*
 * walk: visits dir and every cgroup below it, children before their parent; fn gets
 * each directory. False when fn failed on one (the walk goes on).
 */
static bool walk(const char *dir, bool (*fn)(const char *dir, void *arg), void *arg)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool ok = true;

	if (d == NULL)
		return fn(dir, arg);
	while ((e = readdir(d)) != NULL) {
		char sub[PATH_MAX];

		if (e->d_type != DT_DIR || str_eq(e->d_name, ".") || str_eq(e->d_name, ".."))
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name) < (int)sizeof(sub))
			ok = walk(sub, fn, arg) && ok;
	}
	closedir(d);
	return fn(dir, arg) && ok;
}

struct pid_list {
	pid_t *pids;
	int n;
	int max;
};

static bool collect(const char *dir, void *arg)
{
	struct pid_list *l = arg;

	add_procs(dir, l->pids, &l->n, l->max);
	return true;
}

int cgroup_pids(const char *root, const char *rel, pid_t *pids, int max)
{
	char dir[PATH_MAX];
	struct pid_list l = {.pids = pids, .max = max};

	if (snprintf(dir, sizeof(dir), "%s%s", root, rel) >= (int)sizeof(dir) || !fs_is_dir(dir))
		return -1;
	(void)walk(dir, collect, &l);
	return l.n;
}

static bool remove_one(const char *dir, void *arg)
{
	(void)arg;
	return rmdir(dir) == 0 || errno == ENOENT;
}

bool cgroup_remove(const char *root, const char *rel)
{
	char dir[PATH_MAX];

	if (snprintf(dir, sizeof(dir), "%s%s", root, rel) >= (int)sizeof(dir))
		return false;
	if (!fs_exists(dir))
		return true;
	return walk(dir, remove_one, NULL);
}
