#!/usr/bin/env bash
# check-tls --mx concurrency: probing a domain with 50 MX hosts against probing a domain with
# one, all on loopback (the check-tls test fixture: one private Postfix, a dnsmasq). Target:
# 50 hosts in at most 2x the time of one. Prints the mean wall time of each (hyperfine).
# Two peers: "fast" (banner at once: on 2 cores the 50 Postfix smtpd processes doing 50 TLS
# handshakes are the bottleneck, not the prober) and "greeting delay" (the banner after 1 s,
# as many Internet MTAs do; latency-bound, like real probes).
#   bench/check_tls_mx.sh [certtool binary]
set -euo pipefail
CERTTOOL=$(realpath "${1:-build/rel/bin/certtool}")
SRC=$(cd "$(dirname "$0")/.." && pwd)
WORK=${BENCH_DIR:-/tmp/certtool-bench-mx}
bash "$SRC/tests/postfix/tls-fixture.sh" stop "$WORK/fixture" 2>/dev/null || true  # a run cut short
rm -rf "$WORK"
mkdir -p "$WORK/pki"
cd "$WORK/pki"
ext() { printf '%s\n' "$@" > ext.cnf; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key -out root.pem \
  -subj "/CN=Bench Root" -days 30 -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout inter.key -out inter.csr \
  -subj "/CN=Bench Issuing CA" 2>/dev/null
ext "basicConstraints=critical,CA:TRUE" "keyUsage=critical,keyCertSign"
openssl x509 -req -in inter.csr -CA root.pem -CAkey root.key -set_serial 1 -days 30 \
  -extfile ext.cnf -out inter.pem 2>/dev/null
(umask 077; openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out good.key)
openssl req -new -key good.key -out good.csr -subj "/CN=mx1.example.test" 2>/dev/null
ext "subjectAltName=DNS:mx1.example.test,DNS:*.many.example.test,DNS:*.slow.example.test,DNS:*.manyslow.example.test" \
  "extendedKeyUsage=serverAuth"
openssl x509 -req -in good.csr -CA inter.pem -CAkey inter.key -set_serial 2 -days 30 \
  -extfile ext.cnf -out good.pem 2>/dev/null
cp good.pem expired.pem
(umask 077; cp good.key expired.key)

trap 'bash "$SRC/tests/postfix/tls-fixture.sh" stop "$WORK/fixture"' EXIT
bash "$SRC/tests/postfix/tls-fixture.sh" start "$WORK/fixture" "$WORK/pki" >/dev/null
# shellcheck disable=SC1091
. "$WORK/fixture/fixture.env"
common="--dns-server 127.0.0.1:$DNS_PORT --port $PORT --trust $WORK/pki/root.pem --timeout 10"
"$CERTTOOL" check-tls --mx many.example.test $common --json >"$WORK/many.json" || true
echo "hosts probed: $(grep -o '"outcome":"V"' "$WORK/many.json" | wc -l) of 50 verified"
"$CERTTOOL" check-tls --mx manyslow.example.test $common --json >"$WORK/manyslow.json" || true
echo "greeting-delay hosts: $(grep -o '"outcome":"V"' "$WORK/manyslow.json" | wc -l) of 50 verified"
cpu=$( { /usr/bin/time -f "%U %S" "$CERTTOOL" check-tls --mx many.example.test $common >/dev/null; } 2>&1 | tail -1)
echo "certtool CPU for 50 hosts (user sys, s): $cpu; the rest of the wall time is the peer's"
hyperfine -N --warmup 3 --runs 20 --export-json "$WORK/fast.json" \
  -n "fast peer, 1 MX host" "$CERTTOOL check-tls --mx one.example.test $common" \
  -n "fast peer, 50 MX hosts" "$CERTTOOL check-tls --mx many.example.test $common" \
  >/dev/null
hyperfine -N --warmup 1 --runs 5 --export-json "$WORK/slow.json" \
  -n "1 s greeting delay, 1 MX host" "$CERTTOOL check-tls --mx slow.example.test $common" \
  -n "1 s greeting delay, 50 MX hosts" "$CERTTOOL check-tls --mx manyslow.example.test $common" \
  >/dev/null
python3 - "$WORK/fast.json" "$WORK/slow.json" <<'PY'
import json, sys
print(f"{'':34} {'mean':>10} {'stddev':>10}")
for f in sys.argv[1:]:
    r = json.load(open(f))["results"]
    for x in r:
        print(f"{x['command']:34} {x['mean']*1000:8.1f} ms {x['stddev']*1000:8.1f} ms")
    print(f"{'  50 hosts / 1 host':34} {r[1]['mean']/r[0]['mean']:8.2f} x   (target <= 2x)")
PY
