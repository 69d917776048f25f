# shellcheck shell=bash
# Shared by the deploy-*.sh tests (sourced): a private store, a test PKI, private Postfix
# instances on loopback ports in 25700-25899 picked free at run time, cleanup on exit.
# Needs: CERTTOOL (the binary), WORK (a fresh directory the caller owns).
# shellcheck source=tests/postfix/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
set -euo pipefail
command -v postfix >/dev/null || { echo "postfix is not installed (scripts/install-deps.sh)" >&2; exit 3; }
command -v swaks >/dev/null || { echo "swaks is not installed (scripts/install-deps.sh)" >&2; exit 3; }
export CERTTOOL_HOME=$WORK/store
instances=()
cleanup_instances() {
  for d in "${instances[@]}"; do postfix_stop_instance "$d"; done
}
trap cleanup_instances EXIT

fail() { echo "FAIL: $*" >&2; postfix_log_tails "${instances[@]}"; exit 1; }
ok() { echo "ok: $*"; }
ct() { "$CERTTOOL" "$@"; }

free_port() {  # a port in 25700-25899 nobody listens on
  local p
  for _ in $(seq 200); do
    p=$((25700 + RANDOM % 200))
    if ! ss -Htan | awk '{print $4}' | grep -qE ":$p\$"; then echo "$p"; return; fi
  done
  fail "no free port in 25700-25899"
}

wait_listen() {  # ADDR:PORT
  for _ in $(seq 200); do
    ss -Hltn "src $1" 2>/dev/null | grep -q . && return 0
    sleep 0.05
  done
  fail "nothing listens on $1"
}

# new_instance NAME [main.cf lines...]: a stopped instance in $WORK/NAME (no listeners).
new_instance() {
  local name=$1 dir=$WORK/$1
  shift
  mkdir -p "$dir/queue" "$dir/data"
  postfix_master_cf > "$dir/master.cf"
  {
    postfix_main_cf "$dir" "$name" "$WORK"
    echo "myhostname = $name.test.example"
    echo "smtpd_tls_loglevel = 1"
    for line in "$@"; do echo "$line"; done
  } | postfix_last_wins > "$dir/main.cf"
  postfix_check_reachable "$dir" || exit 3
  pf -c "$dir" set-permissions >/dev/null 2>&1 || true
  instances+=("$dir")
}

start_instance() {
  pf -c "$1" start >/dev/null 2>&1 || { cat "$1/maillog" >&2 2>/dev/null; fail "postfix in $1 did not start"; }
}

# The fingerprint of the leaf ADDR PORT serves over STARTTLS.
served_fingerprint() {
  openssl s_client -starttls smtp -connect "$1:$2" -servername x </dev/null 2>/dev/null |
    openssl x509 -noout -fingerprint -sha256 | sed 's/.*=//'
}

cert_fingerprint() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//'; }

# A test CA: root, intermediate, and leaves signed by the intermediate (make_leaf NAME CN).
make_ca() {
  local pki=$WORK/pki
  mkdir -p "$pki"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj /CN=certtool-test-root -keyout "$pki/root.key" -out "$pki/root.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=certtool-test-inter \
    -keyout "$pki/inter.key" -out "$pki/inter.csr" 2>/dev/null
  printf 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n' > "$pki/ca.ext"
  openssl x509 -req -in "$pki/inter.csr" -CA "$pki/root.pem" -CAkey "$pki/root.key" \
    -CAcreateserial -days 30 -extfile "$pki/ca.ext" -out "$pki/inter.pem" 2>/dev/null
}

# sign_csr CSR OUT CN: the intermediate signs a CSR for CN (a server and client leaf).
sign_csr() {
  local pki=$WORK/pki
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\n' "$3" > "$pki/leaf.ext"
  openssl x509 -req -in "$1" -CA "$pki/inter.pem" -CAkey "$pki/inter.key" -CAcreateserial \
    -days 20 -extfile "$pki/leaf.ext" -out "$2" 2>/dev/null
}

# A CA-signed store entry NAME for CN with the intermediate: certtool makes the key and CSR.
ca_entry() {
  local name=$1 cn=$2
  ct create-selfsigned "$name" --cn "$cn" --san "DNS:$cn" --key-type ec-p256 >/dev/null
  ct export-csr "$name" -o "$WORK/$name.csr" >/dev/null
  sign_csr "$WORK/$name.csr" "$WORK/$name.pem" "$cn"
  ct import-signed "$name" --cert "$WORK/$name.pem" --intermediate "$WORK/pki/inter.pem" \
    --trust "$WORK/pki/root.pem" >/dev/null
}
