#!/usr/bin/env bash
# Configure, build and run the whole test suite: scripts/test.sh [BUILD_DIR] [cmake options...]
# (README's test command; .ci/run calls it twice, plain and sanitized).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
ctest --test-dir "$dir" -j "$(nproc)" --output-on-failure
