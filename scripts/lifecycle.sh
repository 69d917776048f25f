#!/usr/bin/env bash
# README's main job: build certtool and run the full lifecycle on the default local store
# (~/.local/share/certtool, or $CERTTOOL_HOME).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target certtool
CERTTOOL=$PWD/build/bin/certtool examples/lifecycle.sh "$@"
