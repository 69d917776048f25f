#!/usr/bin/env bash
# certtool acme issue against a real pebble (issue 17): two names proven by http-01 with
# certtool itself listening, the chain stored as the entry and verified against pebble's root
# (fetched from its management port); an existing entry is refused without --force and replaced
# with it; a failed challenge, a port in use and a missing account leave the store as it was.
# pebble resolves every name to 127.0.0.1 through pebble-challtestsrv (pebble-common.sh).
# Usage: issue.sh CERTTOOL WORKDIR
set -euo pipefail
certtool=$1
work=$2
# shellcheck source=tests/acme/pebble-common.sh
. "$(dirname "$0")/pebble-common.sh"
acme_workdir "$work"
pebble_start "$work/pebble"
pebble_root "$work/root.pem"
http=(--challenge http-01 --http-port "$PEBBLE_HTTP_PORT" --http-address 127.0.0.1)

step "no account yet: exit 7, nothing written"
rc=0
"$certtool" acme issue mx "${server[@]}" --cn mx.example.test "${http[@]}" 2>"$err" || rc=$?
[ "$rc" -eq 7 ] || fail "no account: exit $rc, expected 7: $(cat "$err")"
grep -q "certtool acme account register" "$err" || fail "no advice: $(cat "$err")"
"$certtool" acme account register "${server[@]}" --agree-tos >/dev/null

step "issue for two names through http-01: stored, and valid against pebble's root"
json=$("$certtool" acme issue mx "${server[@]}" --cn mx.example.test --san DNS:smtp.example.test \
  --key-type ec-p256 "${http[@]}" --trust "$work/root.pem" --json)
[ "$(echo "$json" | jq -r .origin)" = ca-signed ] || fail "origin: $json"
[ "$(echo "$json" | jq -r .acme.challenges_answered)" -ge 2 ] || fail "challenges: $json"
[ "$(echo "$json" | jq -r '.warnings | length')" = 0 ] || fail "warnings: $json"
echo "$json" | jq -r '.certificate.sans | join(" ")' | grep -qx "DNS:mx.example.test DNS:smtp.example.test" ||
  fail "SANs: $json"
echo "requests for one certificate: $(echo "$json" | jq -r .acme.requests)"
for host in mx.example.test smtp.example.test; do
  "$certtool" verify mx --trust "$work/root.pem" --hostname "$host" >/dev/null ||
    fail "verify mx --hostname $host"
done
"$certtool" export mx --fullchain-out "$work/mx-fullchain.pem" --key-out "$work/mx.key" >/dev/null
openssl verify -CAfile "$work/root.pem" -untrusted "$work/mx-fullchain.pem" \
  "$work/mx-fullchain.pem" >/dev/null || fail "openssl verify of the fullchain"
[ "$(openssl pkey -in "$work/mx.key" -pubout | sha256sum)" = \
  "$(openssl x509 -in "$work/mx-fullchain.pem" -pubkey -noout | sha256sum)" ] ||
  fail "the stored key is not the certificate's"

step "the entry exists: exit 8 without --force"
rc=0
"$certtool" acme issue mx "${server[@]}" --cn mx.example.test "${http[@]}" 2>"$err" || rc=$?
[ "$rc" -eq 8 ] || fail "existing entry: exit $rc, expected 8"

step "a failed challenge (nothing answers where pebble looks): one line naming the name, store unchanged"
# A name this account never validated: pebble may reuse a valid authorization even with
# PEBBLE_AUTHZREUSE=0 (it reuses when rand.Intn(100) is not above the percentage: 1 in 100).
before=$(store_snapshot)
wrong=(--challenge http-01 --http-port "$(free_port)" --http-address 127.0.0.1)
rc=0
"$certtool" acme issue mx "${server[@]}" --cn mx2.example.test --force "${wrong[@]}" 2>"$err" ||
  rc=$?
[ "$rc" -eq 3 ] || fail "failed challenge: exit $rc, expected 3"
cat "$err"
one_line "$(cat "$err")"
grep -q "^certtool: error: http-01 challenge for dns:mx2.example.test failed: urn:ietf:params:acme:error:connection: " "$err" ||
  fail "failed challenge: unclear error: $(cat "$err")"
[ "$(store_snapshot)" = "$before" ] || fail "the store changed after a failed challenge"
rc=0
"$certtool" acme issue other "${server[@]}" --cn other.example.test "${wrong[@]}" 2>"$err" || rc=$?
[ "$rc" -eq 3 ] || fail "failed challenge (new entry): exit $rc"
[ "$(store_snapshot)" = "$before" ] || fail "an entry was stored after a failed challenge"

step "the port cannot be listened on: exit 3 before any order"
rc=0
"$certtool" acme issue other "${server[@]}" --cn other.example.test --challenge http-01 \
  --http-port "${PEBBLE_MGMT##*:}" --http-address 127.0.0.1 2>"$err" || rc=$?
[ "$rc" -eq 3 ] || fail "port in use: exit $rc, expected 3"
grep -q "cannot listen on 127.0.0.1:${PEBBLE_MGMT##*:} for the http-01 challenge" "$err" ||
  fail "port in use: unclear error: $(cat "$err")"
[ "$(store_snapshot)" = "$before" ] || fail "the store changed"

step "--force replaces the entry: a new key and certificate"
old_serial=$("$certtool" show mx --json | jq -r .certificate.serial)
"$certtool" acme issue mx "${server[@]}" --cn mx.example.test --force --key-type rsa2048 \
  "${http[@]}" --trust "$work/root.pem" >/dev/null
json=$("$certtool" show mx --json)
[ "$(echo "$json" | jq -r .certificate.serial)" != "$old_serial" ] || fail "same certificate"
[ "$(echo "$json" | jq -r .key)" = "RSA 2048" ] || fail "key: $json"
"$certtool" verify mx --trust "$work/root.pem" >/dev/null || fail "verify after --force"

pebble_stop
echo "acme issue: ok"
