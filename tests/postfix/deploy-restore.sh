#!/usr/bin/env bash
# Issue 14, test 9, through the real binary against real Postfix on loopback: a configuration
# committed to one instance is backed up, restored into an empty store, pointed at a fresh
# Postfix directory and committed there: the same leaf is served and the same policy holds.
# A masked backup, a tampered one and a wrong password are refused.
# Usage: deploy-restore.sh CERTTOOL WORKDIR. Exits 0 when every check passes.
CERTTOOL=$1
WORK=$2
rm -rf "$WORK" && mkdir -p "$WORK" && chmod 0755 "$WORK"
WORK=$(cd "$WORK" && pwd)
# shellcheck source=tests/postfix/deploy-common.sh
. "$(dirname "$0")/deploy-common.sh"

first=$WORK/first
new_instance first "mydestination = test.example" "local_transport = discard:silently" \
  "smtpd_relay_restrictions = reject_unauth_destination"
start_instance "$first"
port=$(free_port)
make_ca
ca_entry mail mx.test.example
ct target postfix --config-dir "$first" >/dev/null 2>&1
ct listener add In --address "127.0.0.1:$port" --hostname mx.test.example >/dev/null 2>&1
ct listener set In --certificate mail --tls required >/dev/null 2>&1
ct destination set partner.example --tls required-verify >/dev/null 2>&1
ct commit --comment "before the backup" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "commit"; }
want=$(cert_fingerprint "$WORK/mail.pem")
[ "$(served_fingerprint 127.0.0.1 "$port")" = "$want" ] || fail "the first instance does not serve mail"

printf 'backup password\n' > "$WORK/pw"
printf 'wrong password\n' > "$WORK/bad-pw"
ct backup -o "$WORK/backup.json" --password-file "$WORK/pw" >/dev/null 2>"$WORK/err" ||
  { cat "$WORK/err" >&2; fail "backup"; }
ct backup -o "$WORK/masked.json" --mask >/dev/null 2>"$WORK/err" ||
  { cat "$WORK/err" >&2; fail "masked backup"; }
[ "$(stat -c %a "$WORK/backup.json")" = 600 ] || fail "the backup is not 0600"
ct show mail --json > "$WORK/before.json"
ct config show --json > "$WORK/config-before.json"

# The first instance goes away; a fresh store and a fresh Postfix directory take its place.
postfix_stop_instance "$first"
for _ in $(seq 100); do ss -Hltn "src 127.0.0.1:$port" | grep -q . || break; sleep 0.1; done
ss -Hltn "src 127.0.0.1:$port" | grep -q . &&
  fail "port $port is still listened on after the first instance stopped: $(ss -Hltnp "src 127.0.0.1:$port")"
export CERTTOOL_HOME=$WORK/store2
code=0; ct restore "$WORK/masked.json" --password-file "$WORK/pw" >/dev/null 2>"$WORK/err" || code=$?
[ "$code" != 0 ] && grep -q -- "--mask" "$WORK/err" || fail "a masked backup was restored (exit $code)"
code=0; ct restore "$WORK/backup.json" --password-file "$WORK/bad-pw" >/dev/null 2>"$WORK/err" || code=$?
[ "$code" = 5 ] || fail "a wrong password gave exit $code, not 5: $(cat "$WORK/err")"
python3 - "$WORK/backup.json" "$WORK/tampered.json" <<'PY'
import sys
data = bytearray(open(sys.argv[1], 'rb').read())
i = data.find(b'"comment"')
i = i if i >= 0 else len(data) // 2
data[i + 2] ^= 0x01
open(sys.argv[2], 'wb').write(bytes(data))
PY
code=0; ct restore "$WORK/tampered.json" --password-file "$WORK/pw" >/dev/null 2>"$WORK/err" || code=$?
[ "$code" = 4 ] || fail "a tampered backup gave exit $code, not 4: $(cat "$WORK/err")"
[ ! -d "$WORK/store2/entries" ] || [ -z "$(ls -A "$WORK/store2/entries")" ] ||
  fail "a refused restore wrote entries"
ok "9: masked, wrong-password and tampered backups refused, nothing written"

ct restore "$WORK/backup.json" --password-file "$WORK/pw" >/dev/null 2>"$WORK/err" ||
  { cat "$WORK/err" >&2; fail "restore"; }
ct show mail --json > "$WORK/after.json"
ct config show --json > "$WORK/config-after.json"
python3 - "$WORK/before.json" "$WORK/after.json" "$WORK/config-before.json" "$WORK/config-after.json" <<'PY' ||
import json, sys
a, b, c, d = (json.load(open(p)) for p in sys.argv[1:5])
for k in ("certificate", "chain", "key", "origin"):
    assert a.get(k) == b.get(k), k
for k in ("cluster", "machines", "clustered"):
    assert c[k] == d[k], k
PY
  fail "the restored entry or configuration differs"

second=$WORK/second
new_instance second "mydestination = test.example" "local_transport = discard:silently" \
  "smtpd_relay_restrictions = reject_unauth_destination"
start_instance "$second"
ct target postfix --config-dir "$second" >/dev/null 2>&1
ct commit --comment "restored onto a fresh instance" >/dev/null 2>"$WORK/err" ||
  { cat "$WORK/err" >&2; fail "commit after restore"; }
wait_listen "127.0.0.1:$port"
[ "$(served_fingerprint 127.0.0.1 "$port")" = "$want" ] || fail "the restored configuration serves another leaf"
swaks --server 127.0.0.1 --port "$port" --from s@client.example --to u@test.example \
  --ehlo client.example --timeout 15 >"$WORK/swaks" 2>&1 && fail "plaintext accepted after restore"
grep -q "STARTTLS" "$WORK/swaks" || fail "plaintext not refused for TLS after restore"
swaks --server 127.0.0.1 --port "$port" --from s@client.example --to u@test.example \
  --ehlo client.example --timeout 15 --tls >"$WORK/swaks" 2>&1 ||
  fail "TLS refused after restore: $(tail -3 "$WORK/swaks")"
grep -q "^partner.example" "$second"/certtool/rev-*/tls_policy || fail "the destination row was not restored"
ok "9: restored into an empty store and a fresh Postfix: same leaf, same policy"
