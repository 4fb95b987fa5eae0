/*
 * pg_admin.c: SQL actions on the running local PostgreSQL: promote, checkpoint,
 * replication slots, the bootstrap roles, and ad-hoc commands. Each logs its own
 * failure with PostgreSQL's message.
 */
#include "pg/pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log/log.h"
#include "pg/pg_conf.h"
#include "util/clock.h"
#include "util/strutil.h"
#include "util/xalloc.h"

/* query_bool: the first column of a one-row result of sql, as a boolean. */
static bool query_bool(struct pg_node *n, const char *what, const char *sql, int timeout_ms,
                       bool *value)
{
	PGresult *r;

	if (!pg_sql_run(&n->sql, what, sql, 0, NULL, timeout_ms, &r))
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

static bool in_list(const char *name, const char *const *names, int count)
{
	for (int i = 0; i < count; i++) {
		if (str_eq(name, names[i]))
			return true;
	}
	return false;
}

static bool slot_call(struct pg_node *n, const char *what, const char *sql, const char *slot)
{
	const char *params[1] = {slot};
	bool ok = pg_sql_run(&n->sql, what, sql, 1, params, PG_ADMIN_TIMEOUT_MS, NULL);

	if (ok)
		log_info("%s replication slot %s", what, slot);
	return ok;
}

/* drop_extra: drops existing physical slots not in names[] (active ones wait). */
static bool drop_extra(struct pg_node *n, const PGresult *r, const char *const *names, int count)
{
	bool ok = true;

	for (int i = 0; i < PQntuples(r); i++) {
		const char *slot = PQgetvalue(r, i, 0);

		if (in_list(slot, names, count))
			continue;
		if (PQgetvalue(r, i, 1)[0] == 't') {
			log_info("replication slot %s is not wanted but still active; kept for now",
			         slot);
			continue;
		}
		ok = slot_call(n, "dropped", "SELECT pg_catalog.pg_drop_replication_slot($1)",
		               slot) &&
		     ok;
	}
	return ok;
}

static bool slot_exists(const PGresult *r, const char *name)
{
	for (int i = 0; i < PQntuples(r); i++) {
		if (str_eq(PQgetvalue(r, i, 0), name))
			return true;
	}
	return false;
}

/* create_missing: creates the slots of names[], reserving WAL immediately. */
static bool create_missing(struct pg_node *n, const PGresult *r, const char *const *names,
                           int count)
{
	bool ok = true;

	for (int i = 0; i < count; i++) {
		if (!pg_slot_name_valid(names[i])) {
			log_error("replication slot name '%s' is invalid; not created", names[i]);
			ok = false;
		} else if (!slot_exists(r, names[i])) {
			ok = slot_call(
			         n, "created",
			         "SELECT pg_catalog.pg_create_physical_replication_slot($1, true)",
			         names[i]) &&
			     ok;
		}
	}
	return ok;
}

bool pg_sync_slots(struct pg_node *n, const char *const *names, int count)
{
	PGresult *r;
	bool ok;

	/* Temporary slots belong to running sessions (pg_basebackup): never ours to drop. */
	if (!pg_sql_run(&n->sql, "list replication slots",
	                "SELECT slot_name, active FROM pg_catalog.pg_replication_slots"
	                " WHERE slot_type = 'physical' AND NOT temporary",
	                0, NULL, PG_ADMIN_TIMEOUT_MS, &r))
		return false;
	ok = drop_extra(n, r, names, count);
	ok = create_missing(n, r, names, count) && ok;
	PQclear(r);
	return ok;
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
