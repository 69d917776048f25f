#!/usr/bin/env bash
# The whole certificate lifecycle as a postmaster runs it, end to end:
#   create-selfsigned -> export-csr -> a CA signs it -> import-signed (+ intermediate)
#   -> export-pkcs12 -> openssl confirms the result.
# The CA here is a throwaway root + intermediate made with the openssl CLI in a temp dir;
# in real life you send the CSR to your CA and get back signed.pem and its intermediate.
#
# It never touches what you already have: the entry gets a new name (example-<time> unless you
# give one, and an existing entry of that name is refused, never replaced), and everything it
# makes besides the entry (the throwaway CA, the PKCS#12 backup and its password, the files for
# the mail server) is kept in a new folder it names at the end.
#
# Usage: examples/lifecycle.sh [NAME] [HOST]
#   CERTTOOL              the certtool binary (default: ./build/bin/certtool)
#   CERTTOOL_EXAMPLE_DIR  where to keep the files (default: ./certtool-example-NAME; must not exist)
#   store:                $CERTTOOL_HOME, else ~/.local/share/certtool (the default local store)
set -euo pipefail

name=${1:-example-$(date -u +%Y%m%dT%H%M%SZ)}
host=${2:-mail.example.com}
here=$(cd "$(dirname "$0")/.." && pwd)
# Never a bare "certtool" from PATH: Debian's gnutls-bin installs a different /usr/bin/certtool.
certtool=${CERTTOOL:-$here/build/bin/certtool}
keep=${CERTTOOL_EXAMPLE_DIR:-$PWD/certtool-example-$name}
if [ -e "$keep" ]; then
  echo "lifecycle.sh: '$keep' already exists: give another NAME or CERTTOOL_EXAMPLE_DIR" >&2
  exit 8
fi
if "$certtool" show "$name" >/dev/null 2>&1; then
  echo "lifecycle.sh: the store already has an entry '$name': left as it is; give another NAME" >&2
  exit 8
fi
mkdir -p "$keep"
keep=$(cd "$keep" && pwd)
cd "$keep"
step() { printf '\n== %s\n' "$*"; }

step "1. key + self-signed certificate, stored as '$name'"
"$certtool" create-selfsigned "$name" --cn "$host" --san "DNS:smtp.${host#*.}" \
  --org "Example Mail" --country US --key-type ec-p256
"$certtool" show "$name"

step "2. the CSR to send to a CA"
"$certtool" export-csr "$name" -o "$name.csr"
openssl req -in "$name.csr" -noout -verify -subject

step "3. a throwaway CA (root + intermediate) signs it"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key \
  -out root.pem -days 3650 -subj "/O=Example Test CA/CN=Example Test Root" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout inter.key -out inter.csr \
  -subj "/O=Example Test CA/CN=Example Issuing CA 1" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > inter.ext
openssl x509 -req -in inter.csr -CA root.pem -CAkey root.key -CAcreateserial -days 1825 \
  -extfile inter.ext -out inter.pem 2>/dev/null
# copy_extensions keeps the SANs and EKU the CSR asked for, as a public CA would.
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nauthorityKeyIdentifier=keyid\n' > leaf.ext
openssl x509 -req -in "$name.csr" -CA inter.pem -CAkey inter.key -CAcreateserial -days 397 \
  -copy_extensions copy -extfile leaf.ext -out signed.pem 2>/dev/null
openssl x509 -in signed.pem -noout -subject -issuer

step "4. import the signed certificate with its intermediate (replaces the self-signed one)"
"$certtool" import-signed "$name" --cert signed.pem --intermediate inter.pem --trust root.pem
"$certtool" show "$name"

step "5. a password-protected PKCS#12 backup (password from a file, never argv)"
umask 077
head -c 18 /dev/urandom | base64 > p12.pass
"$certtool" export-pkcs12 "$name" -o "$name.p12" --password-file p12.pass --iterations 100000
ls -l "$name.p12"

step "6. openssl reads the backup and verifies the chain"
openssl pkcs12 -in "$name.p12" -passin file:p12.pass -nokeys -clcerts 2>/dev/null |
  openssl x509 -noout -subject -fingerprint -sha256
openssl pkcs12 -in "$name.p12" -passin file:p12.pass -nokeys -cacerts 2>/dev/null > chain.pem
openssl pkcs12 -in "$name.p12" -passin file:p12.pass -nokeys -clcerts 2>/dev/null > leaf.pem
openssl verify -CAfile root.pem -untrusted chain.pem -verify_hostname "$host" leaf.pem

step "7. files for the mail server"
"$certtool" export "$name" --fullchain-out fullchain.pem --key-out key.pem
ls -l fullchain.pem key.pem
"$certtool" list
echo
echo "lifecycle complete: entry '$name' is CA-signed and backed up."
echo "kept in $keep: the backup $name.p12 (its password in p12.pass), fullchain.pem and key.pem,"
echo "and the throwaway CA (root.pem, inter.pem and their keys)."
echo "to remove it all: $certtool delete $name && rm -r '$keep'"
