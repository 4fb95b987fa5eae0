/*
 * cgroup.h: the cgroup v2 hierarchy, as far as pgha uses it: to start each process of
 * a lab in a cgroup of its own (no controller is enabled: membership costs nothing), so
 * that nftables can tell whose socket a packet belongs to (`socket cgroupv2`) and a
 * chaos run can cut one node's links while everything else flows.
 *
 * Paths named "rel" are relative to the hierarchy's root, with a leading slash, as
 * /proc/<pid>/cgroup shows them ("/pgha-31000/node1"). A socket keeps the cgroup it
 * was created in, and an accepted socket inherits its listener's: a process is put in
 * its cgroup before exec (proc_spec.cgroup), never moved later.
 *
 * Library-like: failures are false (errno set where a system call failed), nothing is
 * logged.
 */
#ifndef PGHA_UTIL_CGROUP_H
#define PGHA_UTIL_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "util/compiler.h"

/* Where nftables resolves `socket cgroupv2` paths: relative to this directory. */
#define CGROUP_NFT_BASE "/sys/fs/cgroup"

/*
 * cgroup2_mount_from: the mount point of the cgroup2 file system in a
 * /proc/self/mountinfo text ("/sys/fs/cgroup" on a pure v2 host, "/sys/fs/cgroup/unified"
 * on a hybrid one) into out; false when there is none. Pure.
 */
bool cgroup2_mount_from(const char *mountinfo, char *out, size_t size) MUST_CHECK;
/* cgroup2_root: cgroup2_mount_from this process' /proc/self/mountinfo. */
bool cgroup2_root(char *out, size_t size) MUST_CHECK;
/*
 * cgroup_nft_path: rel as nftables names it in `socket cgroupv2 level N "PATH"`: the
 * cgroup's directory relative to /sys/fs/cgroup ("unified/pgha-31000/node1" on a hybrid
 * host); *level gets rel's depth (1 for "/a", 2 for "/a/b"). False when root is not
 * below /sys/fs/cgroup (nft could not find it) or rel is not absolute. Pure.
 */
bool cgroup_nft_path(const char *root, const char *rel, char *out, size_t size,
                     int *level) MUST_CHECK;
/* cgroup_of_pid: pid's cgroup v2 path (the "0::" line of /proc/<pid>/cgroup). */
bool cgroup_of_pid(pid_t pid, char *out, size_t size) MUST_CHECK;
/* cgroup_within: path is rel or below it ("/a/b" is within "/a", "/ab" is not). Pure. */
bool cgroup_within(const char *path, const char *rel);
/*
 * cgroup_pids: the pids in root+rel and every cgroup below it (cgroup.procs), at most
 * max; returns how many, or -1 when rel does not exist.
 */
int cgroup_pids(const char *root, const char *rel, pid_t *pids, int max);
/*
 * cgroup_remove: rmdir of root+rel and every cgroup below it, deepest first. True when
 * it is gone (or never existed); false (errno EBUSY) while a process is still in it.
 */
bool cgroup_remove(const char *root, const char *rel) MUST_CHECK;

#endif
