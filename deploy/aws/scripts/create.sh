#!/bin/bash
# create.sh: build the package, create the remote state (once), then the cluster.
#
#   deploy/aws/scripts/create.sh [terraform apply options]
#
# Needs terraform >= 1.11, the aws CLI with credentials, jq, and
# deploy/aws/terraform.tfvars (copy terraform.tfvars.example).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need terraform aws jq make
[ -f "$AWS_DIR/terraform.tfvars" ] ||
	die "no deploy/aws/terraform.tfvars: copy terraform.tfvars.example and set admin_cidrs, ssh_public_key"
aws sts get-caller-identity >/dev/null || die "the aws CLI has no working credentials"

say "building the Debian package (make deb)"
make -C "$TOP_DIR" deb

if [ ! -f "$AWS_DIR/backend.hcl" ]; then
	region=$(sed -n 's/^region *= *"\(.*\)"/\1/p' "$AWS_DIR/terraform.tfvars")
	say "creating the remote state (S3 bucket + DynamoDB lock table) in ${region:-us-east-1}"
	terraform -chdir="$AWS_DIR/state" init -input=false
	terraform -chdir="$AWS_DIR/state" apply -input=false -auto-approve -var "region=${region:-us-east-1}"
	terraform -chdir="$AWS_DIR/state" output -raw backend_hcl >"$AWS_DIR/backend.hcl"
fi

tf init -input=false -backend-config=backend.hcl
tf apply -input=false "$@"

say "cluster created. Endpoints (inside the VPC):"
tf output rw_endpoint
tf output ro_endpoint
say "the instances install and bootstrap for about 5 minutes; then, from the bastion:"
say "  $(tf output -raw ssh_bastion) pgha list -c /etc/pgha/cluster.yml"
