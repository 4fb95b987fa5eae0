#!/bin/bash
# destroy.sh: delete the cluster: every instance, volume, the NLB, the NAT gateway, the
# VPC, the SSM parameters (the CA's too) and the package bucket. The database is gone
# for good.
#
#   deploy/aws/scripts/destroy.sh [--state] [terraform destroy options]
#
# --state also deletes the remote state bucket and lock table (created by create.sh;
# shared by every stack of this account and region that uses them).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

with_state=0
if [ "${1:-}" = "--state" ]; then
	with_state=1
	shift
fi
need terraform

tf init -input=false -backend-config=backend.hcl >/dev/null
prefix=$(tf output -json ssm_parameters 2>/dev/null | jq -r '.[0] // empty' | sed 's#/[^/]*$##') || true
tf destroy -input=false "$@"
# The CA was made outside Terraform (create-ca.sh): delete it too.
if [ -n "${prefix:-}" ]; then
	need aws
	AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-$(sed -n 's/^region *= *"\(.*\)"/\1/p' "$AWS_DIR/terraform.tfvars")} \
		aws ssm delete-parameters --names "$prefix/ca-key" "$prefix/ca-cert" >/dev/null ||
		say "could not delete $prefix/ca-key and ca-cert: delete them by hand"
fi

if [ "$with_state" = 1 ]; then
	need aws jq
	bucket=$(sed -n 's/^bucket *= *"\(.*\)"/\1/p' "$AWS_DIR/backend.hcl")
	say "emptying s3://$bucket (all versions), then deleting the state resources"
	aws s3api list-object-versions --bucket "$bucket" --output json |
		jq '{Objects: ([.Versions[]?, .DeleteMarkers[]?] | map({Key, VersionId})), Quiet: true}' \
			>"$AWS_DIR/state/.delete.json"
	if [ "$(jq '.Objects | length' "$AWS_DIR/state/.delete.json")" -gt 0 ]; then
		aws s3api delete-objects --bucket "$bucket" --delete "file://$AWS_DIR/state/.delete.json" >/dev/null
	fi
	rm -f "$AWS_DIR/state/.delete.json"
	# prevent_destroy guards the bucket against accidents; this is not one.
	sed 's/prevent_destroy = true/prevent_destroy = false/' "$AWS_DIR/state/main.tf" >"$AWS_DIR/state/main.tf.tmp"
	mv "$AWS_DIR/state/main.tf.tmp" "$AWS_DIR/state/main.tf"
	terraform -chdir="$AWS_DIR/state" destroy -input=false -auto-approve || {
		git -C "$TOP_DIR" checkout -- deploy/aws/state/main.tf 2>/dev/null || true
		die "could not delete the state resources"
	}
	git -C "$TOP_DIR" checkout -- deploy/aws/state/main.tf 2>/dev/null || true
	rm -f "$AWS_DIR/backend.hcl"
fi
say "destroyed"
