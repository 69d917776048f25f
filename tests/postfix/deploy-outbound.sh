#!/usr/bin/env bash
# Issue 14, tests 5 and 6: a gateway instance delivers through transport maps to two receiver
# instances, one with TLS (a test-CA certificate, asking for client certificates), one plaintext.
# Postfix looks TLS policies up by next hop, so each domain's transport keeps the domain as the
# next hop (rx-tls: / rx-clear:, a port each) and the gateway resolves the domains to 127.0.0.1
# through its own /etc/hosts, bind-mounted in a private mount namespace (unshare -m).
# Usage: deploy-outbound.sh CERTTOOL WORKDIR
CERTTOOL=$1
WORK=$2
rm -rf "$WORK" && mkdir -p "$WORK" && chmod 0755 "$WORK"
WORK=$(cd "$WORK" && pwd)
# shellcheck source=tests/postfix/deploy-common.sh
. "$(dirname "$0")/deploy-common.sh"
command -v unshare >/dev/null || { echo "unshare (util-linux) is missing" >&2; exit 3; }
make_ca
tls_port=$(free_port); clear_port=$(free_port); gw_port=$(free_port)

# Receivers: tls.example with TLS and a test-CA certificate, asking for a client certificate;
# clear.example (and strict.example) without TLS. Both discard what they accept.
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=tls.example \
  -keyout "$WORK/rx.key" -out "$WORK/rx.csr" 2>/dev/null
sign_csr "$WORK/rx.csr" "$WORK/rx.pem" tls.example
chmod 600 "$WORK/rx.key"
new_instance rxtls "mydestination = tls.example" "local_transport = discard:silently" \
  "smtpd_tls_security_level = may" "smtpd_tls_chain_files = $WORK/rx.key, $WORK/rx.pem, $WORK/pki/inter.pem" \
  "smtpd_tls_ask_ccert = yes" "smtpd_tls_CAfile = $WORK/pki/root.pem" "smtpd_tls_loglevel = 2"
echo "127.0.0.1:$tls_port inet n - n - - smtpd" >> "$WORK/rxtls/master.cf"
new_instance rxclear "mydestination = clear.example, strict.example" "local_transport = discard:silently" \
  "smtpd_tls_security_level = none"
echo "127.0.0.1:$clear_port inet n - n - - smtpd" >> "$WORK/rxclear/master.cf"
start_instance "$WORK/rxtls"; start_instance "$WORK/rxclear"

gw=$WORK/gw
new_instance gw "relay_domains = tls.example, clear.example, strict.example" \
  "transport_maps = inline:{ tls.example=rx-tls:, clear.example=rx-clear:, strict.example=rx-clear: }" \
  "smtp_dns_support_level = disabled" "smtp_host_lookup = native" "smtp_tls_loglevel = 1"
cat >> "$gw/master.cf" <<MASTER
127.0.0.1:$gw_port inet n - n - - smtpd
rx-tls unix - - n - - smtp -o smtp_tcp_port=$tls_port
rx-clear unix - - n - - smtp -o smtp_tcp_port=$clear_port
MASTER
printf '127.0.0.1 localhost\n127.0.0.1 tls.example clear.example strict.example\n' > "$WORK/hosts"
unshare -m sh -c "mount --bind '$WORK/hosts' /etc/hosts && postfix -c '$gw' start" >/dev/null 2>&1 ||
  fail "the gateway did not start in its mount namespace"
for p in $tls_port $clear_port $gw_port; do wait_listen "127.0.0.1:$p"; done

ca_entry client gw.test.example
ct target postfix --config-dir "$gw" --trust "$WORK/pki/root.pem" >/dev/null 2>&1
ct destination set strict.example --tls required >/dev/null 2>&1
ct destination set tls.example --tls required-verify >/dev/null 2>&1
ct destination default --tls none >/dev/null 2>&1
ct outbound set --certificate client >/dev/null 2>&1
ct commit --comment "outbound" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "commit"; }

for to in u@tls.example u@clear.example u@strict.example; do
  swaks --server 127.0.0.1 --port "$gw_port" --from s@gw.example --to "$to" --silent 2 >/dev/null ||
    fail "the gateway refused mail to $to"
done
for _ in $(seq 300); do
  [ "$(grep -cE 'status=(sent|deferred)' "$gw/maillog" 2>/dev/null || true)" -ge 3 ] && break
  sleep 0.1
