#!/usr/bin/env bash
# Writes the seed corpora fuzz/corpus/<target>/ from the repository's test data (tests/data, the
# unit tests' sample lines, tests/conformance/corpora): fuzz/make-corpus.sh. Each seed starts with
# the option bytes its target reads (the header of fuzz/<target>.cpp). The seeds are committed;
# run this again after changing a target's input layout. Needs openssl, gzip, jq; PKCS#12 seeds
# have random salts, so a rerun changes their bytes, not what they exercise.
set -euo pipefail
cd "$(dirname "$0")/.."
out=fuzz/corpus
corpora=tests/conformance/corpora
pkits=$corpora/nist-pkits/certs
rust=$corpora/rustcrypto-pkcs12
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Bytes from hex ("0a ff 00"), big-endian integers, a 16-bit length before a part.
hex() { printf '%b' "$(printf '%s' "$*" | tr -d ' \n' | sed 's/../\\x&/g')"; }
u16() { hex "$(printf '%04x' "$1")"; }
u32() { hex "$(printf '%08x' "$1")"; }
part() { u16 "$(stat -c %s "$1")"; cat "$1"; }
seed() {  # seed TARGET NAME: stdin becomes fuzz/corpus/TARGET/NAME
  mkdir -p "$out/$1"
  cat >"$out/$1/$2"
}

rm -rf "${out:?}"/{maillog,certificates,pkcs12,smtp_reply,dns_answer,batch_fast,acme_response}

# --- maillog: option byte (format, bounds, window, domain), then the log ----------------------
esa=tests/data/esa-issue-example.log
# Delivery and message lines (tests/unit/maillog/test_mail_log.cpp).
cat >"$tmp/esa-delivery.log" <<'EOF'
Tue Apr 17 01:00:00 2018 Info: New SMTP DCID 7 interface 192.168.1.1 address 10.0.0.9 port 25
Tue Apr 17 01:00:01 2018 Info: Delivery start DCID 7 MID 99 to RID [0]
Tue Apr 17 01:00:02 2018 Info: Message done DCID 7 MID 99 to RID [0]
Tue Apr 17 01:00:03 2018 Info: DCID 7 close
Tue Apr 17 01:00:04 2018 Info: Start MID 100 ICID 590125205
Tue Apr 17 01:00:04 2018 Info: MID 100 ICID 590125205 RID 0 To: <a@Example.COM>
Tue Apr 17 01:00:05 2018 Info: Message finished MID 100 done
Tue Apr 17 01:00:06 2018 Info: Connection Error: DCID 8 domain: example.com IP: 10.0.0.8 port: 25 details: timeout interface: 192.168.1.1 reason: network error
Tue Apr 17 01:00:07 2018 Warning: MID 101 TLS required but STARTTLS not offered
EOF
# Postfix lines (tests/unit/maillog/test_mail_log.cpp, "Postfix TLS lines").
cat >"$tmp/postfix.log" <<'EOF'
Nov 27 20:00:00 gw postfix/smtpd[100]: connect from client.example[192.0.2.10]
Nov 27 20:00:00 gw postfix/smtpd[100]: Anonymous TLS connection established from client.example[192.0.2.10]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
Nov 27 20:00:01 gw postfix/smtpd[100]: 4ABC1: client=client.example[192.0.2.10]
Nov 27 20:00:02 gw postfix/smtpd[100]: disconnect from client.example[192.0.2.10] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7
Nov 27 20:00:03 gw postfix/smtpd[101]: connect from old.example[192.0.2.11]
Nov 27 20:00:03 gw postfix/smtpd[101]: SSL_accept error from old.example[192.0.2.11]: -1
Nov 27 20:00:03 gw postfix/smtpd[101]: disconnect from old.example[192.0.2.11]
Nov 27 20:00:04 gw postfix/smtpd[102]: connect from plain.example[192.0.2.12]
Nov 27 20:00:04 gw postfix/smtpd[102]: 4ABC2: client=plain.example[192.0.2.12]
Nov 27 20:00:05 gw postfix/smtpd[102]: disconnect from plain.example[192.0.2.12]
Nov 27 20:00:06 gw postfix/smtp[200]: Untrusted TLS connection established to mx.example.com[198.51.100.5]:25: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)
Nov 27 20:00:07 gw postfix/smtp[200]: 4ABC1: to=<a@example.com>, relay=mx.example.com[198.51.100.5]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok)
Nov 27 20:00:08 gw postfix/smtp[201]: 4ABC2: to=<b@clear.example>, relay=mx.clear.example[198.51.100.6]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok)
Nov 27 20:00:09 gw postfix/smtp[202]: TLS is required, but was not offered by host mx.strict.example[198.51.100.7]
Nov 27 20:00:09 gw postfix/smtp[202]: 4ABC3: to=<c@strict.example>, relay=mx.strict.example[198.51.100.7]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mx.strict.example[198.51.100.7])
EOF
{ hex 00; cat "$esa"; } | seed maillog esa-detected
{ hex 0d; cat "$esa"; } | seed maillog esa-tight-window
{ hex 11; cat "$tmp/esa-delivery.log"; } | seed maillog esa-delivery-domain
{ hex 00; cat "$tmp/postfix.log"; } | seed maillog postfix-detected
{ hex 1e; cat "$tmp/postfix.log"; } | seed maillog postfix-tight-window-domain
gzip -9n <"$esa" >"$tmp/esa.gz"
gzip -9n <"$tmp/postfix.log" >"$tmp/postfix.gz"
{ hex 00; cat "$tmp/esa.gz"; } | seed maillog esa-gzip
{ hex 00; cat "$tmp/postfix.gz" "$tmp/postfix.gz"; } | seed maillog postfix-gzip-two-members
{ hex 00; head -c 300 "$tmp/esa.gz"; } | seed maillog esa-gzip-truncated
{ hex 00; cat "$tmp/esa.gz"; printf 'garbage'; } | seed maillog esa-gzip-trailing-garbage

