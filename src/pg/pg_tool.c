/*
 * pg_tool.c: running PostgreSQL's programs (initdb, pg_controldata, pg_basebackup,
 * pg_rewind) with a fixed locale, their output kept in the node's log, and their
 * last words logged when they fail.
 */
#include "pg/pg_int.h"

#include <stdio.h>
#include <string.h>
#include "log/log.h"
#include "util/fsutil.h"
#include "util/proc.h"
#include "util/xalloc.h"

#define TAIL_BYTES 2048 /* of a failed program's output, logged */

char *pg_bin(const struct pg_node *n, const char *program)
{
	return xasprintf("%s/%s", n->bin_dir, program);
}

off_t pg_log_size(const struct pg_node *n)
{
	return fs_size(n->log_path);
}

/* log_lines: logs each non-empty line of text, prefixed by what. */
static void log_lines(const char *what, char *text)
{
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0])
			log_error("%s: %s", what, line);
	}
}

void pg_log_tail(const struct pg_node *n, off_t offset, const char *what)
{
	char text[TAIL_BYTES + 1];

	fs_read_tail(n->log_path, offset, text, TAIL_BYTES);
	log_lines(what, text);
}

bool pg_tool_run(const struct pg_node *n, const char *const *argv, int timeout_ms, struct buf *out)
{
	/* C locale: pg_controldata's text is parsed, and messages in logs stay greppable. */
	static const char *const env[] = {"LC_ALL=C", "LANG=C", NULL};
	struct proc_spec spec = {
	    .argv = argv, .env = env, .cwd = "/", .log_path = n->log_path, .stdin_null = true};
	off_t offset = pg_log_size(n);
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	char err[512];

	log_debug("running %s", argv[0]);
	if (proc_run(&spec, timeout_ms, out, err, sizeof(err)))
		return true;
	log_error("%s", err);
	pg_log_tail(n, offset, name);
	if (out && out->len > 0)
		log_lines(name, out->data);
	return false;
}
