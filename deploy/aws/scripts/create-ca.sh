#!/bin/bash
# create-ca.sh: the cluster's certificate authority, made here and kept in SSM
# Parameter Store, outside Terraform: its key is in no plan, state, output or user data.
#
#   deploy/aws/scripts/create-ca.sh
#
# Reads cluster_name and region from deploy/aws/terraform.tfvars (defaults: pgha,
# us-east-1). Makes an ECDSA P-256 CA, valid 10 years, in a private temporary directory,
# and stores it as
#   /pgha/<cluster>/ca-key   SecureString: read at boot by the etcd hosts and database
#                            nodes, which sign their own certificate with it
#   /pgha/<cluster>/ca-cert  String: the certificate every host and client trusts
# then deletes the local copy of the key. A CA that exists already is kept: the hosts'
# certificates chain to it. create.sh runs this before `terraform apply`; destroy.sh
# deletes both parameters after `terraform destroy`.
#
# Needs the aws CLI with credentials and openssl.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need aws openssl
tfvar() { # tfvar NAME DEFAULT: NAME's string value in terraform.tfvars
	local v=""
	[ -f "$AWS_DIR/terraform.tfvars" ] &&
		v=$(sed -n "s/^$1 *= *\"\(.*\)\"/\1/p" "$AWS_DIR/terraform.tfvars" | tail -n 1)
	echo "${v:-$2}"
}
cluster=$(tfvar cluster_name pgha)
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-$(tfvar region us-east-1)}
prefix=/pgha/$cluster

if aws ssm get-parameter --name "$prefix/ca-cert" >/dev/null 2>&1; then
	say "the CA of cluster $cluster is in SSM already ($prefix/ca-cert): kept"
	exit 0
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
chmod 0700 "$dir"
say "making the CA of cluster $cluster"
(
	umask 077
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -noenc \
		-days 3650 -subj "/CN=pgha $cluster CA" -keyout "$dir/ca.key" -out "$dir/ca.crt" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
		2>/dev/null
)
# file://: the key goes to the aws CLI as a file, never as an argument.
aws ssm put-parameter --name "$prefix/ca-key" --type SecureString \
	--description "pgha cluster $cluster: the CA's private key" --value "file://$dir/ca.key" >/dev/null
aws ssm put-parameter --name "$prefix/ca-cert" --type String \
	--description "pgha cluster $cluster: the CA's certificate" --value "file://$dir/ca.crt" >/dev/null
say "stored $prefix/ca-key (SecureString) and $prefix/ca-cert; the local key is deleted"
