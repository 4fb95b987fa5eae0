#!/bin/sh
# deps.sh: install the Debian packages pgha builds, tests and runs with.
# Installs only what is missing, so it is cheap to run before every build.
set -eu

packages="build-essential pkg-config clang-format valgrind
	libpq-dev libcurl4-openssl-dev libjansson-dev libyaml-dev libmicrohttpd-dev libgnutls28-dev libcmocka-dev
	libsystemd-dev postgresql-15 postgresql-contrib etcd-server etcd-client pgbouncer haproxy
	patroni python3-idna iproute2 iptables nftables procps psmisc curl jq openssl shellcheck debhelper dpkg-dev"

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run 'sudo make deps' (or install them with apt-get)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
