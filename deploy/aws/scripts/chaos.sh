#!/bin/bash
# chaos.sh: run `pgha chaos` on the bastion against the AWS cluster, with the cluster's
# passwords fetched from SSM on the bastion (never on this machine).
#
#   deploy/aws/scripts/chaos.sh [pgha chaos options]      e.g. --help
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need terraform ssh
bastion=$(tf output -raw bastion_public_ip)
args=""
for a in "$@"; do
	args+=" $(printf '%q' "$a")"
done
# shellcheck disable=SC2029 # expanded here on purpose: the arguments, quoted
exec ssh -t "admin@$bastion" "pgha-env pgha chaos -c /etc/pgha/cluster.yml$args"
