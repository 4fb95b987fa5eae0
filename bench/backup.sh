#!/usr/bin/env bash
# backup.sh: what pgBackRest costs and takes in a pgha lab (make bench-backup).
#
#   bench/backup.sh [--scale S] [--seconds T] [--clients C] [--base-port P]
#
# On a default lab (pgBackRest on, POSIX repository in the lab directory, zst,
# process-max 2), then on one started with --no-backup:
#   1. pgbench -i -s S (default 100) through the router; the leader's archive lag
#      (`pgha list --json`: WAL files waiting, how long the oldest waited) sampled every
#      second meanwhile, and how long after the load the archive caught up;
#   2. pgha backup --type full (copied from a standby): its time, the database's size
#      and the backup's size in the repository (`pgha backup list --json`);
#   3. pgbench -c C -j 2 -T T (default 60 s, TPC-B-like) through the router, with the
#      archive lag sampled again;
#   4. pgha restore --latest: the whole cluster back at the end of its archive (the
#      leader restored and promoted, the replicas made again), its time, and the
#      leader's part of it (from its log);
# and on the lab without archiving only steps 1 and 3, for the tps archiving costs.
# Prints the figures as a table for docs/bench.md. Everything started here is stopped
# by pid (pgha down) and the temp dir removed.
set -u
SCALE=100
SECONDS_RUN=60
CLIENTS=4
BASE=33800
while [ $# -gt 0 ]; do
	case $1 in
	--scale) SCALE=$2; shift 2 ;;
	--seconds) SECONDS_RUN=$2; shift 2 ;;
	--clients) CLIENTS=$2; shift 2 ;;
	--base-port) BASE=$2; shift 2 ;;
	-h | --help) sed -n '2,22p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--scale S] [--seconds T] [--clients C] [--base-port P]" >&2; exit 2 ;;
	esac
done
top=$(cd "$(dirname "$0")/.." && pwd)
PGHA=${PGHA:-$top/pgha}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
tmp=""
dir=""
SAMPLER_PID=""

die() {
	echo "bench-backup: $*" >&2
	exit 1
}

lab_down() {
	local pid f
	[ -n "$dir" ] && [ -f "$dir/cluster.json" ] || return 0
	"$PGHA" down --dir "$dir" --timeout 30 >>"$tmp/down.log" 2>&1
	for f in "$dir"/run/*.pid "$dir"/node*/data/postmaster.pid; do # what down left
		[ -f "$f" ] || continue
		pid=$(head -n 1 "$f")
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	done
	rm -rf "$dir"
}

stop_sampler() {
	if [ -n "$SAMPLER_PID" ] && kill -0 "$SAMPLER_PID" 2>/dev/null; then
		kill -TERM "$SAMPLER_PID"
		wait "$SAMPLER_PID" 2>/dev/null
	fi
	SAMPLER_PID=""
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_sampler
	lab_down
	[ -n "$tmp" ] && rm -rf "$tmp"
	exit "$rc"
}

# write_sampler FILE: once a second "unix_time ready lag_s" of the leader's archiving.
write_sampler() {
	cat >"$1" <<-'EOF'
		import json, signal, subprocess, sys, time
		pgha, lab, path = sys.argv[1:4]
		signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
		with open(path, "a", buffering=1) as out:
		    while True:
		        t = time.time()
		        try:
		            j = json.loads(subprocess.run([pgha, "list", "--dir", lab, "--json"],
		                capture_output=True, timeout=5).stdout)
		            a = [m["archive"] for m in j["members"] if m["role"] == "leader"][0]
		            out.write("%.1f %d %d\n" % (t, a["ready"], a["lag_s"] or 0))
		        except Exception:
		            pass
		        time.sleep(max(0, 1 - (time.time() - t)))
	EOF
}

sample() { # sample FILE: starts the sampler into FILE
	/usr/bin/python3 "$tmp/sampler.py" "$PGHA" "$dir" "$1" &
	SAMPLER_PID=$!
}

# lag_summary FILE: "max_ready max_lag_s" of the samples.
lag_summary() { awk '{ if ($2 > r) r = $2; if ($3 > l) l = $3 } END { printf "%d %d\n", r, l }' "$1"; }

