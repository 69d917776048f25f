#!/usr/bin/env bash
# Batch verification throughput: N leaves (default 10,000) issued by one P-256 intermediate
# (CURVE=P-384 or P-521 for another curve), certtool verify --batch (1 and 2 worker processes)
# next to the openssl verify CLI in one process and as two (xargs -P2). Prints certificates per
# second.
#   [CURVE=P-256] bench/verify_batch.sh [N] [certtool binary]
set -euo pipefail
N=${1:-10000}
CERTTOOL=$(realpath "${2:-build/rel/bin/certtool}")
CURVE=${CURVE:-P-256}
if [ "$CURVE" = P-256 ]; then
    WORK=${BENCH_DIR:-/tmp/certtool-bench-verify}
else
    WORK=${BENCH_DIR:-/tmp/certtool-bench-verify-$CURVE}
fi
mkdir -p "$WORK/leaves"
cd "$WORK"
if [ ! -f root.pem ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:$CURVE -nodes -keyout root.key \
        -out root.pem -subj "/CN=Bench Root" -days 3650 \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:$CURVE -nodes -keyout int.key -out int.csr \
        -subj "/CN=Bench Issuing CA" 2>/dev/null
    printf "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n" > int.ext
    openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -set_serial 1 -days 3000 \
        -extfile int.ext -out int.pem 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:$CURVE -nodes -keyout leaf.key -out leaf.csr \
        -subj "/CN=leaf" 2>/dev/null
fi
have=$(find leaves -name '*.pem' | wc -l)
if [ "$have" -lt "$N" ]; then
    echo "generating $((N - have)) leaves (once; cached in $WORK)..." >&2
    seq "$have" $((N - 1)) | xargs -P"$(nproc)" -I{} sh -c '
        printf "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:host{}.example.com\nauthorityKeyIdentifier=keyid\n" > leaves/{}.ext
        openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -set_serial $(({} + 100)) \
            -days 365 -extfile leaves/{}.ext -subj "/CN=host{}.example.com" -out leaves/{}.pem 2>/dev/null
        rm leaves/{}.ext'
fi
ls leaves/*.pem | head -n "$N" > list.txt
rate() {  # label, seconds
    awk -v n="$N" -v s="$2" -v l="$1" 'BEGIN { printf "%-44s %8.2f s  %8.0f certs/s\n", l, s, n / s }'
}
timeit() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || true
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'
}
echo "$N leaves, one $CURVE intermediate, $(nproc) cores, $(openssl version)"
rate "openssl verify, one process" \
    "$(timeit sh -c "xargs openssl verify -CAfile root.pem -untrusted int.pem < list.txt")"
rate "openssl verify, two processes (xargs -P2)" \
    "$(timeit sh -c "xargs -P2 -n $((N / 2 + 1)) openssl verify -CAfile root.pem -untrusted int.pem < list.txt")"
mkdir -p batch && rm -f batch/* && sed "s|^|$WORK/|" list.txt | xargs ln -sf -t batch
for jobs in 1 2; do
    rate "certtool verify --batch --jobs $jobs" \
        "$(timeit "$CERTTOOL" verify --batch batch --chain int.pem --trust root.pem --jobs "$jobs")"
done
