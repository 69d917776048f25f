#!/usr/bin/env bash
# The Postfix peers of the check-tls tests: ONE private Postfix instance (its own config dir,
# started once per test run) with a listener per scenario, each on its own loopback address and
# the same port, plus a dnsmasq answering MX/A queries for them. Nothing leaves the machine:
# every listener is on 127.0.0.0/8, the default transport is error:, no notifications.
#
#   tls-fixture.sh start DIR PKI_DIR   writes DIR/fixture.env (PORT, DNS_PORT, ...) when ready
#   tls-fixture.sh stop DIR            stops Postfix and dnsmasq, waits for the ports to close
#
# The instance itself (config, queue, data, log) lives in a fresh 0755 directory under /tmp, not
# in DIR: Postfix's daemons run as its mail owner and must enter it, which they cannot inside a
# private directory (a clone under /root, which is 0700). DIR/instance records where it is, so
# stop finds it and removes it.
#
# Listeners (port $PORT on each address):
#   127.0.0.2  good      key, leaf (mx1.example.test), intermediate   -> (a) verified
#   127.0.0.3  notls     smtpd_tls_security_level = none              -> (b) STARTTLS not offered
#   127.0.0.4  tls454    smtpd_tls_CAfile = /nonexistent               -> (c) 454 to STARTTLS
#   127.0.0.5  hsfail    smtpd_tls_chain_files = an unreadable path    -> (d) handshake fails after 220
#   127.0.0.6  expired   key, expired leaf, intermediate               -> (e) expired
#   127.0.0.7  nointer   key, leaf (no intermediate)                   -> (e) missing intermediate
#   127.0.0.8  slow      like good, but the banner comes after 1 s (a greeting delay, as on the
#                        Internet: what concurrency is for)
#   127.0.0.2  good, implicit TLS (smtpd_tls_wrappermode) on port $((PORT + 1))
# DNS (dnsmasq on 127.0.0.1:$DNS_PORT, and [::1]:$DNS_PORT if the machine has ::1): example.test MX 10 mx1.example.test (good), MX 20
# mx2.example.test (notls); one.example.test: MX mx1 only; many.example.test: 50 MX hosts, all
# the good listener; slow.example.test / manyslow.example.test: 1 and 50 MX hosts on "slow";
# nomx.example.test: no MX, A 127.0.0.2; nullmx.example.test: MX 0 "." (RFC 7505);
# oddmx.example.test: MX odd_mx.example.test (an underscore: no certificate can name it).
set -euo pipefail
# shellcheck source=tests/postfix/common.sh
. "$(dirname "$0")/common.sh"
cmd=$1
dir=$2

stop() {
  local instance=""
  if [ -f "$dir/instance" ]; then
    instance=$(cat "$dir/instance")
  fi
  if [ -n "$instance" ] && [ -f "$instance/postfix/main.cf" ]; then
    postfix_stop_instance "$instance/postfix"
  fi
  if [ -f "$dir/dnsmasq.pid" ]; then
    kill "$(cat "$dir/dnsmasq.pid")" 2>/dev/null || true
    rm -f "$dir/dnsmasq.pid"
  fi
  if [ -f "$dir/fixture.env" ]; then
    # shellcheck disable=SC1091
    . "$dir/fixture.env"
    for _ in $(seq 100); do  # a killed master can linger as a zombie: wait for the port
      ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q . || break
      sleep 0.05
    done
    rm -f "$dir/fixture.env"
  fi
  case $instance in
    */certtool-check-tls.*) rm -rf "$instance" ;;  # only what start made
  esac
  rm -f "$dir/instance"
}

if [ "$cmd" = stop ]; then
  stop
  exit 0
fi

pki=$(cd "$3" && pwd)
command -v postfix >/dev/null || { echo "postfix is not installed (scripts/install-deps.sh)" >&2; exit 3; }
command -v dnsmasq >/dev/null || { echo "dnsmasq is not installed (scripts/install-deps.sh)" >&2; exit 3; }
stop
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

free_port() {  # a port free on every address we use (and the one above it)
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 30000))
    if ! ss -Htan | awk '{print $4}' | grep -qE ":($p|$((p + 1)))\$"; then
      echo "$p"
      return
    fi
  done
  echo "no free port" >&2
  exit 3
}
port=$(free_port)
dns_port=$(free_port)

