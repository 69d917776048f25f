// The ACME client's pieces that need no server (lib/src/acme, white-box): base64url, the JWK
// and its thumbprint, JWS with each account key type (verified by OpenSSL itself), External
// Account Binding, problem documents, Retry-After, the directory, server names and account
// files, ARI (RFC 9773) identifiers and windows, the dns-01 value and the tls-alpn-01
// certificate. The protocol against a real server: tests/acme/ (pebble).
#include "acme_client.hpp"
#include "challenges.hpp"
#include "jws.hpp"
#include "ossl.hpp"
#include "renewal.hpp"
#include "support.hpp"
#include "tls_alpn01.hpp"

#include <certtool/acme.hpp>
#include <certtool/error.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <openssl/x509v3.h>

#include <array>
#include <fstream>

using namespace certtool;
using namespace certtool::detail;
using nlohmann::json;

namespace {

Errc acme_error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    FAIL("no certtool::Error thrown");
    return Errc::io;
}

std::string decoded(const json& j, const char* member) {
    const auto d = base64url_decode(j.at(member).get<std::string>());
    REQUIRE(d);
    return *d;
}

// OpenSSL's verdict on a JWS signature: r||s is turned back into DER for ECDSA.
bool verifies(const PrivateKey& key, const std::string& input, std::string sig) {
    EVP_PKEY* pkey = key.native();
    const char* md = ossl::is_a(pkey, "ED25519") ? nullptr : "SHA256";
    if (ossl::is_a(pkey, "EC")) {
        REQUIRE(sig.size() == 64);
        const auto* raw = reinterpret_cast<const unsigned char*>(sig.data());
        ossl::BignumPtr r{BN_bin2bn(raw, 32, nullptr)};
        ossl::BignumPtr s{BN_bin2bn(raw + 32, 32, nullptr)};
        ossl::EcdsaSigPtr es{ECDSA_SIG_new()};
        REQUIRE(ECDSA_SIG_set0(es.get(), r.get(), s.get()) == 1);
        static_cast<void>(r.release());
        static_cast<void>(s.release());
        unsigned char* der = nullptr;
        const int len = i2d_ECDSA_SIG(es.get(), &der);
        REQUIRE(len > 0);
        const ossl::OpensslBytesPtr owned{der};
        sig.assign(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
    }
    ossl::EvpMdCtxPtr ctx{EVP_MD_CTX_new()};
    REQUIRE(EVP_DigestVerifyInit_ex(ctx.get(), nullptr, md, nullptr, nullptr, pkey, nullptr) == 1);
    const int rc = EVP_DigestVerify(ctx.get(),
                                    reinterpret_cast<const unsigned char*>(sig.data()),
                                    sig.size(),
                                    reinterpret_cast<const unsigned char*>(input.data()),
                                    input.size());
    ossl::clear_errors();
    return rc == 1;
}

}  // namespace

TEST_CASE("acme: base64url is RFC 4648 section 5 without padding", "[acme]") {
    const std::vector<std::pair<std::string, std::string>> vectors{
        {"", ""},
        {"f", "Zg"},
        {"fo", "Zm8"},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg"},
        {"fooba", "Zm9vYmE"},
        {"foobar", "Zm9vYmFy"},
        {std::string{"\xfb\xff\xbf", 3}, "-_-_"},
    };
    for (const auto& [plain, encoded] : vectors) {
        CHECK(base64url(plain) == encoded);
        CHECK(base64url_decode(encoded) == plain);
    }
    for (const char* bad : {"Zg=", "Z", "Zh", "Zm9v+A", "Zm9v/A", "Zm 9v", "Zm9v\n"}) {
        INFO(bad);
        CHECK_FALSE(base64url_decode(bad));
    }
}

