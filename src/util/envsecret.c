/*
 * envsecret.c: pgha's own variables taken out of the environment, and the list of what
 * no child inherits (see envsecret.h).
 */
#include "util/envsecret.h"

#include <stdlib.h>
#include <string.h>
#include "util/compiler.h"
#include "util/strutil.h"
#include "util/xalloc.h"

extern char **environ;

/* Prefixes of pgha's own variables (Patroni's and the tools'). */
static const char *const own_prefixes[] = {"PATRONI_", "PGHA_"};
/*
 * Taken too: libpq's password, which would silently win over the passfiles pgha's own
 * connections name (and fail them, or log in with someone else's password).
 */
static const char *const taken_names[] = {"PGPASSWORD"};
/* Withheld from children only: systemd's credentials directory. */
static const char *const withheld_names[] = {"CREDENTIALS_DIRECTORY"};

/* The taken entries, "NAME=value", owned; written before any thread starts. */
static char **taken;
static size_t n_taken;

static size_t name_len(const char *entry)
{
	return strcspn(entry, "=");
}

static bool named(const char *entry, const char *const *names, size_t n)
{
	size_t len = name_len(entry);

	for (size_t i = 0; i < n; i++)
		if (strlen(names[i]) == len && strncmp(entry, names[i], len) == 0)
			return true;
	return false;
}

bool envsecret_is_own(const char *entry)
{
	for (size_t i = 0; i < ARRAY_LEN(own_prefixes); i++)
		if (str_has_prefix(entry, own_prefixes[i]))
			return true;
	return named(entry, taken_names, ARRAY_LEN(taken_names));
}

bool envsecret_withheld(const char *entry)
{
	return envsecret_is_own(entry) || named(entry, withheld_names, ARRAY_LEN(withheld_names));
}

/* keep: a copy of entry, unless this take already kept its name (getenv reads the first). */
static void keep(char *entry, size_t first)
{
	size_t len = name_len(entry);

	for (size_t i = first; i < n_taken; i++)
		if (strncmp(taken[i], entry, len + 1) == 0)
			return;
	taken = xrealloc(taken, (n_taken + 1) * sizeof(*taken));
	taken[n_taken++] = xstrdup(entry);
}

void envsecret_take(void)
{
	size_t n = 0, first = n_taken;
	char **found;

	for (char **e = environ; e != NULL && *e != NULL; e++)
		n += envsecret_is_own(*e);
	found = xcalloc(n + 1, sizeof(*found));
	n = 0;
	for (char **e = environ; e != NULL && *e != NULL; e++)
		if (envsecret_is_own(*e))
			found[n++] = *e;
	for (size_t i = 0; i < n; i++) {
		char *name = xstrndup(found[i], name_len(found[i]));

		keep(found[i], first);
		(void)unsetenv(name);
		free(name);
	}
	/* The texts may sit in the initial block that /proc/<pid>/environ reads: zeroed. */
	for (size_t i = 0; i < n; i++)
		explicit_bzero(found[i], strlen(found[i]));
	free(found);
}

const char *envsecret_get(const char *name)
{
	size_t len = strlen(name);

	for (size_t i = n_taken; i-- > 0;)
		if (strncmp(taken[i], name, len) == 0 && taken[i][len] == '=')
			return taken[i] + len + 1;
	return getenv(name);
}
