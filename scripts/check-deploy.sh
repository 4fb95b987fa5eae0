#!/bin/bash
# check-deploy.sh: `make check-deploy`, run by CI. Checks everything under deploy/,
# debian/ and docs/ that can be checked without AWS and without systemd running:
#
#   - Terraform: `terraform fmt -check`; `terraform test` of the provider-free modules
#     (layout: addresses, rules, zones, alarms; userdata) and of the root's variable
#     validations; modules/packages applied and destroyed (destroy needs no package);
#     static checks of the root (deploy/aws/tests/static_checks.py: encryption,
#     recovery, alarms, data volumes); every user-data template rendered with sample
#     values (deploy/aws/tests/render);
#   - the rendered boot scripts (and the scripts they embed): bash -n and shellcheck;
#   - the agent configurations the templates produce, and the packaged example:
#     `pgha agent --check` (once this build's agent has --check);
#   - the systemd units: `systemd-analyze verify`, their `systemd-analyze security`
#     exposure no worse than docs/security.md says, and that each unit's own daemon
#     calls the sd_notify functions the unit relies on (readiness, watchdog, stopping);
#   - every shell script of the deployment: shellcheck; create.sh's choice of where to
#     build the packages (deploy/aws/tests/scripts_test.sh, with stubs);
#   - the Debian packages: who depends on a PostgreSQL server, where the units ship,
#     a DEP-5 copyright with the licence of LICENSE;
#   - no Terraform output may carry a secret;
#   - the man page documents every subcommand; package and binary versions agree.
#
# Prints one "ok"/"not ok"/"skip" line per check and ends with "N passed, N failed,
# N skipped". A missing tool is a skip, said loudly, except with PGHA_STRICT=1.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
aws_dir=deploy/aws
tmp=$(mktemp -d /tmp/pgha-check-deploy.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
skipped=0
n=0

ok() {
	n=$((n + 1))
	passed=$((passed + 1))
	echo "ok $n - $1"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	if [ -s "$tmp/out" ]; then
		sed 's/^/    /' "$tmp/out" | head -n 60
	fi
}

skip() {
	n=$((n + 1))
	if [ "${PGHA_STRICT:-0}" = 1 ]; then
		failed=$((failed + 1))
		echo "not ok $n - $1 # SKIP not allowed (PGHA_STRICT=1): $2"
	else
		skipped=$((skipped + 1))
		echo "ok $n - $1 # SKIP $2"
	fi
}

# check DESCRIPTION COMMAND...: one check; its output is shown only when it fails.
check() {
	local desc=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then
		ok "$desc"
	else
		not_ok "$desc"
	fi
}

have() {
	command -v "$1" >/dev/null 2>&1
}

# --- Terraform ------------------------------------------------------------------------

# Terraform without a user config, without plugins, with its data outside the tree.
tf() {
	TF_CLI_CONFIG_FILE="$tmp/terraformrc" TF_IN_AUTOMATION=1 TF_DATA_DIR="$tmp/tf-data-$1" \
		terraform -chdir="$2" "${@:3}"
}

tf_test() {
	local name=$1 dir=$2
	shift 2
	tf "$name" "$dir" init -input=false -no-color >"$tmp/init-$name" 2>&1 ||
		{ cat "$tmp/init-$name"; return 1; }
	tf "$name" "$dir" test -no-color "$@"
}

variables_test() {
	mkdir -p "$tmp/variables/tests"
	cp "$aws_dir/variables.tf" "$aws_dir/terraform.tfvars.example" "$tmp/variables/"
	cp "$aws_dir/tests/variables/variables.tftest.hcl" "$tmp/variables/tests/"
	tf variables "$tmp/variables" init -input=false -no-color >/dev/null &&
		tf variables "$tmp/variables" test -no-color -var-file=terraform.tfvars.example
}

# packages_lifecycle: modules/packages as the stack uses it (tests/packages), applied
# with the packages present; then, the packages deleted, `terraform plan` must stop
# with "make deb" and `terraform destroy` must work. Local state, built-in resources.
packages_lifecycle() {
	local d=$tmp/packages
	mkdir -p "$d/root" "$d/debs" "$d/modules"
	cp "$aws_dir/tests/packages/main.tf" "$d/root/"
	cp -r "$aws_dir/modules/packages" "$d/modules/"
	sed -i 's#"../../modules/packages"#"../modules/packages"#' "$d/root/main.tf"
	touch "$d/debs/pgha_0.1.0_amd64.deb" "$d/debs/pgha-agent_0.1.0_all.deb" "$d/debs/pgha-router_0.1.0_all.deb"
	tf packages "$d/root" init -input=false -no-color >/dev/null || return 1
	tf packages "$d/root" apply -input=false -no-color -auto-approve -var "package_dir=$d/debs" >/dev/null ||
		{ echo "apply with the packages present failed"; return 1; }
	rm -f "$d"/debs/*.deb
	if tf packages "$d/root" plan -input=false -no-color -var "package_dir=$d/debs" >"$d/plan.out" 2>&1; then
		echo "terraform plan went on without the packages"
		return 1
	fi
	grep -q 'make deb' "$d/plan.out" || { cat "$d/plan.out"; echo "plan failed without saying: make deb"; return 1; }
	tf packages "$d/root" destroy -input=false -no-color -auto-approve -var "package_dir=$d/debs" ||
		{ echo "terraform destroy failed without the packages"; return 1; }
}

# render: every template with the sample values of tests/render, one file each.
render() {
	tf render "$aws_dir/tests/render" init -input=false -no-color >/dev/null || return 1
	echo 'jsonencode(local.rendered)' | tf render "$aws_dir/tests/render" console >"$tmp/rendered.json" ||
		return 1
	mkdir -p "$tmp/rendered"
	python3 - "$tmp/rendered.json" "$tmp/rendered" <<'PY'
import json, os, sys
docs = json.loads(json.load(open(sys.argv[1])))
for name, text in docs.items():
    with open(os.path.join(sys.argv[2], name), "w") as f:
        f.write(text)
print(len(docs), "documents")
PY
}

# Scripts a boot script writes with a quoted here-document (<<'SCRIPT'): check those too.
extract_embedded() {
	local f=$1
	awk -v out="$f.embedded" '
		/<<.SCRIPT.$/ { inside = 1; next }
		/^SCRIPT$/ { inside = 0; next }
		inside { print > out }
	' "$f"
}

terraform_checks() {
	if ! have terraform; then
		skip "terraform fmt, test and template rendering" "terraform is not installed"
		return
	fi
	touch "$tmp/terraformrc"
	check "terraform fmt -check (deploy/aws)" terraform fmt -check -recursive -diff "$aws_dir"
	check "terraform test: modules/layout (addresses, zones, security rules, NLB targets)" \
		tf_test layout "$aws_dir/modules/layout"
	check "terraform test: modules/userdata (boot scripts, configs, no secrets)" \
		tf_test userdata "$aws_dir/modules/userdata"
	check "terraform test: variable validations (terraform.tfvars.example accepted)" \
		variables_test
	check "modules/packages: apply needs the packages, destroy does not (terraform_data, offline)" \
		packages_lifecycle
	check "the root module: static checks of what terraform validate cannot run offline" \
		python3 "$aws_dir/tests/static_checks.py" "$aws_dir"
	if ! check "templates render with sample values (deploy/aws/tests/render)" render; then
		return
	fi
	local f
	for f in "$tmp"/rendered/*.sh; do
		check "bash -n $(basename "$f")" bash -n "$f"
		extract_embedded "$f"
		if have shellcheck; then
			check "shellcheck $(basename "$f")" shellcheck -s bash "$f"
			if [ -s "$f.embedded" ]; then
				check "shellcheck the script embedded in $(basename "$f")" \
					shellcheck -s bash "$f.embedded"
			fi
		else
			skip "shellcheck $(basename "$f")" "shellcheck is not installed"
		fi
	done
}

# --- pgha's own checks of its configurations -------------------------------------------

# with_env FILE COMMAND...: COMMAND with FILE's KEY=VALUE lines in its environment, as
# systemd's EnvironmentFile= gives them to the unit (the passwords are not in the YAML).
with_env() {
	local file=$1
	shift
	(
		set -a
		# shellcheck disable=SC1090 # the example environment files
		. "$file"
		set +a
		"$@"
	)
}

# agent_check FILE: accepted, and without a warning (an unknown key in our own files
# is a typo, not a choice), with the example passwords of agent.env.example.
agent_check() {
	local out
	out=$(with_env deploy/config/agent.env.example ./pgha agent --check -c "$1" 2>&1)
	local rc=$?
	echo "$out"
	[ "$rc" -eq 0 ] && ! grep -qi 'warning' <<<"$out"
}

pgha_supports_check() {
	./pgha "$1" --help 2>&1 | grep -q -- '--check'
}

config_checks() {
	local f
	if ! pgha_supports_check agent; then
		skip "pgha agent --check on the rendered and example agent configs" \
			"this build's 'pgha agent' has no --check yet"
	else
		check "pgha agent --check deploy/config/agent.yml.example" \
			agent_check deploy/config/agent.yml.example
		for f in "$tmp"/rendered/*.agent.yml; do
			[ -e "$f" ] || continue
			check "pgha agent --check $(basename "$f") (rendered)" agent_check "$f"
		done
	fi
	if ! pgha_supports_check router; then
		skip "pgha router --check on the rendered and example router configs" \
			"this build's 'pgha router' has no --check"
	else
		check "pgha router --check deploy/config/router.yml.example" \
			with_env deploy/config/router.env.example \
			./pgha router --check -c deploy/config/router.yml.example
		if [ -e "$tmp/rendered/router.yml" ]; then
			check "pgha router --check router.yml (rendered)" \
				with_env deploy/config/router.env.example \
				./pgha router --check -c "$tmp/rendered/router.yml"
		fi
	fi
}

# --- systemd units ----------------------------------------------------------------------

# systemd-analyze verify exits 0 on many problems: any output is a failure.
verify_units() {
	local u
	mkdir -p "$tmp/units"
	for u in deploy/systemd/*.service; do
		# The units name the installed binary; verify them against this build's.
		sed "s#/usr/bin/pgha#$top/pgha#g" "$u" >"$tmp/units/$(basename "$u")"
	done
	systemd-analyze verify --man=no "$tmp"/units/*.service >"$tmp/verify" 2>&1
	cat "$tmp/verify"
	[ ! -s "$tmp/verify" ]
}

# The code each unit's daemon runs: `pgha SUBCOMMAND` -> the module that implements it.
# A unit for a subcommand missing here fails the check: say where its daemon lives.
declare -A DAEMON_SOURCES=([agent]=src/ha [router]=src/router)

# calls DIR FUNCTION: some C file under DIR calls FUNCTION (a definition is no call).
calls() {
	grep -rqE --include='*.c' "(^|[^a-z_])$2\(" "$1"
}

# A Type=notify unit whose daemon never says READY=1 is killed at TimeoutStartSec; a
# unit with WatchdogSec= whose daemon never pings is killed every WatchdogSec. Each unit
# is checked against its own daemon's code, not against the whole tree.
unit_matches_code() {
	local unit=$1 sub dir bad=0
	sub=$(sed -n 's#^ExecStart=[^ ]*/pgha \([a-z-]*\).*#\1#p' "$unit")
	if [ -z "$sub" ]; then
		echo "$unit: ExecStart does not run a pgha subcommand"
		return 1
	fi
	dir=${DAEMON_SOURCES[$sub]:-}
	if [ -z "$dir" ] || [ ! -d "$dir" ]; then
		echo "$unit runs 'pgha $sub': add its source directory to DAEMON_SOURCES"
		return 1
	fi
	if grep -q '^Type=notify' "$unit" && ! calls "$dir" sdnotify_ready; then
		echo "$unit is Type=notify but pgha $sub ($dir) never calls sdnotify_ready()"
		bad=1
	fi
	if grep -q '^WatchdogSec=' "$unit" && ! calls "$dir" sdnotify_watchdog; then
		echo "$unit sets WatchdogSec= but pgha $sub ($dir) never calls sdnotify_watchdog()"
		bad=1
	fi
	if grep -q '^Type=notify' "$unit" && ! calls "$dir" sdnotify_stopping; then
		echo "$unit is Type=notify but pgha $sub ($dir) never says STOPPING=1"
		bad=1
	fi
	echo "$unit: pgha $sub ($dir)"
	return $bad
}

# A unit whose daemon needs its passwords requires their file: with "EnvironmentFile=-"
# a missing file would start the daemon without them.
units_require_their_env() {
	if grep -n '^EnvironmentFile=-' deploy/systemd/*.service; then
		echo "an optional EnvironmentFile: the unit would start without its passwords"
		return 1
	fi
	grep -q '^EnvironmentFile=/etc/pgha/agent.env$' deploy/systemd/pgha-agent.service &&
		grep -q '^EnvironmentFile=/etc/pgha/router.env$' deploy/systemd/pgha-router.service
}

# exposure UNIT: the overall exposure of `systemd-analyze security --offline=yes`.
exposure() {
	systemd-analyze security --offline=yes "$1" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}

# The hardening of each unit may not regress: its exposure stays at or below the
# score docs/security.md gives for it (a row "| `NAME.service` | before | now | ...").
unit_exposure_ok() {
	local unit=$1 name got want
	name=$(basename "$unit")
	want=$(sed -n "s/^| \`$name\` | [^|]* | \([0-9.]*\) .*/\1/p" docs/security.md)
	got=$(exposure "$unit")
	echo "$name: exposure $got (docs/security.md: $want)"
	[ -n "$want" ] && [ -n "$got" ] && awk -v g="$got" -v w="$want" 'BEGIN { exit !(g <= w) }'
}

unit_checks() {
	local u
	check "the units require their environment files (no EnvironmentFile=-)" \
		units_require_their_env
	if have systemd-analyze; then
		check "systemd-analyze verify deploy/systemd/*.service" verify_units
		if [ -n "$(exposure deploy/systemd/pgha-agent.service)" ]; then
			for u in deploy/systemd/*.service; do
				check "$(basename "$u"): systemd-analyze security score no worse than docs/security.md" \
					unit_exposure_ok "$u"
			done
		else
			skip "systemd-analyze security --offline" "this systemd has no --offline"
		fi
	else
		skip "systemd-analyze verify" "systemd-analyze is not installed"
	fi
	for u in deploy/systemd/*.service; do
		check "$(basename "$u"): its daemon calls sd_notify as the unit requires" \
			unit_matches_code "$u"
	done
}

# --- Debian packages ---------------------------------------------------------------------

# control_field PACKAGE FIELD: the field of one binary package of debian/control, on one
# line (continuation lines joined).
control_field() {
	awk -v pkg="$1" -v field="$2" '
		/^Package:/ { cur = $2 }
		/^[A-Za-z-]+:/ { infield = (cur == pkg && $1 == field ":") ; if (infield) { sub(/^[^:]+:[ ]*/, ""); printf "%s", $0 }; next }
		/^[ \t]/ && infield { printf " %s", $0; next }
		{ infield = 0 }
	' debian/control
}

