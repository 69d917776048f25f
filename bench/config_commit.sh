#!/usr/bin/env bash
# Issue 14's benchmark: `certtool commit` of a configuration with 10 listeners, 100 sender-group
# members and 10,000 destination rows into a Postfix instance that is not running (render +
# postfix check + swap: no reload, no probe), beside `postmap` of the same policy table (what a
# hash: table would cost on top of texthash:, which needs none). Prints hyperfine's figures.
# Usage: bench/config_commit.sh [CERTTOOL] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
CERTTOOL=${1:-$here/build/bin/certtool}
RUNS=${2:-5}
command -v hyperfine >/dev/null || { echo "hyperfine is not installed" >&2; exit 3; }
command -v postfix >/dev/null || { echo "postfix is not installed" >&2; exit 3; }
WORK=$(mktemp -d /tmp/certtool-bench-commit.XXXXXX)
chmod 0755 "$WORK"
trap 'rm -rf "$WORK"' EXIT
# shellcheck source=tests/postfix/common.sh
. "$here/tests/postfix/common.sh"
export CERTTOOL_HOME=$WORK/store
pf=$WORK/pf
mkdir -p "$pf/queue" "$pf/data"
postfix_master_cf > "$pf/master.cf"
postfix_main_cf "$pf" bench "$WORK" > "$pf/main.cf"

"$CERTTOOL" target postfix --config-dir "$pf" >/dev/null 2>&1
for i in $(seq 10); do
  "$CERTTOOL" listener add "L$i" --address "127.0.0.1:$((25800 + i))" >/dev/null 2>&1
  members=()
  for j in $(seq 10); do members+=("10.$i.$j.0/24"); done
  "$CERTTOOL" sender-group add "L$i" G --member "${members[@]}" --tls required >/dev/null 2>&1
done
"$CERTTOOL" destination set seed.example --tls required >/dev/null 2>&1
# 10,000 destination rows, written into the staged document directly (10,000 commands would
# measure staging, not the commit).
python3 - "$CERTTOOL_HOME/config/staged.json" <<'PY'
import json, sys
path = sys.argv[1]
doc = json.load(open(path))
modes = ["none", "preferred", "required", "preferred-verify", "required-verify"]
for i in range(9999):
    doc["cluster"][f"destination/d{i}.example/tls"] = modes[i % 5]
json.dump(doc, open(path, "w"), indent=2)
PY
cp "$CERTTOOL_HOME/config/staged.json" "$WORK/staged.json"
"$CERTTOOL" commit --comment warm-up >/dev/null 2>&1
table=$(ls -d "$pf"/certtool/rev-*/tls_policy | head -1)
echo "policy table: $(wc -l < "$table") rows; $(grep -c '^# listener' "$pf/master.cf") listeners"
cp "$table" "$WORK/policy"
hyperfine --runs "$RUNS" --warmup 1 \
  --prepare "cp '$WORK/staged.json' '$CERTTOOL_HOME/config/staged.json'" \
  -n "certtool commit (render + check + swap)" "'$CERTTOOL' commit --comment bench" \
  -n "postmap hash: of the same table" "postmap -c '$pf' hash:'$WORK/policy'" \
  -n "postfix check alone" "postfix -c '$pf' check"
