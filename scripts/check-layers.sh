#!/bin/sh
# check-layers.sh: the dependency rule of src/, checked on the includes (`make lint`).
#
# LAYERS below lists the modules bottom-up, each with the modules (or single headers,
# "ha/ha_decide.h") it may include; a module may name only modules listed before it,
# so no include circle between modules can exist. Then, for every file of src/:
#   - an include of another module's header must be allowed by that table;
#   - another module's internals (*_int.h) are never included;
#   - lab/ is used from outside only through its public header, lab/lab.h.
# docs/architecture.md draws the same layers and says why. Exits 1 on the first
# table error, or after listing every offending include.
#
# check-layers.sh --uses MODULE prints MODULE and everything it may use, directly or
# through the modules below it: the Makefile links a module's unit tests with exactly
# that, so the rule is checked by the linker as well as on the includes.
set -eu

cd "$(dirname "$0")/.."

LAYERS='
util:
log: util
http: util
pq: util
config: util
dcs: util log http
pg: util log config pq
pooler: util log config pq
backup: util log config
api: util log dcs pg
ha: util log config dcs http pg pooler backup api
router: util log config dcs http
client: util config dcs http pq ha/ha_decide.h
lab: util log config dcs http pq client
chaos: util log dcs http pq client lab
cli: util log http pq config dcs pg pooler backup api ha router client lab chaos
main: cli util
'
# Modules whose headers other modules may include only in part: module=public headers.
PUBLIC='lab=lab/lab.h'

fail=0
known=''

# allowed MODULE: its entry of LAYERS (empty if none).
allowed() {
	printf '%s\n' "$LAYERS" | sed -n "s/^$1:[ ]*//p"
}

# uses MODULE: MODULE and its allowed modules and headers, transitively, one per line.
uses() {
	echo "$1"
	for dep in $(allowed "$1"); do
		case "$dep" in
		*/*) echo "$dep" ;;
		*) uses "$dep" ;;
		esac
	done
}

if [ "${1:-}" = --uses ]; then
	uses "$2" | sort -u | tr '\n' ' '
	echo
	exit 0
fi

# The table itself: every module it names comes earlier (which rules out circles).
for line in $(printf '%s\n' "$LAYERS" | sed -n 's/^\([a-z]*\):.*/\1/p'); do
	for dep in $(allowed "$line"); do
		case " $known " in
		*" ${dep%%/*} "*) ;;
		*)
			echo "check-layers: $line may include $dep, which is not below it"
			exit 1
			;;
		esac
	done
	known="$known $line"
done

# check FILE MODULE: each include of another module's header against the rules.
check() {
	file=$1
	mod=$2
	ok=$(allowed "$mod")
	# shellcheck disable=SC2013 # header paths have no blanks: words are lines here
	for inc in $(sed -n 's/^#include "\([a-z_]*\/[a-z_0-9]*\.h\)".*/\1/p' "$file"); do
		dep=${inc%%/*}
		[ "$dep" = "$mod" ] && continue
		case "$inc" in
		*_int.h)
			echo "$file: includes $inc, the internals of $dep/"
			fail=1
			continue
			;;
		esac
		for pub in $PUBLIC; do
			if [ "${pub%%=*}" = "$dep" ] && [ "${pub#*=}" != "$inc" ]; then
				echo "$file: includes $inc; outside $dep/ only ${pub#*=} may be"
				fail=1
			fi
		done
		case " $ok " in
		*" $dep "* | *" $inc "*) ;;
		*)
			echo "$file: includes $inc, but $mod/ may include only: ${ok:-nothing of pgha}"
			fail=1
			;;
		esac
	done
}

for file in src/*/*.c src/*/*.h; do
	mod=$(basename "$(dirname "$file")")
	if [ -z "$(printf '%s\n' "$LAYERS" | sed -n "/^$mod:/p")" ]; then
		echo "$file: module $mod/ is not in the layer table of $0"
		fail=1
		continue
	fi
	check "$file" "$mod"
done
check src/main.c main

if [ "$fail" -ne 0 ]; then
	echo "check-layers: includes against the dependency rule (docs/architecture.md)"
	exit 1
fi
echo "layers: ok"
