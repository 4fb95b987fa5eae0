/*
 * test_ha_decide.c: the HA decision core.
 *
 * Part 1 is a table of scenarios, one line each (fixtures/ha_decide/scenarios.tsv,
 * which says how to write one): the local PostgreSQL, the DCS view, the lease and what
 * the peers answered, and the rule and plan expected.
 * Part 2 sweeps a discretised input space (3 members; for each: PostgreSQL state,
 * lease, WAL position; the leader key; the sync key; reachability) and checks the
 * safety invariants on every point:
 *   - never PROMOTE or START_PRIMARY without holding or first acquiring the key;
 *   - for one DCS view, at most one member heads for primary;
 *   - never promote past the lag limit or outside the sync set;
 *   - a primary that cannot renew keeps running until its deadline, then fences;
 *   - the same input always gives the same plan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ha/ha_decide.h"
#include "ha/ha_failsafe.h"
#include "ha_invariants.h"

#define NOW      1000000
#define TTL_MS   3000
#define MAX_LAG  1048576
#define NMEMBERS 3

static const char *const names[NMEMBERS] = {"node1", "node2", "node3"};

/* --- building inputs -------------------------------------------------------------- */

enum local {
	L_EMPTY,        /* no data directory */
	L_DOWN_PRIMARY, /* data from a primary, PostgreSQL stopped */
	L_DOWN_REPLICA, /* data from a replica, PostgreSQL stopped */
	L_CRASHED,      /* primary data, PostgreSQL crashed */
	L_PRIMARY,      /* running, not in recovery */
	L_REPLICA,      /* running standby, streaming */
	L_STARTING,
	L__COUNT
};

static void set_local(struct ha_input *in, enum local l, uint64_t lsn, int tl)
{
	struct pg_observation *pg = &in->pg;

	memset(pg, 0, sizeof(*pg));
	strcpy(pg->system_id, "7000000000000000001");
	pg->timeline = tl;
	pg->control_timeline = tl;
	switch (l) {
	case L_EMPTY:
		pg->data = PG_DATA_EMPTY;
		pg->system_id[0] = '\0';
		break;
	case L_DOWN_PRIMARY:
		pg->data = PG_DATA_SHUT_DOWN;
		break;
	case L_DOWN_REPLICA:
		pg->data = PG_DATA_SHUT_DOWN_RECOVERY;
		break;
	case L_CRASHED:
		pg->data = PG_DATA_IN_PRODUCTION;
		pg->proc = PG_PROC_CRASHED;
		break;
	case L_PRIMARY:
		pg->data = PG_DATA_IN_PRODUCTION;
		pg->proc = PG_PROC_RUNNING;
		pg->connected = true;
		pg->wal_lsn = lsn;
		break;
	case L_REPLICA:
		pg->data = PG_DATA_IN_RECOVERY;
		pg->proc = PG_PROC_RUNNING;
		pg->connected = true;
		pg->in_recovery = true;
		pg->receive_lsn = lsn;
		pg->replay_lsn = lsn;
		pg->receiver_streaming = true;
		break;
	case L_STARTING:
		pg->data = PG_DATA_IN_RECOVERY;
		pg->proc = PG_PROC_STARTING;
		break;
	case L__COUNT:
		break;
	}
}

static void add_member(struct dcs_view *v, const char *name, const char *role, uint64_t lsn)
{
	struct dcs_member *m = &v->members[v->n_members++];

	memset(m, 0, sizeof(*m));
	strcpy(m->name, name);
	strcpy(m->state, "running");
	strcpy(m->role, role);
	if (strcmp(role, "replica") == 0)
		strcpy(m->replication_state, "streaming");
	m->has_xlog = true;
	m->xlog_location = lsn;
	m->timeline = 1;
	m->failover_priority = 1;
	snprintf(m->api_url, sizeof(m->api_url), "http://%s:8008/patroni", name);
}

static void base_input(struct ha_input *in, const char *me)
{
	memset(in, 0, sizeof(*in));
	in->now_ms = NOW;
	in->wall_now_ms = 1700000000000LL;
	strcpy(in->name, me);
	in->settings.ttl_ms = TTL_MS;
	in->settings.max_lag_bytes = MAX_LAG;
	in->settings.synchronous_mode = true;
	in->settings.synchronous_node_count = 1;
	in->settings.check_timeline = true;
	in->settings.failover_priority = 1;
	in->settings.switchover_sync_wait_ms = 20000; /* 2 * max(10, loop_wait) */
	in->dcs_ok = true;
	snprintf(in->failsafe.my_api_url, sizeof(in->failsafe.my_api_url), "http://%s:8008/patroni",
	         me);
	in->view.valid = true;
	in->view.has_initialize = true;
	strcpy(in->view.initialize, "7000000000000000001");
	set_local(in, L_REPLICA, 100, 1);
}

static void set_leader(struct ha_input *in, const char *leader)
{
	in->view.has_leader = leader != NULL;
	strcpy(in->view.leader, leader ? leader : "");
	if (leader && strcmp(leader, in->name) == 0) {
		in->lease.held = true;
		in->lease.deadline_ms = NOW + 1000;
	}
	if (leader)
		strcpy(in->upstream, strcmp(leader, in->name) ? leader : "");
}

static void set_sync(struct ha_input *in, const char *leader, const char *standby)
{
	in->view.sync.present = true;
	strcpy(in->view.sync.leader, leader);
	in->view.sync.n_standbys = 0;
	if (standby) {
		strcpy(in->view.sync.standbys[0], standby);
		in->view.sync.n_standbys = 1;
	}
}

static void add_peer(struct ha_input *in, const char *name, bool reachable, bool primary,
                     uint64_t lsn)
{
	struct ha_peer *p = &in->peers[in->n_peers++];

	memset(p, 0, sizeof(*p));
	strcpy(p->name, name);
	p->reachable = reachable;
	p->running = reachable;
	p->is_primary = primary;
	p->lsn = lsn;
	p->timeline = 1;
	p->failover_priority = 1;
	in->peers_probed = true;
}

static void add_repl(struct ha_input *in, const char *name, const char *sync_state, uint64_t lsn)
{
	struct pg_replica_conn *c = &in->pg.replication[in->pg.n_replication++];

	memset(c, 0, sizeof(*c));
	strcpy(c->application_name, name);
	strcpy(c->state, "streaming");
	strcpy(c->sync_state, sync_state);
	c->flush_lsn = lsn;
}

/* plan_text: "a,b,c" names of the actions (with ":target" when set). */
static void plan_text(const struct ha_decision *d, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < d->n_actions && used < size; i++) {
		used += (size_t)snprintf(out + used, size - used, "%s%s%s%s", i ? "," : "",
		                         ha_action_name(d->actions[i].kind),
		                         d->actions[i].target[0] ? ":" : "", d->actions[i].target);
	}
}

/* --- part 1: the scenario table (fixtures/ha_decide/scenarios.tsv) ------------------- */

#define SCENARIOS "tests/unit/fixtures/ha_decide/scenarios.tsv"

