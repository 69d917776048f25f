#include "support.hpp"

#include <certtool/certificate.hpp>
#include <certtool/csr.hpp>
#include <certtool/error.hpp>

#include <catch2/catch.hpp>

using namespace certtool;
using certtool::test::at;

TEST_CASE("san: parses and normalises each kind", "[certificate]") {
    CHECK(SubjectAltName::parse("DNS:Mail.Example.COM.").to_string() == "DNS:mail.example.com");
    CHECK(SubjectAltName::parse("dns:*.example.com").value == "*.example.com");
    CHECK(SubjectAltName::parse("IP:2001:DB8:0:0::25").to_string() == "IP:2001:db8::25");
    CHECK(SubjectAltName::parse("192.0.2.1").kind == SubjectAltName::Kind::ip);
    CHECK(SubjectAltName::parse("email:postmaster@example.com").kind ==
          SubjectAltName::Kind::email);
    CHECK(SubjectAltName::parse("smtp.example.com").kind == SubjectAltName::Kind::dns);
}

TEST_CASE("san: rejects malformed names with the expected form", "[certificate]") {
    for (const char* bad : {"DNS:f*.example.com",
                            "DNS:*.com",
                            "DNS:-bad.example.com",
                            "DNS:a..b",
                            "IP:300.1.1.1",
                            "email:nobody",
                            "DNS:under_score.example",
                            "DNS:"}) {
        INFO(bad);
        CHECK_THROWS_AS(SubjectAltName::parse(bad), Error);
    }
    CHECK_THROWS_WITH(SubjectAltName::parse("IP:1.2.3"), Catch::Contains("IP:192.0.2.25"));
}

TEST_CASE("subject request: CN becomes the first SAN, duplicates dropped", "[certificate]") {
    auto r = SubjectRequest::make(
        {"Mail.Example.com", "", "", "", "", "us"},
        {SubjectAltName::parse("DNS:mail.example.com"), SubjectAltName::parse("IP:192.0.2.1")});
    REQUIRE(r.sans.size() == 2);
    CHECK(r.sans[0].to_string() == "DNS:mail.example.com");
    CHECK(r.subject.country == "US");
    CHECK(SubjectRequest::make({"192.0.2.7", "", "", "", "", ""}, {}).sans[0].to_string() ==
          "IP:192.0.2.7");
    CHECK_THROWS_WITH(SubjectRequest::make({"My Gateway", "", "", "", "", ""}, {}),
                      Catch::Contains("not a host name"));
    CHECK_THROWS_WITH(SubjectRequest::make({"a.example", "", "", "", "", "USA"}, {}),
                      Catch::Contains("two-letter"));
    // Built in place: GCC 12 at -O2 warns (-Wstringop-overread, a false positive) on
    // `std::string(65, 'a') + ".example"` inlined into the aggregate.
    std::string long_cn(65, 'a');
    long_cn += ".example";
    CHECK_THROWS_WITH(SubjectRequest::make({long_cn, "", "", "", "", ""}, {}),
                      Catch::Contains("limit is 64"));
}

TEST_CASE("self-signed: TLS server and client extensions, random 159-bit serial", "[certificate]") {
    const auto key = PrivateKey::generate(KeyType::ec_p256);
    const auto req = SubjectRequest::make({"mx.example.org", "Example", "", "", "", "DE"},
                                          {SubjectAltName::parse("IP:192.0.2.9")});
    const auto validity = validity_for_days(30, at("2026-01-01T00:00:00Z"));
    const auto a = create_self_signed(key, req, validity);
    const auto b = create_self_signed(key, req, validity);
    CHECK(a.is_self_signed());
    CHECK_FALSE(a.is_ca());
    CHECK(a.matches_key(key));
    CHECK(a.serial_hex().size() == 40);
    CHECK(a.serial_hex() != b.serial_hex());
    CHECK(a.not_before() == at("2026-01-01T00:00:00Z"));
    CHECK(a.not_after() == at("2026-01-31T00:00:00Z"));
    CHECK(a.subject() == "C=DE, O=Example, CN=mx.example.org");
    REQUIRE(a.subject_alt_names().size() == 2);
    CHECK(a.subject_alt_names()[1].to_string() == "IP:192.0.2.9");
    const std::string text = test::openssl({"x509", "-noout", "-text"}, {{}, a.to_pem()});
    CHECK_THAT(text,
               Catch::Contains("TLS Web Server Authentication, TLS Web Client Authentication"));
    CHECK_THAT(text, Catch::Contains("CA:FALSE"));
    CHECK_THROWS_AS(validity_for_days(0, at("2026-01-01T00:00:00Z")), Error);
}