TEST_CASE("acme: the JWK thumbprint of RFC 7638's example", "[acme]") {
    const json jwk{
        {"kty", "RSA"},
        {"n",
         "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
         "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
         "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
         "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-"
         "kEgU8awapJzKnqDKgw"},
        {"e", "AQAB"},
        {"alg", "RS256"},
        {"kid", "2011-04-29"}};
    CHECK(jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST_CASE("acme: JWS with each account key type verifies", "[acme][jws]") {
    const std::vector<std::tuple<KeyType, std::string, std::string>> types{
        {KeyType::ec_p256, "ES256", "EC"},
        {KeyType::rsa2048, "RS256", "RSA"},
        {KeyType::ed25519, "EdDSA", "OKP"},
    };
    for (const auto& [type, alg, kty] : types) {
        INFO(alg);
        const PrivateKey key = PrivateKey::generate(type);
        const JwsKey jk = jws_key(key);
        CHECK(jk.alg == alg);
        CHECK(jk.jwk.at("kty") == kty);
        if (type == KeyType::ec_p256) {
            CHECK(jk.jwk.at("crv") == "P-256");
            CHECK(jk.jwk.at("x").get<std::string>().size() == 43);  // 32 bytes
            CHECK(jk.jwk.at("y").get<std::string>().size() == 43);
        }
        if (type == KeyType::rsa2048) {
            CHECK(jk.jwk.at("e") == "AQAB");
            CHECK(decoded(jk.jwk, "n").size() == 256);
        }
        if (type == KeyType::ed25519) {
            CHECK(decoded(jk.jwk, "x").size() == 32);
        }
        SECTION("with the JWK (newAccount) and with the kid " + alg) {
            const json by_jwk =
                jws_sign(jk, R"({"termsOfServiceAgreed":true})", "https://ca/new", "n1", "");
            const json header = json::parse(decoded(by_jwk, "protected"));
            CHECK(header.at("alg") == alg);
            CHECK(header.at("nonce") == "n1");
            CHECK(header.at("url") == "https://ca/new");
            CHECK(header.at("jwk") == jk.jwk);
            CHECK_FALSE(header.contains("kid"));
            CHECK(decoded(by_jwk, "payload") == R"({"termsOfServiceAgreed":true})");
            const std::string input = by_jwk.at("protected").get<std::string>() + "." +
                                      by_jwk.at("payload").get<std::string>();
            CHECK(verifies(key, input, decoded(by_jwk, "signature")));
            CHECK_FALSE(verifies(key, input + "x", decoded(by_jwk, "signature")));

            const json by_kid = jws_sign(jk, "", "https://ca/acct/1", "n2", "https://ca/acct/1");
            const json h2 = json::parse(decoded(by_kid, "protected"));
            CHECK(h2.at("kid") == "https://ca/acct/1");
            CHECK_FALSE(h2.contains("jwk"));
            CHECK(by_kid.at("payload") == "");  // POST-as-GET
        }
    }
    SECTION("keys JOSE has no ES256/RS256/EdDSA for are refused") {
        const ossl::EvpPkeyPtr ed448{EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448")};
        REQUIRE(ed448 != nullptr);
        const PrivateKey key = PrivateKey::adopt(ed448.get());
        CHECK(acme_error_of([&] { static_cast<void>(jws_key(key)); }) == Errc::unsupported);
        CHECK(acme_error_of([&] { static_cast<void>(key.sign("x")); }) == Errc::unsupported);
    }
}

TEST_CASE("acme: sign() encodes ECDSA as DER or as fixed r||s", "[acme][jws]") {
    const PrivateKey p384 = PrivateKey::generate(KeyType::ec_p384);
    CHECK(p384.sign("data", SignatureEncoding::fixed).size() == 96);
    const std::string der = p384.sign("data");
    CHECK(static_cast<unsigned char>(der.front()) == 0x30);  // SEQUENCE
    CHECK(jws_key(p384).alg == "ES384");
}

TEST_CASE("acme: External Account Binding is HS256 over the account JWK", "[acme][jws]") {
    const JwsKey jk = jws_key(PrivateKey::generate(KeyType::ec_p256));
    const Secret mac_key{std::string{"0123456789abcdef0123456789abcdef"}};
    const json eab = eab_jws(jk.jwk, "kid-1", mac_key, "https://ca/new-acct");
    const json header = json::parse(decoded(eab, "protected"));
    CHECK(header == json{{"alg", "HS256"}, {"kid", "kid-1"}, {"url", "https://ca/new-acct"}});
    CHECK(json::parse(decoded(eab, "payload")) == jk.jwk);
    const std::string input =
        eab.at("protected").get<std::string>() + "." + eab.at("payload").get<std::string>();
    std::array<unsigned char, 32> mac{};
    std::size_t len = 0;
    REQUIRE(EVP_Q_mac(nullptr,
                      "HMAC",
                      nullptr,
                      "SHA256",
                      nullptr,
                      mac_key.view().data(),
                      mac_key.size(),
                      reinterpret_cast<const unsigned char*>(input.data()),
                      input.size(),
                      mac.data(),
                      mac.size(),
                      &len) != nullptr);
    CHECK(decoded(eab, "signature") == std::string(reinterpret_cast<const char*>(mac.data()), len));
}

TEST_CASE("acme: problem documents become one line with the type, detail and identifier",
          "[acme]") {
    const AcmeProblem p =
        parse_problem(403,
                      R"({"type":"urn:ietf:params:acme:error:rejectedIdentifier","detail":"no\nway",
            "identifier":{"type":"dns","value":"a.example"},
            "subproblems":[{"type":"urn:ietf:params:acme:error:caa","detail":"CAA forbids",
                            "identifier":{"type":"dns","value":"b.example"}}]})");
    CHECK(p.type == "urn:ietf:params:acme:error:rejectedIdentifier");
    CHECK(p.text ==
          "urn:ietf:params:acme:error:rejectedIdentifier: no\nway (dns:a.example); "
          "urn:ietf:params:acme:error:caa: CAA forbids (dns:b.example)");
    // Error makes it printable: one line.
    CHECK(std::string{Error(Errc::network, p.text).what()}.find('\n') == std::string::npos);
    const AcmeProblem html = parse_problem(502, "<html>Bad gateway</html>");
    CHECK(html.type.empty());
    CHECK(html.text == "HTTP 502 without a problem document");
    const AcmeProblem longer =
        parse_problem(400, json{{"type", "t"}, {"detail", std::string(5000, 'x')}}.dump());
    CHECK(longer.text.size() < 500);
}

TEST_CASE("acme: Retry-After in seconds or as an HTTP date", "[acme]") {
    const TimePoint now = parse_time("2026-06-01T00:00:00Z");
    CHECK(parse_retry_after("120", now) == std::chrono::seconds{120});
    CHECK(parse_retry_after(" 7 ", now) == std::chrono::seconds{7});
    CHECK(parse_retry_after("Mon, 01 Jun 2026 00:01:30 GMT", now) == std::chrono::seconds{90});
    CHECK(parse_retry_after("Sun, 31 May 2026 00:00:00 GMT", now) == std::chrono::seconds{0});
    CHECK_FALSE(parse_retry_after("soon", now));
    CHECK_FALSE(parse_retry_after("", now));
    CHECK(parse_retry_after("99999999999999", now) >= std::chrono::hours{24 * 365});
}

TEST_CASE("acme: the directory needs newNonce, newAccount and newOrder", "[acme]") {
    const json pebble{{"keyChange", "https://ca/rollover-account-key"},
                      {"meta",
                       {{"externalAccountRequired", true},
                        {"termsOfService", "data:text/plain,Do%20what%20thou%20wilt"}}},
                      {"newAccount", "https://ca/sign-me-up"},
                      {"newNonce", "https://ca/nonce-plz"},
                      {"newOrder", "https://ca/order-plz"},
                      {"revokeCert", "https://ca/revoke-cert"}};
    const AcmeDirectory d = parse_directory(pebble, "https://ca/dir");
    CHECK(d.new_account == "https://ca/sign-me-up");
    CHECK(d.external_account_required);
    CHECK(d.terms_of_service == "data:text/plain,Do%20what%20thou%20wilt");
    json broken = pebble;
    broken.erase("newNonce");
    CHECK_THROWS_WITH(parse_directory(broken, "https://ca/dir"), Catch::Contains("'newNonce'"));
    CHECK(acme_error_of([] { static_cast<void>(parse_directory(json::array(), "x")); }) ==
          Errc::network);
}

TEST_CASE("acme: --server names, URLs and the account file of each", "[acme]") {
    CHECK(resolve_acme_server("letsencrypt") == "https://acme-v02.api.letsencrypt.org/directory");
    CHECK(resolve_acme_server("letsencrypt-staging") ==
          "https://acme-staging-v02.api.letsencrypt.org/directory");
    CHECK(resolve_acme_server("https://127.0.0.1:14000/dir") == "https://127.0.0.1:14000/dir");
    for (const char* bad : {"http://ca.example/dir",
                            "ca.example",
                            "https://",
                            "letsencrypt2",
                            "https://ca.example/a b"}) {
        INFO(bad);
        CHECK(acme_error_of([&] { static_cast<void>(resolve_acme_server(bad)); }) ==
              Errc::invalid_argument);
    }
    const Store store{"/nonexistent/store"};
    const auto le = acme_account_file(store, resolve_acme_server("letsencrypt"));
    CHECK(le.parent_path() == "/nonexistent/store/acme/accounts");
    CHECK_THAT(
        le.filename().string(),
        Catch::StartsWith("acme-v02.api.letsencrypt.org_directory-") && Catch::EndsWith(".json"));
    // URLs that look alike get files of their own.
    CHECK(acme_account_file(store, "https://ca.example/a/b") !=
          acme_account_file(store, "https://ca.example/a_b"));
}

TEST_CASE("acme: the EAB HMAC key file is the CA's base64url text", "[acme]") {
    test::TempDir dir;
    const auto write = [&](const std::string& name, const std::string& text) {
        std::ofstream{dir / name} << text;
        return dir / name;
    };
    // pebble's example key: 48 bytes.
    CHECK(read_eab_hmac_key(
              write("k1", "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W\n"))
              .size() == 48);
    CHECK(read_eab_hmac_key(write("k2", "  Zm9vYg==\r\n")).view() == "foob");
    CHECK(acme_error_of([&] {
              static_cast<void>(read_eab_hmac_key(write("k3", "not base64!")));
          }) == Errc::parse);
    CHECK(acme_error_of([&] { static_cast<void>(read_eab_hmac_key(write("k4", "\n"))); }) ==
          Errc::parse);
    CHECK(acme_error_of([&] { static_cast<void>(read_eab_hmac_key(dir / "missing")); }) ==
          Errc::io);
}

TEST_CASE("acme: register needs --agree-tos before anything is contacted or written", "[acme]") {
    test::TempDir dir;
    const Store store{dir / "store"};
    AcmeAccountRequest request;
    request.connection.server = "https://127.0.0.1:1/dir";
    CHECK(acme_error_of([&] {
              static_cast<void>(
                  register_acme_account(store, request, std::chrono::system_clock::now()));
          }) == Errc::invalid_argument);
    CHECK_FALSE(std::filesystem::exists(dir / "store"));
    SECTION("and an unreachable server is a network error, the store untouched") {
        request.agree_tos = true;
        request.connection.timeout = std::chrono::milliseconds{2000};
        CHECK(acme_error_of([&] {
                  static_cast<void>(
                      register_acme_account(store, request, std::chrono::system_clock::now()));
              }) == Errc::network);
        CHECK_FALSE(std::filesystem::exists(dir / "store"));
    }
}

namespace {

// A certificate with the given serial and authority key identifier (RFC 9773's example).
Certificate with_serial_and_aki(std::uint64_t serial, const std::string& keyid) {
    const PrivateKey key = PrivateKey::generate(KeyType::ec_p256);
    DistinguishedName dn;
    dn.common_name = "ari.example.test";
    const auto now = std::chrono::system_clock::now();
    const Certificate base = create_self_signed(
        key, SubjectRequest::make(dn, {}), Validity{now, now + std::chrono::hours{24 * 90}});
    ossl::X509Ptr x{X509_dup(base.native())};
    REQUIRE(x);
    // Drop the AKI create_self_signed added, then set ours.
    const int i = X509_get_ext_by_NID(x.get(), NID_authority_key_identifier, -1);
    REQUIRE(i >= 0);
    const ossl::X509ExtPtr old{X509_delete_ext(x.get(), i)};
    ossl::AuthorityKeyIdPtr aki{AUTHORITY_KEYID_new()};
    aki->keyid = ASN1_OCTET_STRING_new();
    REQUIRE(ASN1_OCTET_STRING_set(aki->keyid,
                                  reinterpret_cast<const unsigned char*>(keyid.data()),
                                  static_cast<int>(keyid.size())) == 1);
    REQUIRE(X509_add1_ext_i2d(
                x.get(), NID_authority_key_identifier, aki.get(), 0, X509V3_ADD_DEFAULT) == 1);
    REQUIRE(ASN1_INTEGER_set_uint64(X509_get_serialNumber(x.get()), serial) == 1);
    REQUIRE(X509_sign(x.get(), key.native(), EVP_sha256()) > 0);
    return Certificate::adopt(x.get());
}

}  // namespace

TEST_CASE("acme: the ARI certificate identifier of RFC 9773's example", "[acme][ari]") {
    // RFC 9773 4.1: keyIdentifier 69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4,
    // serial 0x87654321 (DER content 00 87 65 43 21) -> "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE".
    const std::string keyid{
        "\x69\x88\x5B\x6B\x87\x46\x40\x41\xE1\xB3\x7B\x84\x7B\xA0\xAE\x2C"
        "\xDE\x01\xC8\xD4",
        20};
    CHECK(ari_certificate_id(with_serial_and_aki(0x87654321, keyid)) ==
          "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
    // A serial without the top bit set gets no leading zero.
    CHECK(ari_certificate_id(with_serial_and_aki(0x01020304, keyid)).value().ends_with(".AQIDBA"));
}

TEST_CASE("acme: renewalInfo windows and the renewal decision", "[acme][ari]") {
    const auto now = parse_time("2026-12-01T12:00:00Z");
    const PrivateKey key = PrivateKey::generate(KeyType::ec_p256);
    DistinguishedName dn;
    dn.common_name = "due.example.test";
    // 90 days from 2026-10-01: due (a third left) from 2026-11-30T00:00:00Z.
    const auto nb = parse_time("2026-10-01T00:00:00Z");
    const Certificate cert = create_self_signed(
        key, SubjectRequest::make(dn, {}), Validity{nb, nb + std::chrono::hours{24 * 90}});

    SECTION("without ARI: a third of the lifetime") {
        const auto d = renewal_due(cert, std::nullopt, false, now, 0.5);
        CHECK(d.due);
        CHECK_FALSE(d.from_ari);
        CHECK(format_time(d.renew_at) == "2026-11-30T00:00:00Z");
        CHECK_FALSE(
            renewal_due(cert, std::nullopt, false, parse_time("2026-11-29T23:59:59Z"), 0.5).due);
        CHECK(renewal_due(cert, std::nullopt, true, parse_time("2026-10-02T00:00:00Z"), 0.5).due);
    }
    SECTION("ARI: a point of the window, chosen uniformly; a window in the past is due now") {
        const json body = json::parse(
            R"({"suggestedWindow": {"start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z"},
                "explanationURL": "https://ca.example/incident/1"})");
        const RenewalWindow w = parse_renewal_info(body, "https://ca.example/dir");
        CHECK(w.explanation_url == "https://ca.example/incident/1");
        const auto early = renewal_due(cert, w, false, now, 0.25);  // 06:00, before noon
        CHECK(early.due);
        CHECK(early.from_ari);
        CHECK(format_time(early.renew_at) == "2026-12-01T06:00:00Z");
        const auto late = renewal_due(cert, w, false, now, 0.75);  // 18:00, after noon
        CHECK_FALSE(late.due);
        CHECK(late.reason.find("renews from 2026-12-01T18:00:00Z") != std::string::npos);
        // A window ahead of the lifetime rule wins: ARI says not yet, though a third is left.
        const json later = json::parse(
            R"({"suggestedWindow": {"start": "2026-12-20T00:00:00Z", "end": "2026-12-21T00:00:00Z"}})");
        CHECK_FALSE(renewal_due(cert, parse_renewal_info(later, "s"), false, now, 0.0).due);
    }
    SECTION("renewalInfo that is not RFC 9773's") {
        for (
            const char* text :
            {R"({})",
             R"({"suggestedWindow": {"start": "2026-12-02T00:00:00Z", "end": "2026-12-01T00:00:00Z"}})",
             R"({"suggestedWindow": {"start": "soon", "end": "2026-12-01T00:00:00Z"}})",
             R"({"suggestedWindow": "tomorrow"})"}) {
            CHECK(acme_error_of([&] {
                      static_cast<void>(parse_renewal_info(json::parse(text), "s"));
                  }) == Errc::network);
        }
    }
}

TEST_CASE("acme: the dns-01 TXT value and the tls-alpn-01 certificate", "[acme]") {
    // RFC 8555 8.4: base64url(SHA-256(key authorization)).
    CHECK(dns01_value("token.thumbprint") == base64url(ossl::sha256("token.thumbprint")));
    CHECK(dns01_value("token.thumbprint").size() == 43);

    const PrivateKey key = PrivateKey::generate(KeyType::ec_p256);
    const std::string digest = tls_alpn01_digest("token.thumbprint");
    REQUIRE(digest.size() == 32);
    const ossl::X509Ptr x =
        TlsAlpn01Responder::challenge_certificate(key, "alpn.example.test", digest);
    const Certificate cert = Certificate::adopt(x.get());
    // One DNS name, the identifier validated (RFC 8737 section 3).
    const auto sans = cert.subject_alt_names();
    REQUIRE(sans.size() == 1);
    CHECK(sans[0].value == "alpn.example.test");
    // acmeIdentifier: critical, the DER OCTET STRING of the digest.
    const ossl::Asn1ObjectPtr oid{OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1)};
    const int i = X509_get_ext_by_OBJ(x.get(), oid.get(), -1);
    REQUIRE(i >= 0);
    X509_EXTENSION* ext = X509_get_ext(x.get(), i);
    CHECK(X509_EXTENSION_get_critical(ext) == 1);
    const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
    const std::string der(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                          static_cast<std::size_t>(ASN1_STRING_length(data)));
    CHECK(der == std::string{"\x04\x20", 2} + digest);
    CHECK(cert.matches_key(key));
}

TEST_CASE("acme: challenge names, and the settings a challenge needs", "[acme]") {
    for (const auto& name : acme_challenge_names()) {
        const auto t = parse_acme_challenge(name);
        REQUIRE(t);
        CHECK(acme_challenge_name(*t) == name);
    }
    CHECK_FALSE(parse_acme_challenge("dns-02"));
    AcmeChallengeSettings s;
    s.type = AcmeChallengeType::dns01;
    CHECK(acme_error_of([&] { static_cast<void>(make_solver(s)); }) == Errc::invalid_argument);
    s.type = AcmeChallengeType::webroot;
    CHECK(acme_error_of([&] { static_cast<void>(make_solver(s)); }) == Errc::invalid_argument);
    s.webroot = "/nonexistent/certtool-webroot";
    CHECK(acme_error_of([&] { static_cast<void>(make_solver(s)); }) == Errc::io);
}