/* split: s cut at sep into at most max fields (in place); returns the count. */
static int split(char *s, char sep, char **fields, int max)
{
	int n = 0;

	while (n < max) {
		char *end = strchr(s, sep);

		fields[n++] = s;
		if (end == NULL)
			break;
		*end = '\0';
		s = end + 1;
	}
	return n;
}

static enum local local_kind(const char *name)
{
	static const char *const kinds[L__COUNT] = {
	    "empty", "down_primary", "down_replica", "crashed", "primary", "replica", "starting"};

	for (int i = 0; i < L__COUNT; i++)
		if (strcmp(kinds[i], name) == 0)
			return (enum local)i;
	fail_msg("unknown local state '%s'", name);
	return L__COUNT;
}

/* render: "FIRST n (...)" of comma-separated names ("-": empty) into out. */
static void render(const char *list_text, char *out, size_t size)
{
	char copy[256], *f[DCS_MAX_SYNC];
	char list[DCS_MAX_SYNC][DCS_NAME_LEN];
	int n;

	out[0] = '\0';
	if (strcmp(list_text, "-") == 0)
		return;
	snprintf(copy, sizeof(copy), "%s", list_text);
	n = split(copy, ',', f, DCS_MAX_SYNC);
	for (int i = 0; i < n; i++)
		snprintf(list[i], sizeof(list[i]), "%s", f[i]);
	ha_render_ssn(n, (const char(*)[DCS_NAME_LEN])list, n, out, size);
}

static struct dcs_member *member(struct ha_input *in, const char *name)
{
	for (int i = 0; i < in->view.n_members; i++)
		if (strcmp(in->view.members[i].name, name) == 0)
			return &in->view.members[i];
	fail_msg("no member '%s' (declare it first)", name);
	return NULL;
}

/* m.NAME.FIELD[=VALUE]: a change to a member key. */
static void member_token(struct ha_input *in, char *token)
{
	char *f[3] = {NULL};
	char *value = strchr(token, '=');
	struct dcs_member *m;

	if (value != NULL)
		*value++ = '\0';
	if (split(token, '.', f, 3) != 3)
		fail_msg("bad member token");
	m = member(in, f[1]);
	if (strcmp(f[2], "state") == 0)
		snprintf(m->state, sizeof(m->state), "%s", value ? value : "");
	else if (strcmp(f[2], "repl") == 0)
		snprintf(m->replication_state, sizeof(m->replication_state), "%s",
		         value ? value : "");
	else if (strcmp(f[2], "tl") == 0)
		m->timeline = atoi(value ? value : "0");
	else if (strcmp(f[2], "nosync") == 0)
		m->nosync = true;
	else
		fail_msg("unknown member field '%s'", f[2]);
}

static void peer_token(struct ha_input *in, char *value)
{
	char *f[4] = {NULL};
	int n = split(value, ':', f, 4);
	bool down = strcmp(f[1], "down") == 0;
	struct ha_peer *p;

	add_peer(in, f[0], !down, strcmp(f[1], "primary") == 0,
	         n > 2 ? strtoull(f[2], NULL, 10) : 0);
	p = &in->peers[in->n_peers - 1];
	p->running = !down && strcmp(f[1], "stopped") != 0;
	p->nofailover = n > 3 && strcmp(f[3], "nofailover") == 0;
}

static void failover_token(struct ha_input *in, char *value)
{
	char *f[3] = {NULL};
	int n = split(value, ':', f, 3);
	struct dcs_failover *fo = &in->view.failover;

	fo->present = true;
	snprintf(fo->leader, sizeof(fo->leader), "%s", f[0]);
	snprintf(fo->member, sizeof(fo->member), "%s", n > 1 ? f[1] : "");
	if (n > 2)
		fo->scheduled_at_epoch_ms = in->wall_now_ms + strtoll(f[2], NULL, 10);
}

/* history=TL:LSN: one more line of the history key. */
static void history_token(struct ha_input *in, char *value)
{
	char *f[2] = {NULL};
	struct dcs_history_entry *h = &in->view.history[in->view.n_history++];

	if (split(value, ':', f, 2) != 2)
		fail_msg("history=TL:LSN");
	h->timeline = atoi(f[0]);
	h->switch_lsn = strtoull(f[1], NULL, 10);
}

static void request(struct dcs_request *r, const char *kind, const char *state, const char *member)
{
	memset(r, 0, sizeof(*r));
	r->present = true;
	r->mod_revision = 7;
	strcpy(r->id, "req1");
	snprintf(r->kind, sizeof(r->kind), "%s", kind);
	snprintf(r->state, sizeof(r->state), "%s", state);
	snprintf(r->member, sizeof(r->member), "%s", member);
}

/* restore=LEADER:STATE:TL: the restore key ("-" state: just asked; TL: the new one). */
static void restore_token(struct ha_input *in, char *value)
{
	char *f[3] = {NULL};
	int n = split(value, ':', f, 3);

	request(&in->view.restore, "time", n > 1 && strcmp(f[1], "-") ? f[1] : "", "");
	snprintf(in->view.restore.leader, sizeof(in->view.restore.leader), "%s", f[0]);
	in->view.restore.from_timeline = 1;
	in->view.restore.timeline = n > 2 ? atoi(f[2]) : 0;
}

