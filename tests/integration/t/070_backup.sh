#!/bin/bash
# 070_backup.sh: pgBackRest in a lab (on by default), against real pgBackRest,
# PostgreSQL and etcd:
#   - archiving from whichever node is primary: `pgha backup check` (pgbackrest check)
#     passes on a fresh lab, after a kill-primary and after a switchover; the leader's
#     archiving in pgha list --json, /metrics and pgha health;
#   - a full backup from a standby (`pgha backup`), listed with size, time, timeline and
#     the recovery window (`pgha backup list --json`);
#   - archive continuity: a new lab made from this lab's backup and archive
#     (`pgha up --restore-from`, to the end of the archive) has every row committed
#     before and after both failovers;
#   - point-in-time restore (`pgha restore --time`): rows deleted after the time are back,
#     rows written after it are not, every member runs on the new timeline, the replaced
#     data directory is kept aside, a full backup follows; then a switchover: the
#     restored node becomes a standby and never promotes itself (no recovery target left);
#   - a replica made from a backup (create_replica_methods: [pgbackrest, basebackup]);
#   - a replica far behind (no slot, wal_keep_size 0) catches up from the archive;
#   - slots: a slot the leader did not create survives its leadership; a permanent slot
#     (`slots`) exists on the new leader after a failover.
#
# Ports 37000-37199 (base ports 37000 and 37100).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=backup_lib.bash
. "$(dirname "$0")/backup_lib.bash"

BASE=37000
BASE2=37100
LAB2=""

node_psql() { lab_psql "$1" "$2"; }
leader_psql() { lab_psql "$(lab_leader)" "$1"; }
# shellcheck disable=SC2317 # polled through wait_for
streams() { [ "$(lab_member_state "$1")" = streaming ]; }
# shellcheck disable=SC2317
all_on_timeline() { [ "$(list_json "all(m['timeline'] == $1 for m in j['members'])")" = True ] && lab_healthy; }
# shellcheck disable=SC2317
slot_on_leader() { [ "$(leader_psql "select count(*) from pg_replication_slots where slot_name='$1'")" = 1 ]; }

# shellcheck disable=SC2317 # from the EXIT trap
second_down() {
	local pid
	[ -n "$LAB2" ] && [ -f "$LAB2/cluster.json" ] || return 0
	"$PGHA" down --dir "$LAB2" --timeout 20 >/dev/null 2>&1
	cat "$LAB2"/run/*.pid "$LAB2"/node*/data/postmaster.pid 2>/dev/null | grep -E '^[0-9]+$' |
		while read -r pid; do
			pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
		done
	rm -rf "$LAB2"
}

check_passes() { # check_passes WHEN
	local out rc
	out=$(ops backup check --timeout 120 2>&1)
	rc=$?
	ok $rc "pgbackrest check passes $1"
	[ $rc -eq 0 ] || diag "$out"
}

lab_start "$BASE"
# shellcheck disable=SC2154 # rc is the trap's own
trap 'rc=$?; second_down; (exit $rc); lab_cleanup' EXIT
wait_for 60 lab_healthy || bail "the lab did not become healthy"

# --- archiving, a backup from a standby ----------------------------------------------------------
check_passes "on a fresh lab"
leader=$(lab_leader)
out=$(ops backup --type full --timeout 300 2>&1)
ok $? "pgha backup --type full"
like "$out" "done: [0-9]{8}-[0-9]{6}F" "it prints the new backup's label"
like "$(grep 'backup (full) from' "$LAB_DIR/logs/$leader.log")" "from a standby" \
	"the files were copied from a standby, not the primary"
json=$(backups_json)
is "$(field "$json" "len(j['backups']), j['backups'][0]['type'], j['backups'][0]['size'] > 1000000, j['backups'][0]['repo_size'] > 0")" \
	"1 full True True" "backup list --json: one full backup with its sizes"
is "$(field "$json" "j['window']['from'] is not None and j['window']['until'] is not None")" True \
	"backup list --json: the recovery window, from the backup to the last archived WAL"
