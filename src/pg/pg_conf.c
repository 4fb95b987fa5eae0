/*
 * pg_conf.c: rendering of postgresql.conf, pg_hba.conf, pg_ident.conf, the passfile
 * and conninfo strings, and Patroni's slot naming. Pure: builds text, never writes it.
 *
 * postgresql.conf has three parts: an include of initdb's original file, the merged
 * user parameters (cluster-wide ones from the DCS, overridden by local ones), then the
 * parameters pgha controls. A user value for a controlled parameter is not written at
 * all (PostgreSQL would take the last one anyway, but a file that says one thing in
 * the middle and another at the end misleads whoever reads it).
 */
#include "pg/pg_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "util/conninfo.h"
#include "util/strutil.h"
#include "util/xalloc.h"

/* A parameter as it will be written: both strings borrowed or owned per context. */
struct kv {
	const char *name;
	const char *value;
};

/* --- quoting -------------------------------------------------------------------------- */

void pg_conf_quote(struct buf *out, const char *value)
{
	buf_puts(out, "'");
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p == '\'')
			buf_puts(out, "''");
		else if (*p == '\\')
			buf_puts(out, "\\\\");
		else if (*p < 0x20 || *p == 0x7f) /* the conf scanner reads \ooo escapes */
			buf_printf(out, "\\%03o", *p);
		else
			buf_append(out, p, 1);
	}
	buf_puts(out, "'");
}

bool pg_conninfo_quote(const char *value, char *out, size_t size)
{
	struct buf b;
	bool ok;

	buf_init(&b);
	conninfo_quote(&b, value);
	ok = str_copy(out, size, b.data);
	buf_free(&b);
	return ok;
}

void pg_hba_quote(struct buf *out, const char *token)
{
	buf_puts(out, "\"");
	for (const char *p = token; *p; p++) {
		if (*p == '"')
			buf_puts(out, "\"");
		buf_append(out, p, 1);
	}
	buf_puts(out, "\"");
}

/* --- names ---------------------------------------------------------------------------- */

#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

bool pg_param_name_valid(const char *name)
{
	size_t len = strlen(name);
	char first = name[0];
	bool letter = (first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z');

	return len > 0 && len <= 63 && (letter || first == '_') &&
	       strspn(name, NAME_CHARS ".$") == len;
}

bool pg_slot_name_valid(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= 63 && strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == len;
}

/* utf8_next: decodes one code point at *p (advancing it); a bad byte yields itself. */
static unsigned utf8_next(const unsigned char **p)
{
	const unsigned char *s = *p;
	unsigned cp;
	int extra;

	if (s[0] < 0x80) {
		*p += 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0) {
		cp = s[0] & 0x1f;
		extra = 1;
	} else if ((s[0] & 0xf0) == 0xe0) {
		cp = s[0] & 0x0f;
		extra = 2;
	} else if ((s[0] & 0xf8) == 0xf0) {
		cp = s[0] & 0x07;
		extra = 3;
	} else {
		*p += 1;
		return s[0];
	}
	for (int i = 1; i <= extra; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*p += 1;
			return s[0];
		}
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	*p += 1 + extra;
	return cp;
}

/* lower: Python's str.lower() for ASCII and Latin-1; other scripts are left as they are. */
static unsigned lower(unsigned cp)
{
	if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xc0 && cp <= 0xde && cp != 0xd7))
		return cp + 32;
	return cp;
}

void pg_slot_name(const char *member, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)member;
	struct buf b;

	buf_init(&b);
	while (*p) {
		unsigned cp = lower(utf8_next(&p));

		if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') || cp == '_')
			buf_printf(&b, "%c", (char)cp);
		else if (cp == '-' || cp == '.')
			buf_puts(&b, "_");
		else
			buf_printf(&b, "u%04u", cp);
	}
	if (b.len > 63) /* Patroni keeps the first 63 characters, as PostgreSQL's NAMEDATALEN-1 */
		b.data[63] = '\0';
	if (size > 0 && !str_copy(out, size, b.data))
		out[size - 1] = '\0';
	buf_free(&b);
}

const struct pg_user *pg_replication_user(const struct config *cfg)
{
	if (cfg->postgresql.replication.username[0])
		return &cfg->postgresql.replication;
	return &cfg->postgresql.superuser;
}

