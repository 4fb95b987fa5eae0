#!/usr/bin/env bash
# patroni_lab.sh: the kill-primary benchmark against Patroni 3.0.2 (Debian's `patroni`),
# on the same machine, etcd, PostgreSQL and router as a pgha lab, for comparison.
#
#   bench/patroni_lab.sh [--runs N] [--base-port P] [--settings pgha,default,tuned]
#                        [--tuned "TTL LOOP_WAIT RETRY_TIMEOUT"] [--keep]  (make bench-patroni)
#
# How the lab is built: `pgha up` creates a lab in a temp dir (3 etcd members, 3 nodes,
# the router on P+8/P+9, cluster.json, pg_service.conf, pgpass, secrets). Its agents are
# then stopped by pid, the scope's keys deleted from etcd and the data directories
# removed, and each DIR/<node>/agent.yml is rewritten for Patroni (the lab's file already
# uses Patroni's keys; the PgBouncer section goes, a bootstrap.dcs section comes) and
# run as `patroni DIR/<node>/agent.yml` by the postgres OS user, its pid in
# DIR/run/<node>.pid as the lab keeps an agent's. So etcd, PostgreSQL 15, the router
# and every client file are the ones a pgha lab uses, and `pgha chaos --dir DIR` drives
# the Patroni cluster exactly as it drives pgha's. One difference in the client path:
# Patroni runs no PgBouncer, so the router connects to PostgreSQL itself (the member's
# conn_url) instead of the node's PgBouncer. The lab's TLS settings are Patroni's keys
# too (restapi certfile, etcd3 https with its user, sslmode verify-full, ssl=on), so
# Patroni runs with TLS and authentication exactly where pgha does.
#
# First, with the lab still pgha's (setting "pgha"), the same scenario RUNS times on pgha
# itself (chaos restarts the victim and waits for the rejoin), for the ratio. Then, for
# each Patroni setting the cluster is bootstrapped afresh with that dynamic configuration:
#   default  ttl 30, loop_wait 10, retry_timeout 10   (Patroni's defaults)
#   tuned    ttl 5,  loop_wait 1,  retry_timeout 2    (see TUNED below)
# synchronous_mode: true in both (pgha's default). Then, RUNS times:
# `pgha chaos --dir DIR --scenario kill-primary --no-restart --json`, after which the
# killed node's Patroni is started again and the run waits for a healthy cluster (a
# leader and two streaming replicas, the router serving service=rw). It prints
#   pgha kill-primary median X worst Y runs N
#   patroni-default kill-primary median X worst Y runs N
#   patroni-tuned kill-primary median X worst Y runs N
#   ratio patroni-default/pgha kill-primary median Rx        (and the same for tuned)
# (write downtime in seconds, as `pgha chaos` measures it: fault to first acknowledged
# write through the router). Each run's JSON is kept in the temp dir (--keep keeps it).
#
# Everything started here is stopped by pid at exit (pgha down, then any pid the lab
# recorded); the temp dir is removed unless --keep.
set -u

# Patroni 3.0.2 checks these three only for being integers (patroni/validator.py; the
# minimums ttl >= 20, retry_timeout >= 3 arrived in later versions) and documents one
# rule: loop_wait + 2 * retry_timeout <= ttl. The tuned set is the fastest that keeps
# it with loop_wait at its floor of 1 s and a retry_timeout (2 s) that one slow etcd
# request on a busy 2-core machine does not exhaust: ttl 5 = 1 + 2 * 2. The next step
# down, ttl 3 / loop_wait 1 / retry_timeout 1 (--tuned "3 1 1"), keeps the rule too, but
# here the replicas then kept reporting "DCS is not accessible" and none took the
# expired leader key within 120 s.
DEFAULT="30 10 10"
TUNED="5 1 2"

RUNS=5
BASE=33000
KEEP=0
SETTINGS=pgha,default,tuned
while [ $# -gt 0 ]; do
	case $1 in
	--runs) RUNS=$2; shift 2 ;;
	--base-port) BASE=$2; shift 2 ;;
	--settings) SETTINGS=$2; shift 2 ;;
	--tuned) TUNED=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	-h | --help) sed -n '2,37p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--runs N] [--base-port P] [--settings pgha,default,tuned] [--tuned 'T L R'] [--keep]" >&2; exit 2 ;;
	esac
done
top=$(cd "$(dirname "$0")/.." && pwd)
PGHA=${PGHA:-$top/pgha}
PY=/usr/bin/python3 # Debian's, with the yaml module Patroni itself uses
SCOPE=patroni-bench
tmp=""
dir=""
STARTED=() # every Patroni started here, stopped by pid at exit whatever pgha down did

