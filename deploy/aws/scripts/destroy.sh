#!/bin/bash
# destroy.sh: delete the cluster: every instance, volume, the NLB, the NAT gateway, the
# VPC, the SSM parameters (the CA's too) and the package bucket. The backup bucket
# (pgBackRest's repository: the backups and the WAL archive) is KEPT: it is the only copy
# of the data once the cluster is gone.
#
#   deploy/aws/scripts/destroy.sh [--delete-backups] [--state] [terraform destroy options]
#
# --delete-backups also deletes the backup bucket with every version of every object:
# the data is then gone for good. --state also deletes the remote state bucket and lock
# table (created by create.sh; shared by every stack of this account and region that
# uses them).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

with_state=0
delete_backups=0
while [ $# -gt 0 ]; do
	case "$1" in
	--state) with_state=1 ;;
	--delete-backups) delete_backups=1 ;;
	*) break ;;
	esac
	shift
done
need terraform jq
[ "$delete_backups" = 1 ] && need aws

tf init -input=false -backend-config=backend.hcl >/dev/null
prefix=$(tf output -json ssm_parameters 2>/dev/null | jq -r '.[0] // empty' | sed 's#/[^/]*$##') || true
# The backup bucket is prevent_destroy (backups.tf): terraform destroy would stop on it.
# It leaves Terraform's state instead, so that destroy deletes everything else.
backup_bucket=$(tf output -json backup_bucket 2>/dev/null | jq -r '. // empty' || true)
mapfile -t backup_resources < <(tf state list 2>/dev/null | grep -E '^aws_s3_bucket[a-z_]*\.backups$' || true)
if [ "${#backup_resources[@]}" -gt 0 ]; then
	tf state rm "${backup_resources[@]}" >/dev/null
fi
tf destroy -input=false "$@"
# The CA was made outside Terraform (create-ca.sh): delete it too.
if [ -n "${prefix:-}" ]; then
	need aws
	AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-$(sed -n 's/^region *= *"\(.*\)"/\1/p' "$AWS_DIR/terraform.tfvars")} \
		aws ssm delete-parameters --names "$prefix/ca-key" "$prefix/ca-cert" >/dev/null ||
		say "could not delete $prefix/ca-key and ca-cert: delete them by hand"
fi

if [ -n "$backup_bucket" ] && [ "$delete_backups" = 1 ]; then
	say "deleting the backup bucket s3://$backup_bucket (every version of every object)"
	# Its policy lets no one but the (now deleted) database nodes' role touch objects.
	aws s3api delete-bucket-policy --bucket "$backup_bucket"
	empty_bucket "$backup_bucket" || die "could not empty s3://$backup_bucket"
	aws s3api delete-bucket --bucket "$backup_bucket"
elif [ -n "$backup_bucket" ]; then
	say "kept the backup bucket s3://$backup_bucket (backups and WAL archive, under /<cluster_name>)."
	say "Its policy admits only the deleted database nodes' role: to read it, remove the policy"
	say "(aws s3api delete-bucket-policy --bucket $backup_bucket). To delete it: rerun with --delete-backups."
fi

if [ "$with_state" = 1 ]; then
	need aws jq
	bucket=$(sed -n 's/^bucket *= *"\(.*\)"/\1/p' "$AWS_DIR/backend.hcl")
	say "emptying s3://$bucket (all versions), then deleting the state resources"
	empty_bucket "$bucket" || die "could not empty s3://$bucket"
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
