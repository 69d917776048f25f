#!/bin/sh
# check-expiry over a store of N entries (default 1,000) with 3 bindings each (a listener, an
# HTTPS interface, a file target: 3,000 bindings, committed; no probes), beside a loop of
# `openssl x509 -checkend` over the same certificates. Time (hyperfine) and peak memory
# (GNU time). Usage: bench/check_expiry.sh [CERTTOOL] [N]
set -eu
CERTTOOL=${1:-build/u/bin/certtool}
CERTTOOL=$(cd "$(dirname "$CERTTOOL")" && pwd)/$(basename "$CERTTOOL")
N=${2:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export CERTTOOL_HOME="$work/store"
mkdir certs files
i=1
while [ "$i" -le "$N" ]; do
    "$CERTTOOL" create-selfsigned "e$i" --cn "host$i.example.com" --key-type ec-p256 \
        --days $((i % 400 + 1)) >/dev/null
    "$CERTTOOL" export "e$i" --cert-out "certs/e$i.pem" >/dev/null
    "$CERTTOOL" listener add "L$i" --address "127.0.0.1:$((20000 + i))" >/dev/null 2>&1
    "$CERTTOOL" listener set "L$i" --certificate "e$i" >/dev/null 2>&1
    "$CERTTOOL" service set https --interface "I$i" --certificate "e$i" >/dev/null 2>&1
    "$CERTTOOL" target files "f$i" --certificate "e$i" --cert "$work/files/f$i.pem" >/dev/null 2>&1
    i=$((i + 1))
done
"$CERTTOOL" commit --comment bench >/dev/null 2>&1
bindings=$("$CERTTOOL" check-expiry --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(sum(1 for i in r["items"] if i["kind"] == "binding"))')
echo "store: $N entries, $bindings bindings committed; $(ls certs | wc -l) certificates for openssl"
cat > openssl-loop.sh <<'LOOP'
for f in certs/*.pem; do openssl x509 -checkend 2592000 -noout -in "$f" >/dev/null || true; done
LOOP
hyperfine -i --warmup 1 --runs 3 \
    "$CERTTOOL check-expiry --json" \
    "$CERTTOOL check-expiry --nagios" \
    "sh openssl-loop.sh"
for cmd in "$CERTTOOL check-expiry --json" "sh openssl-loop.sh"; do
    rss=$( { /usr/bin/time -f '%M' sh -c "$cmd >/dev/null 2>&1"; } 2>&1 | tail -1)
    echo "peak RSS: ${rss} KiB  $cmd"
done
