/*
 * ops_diff.c: longest common subsequence of lines (dynamic programming over the part
 * that differs, after stripping the common head and tail), then hunks as difflib
 * groups them: changes closer than 2*context equal lines share a hunk.
 */
#include "cli/ops_diff.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "util/compiler.h"
#include "util/xalloc.h"

#define MAX_CELLS (4 * 1024 * 1024) /* LCS table limit: 16 MB of int */

struct line {
	const char *p;
	size_t len;
};

struct lines {
	struct line *v;
	int n;
};

/* One step of the edit script, with the positions (0-based) it sits at in each text. */
struct op {
	char kind; /* ' ' same, '-' only in before, '+' only in after */
	int a_pos;
	int b_pos;
};

struct script {
	struct op *ops;
	int n;
};

static void split_lines(const char *text, struct lines *out)
{
	int cap = 16;

	out->v = xmalloc((size_t)cap * sizeof(*out->v));
	out->n = 0;
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);

		if (out->n == cap) {
			cap *= 2;
			out->v = xrealloc(out->v, (size_t)cap * sizeof(*out->v));
		}
		out->v[out->n++] = (struct line){text, len};
		text += len + (nl ? 1 : 0);
	}
}

static bool same(const struct line *a, const struct line *b)
{
	return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

static void push(struct script *s, char kind, int a_pos, int b_pos)
{
	s->ops[s->n++] = (struct op){kind, a_pos, b_pos};
}

/* lcs_middle: the script for a[lo_a, hi_a) against b[lo_b, hi_b) (no common ends). */
static void lcs_middle(const struct lines *a, const struct lines *b, int lo_a, int hi_a, int lo_b,
                       int hi_b, struct script *s)
{
	int n = hi_a - lo_a;
	int m = hi_b - lo_b;
	int *t;
	int i = 0;
	int j = 0;

	if ((int64_t)(n + 1) * (m + 1) > MAX_CELLS) { /* too big: replace it all */
		for (i = 0; i < n; i++)
			push(s, '-', lo_a + i, lo_b);
		for (j = 0; j < m; j++)
			push(s, '+', hi_a, lo_b + j);
		return;
	}
	/* t[i][j]: LCS length of a[lo_a+i..hi_a) and b[lo_b+j..hi_b) */
	t = xcalloc((size_t)(n + 1) * (size_t)(m + 1), sizeof(*t));
#define T(x, y) t[(size_t)(x) * (size_t)(m + 1) + (size_t)(y)]
	for (i = n - 1; i >= 0; i--)
		for (j = m - 1; j >= 0; j--)
			T(i, j) = same(&a->v[lo_a + i], &b->v[lo_b + j])
			              ? T(i + 1, j + 1) + 1
			              : MAX(T(i + 1, j), T(i, j + 1));
	i = j = 0;
	while (i < n || j < m) {
		if (i < n && j < m && same(&a->v[lo_a + i], &b->v[lo_b + j])) {
			push(s, ' ', lo_a + i++, lo_b + j++);
		} else if (j == m || (i < n && T(i + 1, j) >= T(i, j + 1))) {
			push(s, '-', lo_a + i++, lo_b + j);
		} else {
			push(s, '+', lo_a + i, lo_b + j++);
		}
	}
#undef T
	free(t);
}

static void make_script(const struct lines *a, const struct lines *b, struct script *s)
{
	int head = 0;
	int tail = 0;

	s->ops = xmalloc((size_t)(a->n + b->n + 1) * sizeof(*s->ops));
	s->n = 0;
	while (head < a->n && head < b->n && same(&a->v[head], &b->v[head])) {
		push(s, ' ', head, head);
		head++;
	}
	while (tail < a->n - head && tail < b->n - head &&
	       same(&a->v[a->n - 1 - tail], &b->v[b->n - 1 - tail]))
		tail++;
	lcs_middle(a, b, head, a->n - tail, head, b->n - tail, s);
	for (int k = tail; k > 0; k--)
		push(s, ' ', a->n - k, b->n - k);
}

/* range: difflib's _format_range_unified. */
static void range(struct buf *out, int start, int len)
{
	if (len == 1)
		buf_printf(out, "%d", start + 1);
	else
		buf_printf(out, "%d,%d", len == 0 ? start : start + 1, len);
}

static void print_hunk(const struct script *s, const struct lines *a, const struct lines *b,
                       int from, int to, struct buf *out)
{
	int a_len = 0;
	int b_len = 0;

	for (int k = from; k < to; k++) {
		a_len += s->ops[k].kind != '+';
		b_len += s->ops[k].kind != '-';
	}
	buf_puts(out, "@@ -");
	range(out, s->ops[from].a_pos, a_len);
	buf_puts(out, " +");
	range(out, s->ops[from].b_pos, b_len);
	buf_puts(out, " @@\n");
	for (int k = from; k < to; k++) {
		const struct op *o = &s->ops[k];
		const struct line *l = o->kind == '+' ? &b->v[o->b_pos] : &a->v[o->a_pos];

		buf_printf(out, "%c%.*s\n", o->kind, (int)l->len, l->p);
	}
}

/* hunk_end: one past the last op of the hunk whose first change is at k. */
static int hunk_end(const struct script *s, int k, int context)
{
	int last = k;
	int j = k + 1;

	while (j < s->n) {
		int run_end = j;

		if (s->ops[j].kind != ' ') {
			last = j++;
			continue;
		}
		while (run_end < s->n && s->ops[run_end].kind == ' ')
			run_end++;
		if (run_end == s->n || run_end - j > 2 * context)
			break;
		j = run_end;
	}
	return MIN(last + context + 1, s->n);
}

void ops_diff_unified(const char *before, const char *after, const char *from, const char *to,
                      int context, struct buf *out)
{
	struct lines a;
	struct lines b;
	struct script s;
	bool header = false;
	int k = 0;

	split_lines(before, &a);
	split_lines(after, &b);
	make_script(&a, &b, &s);
	while (k < s.n) {
		int start;
		int end;

		while (k < s.n && s.ops[k].kind == ' ')
			k++;
		if (k == s.n)
			break;
		if (!header)
			buf_printf(out, "--- %s\n+++ %s\n", from, to);
		header = true;
		start = MAX(k - context, 0);
		end = hunk_end(&s, k, context);
		print_hunk(&s, &a, &b, start, end, out);
		k = end;
	}
	free(s.ops);
	free(a.v);
	free(b.v);
}