/* bk=on,stanza,info,job,retry,due:TYPE: what the loop knows of pgBackRest. */
static void backup_token(struct ha_input *in, char *value)
{
	static const char *const types[] = {"", "full", "diff", "incr"};
	char *save = NULL;

	for (char *t = strtok_r(value, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
		in->backup.enabled |= strcmp(t, "on") == 0;
		in->backup.stanza_ok |= strcmp(t, "stanza") == 0;
		in->backup.info_known |= strcmp(t, "info") == 0;
		in->backup.job_running |= strcmp(t, "job") == 0;
		in->backup.retry_wait |= strcmp(t, "retry") == 0;
		for (int k = 1; k < 4; k++)
			if (strncmp(t, "due:", 4) == 0 && strcmp(t + 4, types[k]) == 0)
				in->backup.due = k;
	}
}

/* names_into: comma-separated names into a valid failsafe list (URLs as add_member's). */
static void names_into(const char *list, struct dcs_failsafe *fs)
{
	char copy[256], *f[DCS_MAX_MEMBERS];
	int n;

	snprintf(copy, sizeof(copy), "%s", list);
	n = split(copy, ',', f, DCS_MAX_MEMBERS);
	fs->state = DCS_FS_VALID;
	for (int i = 0; i < n; i++, fs->n++) {
		snprintf(fs->names[fs->n], DCS_NAME_LEN, "%s", f[i]);
		snprintf(fs->api_urls[fs->n], DCS_URL_LEN, "http://%s:8008/patroni", f[i]);
	}
}

/* failsafe_token: fskey=A,B|garbage window=NAME:+MS recent=NAME; false if unknown. */
static bool failsafe_token(struct ha_input *in, const char *key, char *value)
{
	char *f[2] = {NULL};

	if (strcmp(key, "fskey") == 0 && strcmp(value, "garbage") == 0) {
		memset(&in->view.failsafe, 0, sizeof(in->view.failsafe));
		in->view.failsafe.state = DCS_FS_INVALID;
		in->view.failsafe.mod_revision = 7;
	} else if (strcmp(key, "fskey") == 0) {
		names_into(value, &in->view.failsafe);
		in->view.failsafe.mod_revision = 7;
	} else if (strcmp(key, "window") == 0) {
		if (split(value, ':', f, 2) != 2)
			fail_msg("window=NAME:+MS");
		snprintf(in->failsafe.window_leader, DCS_NAME_LEN, "%s", f[0]);
		in->failsafe.window_until_ms = NOW + strtoll(f[1], NULL, 10);
	} else if (strcmp(key, "recent") == 0) {
		names_into(value, &in->failsafe.recent);
	} else {
		return false;
	}
	return true;
}

/* key_token: a KEY=VALUE token of the world; false if the key is unknown. */
static bool key_token(struct ha_input *in, const char *key, char *value)
{
	char *f[3] = {NULL};
	int n;

	if (strcmp(key, "local") == 0) {
		n = split(value, ':', f, 3);
		set_local(in, local_kind(f[0]), n > 1 ? strtoull(f[1], NULL, 10) : 0,
		          n > 2 ? atoi(f[2]) : 0);
	} else if (strcmp(key, "sysid") == 0) {
		snprintf(in->pg.system_id, sizeof(in->pg.system_id), "%s", value);
	} else if (strcmp(key, "pg_ssn") == 0) {
		render(value, in->pg.synchronous_standby_names,
		       sizeof(in->pg.synchronous_standby_names));
	} else if (strcmp(key, "init") == 0) {
		in->view.has_initialize = strcmp(value, "none") != 0;
		in->view.initialize[0] = '\0';
	} else if (strcmp(key, "member") == 0) {
		split(value, ':', f, 3);
		add_member(&in->view, f[0], f[1], strtoull(f[2], NULL, 10));
	} else if (strcmp(key, "leader") == 0) {
		set_leader(in, value);
	} else if (strcmp(key, "sync") == 0 && strcmp(value, "garbage") == 0) {
		memset(&in->view.sync, 0, sizeof(in->view.sync)); /* present, unreadable */
		in->view.sync.mod_revision = 42;
	} else if (strcmp(key, "sync") == 0) {
		split(value, ':', f, 2);
		set_sync(in, f[0], f[1][0] ? f[1] : NULL);
	} else if (strcmp(key, "peer") == 0) {
		peer_token(in, value);
	} else if (strcmp(key, "repl") == 0) {
		split(value, ':', f, 3);
		add_repl(in, f[0], f[1], strtoull(f[2], NULL, 10));
	} else if (strcmp(key, "failover") == 0) {
		failover_token(in, value);
	} else if (strcmp(key, "history") == 0) {
		history_token(in, value);
	} else if (strcmp(key, "restore") == 0) {
		restore_token(in, value);
	} else if (strcmp(key, "bk") == 0) {
		backup_token(in, value);
	} else if (strcmp(key, "backup_req") == 0) {
		split(value, ':', f, 2);
		request(&in->view.backup, "full", strcmp(f[0], "-") ? f[0] : "", f[1] ? f[1] : "");
	} else {
		return failsafe_token(in, key, value);
	}
	return true;
}

/* number_token: a KEY=NUMBER token (times are relative to NOW); false if unknown. */
static bool number_token(struct ha_input *in, const char *key, const char *value)
{
	int64_t v = strtoll(value, NULL, 10);

	if (strcmp(key, "prio") == 0)
		in->settings.failover_priority = (int)v;
	else if (strcmp(key, "start_timeout") == 0)
		in->settings.primary_start_timeout_ms = v;
	else if (strcmp(key, "status") == 0)
		in->view.status_optime = (uint64_t)v;
	else if (strcmp(key, "now") == 0)
		in->now_ms = NOW + v;
	else if (strcmp(key, "deadline") == 0)
		in->lease.deadline_ms = NOW + v;
	else if (strcmp(key, "fsdeadline") == 0)
		in->lease.fs_deadline_ms = NOW + v;
	else if (strcmp(key, "crashed_since") == 0)
		in->crashed_since_ms = NOW + v;
	else if (strcmp(key, "ctl") == 0) /* the data directory's checkpoint timeline */
		in->pg.control_timeline = (int)v;
	else if (strcmp(key, "due_since") == 0)
		in->failover_due_since_ms = NOW + v;
	else
		return false;
	in->view.has_status |= strcmp(key, "status") == 0;
	return true;
}

/* flag_token: a bare word or a fixed KEY=VALUE; false if unknown. */
static bool flag_token(struct ha_input *in, const char *t)
{
	struct {
		const char *name;
		bool *flag;
		bool value;
	} flags[] = {
	    {"async", &in->settings.synchronous_mode, false},
	    {"strict", &in->settings.synchronous_mode_strict, true},
	    {"nofailover", &in->settings.nofailover, true},
	    {"pause", &in->settings.pause, true},
	    {"shutdown", &in->shutdown, true},
	    {"restart", &in->restart_requested, true},
	    {"reinit", &in->reinit_requested, true},
	    {"rewind_failed", &in->rewind_failed, true},
	    {"dcs=lost", &in->dcs_ok, false},
	    {"receiver=off", &in->pg.receiver_streaming, false},
	    {"lease=none", &in->lease.held, false},
	    {"lease=held", &in->lease.held, true},
	    {"fs=on", &in->failsafe.mode, true},
	    {"fsusable", &in->lease.fs_usable, true},
	};

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (strcmp(t, flags[i].name) == 0) {
			*flags[i].flag = flags[i].value;
			return true;
		}
	}
	if (strcmp(t, "data=invalid") == 0)
		in->pg.data = PG_DATA_INVALID;
	else if (strcmp(t, "proc=crashed") == 0)
		in->pg.proc = PG_PROC_CRASHED;
	else
		return false;
	return true;
}