const struct pg_user *pg_rewind_user(const struct config *cfg)
{
	if (cfg->postgresql.rewind.username[0])
		return &cfg->postgresql.rewind;
	return &cfg->postgresql.superuser;
}

/* --- postgresql.conf -------------------------------------------------------------------- */

bool pg_conf_listen(const char *listen, char *host, size_t host_size, int *port, char *err,
                    size_t errlen)
{
	if (!str_split_hostport(listen, host, host_size, port) || host[0] == '\0') {
		snprintf(err, errlen, "postgresql.listen '%s' is not host:port", listen);
		return false;
	}
	return true;
}

static int kv_cmp(const void *a, const void *b)
{
	return strcasecmp(((const struct kv *)a)->name, ((const struct kv *)b)->name);
}

/* merge_params: dcs parameters overridden by local ones (GUC names ignore case); sorted. */
static struct kv *merge_params(const struct pg_params *dcs, const struct pg_params *local,
                               int *count)
{
	int cap = (dcs ? dcs->n : 0) + (local ? local->n : 0), n = 0;
	struct kv *all = xcalloc((size_t)cap + 1, sizeof(*all));
	const struct pg_params *srcs[2] = {dcs, local};

	for (int s = 0; s < 2; s++) {
		for (int i = 0; srcs[s] && i < srcs[s]->n; i++) {
			const struct pg_param *p = &srcs[s]->items[i];
			int j = 0;

			while (j < n && strcasecmp(all[j].name, p->name) != 0)
				j++;
			all[j].name = p->name;
			all[j].value = p->value;
			if (j == n)
				n++;
		}
	}
	qsort(all, (size_t)n, sizeof(*all), kv_cmp);
	*count = n;
	return all;
}

static const char *find_param(const struct kv *params, int n, const char *name)
{
	for (int i = 0; i < n; i++) {
		if (strcasecmp(params[i].name, name) == 0)
			return params[i].value;
	}
	return NULL;
}

/* Parameters pgha writes itself; user values for them are dropped. */
struct owned {
	char *items_value[32]; /* owned strings */
	struct kv items[32];
	int n;
};

static void own(struct owned *o, const char *name, char *value_owned)
{
	o->items[o->n].name = name;
	o->items[o->n].value = value_owned;
	o->items_value[o->n] = value_owned;
	o->n++;
}

static void owned_free(struct owned *o)
{
	for (int i = 0; i < o->n; i++)
		free(o->items_value[i]);
}

/* at_least: the user's integer value if it is at least min, else min. */
static char *at_least(const struct kv *params, int n, const char *name, int min)
{
	const char *v = find_param(params, n, name);
	int user;

	if (v && str_parse_int(v, &user) && user > min)
		return xasprintf("%d", user);
	return xasprintf("%d", min);
}

static char *wal_level(const struct kv *params, int n)
{
	const char *v = find_param(params, n, "wal_level");

	return xstrdup(v && str_eq_nocase(v, "logical") ? "logical" : "replica");
}

/* param_or: the user's value of name, else pgha's default. Owned. */
static char *param_or(const struct kv *params, int n, const char *name, const char *dflt)
{
	const char *v = find_param(params, n, name);

	return xstrdup(v && v[0] ? v : dflt);
}

static void own_role(struct owned *o, const struct pg_conf_input *in)
{
	const struct pg_role_conf *role = in->role;

	own(o, "synchronous_standby_names",
	    xstrdup(role->standby ? "" : role->synchronous_standby_names));
	if (!role->standby)
		return;
	if (role->upstream_host[0]) {
		struct buf ci;

		buf_init(&ci);
		pg_primary_conninfo(in->cfg, role, in->pgpass, &ci);
		own(o, "primary_conninfo", buf_steal(&ci));
		buf_free(&ci);
	}
	if (role->slot_name[0])
		own(o, "primary_slot_name", xstrdup(role->slot_name));
	own(o, "recovery_target_timeline", xstrdup("latest"));
}

/* own_recovery: a restore's one start (pg_role_conf.recovery): its target, then promote. */
static void own_recovery(struct owned *o, const struct pg_role_conf *role)
{
	if (!role->recovery)
		return;
	own(o, "recovery_target_timeline", xstrdup("latest"));
	own(o, "recovery_target_action", xstrdup("promote"));
	if (role->recovery_target[0])
		own(o, role->recovery_target, xstrdup(role->recovery_target_value));
}

