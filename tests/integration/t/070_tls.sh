#!/bin/bash
# 070_tls.sh: a default lab is encrypted and authenticated end to end, and says so:
#  - its CA's key is gone, every private key is 0600, the files holding passwords too;
#  - etcd refuses plain http, clients without a user, wrong passwords, and peers without
#    a certificate of the lab's CA;
#  - the REST API refuses plain http and unknown CAs, and changes without credentials;
#  - `pgha agent --check` refuses a REST user without its password;
#  - PostgreSQL refuses plain TCP logins; replication runs over TLS;
#  - through the router, sslmode=verify-full against the lab's CA works (the router
#    relays the client's TLS to PgBouncer), a wrong CA fails, a plain client is refused;
#  - a stock patronictl with the lab's patronictl.yml lists and switches over, and
#    pgha switchover works over https too;
#  - `pgha up --insecure` makes a plain lab, on request only.
#
# Ports 33000-33099 (TLS lab), 33100-33199 (insecure lab).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

BASE=33000
lab_start $BASE
CA=$LAB_DIR/tls/ca.crt
run_as=$(cluster_json "c['os_user']")
leader=$(lab_leader)
api=$(lab_port node1 api_port)
etcd_port=$(cluster_json "c['ports']['etcd'][0]['client_port']")
peer_port=$(cluster_json "c['ports']['etcd'][0]['peer_port']")

# --- files --------------------------------------------------------------------------------
is "$(cluster_json "c['tls']")" True "cluster.json records TLS"
ok "$([ ! -e "$LAB_DIR/tls/ca.key" ]; echo $?)" "the CA's key is deleted once the certificates are signed"
for f in etcd.key node1.key node2.key node3.key; do
	is "$(stat -c '%a %U' "$LAB_DIR/tls/$f")" "600 $run_as" "tls/$f is 0600, the lab user's"
done
for f in router.yml patronictl.yml secrets/etcd secrets/etcd-root; do
	is "$(stat -c %a "$LAB_DIR/$f")" 600 "$f (it holds a password) is 0600"
done
like "$(openssl x509 -in "$LAB_DIR/tls/node1.crt" -noout -ext subjectAltName)" \
	"IP Address:127.0.0.1, DNS:localhost" "node certificates name 127.0.0.1 and localhost"
like "$LAB_UP_OUT" "TLS everywhere" "pgha up says what protects the lab"

# --- etcd ---------------------------------------------------------------------------------
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$etcd_port/health")
is "$code" 000 "etcd refuses plain http"
out=$(curl -s --cacert "$CA" "https://127.0.0.1:$etcd_port/v3/kv/range" -d '{"key":"Lw=="}')
like "$out" "user name is empty" "etcd refuses a client without a user"
out=$(curl -s --cacert "$CA" "https://127.0.0.1:$etcd_port/v3/auth/authenticate" \
	-d '{"name":"pgha","password":"wrong"}')
like "$out" "authentication failed" "etcd refuses a wrong password"
ok "$(lab_etcdctl get --prefix --keys-only /service/ | grep -q '/leader$'; echo $?)" \
	"etcd answers the lab's user"
curl -s --cacert "$CA" -o /dev/null "https://127.0.0.1:$peer_port/members"
rc=$?
ok "$([ $rc -ne 0 ]; echo $?)" "an etcd peer port refuses a client without a certificate"

# --- the REST API -------------------------------------------------------------------------
is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$api/patroni")" 000 \
	"the REST API refuses plain http"
is "$(curl -s -o /dev/null -w '%{http_code}' "https://127.0.0.1:$api/patroni")" 000 \
	"a client that does not know the lab's CA refuses the REST API's certificate"
is "$(lab_curl -o /dev/null -w '%{http_code}' "https://127.0.0.1:$api/patroni")" 200 \
	"GET /patroni over https, verified against the lab's CA"
is "$(lab_curl -o /dev/null -w '%{http_code}' "https://localhost:$api/health")" 200 \
	"the certificate names localhost too"
is "$(lab_curl -o /dev/null -w '%{http_code}' -X POST "https://127.0.0.1:$api/reload")" 401 \
	"POST /reload without credentials: 401"
is "$(lab_curl -o /dev/null -w '%{http_code}' -u pgha:wrong -X POST \
	"https://127.0.0.1:$api/reload")" 401 "POST /reload with a wrong password: 401"
is "$(lab_curl -o /dev/null -w '%{http_code}' -K- -X POST "https://127.0.0.1:$api/reload" \
	<<<"user = \"pgha:$(cat "$LAB_DIR/secrets/restapi")\"")" 202 \
	"POST /reload with the lab's credentials: 202"