/* world: base_input, then the tokens in order. */
static void world(struct ha_input *in, const char *me, char *tokens)
{
	char *save = NULL;

	base_input(in, me);
	for (char *t = strtok_r(tokens, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(t, '=');

		if (flag_token(in, t))
			continue;
		if (strncmp(t, "m.", 2) == 0) {
			member_token(in, t);
			continue;
		}
		if (eq == NULL)
			fail_msg("unknown token '%s'", t);
		*eq = '\0';
		if (strcmp(t, "upstream") == 0)
			snprintf(in->upstream, sizeof(in->upstream), "%s", eq + 1);
		else if (!key_token(in, t, eq + 1) && !number_token(in, t, eq + 1))
			fail_msg("unknown token '%s'", t);
	}
}

/* check_extra: "ssn=..", "ssn~..", "sync=..", "reason~..": empty when fine, else what differs. */
static void check_extra(const struct ha_decision *d, const char *check, char *why, size_t size)
{
	char want[HA_SSN_LEN], got[DCS_MAX_SYNC * DCS_NAME_LEN] = "";

	why[0] = '\0';
	if (strncmp(check, "reason~", 7) == 0) {
		if (strstr(d->reason, check + 7) == NULL)
			snprintf(why, size, "reason '%s' lacks '%s'", d->reason, check + 7);
	} else if (strncmp(check, "ssn~", 4) == 0) {
		if (strstr(d->ssn, check + 4) == NULL)
			snprintf(why, size, "ssn '%s' lacks '%s'", d->ssn, check + 4);
	} else if (strncmp(check, "ssn=", 4) == 0) {
		render(check + 4, want, sizeof(want));
		if (strcmp(d->ssn, want) != 0)
			snprintf(why, size, "ssn '%s', want '%s'", d->ssn, want);
	} else if (strncmp(check, "fs=", 3) == 0) {
		for (int i = 0; i < d->failsafe.n; i++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? "," : "",
			         d->failsafe.names[i]);
		if (strcmp(got[0] ? got : "-", check + 3) != 0)
			snprintf(why, size, "failsafe list '%s', want '%s'", got, check + 3);
	} else if (strncmp(check, "sync=", 5) == 0) {
		for (int i = 0; i < d->n_sync_names; i++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? "," : "",
			         d->sync_names[i]);
		if (strcmp(got[0] ? got : "-", check + 5) != 0)
			snprintf(why, size, "sync names '%s', want '%s'", got, check + 5);
	} else {
		snprintf(why, size, "unknown check '%s'", check);
	}
}

/* run_row: one scenario line; false (printed) when the decision differs. */
static bool run_row(char *line, int lineno)
{
	char *col[6] = {NULL}, plan[512], why[1024] = "";
	int n = split(line, '\t', col, 6);
	struct ha_input in;
	struct ha_decision d;

	if (n < 5)
		fail_msg("%s:%d: %d columns, want 5 or 6", SCENARIOS, lineno, n);
	world(&in, col[1], col[2]);
	ha_decide(&in, &d);
	plan_text(&d, plan, sizeof(plan));
	if (strcmp(ha_rule_name(d.rule), col[3]) != 0 || strcmp(plan[0] ? plan : "-", col[4]) != 0)
		snprintf(why, sizeof(why), "rule %s plan [%s] (%s %s), want %s [%s]",
		         ha_rule_name(d.rule), plan, d.reason, d.detail, col[3], col[4]);
	else if (n > 5)
		check_extra(&d, col[5], why, sizeof(why));
	if (why[0])
		print_error("%s:%d: %s: %s\n", SCENARIOS, lineno, col[0], why);
	return why[0] == '\0';
}

static void test_scenarios(void **state)
{
	FILE *f = fopen(SCENARIOS, "r");
	char line[2048];
	int lineno = 0, rows = 0, failed = 0;

	(void)state;
	if (f == NULL)
		fail_msg("cannot open %s (run from the repository root, as make unit does)",
		         SCENARIOS);
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		rows++;
		failed += !run_row(line, lineno);
	}
	fclose(f);
	print_message("%d scenarios, %d failed\n", rows, failed);
	assert_int_equal(failed, 0);
	assert_true(rows >= 70);
}

static void test_render_ssn(void **state)
{
	char out[HA_SSN_LEN];
	const char names2[2][DCS_NAME_LEN] = {"node2", "Node-3"};

	(void)state;
	ha_render_ssn(1, names2, 0, out, sizeof(out));
	assert_string_equal(out, "");
	ha_render_ssn(1, names2, 2, out, sizeof(out));
	assert_string_equal(out, "FIRST 1 (\"node2\", \"Node-3\")");
}

/* --- cluster rules shared with the REST API and the CLI ------------------------------- */

/* handover_view: node1 leads; node2 (sync standby) and node3 stream from it. */
static void handover_view(struct dcs_view *v)
{
	memset(v, 0, sizeof(*v));
	v->has_leader = true;
	strcpy(v->leader, "node1");
	add_member(v, "node1", "primary", 500);
	add_member(v, "node2", "replica", 500);
	add_member(v, "node3", "replica", 500);
	v->sync.present = true;
	strcpy(v->sync.leader, "node1");
	strcpy(v->sync.standbys[0], "node2");
	v->sync.n_standbys = 1;
}

static enum ha_handover_check switchover(const struct dcs_view *v, const char *leader,
                                         const char *cand, bool sync, bool pause)
{
	struct ha_handover_req r = {leader, cand, sync, pause};

	return ha_switchover_check(v, &r);
}

/*
 * The REST API, the CLI and the leader once disagreed on who may take over; these are
 * the rules they share now (Patroni's: nofailover or failover_priority 0 never leads;
 * in synchronous mode only a listed sync standby, and nobody when the sync key cannot
 * be read; the candidate must be running and streaming).
 */
static void test_switchover_rules(void **state)
{
	struct dcs_view v;

	(void)state;
	handover_view(&v);
	assert_int_equal(switchover(&v, "", "", true, false), HA_HANDOVER_OK);
	assert_int_equal(switchover(&v, "node1", "node2", true, false), HA_HANDOVER_OK);
	assert_int_equal(switchover(&v, "node2", "node3", true, false), HA_HANDOVER_NOT_LEADER);
	assert_int_equal(switchover(&v, "", "node1", true, false), HA_HANDOVER_SAME);
	assert_int_equal(switchover(&v, "", "", true, true), HA_HANDOVER_PAUSED_ANY);
	assert_int_equal(switchover(&v, "", "node2", true, true), HA_HANDOVER_OK);
	assert_int_equal(switchover(&v, "", "node9", true, false), HA_HANDOVER_UNKNOWN_CANDIDATE);
	assert_int_equal(switchover(&v, "", "node3", true, false), HA_HANDOVER_NOT_SYNC);
	assert_int_equal(switchover(&v, "", "node3", false, false), HA_HANDOVER_OK);
	memset(&v.sync, 0, sizeof(v.sync)); /* the sync key exists but cannot be read: */
	v.sync.mod_revision = 42;           /* nobody may take over */
	assert_int_equal(switchover(&v, "", "node2", true, false), HA_HANDOVER_NOT_SYNC);
	assert_int_equal(switchover(&v, "", "", true, false), HA_HANDOVER_NO_CANDIDATE);
	handover_view(&v);
	v.members[1].failover_priority = 0; /* the CLI used to accept this one */
	assert_int_equal(switchover(&v, "", "node2", true, false), HA_HANDOVER_NOFAILOVER);
	v.members[1].failover_priority = 1;
	strcpy(v.members[1].replication_state, "in archive recovery");
	assert_int_equal(switchover(&v, "", "node2", false, false), HA_HANDOVER_UNHEALTHY);
	assert_int_equal(switchover(&v, "", "", false, false), HA_HANDOVER_OK); /* node3 */
	/* In synchronous mode the leader's sync key vouches for node2, whose member key may
	 * lag a cycle behind; a sync key of another leader does not (the new leader has
	 * yet to claim it: node3 may be named then). */
	assert_int_equal(switchover(&v, "", "node2", true, false), HA_HANDOVER_OK);
	strcpy(v.sync.leader, "node3");
	assert_int_equal(switchover(&v, "", "node2", true, false), HA_HANDOVER_UNHEALTHY);
	assert_int_equal(switchover(&v, "", "", true, false), HA_HANDOVER_SYNC_PENDING);
	strcpy(v.sync.leader, "node1");
	v.has_leader = false;
	assert_int_equal(switchover(&v, "", "node2", true, false), HA_HANDOVER_NO_LEADER);
	for (int c = 0; c < HA_HANDOVER__COUNT; c++)
		assert_string_not_equal(ha_handover_check_str((enum ha_handover_check)c), "?");
}

