#!/usr/bin/env bash
# Whole-process times of certtool beside the openssl CLI and GnuTLS's certtool on the same
# inputs, with hyperfine; then instruction counts (callgrind), which do not depend on machine
# noise. Usage: bench/bench.sh [path/to/our/certtool]   (default: build/rel, built if missing)
# BENCH_BEFORE=path/to/an/older/certtool adds it to every row (before/after in one run).
# Inputs and outputs live in a mktemp -d under $TMPDIR: on a disk, certtool's fsyncs (file, then
# directory, for every file it writes; the peers write without syncing) are part of each row;
# TMPDIR=/dev/shm (tmpfs: fsync returns at once) leaves the computation alone.
# GnuTLS's tool is always called by its full path, /usr/bin/certtool: it shares our name.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
ours=${1:-$here/build/rel/bin/certtool}
if [ ! -x "$ours" ]; then
  cmake -S "$here" -B "$here/build/rel" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCERTTOOL_BUILD_TESTS=OFF >/dev/null
  cmake --build "$here/build/rel" --target certtool >/dev/null
fi
gnutls=/usr/bin/certtool
for tool in hyperfine openssl "$gnutls"; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/install-deps.sh)" >&2; exit 2; }
done
runs=${BENCH_RUNS:-200}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
umask 077
printf 'benchpass' > pw
store=$work/store
printf 'cn = b.example.com\n' > gnutls-req.tmpl
printf 'password = benchpass\npkcs12_key_name = b\n' > gnutls-p12.tmpl

# Inputs shared by all tools: one P-256 key and self-signed certificate.
"$ours" create-selfsigned b --cn b.example.com --key-type ec-p256 --store "$store" >/dev/null
"$ours" export b --store "$store" --cert-out cert.pem --key-out key.pem >/dev/null
"$ours" export-pkcs12 b --store "$store" -o in.p12 --password-file pw --iterations 2048 >/dev/null
# A 3-level P-256 chain for verify: root -> intermediate -> leaf (made with the openssl CLI).
mkchain() {
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
  openssl req -x509 "${ec[@]}" -subj /CN=Bench-Root -days 3650 -keyout root.key -out root.pem \
    -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign
  printf 'basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' > inter.ext
  openssl req -new "${ec[@]}" -subj /CN=Bench-Inter -keyout inter.key -out inter.csr
  openssl x509 -req -in inter.csr -CA root.pem -CAkey root.key -CAcreateserial -days 1825 \
    -extfile inter.ext -out inter.pem
  printf 'basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:leaf.example.com\n' > leaf.ext
  openssl req -new "${ec[@]}" -subj /CN=leaf.example.com -keyout leaf.key -out leaf.csr
  openssl x509 -req -in leaf.csr -CA inter.pem -CAkey inter.key -CAcreateserial -days 365 \
    -extfile leaf.ext -out leaf.pem
  cat leaf.pem inter.pem > leaf-chain.pem
}
mkchain >/dev/null 2>&1
before=${BENCH_BEFORE:-}

section() { printf '\n## %s\n\n' "$*"; }
bench() {  # bench TITLE CMD...  (with BENCH_BEFORE, our first command again with that binary)
  local title=$1; shift
  section "$title"
  if [ -n "$before" ]; then
    set -- "$@" -n "${2/certtool/certtool (before)}" "${3/#$ours/$before}"
  fi
  hyperfine -N --warmup 10 --runs "$runs" --export-markdown "$work/t.md" --export-json "$work/t.json" "$@" >/dev/null 2>&1 ||
    hyperfine -N --warmup 10 --runs "$runs" --export-markdown "$work/t.md" --export-json "$work/t.json" "$@" >/dev/null
  cat "$work/t.md"
  # CPU time per run (user + system, means): steadier than wall time on a loaded machine.
  awk -F'[:,]' '/"command":/ { gsub(/^ *"|"$/, "", $2); c = $2 }
                /"user":/ { u = $2 } /"system":/ { printf "%s%s %.1f ms", sep, c, (u + $2) * 1000; sep = "; " }
                END { print "" }' "$work/t.json" | sed 's/^/\nCPU (user+sys): /'
}