# --- certificates: a certificate or CRL file ------------------------------------------------
openssl x509 -inform DER -in "$pkits/ValidCertificatePathTest1EE.crt" >"$tmp/leaf.pem"
openssl x509 -inform DER -in "$pkits/GoodCACert.crt" >"$tmp/ca.pem"
openssl x509 -inform DER -in "$pkits/TrustAnchorRootCertificate.crt" >"$tmp/root.pem"
cat "$tmp/leaf.pem" "$tmp/ca.pem" "$tmp/root.pem" >"$tmp/bundle.pem"
# The PKITS leaf's key, as RustCrypto's PKCS#12 examples carry it (DER PKCS#8).
openssl pkey -inform DER -in "$rust/ValidCertificatePathTest1EE.key" >"$tmp/key.pem"
seed certificates leaf.der <"$pkits/ValidCertificatePathTest1EE.crt"
seed certificates leaf.pem <"$tmp/leaf.pem"
{ echo "issued by the CA"; cat "$tmp/bundle.pem"; } | seed certificates bundle-with-text.pem
openssl x509 -in "$tmp/ca.pem" -trustout -addtrust serverAuth | seed certificates trusted.pem
openssl crl2pkcs7 -nocrl -certfile "$tmp/bundle.pem" -outform DER | seed certificates bundle.p7b
openssl crl2pkcs7 -nocrl -certfile "$tmp/bundle.pem" | seed certificates bundle-p7.pem
cat "$tmp/key.pem" "$tmp/leaf.pem" | seed certificates key-and-cert.pem
seed certificates crl.der <"$corpora/nist-pkits/crls/GoodCACRL.crl"
openssl crl -inform DER -in "$corpora/nist-pkits/crls/GoodCACRL.crl" | seed certificates crl.pem
zcat "$corpora/x509-limbo/limbo.json.gz" |
  jq -r '.testcases[] | select(.id == "online::google.com") |
         .peer_certificate, .untrusted_intermediates[]' | seed certificates google-chain.pem

