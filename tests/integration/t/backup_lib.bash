# shellcheck shell=bash
# backup_lib.bash: what the backup tests (070_backup, 071_backup_s3) share, on top of
# lib.sh: pgha's commands on the lab, and a point-in-time restore scenario.

ops() { "$PGHA" "$@" --dir "$LAB_DIR"; }
# field JSON EXPR: a value of a JSON text (python expression on `j`).
field() { printf '%s' "$1" | python3 -c "import json,sys; j=json.load(sys.stdin); print($2)"; }
backups_json() { ops backup list --json; }
backup_count() { backups_json | python3 -c "import json,sys; print(len(json.load(sys.stdin)['backups']))"; }
# shellcheck disable=SC2317 # polled through wait_for
backups_at_least() { [ "$(backup_count)" -ge "$1" ]; }

# pitr_restore: 100 rows, a time T, 50 of them deleted and 10 others written after T;
# then `pgha restore --time T`: the deleted rows must be back, the later ones absent.
pitr_restore() {
	local target out rc
	lab_psql rw "create table pitr(id int primary key, note text)"
	lab_psql rw "insert into pitr select g, 'before' from generate_series(1, 100) g"
	sleep 1
	target=$(lab_psql rw "select now()")
	sleep 1
	lab_psql rw "delete from pitr where id > 50"
	lab_psql rw "insert into pitr select g, 'after' from generate_series(1001, 1010) g"
	out=$(ops restore --time "$target" --force --timeout 300 2>&1)
	rc=$?
	ok $rc "pgha restore --time '$target'"
	printf '%s\n' "$out" | sed 's/^/# /'
	is "$(lab_psql rw "select note, count(*) from pitr group by 1 order by 1" | tr '\n' ' ')" \
		"before|100 " "the deleted rows are back, the rows written after the time are not"
}