like "$(ops backup list)" "Recovery window: " "backup list: a table with the window"
archive=$(list_json "[m['archive'] for m in j['members'] if m['role']=='leader'][0]")
like "$archive" "'last_archived_wal': '0000000" "pgha list --json: the leader's archiving"
like "$(lab_curl "$(lab_api "$leader")/metrics")" \
	"pgha_archive_ready_files\{[^}]*\} [0-9]+" "/metrics: pgha_archive_ready_files"
like "$(ops health)" "PASS  WAL archive" "pgha health: the WAL archive passes"

# --- across a kill-primary and a switchover ---------------------------------------------------------
lab_psql rw "create table t(id int primary key, phase text)"
lab_psql rw "insert into t select g, 'before' from generate_series(1, 100) g"
out=$("$PGHA" chaos --dir "$LAB_DIR" --scenario kill-primary --json 2>&1)
is "$(field "$out" "j['lost_acked'], j['rejoined']")" "0 True" "kill-primary: nothing lost, healed"
check_passes "after a kill-primary (a new timeline)"
lab_psql rw "insert into t select g, 'between' from generate_series(101, 200) g"
out=$("$PGHA" chaos --dir "$LAB_DIR" --scenario switchover --json 2>&1)
is "$(field "$out" "j['lost_acked'], j['rejoined']")" "0 True" "switchover: nothing lost, healed"
check_passes "after a switchover"
lab_psql rw "insert into t select g, 'after' from generate_series(201, 300) g"
wait_for 60 lab_healthy
leader_psql "select pg_catalog.pg_switch_wal()" >/dev/null

# --- a new lab from this one's backup and archive: no gap across the timelines -----------------------
LAB2=$LAB_TMP/lab2
wait_for 30 eval "[ \"\$(list_json \"[m['archive']['ready'] for m in j['members'] if m['role']=='leader'][0]\")\" = 0 ]"
out=$("$PGHA" up --dir "$LAB2" --base-port "$BASE2" --router-port $((BASE2 + 8)) --scope lab2 \
	--restore-from "$LAB_DIR" --timeout 180 2>&1)