# --- pkcs12: a .p12 with the password 1234 --------------------------------------------------
# RustCrypto's examples with that password, low iteration counts first (fast executions).
for f in example6 example12 example13 example14 example15 example16 example5 example7; do
  seed pkcs12 "rustcrypto-$f.pfx" <"$rust/$f.pfx"
done
p12() {  # p12 NAME openssl-pkcs12-options...
  local name=$1
  shift
  openssl pkcs12 -export -inkey "$tmp/key.pem" -in "$tmp/leaf.pem" -passout pass:1234 -iter 1 "$@" |
    seed pkcs12 "$name.p12"
}
p12 chain-named -certfile "$tmp/ca.pem" -name mail -maciter
p12 legacy-rc2 -legacy -maciter
p12 no-mac -nomac
p12 unencrypted -keypbe NONE -certpbe NONE -maciter

# --- smtp_reply: read size, then what the server sends --------------------------------------
{ hex 00; printf '220 mx1.example.test ESMTP Postfix\r\n250-mx1.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-starttls\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n220 2.0.0 Ready to start TLS\r\n'; } |
  seed smtp_reply postfix-session
{ hex 07; printf '220 inject.example.test ESMTP\r\n250-inject.example.test\r\n250 STARTTLS\r\n220 go ahead\r\n250 injected reply\r\n'; } |
  seed smtp_reply injection-split-reads
{ hex 00; printf '220-first\n220-second\n220 last\n554 5.7.1 no\n250\n'; } | seed smtp_reply lf-multiline
{ hex 03; printf '250-a\r\n251 b\r\n'; } | seed smtp_reply inconsistent-codes
{ hex 00; printf '220 old.example.test SMTP ready\r\n500 5.5.1 unknown command\r\n250 ok\r\n221 bye'; } |
  seed smtp_reply helo-fallback-unterminated

# --- dns_answer: options, TCP read size, datagrams, TCP stream ------------------------------
# Messages for "example.com" MX / "mx.example.com" A and AAAA; the IDs are set to the query's
# by the target. Header: ID, flags (8180: response, recursion; 8380: truncated), counts.
q_mx="07 6578616d706c65 03 636f6d 00 000f 0001"
q_a="02 6d78 07 6578616d706c65 03 636f6d 00 0001 0001"
q_aaaa="02 6d78 07 6578616d706c65 03 636f6d 00 001c 0001"
mx_answer="0000 8180 0001 0002 0000 0000 $q_mx
  c00c 000f 0001 00000e10 0008 000a 03 6d7831 c00c
  c00c 000f 0001 00000e10 0008 0014 03 6d7832 c00c"
hex "$mx_answer" >"$tmp/mx"
hex "0000 8180 0001 0001 0000 0000 $q_mx c00c 000f 0001 00000e10 0003 0000 00" >"$tmp/null-mx"
hex "0000 8183 0001 0000 0000 0000 $q_mx" >"$tmp/nxdomain"
hex "0000 8380 0001 0000 0000 0000 $q_mx" >"$tmp/truncated"
hex "0000 8180 0001 0001 0000 0000 $q_a c00c 0001 0001 00000e10 0004 c0000201" >"$tmp/a"
hex "0000 8180 0001 0001 0000 0000 $q_aaaa c00c 001c 0001 00000e10 0010
  20010db8000000000000000000000001" >"$tmp/aaaa"
{ hex 00 00 01; part "$tmp/mx"; } | seed dns_answer mx
{ hex 00 00 01; part "$tmp/null-mx"; } | seed dns_answer null-mx
{ hex 00 00 01; part "$tmp/nxdomain"; } | seed dns_answer nxdomain
{ hex 00 05 01; part "$tmp/truncated"; part "$tmp/mx"; } | seed dns_answer truncated-then-tcp
{ hex 01 00 02; part "$tmp/a"; part "$tmp/aaaa"; } | seed dns_answer addresses
{ hex 01 00 01; part "$tmp/truncated"; part "$tmp/a"; part "$tmp/aaaa"; } |
  seed dns_answer addresses-tcp