# Router and administration hosts must not get a PostgreSQL server or PgBouncer; the
# agent's package must bring what the agent runs.
package_dependencies() {
	local pkg deps bad=0
	for pkg in pgha pgha-router; do
		deps="$(control_field "$pkg" Depends) $(control_field "$pkg" Recommends) $(control_field "$pkg" Pre-Depends)"
		echo "$pkg: $deps"
		if grep -qE '(^|[ ,])(postgresql(-[0-9]+)?|pgbouncer|etcd-server|pgha-agent)([ ,(]|$)' <<<"$deps"; then
			echo "$pkg pulls in a server it does not run"
			bad=1
		fi
	done
	deps=$(control_field pgha-agent Depends)
	echo "pgha-agent: $deps"
	for need in postgresql-15 pgbouncer pgha; do
		grep -qE "(^|[ ,])$need([ ,(]|\$)" <<<"$deps" || { echo "pgha-agent does not depend on $need"; bad=1; }
	done
	return $bad
}

# Each unit goes with the package of its daemon (debian/rules installs it there).
units_in_their_packages() {
	local bad=0
	grep -qE 'deploy/systemd/pgha-agent\.service \$\(AGENT\)/lib/systemd/system/' debian/rules ||
		{ echo "pgha-agent.service is not installed into pgha-agent"; bad=1; }
	grep -qE 'deploy/systemd/pgha-router\.service \$\(ROUTER\)/lib/systemd/system/' debian/rules ||
		{ echo "pgha-router.service is not installed into pgha-router"; bad=1; }
	if grep -E 'deploy/systemd/.*\$\(CORE\)' debian/rules; then
		echo "the pgha package (every host) must ship no unit"
		bad=1
	fi
	if ! grep -qE '^AGENT +:= debian/pgha-agent$' debian/rules ||
		! grep -qE '^ROUTER +:= debian/pgha-router$' debian/rules ||
		! grep -qE '^CORE +:= debian/pgha$' debian/rules; then
		echo "debian/rules: the package directories are not the ones this check knows"
		bad=1
	fi
	return $bad
}

