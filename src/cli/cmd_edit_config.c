/*
 * cmd_edit_config.c: `pgha edit-config`: change the cluster's dynamic configuration
 * as patronictl does: the new configuration is the current one with --replace, --apply,
 * then the --set / --pg pairs applied (or what the user wrote in $EDITOR), shown as a
 * diff of the YAML texts, confirmed, and written to the etcd "config" key with a
 * compare-and-swap on the revision that was read, so that a concurrent change is never
 * silently overwritten. It is checked first as the agents' PATCH /config checks it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "cli/cli.h"
#include "cli/ops_config.h"
#include "cli/ops_ctx.h"
#include "cli/ops_diff.h"
#include "config/config.h"
#include "util/fsutil.h"
#include "util/proc.h"
#include "util/strutil.h"
#include "util/xalloc.h"

#define DIFF_CONTEXT 3

struct edit {
	json_t *before; /* owned: the stored config (an object) */
	json_t *after;  /* owned: the wanted config */
	char *before_text;
	char *after_text;
	int64_t mod_revision; /* of the config key when read (0: absent) */
};

static void edit_free(struct edit *e)
{
	json_decref(e->before);
	json_decref(e->after);
	free(e->before_text);
	free(e->after_text);
}

/* read_input: the contents of path, or of stdin for "-"; owned, NULL (err) on failure. */
static char *read_input(const char *path, char *err, size_t errlen)
{
	struct buf b;
	char chunk[4096];
	size_t n;
	char *text;

	if (!str_eq(path, "-")) {
		text = fs_read_file(path, NULL);
		if (text == NULL)
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return text;
	}
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		buf_append(&b, chunk, n);
	text = buf_steal(&b);
	buf_free(&b);
	return text;
}

/*
 * load_file: a configuration document, each key checked as the agents will read it
 * first, so that a mistake is reported with its line in what the user wrote (the whole
 * result is checked again once merged, without lines). name is used in messages.
 */
static json_t *load_file(const char *path, const char *name, char *err, size_t errlen)
{
	char *text = read_input(path, err, errlen);
	json_t *j = NULL;

	if (text != NULL && dyn_config_check_yaml(text, name, err, errlen))
		j = ops_config_parse(text, name, err, errlen);
	free(text);
	return j;
}

static const char *input_name(const char *path)
{
	return str_eq(path, "-") ? "stdin" : path;
}

/* apply_options: --replace, --apply, then the pairs; false with err set. */
static bool apply_options(const struct ops_args *a, struct edit *e, char *err, size_t errlen)
{
	if (a->replace_file) {
		json_decref(e->after);
		e->after = load_file(a->replace_file, input_name(a->replace_file), err, errlen);
		if (e->after == NULL)
			return false;
	}
	if (a->apply_file) {
		json_t *patch = load_file(a->apply_file, input_name(a->apply_file), err, errlen);

		if (patch == NULL)
			return false;
		ops_config_merge_patch(e->after, patch);
		json_decref(patch);
	}
	for (int i = 0; i < a->sets.n; i++)
		if (!ops_config_set(e->after, a->sets.v[i], err, errlen))
			return false;
	for (int i = 0; i < a->pg_sets.n; i++) {
		char *pair = xasprintf("postgresql.parameters.%s", a->pg_sets.v[i]);
		bool ok = ops_config_set(e->after, pair, err, errlen);

		free(pair);
		if (!ok)
			return false;
	}
	return true;
}

/* --- $EDITOR ---------------------------------------------------------------------------- */

static const char *editor_command(void)
{
	const char *e = getenv("EDITOR");

	if (e != NULL && e[0] != '\0')
		return e;
	return access("/usr/bin/editor", X_OK) == 0 ? "/usr/bin/editor" : "vi";
}

/*
 * run_editor: $EDITOR on path (through sh, so EDITOR may carry options), on our
 * terminal, for as long as the user takes; false (err) unless it exits with status 0.
 */
static bool run_editor(const char *path, char *err, size_t errlen)
{
	char *script = xasprintf("%s \"$1\"", editor_command());
	const char *argv[] = {"/bin/sh", "-c", script, "sh", path, NULL};
	struct proc_spec spec = {.argv = argv};
	pid_t pid = proc_spawn(&spec, err, errlen);
	int status = 0;
	bool ok = pid > 0 && proc_wait(pid, -1, &status) == 1 && WIFEXITED(status) &&
	          WEXITSTATUS(status) == 0;

	if (pid > 0 && !ok) {
		char how[64];

		proc_describe_status(status, how, sizeof(how));
		snprintf(err, errlen, "the editor (%s) %s; nothing changed", editor_command(), how);
	}
	free(script);
	return ok;
}

/* edit_interactively: the YAML in $EDITOR; e->after is what was saved. */
static bool edit_interactively(struct edit *e, char *err, size_t errlen)
{
	char path[] = "/tmp/pgha-config-XXXXXX.yaml";
	int fd = mkstemps(path, 5);
	bool ok;

	if (fd < 0) {
		snprintf(err, errlen, "cannot create a temporary file: %s", strerror(errno));
		return false;
	}
	ok = write(fd, e->before_text, strlen(e->before_text)) == (ssize_t)strlen(e->before_text);
	close(fd);
	if (!ok)
		snprintf(err, errlen, "cannot write %s", path);
	ok = ok && run_editor(path, err, errlen);
	if (ok) {
		json_decref(e->after);
		e->after = load_file(path, "the edited configuration", err, errlen);
		ok = e->after != NULL;
	}
	unlink(path);
	return ok;
}

