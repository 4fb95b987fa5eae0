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