echo "# certtool benchmark ($(nproc) cores, $(openssl version), GnuTLS $("$gnutls" --version | head -1 | awk '{print $NF}'))"
bench "--version" \
  -n "certtool --version" "$ours --version" \
  -n "openssl version" "openssl version" \
  -n "gnutls certtool --version" "$gnutls --version"
bench "create self-signed, P-256 (certtool: key + certificate into the store, two fsyncs)" \
  -n "certtool create-selfsigned" "$ours create-selfsigned b2 --cn b.example.com --key-type ec-p256 --force --store $store" \
  -n "openssl req -x509 -newkey ec" "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=b.example.com -keyout $work/k2.pem -out $work/c2.pem"
bench "export CSR for an existing key" \
  -n "certtool export-csr" "$ours export-csr b -o $work/b.csr --force --store $store" \
  -n "openssl req -new" "openssl req -new -key $work/key.pem -subj /CN=b.example.com -out $work/o.csr" \
  -n "gnutls --generate-request" "$gnutls --generate-request --load-privkey $work/key.pem --template $work/gnutls-req.tmpl --outfile $work/g.csr"
bench "export PKCS#12, 600000 iterations (GnuTLS's fixed count; certtool's modern default)" \
  -n "certtool export-pkcs12" "$ours export-pkcs12 b -o $work/o1.p12 --force --iterations 600000 --password-file $work/pw --store $store" \
  -n "openssl pkcs12 -export" "openssl pkcs12 -export -in $work/cert.pem -inkey $work/key.pem -iter 600000 -passout file:$work/pw -out $work/o2.p12" \
  -n "gnutls --to-p12" "$gnutls --load-certificate $work/cert.pem --load-privkey $work/key.pem --to-p12 --outder --template $work/gnutls-p12.tmpl --outfile $work/o3.p12"
bench "export PKCS#12, 2048 iterations" \
  -n "certtool export-pkcs12" "$ours export-pkcs12 b -o $work/o1.p12 --force --iterations 2048 --password-file $work/pw --store $store" \
  -n "openssl pkcs12 -export" "openssl pkcs12 -export -in $work/cert.pem -inkey $work/key.pem -iter 2048 -passout file:$work/pw -out $work/o2.p12"
bench "import PKCS#12 (2048 iterations)" \
  -n "certtool import-pkcs12" "$ours import-pkcs12 i $work/in.p12 --force --password-file $work/pw --store $store" \
  -n "openssl pkcs12 -in" "openssl pkcs12 -in $work/in.p12 -nodes -passin file:$work/pw -out $work/dump.pem"
bench "verify a 3-level chain (root -> intermediate -> leaf, P-256)" \
  -n "certtool verify" "$ours verify --cert $work/leaf.pem --chain $work/inter.pem --trust $work/root.pem" \
  -n "openssl verify" "openssl verify -CAfile $work/root.pem -untrusted $work/inter.pem $work/leaf.pem" \
  -n "gnutls --verify" "$gnutls --verify --load-ca-certificate $work/root.pem --infile $work/leaf-chain.pem"
bench "show a stored entry (peers: the same certificate from a PEM file)" \
  -n "certtool show" "$ours show b --store $store" \
  -n "openssl x509 -noout -text" "openssl x509 -noout -text -in $work/cert.pem" \
  -n "gnutls -i" "$gnutls -i --infile $work/cert.pem"