die() {
	echo "bench-patroni: $*" >&2
	[ -n "$dir" ] && for f in "$dir"/logs/node*.log; do
		[ -f "$f" ] && { echo "--- $f"; tail -n 15 "$f"; } >&2
	done
	exit 1
}
wait_for() { # wait_for SECONDS CMD...: CMD every 0.5 s until it succeeds; 1 on timeout
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.5
	done
}
pid_alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# lab_pids: every pid the lab recorded: run/*.pid (etcd, agents, router) and postmasters.
lab_pids() {
	local f
	for f in "$dir"/run/*.pid "$dir"/node*/data/postmaster.pid; do
		[ -f "$f" ] && head -n 1 "$f"
	done
}

cleanup() {
	local rc=$? pid
	trap - EXIT INT TERM
	if [ -n "$dir" ] && [ -f "$dir/cluster.json" ]; then
		# pgha down stops the router, the agents (Patroni here: found by the same pid
		# file and marker argument), any PostgreSQL left behind, and etcd.
		"$PGHA" down --dir "$dir" --keep --timeout 30 >"$tmp/down.log" 2>&1
		for pid in $(lab_pids); do
			pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
		done
	fi
	for pid in "${STARTED[@]}"; do # still this lab's Patroni (not a reused pid)?
		grep -qF "$dir/" "/proc/$pid/cmdline" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	done
	if [ -n "$tmp" ]; then
		if [ "$KEEP" = 1 ]; then
			echo "kept $tmp"
		else
			rm -rf "$tmp"
		fi
	fi
	exit "$rc"
}

# --- the lab ------------------------------------------------------------------------------

cluster() { "$PY" -c "import json,sys; c=json.load(open(sys.argv[1])); print($1)" "$dir/cluster.json"; }
nodes() { cluster "' '.join(c['nodes'])"; }
# etcdctl_lab ARGS...: etcdctl on the lab's etcd: over https with its CA, as its etcd
# user (the password through the environment, never on the command line).
etcdctl_lab() {
	local user="" ca=""
	[ -f "$dir/secrets/etcd" ] && user="pgha:$(cat "$dir/secrets/etcd")"
	[ -f "$dir/tls/ca.crt" ] && ca=$dir/tls/ca.crt
	ETCDCTL_API=3 ETCDCTL_USER=$user ETCDCTL_CACERT=$ca \
		etcdctl --endpoints="$(cluster "','.join(c['etcd'])")" "$@"
}

# start_pgha_lab: the lab's etcd, router and files, as `pgha up` makes them.
start_pgha_lab() {
	tmp=$(mktemp -d /tmp/pgha-bench-patroni.XXXXXX) || exit 1
	chmod 755 "$tmp"
	dir=$tmp/lab
	"$PGHA" up --dir "$dir" --base-port "$BASE" --router-port $((BASE + 8)) --scope "$SCOPE" \
		>"$tmp/up.log" 2>&1 || { cat "$tmp/up.log" >&2; die "pgha up failed"; }
	local n
	for n in $(nodes); do # the lab's own config, the model of Patroni's
		cp -p "$dir/$n/agent.yml" "$dir/$n/pgha-agent.yml"
	done
}

# stop_agents: every node's agent (pgha's or Patroni), by the pid in run/<node>.pid, and
# any PostgreSQL that outlived it.
stop_agents() {
	local n pid pids=()
	for n in $(nodes); do
		pid=$(head -n 1 "$dir/run/$n.pid" 2>/dev/null)
		pid_alive "$pid" && kill -TERM "$pid" && pids+=("$pid")
	done
	for pid in "${pids[@]}"; do
		wait_for 60 eval "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null
	done
	for n in $(nodes); do
		pid=$(head -n 1 "$dir/$n/data/postmaster.pid" 2>/dev/null)
		if pid_alive "$pid"; then
			kill -INT "$pid"
			wait_for 30 eval "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null
		fi
	done
}

