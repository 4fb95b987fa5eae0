#!/bin/bash
# 015_private_clone.sh: a newcomer's first steps from a clone in a directory only its
# owner may enter (root's home, or any user's home on Debian 12, is 0700): `make up`
# in the clone builds pgha and starts a healthy lab although the cluster's OS user
# (postgres, when run as root) cannot reach the clone: the lab runs its own copy of pgha
# and lives where that user can reach it, with ./pgha-lab a link to it, so the paths
# the user was told work; nothing above the clone is opened up; `make down` stops every
# process and removes the lab, the link and the directory it pointed to.
#
# The clone is of this checkout's HEAD, with the uncommitted changes applied.
# Ports 37100-37199 (base port 37100, the router at 37108/37109).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

BASE=37100
REAL="" # where the lab really lives, once `make up` has said so

# make_in_clone ARGS...: make in the clone, without the MAKEFLAGS of the make running us.
make_in_clone() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -j2 -C "$CLONE" "$@"; }

# shellcheck disable=SC2317 # the EXIT trap
cleanup_all() {
	local rc=$?
	trap - EXIT
	( (exit "$rc"); lab_cleanup) # stops the lab by its pids, removes the private dir
	if [ -n "$REAL" ] && [ -d "$REAL" ] && [ "${KEEP_LAB:-0}" != 1 ]; then
		rm -rf "$REAL"
	fi
	exit "$rc"
}

git -C "$LIB_TOP" rev-parse --git-dir >/dev/null 2>&1 || {
	diag "skip: $LIB_TOP is not a git checkout"
	done_testing
}
LAB_TMP=$(mktemp -d /tmp/pgha-private.XXXXXX) || bail "mktemp failed"
chmod 700 "$LAB_TMP"
CLONE=$LAB_TMP/pgha
LAB_DIR=$CLONE/pgha-lab
PGHA=$CLONE/pgha # lab_cleanup's pgha down
trap cleanup_all EXIT
trap 'exit 130' INT TERM

git clone -q "$LIB_TOP" "$CLONE" || bail "git clone failed"
git -C "$LIB_TOP" diff --binary HEAD >"$LAB_TMP/local.diff"
if [ -s "$LAB_TMP/local.diff" ]; then
	git -C "$CLONE" apply "$LAB_TMP/local.diff" || bail "cannot apply the uncommitted changes"
	diag "uncommitted changes applied to the clone"
fi

start=$SECONDS
out=$(make_in_clone up UP_ARGS="--base-port $BASE --router-port $((BASE + 8))" 2>&1)
rc=$?
printf '%s\n' "$out" | tail -n 25 | sed 's/^/# /'
is "$rc" 0 "make up in a clone inside a 0700 directory (build and lab: $((SECONDS - start)) s)"
[ "$rc" -eq 0 ] || {
	lab_dump_logs
	bail "make up failed"
}
like "$out" "Cluster \"pgha-lab\" is healthy" "the lab is healthy"
is "$(stat -c %a "$LAB_TMP")" 700 "the private directory is still 0700 (nothing was opened up)"
if [ "$(id -u)" -eq 0 ]; then
	like "$out" "OS user postgres cannot reach $CLONE/pgha-lab: the lab lives in /var/lib/pgha-labs/pgha-lab\.[A-Za-z0-9]{6}, and $CLONE/pgha-lab links to it" \
		"up says where the lab lives instead, and why"
	REAL=$(readlink "$LAB_DIR")
	ok "$([ -L "$LAB_DIR" ] && [ -d "$REAL" ]; echo $?)" "./pgha-lab is a link to $REAL"
	is "$(cluster_json "c['dir'] + ' ' + c['link']")" "$REAL $LAB_DIR" \
		"cluster.json records the directory and the link"
	is "$(setpriv --reuid=postgres --regid=postgres --init-groups -- test -r "$REAL/cluster.json" && echo yes)" \
		yes "the postgres user reaches the lab"
else
	ok "$([ -d "$LAB_DIR" ] && [ ! -L "$LAB_DIR" ]; echo $?)" "run as ourselves, the lab stays in the clone"
fi
like "$out" "export PGSERVICEFILE=$LAB_DIR/pg_service.conf" "up's instructions name ./pgha-lab"
for n in node1 node2 node3; do
	is "$(readlink "/proc/$(lab_agent_pid "$n")/exe")" "$(readlink -f "$LAB_DIR")/bin/pgha" \
		"$n's agent runs the lab's copy of pgha"
done
is "$(cd "$CLONE" && ./pgha list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["members"]))')" \
	3 "./pgha list in the clone finds the lab (default --dir)"
is "$(lab_psql rw "select pg_is_in_recovery()")" f "service=rw of ./pgha-lab/pg_service.conf reaches the primary"
wait_for 30 lab_healthy
ok $? "one leader and two streaming replicas"

pids=$(lab_pids)
out=$(make_in_clone down 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
is "$rc" 0 "make down"
alive=""
for p in $pids; do pid_alive "$p" && alive="$alive $p"; done
is "$alive" "" "no pid of the lab is alive"
ok "$([ ! -e "$LAB_DIR" ] && [ ! -L "$LAB_DIR" ]; echo $?)" "./pgha-lab is gone"
if [ -n "$REAL" ]; then
	ok "$([ ! -e "$REAL" ]; echo $?)" "and the directory it pointed to"
fi

done_testing