/*
 * Right after a leader change the sync key names the new leader and no standby until
 * one has caught up with it: a switchover asked for then may be made (the leader waits
 * for the standby to be named), but only when someone could take over once named.
 */
static void test_switchover_sync_pending(void **state)
{
	struct dcs_view v;

	(void)state;
	handover_view(&v);
	assert_false(ha_sync_pending(&v, true));
	v.sync.n_standbys = 0; /* {leader: node1, sync_standby: null} */
	assert_true(ha_sync_pending(&v, true));
	assert_false(ha_sync_pending(&v, false));
	assert_int_equal(switchover(&v, "", "", true, false), HA_HANDOVER_SYNC_PENDING);
	assert_int_equal(switchover(&v, "node1", "node2", true, false), HA_HANDOVER_SYNC_PENDING);
	assert_int_equal(switchover(&v, "", "node3", true, false), HA_HANDOVER_SYNC_PENDING);
	assert_int_equal(switchover(&v, "", "node3", false, false), HA_HANDOVER_OK);
	/* the other rules still come first */
	assert_int_equal(switchover(&v, "node2", "node3", true, false), HA_HANDOVER_NOT_LEADER);
	assert_int_equal(switchover(&v, "", "", true, true), HA_HANDOVER_PAUSED_ANY);
	v.members[2].nofailover = true;
	assert_int_equal(switchover(&v, "", "node3", true, false), HA_HANDOVER_NOFAILOVER);
	/* still catching up with the new leader, or restarting to follow it: it will be
	 * named once it has */
	strcpy(v.members[1].replication_state, "in archive recovery");
	assert_int_equal(switchover(&v, "", "node2", true, false), HA_HANDOVER_SYNC_PENDING);
	strcpy(v.members[1].state, "stopped");
	assert_int_equal(switchover(&v, "", "", true, false), HA_HANDOVER_SYNC_PENDING);
	/* nobody who may ever lead: nothing to wait for */
	v.members[1].failover_priority = 0;
	assert_int_equal(switchover(&v, "", "", true, false), HA_HANDOVER_NO_CANDIDATE);
	/* and with the standby named, the usual rules again */
	handover_view(&v);
	assert_int_equal(switchover(&v, "", "node3", true, false), HA_HANDOVER_NOT_SYNC);
	/* the former leader's key, not claimed yet by the new one: pending too */
	handover_view(&v);
	strcpy(v.sync.leader, "node0");
	assert_true(ha_sync_pending(&v, true));
	assert_int_equal(switchover(&v, "", "node3", true, false), HA_HANDOVER_SYNC_PENDING);
	v.has_leader = false; /* no leader to wait for */
	assert_false(ha_sync_pending(&v, true));
	/* a key that names no leader restricts nothing; one that cannot be read, everybody */
	handover_view(&v);
	v.sync.leader[0] = '\0';
	v.sync.n_standbys = 0;
	assert_false(ha_sync_pending(&v, true));
	assert_int_equal(switchover(&v, "", "node3", true, false), HA_HANDOVER_OK);
	memset(&v.sync, 0, sizeof(v.sync));
	v.sync.mod_revision = 42;
	assert_false(ha_sync_pending(&v, true));
	assert_int_equal(switchover(&v, "", "", true, false), HA_HANDOVER_NO_CANDIDATE);
}

/* A manual failover of a leaderless cluster: the operator decides (no lag, no sync). */
static void test_failover_rules(void **state)
{
	struct dcs_view v;
	struct ha_handover_req r = {"", "node3", true, false};

	(void)state;
	handover_view(&v);
	v.has_leader = false;
	assert_int_equal(ha_failover_check(&v, &r), HA_HANDOVER_OK);
	v.members[2].nofailover = true; /* the REST API used to accept this one */
	assert_int_equal(ha_failover_check(&v, &r), HA_HANDOVER_NOFAILOVER);
	v.members[2].nofailover = false;
	strcpy(v.members[2].state, "stopped");
	assert_int_equal(ha_failover_check(&v, &r), HA_HANDOVER_UNHEALTHY);
	r.candidate = "node9";
	assert_int_equal(ha_failover_check(&v, &r), HA_HANDOVER_UNKNOWN_CANDIDATE);
	r.candidate = "";
	assert_int_equal(ha_failover_check(&v, &r), HA_HANDOVER_NO_CANDIDATE);
}

/* The switchover / failover outcome both the agent and the CLI wait for. */
static void test_handover_done(void **state)
{
	struct dcs_view v;

	(void)state;
	memset(&v, 0, sizeof(v));
	assert_false(ha_handover_done(&v, "n1", "")); /* no leader yet */
	v.has_leader = true;                          /* a key whose value is unreadable */
	assert_false(ha_handover_done(&v, "n1", ""));
	strcpy(v.leader, "n1");
	assert_false(ha_handover_done(&v, "n1", ""));
	assert_false(ha_handover_done(&v, "N1", "n2")); /* names are case-sensitive */
	strcpy(v.leader, "n3");
	assert_true(ha_handover_done(&v, "n1", ""));
	assert_false(ha_handover_done(&v, "n1", "n2")); /* not the one asked for */
	strcpy(v.leader, "n2");
	assert_true(ha_handover_done(&v, "n1", "n2"));
	assert_true(ha_handover_done(&v, "", "n2")); /* failover of a leaderless cluster */
	assert_int_equal(ha_handover_wait_s(1), 20);
	assert_int_equal(ha_handover_wait_s(30), 60);
}

/* --- part 2: exhaustive sweep --------------------------------------------------------- */

enum lease_state {
	LS_NONE,    /* not held */
	LS_VALID,   /* held, before the deadline */
	LS_EXPIRED, /* held, at/after the deadline */
	LS__COUNT
};

enum lag {
	LAG_NONE,
	LAG_SMALL,
	LAG_OVER,
	LAG__COUNT
};

struct world {
	enum local local[NMEMBERS];
	enum lease_state lease[NMEMBERS];
	enum lag lag[NMEMBERS];
	int leader;       /* -1 none, else member index */
	int sync_standby; /* -1: no sync key; else sync={node1 (index 0), names[s]} */
	bool dcs_ok;
	bool reachable[NMEMBERS];
};

static uint64_t lag_lsn(enum lag l)
{
	static const uint64_t top = 10 * 1048576;

	return l == LAG_NONE ? top : l == LAG_SMALL ? top - 1000 : top - MAX_LAG - 1;
}

static bool running(enum local l)
{
	return l == L_PRIMARY || l == L_REPLICA;
}

