#!/usr/bin/env bash
# External Account Binding against a pebble that requires it (issue 17): without a binding the
# command says what is needed, a wrong HMAC key or kid is the CA's refusal in one line naming
# its problem type, the right one registers.
# Usage: eab.sh CERTTOOL WORKDIR
set -euo pipefail
certtool=$1
work=$2
# shellcheck source=tests/acme/pebble-common.sh
. "$(dirname "$0")/pebble-common.sh"
acme_workdir "$work"
pebble_start "$work/pebble" eab
printf '%s\n' "$PEBBLE_EAB_KEY" >"$work/kid-1.key"
printf '%s\n' "$PEBBLE_EAB_KEY2" >"$work/kid-2.key"  # a real key, of another kid
printf 'not base64url!\n' >"$work/garbage.key"

step "the server requires a binding: without one, a usage error naming the options"
rc=0
"$certtool" acme account register "${server[@]}" --agree-tos 2>"$err" || rc=$?
[ "$rc" -eq 2 ] || fail "no binding: exit $rc, expected 2"
one_line "$(cat "$err")"
grep -q "requires External Account Binding: pass --eab-kid KID and --eab-hmac-file FILE" "$err" ||
  fail "no binding: unclear error: $(cat "$err")"

step "--eab-kid without --eab-hmac-file: a usage error"
rc=0
"$certtool" acme account register "${server[@]}" --agree-tos --eab-kid kid-1 2>"$err" || rc=$?
[ "$rc" -eq 2 ] || fail "kid alone: exit $rc, expected 2"

step "an HMAC key file that is not base64url: exit 4"
rc=0
"$certtool" acme account register "${server[@]}" --agree-tos --eab-kid kid-1 \
  --eab-hmac-file "$work/garbage.key" 2>"$err" || rc=$?
[ "$rc" -eq 4 ] || fail "garbage key: exit $rc, expected 4: $(cat "$err")"

step "the wrong HMAC key: the CA's refusal, one line with its problem type, exit 3"
rc=0
"$certtool" acme account register "${server[@]}" --agree-tos --eab-kid kid-1 \
  --eab-hmac-file "$work/kid-2.key" 2>"$err" || rc=$?
[ "$rc" -eq 3 ] || fail "wrong key: exit $rc, expected 3"
cat "$err"
one_line "$(cat "$err")"
grep -qE "^certtool: error: newAccount at $PEBBLE_URL: the ACME server refused \(HTTP 4[0-9][0-9]\): urn:ietf:params:acme:error:[A-Za-z]+: .+" "$err" ||
  fail "wrong key: unclear error: $(cat "$err")"
if grep -q "$PEBBLE_EAB_KEY2" "$err"; then
  fail "the HMAC key is in the error"
fi

step "an unknown kid: refused too"
rc=0
"$certtool" acme account register "${server[@]}" --agree-tos --eab-kid kid-9 \
  --eab-hmac-file "$work/kid-1.key" 2>"$err" || rc=$?
[ "$rc" -eq 3 ] || fail "unknown kid: exit $rc, expected 3"
cat "$err"
grep -q "urn:ietf:params:acme:error:" "$err" || fail "unknown kid: unclear error: $(cat "$err")"

step "the right binding registers, and show remembers it"
json=$("$certtool" acme account register "${server[@]}" --agree-tos --eab-kid kid-1 \
  --eab-hmac-file "$work/kid-1.key" --email eab@example.com --json)
[ "$(echo "$json" | jq -r .created)" = true ] || fail "not created: $json"
[ "$(echo "$json" | jq -r .eab_kid)" = kid-1 ] || fail "eab_kid: $json"
if grep -rq "$PEBBLE_EAB_KEY" "$CERTTOOL_HOME"; then
  fail "the HMAC key was written into the store"
fi
json=$("$certtool" acme account show "${server[@]}" --json)
[ "$(echo "$json" | jq -r .status)" = valid ] || fail "show: $json"
[ "$(echo "$json" | jq -r .eab_kid)" = kid-1 ] || fail "show: eab_kid: $json"

pebble_stop
echo "acme eab: ok"
