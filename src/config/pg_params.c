/*
 * pg_params.c: sets of PostgreSQL parameters (name -> text value), as they go into
 * postgresql.conf: sorted by name, one entry per name.
 *
 * Names compare case-insensitively and are stored in lower case, because PostgreSQL
 * treats "Work_Mem" and "work_mem" as the same setting (Patroni uses a case-insensitive
 * dict for the same reason). Values are opaque text; quoting is the writer's job.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "config/config.h"
#include "util/strutil.h"
#include "util/xalloc.h"

/* Index of name, or of where it would be inserted (*found false). */
static int find(const struct pg_params *p, const char *name, bool *found)
{
	int lo = 0, hi = p->n;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		int cmp = strcasecmp(p->items[mid].name, name);

		if (cmp == 0) {
			*found = true;
			return mid;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static char *lower_dup(const char *s)
{
	char *out = xstrdup(s);

	for (char *c = out; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	return out;
}

static void remove_at(struct pg_params *p, int i)
{
	free(p->items[i].name);
	free(p->items[i].value);
	memmove(&p->items[i], &p->items[i + 1], (size_t)(p->n - i - 1) * sizeof(p->items[0]));
	p->n--;
}

static void insert_at(struct pg_params *p, int i, const char *name, const char *value)
{
	p->items = xrealloc(p->items, (size_t)(p->n + 1) * sizeof(p->items[0]));
	memmove(&p->items[i + 1], &p->items[i], (size_t)(p->n - i) * sizeof(p->items[0]));
	p->items[i].name = lower_dup(name);
	p->items[i].value = xstrdup(value);
	p->n++;
}

void pg_params_set(struct pg_params *p, const char *name, const char *value)
{
	bool found;
	int i = find(p, name, &found);

	if (found && value == NULL) {
		remove_at(p, i);
	} else if (found) {
		char *copy = xstrdup(value);

		free(p->items[i].value);
		p->items[i].value = copy;
	} else if (value != NULL) {
		insert_at(p, i, name, value);
	}
}

const char *pg_params_get(const struct pg_params *p, const char *name)
{
	bool found;
	int i = find(p, name, &found);

	return found ? p->items[i].value : NULL;
}

void pg_params_merge(struct pg_params *dst, const struct pg_params *src)
{
	for (int i = 0; i < src->n; i++)
		pg_params_set(dst, src->items[i].name, src->items[i].value);
}

void pg_params_copy(struct pg_params *dst, const struct pg_params *src)
{
	dst->items = NULL;
	dst->n = 0;
	if (src == NULL || src->n == 0)
		return;
	dst->items = xcalloc((size_t)src->n, sizeof(dst->items[0]));
	for (int i = 0; i < src->n; i++) {
		dst->items[i].name = xstrdup(src->items[i].name);
		dst->items[i].value = xstrdup(src->items[i].value);
	}
	dst->n = src->n;
}

bool pg_params_equal(const struct pg_params *a, const struct pg_params *b)
{
	int na = a ? a->n : 0;

	if (na != (b ? b->n : 0))
		return false;
	/* Both sorted by name, names in lower case: equal sets are equal item by item. */
	for (int i = 0; i < na; i++)
		if (!str_eq(a->items[i].name, b->items[i].name) ||
		    !str_eq(a->items[i].value, b->items[i].value))
			return false;
	return true;
}

void pg_params_free(struct pg_params *p)
{
	for (int i = 0; i < p->n; i++) {
		free(p->items[i].name);
		free(p->items[i].value);
	}
	free(p->items);
	p->items = NULL;
	p->n = 0;
}

bool pg_params_valid_name(const char *name)
{
	if (!isalpha((unsigned char)name[0]) && name[0] != '_')
		return false;
	for (const char *c = name + 1; *c != '\0'; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.')
			return false;
	return strlen(name) < 128;
}

bool pg_params_valid_value(const char *value)
{
	return strpbrk(value, "\r\n") == NULL;
}
