#!/usr/bin/env bash
# Sourced by the ACME tests (tests/acme/*.sh): a private pebble (Debian's package, the ACME test
# server Let's Encrypt publishes) on loopback, driven through the real certtool binary.
#
#   pebble_start DIR [EAB]   starts pebble with its state in DIR; EAB "eab" requires External
#                            Account Binding (kid-1 with $PEBBLE_EAB_KEY, kid-2 with another
#                            key). Environment passed on: PEBBLE_WFE_NONCEREJECT and
#                            PEBBLE_ALTERNATE_ROOTS (default 0: one chain) and
#                            PEBBLE_AUTHZREUSE (default 0 here, not pebble's 5 % and 50 %:
#                            each test says what it wants). Even at 0 pebble 2.4 reuses a
#                            valid authorization 1 time in 100 (its test is rand.Intn(100) >
#                            percentage), which skips the challenge: a step that expects a
#                            challenge to fail uses a name the account never validated.
#                            Sets PEBBLE_URL (the directory), PEBBLE_CA (the CA of pebble's HTTPS
#                            certificate, for --ca-bundle), PEBBLE_MGMT (the management URL),
#                            PEBBLE_HTTP_PORT and PEBBLE_TLS_PORT (where pebble validates
#                            http-01 and tls-alpn-01), PEBBLE_PID. pebble resolves every name
#                            through a pebble-challtestsrv started beside it (its DNS only, on
#                            PEBBLE_DNS_PORT): A 127.0.0.1 for any name, no AAAA; its management
#                            API at PEBBLE_CHALLTESTSRV.
#   pebble_root FILE [N]     pebble's root CA (the Nth, with PEBBLE_ALTERNATE_ROOTS), fetched
#                            from its management port, into FILE
#   pebble_cert_status SERIAL  "Valid" or "Revoked": what pebble says of a certificate it issued
#   challtestsrv_hook FILE LOG  writes a dns-01 hook for certtool that adds and removes TXT
#                            records through pebble-challtestsrv's API, logging each call to LOG
#                            Also sets server=(--server URL --ca-bundle CA) for certtool.
#   pebble_stop              stops both (also on exit: pebble_start sets the trap)
#   acme_workdir DIR         a fresh DIR with the store in DIR/store (CERTTOOL_HOME); err=DIR/err
#   store_snapshot           every file of the store with its SHA-256 (compare before and after)
#   free_port                a loopback TCP port nothing listens on
#   fail MESSAGE, step MESSAGE, one_line TEXT (fails unless TEXT is exactly one line)
#
# Pebble's package ships no certificate for its own HTTPS: a CA and a localhost certificate are
# made here, fresh each run. PEBBLE_VA_NOSLEEP=1: challenges are validated at once.
set -euo pipefail

PEBBLE_EAB_KEY=zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W
PEBBLE_EAB_KEY2=b10lLJs8l1GPIzsLP0s6pMt8O0XVGnfTaCeROxQM0BIt2XrJMDHJZBM5NuQmQJQH
PEBBLE_PID=""
CHALLTESTSRV_PID=""

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

one_line() {
  [ -n "$1" ] || fail "expected one line of error, got nothing"
  [ "$(printf '%s\n' "$1" | wc -l)" -eq 1 ] || fail "expected one line, got: $1"
}

free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 30000))
    if ! ss -Htuan | awk '{print $5}' | grep -qE ":$p\$"; then
      echo "$p"
      return
    fi
  done
  fail "no free port"
}

pebble_make_certificate() {  # DIR: ca.pem, localhost.pem, localhost.key
  local d=$1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/ca.key" \
    -out "$d/ca.pem" -days 2 -subj "/CN=certtool test ACME HTTPS CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
    2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/localhost.key" \
    -out "$d/localhost.csr" -subj "/CN=localhost" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n' \
    >"$d/localhost.ext"
  openssl x509 -req -in "$d/localhost.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -days 2 -extfile "$d/localhost.ext" -out "$d/localhost.pem" 2>/dev/null
}

pebble_stop() {
  local pid
  for pid in "$PEBBLE_PID" "$CHALLTESTSRV_PID"; do
    if [ -n "$pid" ]; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  PEBBLE_PID=""
  CHALLTESTSRV_PID=""
}

pebble_root() {
  curl -sf --cacert "$PEBBLE_CA" -o "$1" "$PEBBLE_MGMT/roots/${2:-0}" ||
    fail "cannot fetch pebble's root from $PEBBLE_MGMT/roots/${2:-0}"
}

acme_workdir() {
  rm -rf "$1"
  mkdir -p "$1"
  export CERTTOOL_HOME=$1/store
  err=$1/err
}

store_snapshot() { (cd "$CERTTOOL_HOME" && find . -type f ! -name .lock -exec sha256sum {} + | sort); }