/* own_archive: pgha's archiving: on everywhere, so that a promoted node archives at once. */
static void own_archive(struct owned *o, const struct pg_conf_input *in)
{
	const struct pg_archive *a = in->archive;
	const char *restore = in->role->recovery && in->role->restore_command[0]
	                          ? in->role->restore_command
	                          : (a ? a->restore_command : "");

	if (a != NULL && a->archive_command[0]) {
		own(o, "archive_mode", xstrdup("on"));
		own(o, "archive_command", xstrdup(a->archive_command));
	}
	if (restore[0])
		own(o, "restore_command", xstrdup(restore));
}

static void own_all(struct owned *o, const struct pg_conf_input *in, const char *host, int port,
                    const struct kv *params, int n)
{
	own(o, "listen_addresses", xstrdup(host));
	own(o, "port", xasprintf("%d", port));
	own(o, "unix_socket_directories", xstrdup(in->socket_dir));
	own(o, "cluster_name", xstrdup(in->cfg->name));
	own(o, "hba_file", xasprintf("%s/pg_hba.conf", in->data_dir));
	own(o, "ident_file", xasprintf("%s/pg_ident.conf", in->data_dir));
	own(o, "hot_standby", xstrdup("on"));
	own(o, "wal_level", wal_level(params, n));
	own(o, "max_wal_senders", at_least(params, n, "max_wal_senders", PG_CONF_MIN_SENDERS));
	own(o, "max_replication_slots",
	    at_least(params, n, "max_replication_slots", PG_CONF_MIN_SLOTS));
	/* pg_rewind needs full-page hints in WAL even without data checksums. */
	own(o, "wal_log_hints", xstrdup("on"));
	own(o, "wal_keep_size", param_or(params, n, "wal_keep_size", PG_CONF_WAL_KEEP_SIZE));
	/* A standby retries its WAL receiver this often (PostgreSQL's 5 s default would
	 * dominate the time to rejoin after a failover). It also bounds promotion: a
	 * promote request that arrives while the startup process waits for streamed WAL
	 * takes effect only after the rest of this interval since the last failure, so
	 * with 500 ms a switchover lost up to ~450 ms there. The price is one reconnect
	 * attempt per interval while the upstream is down. */
	own(o, "wal_retrieve_retry_interval",
	    param_or(params, n, "wal_retrieve_retry_interval", "100ms"));
	/* After a crash the agent decides: an in-place restart would make commits that
	 * waited for a sync standby visible although never replicated. */
	own(o, "restart_after_crash", xstrdup("off"));
	own_role(o, in);
	own_recovery(o, in->role);
	own_archive(o, in);
}

/* Parameters that must never come from the user, even though pgha does not set them. */
static bool forbidden(const char *name)
{
	/* Recovery targets too: in a standby's configuration, a target is a self-promotion
	 * waiting to happen; pgha sets them only for a restore's one start. */
	static const char *const names[] = {"data_directory",
	                                    "config_file",
	                                    "include",
	                                    "include_dir",
	                                    "include_if_exists",
	                                    "primary_conninfo",
	                                    "primary_slot_name",
	                                    "recovery_target",
	                                    "recovery_target_action",
	                                    "recovery_target_inclusive",
	                                    "recovery_target_lsn",
	                                    "recovery_target_name",
	                                    "recovery_target_time",
	                                    "recovery_target_timeline",
	                                    "recovery_target_xid"};

	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		if (strcasecmp(name, names[i]) == 0)
			return true;
	}
	return false;
}

static bool same_value(const char *a, const char *b)
{
	bool ba, bb;

	if (str_eq_nocase(a, b))
		return true;
	if (str_parse_bool(a, &ba) && str_parse_bool(b, &bb))
		return ba == bb;
	/* "hot_standby" and "archive" are PostgreSQL's old names for wal_level replica. */
	return str_eq(b, "replica") &&
	       (str_eq_nocase(a, "hot_standby") || str_eq_nocase(a, "archive"));
}

