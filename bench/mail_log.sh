#!/usr/bin/env bash
# certtool mail-log throughput on a synthetic 1 GiB appliance log, next to `grep -c 'TLS success'`
# on the same file (output sent to a pipe: with /dev/null GNU grep stops at the first match),
# and peak memory at two file sizes (it must not grow with the file).
# Usage: bench/mail_log.sh [SIZE_BYTES]   (default 1073741824); needs ~2x SIZE free in $TMPDIR.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
size=${1:-1073741824}
build=${CERTTOOL_BUILD_DIR:-$here/build/rel}  # an existing Release build may be named
if [ ! -x "$build/bin/certtool" ] || [ ! -x "$build/bin/certtool_loggen" ]; then
  cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" --target certtool certtool_loggen >/dev/null
fi
for tool in hyperfine /usr/bin/time grep; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/bin/certtool_loggen" "$size" > "$work/big.log" 2> "$work/truth.json"
"$build/bin/certtool_loggen" $((size / 8)) > "$work/small.log" 2>/dev/null
bytes=$(stat -c %s "$work/big.log")
echo "# mail-log benchmark: $(numfmt --to=iec "$bytes") synthetic appliance log, $(nproc) cores"
echo "generator truth: $(cat "$work/truth.json")"
cat "$work/big.log" > /dev/null  # page cache warm for both tools
hyperfine -N --warmup 1 --runs 5 --output=pipe --export-json "$work/h.json" \
  -n "certtool mail-log --json" "$build/bin/certtool mail-log --json $work/big.log" \
  -n "grep -c 'TLS success'" "grep -c 'TLS success' $work/big.log" >/dev/null
mean() { sed -n "/\"command\": \"$1/,/\"mean\"/p" "$work/h.json" | awk -F': ' '/"mean"/ {gsub(",","",$2); print $2}'; }
t_ours=$(mean "certtool")
t_grep=$(mean "grep")
peak() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
m_big=$(peak "$build/bin/certtool" mail-log --json "$work/big.log")
m_small=$(peak "$build/bin/certtool" mail-log --json "$work/small.log")
m_grep=$(peak grep -c 'TLS success' "$work/big.log")
printf '\n| tool | time (mean of 5) | throughput | peak RSS |\n|---|---|---|---|\n'
awk -v b="$bytes" -v t="$t_ours" -v m="$m_big" 'BEGIN { printf "| certtool mail-log --json | %.2f s | %.0f MB/s | %d MiB |\n", t, b / t / 1e6, m / 1024 }'
awk -v b="$bytes" -v t="$t_grep" -v m="$m_grep" 'BEGIN { printf "| grep -c '"'"'TLS success'"'"' | %.2f s | %.0f MB/s | %d MiB |\n", t, b / t / 1e6, m / 1024 }'
printf '\npeak RSS of certtool: %d MiB on %s, %d MiB on %s (independent of file size)\n' \
  $((m_small / 1024)) "$(numfmt --to=iec $((bytes / 8)))" $((m_big / 1024)) "$(numfmt --to=iec "$bytes")"
