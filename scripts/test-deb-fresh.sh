#!/bin/bash
# test-deb-fresh.sh: do the packages install on a fresh Debian 12 and run a cluster?
#
# Builds nothing: takes the three packages of `make deb` (pgha_<v>_amd64.deb,
# pgha-agent_<v>_all.deb, pgha-router_<v>_all.deb, found next to DEB), makes a minimal
# Debian 12 root with debootstrap, and there: installs pgha and pgha-router as a router
# or bastion host would, and checks that no PostgreSQL server or PgBouncer came with
# them; then installs pgha-agent (and etcd-server, for the lab) with `apt-get install
# ./...deb`, which must pull every dependency from Debian; checks what the packages
# installed, then runs `pgha up` / `pgha list` / `pgha down` in it. Everything it
# starts is stopped by `pgha down`; the root is unmounted and removed on exit.
#
# Usage (as root, with access to a Debian mirror):
#   scripts/test-deb-fresh.sh [DEB]      (DEB: the pgha_<v>_amd64.deb; default: at the top)
# Environment: MIRROR (default http://deb.debian.org/debian), BASE_PORT (default 34500,
# the lab's port plan starts there), KEEP=1 keeps the root for inspection.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
deb=${1:-}
if [ -z "$deb" ]; then
	deb=$(find "$top" -maxdepth 1 -name 'pgha_*_amd64.deb' | sort | tail -n 1)
fi
if [ -z "$deb" ] || [ ! -f "$deb" ]; then
	echo "test-deb-fresh: no pgha_*_amd64.deb (run make deb)" >&2
	exit 1
fi
# shellcheck source-path=SCRIPTDIR source=debian12-root.sh
. "$top/scripts/debian12-root.sh"
base_port=${BASE_PORT:-34500}
lab=/var/tmp/lab
lab_started=0

cleanup() {
	if [ "$lab_started" = 1 ]; then
		d12_run pgha down --dir "$lab" >/dev/null 2>&1 || true
	fi
	d12_destroy
}
trap cleanup EXIT
trap 'echo "test-deb-fresh: FAILED at line $LINENO" >&2' ERR

step() {
	echo "test-deb-fresh: $*"
}

in_root() {
	d12_run "$@"
}

step "debootstrap bookworm"
d12_create
root=$D12_ROOT
step "a fresh Debian 12 in $root"

version=$(dpkg-deb -f "$deb" Version)
agent_deb=$(dirname "$deb")/pgha-agent_${version}_all.deb
router_deb=$(dirname "$deb")/pgha-router_${version}_all.deb
for f in "$agent_deb" "$router_deb"; do
	[ -f "$f" ] || {
		echo "test-deb-fresh: $f is missing (make deb builds it)" >&2
		exit 1
	}
done
cp "$deb" "$agent_deb" "$router_deb" "$root/tmp/"

# install DEB...: apt-get install of packages copied into the root's /tmp.
install() {
	local args=() d
	for d in "$@"; do
		case "$d" in *.deb) args+=("./tmp/$(basename "$d")") ;; *) args+=("$d") ;; esac
	done
	in_root apt-get install -y -q "${args[@]}" >>"$root/tmp/install.log" 2>&1 ||
		{ tail -n 30 "$root/tmp/install.log"; exit 1; }
}

step "a router host: apt-get install ./pgha ./pgha-router"
install "$deb" "$router_deb"
for p in postgresql-15 pgbouncer etcd-server; do
	if in_root dpkg -s "$p" >/dev/null 2>&1; then
		echo "test-deb-fresh: installing pgha and pgha-router pulled in $p" >&2
		exit 1
	fi
done
if [ ! -e "$root/lib/systemd/system/pgha-router.service" ] ||
	[ -e "$root/lib/systemd/system/pgha-agent.service" ]; then
	echo "test-deb-fresh: a router host must get the router's unit and not the agent's" >&2
	exit 1
fi

step "a database node: apt-get install ./pgha-agent (and etcd-server for pgha up)"
install "$agent_deb" etcd-server

step "checking the installed files"
in_root pgha --version | grep -qx "pgha $version"
for f in /usr/bin/pgha /usr/sbin/pgha-etcd-join /lib/systemd/system/pgha-agent.service \
	/lib/systemd/system/pgha-router.service /etc/pgha/agent.yml.example \
	/etc/pgha/router.yml.example /usr/share/man/man1/pgha.1.gz \
	/usr/lib/postgresql/15/bin/postgres /usr/bin/etcd /usr/sbin/pgbouncer; do
	[ -e "$root$f" ] || {
		echo "test-deb-fresh: $f is missing" >&2
		exit 1
	}
done
if [ -e "$root/etc/systemd/system/multi-user.target.wants/pgha-agent.service" ]; then
	echo "test-deb-fresh: the package enabled pgha-agent; it must not" >&2
	exit 1
fi

up_help=$(in_root pgha up --help 2>&1 || true)
if grep -q 'not available in this build' <<<"$up_help"; then
	# The source has the command but the packaged binary does not: a link problem
	# (the weak placeholder in cmd_pending.c won), not a feature still to come.
	if [ -e "$top/src/cli/cmd_up.c" ]; then
		echo "test-deb-fresh: src/cli/cmd_up.c exists but the packaged pgha has no 'up'" >&2
		exit 1
	fi
	step "SKIP pgha up: not in this build yet"
	step "ok (install only)"
	exit 0
fi
step "pgha up --dir $lab --base-port $base_port --router-port $((base_port + 8))"
lab_started=1
in_root pgha up --dir "$lab" --base-port "$base_port" --router-port "$((base_port + 8))"
in_root pgha list --dir "$lab"
in_root pgha down --dir "$lab"
lab_started=0
step "ok"
