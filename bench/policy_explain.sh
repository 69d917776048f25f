#!/usr/bin/env bash
# policy explain --domain on a configuration with 10,000 destination rows, beside the same
# command on a configuration with 10 rows (the process's own cost: start-up, reading and typing
# the configuration). The rows are written as a committed revision file directly
# (DIR/config/revisions/000001.json, the format config_store.hpp documents): staging 10,000 rows
# through the CLI would rewrite the staged document 10,000 times. Prints hyperfine's table.
#   bench/policy_explain.sh [certtool binary]      BENCH_ROWS=N to change the row count
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
ours=$(realpath "${1:-$here/build/rel/bin/certtool}")
command -v hyperfine >/dev/null || { echo "bench: hyperfine is missing" >&2; exit 2; }
[ -x "$ours" ] || { echo "bench: no certtool at $ours (build it, or give its path)" >&2; exit 2; }
rows=${BENCH_ROWS:-10000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A store whose configuration has N destination rows: half exact (dI.example.com), half parent
# rows (.pI.example.com), then .example.com and a default. Written by awk: no CLI round trips.
make_store() {  # make_store DIR N
    mkdir -p "$1/config/revisions"
    awk -v n="$2" 'BEGIN {
        printf "{\"revision\": 1, \"time\": \"2026-01-01T00:00:00Z\", \"user\": \"bench\",\n"
        printf " \"comment\": \"%d rows\", \"summary\": \"bench\",\n", n
        printf " \"configuration\": {\"format\": 1, \"clustered\": true, \"machines\": {}, \"cluster\": {\n"
        for (i = 0; i < n; i++) {
            name = (i % 2 == 0) ? "d" i ".example.com" : ".p" i ".example.com"
            mode = (i % 3 == 0) ? "required-verify" : (i % 3 == 1 ? "preferred" : "required")
            printf "  \"destination/%s/tls\": \"%s\",\n", name, mode
        }
        printf "  \"destination/.example.com/tls\": \"preferred\",\n"
        printf "  \"destination-default/tls\": \"none\"}}}\n"
    }' >"$1/config/revisions/000001.json"
}
make_store "$work/big" "$rows"
make_store "$work/small" 10

# Sanity: each query gets the row it should.
check() {  # check STORE DOMAIN KIND ROW
    local out
    out=$("$ours" policy explain --domain "$2" --store "$1" --machine bench --json) || true
    case "$out" in
    *"\"row\":{\"domain\":$4,\"kind\":\"$3\"}"*) ;;
    *) echo "bench: unexpected answer for $2: $out" >&2; exit 1 ;;
    esac
}
last=$(( (rows - 1) / 2 * 2 ))
check "$work/big" "d$last.example.com" exact "\"d$last.example.com\""
check "$work/big" "mx.p1.example.com" parent '".p1.example.com"'
check "$work/big" "other.example.com" parent '".example.com"'
check "$work/big" "example.net" default null

printf '## policy explain --domain, %d destination rows vs 10\n\n' "$rows"
hyperfine -N --warmup 5 --runs "${BENCH_RUNS:-50}" --export-markdown "$work/t.md" \
    -n "10 rows, exact row" \
    "$ours policy explain --domain d0.example.com --store $work/small --machine bench" \
    -n "$rows rows, exact row (the last)" \
    "$ours policy explain --domain d$last.example.com --store $work/big --machine bench" \
    -n "$rows rows, closest parent row" \
    "$ours policy explain --domain a.mx.p1.example.com --store $work/big --machine bench" \
    -n "$rows rows, default row, --json" \
    "$ours policy explain --domain example.net --store $work/big --machine bench --json" \
    >/dev/null
cat "$work/t.md"
printf '\nrevision file: %s bytes\n' "$(stat -c %s "$work/big/config/revisions/000001.json")"
