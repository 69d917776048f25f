#!/usr/bin/env bash
# Issue 14, tests 1-4, 7 and 8, through the real binary against a real Postfix on loopback:
# a listener on the demo certificate, then a CA-signed entry with its intermediate, TLS Required,
# sender groups on a Preferred listener, a commit Postfix cannot take, and rollback.
# Usage: deploy-inbound.sh CERTTOOL WORKDIR. Exits 0 when every check passes.
CERTTOOL=$1
WORK=$2
rm -rf "$WORK" && mkdir -p "$WORK" && chmod 0755 "$WORK"
WORK=$(cd "$WORK" && pwd)
# shellcheck source=tests/postfix/deploy-common.sh
. "$(dirname "$0")/deploy-common.sh"

gw=$WORK/gw
new_instance gw "mydestination = test.example" "local_transport = discard:silently" \
  "smtpd_relay_restrictions = reject_unauth_destination"
start_instance "$gw"
port=$(free_port)
make_ca

# 1. A listener on the demo certificate: served after the first commit, with the warning.
ct target postfix --config-dir "$gw" >/dev/null 2>&1
ct listener add In --address "127.0.0.1:$port" --hostname mx.test.example >/dev/null 2>&1
ct commit --comment "first" >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "first commit"; }
grep -q "verifiable" "$WORK/err" || fail "no demo warning: $(cat "$WORK/err")"
ct export demo --cert-out "$WORK/demo.pem" >/dev/null
[ "$(served_fingerprint 127.0.0.1 "$port")" = "$(cert_fingerprint "$WORK/demo.pem")" ] ||
  fail "the listener does not serve the demo certificate"
[ "$(grep -c 'BEGIN certtool managed' "$gw/main.cf")" = 1 ] || fail "main.cf: not one managed section"
[ "$(stat -c %a "$gw/certtool/rev-1/listener-In.pem")" = 600 ] || fail "key file is not 0600"
[ "$(stat -c %a "$gw/certtool/rev-1")" = 700 ] || fail "revision directory is not 0700"
ok "1: demo certificate served, warning shown, files private"

# 2. A CA-signed entry with its intermediate: leaf and chain served.
ca_entry mail mx.test.example
ct listener set In --certificate mail >/dev/null 2>&1
ct commit --comment "CA-signed" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "commit 2"; }
openssl s_client -starttls smtp -connect "127.0.0.1:$port" -showcerts </dev/null 2>/dev/null >"$WORK/showcerts"
awk '/BEGIN CERT/,/END CERT/' "$WORK/showcerts" > "$WORK/served.pem"
[ "$(grep -c 'BEGIN CERT' "$WORK/served.pem")" = 2 ] || fail "not leaf + intermediate: $(grep -c 'BEGIN CERT' "$WORK/served.pem")"
[ "$(cert_fingerprint "$WORK/served.pem")" = "$(cert_fingerprint "$WORK/mail.pem")" ] || fail "leaf differs"
grep -q "certtool-test-inter" "$WORK/showcerts" || fail "intermediate not served"
[ ! -d "$gw/certtool/rev-0" ] && [ -d "$gw/certtool/rev-1" ] || fail "previous revision not kept"
ok "2: CA-signed leaf and intermediate served"

swaks_to() {  # FROM-ADDR TO [swaks options]: exit 0 when the message is accepted
  local from=$1 to=$2
  shift 2
  swaks --server 127.0.0.1 --port "${SWAKS_PORT:-$port}" --local-interface "$from" \
    --from s@client.example --to "$to" --ehlo client.example --timeout 15 "$@" >"$WORK/swaks" 2>&1
}

# 3. Listener default Required: plaintext refused, TLS accepted.
ct listener set In --tls required >/dev/null 2>&1
ct commit --comment "required" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "commit 3"; }
swaks_to 127.0.0.1 u@test.example && fail "plaintext accepted on a Required listener"
grep -q "STARTTLS" "$WORK/swaks" || fail "plaintext not refused for TLS: $(tail -3 "$WORK/swaks")"
swaks_to 127.0.0.1 u@test.example --tls || fail "TLS refused on a Required listener: $(tail -3 "$WORK/swaks")"
ok "3: Required listener refuses plaintext, accepts TLS"

# 4. Sender groups on a Preferred listener.
port2=$(free_port)
ct listener add Groups --address "127.0.0.1:$port2" >/dev/null 2>&1
ct listener set Groups --certificate mail --tls preferred >/dev/null 2>&1
ct sender-group add Groups Strict --member 127.0.0.2 --tls required >/dev/null 2>&1
ct sender-group add Groups Clear --member 127.0.0.3 --tls off >/dev/null 2>&1
ct commit --comment "groups" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "commit 4"; }
SWAKS_PORT=$port2
swaks_to 127.0.0.2 u@test.example && fail "127.0.0.2 (Required group) accepted in plaintext"
swaks_to 127.0.0.2 u@test.example --tls || fail "127.0.0.2 refused over TLS: $(tail -3 "$WORK/swaks")"
swaks_to 127.0.0.1 u@test.example || fail "127.0.0.1 (default Preferred) refused in plaintext: $(tail -3 "$WORK/swaks")"
swaks_to 127.0.0.3 u@test.example --quit-after EHLO || fail "127.0.0.3 session failed"
grep -q "STARTTLS" "$WORK/swaks" && fail "127.0.0.3 (Off group) was offered STARTTLS"
swaks_to 127.0.0.1 u@test.example --quit-after EHLO && grep -q "STARTTLS" "$WORK/swaks" ||
  fail "127.0.0.1 was not offered STARTTLS"
