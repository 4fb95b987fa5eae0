#!/bin/bash
# build-deb.sh: `make deb`. Builds the Debian package of pgha with Debian's own tools
# (dpkg-buildpackage + debhelper), offline, in a staging copy of the tree under
# build/deb/, and copies its three packages to the top of the tree:
# pgha_<version>_<arch>.deb, pgha-agent_<version>_all.deb, pgha-router_<version>_all.deb.
#
# Usage: scripts/build-deb.sh [--debian12-root] [OUTDIR]   (OUTDIR: the top of the tree)
#
# --debian12-root builds in a clean Debian 12 amd64 root made with debootstrap
# (scripts/debian12-root.sh; needs root and a Debian mirror), with the build
# dependencies of debian/control installed there: packages that install on Debian 12
# hosts whatever this machine runs (deploy/aws/scripts/create.sh uses it off Debian 12).
# DEB_BUILD_OPTIONS is passed through (e.g. DEB_BUILD_OPTIONS=nocheck skips the unit
# tests that the package build otherwise runs).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
in_root=0
if [ "${1:-}" = "--debian12-root" ]; then
	in_root=1
	shift
fi
outdir=${1:-$top}
cd "$top"

if [ "$in_root" = 0 ]; then
	for tool in dpkg-buildpackage dh dpkg-parsechangelog; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			echo "deb: $tool not found: install debhelper and dpkg-dev (make deps)" >&2
			exit 1
		fi
	done
fi

# One version, stated twice: the binary's and the package's must agree.
version=$(sed -n '1s/^pgha (\([^)]*\)).*/\1/p' debian/changelog)
code_version=$(sed -n 's/^#define PGHA_VERSION "\(.*\)"$/\1/p' src/cli/cli.h)
if [ "$version" != "$code_version" ]; then
	echo "deb: debian/changelog says $version but src/cli/cli.h says $code_version" >&2
	exit 1
fi

stage="$top/build/deb"
src="$stage/pgha-$version"
rm -rf "$stage"
mkdir -p "$src"

# The files a clean checkout has, plus new files not yet committed; never build
# output, labs or packages (they are in .gitignore).
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=()
	while IFS= read -r -d '' f; do
		[ -e "$f" ] && files+=("$f") # tracked but deleted in the work tree: skip
	done < <(git ls-files -z --cached --others --exclude-standard)
	tar -cf - -- "${files[@]}" | tar -C "$src" -xf -
else
	tar --exclude=./build --exclude=./build-asan --exclude=./pgha --exclude='./*.deb' \
		--exclude=./pgha-lab -cf - . | tar -C "$src" -xf -
fi

# build_in_debian12_root: the same build, in a fresh Debian 12 amd64 root; the
# packages land in $stage as they would from a build here.
build_in_debian12_root() {
	# shellcheck source-path=SCRIPTDIR source=debian12-root.sh
	. "$top/scripts/debian12-root.sh"
	trap d12_destroy EXIT
	echo "deb: making a clean Debian 12 root (debootstrap)"
	d12_create
	mkdir -p "$D12_ROOT/build"
	cp -a "$src" "$D12_ROOT/build/"
	echo "deb: installing the build dependencies of debian/control in it"
	d12_run apt-get install -y -q --no-install-recommends build-essential dpkg-dev
	d12_run sh -c "cd /build/pgha-$version && apt-get build-dep -y -q ./"
	echo "deb: building pgha $version in the Debian 12 root"
	d12_run sh -c "cd /build/pgha-$version && DEB_BUILD_OPTIONS='${DEB_BUILD_OPTIONS:-}' dpkg-buildpackage -us -uc -b"
	cp "$D12_ROOT"/build/*.deb "$stage/"
	d12_destroy
	trap - EXIT
}

if [ "$in_root" = 1 ]; then
	build_in_debian12_root >"$stage/build.log" 2>&1 || {
		echo "deb: the build in a Debian 12 root failed; the last lines of $stage/build.log:" >&2
		tail -n 40 "$stage/build.log" >&2
		exit 1
	}
	arch=amd64
else
	echo "deb: building pgha $version in $src"
	(cd "$src" && dpkg-buildpackage -us -uc -b) >"$stage/build.log" 2>&1 || {
		echo "deb: dpkg-buildpackage failed; the last lines of $stage/build.log:" >&2
		tail -n 40 "$stage/build.log" >&2
		exit 1
	}
	arch=$(dpkg-architecture -qDEB_HOST_ARCH)
fi
# One package per kind of host: pgha (the binary; every host), pgha-agent (database
# nodes: PostgreSQL, PgBouncer) and pgha-router (router hosts).
debs=("pgha_${version}_${arch}.deb" "pgha-agent_${version}_all.deb" "pgha-router_${version}_all.deb")
mkdir -p "$outdir"
for deb in "${debs[@]}"; do
	[ -f "$stage/$deb" ] || {
		echo "deb: dpkg-buildpackage made no $deb" >&2
		exit 1
	}
	cp "$stage/$deb" "$outdir/$deb"
	echo "deb: $outdir/$deb"
	if command -v dpkg-deb >/dev/null; then
		dpkg-deb --info "$outdir/$deb" | sed -n 's/^ \(Depends\|Recommends\|Installed-Size\):/  \1:/p'
	fi
done
