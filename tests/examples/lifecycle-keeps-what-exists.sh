#!/usr/bin/env bash
# The README's main job never touches what the user has: examples/lifecycle.sh refuses a name
# that is already in the store (leaving that entry byte-identical), and a run with the default
# name adds a new entry beside it and keeps the files it made (CA, backup, password).
# Usage: lifecycle-keeps-what-exists.sh CERTTOOL SOURCE_DIR
set -euo pipefail
certtool=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CERTTOOL=$certtool CERTTOOL_HOME=$work/store
fail() { echo "FAIL: $*" >&2; exit 1; }

"$certtool" create-selfsigned mail --cn keep.example.com --key-type ec-p256 >/dev/null
before=$("$certtool" show mail --json)
cd "$work"
if bash "$src/examples/lifecycle.sh" mail >refused.txt 2>&1; then
  fail "the example ran over the existing entry 'mail'"
fi
grep -q "already has an entry 'mail'" refused.txt || fail "no word on the refusal: $(cat refused.txt)"
[ "$("$certtool" show mail --json)" = "$before" ] || fail "the entry 'mail' changed"
[ ! -e "$work/certtool-example-mail" ] || fail "a refused run left files behind"

CERTTOOL_EXAMPLE_DIR=$work/kept bash "$src/examples/lifecycle.sh" >run.txt 2>&1 ||
  fail "the default run failed: $(tail -5 run.txt)"
grep -q "lifecycle complete" run.txt || fail "the default run did not complete"
[ "$("$certtool" show mail --json)" = "$before" ] || fail "the default run changed 'mail'"
[ "$("$certtool" list --json | grep -o '"name"' | wc -l)" -eq 2 ] || fail "expected 2 entries"
for f in root.pem root.key inter.pem inter.key p12.pass fullchain.pem key.pem; do
  [ -s "$work/kept/$f" ] || fail "the run did not keep $f"
done
ls "$work/kept"/*.p12 >/dev/null || fail "the run did not keep its PKCS#12 backup"
[ "$(stat -c %a "$work/kept/p12.pass")" = 600 ] || fail "p12.pass is not 0600"
grep -q "kept in $work/kept" run.txt || fail "the run does not say where its files are"
echo "example keeps what exists: ok"