# debian/copyright: machine-readable (DEP-5), every file under a named licence whose
# text is there, and the same licence as LICENSE.
copyright_names_a_licence() {
	local bad=0
	head -n 1 debian/copyright | grep -q '^Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' ||
		{ echo "debian/copyright is not DEP-5"; bad=1; }
	if grep -qiE '^License: *(unspecified|unknown)?$' debian/copyright; then
		echo "debian/copyright has a License: field without a licence"
		bad=1
	fi
	grep -q '^License: Expat$' debian/copyright || { echo "debian/copyright does not give the Expat (MIT) text"; bad=1; }
	if ! grep -qs '^MIT License' LICENSE; then
		echo "LICENSE is missing or not MIT"
		bad=1
	fi
	return $bad
}

package_checks() {
	check "debian/control: pgha and pgha-router pull in no PostgreSQL server; pgha-agent brings it" \
		package_dependencies
	check "debian/rules: each systemd unit ships in its daemon's package" units_in_their_packages
	check "debian/copyright: DEP-5, Expat (MIT) like LICENSE" copyright_names_a_licence
}

# --- the rest -----------------------------------------------------------------------------

shell_checks() {
	local scripts=(scripts/*.sh deploy/aws/scripts/*.sh deploy/etcd/pgha-etcd-join deploy/aws/tests/*.sh)
	if ! have shellcheck; then
		skip "shellcheck deployment scripts" "shellcheck is not installed"
		return
	fi
	check "shellcheck scripts/, deploy/aws/scripts/, pgha-etcd-join, deploy/aws/tests/" \
		shellcheck -x "${scripts[@]}"
	check "shellcheck debian/pgha.postinst" shellcheck -s sh debian/pgha.postinst
	check "create.sh builds the packages only where they install on the hosts (stubs, no AWS)" \
		bash deploy/aws/tests/scripts_test.sh
}

# Outputs are printed and stored in plain text: none may reference a secret.
no_secret_outputs() {
	! grep -nE 'random_password|value_wo|aws_ssm_parameter\.[a-z_]+(\[[^]]*\])?\.(value|insecure_value)|sensitive' \
		"$aws_dir/outputs.tf"
}

# Every subcommand `pgha --help` lists is described in docs/pgha.1.
man_covers_help() {
	local cmd missing=0
	for cmd in $(./pgha --help | awk '/^  [a-z]/ { print $1 }'); do
		if ! grep -qE "^\.B(I)? \"?$cmd( |\"|$)" docs/pgha.1; then
			echo "docs/pgha.1 does not describe 'pgha $cmd'"
			missing=1
		fi
	done
	return $missing
}

versions_agree() {
	local pkg code tf_default tf_example
	pkg=$(sed -n '1s/^pgha (\([^)]*\)).*/\1/p' debian/changelog)
	code=$(sed -n 's/^#define PGHA_VERSION "\(.*\)"$/\1/p' src/cli/cli.h)
	tf_default=$(awk '/^variable "pgha_version"/ { v = 1 } v && /default/ { gsub(/[" ]/, "", $3); print $3; exit }' \
		"$aws_dir/variables.tf")
	tf_example=$(sed -n 's/^pgha_version *= *"\(.*\)"$/\1/p' "$aws_dir/terraform.tfvars.example")
	echo "debian/changelog: $pkg, src/cli/cli.h: $code, Terraform: $tf_default (example: $tf_example)"
	[ -n "$pkg" ] && [ "$pkg" = "$code" ] && [ "$pkg" = "$tf_default" ] && [ "$pkg" = "$tf_example" ]
}

misc_checks() {
	check "no Terraform output carries a secret" no_secret_outputs
	check "docs/pgha.1 describes every subcommand of pgha --help" man_covers_help
	check "package, binary and Terraform agree on the version" versions_agree
}

main() {
	if [ ! -x ./pgha ]; then
		make -s all >"$tmp/out" 2>&1 || { not_ok "build ./pgha"; exit 1; }
	fi
	terraform_checks
	config_checks
	unit_checks
	package_checks
	shell_checks
	misc_checks
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
}

main "$@"
