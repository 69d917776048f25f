#!/usr/bin/env bash
# certtool acme account register|show|deactivate against a real pebble (issue 17): the account
# URL, the key file (0600) and the same account on a second register, show, a key type the CA
# refuses, deactivate then show, and the failures that come before any account: an unreachable
# server, an HTTPS certificate that is not trusted, a URL that is not https://.
# Usage: account.sh CERTTOOL WORKDIR
set -euo pipefail
certtool=$1
work=$2
# shellcheck source=tests/acme/pebble-common.sh
. "$(dirname "$0")/pebble-common.sh"
acme_workdir "$work"
pebble_start "$work/pebble"

step "an unreachable server: a network error naming the URL, exit 3, nothing written"
closed=https://127.0.0.1:$(free_port)/dir
rc=0
"$certtool" acme account register --server "$closed" --agree-tos 2>"$err" || rc=$?
[ "$rc" -eq 3 ] || fail "unreachable server: exit $rc, expected 3"
one_line "$(cat "$err")"
grep -q "^certtool: error: cannot fetch the ACME directory: GET $closed: .*onnect" "$err" ||
  fail "unreachable server: unclear error: $(cat "$err")"
[ ! -e "$CERTTOOL_HOME" ] || fail "the store was created for an unreachable server"

step "pebble's HTTPS certificate is not trusted without --ca-bundle: refused, exit 3"
rc=0
"$certtool" acme account register --server "$PEBBLE_URL" --agree-tos 2>"$err" || rc=$?
[ "$rc" -eq 3 ] || fail "untrusted server: exit $rc, expected 3"
one_line "$(cat "$err")"
grep -q "not trusted.*--ca-bundle" "$err" || fail "untrusted server: unclear error: $(cat "$err")"
[ ! -e "$CERTTOOL_HOME/acme" ] || fail "an account was written for an untrusted server"

step "http:// is not ACME: a usage error, exit 2"
rc=0
"$certtool" acme account register --server "http://127.0.0.1:1/dir" --agree-tos 2>"$err" || rc=$?
[ "$rc" -eq 2 ] || fail "http:// server: exit $rc, expected 2"

step "register: the account URL is printed, the key file is 0600 in 0700 directories"
out=$("$certtool" acme account register "${server[@]}" --agree-tos --email postmaster@example.com)
echo "$out"
url=$(echo "$out" | sed -n 's/^registered ACME account \(https:[^ ]*\)$/\1/p')
case $url in
  https://127.0.0.1:*/my-account/*) ;;
  *) fail "no account URL in: $out" ;;
esac
files=("$CERTTOOL_HOME"/acme/accounts/*.json)
[ "${#files[@]}" -eq 1 ] || fail "expected one account file: ${files[*]}"
key_file=${files[0]}
[ "$(stat -c %a "$key_file")" = 600 ] || fail "account file mode $(stat -c %a "$key_file")"
for d in "$CERTTOOL_HOME" "$CERTTOOL_HOME/acme" "$CERTTOOL_HOME/acme/accounts"; do
  [ "$(stat -c %a "$d")" = 700 ] || fail "$d mode $(stat -c %a "$d")"
done
grep -q "BEGIN PRIVATE KEY" "$key_file" || fail "no key in $key_file"
echo "$out" | grep -q "file:    $key_file" || fail "the file is not named: $out"

step "register again: the same account (created false)"
json=$("$certtool" acme account register "${server[@]}" --agree-tos --json)
[ "$(echo "$json" | jq -r .url)" = "$url" ] || fail "another account: $json"
[ "$(echo "$json" | jq -r .created)" = false ] || fail "created again: $json"
[ "$(echo "$json" | jq -r .contact[0])" = mailto:postmaster@example.com ] || fail "contact: $json"

step "show: the server knows the account"
json=$("$certtool" acme account show "${server[@]}" --json)
[ "$(echo "$json" | jq -r .url)" = "$url" ] || fail "show: another URL: $json"
[ "$(echo "$json" | jq -r .status)" = valid ] || fail "show: status: $json"
[ "$(echo "$json" | jq -r .key)" = "EC P-256" ] || fail "show: key: $json"
[ "$(echo "$json" | jq -r '.key_thumbprint | length')" = 43 ] || fail "show: thumbprint: $json"
"$certtool" acme account show "${server[@]}" | grep -q "^  status:  valid$" || fail "show: text"

step "a store without an account for the server: show is exit 7 and says how to register"
rc=0
"$certtool" acme account show "${server[@]}" --store "$work/empty" 2>"$err" || rc=$?
[ "$rc" -eq 7 ] || fail "show without account: exit $rc, expected 7"
grep -q "certtool acme account register --server $PEBBLE_URL --agree-tos" "$err" ||
  fail "no advice: $(cat "$err")"

step "ed25519: pebble accepts no EdDSA signature; its refusal is one line, exit 3"
other=$work/other
rc=0
"$certtool" acme account register "${server[@]}" --agree-tos --key-type ed25519 --store "$other" \
  2>"$err" || rc=$?
[ "$rc" -eq 3 ] || fail "ed25519: exit $rc, expected 3"
one_line "$(cat "$err")"
grep -q "the ACME server refused (HTTP 400): urn:ietf:params:acme:error:badPublicKey: " "$err" ||
  fail "ed25519: unclear error: $(cat "$err")"
step "... and the key pebble never accepted gives way to the type asked for next"
json=$("$certtool" acme account register "${server[@]}" --agree-tos --key-type rsa2048 \
  --store "$other" --json)
[ "$(echo "$json" | jq -r .key)" = "RSA 2048" ] || fail "rsa2048: $json"
[ "$(echo "$json" | jq -r .created)" = true ] || fail "rsa2048: not created: $json"
[ "$(echo "$json" | jq -r .url)" != "$url" ] || fail "rsa2048: the first account's URL: $json"

step "deactivate, then show reports deactivated"
"$certtool" acme account deactivate "${server[@]}" | grep -q "^ACME account $url is deactivated" ||
  fail "deactivate: no confirmation"
json=$("$certtool" acme account show "${server[@]}" --json)
[ "$(echo "$json" | jq -r .status)" = deactivated ] || fail "show after deactivate: $json"
[ "$(jq -r .status "$key_file")" = deactivated ] || fail "the store does not record it"
"$certtool" acme account deactivate "${server[@]}" >/dev/null || fail "deactivate twice"

step "register after deactivate: a new key and a new account"
json=$("$certtool" acme account register "${server[@]}" --agree-tos --json)
[ "$(echo "$json" | jq -r .created)" = true ] || fail "not created: $json"
[ "$(echo "$json" | jq -r .url)" != "$url" ] || fail "the deactivated account again: $json"
[ "$(echo "$json" | jq -r .status)" = valid ] || fail "status: $json"
[ "$(stat -c %a "$key_file")" = 600 ] || fail "account file mode $(stat -c %a "$key_file")"

pebble_stop
echo "acme account: ok"