for from in 127.0.0.1 127.0.0.2 127.0.0.3; do
  tls=(--tls)
  [ "$from" = 127.0.0.3 ] && tls=()
  swaks_to "$from" u@elsewhere.example "${tls[@]}" && fail "$from relayed to elsewhere.example"
  grep -q "Relay access denied" "$WORK/swaks" || fail "$from: not refused as relaying: $(tail -3 "$WORK/swaks")"
done
SWAKS_PORT=$port
ok "4: sender groups: Required group refused in plaintext, Off group not offered STARTTLS, no relaying"

# Issue 16.5: a new certificate for a bound entry waits for a commit (nothing else staged), and
# import-signed --commit deploys it at once; the listener serves each new leaf.
renew_mail() {  # OUT: a new leaf for mail's key, from its CSR
  rm -f "$WORK/mail-renew.csr"
  ct export-csr mail -o "$WORK/mail-renew.csr" >/dev/null
  sign_csr "$WORK/mail-renew.csr" "$1" mx.test.example
}
renew_mail "$WORK/mail2.pem"
ct import-signed mail --cert "$WORK/mail2.pem" --intermediate "$WORK/pki/inter.pem" \
  --trust "$WORK/pki/root.pem" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "import-signed 2"; }
grep -q "certtool commit deploys" "$WORK/err" || fail "no note that mail is bound: $(cat "$WORK/err")"
[ "$(served_fingerprint 127.0.0.1 "$port")" = "$(cert_fingerprint "$WORK/mail.pem")" ] || fail "served before the commit"
ct changes >"$WORK/changes" 2>&1
grep -q "entry mail certificate" "$WORK/changes" || fail "the new certificate is not a pending change: $(cat "$WORK/changes")"
ct commit --comment "renewed" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "commit of the renewal"; }
[ "$(served_fingerprint 127.0.0.1 "$port")" = "$(cert_fingerprint "$WORK/mail2.pem")" ] || fail "the renewed leaf is not served"
[ "$(served_fingerprint 127.0.0.1 "$port2")" = "$(cert_fingerprint "$WORK/mail2.pem")" ] || fail "Groups does not serve the renewed leaf"
renew_mail "$WORK/mail3.pem"
ct import-signed mail --cert "$WORK/mail3.pem" --intermediate "$WORK/pki/inter.pem" \
  --trust "$WORK/pki/root.pem" --commit >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "import-signed --commit"; }
grep -q "committed revision" "$WORK/out" || fail "--commit made no revision: $(cat "$WORK/out")"
[ "$(served_fingerprint 127.0.0.1 "$port")" = "$(cert_fingerprint "$WORK/mail3.pem")" ] || fail "--commit: not served"
cp "$WORK/mail3.pem" "$WORK/mail.pem"
ok "16.5: a renewed bound certificate is a pending change; commit and --commit serve it on every listener"

# 7. A commit Postfix cannot take (an address no interface has): everything stays.
revs=$(ct history --json | grep -c '"revision"')
cp "$gw/main.cf" "$WORK/main.before"; cp "$gw/master.cf" "$WORK/master.before"
ct listener add Bad --address "192.0.2.1:$(free_port)" >/dev/null 2>&1
ct commit --comment "bad" >/dev/null 2>"$WORK/err" && fail "a commit with an unbindable listener succeeded"
grep -q "address check" "$WORK/err" || fail "the error does not name the step: $(cat "$WORK/err")"
[ "$(ct history --json | grep -c '"revision"')" = "$revs" ] || fail "a revision was recorded"
cmp -s "$gw/main.cf" "$WORK/main.before" && cmp -s "$gw/master.cf" "$WORK/master.before" || fail "files changed"
[ "$(served_fingerprint 127.0.0.1 "$port")" = "$(cert_fingerprint "$WORK/mail.pem")" ] || fail "old certificate not served"
ct abandon >/dev/null 2>&1
# ... and one Postfix rejects at the reload: the port is taken by another program after the
# check (simulated by a listener on a port in use).
busy=$(free_port)
python3 -c "import socket,time,sys; s=socket.socket(); s.bind(('127.0.0.1',$busy)); s.listen(); time.sleep(60)" &
busy_pid=$!
wait_listen "127.0.0.1:$busy"
ct listener add Busy --address "127.0.0.1:$busy" >/dev/null 2>&1
ct commit --comment "busy" >/dev/null 2>"$WORK/err" && fail "a commit with a busy port succeeded"
kill "$busy_pid" 2>/dev/null || true
grep -q "commit failed at" "$WORK/err" || fail "no step named: $(cat "$WORK/err")"
[ "$(ct history --json | grep -c '"revision"')" = "$revs" ] || fail "a revision was recorded (busy)"
[ "$(served_fingerprint 127.0.0.1 "$port")" = "$(cert_fingerprint "$WORK/mail.pem")" ] || fail "old certificate not served (busy)"
ct abandon >/dev/null 2>&1
ok "7: rejected commits restore everything and name the step: $(head -c 200 "$WORK/err")"

# 8. Rollback to revision 1 serves the demo certificate again.
ct rollback 1 --comment "back to demo" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "rollback"; }
[ "$(served_fingerprint 127.0.0.1 "$port")" = "$(cert_fingerprint "$WORK/demo.pem")" ] || fail "rollback: demo not served"
[ "$(grep -c 'BEGIN certtool managed' "$gw/master.cf")" = 1 ] || fail "master.cf: not one managed section"
ok "8: rollback serves the earlier certificate"
echo "deploy-inbound: all passed"
