#!/bin/bash
# 032_chaos_exec.sh: `pgha chaos` on a cluster described by a configuration (-c FILE,
# not a lab directory) with the fault carried out by --exec, and
# deploy/aws/scripts/chaos.sh driving it the way it drives EC2, against a real lab:
#
#   - -c FILE --exec COMMAND: the command gets each phase (inject, restart) with the
#     victim's name, host, port and REST URL, and the run gives the same verdict as the
#     lab's own action (exit 0, nothing lost, the victim back);
#   - chaos.sh: terraform, aws, ssh and pgha-env are stand-ins on PATH (this machine has
#     no AWS): ssh runs the bastion's command here, aws stops an "instance" by killing
#     that node's agent and PostgreSQL by pid and starts it with pgha up. What is real:
#     chaos.sh's arguments and relay, the SSH session's request/answer protocol, pgha
#     chaos -c on the lab, its writer through --rw, and the verdict;
#   - verify.sh: `pgha verify -c` with the NLB's endpoints (the lab's router here) and
#     the failover through the same relay: all nine checks pass;
#   - bad input: -c without --exec, an --exec that fails, chaos.sh's refusal of a
#     scenario it cannot carry out on EC2.
#
# Ports 31200-31299 (base port 31200).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

BASE=31200

field() { printf '%s' "$1" | python3 -c "import json,sys; j=json.load(sys.stdin); print($2)"; }

lab_start "$BASE"
config=$LAB_DIR/node1/agent.yml # an agent configuration: etcd, scope, credentials
export PGSERVICEFILE=$LAB_DIR/pg_service.conf PGPASSFILE=$LAB_DIR/pgpass

# --- -c FILE --exec COMMAND -----------------------------------------------------------------
cat >"$LAB_TMP/fault.sh" <<'SCRIPT'
#!/bin/bash
# A stand-in for a cloud's action: the victim's agent and PostgreSQL killed by pid.
echo "$PGHA_CHAOS_PHASE $PGHA_CHAOS_SCENARIO $PGHA_CHAOS_VICTIM $PGHA_CHAOS_VICTIM_HOST $PGHA_CHAOS_VICTIM_PG_PORT $PGHA_CHAOS_VICTIM_API_URL" >>"$FAULT_LOG"
case $PGHA_CHAOS_PHASE in
inject) kill -KILL "$(head -n 1 "$LAB/run/$PGHA_CHAOS_VICTIM.pid")" \
	"$(head -n 1 "$LAB/$PGHA_CHAOS_VICTIM/data/postmaster.pid")" ;;
restart) exec "$PGHA" up --dir "$LAB" >/dev/null 2>&1 ;;
esac
SCRIPT
chmod +x "$LAB_TMP/fault.sh"
export FAULT_LOG=$LAB_TMP/fault.log LAB=$LAB_DIR PGHA
leader=$(lab_leader)
out=$("$PGHA" chaos -c "$config" --scenario kill-primary --exec "$LAB_TMP/fault.sh" --json 2>"$LAB_TMP/chaos.err")
is "$?" 0 "-c --exec kill-primary: exit 0"
[ -n "$out" ] || { diag "$(tail -n 20 "$LAB_TMP/chaos.err")"; bail "no JSON output"; }
is "$(field "$out" "j['victim']")" "$leader" "-c: the leader found in etcd is the victim"
is "$(field "$out" "j['lost_acked']")" 0 "-c: no acknowledged write lost"
is "$(field "$out" "j['rejoined'] and j['new_leader'] != j['victim']")" True "-c: failover, and $leader is back"
is "$(field "$out" "j['leader_changes']")" 1 "-c: one leader change"
port=$(lab_port "$leader" pg_port)
api=$(lab_api "$leader") # https on a default (TLS) lab
is "$(cat "$FAULT_LOG")" "inject kill-primary $leader 127.0.0.1 $port $api/patroni
restart kill-primary $leader 127.0.0.1 $port $api/patroni" \
	"--exec: called for inject and restart, with the victim's name, host, port and REST URL"

err=$("$PGHA" chaos -c "$config" --scenario kill-primary 2>&1)
is "$?" 2 "-c without --exec: exit 2"
like "$err" "needs --exec" "-c without --exec: says so"
leader=$(lab_leader)
out=$("$PGHA" chaos -c "$config" --scenario crash-postgres --exec "exit 3" 2>"$LAB_TMP/chaos.err")
is "$?" 1 "an --exec that fails: exit 1"
like "$(cat "$LAB_TMP/chaos.err")" "phase inject.*exited with status 3" "an --exec that fails: says so"
is "$(lab_leader)" "$leader" "an --exec that fails: nothing happened to the cluster"

