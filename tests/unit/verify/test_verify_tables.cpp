// The verify concept's lookup tables: profile names, and OpenSSL verification errors to
// finding codes (verify_errors.hpp, a private header).
#include "support.hpp"
#include "verify_errors.hpp"

#include <certtool/verify.hpp>

#include <catch2/catch.hpp>
#include <openssl/x509_vfy.h>

using namespace certtool;
using namespace certtool::test;

TEST_CASE("profile: every profile's name parses back to it, other names do not", "[verify]") {
    for (const Profile p : {Profile::openssl, Profile::rfc5280, Profile::webpki}) {
        INFO(profile_name(p));
        CHECK(parse_profile(profile_name(p)) == p);
    }
    CHECK(profile_name(Profile::webpki) == "webpki");
    CHECK_FALSE(parse_profile("WebPKI").has_value());
    CHECK_FALSE(parse_profile("").has_value());
}

TEST_CASE("describe: each OpenSSL error gets its finding code and names its certificate",
          "[verify]") {
    const Issued root =
        make_root({"Table Root", at("2024-01-01T00:00:00Z"), at("2034-01-01T00:00:00Z"), {}, true});
    const Issued leaf = issue(root,
                              {"mail.example.com",
                               at("2025-01-01T00:00:00Z"),
                               at("2026-01-01T00:00:00Z"),
                               {"mail.example.com"}});
    const std::vector<Certificate> path{leaf.cert, root.cert};
    const TimePoint when = at("2025-06-01T00:00:00Z");

    SECTION("mapped errors") {
        const auto revoked =
            detail::describe({X509_V_ERR_CERT_REVOKED, 0}, path, true, when, Remedies{});
        CHECK(revoked.code == FindingCode::revoked);
        CHECK(revoked.severity == Severity::error);
        CHECK(revoked.position == std::size_t{0});
        CHECK(revoked.message ==
              "the certificate 'CN=mail.example.com' has been revoked by its issuer: replace it");
        const auto not_ca =
            detail::describe({X509_V_ERR_INVALID_CA, 1}, path, true, when, Remedies{});
        CHECK(not_ca.code == FindingCode::not_a_ca);
        CHECK_THAT(not_ca.message, Catch::StartsWith("the trust anchor 'CN=Table Root' issues"));
        CHECK(
            detail::describe({X509_V_ERR_CRL_HAS_EXPIRED, 0}, path, true, when, Remedies{}).code ==
            FindingCode::revocation_unknown);
    }
    SECTION("other errors are invalid-certificate in OpenSSL's words") {
        const auto f =
            detail::describe({X509_V_ERR_HOSTNAME_MISMATCH, 0}, path, true, when, Remedies{});
        CHECK(f.code == FindingCode::invalid_certificate);
        CHECK_THAT(f.message, Catch::StartsWith("the certificate 'CN=mail.example.com': "));
    }
    SECTION("a depth beyond the path is the top certificate") {
        CHECK(detail::describe({X509_V_ERR_CERT_REVOKED, 7}, path, false, when, Remedies{})
                  .position == std::size_t{1});
    }
}
