#!/usr/bin/env bash
# examples/renew-expiring.sh, the renewal job of the systemd and cron examples, run as they run
# it: check-expiry --needs-renewal names a self-signed entry (the clock moved forward with --at
# through a wrapper), the job renews it and re-applies the committed configuration; a CA-signed
# entry gets its CSR written and a non-zero exit; with nothing to renew nothing changes.
# Usage: renew-expiring.sh CERTTOOL SOURCE_DIR
set -euo pipefail
certtool=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CERTTOOL_HOME=$work/store CERTTOOL_CSR_DIR=$work
fail() { echo "FAIL: $*" >&2; exit 1; }
# check-expiry as of 80 days from now: a 90-day certificate is then due (10 days left).
later=$(date -u -d '+80 days' +%Y-%m-%dT%H:%M:%SZ)
cat >"$work/certtool" <<WRAP
#!/bin/sh
if [ "\$1" = check-expiry ]; then exec "$certtool" "\$@" --at $later; fi
exec "$certtool" "\$@"
WRAP
chmod +x "$work/certtool"
export CERTTOOL=$work/certtool

"$certtool" create-selfsigned web --cn web.example.com --key-type ec-p256 --days 90 >/dev/null
"$certtool" listener add In --address 192.0.2.1:25 >/dev/null 2>&1
"$certtool" listener set In --certificate web >/dev/null 2>&1
"$certtool" commit --comment first >/dev/null 2>&1
serial() { "$certtool" show "$1" --json | sed -n 's/.*"serial":"\([0-9A-F]*\)".*/\1/p'; }
before=$(serial web)
[ -n "$before" ] || fail "no serial for web"

# Nothing due today: the job is skipped (exit 1), as systemd's ExecCondition would.
if "$certtool" check-expiry --needs-renewal >/dev/null; then fail "due today already"; fi

sh "$src/examples/renew-expiring.sh" >"$work/out.txt" 2>&1 || fail "the job failed: $(cat "$work/out.txt")"
[ "$(serial web)" != "$before" ] || fail "web was not renewed"
"$certtool" history --json | grep -q '"comment":"renewed: web"' || fail "no revision re-applied it"

"$certtool" create-selfsigned ca-signed --cn mail.example.com --key-type ec-p256 --days 90 >/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/ca.key" \
  -out "$work/ca.pem" -days 3650 -subj /CN=Test-CA -addext basicConstraints=critical,CA:TRUE 2>/dev/null
"$certtool" export-csr ca-signed -o "$work/req.csr" >/dev/null
openssl x509 -req -in "$work/req.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
  -days 90 -copy_extensions copy -out "$work/signed.pem" 2>/dev/null
"$certtool" import-signed ca-signed --cert "$work/signed.pem" --trust "$work/ca.pem" >/dev/null 2>&1
rm -f "$work/ca-signed.csr"
if sh "$src/examples/renew-expiring.sh" >"$work/out2.txt" 2>&1; then
  fail "a CA-signed entry cannot be renewed here: the job must say so with its exit code"
fi
[ -s "$work/ca-signed.csr" ] || fail "no CSR written for ca-signed: $(cat "$work/out2.txt")"
grep -q "import-signed ca-signed" "$work/out2.txt" || fail "no next step named: $(cat "$work/out2.txt")"
echo "renew-expiring: ok"