done
sleep 0.5
ct mail-log --json "$gw/maillog" > "$WORK/report.json" || true
python3 - "$WORK/report.json" <<'PY' || fail "mail-log report: $(cat "$WORK/report.json")"
import json, sys
r = json.load(open(sys.argv[1]))["outbound"]["domains"]
assert r["tls.example"]["tls_success"] >= 1, r
assert r["clear.example"]["no_tls"] >= 1, r
assert r["strict.example"]["tls_failed"] >= 1, r
PY
grep -q "Verified TLS connection established to tls.example" "$gw/maillog" || fail "not Verified: $(grep tls.example "$gw/maillog" | tail -3)"
grep -q "to=<u@strict.example>.*status=deferred" "$gw/maillog" || fail "strict.example not deferred"
grep -q "to=<u@clear.example>.*status=sent" "$gw/maillog" || fail "clear.example not sent"
ok "5: Required to plaintext deferred, Required-Verify delivered Verified, default None in clear"

ct export client --cert-out "$WORK/client-export.pem" >/dev/null
want=$(cert_fingerprint "$WORK/client-export.pem")
grep -q "Trusted TLS connection established from .*client-signature" "$WORK/rxtls/maillog" ||
  fail "the receiver verified no client certificate: $(grep -i 'connection established' "$WORK/rxtls/maillog" | tail -2)"
grep -q "subject_CN=gw.test.example.*fingerprint=$want" "$WORK/rxtls/maillog" ||
  fail "the receiver did not log the bound certificate ($want): $(grep -i 'subject_CN' "$WORK/rxtls/maillog" | tail -2)"
ok "6: the receiver asked for, verified and logged the bound outbound certificate (sha256 $want)"

# Issue 15: without `target postfix --trust`, Required-Verify uses the store's CA list. The test
# root is in no list (the system list is a generated bundle without it): delivery is deferred;
# `ca import` of the root is a change a commit deploys (nothing else staged), then it is Verified.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=other-root \
  -keyout "$WORK/other.key" -out "$WORK/system.pem" 2>/dev/null
export SSL_CERT_FILE=$WORK/system.pem
ct target postfix --config-dir "$gw" >/dev/null 2>&1
ct commit --comment "store CA list" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "commit without --trust"; }
rev=$(ct history --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["revisions"][-1]["revision"])')
trust=$gw/certtool/rev-$rev/trust.pem
[ -f "$trust" ] || fail "no $trust"
grep -q "smtp_tls_CAfile = $trust" "$gw/main.cf" || fail "smtp_tls_CAfile is not the revision's trust.pem"
[ "$(openssl x509 -in "$trust" -noout -subject)" = "subject=CN = other-root" ] ||
  fail "trust.pem is not the effective list: $(openssl x509 -in "$trust" -noout -subject)"
delivered() {  # RCPT STATUS: waits until the gateway's log has RCPT with STATUS
  for _ in $(seq 300); do
    grep -q "to=<$1>.*status=$2" "$gw/maillog" && return 0
    sleep 0.1
  done
  return 1
}
swaks --server 127.0.0.1 --port "$gw_port" --from s@gw.example --to u2@tls.example --silent 2 >/dev/null ||
  fail "the gateway refused mail to u2@tls.example"
delivered u2@tls.example deferred || fail "Required-Verify delivered to an untrusted peer: $(grep u2@ "$gw/maillog" | tail -2)"
ct changes >"$WORK/changes" 2>&1
grep -q "no changes" "$WORK/changes" || fail "changes before the CA import: $(cat "$WORK/changes")"
ct ca import "$WORK/pki/root.pem" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "ca import"; }
ct changes >"$WORK/changes" 2>&1
grep -q "CA list" "$WORK/changes" || fail "the CA import is not a pending change: $(cat "$WORK/changes")"
ct commit --comment "CA imported" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "commit after ca import"; }
rev2=$(ct history --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["revisions"][-1]["revision"])')
[ "$rev2" = $((rev + 1)) ] || fail "the CA import did not make a revision"
grep -q "certtool-test-root" <(openssl crl2pkcs7 -nocrl -certfile "$gw/certtool/rev-$rev2/trust.pem" | openssl pkcs7 -print_certs -noout) ||
  fail "the committed trust.pem lacks the imported root"
ct commit >/dev/null 2>"$WORK/err" && fail "a second commit with nothing changed succeeded"
postqueue -c "$gw" -f
delivered u2@tls.example sent || fail "not delivered after the CA import: $(grep u2@ "$gw/maillog" | tail -2)"
grep -q "Verified TLS connection established to tls.example" "$gw/maillog" || fail "not Verified after the CA import"
unset SSL_CERT_FILE
ok "15: Required-Verify without --trust uses the store's CA list; a CA import alone is committed and deployed"
echo "deploy-outbound: all passed"