static void world_input(const struct world *w, int me, struct ha_input *in)
{
	base_input(in, names[me]);
	in->dcs_ok = w->dcs_ok;
	set_local(in, w->local[me], lag_lsn(w->lag[me]), 1);
	for (int i = 0; i < NMEMBERS; i++)
		add_member(&in->view, names[i], w->local[i] == L_PRIMARY ? "primary" : "replica",
		           lag_lsn(w->lag[i]));
	in->view.has_leader = w->leader >= 0;
	if (w->leader >= 0) {
		strcpy(in->view.leader, names[w->leader]);
		strcpy(in->upstream, w->leader == me ? "" : names[w->leader]);
	}
	in->lease.held = w->lease[me] != LS_NONE;
	in->lease.deadline_ms = w->lease[me] == LS_VALID ? NOW + 1000 : NOW;
	if (w->sync_standby >= 0)
		set_sync(in, names[0], names[w->sync_standby]);
	in->view.has_status = true;
	in->view.status_optime = lag_lsn(LAG_NONE);
	for (int i = 0; i < NMEMBERS; i++) {
		if (i == me)
			continue;
		add_peer(in, names[i], w->reachable[i] && running(w->local[i]),
		         w->local[i] == L_PRIMARY, lag_lsn(w->lag[i]));
	}
}

static bool has_action(const struct ha_decision *d, enum ha_action_kind k, int before)
{
	int i = plan_index(d, k);

	return i >= 0 && i < before;
}

struct tally {
	int holders; /* head for primary on a key they already hold */
	int racers;  /* head for primary if their create-if-absent wins */
};

static void check_member(const struct world *w, int me, const struct ha_input *in,
                         const struct ha_decision *d, struct tally *t)
{
	int promote = plan_index(d, HA_ACT_PROMOTE);
	const char *why = plan_violation(in, d);
	struct ha_decision again;

	/* Well-formed; never promote or start as primary without the key; never take the key
	 * from another holder (ha_invariants.h, shared with the fuzz harness). */
	if (why != NULL)
		fail_msg("%s: %s", names[me], why);
	/* A restore, like a promotion, needs the key; pgBackRest jobs are the leader's. */
	if (plan_index(d, HA_ACT_RESTORE) >= 0)
		assert_true(input_holds_key(in) ||
		            has_action(d, HA_ACT_ACQUIRE_LEADER, plan_index(d, HA_ACT_RESTORE)));
	if (plan_index(d, HA_ACT_BACKUP_JOB) >= 0)
		assert_true(input_holds_key(in) && w->local[me] == L_PRIMARY);
	/* Never promote past the lag limit, or outside the sync set. */
	if (promote >= 0 && !input_holds_key(in)) {
		assert_true(w->lag[me] != LAG_OVER);
		if (w->sync_standby >= 0)
			assert_true(me == 0 || me == w->sync_standby);
		assert_true(in->dcs_ok);
	}
	/* A primary with a valid lease does not demote when etcd is unreachable. */
	if (!w->dcs_ok && w->local[me] == L_PRIMARY && w->lease[me] == LS_VALID)
		assert_int_equal(d->n_actions, 0);
	/* ... and it fences once past the deadline (paused, the fencer thread alone does:
	 * the loop takes no automatic action). */
	if (w->local[me] == L_PRIMARY && w->lease[me] == LS_EXPIRED && !in->settings.pause)
		assert_true(has_action(d, HA_ACT_STOP_IMMEDIATE, HA_MAX_ACTIONS));
	/* Determinism. */
	ha_decide(in, &again);
	assert_memory_equal(d, &again, sizeof(again));
	if (d->role == HA_ROLE_PRIMARY && has_action(d, HA_ACT_ACQUIRE_LEADER, HA_MAX_ACTIONS))
		t->racers++;
	else if (d->role == HA_ROLE_PRIMARY)
		t->holders++;
}

static bool all_reachable(const struct world *w)
{
	for (int i = 0; i < NMEMBERS; i++)
		if (running(w->local[i]) && !w->reachable[i])
			return false;
	return true;
}

static void check_world(const struct world *w)
{
	struct tally t = {0, 0};

	for (int me = 0; me < NMEMBERS; me++) {
		struct ha_input in;
		struct ha_decision d;

		world_input(w, me, &in);
		ha_decide(&in, &d);
		check_member(w, me, &in, &d, &t);
	}
	/*
	 * One DCS view, one primary. A key holder shares the role with nobody, not even a
	 * racer (the key is taken, so nobody races). Racers that cannot see each other may
	 * both try (the create-if-absent transaction picks one); racers that see each
	 * other agree on one winner, because the race is a total order.
	 */
	if (w->dcs_ok && (t.holders + (t.racers > 0) > 1 || (all_reachable(w) && t.racers > 1))) {
		print_error("two primaries: leader=%d sync=%d\n", w->leader, w->sync_standby);
		for (int i = 0; i < NMEMBERS; i++)
			print_error("  %s local=%d lease=%d lag=%d reach=%d\n", names[i],
			            w->local[i], w->lease[i], w->lag[i], w->reachable[i]);
		fail();
	}
}

/* lease_consistent: only the key holder can believe it holds the key (etcd's CAS). */
static bool lease_consistent(const struct world *w)
{
	for (int i = 0; i < NMEMBERS; i++)
		if (w->lease[i] != LS_NONE && w->leader != i)
			return false;
	return true;
}

static void sweep_members(struct world *w, int i, long *count)
{
	static const enum local locals[] = {L_DOWN_PRIMARY, L_DOWN_REPLICA, L_CRASHED,
	                                    L_PRIMARY,      L_REPLICA,      L_STARTING};

	if (i == NMEMBERS) {
		if (lease_consistent(w)) {
			check_world(w);
			(*count)++;
		}
		return;
	}
	for (size_t l = 0; l < sizeof(locals) / sizeof(locals[0]); l++)
		for (int ls = 0; ls < LS__COUNT; ls++)
			for (int lag = 0; lag < LAG__COUNT; lag += 2) /* none, over */
				for (int r = 0; r < 2; r++) {
					w->local[i] = locals[l];
					w->lease[i] = (enum lease_state)ls;
					w->lag[i] = (enum lag)lag;
					w->reachable[i] = r;
					sweep_members(w, i + 1, count);
				}
}

static void test_sweep_invariants(void **state)
{
	struct world w;
	long count = 0;

	(void)state;
	/* Under valgrind (PGHA_TEST_QUICK) a slice of the space keeps the run short. */
	bool quick = getenv("PGHA_TEST_QUICK") != NULL;

	memset(&w, 0, sizeof(w));
	for (w.leader = -1; w.leader < NMEMBERS; w.leader++)
		for (w.sync_standby = -1; w.sync_standby < NMEMBERS; w.sync_standby++)
			for (int ok = 0; ok < 2; ok++) {
				if (w.sync_standby == 0 || (quick && (w.leader != 0 || !ok)))
					continue; /* the sync leader is node1 */
				w.dcs_ok = ok;
				sweep_members(&w, 0, &count);
			}
	print_message("sweep: %ld worlds x %d members checked\n", count, NMEMBERS);
	assert_true(count > (quick ? 1000 : 100000));
}

