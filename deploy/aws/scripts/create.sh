#!/bin/bash
# create.sh: build the packages, create the remote state (once), then the cluster.
#
#   deploy/aws/scripts/create.sh [--packages DIR] [terraform apply options]
#
# The hosts run Debian 12 on amd64, so the packages must be built there: on a Debian
# 12 amd64 machine this runs `make deb`; elsewhere, as root with debootstrap, it builds
# them in a clean Debian 12 root (scripts/build-deb.sh --debian12-root); otherwise it
# stops. --packages DIR uses packages built beforehand (pgha_V_amd64.deb,
# pgha-agent_V_all.deb, pgha-router_V_all.deb) and builds nothing.
#
# Needs terraform >= 1.11, the aws CLI with credentials, jq, and
# deploy/aws/terraform.tfvars (copy terraform.tfvars.example).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

package_dir=""
if [ "${1:-}" = "--packages" ]; then
	package_dir=$(cd "${2:?--packages needs a directory}" && pwd)
	shift 2
fi

need terraform aws jq make
[ -f "$AWS_DIR/terraform.tfvars" ] ||
	die "no deploy/aws/terraform.tfvars: copy terraform.tfvars.example and set admin_cidrs, ssh_public_key"
aws sts get-caller-identity >/dev/null || die "the aws CLI has no working credentials"

version=$(sed -n '1s/^pgha (\([^)]*\)).*/\1/p' "$TOP_DIR/debian/changelog")
packages=("pgha_${version}_amd64.deb" "pgha-agent_${version}_all.deb" "pgha-router_${version}_all.deb")

# build_packages: the packages for the hosts, built where they will install.
build_packages() {
	if debian12_amd64_host; then
		say "building the packages (make deb)"
		make -C "$TOP_DIR" deb
	elif [ "$(id -u)" -eq 0 ] && command -v debootstrap >/dev/null 2>&1; then
		say "this machine is $(host_description), the hosts Debian 12 amd64:" \
			"building the packages in a clean Debian 12 root"
		bash "$TOP_DIR/scripts/build-deb.sh" --debian12-root
	else
		die "this machine is $(host_description), and packages built here would not install" \
			"on the hosts (Debian 12 amd64). Build them on Debian 12 amd64 (make deb) and pass" \
			"--packages DIR, or run this as root with debootstrap installed (it then builds" \
			"them in a clean Debian 12 root)."
	fi
}

# check_packages DIR: the three packages are there, for amd64 (or all), of this version.
check_packages() {
	local f arch
	for f in "${packages[@]}"; do
		[ -f "$1/$f" ] || die "no $f in $1"
		arch=$(dpkg-deb -f "$1/$f" Architecture 2>/dev/null || echo "?")
		case "$arch" in amd64 | all) ;; *) die "$f is for $arch, the hosts are amd64" ;; esac
	done
}

if [ -z "$package_dir" ]; then
	build_packages
	package_dir=$TOP_DIR
fi
need dpkg-deb
check_packages "$package_dir"

if [ ! -f "$AWS_DIR/backend.hcl" ]; then
	region=$(sed -n 's/^region *= *"\(.*\)"/\1/p' "$AWS_DIR/terraform.tfvars")
	say "creating the remote state (S3 bucket + DynamoDB lock table) in ${region:-us-east-1}"
	terraform -chdir="$AWS_DIR/state" init -input=false
	terraform -chdir="$AWS_DIR/state" apply -input=false -auto-approve -var "region=${region:-us-east-1}"
	terraform -chdir="$AWS_DIR/state" output -raw backend_hcl >"$AWS_DIR/backend.hcl"
fi

# The CA lives in SSM, made outside Terraform (its key must be in no state or plan).
bash "$AWS_DIR/scripts/create-ca.sh"

tf init -input=false -backend-config=backend.hcl
tf apply -input=false -var "package_dir=$package_dir" -var "pgha_version=$version" "$@"

say "cluster created. Endpoints (inside the VPC):"
tf output rw_endpoint
tf output ro_endpoint
say "the instances install and bootstrap for about 5 minutes; then, from the bastion:"
say "  $(tf output -raw ssh_bastion) pgha-env pgha list -c /etc/pgha/cluster.yml"
