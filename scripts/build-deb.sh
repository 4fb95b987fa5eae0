#!/bin/bash
# build-deb.sh: `make deb`. Builds the Debian package of pgha with Debian's own tools
# (dpkg-buildpackage + debhelper), offline, in a staging copy of the tree under
# build/deb/, and copies its three packages to the top of the tree:
# pgha_<version>_<arch>.deb, pgha-agent_<version>_all.deb, pgha-router_<version>_all.deb.
#
# Usage: scripts/build-deb.sh [OUTDIR]      (OUTDIR defaults to the top of the tree)
# DEB_BUILD_OPTIONS is passed through (e.g. DEB_BUILD_OPTIONS=nocheck skips the unit
# tests that the package build otherwise runs).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
outdir=${1:-$top}
cd "$top"

for tool in dpkg-buildpackage dh dpkg-parsechangelog; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "deb: $tool not found: install debhelper and dpkg-dev (make deps)" >&2
		exit 1
	fi
done

# One version, stated twice: the binary's and the package's must agree.
version=$(dpkg-parsechangelog -S Version)
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

echo "deb: building pgha $version in $src"
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$stage/build.log" 2>&1 || {
	echo "deb: dpkg-buildpackage failed; the last lines of $stage/build.log:" >&2
	tail -n 40 "$stage/build.log" >&2
	exit 1
}

arch=$(dpkg-architecture -qDEB_HOST_ARCH)
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
	dpkg-deb --info "$outdir/$deb" | sed -n 's/^ \(Depends\|Recommends\|Installed-Size\):/  \1:/p'
done
