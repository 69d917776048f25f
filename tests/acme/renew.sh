#!/usr/bin/env bash
# certtool acme renew and revoke against a real pebble (issue 17): the settings remembered at
# issue make `acme renew NAME` need no options; not due is a no-op; --force with the same key
# and with a new one; overrides remembered; a renewal of an entry bound to a file target is
# committed (the file and its reload), --no-commit leaves it pending; --all renews each entry
# with its own challenge; the systemd unit's ExecStart runs as shipped; a failing renewal leaves
# the entry as it was; revoke (pebble's records say Revoked; keyCompromise signed with the
# certificate's key) makes the entry due at once; --preferred-chain picks pebble's alternate.
# Usage: renew.sh CERTTOOL WORKDIR
set -euo pipefail
certtool=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/acme/pebble-common.sh
. "$here/pebble-common.sh"
acme_workdir "$work"
PEBBLE_ALTERNATE_ROOTS=1 pebble_start "$work/pebble"
pebble_root "$work/root0.pem" 0
pebble_root "$work/root1.pem" 1
cat "$work/root0.pem" "$work/root1.pem" >"$work/roots.pem"
http=(--challenge http-01 --http-port "$PEBBLE_HTTP_PORT" --listen-address 127.0.0.1)
serial() { "$certtool" show "$1" --json | jq -r .certificate.serial; }
pubkey() { "$certtool" export "$1" --cert-out - 2>/dev/null | openssl x509 -pubkey -noout | sha256sum; }
"$certtool" acme account register "${server[@]}" --agree-tos >/dev/null

step "issue mx (http-01) and alpn (tls-alpn-01); the settings are remembered"
"$certtool" acme issue mx "${server[@]}" --cn mx.example.test --san DNS:smtp.example.test \
  "${http[@]}" --key-type ec-p256 >/dev/null 2>&1
"$certtool" acme issue alpn "${server[@]}" --cn alpn.example.test --challenge tls-alpn-01 \
  --tls-port "$PEBBLE_TLS_PORT" --listen-address 127.0.0.1 >/dev/null 2>&1
[ "$(jq -r .challenge.type "$CERTTOOL_HOME/acme/entries/mx.json")" = http-01 ] || fail "mx settings"
[ "$(jq -r .challenge.type "$CERTTOOL_HOME/acme/entries/alpn.json")" = tls-alpn-01 ] ||
  fail "alpn settings"
[ "$(stat -c %a "$CERTTOOL_HOME/acme/entries/mx.json")" = 600 ] || fail "settings mode"

step "not due (pebble's 5-year certificates, a third of the lifetime rule): nothing changes"
before=$(store_snapshot)
out=$("$certtool" acme renew mx)
echo "$out" | grep -q "^'mx' is not due: more than a third of its lifetime is left: due from " ||
  fail "not due: $out"
[ "$(store_snapshot)" = "$before" ] || fail "a renewal that was not due changed the store"

step "--force --reuse-key: a new certificate for the same key, the names kept"
old=$(serial mx)
key=$(pubkey mx)
json=$("$certtool" acme renew mx --force --reuse-key --trust "$work/roots.pem" --json)
[ "$(echo "$json" | jq -r '.entries[0].renewed')" = true ] || fail "renewed: $json"
[ "$(serial mx)" != "$old" ] || fail "same certificate after renew"
[ "$(pubkey mx)" = "$key" ] || fail "--reuse-key changed the key"
"$certtool" show mx --json | jq -r '.certificate.sans | join(" ")' |
  grep -qx "DNS:mx.example.test DNS:smtp.example.test" || fail "names after renew"
[ "$(jq -r .reuse_key "$CERTTOOL_HOME/acme/entries/mx.json")" = true ] || fail "reuse not remembered"

step "--force again: the remembered --reuse-key holds; --new-key makes a new key"
"$certtool" acme renew mx --force >/dev/null 2>&1
[ "$(pubkey mx)" = "$key" ] || fail "the remembered --reuse-key was not used"
"$certtool" acme renew mx --force --new-key >/dev/null 2>&1
[ "$(pubkey mx)" != "$key" ] || fail "--new-key kept the key"

step "bound to a file target: the renewal is committed (file rewritten, reload run)"
"$certtool" target files relay --certificate mx --fullchain "$work/relay-fullchain.pem" \
  --key "$work/relay.key" --reload "echo reloaded >>'$work/reloads'" >/dev/null