/*
 * Restores: the same member space (without lag, which no restore rule reads) under a
 * restore key asked of node1 or of node2, or ready on timeline 2, with node1, node2 or
 * nobody holding the leader key, backups on and a full backup due everywhere. On top
 * of check_member's invariants:
 *   - while a restore of the key holder is pending, no other member runs, starts,
 *     promotes, clones or follows anything: it only stops;
 *   - once it is ready, a member on an older timeline starts only after being made
 *     again (a re-clone comes before any start), and never follows or promotes.
 */
static bool restore_paused;

static void check_restore_member(const struct world *w, const struct ha_input *in,
                                 const struct ha_decision *d)
{
	const struct dcs_request *r = &in->view.restore;
	bool leader_restores = in->view.has_leader && strcmp(in->view.leader, r->leader) == 0;
	int start = plan_index(d, HA_ACT_START_REPLICA);

	(void)w;
	if (!in->dcs_ok || !leader_restores || strcmp(in->name, r->leader) == 0)
		return;
	if (dcs_request_pending(r)) {
		for (int i = 0; i < d->n_actions; i++)
			assert_int_equal(d->actions[i].kind, HA_ACT_STOP_FAST);
		assert_int_not_equal(d->role, HA_ROLE_PRIMARY);
	} else if (in->pg.timeline < r->timeline && in->pg.control_timeline < r->timeline) {
		assert_int_equal(plan_index(d, HA_ACT_FOLLOW), -1);
		assert_int_equal(plan_index(d, HA_ACT_PROMOTE), -1);
		if (start >= 0)
			assert_true(has_action(d, HA_ACT_REINIT, start) ||
			            has_action(d, HA_ACT_CLONE, start));
	}
}

static void restore_world_input(const struct world *w, int me, int restore, struct ha_input *in)
{
	world_input(w, me, in);
	in->settings.pause = restore_paused; /* pgha restore pauses the cluster */
	in->backup =
	    (struct ha_backup){.enabled = true, .stanza_ok = true, .info_known = true, .due = 1};
	request(&in->view.restore, "time", restore == 2 ? "ready" : "", "");
	strcpy(in->view.restore.leader, names[restore == 1 ? 1 : 0]);
	in->view.restore.timeline = restore == 2 ? 2 : 0;
}

/* makes_primary: the plan turns this node into a primary. */
static bool makes_primary(const struct ha_decision *d)
{
	return plan_index(d, HA_ACT_PROMOTE) >= 0 || plan_index(d, HA_ACT_RESTORE) >= 0 ||
	       plan_index(d, HA_ACT_START_PRIMARY) >= 0;
}

static void check_restore_world(const struct world *w, int restore)
{
	struct tally t = {0, 0};
	int makers = 0;

	for (int me = 0; me < NMEMBERS; me++) {
		struct ha_input in;
		struct ha_decision d;

		restore_world_input(w, me, restore, &in);
		ha_decide(&in, &d);
		check_member(w, me, &in, &d, &t);
		check_restore_member(w, &in, &d);
		makers += makes_primary(&d);
	}
	/* One view, one primary: paused, roles only mirror what runs (no automatic
	 * action), so there it is counted on the plans that make a primary. */
	if (w->dcs_ok)
		assert_true(restore_paused ? makers <= 1 : t.holders + (t.racers > 0) <= 1);
}

static void sweep_restore_members(struct world *w, int i, int restore, long *count)
{
	static const enum local locals[] = {L_EMPTY,   L_DOWN_PRIMARY, L_DOWN_REPLICA, L_CRASHED,
	                                    L_PRIMARY, L_REPLICA,      L_STARTING};

	if (i == NMEMBERS) {
		if (lease_consistent(w)) {
			check_restore_world(w, restore);
			(*count)++;
		}
		return;
	}
	for (size_t l = 0; l < sizeof(locals) / sizeof(locals[0]); l++)
		for (int ls = 0; ls < LS__COUNT; ls++)
			for (int r = 0; r < 2; r++) {
				w->local[i] = locals[l];
				w->lease[i] = (enum lease_state)ls;
				w->lag[i] = LAG_NONE;
				w->reachable[i] = r;
				sweep_restore_members(w, i + 1, restore, count);
			}
}

static void test_sweep_restore(void **state)
{
	struct world w;
	long count = 0;

	(void)state;
	memset(&w, 0, sizeof(w));
	w.sync_standby = -1;
	for (int restore = 0; restore < 3; restore++)
		for (w.leader = -1; w.leader < 2; w.leader++)
			for (int ok = 0; ok < 4; ok++) {
				w.dcs_ok = ok & 1;
				restore_paused = ok & 2;
				sweep_restore_members(&w, 0, restore, &count);
			}
	print_message("restore sweep: %ld worlds x %d members checked\n", count, NMEMBERS);
	assert_true(count > 10000);
}

/* --- part 3: the failsafe sweep ---------------------------------------------------------- */

/*
 * failsafe_mode's inputs crossed with a reduced world (this node is node2; node1 is
 * "the other", the primary it may have confirmed; node3 a third member):
 * mode, the failsafe key, the lease and failsafe deadlines, the keeper's usable flag,
 * the replica window, etcd reachable, the leader key, the local PostgreSQL, whether
 * node1 still answers as primary, a failover request for node3, a newer cluster
 * timeline. On every point: the invariants of docs/agent.md, "Failsafe mode".
 */
enum fk {
	FK_ABSENT,
	FK_WITH_ME,
	FK_WITHOUT_ME,
	FK_INVALID,
	FK__COUNT
};
enum tri {
	T_NONE,
	T_FUTURE,
	T_PAST,
	T__COUNT
};
enum win {
	W_NONE,
	W_LEADER,
	W_OTHER,
	W__COUNT
};
enum holder {
	K_NONE,
	K_ME,
	K_OTHER,
	K__COUNT
};

struct fs_world {
	bool mode, usable, dcs_ok, peer_primary, failover_other, tl_behind;
	enum fk key;
	enum tri lease, fs;
	enum win window;
	enum holder leader;
	enum local pg;
};

static void fs_world_input(const struct fs_world *w, struct ha_input *in)
{
	static const char *const keys[FK__COUNT] = {NULL, "node1,node2,node3", "node1,node3", NULL};
	char list[64];

	base_input(in, "node2");
	in->settings.synchronous_mode = false;
	in->dcs_ok = w->dcs_ok;
	set_local(in, w->pg, 100, 1);
	for (int i = 0; i < NMEMBERS; i++)
		add_member(&in->view, names[i], i == 0 ? "primary" : "replica", 100);
	if (w->leader != K_NONE)
		set_leader(in, w->leader == K_ME ? "node2" : "node1");
	in->failsafe.mode = w->mode;
	if (keys[w->key] != NULL) {
		snprintf(list, sizeof(list), "%s", keys[w->key]);
		names_into(list, &in->view.failsafe);
	}
	if (w->key == FK_INVALID)
		in->view.failsafe.state = DCS_FS_INVALID;
	in->view.failsafe.mod_revision = w->key == FK_ABSENT ? 0 : 7;
	in->lease.held = w->lease != T_NONE;
	in->lease.deadline_ms = w->lease == T_FUTURE ? NOW + 500 : NOW - 1;
	in->lease.fs_deadline_ms = w->fs == T_NONE ? 0 : w->fs == T_FUTURE ? NOW + 800 : NOW - 100;
	in->lease.fs_usable = w->usable;
	if (w->window != W_NONE) {
		strcpy(in->failsafe.window_leader, w->window == W_LEADER ? "node1" : "node3");
		in->failsafe.window_until_ms = NOW + 1000;
	}
	add_peer(in, "node1", w->peer_primary, w->peer_primary, 100);
	add_peer(in, "node3", true, false, 50);
	if (w->failover_other)
		failover_token(in, (char[]){":node3"});
	if (w->tl_behind)
		history_token(in, (char[]){"1:50"});
}