pebble_cert_status() {
  local serial
  serial=$(echo "$1" | tr -d ':' | tr 'A-F' 'a-f' | sed 's/^0*//')
  curl -sf --cacert "$PEBBLE_CA" "$PEBBLE_MGMT/cert-status-by-serial/$serial" | jq -r .Status ||
    fail "pebble does not know serial $serial"
}

challtestsrv_hook() {
  local file=$1 log=$2
  cat >"$file" <<HOOK
#!/bin/sh
# certtool's dns-01 hook for the tests: ACTION RECORD VALUE, as lego's exec provider is called.
set -e
echo "\$1 \$2 \$3" >>"$log"
case "\$1" in
  present) curl -sf -X POST -d "{\"host\":\"\$2\",\"value\":\"\$3\"}" "$PEBBLE_CHALLTESTSRV/set-txt" ;;
  cleanup) curl -sf -X POST -d "{\"host\":\"\$2\"}" "$PEBBLE_CHALLTESTSRV/clear-txt" ;;
  *) echo "unknown action \$1" >&2; exit 2 ;;
esac
HOOK
  chmod +x "$file"
}

pebble_start() {
  local dir=$1 eab=${2:-}
  command -v pebble >/dev/null || fail "pebble is not installed (scripts/install-deps.sh)"
  command -v pebble-challtestsrv >/dev/null ||
    fail "pebble-challtestsrv is not installed (scripts/install-deps.sh: pebble)"
  pebble_stop
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  pebble_make_certificate "$dir"
  local port mgmt chall_mgmt
  port=$(free_port)
  mgmt=$(free_port)
  chall_mgmt=$(free_port)
  PEBBLE_HTTP_PORT=$(free_port)
  PEBBLE_TLS_PORT=$(free_port)
  PEBBLE_DNS_PORT=$(free_port)
  local required=false keys='{}'
  if [ "$eab" = eab ]; then
    required=true
    keys="{\"kid-1\": \"$PEBBLE_EAB_KEY\", \"kid-2\": \"$PEBBLE_EAB_KEY2\"}"
  fi
  cat >"$dir/pebble-config.json" <<JSON
{
  "pebble": {
    "listenAddress": "127.0.0.1:$port",
    "managementListenAddress": "127.0.0.1:$mgmt",
    "certificate": "$dir/localhost.pem",
    "privateKey": "$dir/localhost.key",
    "httpPort": $PEBBLE_HTTP_PORT,
    "tlsPort": $PEBBLE_TLS_PORT,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": $required,
    "externalAccountMACKeys": $keys
  }
}
JSON
  trap pebble_stop EXIT
  pebble-challtestsrv -dns01 "127.0.0.1:$PEBBLE_DNS_PORT" -http01 "" -https01 "" -tlsalpn01 "" \
    -management "127.0.0.1:$chall_mgmt" -defaultIPv4 127.0.0.1 -defaultIPv6 "" \
    >"$dir/challtestsrv.log" 2>&1 &
  CHALLTESTSRV_PID=$!
  PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=${PEBBLE_WFE_NONCEREJECT:-0} \
    PEBBLE_ALTERNATE_ROOTS=${PEBBLE_ALTERNATE_ROOTS:-0} \
    PEBBLE_AUTHZREUSE=${PEBBLE_AUTHZREUSE:-0} pebble -config "$dir/pebble-config.json" -dnsserver "127.0.0.1:$PEBBLE_DNS_PORT" \
    >"$dir/pebble.log" 2>&1 &
  PEBBLE_PID=$!
  PEBBLE_URL=https://127.0.0.1:$port/dir
  PEBBLE_MGMT=https://127.0.0.1:$mgmt
  PEBBLE_CHALLTESTSRV=http://127.0.0.1:$chall_mgmt
  PEBBLE_CA=$dir/ca.pem
  server=(--server "$PEBBLE_URL" --ca-bundle "$PEBBLE_CA")
  for _ in $(seq 100); do
    if curl -sf --cacert "$PEBBLE_CA" -o /dev/null "$PEBBLE_URL" &&
      [ "$(curl -s -o /dev/null -w '%{http_code}' "$PEBBLE_CHALLTESTSRV/")" != 000 ]; then
      return 0
    fi
    kill -0 "$PEBBLE_PID" 2>/dev/null || fail "pebble exited: $(cat "$dir/pebble.log")"
    kill -0 "$CHALLTESTSRV_PID" 2>/dev/null ||
      fail "pebble-challtestsrv exited: $(cat "$dir/challtestsrv.log")"
    sleep 0.1
  done
  fail "pebble did not answer at $PEBBLE_URL within 10 s: $(cat "$dir/pebble.log")"
}
