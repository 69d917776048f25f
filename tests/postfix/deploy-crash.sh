#!/usr/bin/env bash
# Issue 14, test 11: a commit killed at any instant leaves the store and the Postfix files at one
# whole revision, the same one, once the next configuration command has run recover_postfix();
# and the next commit works. First a kill at each named crash point (CERTTOOL_CRASH_AT), then
# KILLS (default 50) kill -9 at random moments. The instance is not running (no reloads, no
# probes: every step but those is the same), which keeps a kill cheap.
# Usage: deploy-crash.sh CERTTOOL WORKDIR [KILLS]
CERTTOOL=$1
WORK=$2
KILLS=${3:-50}
rm -rf "$WORK" && mkdir -p "$WORK" && chmod 0755 "$WORK"
WORK=$(cd "$WORK" && pwd)
# shellcheck source=tests/postfix/deploy-common.sh
. "$(dirname "$0")/deploy-common.sh"

gw=$WORK/gw
new_instance gw
ct target postfix --config-dir "$gw" >/dev/null 2>&1
ct listener add In --address "127.0.0.1:$(free_port)" >/dev/null 2>&1
ct create-selfsigned other --cn other.test.example --key-type ec-p256 >/dev/null
ct commit --comment "r1" >/dev/null 2>&1 || fail "first commit"
ct export demo --cert-out "$WORK/demo.pem" >/dev/null
ct export other --cert-out "$WORK/other.pem" >/dev/null
declare -A fp=([demo]=$(cert_fingerprint "$WORK/demo.pem") [other]=$(cert_fingerprint "$WORK/other.pem"))
declare -A bound=([1]=demo)

latest() { ct history --json | grep -o '"revision": *[0-9]*' | grep -o '[0-9]*$' | sort -n | tail -1; }

# The files are revision N's, whole: both managed sections name N, rev-N holds what they use,
# no journal is left, and the listener's file holds the leaf revision N binds.
check_whole() {
  local n=$1 want=$2
  grep -q "BEGIN certtool managed (revision $n)" "$gw/main.cf" || fail "main.cf is not revision $n: $(grep 'BEGIN certtool' "$gw/main.cf")"
  grep -q "BEGIN certtool managed (revision $n)" "$gw/master.cf" || fail "master.cf is not revision $n"
  [ ! -e "$gw/certtool/journal" ] || fail "journal left after recovery"
  for f in $(grep -o "$gw/certtool/[^ ,}]*" "$gw/main.cf" "$gw/master.cf" | sed 's/^[^:]*://'); do
    [ -e "$f" ] || fail "revision $n uses $f, which is missing"
  done
  [ "$(cert_fingerprint "$gw/certtool/rev-$n/listener-In.pem")" = "${fp[$want]}" ] ||
    fail "revision $n's listener file does not hold '$want'"
  [ "$(grep -c 'BEGIN certtool managed' "$gw/main.cf")" = 1 ] || fail "main.cf: more than one section"
}

# One attempt: stage the other certificate, commit, kill it as told; then recover (through the
# next staging command) and check.
attempt() {  # crash-point-or-empty delay-seconds-or-empty
  local point=$1 delay=$2 before next
  before=$(latest)
  next=other
  [ "${bound[$before]}" = other ] && next=demo
  ct abandon >/dev/null 2>&1
  ct listener set In --certificate "$next" >/dev/null 2>&1
  if [ -n "$point" ]; then
    CERTTOOL_CRASH_AT=$point "$CERTTOOL" commit --comment "crash at $point" >/dev/null 2>&1 || true
  else
    "$CERTTOOL" commit --comment "killed" >/dev/null 2>&1 &
    local pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  ct listener set In --certificate "$next" >/dev/null 2>&1  # any configuration command recovers
  local now
  now=$(latest)
  if [ "$now" != "$before" ]; then bound[$now]=$next; fi
  check_whole "$now" "${bound[$now]}"
}

points=(postfix:revision-written postfix:journal-written postfix:swap-main postfix:swap-master
  postfix:applied atomic:before-rename atomic:after-rename config-revision-written)
for p in "${points[@]}"; do attempt "$p" ""; done
ok "killed at each of ${#points[@]} crash points: always one whole revision"

# How long a commit takes here, to spread the kills over it.
ct abandon >/dev/null 2>&1
ct listener set In --certificate "$([ "${bound[$(latest)]}" = other ] && echo demo || echo other)" >/dev/null 2>&1
start=$(date +%s%N)
ct commit --comment "timed" >/dev/null 2>&1 || fail "timed commit"
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
ct listener set In --certificate demo >/dev/null 2>&1
bound[$(latest)]=$([ "${bound[$(($(latest) - 1))]}" = other ] && echo demo || echo other)
kills=0
for _ in $(seq "$KILLS"); do
  attempt "" "$(awk -v r="$RANDOM" -v t="$took_ms" 'BEGIN { printf "%.3f", (r / 32767) * t / 1000 * 0.8 }')"
  kills=$((kills + 1))
done
ok "$kills random kill -9 during commits (a commit takes ~${took_ms} ms): always one whole revision"

ct abandon >/dev/null 2>&1
ct listener set In --certificate other >/dev/null 2>&1 || true
ct destination set example.com --tls required >/dev/null 2>&1
ct commit --comment "after the kills" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "the next commit failed"; }
n=$(latest)
ct listener set In --certificate other >/dev/null 2>&1  # recovers: the journal goes
check_whole "$n" other
ls "$gw/certtool" | grep -q '^rev-.*tmp' && fail "a temporary revision directory is left"
ok "the next commit works (revision $n); $(ls -d "$gw"/certtool/rev-* | wc -l) revision directories kept"
echo "deploy-crash: all passed"