# write_patroni_yml NODE "TTL LOOP_WAIT RETRY_TIMEOUT": DIR/NODE/agent.yml for Patroni.
write_patroni_yml() {
	local node=$1
	# shellcheck disable=SC2086 # the three numbers are split on purpose
	set -- $2
	"$PY" - "$dir/$node" "$1" "$2" "$3" <<-'EOF' || die "cannot write $node's Patroni config"
		import os, sys, yaml
		node_dir, ttl, loop_wait, retry = sys.argv[1], *map(int, sys.argv[2:5])
		c = yaml.safe_load(open(os.path.join(node_dir, "pgha-agent.yml")))
		c.pop("pgbouncer", None)  # Patroni runs no PgBouncer: the router goes to conn_url
		c["bootstrap"]["dcs"] = {
		    "ttl": ttl, "loop_wait": loop_wait, "retry_timeout": retry,
		    "synchronous_mode": True,  # as pgha's default
		    "postgresql": {"use_pg_rewind": True, "use_slots": True},
		}
		c["postgresql"]["parameters"].update({
		    "unix_socket_directories": node_dir,
		    "logging_collector": "on",
		    "log_directory": os.path.join(node_dir, "pglog"),
		})
		path = os.path.join(node_dir, "agent.yml")
		with open(path + ".tmp", "w") as f:
		    f.write("# %s for Patroni 3.0.2, written by bench/patroni_lab.sh\n" % c["name"])
		    yaml.safe_dump(c, f, default_flow_style=False, sort_keys=False)
		os.chmod(path + ".tmp", 0o600)
		os.rename(path + ".tmp", path)
	EOF
	chown postgres: "$dir/$node/agent.yml"
}

# start_patroni NODE: runs Patroni on DIR/NODE/agent.yml as postgres. setpriv (not the
# as_pg function, which would fork a subshell) execs, so $! is Patroni itself; it goes
# to run/NODE.pid like a pgha agent's pid, where pgha chaos and pgha down look for it.
start_patroni() {
	setpriv --reuid=postgres --regid=postgres --init-groups -- \
		patroni "$dir/$1/agent.yml" >>"$dir/logs/$1.log" 2>&1 </dev/null &
	STARTED+=("$!")
	echo $! >"$dir/run/$1.pid"
	disown "$!" # pgha chaos kills it: no job report from bash
}

# healthy: one primary, two streaming replicas (its pg_stat_replication as Patroni's
# /patroni reports it), and the router serving service=rw.
healthy() {
	"$PY" - "$dir/cluster.json" <<-'EOF' || return 1
		import json, os, ssl, sys, urllib.request
		c = json.load(open(sys.argv[1]))
		# A TLS lab (the default): https, checked against the lab's CA.
		ca = os.path.join(c["dir"], "tls", "ca.crt")
		ctx = ssl.create_default_context(cafile=ca) if c.get("tls") else None
		scheme = "https" if c.get("tls") else "http"
		primaries, running = [], 0
		for n in c["ports"]["nodes"]:
		    url = "%s://127.0.0.1:%d/patroni" % (scheme, n["api_port"])
		    try:
		        s = json.load(urllib.request.urlopen(url, timeout=2, context=ctx))
		    except Exception:
		        sys.exit(1)
		    running += s.get("state") == "running"
		    if s.get("role") in ("master", "primary"):
		        primaries.append(s)
		streaming = [r for p in primaries for r in p.get("replication", [])
		             if r.get("state") == "streaming"]
		sys.exit(0 if len(primaries) == 1 and running == 3 and len(streaming) == 2 else 1)
	EOF
	PGSERVICEFILE=$dir/pg_service.conf psql service=rw -XAtqc 'select 1' >/dev/null 2>&1
}

# bootstrap_patroni SETTING: a fresh Patroni cluster with that setting's dcs values.
bootstrap_patroni() {
	local values n
	[ "$1" = default ] && values=$DEFAULT || values=$TUNED
	stop_agents
	etcdctl_lab del --prefix "/service/$SCOPE/" >/dev/null || die "cannot clear the scope in etcd"
	for n in $(nodes); do
		rm -rf "$dir/$n/data" "$dir/$n/data".* "$dir/$n/pglog"
		write_patroni_yml "$n" "$values"
		echo "=== patroni-$1 (ttl loop_wait retry_timeout: $values)" >>"$dir/logs/$n.log"
		start_patroni "$n"
	done
	wait_for 180 healthy || die "the Patroni cluster ($1) did not become healthy"
}

# --- measuring ----------------------------------------------------------------------------

