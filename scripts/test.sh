#!/usr/bin/env bash
# Configure, build and run the whole test suite: scripts/test.sh [BUILD_DIR] [cmake options...]
# (README's test command; .ci/run calls it twice, plain and sanitized).
# The conformance corpora are in tests/conformance/corpora. The keyfile PKCS#12 corpus has no
# licence and is not in the repository: its suite runs when -DCERTTOOL_KEYFILE_CORPUS=DIR is given,
# or when ../shared/corpora/keyfile-corpus is beside the repository (as CI has it); ctest reports
# it as skipped otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
keyfile=()
case " $* " in
  *" -DCERTTOOL_KEYFILE_CORPUS="*) ;;
  *)
    if [ -f ../shared/corpora/keyfile-corpus/pkcs12-manifest.json ]; then
      keyfile=("-DCERTTOOL_KEYFILE_CORPUS=$(cd ../shared/corpora/keyfile-corpus && pwd)")
      echo "scripts/test.sh: keyfile corpus from ${keyfile[0]#*=}"
    fi
    ;;
esac
cmake -S . -B "$dir" -G Ninja "${keyfile[@]}" "$@" >/dev/null
build_start=$SECONDS
cmake --build "$dir" -j "$(nproc)"
echo "scripts/test.sh: built $dir in $((SECONDS - build_start)) s"
ctest --test-dir "$dir" -j "$(nproc)" --output-on-failure