rc=$?
ok $rc "pgha up --restore-from: a new lab from the first one's repository"
[ $rc -eq 0 ] || { printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'; }
got=$(PGSERVICEFILE=$LAB2/pg_service.conf psql service=rw -XAtq -c "select phase, count(*) from t group by 1 order by 1" 2>&1)
is "$(echo "$got" | tr '\n' ' ')" "after|100 before|100 between|100 " \
	"it has every row, before and after both failovers (no gap in the archive)"
like "$(PGSERVICEFILE=$LAB2/pg_service.conf psql service=rw -XAtq -c 'show archive_command')" \
	"$LAB2/node[123]/data.pgbackrest/pgbackrest.conf' '--stanza=lab2'" \
	"it archives into its own repository" # whichever node of lab2 won the bootstrap race
second_down

# --- point-in-time restore ----------------------------------------------------------------------------
leader=$(lab_leader)
tl=$(list_json "[m['timeline'] for m in j['members'] if m['role']=='leader'][0]")
n_backups=$(backup_count)
pitr_restore
new_tl=$(list_json "[m['timeline'] for m in j['members'] if m['role']=='leader'][0]")
ok "$([ "$new_tl" -gt "$tl" ] && echo 0 || echo 1)" "a new timeline ($tl -> $new_tl)"
wait_for 60 all_on_timeline "$new_tl"
ok $? "every member runs on timeline $new_tl, the replicas streaming"
ok "$(ls -d "$LAB_DIR/$leader"/data.replaced-by-restore.* >/dev/null 2>&1; echo $?)" \
	"the leader's previous data directory is kept aside"
is "$(list_json "j['pause']")" False "the cluster runs again (not paused)"
wait_for 120 backups_at_least $((n_backups + 1))
ok $? "a full backup followed the restore"
check_passes "after the restore"
grep -h "recovery_target" "$LAB_DIR/$leader/data/postgresql.auto.conf" "$LAB_DIR/$leader/data/postgresql.conf" >"$LAB_TMP/targets" 2>/dev/null
is "$(grep -vc '^#' "$LAB_TMP/targets")" 0 "no recovery target is left in the restored node's configuration"
out=$(ops switchover --force 2>&1)
ok $? "a switchover after the restore"
wait_for 60 streams "$leader"
ok $? "the restored node $leader follows as a standby"
sleep 3 # time enough for a left-behind target to be reached and promote it
is "$(list_json "sum(m['role']=='leader' for m in j['members'])")" 1 "one leader"
is "$(node_psql "$leader" "select pg_is_in_recovery()")" t "the restored node did not promote itself"

# --- a replica made from a backup ------------------------------------------------------------------------
wait_for 60 lab_healthy
replica=$(lab_replicas | head -n 1)
sed -i 's/^  use_pg_rewind: true$/  use_pg_rewind: true\n  create_replica_methods: [pgbackrest, basebackup]/' \
	"$LAB_DIR/$replica/agent.yml"
kill -HUP "$(lab_agent_pid "$replica")"
ops backup --type full --timeout 300 >/dev/null 2>&1
out=$(ops reinit "$replica" --wait --timeout 180 --force 2>&1)
ok $? "pgha reinit $replica (create_replica_methods: [pgbackrest, basebackup])"
like "$(grep -E 'restoring backup .* as a standby' "$LAB_DIR/logs/$replica.log")" "pgBackRest" \
	"$replica was restored from a backup, not cloned from the leader"
wait_for 60 streams "$replica"
ok $? "$replica streams from the leader"

# --- a replica far behind catches up from the archive ---------------------------------------------------
far=$(lab_replicas | grep -v "^$replica$" | head -n 1)
ops edit-config --set postgresql.use_slots=false --pg wal_keep_size=0 --force >/dev/null 2>&1
ok $? "edit-config: no slots, wal_keep_size 0 (the leader keeps no WAL for anyone)"
wait_for 30 eval "[ \"\$(leader_psql \"select count(*) from pg_replication_slots where slot_name='$far'\")\" = 0 ]"
agent=$(lab_agent_pid "$far")
kill -KILL "$agent"
wait_pid_gone "$agent" 10
lab_psql rw "create table filler(x int)"
for _ in 1 2 3 4 5 6; do
	lab_psql rw "insert into filler select generate_series(1, 20000)"
	leader_psql "select pg_catalog.pg_switch_wal()" >/dev/null
done
leader_psql "checkpoint" >/dev/null
leader_psql "checkpoint" >/dev/null
lab_up >/dev/null 2>&1 # starts what is not running: $far's agent
wait_for 90 streams "$far"
ok $? "$far, stopped while 6 WAL files went by, streams again"
ok "$(grep -q 'restored log file ".*" from archive' "$LAB_DIR/$far/data.log"; echo $?)" \
	"it fetched what the leader no longer had from the archive"
ops edit-config --set postgresql.use_slots=true --pg wal_keep_size= --force >/dev/null 2>&1

# --- slots ------------------------------------------------------------------------------------------------
wait_for 60 lab_healthy
standby=$(lab_replicas | head -n 1)
node_psql "$standby" "select pg_catalog.pg_create_physical_replication_slot('backup_tool')" >/dev/null
ops edit-config --set slots.archiver.type=physical --force >/dev/null 2>&1
wait_for 40 slot_on_leader archiver
ok $? "the permanent slot archiver exists on the leader"
out=$(ops switchover --candidate "$standby" --force 2>&1)
ok $? "switchover to $standby, which has a slot of someone else's (backup_tool)"
wait_for 30 slot_on_leader archiver
sleep 2
is "$(node_psql "$standby" "select count(*) from pg_replication_slots where slot_name='backup_tool'")" 1 \
	"the new leader did not drop the slot it did not create"
out=$("$PGHA" chaos --dir "$LAB_DIR" --scenario kill-primary --json 2>&1)
is "$(field "$out" "j['lost_acked'], j['rejoined']")" "0 True" "kill-primary of $standby: healed"
wait_for 30 slot_on_leader archiver
ok $? "the permanent slot archiver exists on the new leader $(lab_leader) after the failover"
check_passes "at the end"

done_testing
