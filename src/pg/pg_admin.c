/*
 * pg_admin.c: SQL actions on the running local PostgreSQL: promote, checkpoint,
 * replication slots, the bootstrap roles, and ad-hoc commands. Each logs its own
 * failure with PostgreSQL's message.
 */
#include "pg/pg_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log/log.h"
#include "pg/pg_conf.h"
#include "pg/pg_slots.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/strutil.h"
#include "util/xalloc.h"

/* query_bool_p: the first column of a one-row result of sql (with params), as a boolean. */
static bool query_bool_p(struct pg_node *n, const char *what, const char *sql, int nparams,
                         const char *const *params, int timeout_ms, bool *value)
{
	PGresult *r;

	if (!pg_sql_run(&n->sql, what, sql, nparams, params, timeout_ms, &r))
		return false;
	if (r == NULL || PQntuples(r) != 1 || PQnfields(r) < 1) {
		log_error("%s: unexpected result", what);
		PQclear(r);
		return false;
	}
	*value = !PQgetisnull(r, 0, 0) && PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return true;
}

static bool query_bool(struct pg_node *n, const char *what, const char *sql, int timeout_ms,
                       bool *value)
{
	return query_bool_p(n, what, sql, 0, NULL, timeout_ms, value);
}

/*
 * pg_promote: asks for promotion without waiting (pg_promote(true, N) polls every
 * 100 ms, which would be most of a promotion's time), then polls pg_is_in_recovery()
 * every 5 ms until the end-of-recovery record is written.
 */
bool pg_promote(struct pg_node *n, int timeout_ms)
{
	int64_t start_ms = clock_now_ms(), deadline = start_ms + timeout_ms;
	bool requested = false, in_recovery = true;

	if (!query_bool(n, "promote", "SELECT pg_catalog.pg_promote(false)", timeout_ms,
	                &requested))
		return false;
	if (!requested) {
		log_error("promote: PostgreSQL refused the promotion request");
		return false;
	}
	while (in_recovery && clock_now_ms() < deadline) {
		if (!query_bool(n, "promote", "SELECT pg_catalog.pg_is_in_recovery()",
		                (int)MAX(deadline - clock_now_ms(), 1), &in_recovery))
			return false;
		if (in_recovery)
			clock_sleep_ms(5);
	}
	if (in_recovery) {
		log_error("promote: still in recovery after %d ms", timeout_ms);
		return false;
	}
	/* PostgreSQL removed standby.signal itself; the postmaster now runs a primary. */
	n->role.standby = false;
	log_info("promoted in %lld ms", (long long)(clock_now_ms() - start_ms));
	return true;
}

bool pg_checkpoint(struct pg_node *n, int timeout_ms)
{
	return pg_sql_run(&n->sql, "checkpoint", "CHECKPOINT", 0, NULL, timeout_ms, NULL);
}

bool pg_exec(struct pg_node *n, const char *sql, int timeout_ms)
{
	return pg_sql_run(&n->sql, "SQL", sql, 0, NULL, timeout_ms, NULL);
}

/* --- replication slots ------------------------------------------------------------------ */

static bool list_slots(struct pg_node *n, struct pg_slot_row *rows, int *count)
{
	PGresult *r;

	*count = 0;
	if (!pg_sql_run(&n->sql, "list replication slots",
	                "SELECT slot_name, slot_type, coalesce(database, ''), coalesce(plugin, ''),"
	                " active, temporary FROM pg_catalog.pg_replication_slots ORDER BY 1",
	                0, NULL, PG_ADMIN_TIMEOUT_MS, &r))
		return false;
	for (int i = 0; i < PQntuples(r) && *count < PG_MAX_SLOTS; i++) {
		struct pg_slot_row *s = &rows[(*count)++];

		snprintf(s->name, sizeof(s->name), "%s", PQgetvalue(r, i, 0));
		snprintf(s->type, sizeof(s->type), "%s", PQgetvalue(r, i, 1));
		snprintf(s->database, sizeof(s->database), "%s", PQgetvalue(r, i, 2));
		snprintf(s->plugin, sizeof(s->plugin), "%s", PQgetvalue(r, i, 3));
		s->active = PQgetvalue(r, i, 4)[0] == 't';
		s->temporary = PQgetvalue(r, i, 5)[0] == 't';
	}
	PQclear(r);
	return true;
}

/* The record: the slots this node created, one name a line, next to the data directory. */
static int record_load(const struct pg_node *n, char (*names)[64])
{
	char *text = fs_read_file(n->slots_record, NULL), *save = NULL;
	int count = 0;

	for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l && count < PG_MAX_SLOTS;
	     l = strtok_r(NULL, "\n", &save)) {
		if (pg_slot_name_valid(l))
			snprintf(names[count++], 64, "%s", l);
	}
	free(text);
	return count;
}