/* fs_check_safety: invariants 1-4 and 7: who may take the key, promote, keep writing. */
static void fs_check_safety(const struct ha_input *in, const struct ha_decision *d)
{
	bool primary = in->pg.proc == PG_PROC_RUNNING && !in->pg.in_recovery;
	bool window = !primary && in->now_ms < in->failsafe.window_until_ms;
	bool takes = has_action(d, HA_ACT_ACQUIRE_LEADER, HA_MAX_ACTIONS);
	bool promotes = has_action(d, HA_ACT_PROMOTE, HA_MAX_ACTIONS);
	static const enum ha_action_kind etcd_writes[] = {
	    HA_ACT_ACQUIRE_LEADER, HA_ACT_PROMOTE,          HA_ACT_START_PRIMARY,
	    HA_ACT_SET_SSN,        HA_ACT_PUBLISH_SYNC,     HA_ACT_SYNC_CLAIM,
	    HA_ACT_BOOTSTRAP,      HA_ACT_PUBLISH_FAILSAFE, HA_ACT_DELETE_FAILSAFE};

	/* 1, 7: without a current view nobody takes the key, promotes, changes the sync
	 * standbys (synchronous_standby_names never shrinks) or touches the failsafe key. */
	for (size_t i = 0; !in->dcs_ok && i < sizeof(etcd_writes) / sizeof(etcd_writes[0]); i++)
		assert_false(has_action(d, etcd_writes[i], HA_MAX_ACTIONS));
	/* 2: a member that confirmed a primary neither takes the key nor promotes. */
	if (window)
		assert_false(takes || promotes);
	/* 3: only a member the failsafe key names (or no key) takes a free key. */
	if (takes && !primary)
		assert_true(ha_fs_key_allows(&in->view.failsafe, in->name));
	/* 4: a running primary past its effective deadline stops at once. */
	if (primary && in->lease.held && in->now_ms >= ha_effective_deadline(&in->lease))
		assert_true(has_action(d, HA_ACT_STOP_IMMEDIATE, HA_MAX_ACTIONS));
	/* ... and before it, etcd unreachable, it keeps writing. */
	if (primary && in->lease.held && in->now_ms < ha_effective_deadline(&in->lease) &&
	    !in->dcs_ok)
		assert_int_equal(d->n_actions, 0);
}

/* fs_check_rules: invariants 5, 6, 8 and the failsafe key's writer. */
static void fs_check_rules(const struct fs_world *w, const struct ha_input *in,
                           const struct ha_decision *d)
{
	int64_t eff = ha_effective_deadline(&in->lease);
	struct ha_decision again;

	/* 5: the failsafe deadline counts only while usable, and never shortens the lease. */
	assert_true(eff >= in->lease.deadline_ms);
	if (eff > in->lease.deadline_ms)
		assert_true(in->lease.fs_usable &&
		            in->lease.fs_deadline_ms > in->lease.deadline_ms);
	/* 6: a vanished key is taken back only by its holder, in time, on its timeline. */
	if (d->rule == HA_RULE_RETAKE_VANISHED)
		assert_true(in->dcs_ok && !in->view.has_leader && in->lease.held &&
		            in->now_ms < eff && !w->tl_behind && !w->failover_other &&
		            w->pg == L_PRIMARY);
	/* The failsafe key: written by the leader with the mode on, naming every member;
	 * deleted with the mode off. */
	if (has_action(d, HA_ACT_PUBLISH_FAILSAFE, HA_MAX_ACTIONS)) {
		assert_true(w->mode && w->leader == K_ME && in->lease.held && in->dcs_ok);
		for (int i = 0; i < NMEMBERS; i++)
			assert_true(dcs_failsafe_has(&d->failsafe, names[i]));
	}
	if (has_action(d, HA_ACT_DELETE_FAILSAFE, HA_MAX_ACTIONS))
		assert_true(!w->mode && w->key != FK_ABSENT && w->leader == K_ME);
	/* 8: determinism. */
	ha_decide(in, &again);
	assert_memory_equal(d, &again, sizeof(again));
}

static void fs_sweep_check(const struct fs_world *w, long *count)
{
	struct ha_input in;
	struct ha_decision d;

	fs_world_input(w, &in);
	ha_decide(&in, &d);
	assert_true(d.n_actions >= 0 && d.n_actions <= HA_MAX_ACTIONS);
	fs_check_safety(&in, &d);
	fs_check_rules(w, &in, &d);
	(*count)++;
}

/* fs_sweep_flags: the boolean dimensions of w, every combination. */
static void fs_sweep_flags(struct fs_world *w, long *count)
{
	for (int bits = 0; bits < 64; bits++) {
		w->mode = bits & 1;
		w->usable = bits & 2;
		w->dcs_ok = bits & 4;
		w->peer_primary = bits & 8;
		w->failover_other = bits & 16;
		w->tl_behind = bits & 32;
		fs_sweep_check(w, count);
	}
}

static void test_sweep_failsafe(void **state)
{
	static const enum local pgs[] = {L_PRIMARY, L_REPLICA, L_DOWN_REPLICA, L_DOWN_PRIMARY};
	struct fs_world w;
	long count = 0;

	(void)state;
	memset(&w, 0, sizeof(w));
	for (int k = 0; k < FK__COUNT; k++)
		for (int l = 0; l < T__COUNT; l++)
			for (int f = 0; f < T__COUNT; f++)
				for (int win = 0; win < W__COUNT; win++)
					for (int h = 0; h < K__COUNT; h++)
						for (size_t p = 0; p < sizeof(pgs) / sizeof(pgs[0]);
						     p++) {
							w = (struct fs_world){
							    .key = (enum fk)k,
							    .lease = (enum tri)l,
							    .fs = (enum tri)f,
							    .window = (enum win)win,
							    .leader = (enum holder)h,
							    .pg = pgs[p]};
							fs_sweep_flags(&w, &count);
						}
	print_message("failsafe sweep: %ld points checked\n", count);
	assert_true(count > 50000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scenarios),        cmocka_unit_test(test_render_ssn),
	    cmocka_unit_test(test_switchover_rules), cmocka_unit_test(test_switchover_sync_pending),
	    cmocka_unit_test(test_failover_rules),   cmocka_unit_test(test_handover_done),
	    cmocka_unit_test(test_sweep_invariants), cmocka_unit_test(test_sweep_restore),
	    cmocka_unit_test(test_sweep_failsafe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
