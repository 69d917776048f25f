#!/usr/bin/env bash
# certtool acme issue through the other challenges, against a real pebble (issue 17):
# tls-alpn-01 answered by certtool's own TLS listener, dns-01 through a hook that adds and
# removes TXT records in pebble-challtestsrv (the DNS pebble asks), a wildcard name with it,
# webroot with a real nginx serving the document root on the port pebble validates. Each chain
# verifies against pebble's root; what a challenge leaves behind (webroot files, TXT records) is
# removed; a wrong token served, a failing hook, a missing webroot and a wildcard without dns-01
# change nothing.
# Usage: challenges.sh CERTTOOL WORKDIR
set -euo pipefail
certtool=$1
work=$2
# shellcheck source=tests/acme/pebble-common.sh
. "$(dirname "$0")/pebble-common.sh"
acme_workdir "$work"
pebble_start "$work/pebble"
pebble_root "$work/root.pem"
"$certtool" acme account register "${server[@]}" --agree-tos >/dev/null

verified() {  # NAME HOST...: the entry's chain verifies against pebble's root for each HOST
  local name=$1 host
  shift
  for host in "$@"; do
    "$certtool" verify "$name" --trust "$work/root.pem" --hostname "$host" >/dev/null ||
      fail "verify $name --hostname $host"
  done
  "$certtool" export "$name" --fullchain-out "$work/$name-full.pem" --force >/dev/null
  openssl verify -CAfile "$work/root.pem" -untrusted "$work/$name-full.pem" "$work/$name-full.pem" \
    >/dev/null || fail "openssl verify of $name's fullchain"
}

step "tls-alpn-01 for two names: certtool answers on pebble's TLS port with acme-tls/1"
json=$("$certtool" acme issue alpn "${server[@]}" --cn alpn.example.test \
  --san DNS:alpn2.example.test --challenge tls-alpn-01 --tls-port "$PEBBLE_TLS_PORT" \
  --listen-address 127.0.0.1 --trust "$work/root.pem" --json)
[ "$(echo "$json" | jq -r .acme.authorizations)" = 2 ] || fail "authorizations: $json"
[ "$(echo "$json" | jq -r .acme.challenges_answered)" -ge 2 ] || fail "handshakes: $json"
verified alpn alpn.example.test alpn2.example.test

step "dns-01 through the hook, a name and its wildcard: two TXT values under one record name"
hook=$work/hook.sh
log=$work/hook.log
challtestsrv_hook "$hook" "$log"
json=$("$certtool" acme issue wild "${server[@]}" --cn wild.example.test \
  --san 'DNS:*.wild.example.test' --challenge dns-01 --dns-hook "$hook" \
  --trust "$work/root.pem" --json)
[ "$(echo "$json" | jq -r .acme.authorizations)" = 2 ] || fail "authorizations: $json"
verified wild wild.example.test any.wild.example.test
[ "$(grep -c '^present _acme-challenge.wild.example.test. ' "$log")" = 2 ] ||
  fail "the hook was not asked for two TXT values: $(cat "$log")"
[ "$(grep -c '^cleanup _acme-challenge.wild.example.test. ' "$log")" = 2 ] ||
  fail "the hook did not remove what it added: $(cat "$log")"
# The value is base64url(SHA-256(key authorization)): 43 characters.
awk '{ if (length($3) != 43) exit 1 }' "$log" || fail "TXT values: $(cat "$log")"

step "a hook that fails: exit 3, one line naming the hook and what it said, the store unchanged"
printf '#!/bin/sh\necho "zone example.test: not authorised (TSIG key refused)" >&2\nexit 4\n' \
  >"$work/bad-hook.sh"
chmod +x "$work/bad-hook.sh"
before=$(store_snapshot)
rc=0
"$certtool" acme issue bad "${server[@]}" --cn bad.example.test --challenge dns-01 \
  --dns-hook "$work/bad-hook.sh" 2>"$err" || rc=$?
[ "$rc" -eq 3 ] || fail "failing hook: exit $rc, expected 3: $(cat "$err")"
one_line "$(cat "$err")"
grep -q "dns-01 hook .*bad-hook.sh present _acme-challenge.bad.example.test.' failed (exit 4): zone example.test: not authorised" "$err" ||
  fail "failing hook: unclear error: $(cat "$err")"
[ "$(store_snapshot)" = "$before" ] || fail "the store changed after a failing hook"