static bool record_save(const struct pg_node *n, char (*names)[64], int count)
{
	struct buf b;
	bool ok;

	buf_init(&b);
	for (int i = 0; i < count; i++)
		buf_printf(&b, "%s\n", names[i]);
	ok = fs_write_atomic(n->slots_record, b.data, b.len, 0600);
	if (!ok)
		log_error("cannot write %s: %s", n->slots_record, strerror(errno));
	buf_free(&b);
	return ok;
}

static bool slot_call(struct pg_sql *sql, const char *what, const char *query, int nparams,
                      const char *const *params)
{
	bool ok = pg_sql_run(sql, what, query, nparams, params, PG_ADMIN_TIMEOUT_MS, NULL);

	if (ok)
		log_info("%s replication slot %s", what, params[0]);
	return ok;
}

/* create_slot: a physical slot reserving WAL at once, or a logical one in its database. */
static bool create_slot(struct pg_node *n, const struct slot_spec *s)
{
	const char *params[2] = {s->name, s->plugin};
	struct pg_sql db;
	bool ok;

	if (!pg_slot_name_valid(s->name)) {
		log_error("replication slot name '%s' is invalid; not created", s->name);
		return false;
	}
	if (!str_eq(s->type, "logical"))
		return slot_call(&n->sql, "created",
		                 "SELECT pg_catalog.pg_create_physical_replication_slot($1, true)",
		                 1, params);
	pg_sql_init(&db, n->socket_dir, n->port, n->cfg->postgresql.superuser.username, n->pgpass);
	pg_sql_set_dbname(&db, s->database);
	ok = slot_call(&db, "created logical",
	               "SELECT pg_catalog.pg_create_logical_replication_slot($1, $2)", 2, params);
	pg_sql_close(&db);
	return ok;
}

static void record_add(char (*names)[64], int *count, const char *name)
{
	if (*count < PG_MAX_SLOTS)
		snprintf(names[(*count)++], 64, "%s", name);
}

bool pg_sync_slots(struct pg_node *n, const struct slot_spec *wanted, int n_wanted,
                   const struct slot_match *ignore, int n_ignore)
{
	struct pg_slot_row rows[PG_MAX_SLOTS];
	char record[PG_MAX_SLOTS][64];
	struct pg_slots_plan *plan;
	int n_rows, n_record = record_load(n, record);
	bool ok = true;

	if (!list_slots(n, rows, &n_rows))
		return false;
	plan = xmalloc(sizeof(*plan));
	pg_slots_plan(rows, n_rows, (const char(*)[64])record, n_record, wanted, n_wanted, ignore,
	              n_ignore, plan);
	n_record = 0;
	for (int i = 0; i < plan->n_keep; i++)
		record_add(record, &n_record, plan->keep[i]);
	for (int i = 0; i < plan->n_create; i++) {
		if (create_slot(n, plan->create[i]))
			record_add(record, &n_record, plan->create[i]->name);
		else
			ok = false;
	}
	for (int i = 0; i < plan->n_drop; i++) {
		const char *params[1] = {plan->drop[i]};

		if (!slot_call(&n->sql, "dropped", "SELECT pg_catalog.pg_drop_replication_slot($1)",
		               1, params)) {
			record_add(record, &n_record, plan->drop[i]);
			ok = false;
		}
	}
	ok = record_save(n, record, n_record) && ok;
	free(plan);
	return ok;
}

void pg_slots_forget(const struct pg_node *n)
{
	if (unlink(n->slots_record) == -1 && errno != ENOENT)
		log_warn("cannot remove %s: %s", n->slots_record, strerror(errno));
}

/* --- archiving ------------------------------------------------------------------------------- */

