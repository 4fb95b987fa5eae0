#!/bin/bash
# 071_backup_s3.sh: pgBackRest's S3 repository, against a local S3 server over https:
# s3rver (the npm test fixture `make deps` installs in tests/s3/), started and stopped
# here by pid, with a test CA and a server certificate for localhost (pgBackRest checks
# host names, and matches DNS names only). A lab with `pgha up --backup-repo FILE`
# archives into the bucket (asynchronously, as the EC2 deployment does), `pgbackrest
# check` passes, a backup is taken from a standby and listed, a request made while
# another runs waits its turn, the schedule makes the leader (alone) take one more, and a
# point-in-time restore brings back what was deleted after its time.
# (s3rver does not check request signatures: this tests the S3 path, not S3's auth.)
#
# Ports 37200-37299 (base port 37200; s3rver on 37290).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=backup_lib.bash
. "$(dirname "$0")/backup_lib.bash"

BASE=37200
S3_PORT=37290
S3RVER=$LIB_TOP/tests/s3/node_modules/.bin/s3rver
S3_PID=""

# shellcheck disable=SC2317 # from the EXIT trap: PostgreSQL first (its archiver waits for
# the S3 server at shutdown), then the S3 server, then the rest of the lab's cleanup.
s3_cleanup() {
	if [ -n "$LAB_DIR" ] && [ -f "$LAB_DIR/cluster.json" ] && [ "${KEEP_LAB:-0}" != 1 ]; then
		"$PGHA" down --dir "$LAB_DIR" --timeout 20 >/dev/null 2>&1
	fi
	if pid_alive "$S3_PID"; then
		kill -TERM "$S3_PID" 2>/dev/null
		wait_pid_gone "$S3_PID" 10 || kill -KILL "$S3_PID" 2>/dev/null
	fi
}

# make_certs DIR: a test CA and a certificate for localhost signed by it.
make_certs() {
	local d=$1
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 2 \
		-subj "/CN=pgha test CA" >/dev/null 2>&1 &&
		openssl req -newkey rsa:2048 -nodes -keyout "$d/server.key" -out "$d/server.csr" \
			-subj "/CN=localhost" >/dev/null 2>&1 &&
		printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >"$d/ext.cnf" &&
		openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
			-CAcreateserial -out "$d/server.crt" -days 2 -extfile "$d/ext.cnf" >/dev/null 2>&1 &&
		chmod 644 "$d/ca.crt"
}

# shellcheck disable=SC2317 # polled through wait_for
s3_up() { curl -s --max-time 2 --cacert "$LAB_TMP/tls/ca.crt" "https://localhost:$S3_PORT/" >/dev/null; }

[ -x "$S3RVER" ] || bail "no s3rver at $S3RVER (make deps installs it with npm)"
lab_init
# shellcheck disable=SC2154 # rc is the trap's own: lab_cleanup exits with the test's status
trap 'rc=$?; s3_cleanup; (exit $rc); lab_cleanup' EXIT
make_certs "$LAB_TMP/tls" || bail "openssl could not make the test certificates"
mkdir -p "$LAB_TMP/s3"
node "$S3RVER" -d "$LAB_TMP/s3" -a 127.0.0.1 -p "$S3_PORT" --key "$LAB_TMP/tls/server.key" \
	--cert "$LAB_TMP/tls/server.crt" --configure-bucket pgha-test -s >"$LAB_TMP/s3rver.log" 2>&1 &
S3_PID=$!
wait_for 30 s3_up || bail "s3rver did not answer on https://localhost:$S3_PORT ($(tail -n 5 "$LAB_TMP/s3rver.log"))"

cat >"$LAB_TMP/repo.conf" <<EOF
# pgBackRest repo options for the lab: the S3 server above
repo1-type=s3
repo1-path=/pgha
repo1-s3-bucket=pgha-test
repo1-s3-endpoint=localhost
repo1-storage-port=$S3_PORT
repo1-s3-uri-style=path
repo1-s3-region=us-east-1
repo1-s3-key=S3RVER
repo1-s3-key-secret=S3RVER
repo1-storage-ca-file=$LAB_TMP/tls/ca.crt
# pushed as the EC2 deployment pushes: asynchronously, through the nodes' spool
archive-async=y
EOF
LAB_ROUTER_PORT=$((BASE + 8))
lab_up --base-port "$BASE" --backup-repo "$LAB_TMP/repo.conf" || {
	printf '%s\n' "$LAB_UP_OUT" | sed 's/^/# /'
	lab_dump_logs
	bail "pgha up failed"
}
wait_for 60 lab_healthy || bail "the lab did not become healthy"
like "$(grep -h repo1-type "$LAB_DIR"/node1/data.pgbackrest/pgbackrest.conf)" "repo1-type=s3" \
	"the nodes' pgBackRest configuration names the S3 repository"

out=$(ops backup check --timeout 120 2>&1)
ok $? "pgbackrest check passes with the S3 repository"
like "$(cat "$LAB_DIR"/node*/data.pgbackrest/log/*-archive-push-async.log 2>/dev/null)" \
	"push [0-9]+ WAL file\\(s\\) to archive: [0-9A-F]{24}" \
	"archive-async=y from the --backup-repo file: WAL goes through pgBackRest's async push"
out=$(ops backup --timeout 300 2>&1)
ok $? "a full backup into the bucket"
like "$out" "done: [0-9]{8}-[0-9]{6}F" "with its label"
ops backup --type incr --timeout 300 >"$LAB_TMP/incr.out" 2>&1 &
incr=$!
wait_for 20 grep -q "asked the leader" "$LAB_TMP/incr.out"
out=$(ops backup check --timeout 300 2>&1)
ok $? "pgha backup check while a backup runs: it waits its turn, then passes"
like "$out" "under way \\(incr [0-9a-f]+\\): waiting for it first" "... saying so"
wait "$incr"
rc=$?
ok $rc "the backup it waited for succeeded"
[ $rc -eq 0 ] || sed 's/^/# /' "$LAB_TMP/incr.out"
json=$(ops backup list --json)
is "$(field "$json" "len(j['backups']), j['status']['code']")" "2 0" "backup list reads them back"
ls -R "$LAB_TMP/s3/pgha-test" >"$LAB_TMP/objects" 2>/dev/null
like "$(cat "$LAB_TMP/objects")" "archive" "the bucket holds the archive"

# The schedule (the cluster's backup settings): the leader alone takes what falls due.
ops edit-config --set backup.incr_every=5s --force >/dev/null 2>&1
ok $? "edit-config: an incremental backup every 5 s"
wait_for 90 backups_at_least 3
ok $? "a scheduled backup was taken"
ops edit-config --set backup.incr_every=0 --force >/dev/null 2>&1
is "$(field "$(backups_json)" "j['backups'][-1]['type']")" incr "it is an incremental backup"
is "$(grep -l 'backup (incr) from' "$LAB_DIR"/logs/node*.log | wc -l)" 1 \
	"one node took the scheduled backups"
like "$(grep -l 'backup (incr) from' "$LAB_DIR"/logs/node*.log)" "$(lab_leader).log" "the leader"

pitr_restore
wait_for 60 lab_healthy
ok $? "the cluster is healthy again"

done_testing
