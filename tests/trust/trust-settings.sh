#!/bin/sh
# Trust settings (TRUSTED CERTIFICATE, openssl x509 -addtrust/-addreject) on roots and on
# intermediates: certtool verify's verdict must be the OpenSSL CLI's for every purpose.
# Usage: trust-settings.sh CERTTOOL
set -eu
CERTTOOL=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
ossl() { openssl "$@" 2>/dev/null; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
    -subj /CN=Root -days 100 -addext basicConstraints=critical,CA:true \
    -addext keyUsage=critical,keyCertSign,cRLSign
printf 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' >ca.ext
ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout int.key -out int.csr -subj /CN=Int
ossl x509 -req -in int.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out int.pem -days 60 -extfile ca.ext
printf 'subjectAltName=DNS:mail.example.com\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\nauthorityKeyIdentifier=keyid\n' >leaf.ext
ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr -subj /CN=mail.example.com
ossl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -CAcreateserial -out leaf.pem -days 30 -extfile leaf.ext
fail=0
cases=0
for on in root int; do
    for setting in "" "-addtrust serverAuth" "-addtrust clientAuth" "-addtrust anyExtendedKeyUsage" \
        "-addreject serverAuth" "-addreject clientAuth" "-addreject anyExtendedKeyUsage" \
        "-addtrust serverAuth -addreject clientAuth"; do
        if [ "$on" = root ]; then
            # shellcheck disable=SC2086
            ossl x509 -in ca.pem $setting -out anchors.pem
            cat int.pem >chain.pem
        else
            # shellcheck disable=SC2086
            ossl x509 -in int.pem $setting -out t.pem
            cat ca.pem t.pem >anchors.pem
            cat int.pem >chain.pem
        fi
        for purpose in server client any; do
            case $purpose in server) op=sslserver ;; client) op=sslclient ;; any) op=any ;; esac
            if openssl verify -purpose "$op" -CAfile anchors.pem -untrusted chain.pem leaf.pem >/dev/null 2>&1; then
                want=0
            else
                want=1
            fi
            got=0
            "$CERTTOOL" verify --cert leaf.pem --chain chain.pem --trust anchors.pem \
                --purpose "$purpose" >out.txt 2>&1 || got=$?
            cases=$((cases + 1))
            if [ "$got" != "$want" ]; then
                echo "MISMATCH: settings '$setting' on $on, purpose $purpose: openssl $want, certtool $got"
                cat out.txt
                fail=1
            fi
            if [ "$want" = 1 ] && [ "$setting" != "" ] && ! grep -q distrusted-anchor out.txt; then
                echo "no distrusted-anchor finding: settings '$setting' on $on, purpose $purpose"
                cat out.txt
                fail=1
            fi
        done
    done
done
# A p11-kit style bundle: a distrusted root among trusted ones.
ossl x509 -in ca.pem -addreject anyExtendedKeyUsage -setalias "Distrusted Root" -out p11.pem
cat /etc/ssl/certs/ca-certificates.crt >>p11.pem 2>/dev/null || true
got=0
"$CERTTOOL" verify --cert leaf.pem --chain int.pem --trust p11.pem >out.txt 2>&1 || got=$?
cases=$((cases + 1))
if [ "$got" != 1 ] || ! grep -q distrusted-anchor out.txt; then
    echo "p11-kit style bundle: the distrusted root anchored the chain (exit $got)"
    cat out.txt
    fail=1
fi
# The false alarms OpenSSL-based peers do not raise: a CA with non-critical name constraints and
# a leaf without an authority key identifier are valid by default, with warnings, and invalid
# under --profile rfc5280.
printf 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nnameConstraints=permitted;DNS:example.com\n' >nc.ext
ossl x509 -req -in int.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out intnc.pem -days 60 -extfile nc.ext
printf 'subjectAltName=DNS:mail.example.com\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\nauthorityKeyIdentifier=none\nsubjectKeyIdentifier=none\n' >noaki.ext
ossl x509 -req -in leaf.csr -CA intnc.pem -CAkey int.key -CAcreateserial -out leafnc.pem -days 30 -extfile noaki.ext
cases=$((cases + 1))
if ! "$CERTTOOL" verify --cert leafnc.pem --chain intnc.pem --trust ca.pem >out.txt 2>&1 ||
    ! grep -q 'warning \[name-constraints-violation\]' out.txt ||
    ! grep -q 'Missing Authority Key Identifier (an error under --profile rfc5280)' out.txt; then
    echo "default profile: a false alarm, or the warnings are missing"
    cat out.txt
    fail=1
fi
cases=$((cases + 1))
if "$CERTTOOL" verify --cert leafnc.pem --chain intnc.pem --trust ca.pem --profile rfc5280 >out.txt 2>&1; then
    echo "--profile rfc5280 accepted a non-critical nameConstraints extension"
    fail=1
fi
# An Ed25519 root with an X25519 leaf (keyAgreement; made with -force_pubkey, since an X25519
# key cannot sign its own request): valid for openssl verify and for the default profile.
ossl genpkey -algorithm ed25519 -out ed.key
ossl req -x509 -key ed.key -subj /CN=EdRoot -days 30 -out ed.pem \
    -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign
ossl genpkey -algorithm x25519 -out x.key
ossl pkey -in x.key -pubout -out x.pub
ossl genpkey -algorithm ed25519 -out dummy.key
ossl req -new -key dummy.key -subj /CN=x.example -out dummy.csr
printf 'subjectAltName=DNS:x.example\nkeyUsage=critical,keyAgreement\n' >x.ext
ossl x509 -req -in dummy.csr -CA ed.pem -CAkey ed.key -force_pubkey x.pub -days 10 -extfile x.ext -out xleaf.pem
cases=$((cases + 1))
want=0
openssl verify -CAfile ed.pem xleaf.pem >/dev/null 2>&1 || want=1
got=0
"$CERTTOOL" verify --cert xleaf.pem --trust ed.pem >out.txt 2>&1 || got=$?
if [ "$want" != 0 ] || [ "$got" != 0 ]; then
    echo "Ed25519 root, X25519 leaf: openssl verify exit $want, certtool exit $got (both should accept)"
    cat out.txt
    fail=1
fi
echo "trust settings: $cases cases, $([ $fail = 0 ] && echo 'all agree with openssl verify' || echo 'MISMATCHES')"
exit $fail