instance=$(mktemp -d /tmp/certtool-check-tls.XXXXXX)
chmod 0755 "$instance"
echo "$instance" > "$dir/instance"
pf=$instance/postfix
mkdir -p "$pf/queue" "$pf/data"
postfix_master_cf > "$pf/master.cf"
cat >> "$pf/master.cf" <<MASTER
127.0.0.2:$port inet n - n - - smtpd
127.0.0.2:$((port + 1)) inet n - n - - smtpd -o smtpd_tls_wrappermode=yes
127.0.0.3:$port inet n - n - - smtpd -o smtpd_tls_security_level=none
127.0.0.4:$port inet n - n - - smtpd -o smtpd_tls_CAfile=/nonexistent
127.0.0.5:$port inet n - n - - smtpd -o smtpd_tls_chain_files=$dir/unreadable-chain.pem
127.0.0.6:$port inet n - n - - smtpd -o { smtpd_tls_chain_files = $pki/expired.key, $pki/expired.pem, $pki/inter.pem }
127.0.0.7:$port inet n - n - - smtpd -o { smtpd_tls_chain_files = $pki/good.key, $pki/good.pem }
127.0.0.8:$port inet n - n - - smtpd -o smtpd_delay_reject=no -o { smtpd_client_restrictions = sleep 1 }
MASTER
{
  postfix_main_cf "$pf" checktls "$instance"
  cat <<CF
myhostname = mx1.example.test
local_transport = error:this test sends no mail
smtpd_tls_security_level = may
smtpd_tls_chain_files = $pki/good.key, $pki/good.pem, $pki/inter.pem
smtpd_tls_loglevel = 1
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
default_process_limit = 200
CF
} | postfix_last_wins > "$pf/main.cf"
postfix_check_reachable "$pf" || { stop; exit 3; }
pf -c "$pf" set-permissions >/dev/null 2>&1 || true
pf -c "$pf" check >/dev/null 2>&1 || true
if ! pf -c "$pf" start >/dev/null; then
  echo "postfix did not start:" >&2
  cat "$pf/maillog" >&2 2>/dev/null || true
  stop
  exit 3
fi

{
  echo "mx-host=example.test,mx1.example.test,10"
  echo "mx-host=example.test,mx2.example.test,20"
  echo "mx-host=one.example.test,mx1.example.test,10"
  echo "host-record=mx1.example.test,127.0.0.2"
  echo "host-record=mx2.example.test,127.0.0.3"
  echo "host-record=nomx.example.test,127.0.0.2"
  echo "dns-rr=nullmx.example.test,15,000000"  # MX 0 "." (RFC 7505)
  echo "mx-host=oddmx.example.test,odd_mx.example.test,10"  # not a host name a cert can hold
  echo "host-record=odd_mx.example.test,127.0.0.2"
  echo "mx-host=slow.example.test,mx1.slow.example.test,10"
  echo "host-record=mx1.slow.example.test,127.0.0.8"
  for i in $(seq 50); do
    echo "mx-host=many.example.test,mx$i.many.example.test,$i"
    echo "host-record=mx$i.many.example.test,127.0.0.2"
    echo "mx-host=manyslow.example.test,mx$i.manyslow.example.test,$i"
    echo "host-record=mx$i.manyslow.example.test,127.0.0.8"
  done
} > "$dir/dnsmasq.conf"
# ::1 too when the machine has IPv6 loopback (for --dns-server [::1]:PORT).
dns_listen=127.0.0.1
dns_ipv6=0
if grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; then
  dns_listen=127.0.0.1,::1
  dns_ipv6=1
fi
dnsmasq --conf-file="$dir/dnsmasq.conf" --no-resolv --no-hosts --no-poll \
  --listen-address="$dns_listen" --bind-interfaces --port="$dns_port" \
  --pid-file="$dir/dnsmasq.pid" --user="$(id -un)" --local=/test/ 2>"$dir/dnsmasq.err" ||
  { echo "dnsmasq did not start: $(cat "$dir/dnsmasq.err")" >&2; stop; exit 3; }

for addr_port in 127.0.0.2:$port 127.0.0.2:$((port + 1)) 127.0.0.3:$port 127.0.0.7:$port; do
  for i in $(seq 200); do
    ss -Hltn "src $addr_port" 2>/dev/null | grep -q . && break
    [ "$i" = 200 ] && { echo "postfix is not listening on $addr_port" >&2; cat "$pf/maillog" >&2; stop; exit 3; }
    sleep 0.05
  done
done
cat > "$dir/fixture.env" <<ENV
PORT=$port
DNS_PORT=$dns_port
DNS_IPV6=$dns_ipv6
PKI=$pki
MAILLOG=$pf/maillog
ENV
echo "postfix on 127.0.0.2-7 port $port, dnsmasq on $dns_listen port $dns_port"