/* --- flow ------------------------------------------------------------------------------- */

static bool wants_editor(const struct ops_args *a)
{
	return !a->replace_file && !a->apply_file && a->sets.n == 0 && a->pg_sets.n == 0;
}

/* new_config: fills e->after and the texts; returns -1 to go on, else an exit status. */
static int new_config(const struct ops_args *a, struct edit *e)
{
	char err[512];
	struct buf text;
	bool ok;

	buf_init(&text);
	ok = ops_config_yaml(e->before, &text, err, sizeof(err));
	e->before_text = buf_steal(&text);
	if (ok && wants_editor(a)) {
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			buf_free(&text);
			fprintf(stderr,
			        "pgha edit-config: nothing to change: give --set, --pg, --apply or "
			        "--replace (the editor needs a terminal)\n");
			return EXIT_USAGE;
		}
		ok = edit_interactively(e, err, sizeof(err));
	} else if (ok) {
		ok = apply_options(a, e, err, sizeof(err));
	}
	if (ok)
		ok = ops_config_yaml(e->after, &text, err, sizeof(err));
	e->after_text = buf_steal(&text);
	buf_free(&text); /* buf_steal leaves an empty buffer behind */
	if (!ok) {
		fprintf(stderr, "pgha edit-config: %s\n", err);
		return EXIT_FAILED;
	}
	return -1;
}

static int write_config(const struct ops_ctx *ctx, struct dcs *d, const struct edit *e)
{
	char *json = json_dumps(e->after, JSON_COMPACT | JSON_SORT_KEYS);
	enum dcs_cas r = dcs_config_write(d, json, e->mod_revision);

	free(json);
	switch (r) {
	case DCS_CAS_OK:
		printf("Configuration changed\n");
		return EXIT_OK;
	case DCS_CAS_CONFLICT:
		fprintf(stderr,
		        "pgha %s: the configuration changed meanwhile; nothing written, "
		        "run it again\n",
		        ctx->cmd);
		return EXIT_FAILED;
	case DCS_CAS_ERROR:
		break;
	}
	fprintf(stderr, "pgha %s: the configuration could not be written to etcd\n", ctx->cmd);
	return EXIT_UNAVAIL;
}

/* review: checks, shows and confirms the change; -1 to write it, else an exit status. */
static int review(const struct ops_ctx *ctx, const struct ops_args *a, const struct edit *e)
{
	struct buf diff;
	char err[512];

	if (json_equal(e->before, e->after)) {
		if (!a->quiet)
			printf("Not changed\n");
		return EXIT_OK;
	}
	if (!ops_config_check(e->after, err, sizeof(err))) {
		fprintf(stderr,
		        "pgha %s: not written: the agents would not take it as written (%s)\n",
		        ctx->cmd, err);
		return EXIT_FAILED;
	}
	if (!a->quiet) {
		buf_init(&diff);
		ops_diff_unified(e->before_text, e->after_text, "before", "after", DIFF_CONTEXT,
		                 &diff);
		fputs(diff.data, stdout);
		buf_free(&diff);
		fflush(stdout);
	}
	switch (ops_confirm(ctx, "Apply these changes?", a->force)) {
	case OPS_CONFIRM_YES:
		return -1;
	case OPS_CONFIRM_NO:
		fprintf(stderr, "pgha %s: not applied\n", ctx->cmd);
		return EXIT_FAILED;
	case OPS_CONFIRM_NO_TTY:
		break;
	}
	return EXIT_USAGE;
}

/* load_current: the stored config and its revision. */
static int load_current(const struct ops_ctx *ctx, const struct ops_args *a, struct dcs *d,
                        struct edit *e)
{
	struct dcs_view v;

	if (!dcs_read(d, &v)) {
		fprintf(stderr, "pgha %s: cannot read the cluster from etcd\n", ctx->cmd);
		return EXIT_UNAVAIL;
	}
	e->mod_revision = v.config_mod_revision;
	e->before = v.config_json ? json_loads(v.config_json, 0, NULL) : json_object();
	dcs_view_free(&v);
	if (!json_is_object(e->before)) {
		json_decref(e->before);
		e->before = json_object();
		if (a->replace_file == NULL) {
			fprintf(stderr,
			        "pgha %s: the stored configuration is not a JSON object; use "
			        "--replace FILE to write a new one\n",
			        ctx->cmd);
			return EXIT_FAILED;
		}
	}
	e->after = json_deep_copy(e->before);
	return -1;
}

int cmd_edit_config(int argc, char **argv)
{
	struct ops_args a;
	struct ops_ctx ctx;
	struct edit e = {0};
	struct dcs *d;
	int rc = ops_start(OPS_EDIT_CONFIG, argc, argv, &a, &ctx);

	if (rc >= 0)
		return rc;
	d = ops_dcs_open(&ctx, false);
	if (d == NULL)
		return EXIT_USAGE;
	rc = load_current(&ctx, &a, d, &e);
	if (rc < 0)
		rc = new_config(&a, &e);
	if (rc < 0)
		rc = review(&ctx, &a, &e);
	if (rc < 0)
		rc = write_config(&ctx, d, &e);
	edit_free(&e);
	dcs_close(d);
	return rc;
}
