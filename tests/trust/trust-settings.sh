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
echo "trust settings: $cases cases, $([ $fail = 0 ] && echo 'all agree with openssl verify' || echo 'MISMATCHES')"
exit $fail
