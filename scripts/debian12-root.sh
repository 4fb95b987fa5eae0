# shellcheck shell=bash
# debian12-root.sh: a minimal Debian 12 (bookworm) amd64 root made with debootstrap,
# to install or build packages in, away from the machine's own system. Sourced by
# test-deb-fresh.sh (install and run the packages) and build-deb.sh --debian12-root
# (build them where the EC2 hosts' packages must be built).
#
#   d12_create          make the root (D12_ROOT); needs root, debootstrap, a mirror
#   d12_run CMD...      run CMD in it (chroot, non-interactive apt, C.UTF-8)
#   d12_destroy         unmount and remove it (kept with KEEP=1); safe to call twice
#
# Environment: MIRROR (default http://deb.debian.org/debian), KEEP=1.

D12_ROOT=""
D12_MOUNTS=()

d12_create() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "debian12-root: run as root (debootstrap, chroot)" >&2
		return 1
	fi
	if ! command -v debootstrap >/dev/null; then
		echo "debian12-root: apt-get install debootstrap" >&2
		return 1
	fi
	D12_ROOT=$(mktemp -d /var/tmp/pgha-debian12.XXXXXX)
	chmod 0755 "$D12_ROOT" # it becomes /: every user must be able to enter it
	if ! debootstrap --variant=minbase --arch=amd64 bookworm "$D12_ROOT" \
		"${MIRROR:-http://deb.debian.org/debian}" >"$D12_ROOT.debootstrap.log" 2>&1; then
		tail -n 20 "$D12_ROOT.debootstrap.log" >&2
		rm -f "$D12_ROOT.debootstrap.log"
		return 1
	fi
	rm -f "$D12_ROOT.debootstrap.log"
	# A chroot has no init: nothing may try to start services while packages install.
	printf '#!/bin/sh\nexit 101\n' >"$D12_ROOT/usr/sbin/policy-rc.d"
	chmod 0755 "$D12_ROOT/usr/sbin/policy-rc.d"
	mount -t proc proc "$D12_ROOT/proc" && D12_MOUNTS+=("$D12_ROOT/proc")
	mount --bind /dev "$D12_ROOT/dev" && D12_MOUNTS+=("$D12_ROOT/dev")
	mount -t devpts devpts "$D12_ROOT/dev/pts" && D12_MOUNTS+=("$D12_ROOT/dev/pts")
	mount -t tmpfs shm "$D12_ROOT/dev/shm" && D12_MOUNTS+=("$D12_ROOT/dev/shm")
	d12_run apt-get update -q >/dev/null
}

d12_run() {
	chroot "$D12_ROOT" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"
}

d12_destroy() {
	local m
	for ((m = ${#D12_MOUNTS[@]} - 1; m >= 0; m--)); do
		umount -l "${D12_MOUNTS[m]}" 2>/dev/null || true
	done
	D12_MOUNTS=()
	[ -n "$D12_ROOT" ] && [ -d "$D12_ROOT" ] || return 0
	if [ "${KEEP:-0}" = 1 ]; then
		echo "debian12-root: kept $D12_ROOT"
	else
		rm -rf --one-file-system "$D12_ROOT"
	fi
	D12_ROOT=""
}
