#!/usr/bin/env bash
# Produces a real Postfix maillog with TLS on and off, for `certtool mail-log` tests.
# Three private Postfix instances on 127.0.0.1 high ports, each with its own config dir:
#   gw     (port P)   the gateway under test: smtpd offers STARTTLS; outbound routed by domain
#   tlsmx  (port P+1) accepts with STARTTLS, discards mail
#   plainmx(port P+2, P+3) accepts without TLS, discards mail
# Traffic: 2 inbound sessions with STARTTLS, 1 without; outbound: tls.example (TLS),
# clear.example (no TLS offered: clear), strict.example (TLS required by policy: deferred).
# Usage: maillog-scenario.sh OUTDIR [BASEPORT]. Writes OUTDIR/gw/maillog. Nothing leaves the
# machine (error: default transport, discard at the receivers); every instance is stopped at exit.
set -euo pipefail
out=$1
port=${2:-$((30000 + RANDOM % 20000))}
# shellcheck source=tests/postfix/common.sh
. "$(dirname "$0")/common.sh"
command -v postfix >/dev/null || { echo "postfix is not installed (scripts/install-deps.sh)" >&2; exit 3; }
command -v swaks >/dev/null || { echo "swaks is not installed (scripts/install-deps.sh)" >&2; exit 3; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
instances=()

cleanup() {
  for dir in "${instances[@]}"; do
    postfix_stop_instance "$dir"
  done
}
trap cleanup EXIT

# A self-signed certificate for the TLS-speaking instances.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj /CN=mx.test.example -keyout "$out/key.pem" -out "$out/cert.pem" 2>/dev/null
chmod 600 "$out/key.pem"

make_instance() {  # name port tls(yes|no) [main.cf lines...]
  local name=$1 p=$2 tls=$3
  shift 3
  local dir=$out/$name
  mkdir -p "$dir/queue" "$dir/data"
  postfix_master_cf > "$dir/master.cf"
  echo "127.0.0.1:$p inet n - n - - smtpd" >> "$dir/master.cf"
  {
    postfix_main_cf "$dir" "$name" "$out"
    cat <<CF
myhostname = $name.test.example
local_transport = discard:silently
smtpd_tls_loglevel = 1
smtp_tls_loglevel = 1
smtp_dns_support_level = disabled
smtp_host_lookup = native
CF
  } > "$dir/main.cf"
  if [ "$tls" = yes ]; then
    printf 'smtpd_tls_security_level = may\nsmtpd_tls_chain_files = %s, %s\n' \
      "$out/key.pem" "$out/cert.pem" >> "$dir/main.cf"
  else
    echo 'smtpd_tls_security_level = none' >> "$dir/main.cf"
  fi
  for line in "$@"; do
    echo "$line" >> "$dir/main.cf"
  done
  postfix_last_wins < "$dir/main.cf" > "$dir/main.cf.new" && mv "$dir/main.cf.new" "$dir/main.cf"
  postfix_check_reachable "$dir" || exit 3
  pf -c "$dir" set-permissions >/dev/null 2>&1 || true
  pf -c "$dir" start >/dev/null || { echo "postfix $name did not start:" >&2; cat "$dir/maillog" >&2 2>/dev/null; exit 3; }
  instances+=("$dir")
}

wait_port() {  # port: listening? (checked with ss, so the probe is not an SMTP session)
  for _ in $(seq 100); do
    ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
    sleep 0.05
  done
  echo "port $1 did not open" >&2
  exit 3
}

make_instance tlsmx $((port + 1)) yes "mydestination = tls.example, strict.example"
make_instance plainmx $((port + 2)) no "mydestination = clear.example, strict.example"
# TLS policy is looked up by next hop, so strict.example gets a next hop of its own.
echo "127.0.0.1:$((port + 3)) inet n - n - - smtpd" >> "$out/plainmx/master.cf"
pf -c "$out/plainmx" reload >/dev/null
make_instance gw "$port" yes \
  "transport_maps = inline:{ tls.example=smtp:[127.0.0.1]:$((port + 1)), clear.example=smtp:[127.0.0.1]:$((port + 2)), strict.example=smtp:[127.0.0.1]:$((port + 3)) }" \
  "smtp_tls_security_level = may" \
  "smtp_tls_policy_maps = inline:{ [127.0.0.1]:$((port + 3))=encrypt }" \
  "relay_domains = tls.example, clear.example, strict.example"
for p in "$port" $((port + 1)) $((port + 2)) $((port + 3)); do wait_port "$p"; done

send() {  # to [swaks options...]
  local to=$1
  shift
  swaks --server 127.0.0.1 --port "$port" --from sender@client.example --to "$to" \
    --ehlo client.example --silent 2 "$@" >/dev/null
}
send user@tls.example --tls
send user@clear.example --tls
send user@strict.example
# Wait until the gateway has tried every delivery (sent, or deferred for strict.example).
for _ in $(seq 200); do
  n=$(grep -cE 'status=(sent|deferred)' "$out/gw/maillog" 2>/dev/null || true)
  [ "${n:-0}" -ge 3 ] && break
  sleep 0.05
done
sleep 0.3
cp "$out/gw/maillog" "$out/gw-maillog.log"
echo "$out/gw-maillog.log"
