#!/usr/bin/env bash
# Issue 16, through the real binary against a real Postfix and a real nginx on loopback: one
# entry bound to an SMTP listener, to HTTPS (nginx target) and to a file target; renewed and
# committed, every service serves the new leaf. All or nothing across targets: a file target
# whose reload fails, and an nginx that refuses its configuration (a broken block injected by
# hand), each fail the commit and leave every service on the old leaf. A commit killed after the
# nginx swap is rolled back by the next command.
# Usage: deploy-https.sh CERTTOOL WORKDIR. Exits 0 when every check passes.
CERTTOOL=$1
WORK=$2
rm -rf "$WORK" && mkdir -p "$WORK" && chmod 0755 "$WORK"
WORK=$(cd "$WORK" && pwd)
# shellcheck source=tests/postfix/deploy-common.sh
. "$(dirname "$0")/deploy-common.sh"
command -v nginx >/dev/null || { echo "nginx is not installed (scripts/install-deps.sh)" >&2; exit 3; }

ngx=$WORK/nginx
mkdir -p "$ngx/conf.d" "$ngx/tmp"
cat > "$ngx/nginx.conf" <<CONF
pid $ngx/nginx.pid;
error_log $ngx/error.log;
worker_processes 1;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $ngx/tmp;
    include $ngx/conf.d/*.conf;
}
CONF
stop_nginx() { nginx -c "$ngx/nginx.conf" -s stop >/dev/null 2>&1 || true; }
trap 'stop_nginx; cleanup_instances' EXIT
https_fingerprint() {  # PORT: the leaf nginx serves there
  openssl s_client -connect "127.0.0.1:$1" -servername mx.test.example </dev/null 2>/dev/null |
    openssl x509 -noout -fingerprint -sha256 | sed 's/.*=//'
}

gw=$WORK/gw
new_instance gw "mydestination = test.example" "local_transport = discard:silently" \
  "smtpd_relay_restrictions = reject_unauth_destination"
start_instance "$gw"
port=$(free_port)
hport=$(free_port)
nginx -c "$ngx/nginx.conf" || fail "nginx did not start: $(tail -3 "$ngx/error.log")"
make_ca
ca_entry mail mx.test.example

ct target postfix --config-dir "$gw" >/dev/null 2>&1
ct listener add In --address "127.0.0.1:$port" --hostname mx.test.example >/dev/null 2>&1
ct listener set In --certificate mail --tls required >/dev/null 2>&1
ct service set https --interface Management --certificate mail >/dev/null 2>&1
ct target nginx --config-file "$ngx/conf.d/certtool.conf" --nginx-conf "$ngx/nginx.conf" \
  --listen "Management=127.0.0.1:$hport" --server-name mx.test.example >/dev/null 2>"$WORK/err" ||
  { cat "$WORK/err" >&2; fail "target nginx"; }
mkdir -p "$WORK/app"
ct target files app --certificate mail --fullchain "$WORK/app/full.pem" --key "$WORK/app/key.pem" \
  --reload "date >> $WORK/app/reloads" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "target files"; }
ct commit --comment "smtp, https, files" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "first commit"; }
want=$(cert_fingerprint "$WORK/mail.pem")
[ "$(served_fingerprint 127.0.0.1 "$port")" = "$want" ] || fail "Postfix does not serve mail"
[ "$(https_fingerprint "$hport")" = "$want" ] || fail "nginx does not serve mail"
openssl s_client -connect "127.0.0.1:$hport" -showcerts </dev/null 2>/dev/null | grep -q "certtool-test-inter" ||
  fail "nginx does not send the intermediate"
[ "$(cert_fingerprint "$WORK/app/full.pem")" = "$want" ] || fail "the file target's fullchain is not mail"
[ "$(grep -c 'BEGIN CERT' "$WORK/app/full.pem")" = 2 ] || fail "fullchain is not leaf + intermediate"
[ "$(stat -c %a "$WORK/app/key.pem")" = 600 ] || fail "the file target's key is not 0600"
[ "$(openssl pkey -in "$WORK/app/key.pem" -pubout)" = "$(openssl x509 -in "$WORK/app/full.pem" -noout -pubkey)" ] ||
  fail "the key does not match the certificate"
[ "$(wc -l < "$WORK/app/reloads")" = 1 ] || fail "the reload command did not run once"
key_file=$(grep -o 'ssl_certificate_key [^;]*' "$ngx/conf.d/certtool.conf" | cut -d' ' -f2)
[ "$(stat -c %a "$key_file")" = 600 ] || fail "nginx's key file is not 0600"
ok "16.1/16.3: one commit: Postfix, nginx (leaf + intermediate) and the file target have the entry"

renew_mail() {  # OUT: a new leaf for mail's key
  rm -f "$WORK/mail-renew.csr"
  ct export-csr mail -o "$WORK/mail-renew.csr" >/dev/null
  sign_csr "$WORK/mail-renew.csr" "$1" mx.test.example
}
renew_mail "$WORK/mail2.pem"
ct import-signed mail --cert "$WORK/mail2.pem" --intermediate "$WORK/pki/inter.pem" \
  --trust "$WORK/pki/root.pem" --commit >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "renewal"; }
want2=$(cert_fingerprint "$WORK/mail2.pem")
[ "$(served_fingerprint 127.0.0.1 "$port")" = "$want2" ] || fail "Postfix does not serve the renewed leaf"
[ "$(https_fingerprint "$hport")" = "$want2" ] || fail "nginx does not serve the renewed leaf"
[ "$(cert_fingerprint "$WORK/app/full.pem")" = "$want2" ] || fail "the file target was not renewed"
ok "16.5: import-signed --commit: every service has the renewed leaf"

# Runs COMMAND until it succeeds, ten times at most, half a second apart. A reload is
# asynchronous: for a moment an nginx worker or an smtpd process of the other configuration may
# still take a connection, so what the servers serve is judged over up to 5 s.
eventually() {  # COMMAND...
  local i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    "$@" && return 0
    [ "$i" = 10 ] || sleep 0.5
  done
  return 1
}

# A file target whose reload fails: the commit fails and every target keeps the old leaf (the
# files at once; the servers once the failed commit's reload back has taken effect).
servers_serve() {  # FINGERPRINT
  [ "$(served_fingerprint 127.0.0.1 "$port")" = "$1" ] && [ "$(https_fingerprint "$hport")" = "$1" ]
}
all_serve() {  # FINGERPRINT WHAT
  [ "$(cert_fingerprint "$WORK/app/full.pem")" = "$1" ] || fail "$2: the file target changed"
  eventually servers_serve "$1" && return 0
  [ "$(served_fingerprint 127.0.0.1 "$port")" = "$1" ] || fail "$2: Postfix changed"
  fail "$2: nginx changed"
}
ct target files app --certificate mail --fullchain "$WORK/app/full.pem" --key "$WORK/app/key.pem" \
  --reload "echo 'app: cannot load the key' >&2; exit 3" >/dev/null 2>&1
renew_mail "$WORK/mail3.pem"
ct import-signed mail --cert "$WORK/mail3.pem" --intermediate "$WORK/pki/inter.pem" \
  --trust "$WORK/pki/root.pem" >/dev/null 2>&1
revs=$(ct history --json | grep -c '"revision"')
code=0; ct commit >/dev/null 2>"$WORK/err" || code=$?
[ "$code" = 3 ] || fail "a failing reload command gave exit $code: $(cat "$WORK/err")"
grep -q "commit failed at 'reload' for file target app.*cannot load the key" "$WORK/err" ||
  fail "the error does not name the step and the command's complaint: $(cat "$WORK/err")"
[ "$(ct history --json | grep -c '"revision"')" = "$revs" ] || fail "a revision was recorded"
all_serve "$want2" "failed reload"
ok "16.3: a failing reload command fails the commit; Postfix, nginx and the files keep the old leaf"

# nginx refuses its configuration (a broken block beside ours): the same.
ct target files app --certificate mail --fullchain "$WORK/app/full.pem" --key "$WORK/app/key.pem" >/dev/null 2>&1
printf 'server {\n    listen 127.0.0.1:%s ssl;\n}\n' "$(free_port)" > "$ngx/conf.d/broken.conf"
code=0; ct commit >/dev/null 2>"$WORK/err" || code=$?
[ "$code" = 3 ] || fail "a commit nginx refuses gave exit $code: $(cat "$WORK/err")"
grep -q "commit failed at 'nginx -t'" "$WORK/err" || fail "the error does not name nginx -t: $(cat "$WORK/err")"
all_serve "$want2" "nginx -t failed"
current=$(ct history --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["revisions"][-1]["revision"])')
grep -q "certtool managed: revision $current\$" "$ngx/conf.d/certtool.conf" ||
  fail "the server-block file is not the committed revision's: $(head -1 "$ngx/conf.d/certtool.conf")"
rm "$ngx/conf.d/broken.conf"
ct commit >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "commit after the repair"; }
want3=$(cert_fingerprint "$WORK/mail3.pem")
all_serve "$want3" "after the repair"
ok "16.1: nginx -t refusing fails the commit, every service keeps the old leaf; repaired, all serve the new"

# A commit killed after nginx's file was swapped: the next command rolls it back.
renew_mail "$WORK/mail4.pem"
ct import-signed mail --cert "$WORK/mail4.pem" --intermediate "$WORK/pki/inter.pem" \
  --trust "$WORK/pki/root.pem" >/dev/null 2>&1
before=$(cat "$ngx/conf.d/certtool.conf")
CERTTOOL_CRASH_AT=nginx:swapped ct commit >/dev/null 2>&1 && fail "the crash point did not fire"
[ "$(cat "$ngx/conf.d/certtool.conf")" != "$before" ] || fail "the crash came before the swap"
ct changes >/dev/null 2>&1 || fail "changes after the crash"
[ "$(cat "$ngx/conf.d/certtool.conf")" = "$before" ] || fail "the killed commit's server blocks stayed"
all_serve "$want3" "after the killed commit"
ok "16.1: a commit killed after the nginx swap is rolled back by the next command"
# check-expiry --probe: nothing stale after the commit; a renewal not committed yet shows the
# listener and the HTTPS interface as stale, until the commit.
stale() {  # the services check-expiry --probe finds stale, sorted, one per line
  ct check-expiry --probe --json 2>/dev/null | python3 -c '
import json, sys
r = json.load(sys.stdin)
print("\n".join(sorted(f["subject"] for f in r["findings"] if f["code"] == "stale-service")))'
}
# After a commit: nothing stale. commit returns once every listener has served its new leaf, but
# a Postfix reload lets smtpd processes of the old configuration finish: one still idle may take
# the next connection with the old leaf (eventually, above).
nothing_stale() { [ -z "$(stale)" ]; }
[ "$(stale | tr '\n' ' ')" = "https Management listener In " ] ||
  fail "the renewal the killed commit left uncommitted is not flagged stale: '$(stale)'"
ct commit >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "commit of the fourth leaf"; }
eventually nothing_stale || fail "stale services after a commit, 5 s on: $(stale)"
renew_mail "$WORK/mail5.pem"
ct import-signed mail --cert "$WORK/mail5.pem" --intermediate "$WORK/pki/inter.pem" \
  --trust "$WORK/pki/root.pem" >/dev/null 2>&1
[ "$(stale | tr '\n' ' ')" = "https Management listener In " ] ||
  fail "check-expiry --probe does not flag both services as stale: '$(stale)'"
ct commit >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "commit of the fifth leaf"; }
eventually nothing_stale || fail "stale services after committing the renewal, 5 s on: $(stale)"
ok "16.4: check-expiry --probe: no stale service after a commit; an uncommitted renewal flags the listener and HTTPS"
echo "deploy-https: all passed"
