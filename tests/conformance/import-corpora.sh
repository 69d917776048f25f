#!/usr/bin/env bash
# Copies the redistributable corpora from a shared/corpora checkout into
# tests/conformance/corpora/, keeping each corpus's LICENSE and SOURCES files and only the files
# tests/conformance/*.cpp read (corpora/README.md says what was left out). Re-run it to refresh
# them: tests/conformance/import-corpora.sh ../shared/corpora
# The keyfile corpus has no licence and is never copied (see README, "Conformance").
set -euo pipefail
src=$(cd "${1:?usage: import-corpora.sh SHARED_CORPORA_DIR}" && pwd)
dst=$(cd "$(dirname "$0")" && pwd)/corpora
mkdir -p "$dst"

copy() {  # copy CORPUS RELATIVE_PATH...
  local corpus=$1
  shift
  (cd "$src/$corpus" && cp --parents --no-preserve=mode "$@" "$dst/$corpus/")
}

for c in x509-limbo nist-pkits boringssl-pki rustcrypto-pkcs12; do
  rm -rf "${dst:?}/$c"
  mkdir -p "$dst/$c"
done

# x509-limbo: the full suite (native + BetterTLS cases) is read from limbo.json.gz only.
copy x509-limbo LICENSE SOURCES.md limbo.json.gz

# NIST PKITS: every certificate and CRL is named by a test case or a PKCS#12 file.
copy nist-pkits SOURCES.md README.boringssl.md pkits-testcases.json pkcs12-manifest.json
(cd "$src/nist-pkits" && cp -r --no-preserve=mode certs crls pkcs12 "$dst/nist-pkits/")
cp --no-preserve=mode "$src/boringssl-pki/LICENSE" "$dst/nist-pkits/LICENSE-APACHE-2.0"
cat > "$dst/nist-pkits/LICENSE" <<'TXT'
certs/, crls/: NIST PKITS 1.0.1, a United States Government work, public domain in the United
States (17 U.S.C. 105); see README.boringssl.md.

pkits-testcases.json: converted from BoringSSL's pki/testdata/nist-pkits/pkits_testcases-inl.h
(generated from PKITS.pdf by BoringSSL's generate_tests.py), Apache License 2.0
(LICENSE-APACHE-2.0; "Copyright The Chromium Authors").

pkcs12/, pkcs12-manifest.json: PKCS#12 files from pyca/cryptography's test vectors
(x509/PKITS_data/pkcs12/, as Debian's python3-cryptography-vectors ships them), which that
project makes available under the Apache License 2.0 (LICENSE-APACHE-2.0) or the BSD 3-clause
licence, at the user's choice.
TXT

# BoringSSL: the .test files and the chain each names.
(
  cd "$src/boringssl-pki"
  files=(LICENSE SOURCES.md)
  while IFS= read -r t; do
    files+=("$t" "$(dirname "$t")/$(sed -n 's/^chain: *//p' "$t")")
  done < <(find verify_certificate_chain_unittest -name '*.test' | sort)
  printf '%s\n' "${files[@]}" | sort -u | xargs cp --parents --no-preserve=mode -t "$dst/boringssl-pki/"
)

# RustCrypto: the manifest's files and their reference certificates and keys.
mapfile -t rc < <(python3 - "$src/rustcrypto-pkcs12/pkcs12-manifest.json" <<'PY'
import json, sys
names = set()
for c in json.load(open(sys.argv[1]))["cases"]:
    names.add(c["file"])
    names.update(c[k] for k in ("reference_cert", "reference_key") if c.get(k))
print("\n".join(sorted(names)))
PY
)
copy rustcrypto-pkcs12 LICENSE-APACHE LICENSE-MIT SOURCES.md pkcs12-manifest.json "${rc[@]}"

du -sh "$dst"