# --- acme_response: HTTP status, then the body ----------------------------------------------
# pebble's answers (tests/acme/): a directory, problem documents (with an identifier and
# subproblems), base64url (a nonce, a token), a Retry-After date.
{ u16 200; printf '{"keyChange":"https://127.0.0.1:14000/rollover-account-key","meta":{"externalAccountRequired":true,"termsOfService":"data:text/plain,Do%%20what%%20thou%%20wilt"},"newAccount":"https://127.0.0.1:14000/sign-me-up","newNonce":"https://127.0.0.1:14000/nonce-plz","newOrder":"https://127.0.0.1:14000/order-plz","revokeCert":"https://127.0.0.1:14000/revoke-cert"}'; } |
  seed acme_response directory
{ u16 403; printf '{"type":"urn:ietf:params:acme:error:unauthorized","detail":"external account binding JWS verification error: square/go-jose: error in cryptographic primitive","status":403}'; } |
  seed acme_response problem-eab
{ u16 400; printf '{"type":"urn:ietf:params:acme:error:rejectedIdentifier","detail":"no","identifier":{"type":"dns","value":"a.example"},"subproblems":[{"type":"urn:ietf:params:acme:error:caa","detail":"CAA","identifier":{"type":"dns","value":"b.example"}}]}'; } |
  seed acme_response problem-subproblems
{ u16 400; printf 'x1SzxlIa6BOwMFEN7tBnZQ'; } | seed acme_response nonce
{ u16 503; printf 'Mon, 01 Jun 2026 00:01:30 GMT'; } | seed acme_response retry-after-date
{ u16 429; printf '120'; } | seed acme_response retry-after-seconds

# --- batch_fast: options, validation time, issuer, confirming leaf, leaf under test ---------
# Real leaves under their real issuers, at a time they are valid: past every check to the
# signature and the full verification. PKITS (RSA 2048, policies) and x509-limbo (EC, SANs, the
# online chains' SCTs, AIA, CRL distribution points).
triple() {  # triple NAME ISSUER.der CONFIRMING.der LEAF.der UNIX-TIME [OPTIONS]
  { hex "${6:-00}"; u32 "$5"; part "$2"; part "$3"; cat "$4"; } | seed batch_fast "$1"
}
good=$pkits/GoodCACert.crt
ee1=$pkits/ValidCertificatePathTest1EE.crt
triple pkits-ee "$good" "$ee1" "$ee1" 1577836800
triple pkits-ee-any-openssl "$good" "$ee1" "$ee1" 1577836800 0a
triple pkits-generalized-time "$good" "$ee1" "$pkits/ValidGeneralizedTimenotAfterDateTest8EE.crt" 1577836800
triple pkits-user-notice "$good" "$ee1" "$pkits/UserNoticeQualifierTest16EE.crt" 1577836800
limbo_triple() {  # limbo_triple ID: the peer under its first intermediate, else its anchor
  zcat "$corpora/x509-limbo/limbo.json.gz" |
    jq -r --arg id "$1" '.testcases[] | select(.id == $id) |
      .peer_certificate, (.untrusted_intermediates + .trusted_certs)[0]' >"$tmp/pair.pem"
  openssl x509 -in "$tmp/pair.pem" -outform DER >"$tmp/leaf.der"
  sed -n '/-----END/,$p' "$tmp/pair.pem" | tail -n +2 | openssl x509 -outform DER >"$tmp/issuer.der"
  local start
  start=$(date -d "$(openssl x509 -inform DER -in "$tmp/leaf.der" -noout -startdate | cut -d= -f2)" +%s)
  triple "limbo-${1//::/-}" "$tmp/issuer.der" "$tmp/leaf.der" "$tmp/leaf.der" $((start + 86400))
}
for id in webpki::san::exact-dns-san rfc5280::ee-aia online::google.com online::fastly.com \
  webpki::cryptographydotio-chain; do
  limbo_triple "$id"
done

du -sh "$out"
find "$out" -type f | wc -l