# json_field FILE KEY
json_field() { "$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

# pgha_healthy: the pgha lab (before Patroni replaces it): one leader, every other member
# streaming, service=rw through the router.
pgha_healthy() {
	"$PGHA" list --dir "$dir" --json | "$PY" -c '
import json, sys
m = json.load(sys.stdin)["members"]
ok = sum(x["role"] == "leader" for x in m) == 1 and all(
    x["state"] == "streaming" for x in m if x["role"] != "leader")
sys.exit(0 if ok and len(m) == 3 else 1)' &&
		PGSERVICEFILE=$dir/pg_service.conf psql service=rw -XAtqc 'select 1' >/dev/null 2>&1
}

# run_once SETTING I: one kill-primary; appends the downtime to $tmp/SETTING.downtimes.
# For pgha, chaos brings the victim back itself (its agent) and waits for the rejoin; for
# Patroni (--no-restart) this function does, and waits for a healthy cluster.
run_once() {
	local out=$tmp/$1.run$2.json victim downtime restart=(--no-restart)
	[ "$1" = pgha ] && restart=()
	# --timeout: chaos's default bound on recovery (30 s) is Patroni's default ttl.
	"$PGHA" chaos --dir "$dir" --scenario kill-primary "${restart[@]}" --json --timeout 120 \
		>"$out" 2>"$tmp/$1.run$2.err"
	local rc=$?
	victim=$(json_field "$out" victim 2>/dev/null) ||
		die "pgha chaos gave no JSON (exit $rc): $(tail -n 3 "$tmp/$1.run$2.err")"
	downtime=$(json_field "$out" downtime_s)
	printf '  run %d: victim %s, new leader %s, downtime %s s, acked %s, lost %s, chaos exit %d\n' \
		"$2" "$victim" "$(json_field "$out" new_leader)" "$downtime" \
		"$(json_field "$out" acked)" "$(json_field "$out" lost_acked)" $rc
	# No downtime (null) means no write was acknowledged after the fault: a failed run.
	if [[ $downtime =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
		echo "$downtime" >>"$tmp/$1.downtimes"
	else
		echo "$2" >>"$tmp/$1.failed"
	fi
	if [ "$1" = pgha ]; then
		wait_for 180 pgha_healthy || die "the pgha cluster did not heal after run $2"
		return
	fi
	# The host "comes back": its Patroni again, which rewinds the old primary.
	pid_alive "$(head -n 1 "$dir/run/$victim.pid" 2>/dev/null)" || start_patroni "$victim"
	wait_for 180 healthy || die "the cluster did not heal after run $2 ($1)"
}

label() { if [ "$1" = pgha ]; then echo pgha; else echo "patroni-$1"; fi; }

# median SETTING: the median of its recorded downtimes ("" if none).
median() {
	sort -g "$tmp/$1.downtimes" | awk '{ a[NR] = $1 } END {
		if (NR) printf "%.2f\n", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# summary SETTING: median and worst of the recorded downtimes (and failed runs, if any).
summary() {
	local failed
	failed=0
	[ -f "$tmp/$1.failed" ] && failed=$(wc -l <"$tmp/$1.failed")
	sort -g "$tmp/$1.downtimes" | awk -v s="$(label "$1")" -v f="$failed" '{ a[NR] = $1 } END {
		m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		printf "%s kill-primary median %.2f worst %.2f runs %d%s\n", s, m, a[NR], NR,
			(f > 0 ? " (" f " failed runs not counted)" : "") }'
}

[ -x "$PGHA" ] || die "$PGHA not found: run make first"
for tool in patroni etcdctl psql setpriv; do
	command -v $tool >/dev/null || die "$tool is not installed (make deps)"
done
trap cleanup EXIT
trap 'exit 130' INT TERM
# pgha first: its lab is what Patroni then replaces.
order=()
for setting in pgha default tuned; do
	[[ ",$SETTINGS," == *",$setting,"* ]] && order+=("$setting")
done
for setting in ${SETTINGS//,/ }; do
	case $setting in pgha | default | tuned) ;; *) die "unknown setting $setting" ;; esac
done
start_pgha_lab
echo "lab in $dir: Patroni $(patroni --version | awk '{print $2}'), $(nproc) cores," \
	"$RUNS runs per setting"
for setting in "${order[@]}"; do
	[ "$setting" = pgha ] || bootstrap_patroni "$setting"
	echo "$(label "$setting"): healthy, leader" \
		"$(etcdctl_lab get --print-value-only "/service/$SCOPE/leader")"
	: >"$tmp/$setting.downtimes"
	for i in $(seq 1 "$RUNS"); do
		run_once "$setting" "$i"
	done
done
for setting in "${order[@]}"; do
	summary "$setting"
done
# The comparison the issue asks for: Patroni's median over pgha's, same scenario and lab.
base=""
[ -s "$tmp/pgha.downtimes" ] && base=$(median pgha)
for setting in "${order[@]}"; do
	if [ "$setting" != pgha ] && [ -n "$base" ] && [ -s "$tmp/$setting.downtimes" ]; then
		awk -v p="$(median "$setting")" -v b="$base" -v s="$(label "$setting")" \
			'BEGIN { printf "ratio %s/pgha kill-primary median %.1fx\n", s, (b > 0 ? p / b : 0) }'
	fi
done
