#!/usr/bin/env bash
# ACME against a local pebble (Debian's package, on loopback, PEBBLE_VA_NOSLEEP=1): N
# certificates (default 20), one name each, issued then renewed (forced: pebble's certificates
# are not due), by certtool (http-01 standalone) and by lego (Debian's package, its own http-01
# server), one after the other against the same pebble. Prints wall time per phase and the HTTP
# requests per certificate, counted from pebble's own log (every request it handled), so both
# clients are counted the same way. Usage: bench/acme.sh [CERTTOOL] [N]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
certtool=${1:-$here/build/u/bin/certtool}
certtool=$(cd "$(dirname "$certtool")" && pwd)/$(basename "$certtool")
n=${2:-20}
command -v lego >/dev/null || { echo "bench: lego is missing (apt-get install lego)" >&2; exit 2; }
work=$(mktemp -d)
# shellcheck source=tests/acme/pebble-common.sh
. "$here/tests/acme/pebble-common.sh"
trap 'pebble_stop; rm -rf "$work"' EXIT
pebble_start "$work/pebble"
log=$work/pebble/pebble.log
export CERTTOOL_HOME=$work/store
requests() { grep -c -- '-> calling handler()' "$log"; }
now_ms() { date +%s%3N; }
declare -A ms req

phase() {  # phase KEY COMMAND...: times the command, counts pebble's requests during it
  local key=$1 start r0
  shift
  r0=$(requests)
  start=$(now_ms)
  "$@"
  ms[$key]=$(($(now_ms) - start))
  req[$key]=$(($(requests) - r0))
}

ct_issue() {
  local i
  for i in $(seq "$n"); do
    "$certtool" acme issue "b$i" --server "$PEBBLE_URL" --ca-bundle "$PEBBLE_CA" \
      --cn "b$i.example.test" --key-type ec-p256 --challenge http-01 \
      --http-port "$PEBBLE_HTTP_PORT" --listen-address 127.0.0.1 >/dev/null 2>&1
  done
}
ct_renew() { "$certtool" acme renew --all --force --no-commit >/dev/null 2>&1; }

lego_args=(--server "$PEBBLE_URL" --email bench@example.test --accept-tos --path "$work/lego"
  --key-type ec256 --http --http.port "127.0.0.1:$PEBBLE_HTTP_PORT")
lego_issue() {
  local i
  for i in $(seq "$n"); do
    LEGO_CA_CERTIFICATES=$PEBBLE_CA lego "${lego_args[@]}" --domains "l$i.example.test" run \
      >/dev/null 2>&1
  done
}
lego_renew() {
  local i
  for i in $(seq "$n"); do
    LEGO_CA_CERTIFICATES=$PEBBLE_CA lego "${lego_args[@]}" --domains "l$i.example.test" renew \
      --days 100000 --no-random-sleep >/dev/null 2>&1
  done
}

"$certtool" acme account register --server "$PEBBLE_URL" --ca-bundle "$PEBBLE_CA" --agree-tos \
  >/dev/null
phase ct_issue ct_issue
phase ct_renew ct_renew
phase lego_issue lego_issue
phase lego_renew lego_renew
[ "$(ls "$work/lego/certificates/"*.crt | wc -l)" -ge "$n" ] || { echo "bench: lego did not issue" >&2; exit 1; }

echo "ACME against pebble $(dpkg-query -W -f='${Version}' pebble 2>/dev/null), $n certificates, one name each, $(nproc) cores"
echo
echo "| phase | certtool | lego |"
echo "|---|---|---|"
for p in issue renew; do
  printf '| %s: wall time | %d ms (%d ms/cert) | %d ms (%d ms/cert) |\n' "$p" \
    "${ms[ct_$p]}" $((ms[ct_$p] / n)) "${ms[lego_$p]}" $((ms[lego_$p] / n))
  printf '| %s: requests per certificate | %s | %s |\n' "$p" \
    "$(echo "scale=1; ${req[ct_$p]} / $n" | bc)" "$(echo "scale=1; ${req[lego_$p]} / $n" | bc)"
done