# --- deploy/aws/scripts/chaos.sh, with stand-ins for terraform, aws and ssh ---------------------
stubs=$LAB_TMP/stubs
mkdir -p "$stubs"
rw=$(lab_router_port rw)
cat >"$stubs/terraform" <<STUB
#!/bin/bash
# terraform -chdir=DIR output [-raw|-json] NAME
case "\$*" in
*"-raw bastion_public_ip") echo 127.0.0.1 ;;
*"-raw rw_endpoint") echo 127.0.0.1:$rw ;;
*"-raw ro_endpoint") echo 127.0.0.1:$((rw + 1)) ;;
*"-json region") echo '"lab"' ;;
*"-json db_nodes") echo '{"node1": "127.0.0.1", "node2": "127.0.0.1", "node3": "127.0.0.1"}' ;;
*"-json instance_ids") echo '{"db": ["i-node1", "i-node2", "i-node3"], "etcd": [], "bastion": ["i-bastion"]}' ;;
*) echo "terraform stub: \$*" >&2; exit 1 ;;
esac
STUB
cat >"$stubs/aws" <<'STUB'
#!/bin/bash
# aws ec2 ACTION ... --instance-ids i-NODE: a lab node's processes stand for its instance.
echo "aws $*" >>"$AWS_LOG"
all="$*"
node=${all##*i-}
case "$2" in
stop-instances) kill -KILL "$(head -n 1 "$LAB/run/$node.pid")" "$(head -n 1 "$LAB/$node/data/postmaster.pid")" ;;
start-instances) "$PGHA" up --dir "$LAB" >/dev/null 2>&1 ;;
wait) ;;
*) echo "aws stub: $*" >&2; exit 1 ;;
esac
STUB
cat >"$stubs/ssh" <<'STUB'
#!/bin/bash
# ssh [-o OPT]... [-J JUMP] [-t] USER@HOST COMMAND: the command runs here.
while [ $# -gt 1 ]; do
	case "$1" in
	-o | -J) shift 2 ;;
	-t) shift ;;
	*) break ;;
	esac
done
echo "ssh $1" >>"$AWS_LOG"
exec bash -c "$2"
STUB
cat >"$stubs/pgha-env" <<'STUB'
#!/bin/bash
exec "$@"
STUB
ln -s "$PGHA" "$stubs/pgha"
chmod +x "$stubs"/*
export AWS_LOG=$LAB_TMP/aws.log
wait_for 120 lab_healthy || diag "the lab is not healthy before chaos.sh"
leader=$(lab_leader)
out=$(PATH=$stubs:$PATH PGHA_REMOTE_CONFIG=$config \
	bash "$LIB_TOP/deploy/aws/scripts/chaos.sh" --scenario kill-primary --timeout 30 --json 2>"$LAB_TMP/sh.err")
is "$?" 0 "chaos.sh kill-primary: exit 0"
json=$(printf '%s\n' "$out" | grep '^{')
[ -n "$json" ] || { diag "$out"; diag "$(tail -n 20 "$LAB_TMP/sh.err")"; bail "chaos.sh: no JSON"; }
is "$(field "$json" "j['lost_acked']")" 0 "chaos.sh: no acknowledged write lost"
is "$(field "$json" "j['rejoined'] and j['new_leader'] != '$leader'")" True "chaos.sh: failover, and $leader is back"
is "$(grep '^aws' "$AWS_LOG")" "aws ec2 stop-instances --force --instance-ids i-$leader
aws ec2 start-instances --instance-ids i-$leader
aws ec2 wait instance-running --instance-ids i-$leader" \
	"chaos.sh: the leader's instance stopped (forced), then started"
like "$(head -n 1 "$AWS_LOG")" "^ssh admin@127.0.0.1$" "chaos.sh: pgha chaos ran on the bastion"
like "$(cat "$LAB_TMP/sh.err")" "inject: kill-primary on $leader" "chaos.sh: says what it does"

# verify.sh: pgha verify on the "bastion", the failover through the same relay.
: >"$AWS_LOG"
wait_for 120 lab_healthy || diag "the lab is not healthy before verify.sh"
leader=$(lab_leader)
out=$(PATH=$stubs:$PATH PGHA_REMOTE_CONFIG=$config \
	bash "$LIB_TOP/deploy/aws/scripts/verify.sh" --timeout 30 --json 2>"$LAB_TMP/sh.err")
is "$?" 0 "verify.sh: exit 0"
json=$(printf '%s\n' "$out" | python3 -c 'import sys; t=sys.stdin.read(); print(t[t.index("{"):])' 2>/dev/null)
is "$(field "$json" "j['passed'] and j['passed_checks']")" 9 "verify.sh: all nine checks pass"
[ "$(field "$json" "j['passed']")" = True ] || diag "$json"
like "$(cat "$AWS_LOG")" "aws ec2 stop-instances --force --instance-ids i-$leader" \
	"verify.sh: the failover stopped the leader's instance"

err=$(PATH=$stubs:$PATH bash "$LIB_TOP/deploy/aws/scripts/chaos.sh" --scenario partition-primary-etcd 2>&1)
is "$?" 1 "chaos.sh partition-primary-etcd: refused"
like "$err" "no EC2 action" "chaos.sh partition-primary-etcd: says why"

done_testing
