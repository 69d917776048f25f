#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang, ASan and UBSan in build/fuzz and runs each on a
# copy of its seed corpus (fuzz/corpus/<target>/; the repository is never written) for its share
# of SECONDS_TOTAL: scripts/fuzz.sh [SECONDS_TOTAL] [TARGET...] (default 240 s, every target;
# .ci/run runs the default). Prints one line per target: executions, coverage, corpus growth,
# time. Exits 1 if any target crashed, leaked, timed out on an input or ran out of memory; the
# input is kept in build/fuzz/artifacts/<target>/ and the run's log in build/fuzz/logs/.
# Reproduce a finding with build/fuzz/bin/fuzz_<target> ARTIFACT.
set -uo pipefail
cd "$(dirname "$0")/.."
total=${1:-240}
shift || true
all=(maillog certificates pkcs12 smtp_reply dns_answer batch_fast acme_response)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")

# Longest input per target: room for its format's interesting sizes (several log lines, a chain
# of a few certificates, an SMTP line over its 4096-byte cap) while keeping executions fast.
declare -A max_len=(
  [maillog]=16384 [certificates]=16384 [pkcs12]=8192
  [smtp_reply]=10000 [dns_answer]=4096 [batch_fast]=8192 [acme_response]=4096
)
for t in "${targets[@]}"; do
  if [ -z "${max_len[$t]+set}" ]; then
    echo "fuzz: unknown target '$t' (targets: ${all[*]})" >&2
    exit 2
  fi
done

dir=build/fuzz
script_start=$SECONDS
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# OSS-Fuzz's flags: -O1 with line tables runs nearly as fast as -O2 and compiles much faster;
# unity batches, as the other builds, halve the compile time (141 s of CPU against 263 s here).
cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCERTTOOL_FUZZ=ON -DCMAKE_UNITY_BUILD=ON \
  -DCERTTOOL_BUILD_TESTS=OFF -DCERTTOOL_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" "${launcher[@]}" >/dev/null || exit 1
build_start=$SECONDS
cmake --build "$dir" -j "$(nproc)" --target "${targets[@]/#/fuzz_}" || exit 1
echo "fuzz: built ${#targets[@]} targets in $((SECONDS - build_start)) s"

share=$((total / ${#targets[@]}))
[ "$share" -lt 5 ] && share=5
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
for t in "${targets[@]}"; do
  work=$dir/corpus-run/$t
  artifacts=$dir/artifacts/$t
  log=$dir/logs/$t.log
  rm -rf "$work"
  mkdir -p "$work" "$artifacts" "$dir/logs"
  cp -r "fuzz/corpus/$t/." "$work/"
  seeds=$(find "$work" -type f | wc -l)
  start=$SECONDS
  "$dir/bin/fuzz_$t" -max_total_time="$share" -max_len="${max_len[$t]}" -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" >"$log" 2>&1
  rc=$?
  took=$((SECONDS - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  corp=$(sed -nE 's#.* corp: ([0-9]+)/.*#\1#p' <<<"$last")
  status=ok
  if [ "$rc" -ne 0 ]; then
    status=FAILED
    failed+=("$t")
  fi
  printf 'fuzz: %-13s %-6s %4s s  %9s execs (%s/s)  cov %s  ft %s  corpus %s -> %s  rss %s MB\n' \
    "$t" "$status" "$took" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$seeds" \
    "${corp:-?}" "${rss:-?}"
  if [ "$rc" -ne 0 ]; then
    grep -E 'ERROR: |runtime error: |^SUMMARY: |Test unit written to' "$log" | head -5 |
      sed 's/^/  /'
    echo "  log: $log"
  fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}; $((SECONDS - script_start)) s with the build" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets clean; $((SECONDS - script_start)) s with the build"