TEST_CASE("self-signed: every key type signs", "[certificate]") {
    for (const auto& name : key_type_names()) {
        if (name == "rsa4096" || name == "rsa3072") {
            continue;  // slow and no different code path from rsa2048
        }
        INFO(name);
        const auto key = PrivateKey::generate(*parse_key_type(name));
        const auto cert =
            create_self_signed(key,
                               SubjectRequest::make({"a.example", "", "", "", "", ""}, {}),
                               validity_for_days(1, at("2026-01-01T00:00:00Z")));
        CHECK(cert.is_self_signed());
        CHECK(key.type() == parse_key_type(name));
        const auto back = PrivateKey::from_pem(key.to_pem().view(), "test");
        CHECK(cert.matches_key(back));
    }
}

TEST_CASE("parse: PEM bundles, DER, PKCS#7 and garbage", "[certificate]") {
    test::TempDir dir;
    const auto root =
        test::make_root({"Root", at("2020-01-01T00:00:00Z"), at("2040-01-01T00:00:00Z"), {}, true});
    const auto leaf = test::issue(
        root,
        {"leaf.example", at("2020-01-01T00:00:00Z"), at("2030-01-01T00:00:00Z"), {"leaf.example"}});
    const std::string bundle = "junk before\n" + leaf.cert.to_pem() + "text\n" + root.cert.to_pem();
    CHECK(Certificate::parse_all(bundle, "b").size() == 2);
    CHECK(Certificate::parse_all(leaf.cert.to_der(), "d").front().same_as(leaf.cert));
    test::write_file(dir / "b.pem", bundle);
    const std::string p7 = test::openssl(
        {"crl2pkcs7", "-nocrl", "-certfile", (dir / "b.pem").string(), "-outform", "DER"});
    const auto from_p7 = Certificate::parse_all(p7, "p7b");
    CHECK(from_p7.size() == 2);
    const std::string p7pem =
        test::openssl({"crl2pkcs7", "-nocrl", "-certfile", (dir / "b.pem").string()});
    CHECK(Certificate::parse_all(p7pem, "p7pem").size() == 2);
    CHECK_THROWS_WITH(Certificate::parse_all(leaf.cert.to_der() + "xx", "t.der"),
                      Catch::Contains("2 unexpected bytes"));
    CHECK_THROWS_WITH(Certificate::parse_all("hello", "g.pem"),
                      Catch::Contains("no certificate found in 'g.pem'"));
    CHECK_THROWS_WITH(Certificate::parse_all("", "e.pem"), Catch::Contains("is empty"));
    const std::string pem = leaf.cert.to_pem();
    CHECK_THROWS_AS(Certificate::parse_all(pem.substr(0, pem.size() / 2), "half.pem"), Error);
    const std::string der = leaf.cert.to_der();
    try {
        static_cast<void>(Certificate::parse_all(der.substr(0, der.size() - 10), "cut.der"));
        FAIL("truncated DER accepted");
    } catch (const Error& e) {
        CHECK(e.code() == Errc::parse);
    }
}

TEST_CASE("csr: carries subject, SANs and is signed by the key", "[csr]") {
    const auto key = PrivateKey::generate(KeyType::ed25519);
    const auto req = SubjectRequest::make({"mail.example.net", "Org", "IT", "Town", "State", "FR"},
                                          {SubjectAltName::parse("DNS:smtp.example.net")});
    const std::string pem = create_csr(key, req, Encoding::pem);
    const std::string text = test::openssl({"req", "-noout", "-text", "-verify"}, {{}, pem});
    CHECK_THAT(text, Catch::Contains("DNS:mail.example.net, DNS:smtp.example.net"));
    CHECK_THAT(text, Catch::Contains("CN = mail.example.net"));
    const std::string der = create_csr(key, req, Encoding::der);
    CHECK(static_cast<unsigned char>(der[0]) == 0x30);
}