up() { # up NAME [ARGS...]: a fresh lab
	dir=$tmp/$1
	shift
	"$PGHA" up --dir "$dir" --base-port "$BASE" --router-port $((BASE + 8)) "$@" \
		>"$tmp/up.log" 2>&1 || {
		cat "$tmp/up.log" >&2
		die "pgha up failed"
	}
	export PGSERVICEFILE=$dir/pg_service.conf
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# archive_caught_up: seconds until the leader has no WAL file waiting (max 600).
archive_caught_up() {
	local t0 ready
	t0=$(now)
	for _ in $(seq 1 3000); do
		ready=$("$PGHA" list --dir "$dir" --json | /usr/bin/python3 -c \
			'import json,sys; print([m["archive"]["ready"] for m in json.load(sys.stdin)["members"] if m["role"]=="leader"][0])' 2>/dev/null)
		[ "$ready" = 0 ] && break
		sleep 0.2
	done
	elapsed "$t0"
}

init_db() { # init_db: pgbench -i, timed; prints its seconds
	local t0
	t0=$(now)
	"$PGBIN/pgbench" -i -s "$SCALE" -q "service=rw" >"$tmp/init.log" 2>&1 || {
		tail -n 5 "$tmp/init.log" >&2
		die "pgbench -i failed"
	}
	elapsed "$t0"
}

run_load() { # run_load: pgbench -T; prints tps
	"$PGBIN/pgbench" -n -c "$CLIENTS" -j 2 -T "$SECONDS_RUN" "service=rw" >"$tmp/run.out" 2>"$tmp/run.err" ||
		die "pgbench failed: $(tail -n 3 "$tmp/run.err")"
	sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$tmp/run.out" | cut -d. -f1
}

backup_figures() { # "seconds size_mb repo_mb" of a full backup
	local t0 s
	t0=$(now)
	"$PGHA" backup --dir "$dir" --type full --timeout 3600 >"$tmp/backup.log" 2>&1 ||
		die "pgha backup failed: $(tail -n 3 "$tmp/backup.log")"
	s=$(elapsed "$t0")
	"$PGHA" backup list --dir "$dir" --json | /usr/bin/python3 -c "
import json,sys
b=json.load(sys.stdin)['backups'][-1]
print('$s %.0f %.0f %d' % (b['size']/1048576, b['repo_size']/1048576, b['duration_s']))"
}

restore_figures() { # "total_s leader_s"
	local t0 total leader
	t0=$(now)
	"$PGHA" restore --dir "$dir" --latest --force --timeout 3600 >"$tmp/restore.log" 2>&1 ||
		die "pgha restore failed: $(tail -n 5 "$tmp/restore.log")"
	total=$(elapsed "$t0")
	leader=$(grep -h "restore: done\|bringing the cluster back" "$dir"/logs/node*.log |
		awk '{ split($2, t, ":"); s = t[1] * 3600 + t[2] * 60 + t[3]; if (!a) a = s; b = s }
		     END { printf "%.1f", b - a }')
	echo "$total $leader"
}

[ -x "$PGHA" ] || die "$PGHA not found: run make first"
[ -x "$PGBIN/pgbench" ] || die "no pgbench in $PGBIN"
trap cleanup EXIT
trap 'exit 130' INT TERM
tmp=$(mktemp -d /tmp/pgha-bench-backup.XXXXXX) || exit 1
chmod 755 "$tmp"
write_sampler "$tmp/sampler.py"
echo "bench-backup: pgbench -i -s $SCALE, then -c $CLIENTS for $SECONDS_RUN s; $(nproc) cores"

up archiving
sample "$tmp/lag-init"
init_s=$(init_db)
caught_s=$(archive_caught_up)
stop_sampler
read -r init_ready init_lag < <(lag_summary "$tmp/lag-init")
read -r backup_s db_mb repo_mb backup_pgbr_s < <(backup_figures)
sample "$tmp/lag-run"
tps_on=$(run_load)
stop_sampler
read -r run_ready run_lag < <(lag_summary "$tmp/lag-run")
read -r restore_s restore_leader_s < <(restore_figures)
lab_down

up plain --no-backup
init_off_s=$(init_db)
tps_off=$(run_load)
lab_down

echo
echo "| figure | value |"
echo "| --- | --- |"
echo "| pgbench -i -s $SCALE, archiving on / off | $init_s s / $init_off_s s |"
echo "| archive lag during the load: most WAL files waiting, oldest waited | $init_ready files, $init_lag s |"
echo "| archive caught up after the load | $caught_s s |"
echo "| full backup from a standby (pgha backup; pgBackRest's own time) | $backup_s s ($backup_pgbr_s s) |"
echo "| database size, backup size in the repository (zst) | $db_mb MiB, $repo_mb MiB |"
echo "| restore --latest: whole cluster back (leader restored and promoted) | $restore_s s ($restore_leader_s s) |"
echo "| pgbench -c $CLIENTS -T $SECONDS_RUN tps, archiving on / off | $tps_on / $tps_off ($(awk -v a="$tps_on" -v b="$tps_off" 'BEGIN { printf "%+.1f%%", (a - b) * 100 / b }')) |"
echo "| archive lag under that load: most files waiting, oldest waited | $run_ready files, $run_lag s |"
