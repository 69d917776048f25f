#!/usr/bin/env bash
# Issue 16.2, through the real binary against a real slapd and Postfix's LDAP client on loopback:
# slapd demands a client certificate (TLSVerifyClient demand); the LDAP binding, committed to a
# Postfix target that names an ldap: table, makes a `postmap -q` lookup through that table
# succeed (as root, and as Postfix's mail owner, as its daemons run), where the same table
# without certtool's lines fails. Renewed with --commit, the table presents the new leaf.
# Usage: deploy-ldap.sh CERTTOOL WORKDIR. Exits 0 when every check passes.
CERTTOOL=$1
WORK=$2
rm -rf "$WORK" && mkdir -p "$WORK" && chmod 0755 "$WORK"
WORK=$(cd "$WORK" && pwd)
# shellcheck source=tests/postfix/deploy-common.sh
. "$(dirname "$0")/deploy-common.sh"
command -v slapd >/dev/null || { echo "slapd is not installed (scripts/install-deps.sh)" >&2; exit 3; }
grep -qrs "^ldap" /etc/postfix/dynamicmaps.cf /etc/postfix/dynamicmaps.cf.d || { echo "postfix-ldap is not installed (scripts/install-deps.sh)" >&2; exit 3; }

make_ca
lport=$(free_port)
sl=$WORK/slapd
mkdir -p "$sl/db"
# slapd's own certificate, for 127.0.0.1 (the LDAP client checks the address).
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=ldap.test.example \
  -keyout "$sl/server.key" -out "$sl/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$sl/server.ext"
openssl x509 -req -in "$sl/server.csr" -CA "$WORK/pki/inter.pem" -CAkey "$WORK/pki/inter.key" \
  -CAcreateserial -days 20 -extfile "$sl/server.ext" -out "$sl/server.pem" 2>/dev/null
cat "$WORK/pki/inter.pem" >> "$sl/server.pem"
cat > "$sl/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
pidfile $sl/slapd.pid
argsfile $sl/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCACertificateFile $WORK/pki/root.pem
TLSCertificateFile $sl/server.pem
TLSCertificateKeyFile $sl/server.key
TLSVerifyClient demand
database mdb
suffix "dc=test,dc=example"
rootdn "cn=admin,dc=test,dc=example"
directory $sl/db
CONF
cat > "$sl/data.ldif" <<'LDIF'
dn: dc=test,dc=example
objectClass: dcObject
objectClass: organization
o: test
dc: test

dn: cn=user,dc=test,dc=example
objectClass: person
cn: user
sn: user
description: user@mailbox.test.example
LDIF
slapadd -f "$sl/slapd.conf" -l "$sl/data.ldif" >/dev/null 2>&1 || fail "slapadd"
stop_slapd() { [ -f "$sl/slapd.pid" ] && kill "$(cat "$sl/slapd.pid")" 2>/dev/null || true; }
trap 'stop_slapd; cleanup_instances' EXIT
slapd -f "$sl/slapd.conf" -h "ldaps://127.0.0.1:$lport/" || fail "slapd did not start"
wait_listen "127.0.0.1:$lport"

gw=$WORK/gw
new_instance gw "mydestination = test.example"
cat > "$gw/ldap-recipients.cf" <<CF
server_host = ldaps://127.0.0.1:$lport/
search_base = dc=test,dc=example
query_filter = (cn=%s)
result_attribute = description
version = 3
bind = no
tls_ca_cert_file = $WORK/pki/root.pem
tls_require_cert = yes
CF
chmod 644 "$gw/ldap-recipients.cf"
lookup() {  # [runuser prefix...]: the result of looking "user" up through the table
  "$@" postmap -c "$gw" -q user "ldap:$gw/ldap-recipients.cf" 2>"$WORK/lookup.err"
}
[ -z "$(lookup)" ] || fail "slapd answered a client without a certificate"

ca_entry mail mx.test.example
ct target postfix --config-dir "$gw" --ldap-table "$gw/ldap-recipients.cf" >/dev/null 2>"$WORK/err" ||
  { cat "$WORK/err" >&2; fail "target postfix --ldap-table"; }
ct service set ldap --certificate mail >/dev/null 2>&1
ct commit --comment "LDAP client certificate" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "commit"; }
grep -q "^tls_cert = $gw/certtool/rev-1/ldap-client.pem" "$gw/ldap-recipients.cf" ||
  fail "the table does not name the client certificate: $(cat "$gw/ldap-recipients.cf")"
grep -q "^search_base = dc=test,dc=example" "$gw/ldap-recipients.cf" || fail "the table's own lines were lost"
[ "$(lookup)" = "user@mailbox.test.example" ] || fail "the lookup with the bound certificate failed: $(cat "$WORK/lookup.err")"
owner=$(postconf -c "$gw" -h mail_owner)
[ "$(lookup runuser -u "$owner" --)" = "user@mailbox.test.example" ] ||
  fail "the lookup as $owner (as Postfix's daemons run) failed: $(cat "$WORK/lookup.err")"
[ "$(stat -c %a "$gw/certtool/rev-1/ldap-client.key")" = 640 ] || fail "the LDAP key is not 0640"
[ "$(stat -c %a "$gw/certtool/rev-1")" = 710 ] || fail "the revision directory is not 0710"
runuser -u "$owner" -- ls "$gw/certtool/rev-1" >/dev/null 2>&1 && fail "$owner can list the revision directory"
[ "$(stat -c %a "$gw/certtool/rev-1/listener-In.pem" 2>/dev/null || echo 600)" = 600 ] || fail "other files were shared"
ok "16.2: slapd (TLSVerifyClient demand) answers the lookup through the table with the bound certificate, as root and as $owner"

# Renewal: the table presents the new leaf.
rm -f "$WORK/mail-renew.csr"
ct export-csr mail -o "$WORK/mail-renew.csr" >/dev/null
sign_csr "$WORK/mail-renew.csr" "$WORK/mail2.pem" mx.test.example
ct import-signed mail --cert "$WORK/mail2.pem" --intermediate "$WORK/pki/inter.pem" \
  --trust "$WORK/pki/root.pem" --commit >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "renewal"; }
cert=$(sed -n 's/^tls_cert = //p' "$gw/ldap-recipients.cf")
[ "$(cert_fingerprint "$cert")" = "$(cert_fingerprint "$WORK/mail2.pem")" ] || fail "the table does not present the renewed leaf"
[ "$(grep -c 'BEGIN certtool managed' "$gw/ldap-recipients.cf")" = 1 ] || fail "not one managed section"
[ "$(lookup)" = "user@mailbox.test.example" ] || fail "the lookup after the renewal failed: $(cat "$WORK/lookup.err")"
ok "16.2/16.5: renewed with --commit, the table presents the new leaf and the lookup works"

# Without certtool's lines the same table fails again: the certificate is what slapd wants.
ct service set ldap --certificate demo >/dev/null 2>&1 || true
sed '/BEGIN certtool managed/,/END certtool managed/d' "$gw/ldap-recipients.cf" > "$WORK/plain.cf"
[ -z "$(postmap -c "$gw" -q user "ldap:$WORK/plain.cf" 2>/dev/null)" ] || fail "the table without tls_cert still worked"
ok "16.2: the table without certtool's lines is refused by slapd"
echo "deploy-ldap: all passed"
