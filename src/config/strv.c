/*
 * strv.c: NULL-terminated lists of owned strings (initdb options, pg_hba lines).
 */
#include <stdlib.h>
#include "config/config_int.h"
#include "util/xalloc.h"

char **strv_new(void)
{
	return xcalloc(1, sizeof(char *));
}

size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

void strv_push(char ***v, const char *s)
{
	size_t n = strv_len(*v);

	*v = xrealloc(*v, (n + 2) * sizeof(char *));
	(*v)[n] = xstrdup(s);
	(*v)[n + 1] = NULL;
}

char **strv_dup(char *const *v)
{
	char **out;
	size_t n = strv_len(v);

	if (v == NULL)
		return NULL;
	out = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

void strv_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}
