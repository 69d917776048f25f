#!/usr/bin/env bash
# badNonce (RFC 8555 6.5) against pebble rejecting good nonces (issue 17): at 50 % every request
# still succeeds, retried with the nonce of each error; at 100 % the retries stop at their bound
# with a clear error.
# Usage: bad-nonce.sh CERTTOOL WORKDIR
set -euo pipefail
certtool=$1
work=$2
# shellcheck source=tests/acme/pebble-common.sh
. "$(dirname "$0")/pebble-common.sh"
acme_workdir "$work"

step "PEBBLE_WFE_NONCEREJECT=50: register and 12 lookups succeed, with retries"
PEBBLE_WFE_NONCEREJECT=50 pebble_start "$work/pebble50"
json=$("$certtool" acme account register "${server[@]}" --agree-tos --json)
retries=$(echo "$json" | jq -r .bad_nonce_retries)
url=$(echo "$json" | jq -r .url)
for _ in $(seq 12); do
  json=$("$certtool" acme account show "${server[@]}" --json) || fail "show failed"
  [ "$(echo "$json" | jq -r .url)" = "$url" ] || fail "show: $json"
  retries=$((retries + $(echo "$json" | jq -r .bad_nonce_retries)))
done
echo "badNonce retries over 13 commands: $retries"
[ "$retries" -gt 0 ] || fail "no badNonce was retried at 50 % (pebble rejects none?)"
pebble_stop

step "PEBBLE_WFE_NONCEREJECT=100: the retries stop at their bound, exit 3"
PEBBLE_WFE_NONCEREJECT=100 pebble_start "$work/pebble100"
rc=0
"$certtool" acme account register "${server[@]}" --agree-tos --store "$work/store100" 2>"$err" ||
  rc=$?
[ "$rc" -eq 3 ] || fail "always badNonce: exit $rc, expected 3"
cat "$err"
one_line "$(cat "$err")"
grep -q "urn:ietf:params:acme:error:badNonce: .*(after 16 retries with fresh nonces)" "$err" ||
  fail "always badNonce: unclear error: $(cat "$err")"

pebble_stop
echo "acme bad-nonce: ok"
