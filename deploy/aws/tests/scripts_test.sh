#!/bin/bash
# scripts_test.sh: deploy/aws/scripts/create.sh builds the packages only where they
# install on the hosts (Debian 12 amd64), without AWS: terraform, aws, make, id and
# the package build are stubs that record how they were called; the machine's
# /etc/os-release and architecture are stand-ins (PGHA_OS_RELEASE, PGHA_HOST_ARCH).
#
#   - lib.sh's debian12_amd64_host: Debian 12 amd64 only;
#   - on Debian 12 amd64, create.sh runs `make deb`;
#   - elsewhere, as root with debootstrap, it builds in a clean Debian 12 root;
#   - elsewhere otherwise it stops before building or touching AWS's resources;
#   - --packages DIR builds nothing, refuses a package for another architecture, and
#     hands DIR and the version to terraform apply, after create-ca.sh found the CA;
#   - destroy.sh keeps the backup bucket (takes it out of Terraform's state, deletes no
#     object) unless given --delete-backups, which empties and deletes it after the
#     rest is destroyed.
# TAP output; run by scripts/check-deploy.sh.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
aws_dir=$(cd "$here/.." && pwd)
top=$(cd "$aws_dir/../.." && pwd)
t=$(mktemp -d /tmp/pgha-scripts-test.XXXXXX)
trap 'rm -rf "$t"' EXIT
n=0
failed=0

check() { # check DESCRIPTION COMMAND...
	n=$((n + 1))
	if "${@:2}"; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		failed=$((failed + 1))
		[ -f "$t/out" ] && sed 's/^/#   /' "$t/out" | tail -n 8
	fi
}

os_release() { # os_release ID VERSION: a stand-in /etc/os-release
	printf 'PRETTY_NAME="test"\nID=%s\nVERSION_ID="%s"\n' "$1" "$2" >"$t/os-release.$1$2"
	echo "$t/os-release.$1$2"
}

# --- debian12_amd64_host -----------------------------------------------------------------
host_is() { # host_is ID VERSION ARCH: debian12_amd64_host's verdict, "yes" or "no"
	(
		# shellcheck source-path=SCRIPTDIR source=../scripts/lib.sh
		. "$aws_dir/scripts/lib.sh"
		if PGHA_OS_RELEASE=$(os_release "$1" "$2") PGHA_HOST_ARCH=$3 debian12_amd64_host; then
			echo yes
		else
			echo no
		fi
	)
}
check "Debian 12 amd64 builds packages for the hosts" test "$(host_is debian 12 amd64)" = yes
check "Debian 12 arm64 does not" test "$(host_is debian 12 arm64)" = no
check "Debian 13 amd64 does not (its libraries are newer than the hosts')" test "$(host_is debian 13 amd64)" = no
check "Ubuntu 22.04 amd64 does not" test "$(host_is ubuntu 22.04 amd64)" = no
check "a machine without /etc/os-release does not" \
	bash -c ". '$aws_dir/scripts/lib.sh'; ! PGHA_OS_RELEASE=$t/none debian12_amd64_host"

# --- create.sh, in a copy of the tree with stubs -------------------------------------------
tree=$t/tree
mkdir -p "$tree/deploy/aws/scripts" "$tree/debian" "$tree/scripts" "$t/bin" "$t/calls"
cp "$aws_dir/scripts/create.sh" "$aws_dir/scripts/create-ca.sh" "$aws_dir/scripts/lib.sh" \
	"$tree/deploy/aws/scripts/"
cp "$top/debian/changelog" "$tree/debian/"
touch "$tree/deploy/aws/terraform.tfvars" "$tree/deploy/aws/backend.hcl"
version=$(sed -n '1s/^pgha (\([^)]*\)).*/\1/p' "$top/debian/changelog")

stub() { # stub NAME [BODY]: a command that records its arguments in calls/NAME
	printf '#!/bin/sh\necho "$*" >>"%s/calls/%s"\n%s\n' "$t" "$1" "${2:-exit 0}" >"$t/bin/$1"
	chmod +x "$t/bin/$1"
}
stub terraform
stub aws
stub make
stub jq
# shellcheck disable=SC2016 # expanded by the stub, when it runs
stub id 'echo "${UID_STUB:-1000}"'
stub debootstrap
# The package build of the copied tree: records how it was asked to build.
printf '#!/bin/sh\necho "$*" >>"%s/calls/build-deb"\n' "$t" >"$tree/scripts/build-deb.sh"