/* keep_user_param: false (with a warning when it mattered) for params pgha replaces. */
static bool keep_user_param(const struct kv *p, const struct owned *o, struct buf *warnings)
{
	const char *ours = find_param(o->items, o->n, p->name);

	if (!pg_param_name_valid(p->name)) {
		buf_printf(warnings, "parameter name '%s' is invalid, ignored\n", p->name);
		return false;
	}
	if (ours) {
		if (!same_value(p->value, ours))
			buf_printf(warnings, "parameter %s = '%s' ignored: pgha sets it to '%s'\n",
			           p->name, p->value, ours);
		return false;
	}
	if (forbidden(p->name)) {
		buf_printf(warnings, "parameter %s ignored: pgha manages it\n", p->name);
		return false;
	}
	return true;
}

static void put_param(struct buf *out, const char *name, const char *value)
{
	buf_printf(out, "%s = ", name);
	pg_conf_quote(out, value);
	buf_puts(out, "\n");
}

bool pg_conf_render(const struct pg_conf_input *in, struct buf *out, struct buf *warnings,
                    char *err, size_t errlen)
{
	char host[CONFIG_HOST_LEN];
	int port, n;
	struct owned o = {.n = 0};
	struct kv *params;

	if (!pg_conf_listen(in->cfg->postgresql.listen, host, sizeof(host), &port, err, errlen))
		return false;
	params = merge_params(in->dcs_params, &in->cfg->postgresql.parameters, &n);
	own_all(&o, in, host, port, params, n);
	buf_printf(out,
	           "# Written by pgha for member '%s' at every start and reload; "
	           "edits here are lost.\n# initdb's original settings:\n",
	           in->cfg->name);
	buf_puts(out, "include '" PG_CONF_BASE "'\n\n# Cluster-wide and local parameters:\n");
	for (int i = 0; i < n; i++) {
		if (keep_user_param(&params[i], &o, warnings))
			put_param(out, params[i].name, params[i].value);
	}
	buf_printf(out, "\n# Required by pgha (%s):\n", in->role->standby ? "standby" : "primary");
	for (int i = 0; i < o.n; i++)
		put_param(out, o.items[i].name, o.items[i].value);
	owned_free(&o);
	free(params);
	return true;
}

/* auto_conf_name: the parameter a postgresql.auto.conf line sets, into name ("" if none). */
static void auto_conf_name(const char *line, char *name, size_t size)
{
	size_t skip = strspn(line, " \t");
	size_t len = strspn(line + skip, NAME_CHARS ".");

	if (len >= size || line[skip] == '#')
		len = 0;
	memcpy(name, line + skip, len);
	name[len] = '\0';
}

bool pg_auto_conf_clean(const struct pg_conf_input *in, const char *text, struct buf *out,
                        struct buf *removed)
{
	struct owned o = {.n = 0};
	char *copy = xstrdup(text), *save = NULL;
	bool any = false;
	char host[CONFIG_HOST_LEN], err[CONFIG_HOST_LEN + 64];
	int port;

	if (pg_conf_listen(in->cfg->postgresql.listen, host, sizeof(host), &port, err, sizeof(err)))
		own_all(&o, in, host, port, NULL, 0);
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64];

		auto_conf_name(line, name, sizeof(name));
		if (name[0] && (forbidden(name) || find_param(o.items, o.n, name) != NULL)) {
			buf_printf(removed, "%s\n", line);
			any = true;
		} else {
			buf_printf(out, "%s\n", line);
		}
	}
	owned_free(&o);
	free(copy);
	return any;
}

void pg_primary_conninfo(const struct config *cfg, const struct pg_role_conf *role,
                         const char *pgpass, struct buf *out)
{
	char port[16];

	snprintf(port, sizeof(port), "%d", role->upstream_port);
	conninfo_append(out, "host", role->upstream_host);
	conninfo_append(out, "port", port);
	conninfo_append(out, "user", pg_replication_user(cfg)->username);
	conninfo_append(out, "passfile", pgpass);
	conninfo_append(out, "application_name", cfg->name);
	/* A dead upstream is noticed in seconds, not after the kernel's TCP timeouts. */
	conninfo_append(out, "connect_timeout", "2");
	conninfo_append(out, "keepalives", "1");
	conninfo_append(out, "keepalives_idle", "5");
	conninfo_append(out, "keepalives_interval", "2");
	conninfo_append(out, "keepalives_count", "3");
	pg_conninfo_ssl(out, pg_replication_user(cfg));
}

