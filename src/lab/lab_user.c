/*
 * lab_user.c: the lab's OS user.
 */
#include "lab/lab_user.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "util/strutil.h"

bool lab_user_resolve(const char *requested, struct lab_runas *ru, char *name, size_t size,
                      char *err, size_t errlen)
{
	const struct passwd *pw;

	*ru = (struct lab_runas){0};
	if (geteuid() != 0) {
		pw = getpwuid(geteuid());
		if (pw == NULL || !str_copy(name, size, pw->pw_name)) {
			snprintf(err, errlen, "cannot find the name of uid %d", (int)geteuid());
			return false;
		}
		if (requested && !str_eq(requested, name)) {
			snprintf(
			    err, errlen,
			    "running as %s: only root can run the cluster as another user (%s)",
			    name, requested);
			return false;
		}
		return true;
	}
	if (requested == NULL)
		requested = LAB_DEFAULT_OS_USER;
	pw = getpwnam(requested);
	if (pw == NULL) {
		snprintf(err, errlen,
		         "OS user '%s' does not exist: PostgreSQL refuses to run as root, so "
		         "the cluster needs an unprivileged user (create it, or pass --os-user)",
		         requested);
		return false;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "--os-user %s is root: PostgreSQL refuses to run as root",
		         requested);
		return false;
	}
	*ru = (struct lab_runas){.set_user = true, .uid = pw->pw_uid, .gid = pw->pw_gid};
	if (!str_copy(name, size, pw->pw_name)) {
		snprintf(err, errlen, "user name '%s' too long", pw->pw_name);
		return false;
	}
	return true;
}

bool lab_user_can_access(const struct lab_runas *ru, const char *path, int mode)
{
	pid_t pid;
	int status = 0;

	if (!ru->set_user)
		return true;
	pid = fork();
	if (pid == -1)
		return false;
	if (pid == 0) {
		if (setgroups(0, NULL) == -1 || setgid(ru->gid) == -1 || setuid(ru->uid) == -1)
			_exit(2);
		_exit(access(path, mode) == 0 ? 0 : 1);
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			return false;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
