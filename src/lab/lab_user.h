/*
 * lab_user.h: which OS user the lab's processes run as, and whether that user can
 * reach the lab's files.
 *
 * PostgreSQL refuses to run as root, so when `pgha up` runs as root everything it
 * starts runs as an unprivileged user (postgres by default), with the lab directory
 * chowned to it. Run as anyone else, the lab runs as that user.
 *
 * Does not log: errors go to err.
 */
#ifndef PGHA_LAB_LAB_USER_H
#define PGHA_LAB_LAB_USER_H

#include <stdbool.h>
#include <stddef.h>
#include "lab/lab_procs.h"
#include "util/compiler.h"

#define LAB_DEFAULT_OS_USER "postgres"

/*
 * lab_user_resolve: the user to run as. requested NULL means postgres when we are
 * root, else ourselves. Refuses root as the target, an unknown user, and (when not
 * root) any user but ourselves. name gets the user name.
 */
bool lab_user_resolve(const char *requested, struct lab_runas *ru, char *name, size_t size,
                      char *err, size_t errlen) MUST_CHECK;
/*
 * lab_user_can_access: the user of ru can access path with mode (R_OK|X_OK...), tested
 * by the kernel itself in a child that switches to that user (so directory search
 * permissions and ACLs all count). Always true when ru does not switch users.
 */
bool lab_user_can_access(const struct lab_runas *ru, const char *path, int mode);

#endif
