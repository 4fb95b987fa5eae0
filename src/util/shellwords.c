/*
 * shellwords.c: shlex.split for the commands of Patroni's replica and bootstrap
 * methods (see shellwords.h).
 */
#include "util/shellwords.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/buf.h"
#include "util/xalloc.h"

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static void push(char ***words, size_t *n, struct buf *word)
{
	*words = xrealloc(*words, (*n + 2) * sizeof(**words));
	(*words)[(*n)++] = buf_steal(word);
	(*words)[*n] = NULL; /* buf_steal left word empty and ready */
}

/* in_double: one byte inside "...", a backslash escaping only \ " $ ` (and newline). */
static const char *in_double(const char *p, struct buf *w)
{
	if (p[0] == '\\' && p[1] != '\0' && strchr("\\\"$`\n", p[1]) != NULL) {
		if (p[1] != '\n')
			buf_append(w, p + 1, 1);
		return p + 2;
	}
	buf_append(w, p, 1);
	return p + 1;
}

/*
 * quoted: the quoted part starting at *p (a quote character) appended to w; false on
 * a missing closing quote.
 */
static bool quoted(const char **p, struct buf *w)
{
	char q = **p;
	const char *s = *p + 1;

	while (*s != '\0' && *s != q)
		s = q == '"' ? in_double(s, w) : (buf_append(w, s, 1), s + 1);
	if (*s != q)
		return false;
	*p = s + 1;
	return true;
}

bool shellwords_split(const char *s, char ***out, char *err, size_t errlen)
{
	char **words = xcalloc(1, sizeof(*words));
	struct buf w;
	size_t n = 0;
	bool in_word = false;
	const char *p = s;

	buf_init(&w);
	while (*p != '\0') {
		if (is_blank(*p)) {
			if (in_word)
				push(&words, &n, &w);
			in_word = false;
			p++;
			continue;
		}
		in_word = true;
		if (*p == '\'' || *p == '"') {
			if (!quoted(&p, &w)) {
				snprintf(err, errlen, "unterminated %c quote", *p);
				goto fail;
			}
		} else if (*p == '\\') {
			if (p[1] == '\0') {
				snprintf(err, errlen, "trailing backslash");
				goto fail;
			}
			buf_append(&w, p + 1, 1);
			p += 2;
		} else {
			buf_append(&w, p++, 1);
		}
	}
	if (in_word)
		push(&words, &n, &w);
	buf_free(&w);
	*out = words;
	return true;
fail:
	buf_free(&w);
	shellwords_free(words);
	*out = NULL;
	return false;
}

void shellwords_free(char **words)
{
	for (size_t i = 0; words != NULL && words[i] != NULL; i++)
		free(words[i]);
	free(words);
}
