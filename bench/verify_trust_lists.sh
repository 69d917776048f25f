#!/bin/sh
# verify of a 3-level chain (root -> intermediate -> leaf) against the store's effective CA list
# (the private root imported with `certtool ca import`, plus the system list, ~150 roots), beside
# `openssl verify -CAfile` of the same bundle. Usage: bench/verify_trust_lists.sh [CERTTOOL]
set -eu
CERTTOOL=${1:-build/u/bin/certtool}
CERTTOOL=$(cd "$(dirname "$CERTTOOL")" && pwd)/$(basename "$CERTTOOL")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
q() { openssl "$@" 2>/dev/null; }
q req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
    -subj /CN=Bench-Root -days 100 -addext basicConstraints=critical,CA:true \
    -addext keyUsage=critical,keyCertSign,cRLSign
printf 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' >ca.ext
q req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout int.key -out int.csr -subj /CN=Bench-Int
q x509 -req -in int.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out int.pem -days 60 -extfile ca.ext
printf 'subjectAltName=DNS:mail.example.com\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' >leaf.ext
q req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr -subj /CN=mail.example.com
q x509 -req -in leaf.csr -CA int.pem -CAkey int.key -CAcreateserial -out leaf.pem -days 30 -extfile leaf.ext
export CERTTOOL_HOME="$work/store"
"$CERTTOOL" ca import ca.pem >/dev/null
system=$(openssl version -d | sed 's/.*"\(.*\)"/\1/')/cert.pem
cat "$system" ca.pem >bundle.pem
echo "anchors: $(grep -c 'BEGIN CERT' bundle.pem) (system list + the private root)"
"$CERTTOOL" verify --cert leaf.pem --chain int.pem | grep '^Result'
hyperfine -N --warmup 5 --runs 40 \
    "$CERTTOOL verify --cert leaf.pem --chain int.pem" \
    "openssl verify -CAfile bundle.pem -untrusted int.pem leaf.pem"