"$certtool" commit --comment "relay gets mx" >/dev/null
[ "$(wc -l <"$work/reloads")" = 1 ] || fail "first commit did not reload"
"$certtool" acme renew mx --force >"$work/out" 2>&1
grep -q "^committed revision 2" "$work/out" || fail "no commit: $(cat "$work/out")"
[ "$(wc -l <"$work/reloads")" = 2 ] || fail "the renewal was not deployed (reload)"
[ "$(openssl x509 -in "$work/relay-fullchain.pem" -noout -serial | cut -d= -f2)" = \
  "$(serial mx | tr -d ':' | tr 'a-f' 'A-F')" ] || fail "the file target has not the new leaf"

step "--no-commit: stored, the deployment pending until certtool commit"
"$certtool" acme renew mx --force --no-commit >"$work/out" 2>&1
grep -q "'mx' is bound to .*certtool commit deploys" "$work/out" || fail "no note: $(cat "$work/out")"
[ "$(wc -l <"$work/reloads")" = 2 ] || fail "--no-commit reloaded"
"$certtool" changes | grep -q "store entry mx certificate" || fail "changes does not show it"
"$certtool" commit >/dev/null
[ "$(wc -l <"$work/reloads")" = 3 ] || fail "commit did not deploy"

step "a renewal that fails (nothing answers the challenge): exit 3, the entry as it was"
# With names this account never validated, so that pebble cannot reuse a valid authorization
# (it may even with PEBBLE_AUTHZREUSE=0: tests/acme/issue.sh); no override is remembered.
before=$(store_snapshot)
rc=0
"$certtool" acme renew mx --force --http-port "$(free_port)" --cn mx-renamed.example.test \
  --san DNS:smtp-renamed.example.test 2>"$err" || rc=$?
[ "$rc" -eq 3 ] || fail "failed renewal: exit $rc"
grep -Eq "http-01 challenge for dns:(mx|smtp)-renamed.example.test failed" "$err" ||
  fail "unclear: $(cat "$err")"
[ "$(store_snapshot)" = "$before" ] || fail "a failed renewal changed the store (the override was remembered?)"