void pg_conninfo_ssl(struct buf *out, const struct pg_user *u)
{
	const struct {
		const char *key;
		const char *value;
	} ssl[] = {{"sslrootcert", u->sslrootcert},
	           {"sslcert", u->sslcert},
	           {"sslkey", u->sslkey},
	           {"sslpassword", u->sslpassword},
	           {"sslcrl", u->sslcrl}};

	conninfo_append(out, "sslmode", u->sslmode[0] ? u->sslmode : "prefer");
	for (size_t i = 0; i < ARRAY_LEN(ssl); i++)
		if (ssl[i].value[0] != '\0')
			conninfo_append(out, ssl[i].key, ssl[i].value);
}

/* --- pg_hba.conf, pg_ident.conf, passfile ------------------------------------------------ */

static void hba_line(struct buf *out, const char *type, const char *db, const char *user,
                     const char *addr, const char *method)
{
	struct buf u;

	buf_init(&u);
	if (str_eq(user, "all"))
		buf_puts(&u, "all");
	else
		pg_hba_quote(&u, user);
	buf_printf(out, "%-6s %-12s %-24s %-16s %s\n", type, db, u.data, addr, method);
	buf_free(&u);
}

static void hba_default(const struct config *cfg, struct buf *out)
{
	const char *repl = pg_replication_user(cfg)->username;
	static const char *const nets[] = {"0.0.0.0/0", "::/0"};

	buf_puts(out,
	         "# pgha default: every connection but the agent's own must authenticate with\n"
	         "# a password (scram-sha-256).\n");
	hba_line(out, "local", "all", "all", "", "scram-sha-256");
	hba_line(out, "local", "replication", repl, "", "scram-sha-256");
	for (size_t i = 0; i < ARRAY_LEN(nets); i++)
		hba_line(out, "host", "replication", repl, nets[i], "scram-sha-256");
	for (size_t i = 0; i < ARRAY_LEN(nets); i++)
		hba_line(out, "host", "all", "all", nets[i], "scram-sha-256");
}

void pg_hba_render(const struct config *cfg, struct buf *out)
{
	char *const *lines =
	    cfg->postgresql.pg_hba ? cfg->postgresql.pg_hba : cfg->bootstrap.pg_hba;

	const char *su = cfg->postgresql.superuser.username;

	buf_printf(out, "# Written by pgha for member '%s'; edits here are lost.\n", cfg->name);
	/* Always first, whatever the configured lines say: the agent (and the PgBouncer it
	 * supervises) reach PostgreSQL as the superuser over the unix socket, as the OS user
	 * mapped in pg_ident.conf, which owns the data directory anyway. */
	buf_puts(out, "# The agent's own access (OS user mapped in pg_ident.conf):\n");
	hba_line(out, "local", "all", su, "", "peer map=" PG_CONF_IDENT_MAP);
	hba_line(out, "local", "replication", su, "", "peer map=" PG_CONF_IDENT_MAP);
	if (lines == NULL) {
		hba_default(cfg, out);
		return;
	}
	for (int i = 0; lines[i]; i++)
		buf_printf(out, "%s\n", lines[i]);
}

void pg_ident_render(const struct config *cfg, const char *os_user, struct buf *out)
{
	buf_printf(out, "# Written by pgha for member '%s'; edits here are lost.\n", cfg->name);
	buf_puts(out, PG_CONF_IDENT_MAP " ");
	pg_hba_quote(out, os_user);
	buf_puts(out, " ");
	pg_hba_quote(out, cfg->postgresql.superuser.username);
	buf_puts(out, "\n");
}

static void passfile_field(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == ':' || *s == '\\')
			buf_puts(out, "\\");
		buf_append(out, s, 1);
	}
}

void pg_passfile_render(const struct config *cfg, struct buf *out)
{
	const struct pg_user *users[3] = {&cfg->postgresql.superuser, &cfg->postgresql.replication,
	                                  &cfg->postgresql.rewind};

	for (int i = 0; i < 3; i++) {
		bool dup = false;

		for (int j = 0; j < i; j++)
			dup = dup || str_eq(users[j]->username, users[i]->username);
		/* A line without a password would end libpq's search with no password. */
		if (dup || !users[i]->username[0] || !users[i]->password[0])
			continue;
		buf_puts(out, "*:*:*:");
		passfile_field(out, users[i]->username);
		buf_puts(out, ":");
		passfile_field(out, users[i]->password);
		buf_puts(out, "\n");
	}
}