# --- configurations that would be unsafe are refused ----------------------------------------
grep -v '^    password:' "$LAB_DIR/node1/agent.yml" >"$LAB_TMP/nopass.yml"
out=$("$PGHA" agent --check -c "$LAB_TMP/nopass.yml" 2>&1)
is "$?" 2 "pgha agent --check refuses a REST username without its password"
like "$out" "restapi.authentication.username is set but restapi.authentication.password" \
	"and says which keys"

# --- PostgreSQL ---------------------------------------------------------------------------
pg1=$(lab_port node1 pg_port)
out=$(PGPASSFILE=$LAB_DIR/pgpass psql "host=127.0.0.1 port=$pg1 user=postgres dbname=postgres \
	sslmode=disable" -XAtqc 'select 1' 2>&1)
like "$out" 'no pg_hba.conf entry .* no encryption' "PostgreSQL refuses a plain TCP login"
is "$(lab_psql "$leader" "select count(*) from pg_stat_replication r join pg_stat_ssl s \
	using (pid) where s.ssl")" 2 "both replication connections use TLS"

# --- through the router -------------------------------------------------------------------
rw=$(lab_router_port rw)
router_psql() { # SSL-OPTIONS...: the leader's name through the router
	PGPASSFILE=$LAB_DIR/pgpass psql "host=127.0.0.1 port=$rw user=postgres dbname=postgres \
		connect_timeout=5 $*" -XAtqc "select current_setting('cluster_name')" 2>&1
}
is "$(router_psql sslmode=verify-full "sslrootcert=$CA")" "$leader" \
	"sslmode=verify-full through the router reaches the leader"
is "$(router_psql sslmode=require)" "$leader" "sslmode=require through the router"
mkdir -p "$LAB_TMP/other"
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -noenc -days 1 \
	-subj /CN=other -keyout "$LAB_TMP/other/ca.key" -out "$LAB_TMP/other/ca.crt" >/dev/null 2>&1
like "$(router_psql sslmode=verify-full "sslrootcert=$LAB_TMP/other/ca.crt")" \
	"certificate verify failed" "verify-full against another CA fails"
like "$(router_psql sslmode=disable)" "SSL required" \
	"a client that does not ask for TLS is refused (by PgBouncer, through the router)"

# --- a stock patronictl, and pgha's own tools, over https --------------------------------
ctl=$(patronictl -c "$LAB_DIR/patronictl.yml" list -f json 2>&1)
is "$(printf '%s' "$ctl" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>&1)" 3 \
	"patronictl lists the 3 members (etcd over https with the lab's user)"
# synchronous mode: only the synchronous standby may take over
candidate=$(list_json "[m['name'] for m in j['members'] if m['role']=='sync_standby'][0]")
out=$(patronictl -c "$LAB_DIR/patronictl.yml" switchover --leader "$leader" \
	--candidate "$candidate" --force 2>&1)
like "$out" "Successfully switched over to \"$candidate\"" \
	"patronictl switches over (REST over https, with the lab's credentials)"
wait_for 60 lab_healthy
ok $? "the cluster is healthy again"
is "$(lab_leader)" "$candidate" "pgha list agrees on the new leader"
out=$("$PGHA" switchover --dir "$LAB_DIR" --force 2>&1)
rc=$?
ok $rc "pgha switchover (the REST API over https, the lab's credentials)"
[ $rc -eq 0 ] || printf '%s\n' "$out" | sed 's/^/# /'
wait_for 60 lab_healthy
ok "$([ "$(lab_leader)" != "$candidate" ]; echo $?)" "another node leads after it"
out=$("$PGHA" health --dir "$LAB_DIR" 2>&1)
rc=$?
ok $rc "pgha health passes on the TLS lab"
[ $rc -eq 0 ] || printf '%s\n' "$out" | sed 's/^/# /'

# --- an insecure lab, on request ------------------------------------------------------------
lab_down --timeout 20 >/dev/null 2>&1
LAB_DIR=$LAB_TMP/insecure
LAB_ROUTER_PORT=$((BASE + 108))
lab_up --base-port $((BASE + 100)) --nodes 1 --insecure
ok $? "pgha up --insecure starts a lab"
is "$(cluster_json "c['tls']")" False "cluster.json records it without TLS"
like "$LAB_UP_OUT" "NO TLS" "pgha up says so"
is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(lab_port node1 api_port)/patroni")" \
	200 "its REST API answers plain http"
is "$(lab_psql rw 'select 1')" 1 "service=rw works without TLS"

done_testing