step "the systemd unit's ExecStart as shipped: acme renew --all, nothing due, exit 0"
exec_start=$(sed -n 's/^ExecStart=//p' "$here/../../examples/systemd/certtool-acme-renew.service")
[ "${exec_start%% *}" = /opt/certtool/bin/certtool ] || fail "ExecStart: $exec_start"
before=$(store_snapshot)
out=$("$certtool" ${exec_start#* })
echo "$out" | grep -q "'alpn' is not due" || fail "--all: $out"
echo "$out" | grep -q "'mx' is not due" || fail "--all: $out"
[ "$(store_snapshot)" = "$before" ] || fail "--all changed the store with nothing due"

step "revoke mx (superseded): pebble records it, and --all renews mx alone, at once"
rserial=$(serial mx)
"$certtool" acme revoke mx --reason superseded >/dev/null 2>&1
[ "$(pebble_cert_status "$rserial")" = Revoked ] || fail "pebble does not say Revoked"
alpn_serial=$(serial alpn)
json=$("$certtool" acme renew --all --json 2>/dev/null)
[ "$(echo "$json" | jq -r '.entries[] | select(.name=="mx") | .reason')" = \
  "the certificate was revoked" ] || fail "--all after revoke: $json"
[ "$(serial mx)" != "$rserial" ] || fail "the revoked certificate was not renewed"
[ "$(serial alpn)" = "$alpn_serial" ] || fail "alpn was renewed too"
[ "$(echo "$json" | jq -r .committed_revision)" != null ] || fail "not committed: $json"

step "revoke keyCompromise: signed with the certificate's own key"
kserial=$(serial alpn)
json=$("$certtool" acme revoke alpn --reason keyCompromise --json 2>/dev/null)
[ "$(echo "$json" | jq -r .signed_with_certificate_key)" = true ] || fail "revoke: $json"
[ "$(pebble_cert_status "$kserial")" = Revoked ] || fail "pebble does not say Revoked"
rc=0
"$certtool" acme revoke alpn --reason keyCompromise 2>"$err" || rc=$?
[ "$rc" -eq 3 ] || fail "revoking twice: exit $rc"
one_line "$(cat "$err")"
grep -q "already revoked\|alreadyRevoked" "$err" || fail "revoking twice: $(cat "$err")"

step "--preferred-chain: pebble's alternate chain, up to its second root"
cn1=$(openssl x509 -in "$work/root1.pem" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= //p')
"$certtool" acme renew mx --force --preferred-chain "$cn1" >/dev/null 2>&1
"$certtool" verify mx --trust "$work/root1.pem" >/dev/null || fail "not the alternate chain"
rc=0
"$certtool" verify mx --trust "$work/root0.pem" >/dev/null 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "the chain also verifies against the default root"
[ "$(jq -r .preferred_chain "$CERTTOOL_HOME/acme/entries/mx.json")" = "$cn1" ] || fail "not remembered"
"$certtool" acme renew mx --force --preferred-chain default >/dev/null 2>&1
"$certtool" verify mx --trust "$work/root0.pem" >/dev/null || fail "'default' did not restore the CA's chain"

step "an entry that was not issued through ACME: exit 7 with what to do"
"$certtool" create-selfsigned local --cn local.example.test >/dev/null
rc=0
"$certtool" acme renew local 2>"$err" || rc=$?
[ "$rc" -eq 7 ] || fail "non-ACME entry: exit $rc"
grep -q "was not issued through certtool acme: give --server and --challenge" "$err" ||
  fail "unclear: $(cat "$err")"
# With them, the self-signed entry moves to the CA: its names kept, its settings remembered.
"$certtool" acme renew local --force "${server[@]}" "${http[@]}" --no-commit >/dev/null 2>&1 ||
  fail "renew local through ACME"
"$certtool" verify local --trust "$work/roots.pem" --hostname local.example.test >/dev/null ||
  fail "local is not the CA's now"
[ "$("$certtool" show local --json | jq -r .origin)" = ca-signed ] || fail "local's origin"
[ "$(jq -r .common_name "$CERTTOOL_HOME/acme/entries/local.json")" = local.example.test ] ||
  fail "local's settings"

step "backup and restore carry the ACME account (its key encrypted) and the entries' settings"
printf 'backup-pass\n' >"$work/pass"
json=$("$certtool" backup -o "$work/store.backup" --password-file "$work/pass" --json)
[ "$(echo "$json" | jq -r '.acme_entries | join(" ")')" = "alpn local mx" ] || fail "backup: $json"
[ "$(echo "$json" | jq -r '.acme_accounts | length')" = 1 ] || fail "backup: $json"
grep -q "BEGIN PRIVATE KEY" "$work/store.backup" && fail "a key in the backup is not encrypted"
account_key=$(jq -r .key "$CERTTOOL_HOME"/acme/accounts/*.json | openssl pkey -pubout | sha256sum)
restored=$work/restored
CERTTOOL_HOME=$restored "$certtool" restore "$work/store.backup" --password-file "$work/pass" \
  >/dev/null 2>&1
[ "$(jq -r .key "$restored"/acme/accounts/*.json | openssl pkey -pubout | sha256sum)" = \
  "$account_key" ] || fail "the restored account key differs"
[ "$(stat -c %a "$restored"/acme/accounts/*.json)" = 600 ] || fail "restored account file mode"
cmp -s "$CERTTOOL_HOME/acme/entries/mx.json" "$restored/acme/entries/mx.json" ||
  fail "mx's settings differ after restore"
# The restored store renews with no option: the account and the settings came back.
CERTTOOL_HOME=$restored "$certtool" acme renew mx --force --no-commit >/dev/null 2>&1 ||
  fail "the restored store cannot renew"
rc=0
CERTTOOL_HOME=$restored "$certtool" restore "$work/store.backup" --password-file "$work/pass" \
  2>"$err" || rc=$?
[ "$rc" -eq 8 ] || fail "restore over a store with an ACME account: exit $rc"

step "an entry deleted from the store: --all skips its settings with a note"
"$certtool" delete alpn --force >/dev/null
out=$("$certtool" acme renew --all 2>&1) || fail "--all after a delete: $out"
echo "$out" | grep -q "'alpn' was deleted from the store: its ACME settings are skipped" ||
  fail "--all after a delete: $out"

pebble_stop
echo "acme renew: ok"