/* switch_wal: pg_switch_wal(); *closed gets the WAL file before the insert position. */
static bool switch_wal(struct pg_node *n, char *closed, size_t size)
{
	PGresult *r;

	closed[0] = '\0';
	/* With nothing written since the last switch, nothing is switched: the file before
	 * the insert position is then the one closed last time, which is what to wait for. */
	if (!pg_sql_run(&n->sql, "switch WAL",
	                "SELECT pg_catalog.pg_walfile_name(lsn - 1)"
	                " FROM (SELECT pg_catalog.pg_switch_wal() AS lsn) s",
	                0, NULL, PG_ADMIN_TIMEOUT_MS, &r))
		return false;
	if (PQntuples(r) == 1)
		snprintf(closed, size, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return closed[0] != '\0';
}

bool pg_archive_flush(struct pg_node *n, int timeout_ms)
{
	int64_t deadline = clock_now_ms() + timeout_ms;
	char closed[64];
	const char *params[1] = {closed};
	bool done = false;

	if (!switch_wal(n, closed, sizeof(closed)))
		return false;
	/* WAL file names sort by timeline, then position; .history files sort before. */
	while (query_bool_p(n, "archive status",
	                    "SELECT coalesce(substr(last_archived_wal, 1, 24) >= $1, false)"
	                    " FROM pg_catalog.pg_stat_archiver",
	                    1, params, PG_ADMIN_TIMEOUT_MS, &done) &&
	       !done && clock_now_ms() < deadline)
		clock_sleep_ms(100);
	if (!done)
		log_error("WAL file %s not archived after %d ms (see archive_command's errors in "
		          "PostgreSQL's log)",
		          closed, timeout_ms);
	else
		log_info("WAL up to %s is archived", closed);
	return done;
}

/* --- bootstrap roles --------------------------------------------------------------------- */

static bool role_exists(struct pg_node *n, const char *user, int timeout_ms, bool *exists)
{
	const char *params[1] = {user};
	PGresult *r;

	if (!pg_sql_run(&n->sql, "look up role",
	                "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", 1, params,
	                timeout_ms, &r))
		return false;
	*exists = r && PQntuples(r) > 0;
	PQclear(r);
	return true;
}

/* set_password: sends the password SCRAM-hashed, so it never appears in clear in logs. */
static bool set_password(struct pg_node *n, const char *ident, const struct pg_user *u,
                         int timeout_ms)
{
	char *hash, *literal, *sql;
	bool ok;

	if (!u->password[0])
		return true;
	hash = PQencryptPasswordConn(n->sql.conn, u->password, u->username, "scram-sha-256");
	literal = hash ? PQescapeLiteral(n->sql.conn, hash, strlen(hash)) : NULL;
	if (literal == NULL) {
		log_error("cannot hash the password of %s: %s", u->username,
		          PQerrorMessage(n->sql.conn));
		PQfreemem(hash);
		return false;
	}
	sql = xasprintf("ALTER ROLE %s PASSWORD %s", ident, literal);
	ok = pg_sql_run(&n->sql, "set password", sql, 0, NULL, timeout_ms, NULL);
	free(sql);
	PQfreemem(literal);
	PQfreemem(hash);
	return ok;
}

/* ensure_role: CREATE or ALTER the role with attrs, then its password and extra SQL. */
static bool ensure_role(struct pg_node *n, const struct pg_user *u, const char *attrs,
                        const char *extra_fmt, int timeout_ms)
{
	bool exists = false, ok;
	char *ident, *sql;

	if (!role_exists(n, u->username, timeout_ms, &exists) || n->sql.conn == NULL)
		return false;
	ident = PQescapeIdentifier(n->sql.conn, u->username, strlen(u->username));
	if (ident == NULL) {
		log_error("cannot quote role name %s", u->username);
		return false;
	}
	sql = attrs ? xasprintf("%s ROLE %s WITH %s", exists ? "ALTER" : "CREATE", ident, attrs)
	            : NULL;
	ok = sql == NULL || pg_sql_run(&n->sql, "create role", sql, 0, NULL, timeout_ms, NULL);
	free(sql);
	ok = ok && set_password(n, ident, u, timeout_ms);
	if (ok && extra_fmt) {
		sql = xasprintf(extra_fmt, ident, ident, ident, ident);
		ok = pg_sql_run(&n->sql, "grant", sql, 0, NULL, timeout_ms, NULL);
		free(sql);
	}
	if (ok)
		log_info("role %s ready", u->username);
	PQfreemem(ident);
	return ok;
}

/* What pg_rewind runs on its source, per PostgreSQL's documentation. */
static const char REWIND_GRANTS[] =
    "GRANT EXECUTE ON FUNCTION pg_catalog.pg_ls_dir(text, boolean, boolean) TO %s;"
    "GRANT EXECUTE ON FUNCTION pg_catalog.pg_stat_file(text, boolean) TO %s;"
    "GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text) TO %s;"
    "GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean)"
    " TO %s";

bool pg_bootstrap_roles(struct pg_node *n, int timeout_ms)
{
	const struct config *cfg = n->cfg;
	const struct pg_user *su = &cfg->postgresql.superuser;
	const struct pg_user *repl = pg_replication_user(cfg);
	const struct pg_user *rewind = pg_rewind_user(cfg);

	if (!ensure_role(n, su, NULL, NULL, timeout_ms))
		return false;
	if (repl != su && !str_eq(repl->username, su->username) &&
	    !ensure_role(n, repl, "LOGIN REPLICATION", NULL, timeout_ms))
		return false;
	if (rewind != su && !str_eq(rewind->username, su->username) &&
	    !ensure_role(n, rewind, "LOGIN", REWIND_GRANTS, timeout_ms))
		return false;
	return true;
}
