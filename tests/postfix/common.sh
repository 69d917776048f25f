# shellcheck shell=bash
# Shared by the scripts that run private Postfix instances for tests (sourced, not run).
# Each instance has its own config dir, listens only on loopback and sends nothing off the machine.

# master.cf for a private instance: Debian's, with its port-25 listener commented out and no
# service chrooted (an instance's queue is not a chroot jail). Listeners are appended by the caller.
postfix_master_cf() {
  sed -e 's/^\(smtp *inet.*\)$/#\1/' /etc/postfix/master.cf |
    awk '{ if ($0 !~ /^#/ && NF >= 8 && $5 == "y") { $5 = "n" } print }'
}

# The main.cf lines every instance needs: postfix_main_cf DIR NAME LOG_PREFIX_DIR.
# Mail to anywhere not routed explicitly bounces locally (error: transport); no notices.
postfix_main_cf() {
  local dir=$1 name=$2 prefix=$3
  cat <<CF
compatibility_level = 3.6
config_directory = $dir
queue_directory = $dir/queue
data_directory = $dir/data
maillog_file = $dir/maillog
maillog_file_prefixes = $prefix
syslog_name = postfix-$name
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
notify_classes =
default_transport = error:this test sends no mail off the machine
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtpd_banner = \$myhostname ESMTP
CF
}

# main.cf lines on stdin with each parameter set once, to its last value, where it first
# appeared. Every Postfix process warns about a parameter set twice as it starts; with
# maillog_file those warnings go to postlogd's socket, whose queue holds only
# net.unix.max_dgram_qlen (10) datagrams, and a postlogd restarted by a reload that has to log
# the same warnings itself blocks on its own full socket: every process that logs then hangs
# (seen as `master -t` and `postfix stop` never returning).
postfix_last_wins() {
  awk '
    /^[A-Za-z0-9_]+[ \t]*=/ { key = $0; sub(/[ \t]*=.*/, "", key)
      if (!(key in seen)) { seen[key] = n; order[n++] = key }
      value[key] = $0; next }
    { order[n++] = "\001" $0 }
    END { for (i = 0; i < n; i++) print (substr(order[i], 1, 1) == "\001") ? substr(order[i], 2) : value[order[i]] }'
}

# postfix(1), bounded: a command that hangs (a `master -t` stuck writing to a full postlog socket
# was seen once when two suites ran Postfix at the same time) fails after 60 s with a message
# instead of holding the test until ctest's timeout.
pf() {
  local rc=0
  timeout -k 5 60 postfix "$@" || rc=$?
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "postfix $* did not finish within 60 s" >&2
  fi
  return "$rc"
}

# Stops the instance in DIR; a master that does not stop is killed (it may linger as a zombie:
# callers wait for its port to close rather than trusting kill -0).
# The master's whole process group goes: an smtpd left behind by a master killed alone keeps the
# inherited listening socket (and the port) until its idle timer runs out.
postfix_stop_instance() {
  local dir=$1 pid
  pid=$(head -1 "$dir/queue/pid/master.pid" 2>/dev/null | tr -d ' ' || true)
  pf -c "$dir" stop >/dev/null || true
  if [ -n "$pid" ]; then
    kill -9 -- "-$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
      pgrep -g "$pid" >/dev/null 2>&1 || break
      sleep 0.1
    done
  fi
}

# The last lines of each instance's log, for a failing test's output.
postfix_log_tails() {
  local d
  for d in "$@"; do
    [ -f "$d/maillog" ] || continue
    echo "--- last lines of $d/maillog" >&2
    tail -n 15 "$d/maillog" >&2
  done
}

# Can the instance's daemons, which run as its mail owner, enter DIR (its config directory, with
# queue/ and data/ inside)? Says why not, on stderr, and fails. A private parent directory (a
# clone under /root, 0700) is the usual reason; the daemons cannot start there.
postfix_check_reachable() {
  local dir=$1 owner
  owner=$(postconf -c "$dir" -h mail_owner 2>/dev/null || echo postfix)
  if ! id "$owner" >/dev/null 2>&1; then
    echo "postfix's mail owner '$owner' does not exist: is postfix installed (scripts/install-deps.sh)?" >&2
    return 1
  fi
  if command -v runuser >/dev/null && [ "$(id -u)" = 0 ] &&
    ! runuser -u "$owner" -- test -x "$dir/data" -a -x "$dir/queue"; then
    echo "postfix's daemons run as '$owner' and cannot enter $dir: a directory above it is" \
      "private (e.g. a clone under /root, mode 0700); put the instance where '$owner' can reach it" >&2
    return 1
  fi
}
