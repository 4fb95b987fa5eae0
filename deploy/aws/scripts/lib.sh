#!/bin/bash
# lib.sh: shared by the deploy/aws scripts (sourced, not run).
# shellcheck disable=SC2034 # variables used by the scripts that source this file

AWS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOP_DIR=$(cd "$AWS_DIR/../.." && pwd)

die() {
	echo "pgha-aws: $*" >&2
	exit 1
}

say() {
	echo "pgha-aws: $*"
}

need() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || die "$tool is required (see deploy/aws/README.md, Prerequisites)"
	done
}

tf() {
	terraform -chdir="$AWS_DIR" "$@"
}

# tf_output NAME: one output of the stack, as JSON.
tf_output() {
	tf output -json "$1"
}

# region: the stack's region (from its outputs), for the aws CLI.
region() {
	tf_output region | jq -r .
}

# instance_ids ROLE...: the ids of the instances of these roles (etcd, db, bastion).
instance_ids() {
	local role ids=()
	for role in "$@"; do
		mapfile -t -O "${#ids[@]}" ids < <(tf_output instance_ids | jq -r --arg r "$role" '.[$r][]')
	done
	echo "${ids[@]}"
}

# debian12_amd64_host: this machine runs Debian 12 on amd64, so the packages it builds
# install on the hosts (Debian 12 AMIs, x86_64). PGHA_OS_RELEASE and PGHA_HOST_ARCH
# stand in for /etc/os-release and the architecture (tests).
debian12_amd64_host() {
	local os_release=${PGHA_OS_RELEASE:-/etc/os-release} arch id version
	[ -r "$os_release" ] || return 1
	id=$(sed -n 's/^ID=//p' "$os_release" | tr -d '"')
	version=$(sed -n 's/^VERSION_ID=//p' "$os_release" | tr -d '"')
	arch=${PGHA_HOST_ARCH:-$(dpkg --print-architecture 2>/dev/null || uname -m)}
	[ "$id" = debian ] && [ "$version" = 12 ] && { [ "$arch" = amd64 ] || [ "$arch" = x86_64 ]; }
}

# host_description: what this machine is, for messages ("ubuntu 24.04 arm64").
host_description() {
	local os_release=${PGHA_OS_RELEASE:-/etc/os-release}
	echo "$(sed -n 's/^ID=//p' "$os_release" 2>/dev/null | tr -d '"') $(sed -n 's/^VERSION_ID=//p' \
		"$os_release" 2>/dev/null | tr -d '"') ${PGHA_HOST_ARCH:-$(dpkg --print-architecture 2>/dev/null || uname -m)}"
}

# on_bastion COMMAND: runs COMMAND (one string, as ssh takes it) on the bastion.
on_bastion() {
	local bastion
	bastion=$(tf output -raw bastion_public_ip)
	# shellcheck disable=SC2029 # the command is built here on purpose
	ssh -o BatchMode=yes -o ConnectTimeout=10 "admin@$bastion" "$1"
}

# cluster_json: `pgha list --json` of the cluster, read on the bastion.
cluster_json() {
	on_bastion "pgha-env pgha list -c /etc/pgha/cluster.yml --json"
}

# alarm_actions enable|disable: turns the actions of every alarm of the stack on or off
# (a cluster stopped on purpose is not an outage).
alarm_actions() {
	local names=()
	mapfile -t names < <(tf_output alarm_names | jq -r '.[]')
	[ ${#names[@]} -gt 0 ] || return 0
	aws cloudwatch "$1-alarm-actions" --alarm-names "${names[@]}"
}

# empty_bucket BUCKET: deletes every object version and delete marker of a versioned
# bucket, a thousand at a time (the most one delete-objects call takes).
empty_bucket() {
	local bucket=$1 batch
	aws s3api list-object-versions --bucket "$bucket" --output json |
		jq -c '[.Versions[]?, .DeleteMarkers[]?] | map({Key, VersionId}) | _nwise(1000) |
			{Objects: ., Quiet: true}' |
		while read -r batch; do
			aws s3api delete-objects --bucket "$bucket" --delete "$batch" >/dev/null || return 1
		done
}
