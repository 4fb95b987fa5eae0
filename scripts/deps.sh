#!/bin/sh
# deps.sh: install the Debian packages pgha builds, tests and runs with, and the tests'
# one npm fixture (s3rver, a local S3 server for the S3 repository tests, in
# tests/s3/node_modules: never part of pgha). Installs only what is missing, so it is
# cheap to run before every build.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

# npm_fixture: s3rver at the version tests/s3/package-lock.json pins.
npm_fixture() {
	[ -x "$top/tests/s3/node_modules/.bin/s3rver" ] && return 0
	if ! command -v npm >/dev/null 2>&1; then
		echo "deps: npm is missing (Debian package npm); the S3 tests need it" >&2
		return 1
	fi
	echo "deps: installing the test fixture s3rver into tests/s3/node_modules"
	(cd "$top/tests/s3" && npm ci --no-audit --no-fund --loglevel=error)
}

packages="build-essential pkg-config clang-format valgrind
	libpq-dev libcurl4-openssl-dev libjansson-dev libyaml-dev libmicrohttpd-dev libgnutls28-dev libcmocka-dev
	libsystemd-dev postgresql-15 postgresql-contrib etcd-server etcd-client pgbouncer haproxy
	patroni python3-idna iproute2 iptables nftables procps psmisc curl jq shellcheck debhelper dpkg-dev
	pgbackrest openssl"

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
# Node.js may come from elsewhere than Debian (whose npm package conflicts with, e.g.,
# NodeSource's nodejs, which bundles npm): any working node and npm will do.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	missing="$missing nodejs npm"
fi
if [ -z "$missing" ]; then
	npm_fixture
	exit 0
fi

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
npm_fixture