step "a wildcard needs dns-01: exit 2 before any order"
rc=0
"$certtool" acme issue bad "${server[@]}" --cn bad.example.test --san 'DNS:*.bad.example.test' \
  --challenge http-01 --http-port "$PEBBLE_HTTP_PORT" --listen-address 127.0.0.1 2>"$err" || rc=$?
[ "$rc" -eq 2 ] || fail "wildcard with http-01: exit $rc, expected 2"
grep -q "wildcard name: CAs prove those by dns-01 only" "$err" || fail "unclear: $(cat "$err")"

step "webroot: a real nginx serves the document root where pebble looks"
root=$work/www
mkdir -p "$root" "$work/nginx"
cat >"$work/nginx/nginx.conf" <<NGINX
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events {}
http {
  access_log $work/nginx/access.log;
  client_body_temp_path $work/nginx/tmp;
  server {
    listen 127.0.0.1:$PEBBLE_HTTP_PORT;
    root $root;
  }
}
NGINX
command -v nginx >/dev/null || fail "nginx is not installed (scripts/install-deps.sh)"
nginx -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
nginx_pid=$!
trap 'kill $nginx_pid 2>/dev/null || true; pebble_stop' EXIT
for _ in $(seq 50); do
  curl -s -o /dev/null "http://127.0.0.1:$PEBBLE_HTTP_PORT/" && break
  sleep 0.1
done
json=$("$certtool" acme issue www "${server[@]}" --cn www.example.test --challenge webroot \
  --webroot "$root" --trust "$work/root.pem" --json)
verified www www.example.test
grep -q "GET /.well-known/acme-challenge/" "$work/nginx/access.log" ||
  fail "pebble did not fetch the token from nginx"
[ -z "$(ls -A "$root")" ] || fail "the webroot keeps what certtool made: $(find "$root")"
[ "$(jq -r .challenge.webroot "$CERTTOOL_HOME/acme/entries/www.json")" = "$root" ] ||
  fail "the webroot is not remembered"

step "webroot: an existing .well-known stays, only the token goes"
mkdir -p "$root/.well-known"
echo keep >"$root/.well-known/security.txt"
"$certtool" acme issue www "${server[@]}" --cn www.example.test --challenge webroot \
  --webroot "$root" --force >/dev/null
[ "$(find "$root" -type f)" = "$root/.well-known/security.txt" ] ||
  fail "webroot after the second issue: $(find "$root")"

step "a webroot that is not a directory: exit 3 before any order"
before=$(store_snapshot)
rc=0
"$certtool" acme issue bad "${server[@]}" --cn bad.example.test --challenge webroot \
  --webroot "$work/missing" 2>"$err" || rc=$?
[ "$rc" -eq 3 ] || fail "missing webroot: exit $rc, expected 3"
grep -q "the webroot '$work/missing' is not a directory" "$err" || fail "unclear: $(cat "$err")"
[ "$(store_snapshot)" = "$before" ] || fail "the store changed"

step "the wrong token served (nginx answers every challenge with other text): exit 3, unchanged"
kill "$nginx_pid" 2>/dev/null || true
wait "$nginx_pid" 2>/dev/null || true
sed -i "s|    root $root;|    root $root;\n    location /.well-known/acme-challenge/ { return 200 \"not-the-key-authorization\"; }|" \
  "$work/nginx/nginx.conf"
nginx -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
nginx_pid=$!
for _ in $(seq 50); do
  curl -s -o /dev/null "http://127.0.0.1:$PEBBLE_HTTP_PORT/" && break
  sleep 0.1
done
before=$(store_snapshot)
rc=0
# A name this account never validated (pebble's authorization reuse: tests/acme/issue.sh).
"$certtool" acme issue www "${server[@]}" --cn www2.example.test --challenge webroot \
  --webroot "$root" --force 2>"$err" || rc=$?
[ "$rc" -eq 3 ] || fail "wrong token: exit $rc, expected 3"
one_line "$(cat "$err")"
grep -q "^certtool: error: http-01 challenge for dns:www2.example.test failed: .*urn:ietf:params:acme:error:unauthorized" "$err" ||
  fail "wrong token: unclear error: $(cat "$err")"
[ "$(store_snapshot)" = "$before" ] || fail "the store changed after a wrong token"
[ "$(find "$root" -type f)" = "$root/.well-known/security.txt" ] || fail "the token file stayed"

kill "$nginx_pid" 2>/dev/null || true
pebble_stop
echo "acme challenges: ok"