run_create() { # run_create ID VERSION ARCH [ARGS]: create.sh's exit status; output in $t/out
	local os arch=$3
	os=$(os_release "$1" "$2")
	shift 3
	rm -f "$t"/calls/*
	# Only the stubs and the basic tools: no /usr/sbin, so no real debootstrap.
	env PATH="$t/bin:/usr/bin:/bin" PGHA_OS_RELEASE="$os" PGHA_HOST_ARCH="$arch" \
		bash "$tree/deploy/aws/scripts/create.sh" "$@" >"$t/out" 2>&1
}
called() { [ -s "$t/calls/$1" ]; }
not_called() { [ ! -e "$t/calls/$1" ]; }

rm -f "$t/bin/debootstrap"
run_create ubuntu 24.04 arm64
rc=$?
check "on Ubuntu arm64, not root: create.sh stops" test "$rc" -ne 0
check "  saying why" grep -q "would not install on the hosts (Debian 12 amd64)" "$t/out"
check "  before building anything" not_called make
check "  or running terraform" not_called terraform

run_create debian 12 amd64
check "on Debian 12 amd64: make deb" grep -qx -- "-C $tree deb" "$t/calls/make"
check "  then it wants the packages it built" grep -q "no pgha_${version}_amd64.deb" "$t/out"
check "  and runs no terraform apply without them" not_called terraform

stub debootstrap
UID_STUB=0 run_create debian 13 amd64
check "on Debian 13 as root with debootstrap: builds in a clean Debian 12 root" \
	grep -qx -- "--debian12-root" "$t/calls/build-deb"
check "  and not with make deb" not_called make

# Real (empty) packages, for --packages.
fake_deb() { # fake_deb NAME ARCH FILE
	mkdir -p "$t/pkg/$1/DEBIAN"
	printf 'Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: test <t@example.org>\nDescription: test\n' \
		"$1" "$version" "$2" >"$t/pkg/$1/DEBIAN/control"
	dpkg-deb -b "$t/pkg/$1" "$3" >/dev/null
}
mkdir -p "$t/debs"
fake_deb pgha amd64 "$t/debs/pgha_${version}_amd64.deb"
fake_deb pgha-agent all "$t/debs/pgha-agent_${version}_all.deb"
fake_deb pgha-router all "$t/debs/pgha-router_${version}_all.deb"
run_create ubuntu 24.04 arm64 --packages "$t/debs" -target=nothing
rc=$?
check "--packages DIR: builds nothing, even off Debian 12" test "$rc" = 0
check "  and applies with package_dir=DIR, the version, and the extra options" \
	grep -qx -- "-chdir=$tree/deploy/aws apply -input=false -var package_dir=$t/debs -var pgha_version=$version -target=nothing" "$t/calls/terraform"
check "  after making sure the CA is in SSM (create-ca.sh; outside Terraform)" \
	grep -q -- "ssm get-parameter --name /pgha/pgha/ca-cert" "$t/calls/aws"

fake_deb pgha arm64 "$t/debs/pgha_${version}_amd64.deb"
run_create ubuntu 24.04 arm64 --packages "$t/debs"
rc=$?
check "--packages with an arm64 pgha: refused" test "$rc" -ne 0
check "  saying so" grep -q "is for arm64, the hosts are amd64" "$t/out"

# --- destroy.sh: the backup bucket stays unless asked -----------------------------------------
cp "$aws_dir/scripts/destroy.sh" "$tree/deploy/aws/scripts/"
mkdir -p "$t/bin-destroy"
# terraform: the stack's outputs and state as destroy.sh reads them; everything recorded.
cat >"$t/bin-destroy/terraform" <<STUB
#!/bin/sh
echo "\$*" >>"$t/calls/terraform"
case "\$*" in
*"output -json backup_bucket"*) echo '"sample-backups-1"' ;;
*"state list"*) printf 'aws_instance.db[0]\naws_s3_bucket.artifacts\naws_s3_bucket.backups\naws_s3_bucket_policy.backups\naws_s3_bucket_versioning.backups\n' ;;
esac
exit 0
STUB
cat >"$t/bin-destroy/aws" <<STUB
#!/bin/sh
echo "\$*" >>"$t/calls/aws"
case "\$*" in
*list-object-versions*) echo '{"Versions":[{"Key":"a","VersionId":"1"}],"DeleteMarkers":[{"Key":"b","VersionId":"2"}]}' ;;
esac
exit 0
STUB
chmod +x "$t/bin-destroy/terraform" "$t/bin-destroy/aws"
run_destroy() { # run_destroy [ARGS]: destroy.sh's exit status; output in $t/out
	rm -f "$t"/calls/*
	env PATH="$t/bin-destroy:/usr/bin:/bin" bash "$tree/deploy/aws/scripts/destroy.sh" "$@" >"$t/out" 2>&1
}
# destroyed_after_forgetting: terraform destroy ran, after the bucket left the state.
destroyed_after_forgetting() {
	grep -n . "$t/calls/terraform" >"$t/order"
	local rm destroy
	rm=$(grep -m1 'state rm aws_s3_bucket.backups aws_s3_bucket_policy.backups aws_s3_bucket_versioning.backups$' "$t/order" | cut -d: -f1)
	destroy=$(grep -m1 ' destroy -input=false' "$t/order" | cut -d: -f1)
	[ -n "$rm" ] && [ -n "$destroy" ] && [ "$rm" -lt "$destroy" ]
}
run_destroy
rc=$?
check "destroy.sh: succeeds" test "$rc" = 0
check "  the backup bucket's resources (only them) leave the state before terraform destroy" \
	destroyed_after_forgetting
check "  no object and no bucket is deleted" not_called aws
check "  it says the bucket is kept and how to delete it" grep -q "kept the backup bucket s3://sample-backups-1.*" "$t/out"
run_destroy --delete-backups
rc=$?
check "destroy.sh --delete-backups: succeeds" test "$rc" = 0
check "  the rest is destroyed first" destroyed_after_forgetting
check "  every version and delete marker is deleted" \
	grep -q 'delete-objects --bucket sample-backups-1 --delete {"Objects":\[{"Key":"a","VersionId":"1"},{"Key":"b","VersionId":"2"}\],"Quiet":true}' "$t/calls/aws"
check "  then the bucket" grep -qx 's3api delete-bucket --bucket sample-backups-1' "$t/calls/aws"

echo "1..$n"
[ "$failed" = 0 ]