if command -v valgrind >/dev/null; then
  section "instructions per process (valgrind callgrind; deterministic; 600,000 iterations left out: the 2,048 rows show the same code)"
  count() { valgrind --tool=callgrind --callgrind-out-file="$work/cg" "$@" >/dev/null 2>&1; awk '/^summary:/ {print $2}' "$work/cg"; }
  row() {  # row TITLE OURS_ARGS -- OPENSSL_CMD -- GNUTLS_CMD (either peer may be "-")
    local title=$1 ours_args=$2 o=$3 g=$4 b=""
    [ -n "$before" ] && b=" | $(count $before $ours_args)"
    printf '| %s | %s%s | %s | %s |\n' "$title" "$(count $ours $ours_args)" "$b" \
      "$([ "$o" = - ] && echo — || count $o)" "$([ "$g" = - ] && echo — || count $g)"
  }
  if [ -n "$before" ]; then
    printf '| operation | certtool | certtool (before) | openssl | GnuTLS certtool |\n|:---|---:|---:|---:|---:|\n'
  else
    printf '| operation | certtool | openssl | GnuTLS certtool |\n|:---|---:|---:|---:|\n'
  fi
  row "--version" "--version" "openssl version" "$gnutls --version"
  row "create self-signed P-256" "create-selfsigned b3 --cn b.example.com --key-type ec-p256 --force --store $store" \
    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=b.example.com -keyout $work/k3.pem -out $work/c3.pem" -
  row "export CSR" "export-csr b -o $work/b.csr --force --store $store" \
    "openssl req -new -key $work/key.pem -subj /CN=b.example.com -out $work/o.csr" \
    "$gnutls --generate-request --load-privkey $work/key.pem --template $work/gnutls-req.tmpl --outfile $work/g.csr"
  row "export PKCS#12, 2048 iterations" "export-pkcs12 b -o $work/o1.p12 --force --iterations 2048 --password-file $work/pw --store $store" \
    "openssl pkcs12 -export -in $work/cert.pem -inkey $work/key.pem -iter 2048 -passout file:$work/pw -out $work/o2.p12" -
  row "import PKCS#12, 2048 iterations" "import-pkcs12 i $work/in.p12 --force --password-file $work/pw --store $store" \
    "openssl pkcs12 -in $work/in.p12 -nodes -passin file:$work/pw -out $work/dump.pem" -
  row "verify a 3-level chain" "verify --cert $work/leaf.pem --chain $work/inter.pem --trust $work/root.pem" \
    "openssl verify -CAfile $work/root.pem -untrusted $work/inter.pem $work/leaf.pem" \
    "$gnutls --verify --load-ca-certificate $work/root.pem --infile $work/leaf-chain.pem"
  row "show a stored entry" "show b --store $store" "openssl x509 -noout -text -in $work/cert.pem" \
    "$gnutls -i --infile $work/cert.pem"
  # The floor libcrypto 3.0 sets before any work (bench/floor/libcrypto_floor.c): what a bare C
  # program pays to load libssl and libcrypto, to fetch one algorithm (every signature,
  # signature check and key decode starts so), and to parse one certificate.
  if cc -O2 -o "$work/floor" "$here/bench/floor/libcrypto_floor.c" -Wl,--no-as-needed -lssl -lcrypto 2>/dev/null; then
    section "libcrypto 3.0's floor (instructions of a bare C program; GnuTLS's rows above for scale)"
    printf '| program | instructions |\n|:---|---:|\n'
    printf '| load libssl + libcrypto, exit | %s |\n' "$(count "$work/floor")"
    printf '| ... + fetch one algorithm (SHA-256) | %s |\n' "$(count "$work/floor" fetch)"
    printf '| ... + parse one certificate (PEM_read_X509) | %s |\n' "$(count "$work/floor" parse "$work/cert.pem")"
  fi
fi
section "trust store"
echo "No command above loads the system trust store (strace shows no open of /etc/ssl/certs):"
for args in "create-selfsigned b4 --cn b.example.com --key-type ec-p256 --force" "export-csr b" "export-pkcs12 b -o $work/o4.p12 --force --iterations 1000 --password-file $work/pw" "import-pkcs12 j $work/in.p12 --force --password-file $work/pw" "show b" "verify --cert $work/leaf.pem --chain $work/inter.pem --trust $work/root.pem"; do
  if command -v strace >/dev/null; then
    n=$(strace -f -e trace=openat,open,stat,newfstatat "$ours" $args --store "$store" 2>&1 >/dev/null | grep -c '/etc/ssl/certs' || true)
    printf -- '- certtool %s: %s accesses to /etc/ssl/certs\n' "${args%% *}" "$n"
  fi
done
