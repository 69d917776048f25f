#include "ossl.hpp"
#include "support.hpp"

#include <certtool/aia.hpp>
#include <certtool/batch.hpp>
#include <certtool/chain.hpp>
#include <certtool/error.hpp>
#include <certtool/trust.hpp>
#include <certtool/verify.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>

using namespace certtool;
using certtool::test::at;

namespace {

bool has(const std::vector<ChainFinding>& findings, const std::string& name) {
    const auto code = parse_finding_code(name);
    REQUIRE(code);  // a misspelt name must fail the test, never pass a CHECK_FALSE
    return std::any_of(
        findings.begin(), findings.end(), [&](const ChainFinding& f) { return f.code == *code; });
}

struct Pki {
    test::Issued root = test::make_root(
        {"Test Root", at("2020-01-01T00:00:00Z"), at("2040-01-01T00:00:00Z"), {}, true});
    test::Issued inter = test::issue(
        root,
        {"Test Issuing CA", at("2020-01-01T00:00:00Z"), at("2035-01-01T00:00:00Z"), {}, true});
    test::Issued leaf = test::issue(inter,
                                    {"mail.example.com",
                                     at("2026-01-01T00:00:00Z"),
                                     at("2027-01-01T00:00:00Z"),
                                     {"mail.example.com"}});
    test::Issued other_root = test::make_root(
        {"Other Root", at("2020-01-01T00:00:00Z"), at("2040-01-01T00:00:00Z"), {}, true});
    TimePoint now = at("2026-06-01T00:00:00Z");
};

}  // namespace

TEST_CASE_METHOD(Pki, "chain: orders leaf to root, drops duplicates and unrelated", "[chain]") {
    const auto chain = assemble_chain(
        leaf.key, {root.cert, inter.cert, other_root.cert, leaf.cert, inter.cert}, now);
    CHECK(chain.leaf.same_as(leaf.cert));
    REQUIRE(chain.intermediates.size() == 1);
    CHECK(chain.intermediates[0].same_as(inter.cert));
    REQUIRE(chain.root);
    CHECK(chain.root->same_as(root.cert));
    REQUIRE(chain.unrelated.size() == 1);
    CHECK(chain.unrelated[0].same_as(other_root.cert));
    CHECK(has(chain.findings, "duplicate-certificate"));
    CHECK(has(chain.findings, "unrelated-certificate"));
    CHECK(has(chain.findings, "wrong-order"));
    CHECK(has(chain.findings, "root-not-stored"));
}

TEST_CASE_METHOD(Pki, "chain: in-order input reports no wrong-order", "[chain]") {
    const auto chain = assemble_chain(leaf.key, {leaf.cert, inter.cert}, now);
    CHECK_FALSE(has(chain.findings, "wrong-order"));
    CHECK(chain.findings.empty());
}

TEST_CASE_METHOD(Pki, "chain: no certificate matches the key", "[chain]") {
    const auto stranger = PrivateKey::generate(KeyType::ec_p256);
    try {
        static_cast<void>(assemble_chain(stranger, {leaf.cert, inter.cert}, now));
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == Errc::key_mismatch);
        CHECK_THAT(e.what(), Catch::Contains("matches the entry's private key"));
    }
}

TEST_CASE_METHOD(Pki, "chain: expired and short-lived intermediates are reported", "[chain]") {
    const auto old_inter = test::issue(
        root, {"Old CA", at("2020-01-01T00:00:00Z"), at("2026-03-01T00:00:00Z"), {}, true});
    const auto old_leaf = test::issue(
        old_inter,
        {"a.example", at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"), {"a.example"}});
    CHECK(has(assemble_chain(old_leaf.key, {old_leaf.cert, old_inter.cert}, now).findings,
              "expired"));
    const auto short_inter = test::issue(
        root, {"Short CA", at("2020-01-01T00:00:00Z"), at("2026-09-01T00:00:00Z"), {}, true});
    const auto long_leaf = test::issue(
        short_inter,
        {"b.example", at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"), {"b.example"}});
    CHECK(has(assemble_chain(long_leaf.key, {long_leaf.cert, short_inter.cert}, now).findings,
              "expires-before-leaf"));
}

TEST_CASE_METHOD(Pki,
                 "trust: names the missing intermediate, accepts a complete chain",
                 "[chain]") {
    test::TempDir dir;
    test::write_file(dir / "root.pem", root.cert.to_pem());
    const auto trust = TrustStore::from_path(dir / "root.pem");
    const auto missing = check_trust(assemble_chain(leaf.key, {leaf.cert}, now), trust);
    REQUIRE(missing.size() == 1);
    CHECK(missing[0].code == FindingCode::missing_intermediate);
    CHECK_THAT(missing[0].message, Catch::Contains("CN=Test Issuing CA"));
    CHECK(check_trust(assemble_chain(leaf.key, {leaf.cert, inter.cert}, now), trust).empty());

    test::write_file(dir / "other.pem", other_root.cert.to_pem());
    const auto untrusted =
        check_trust(assemble_chain(leaf.key, {leaf.cert, inter.cert, root.cert}, now),
                    TrustStore::from_path(dir / "other.pem"));
    REQUIRE(untrusted.size() == 1);
    CHECK(untrusted[0].code == FindingCode::untrusted_root);
}

// The batch fast path (lib/src/batch_fast.cpp) may only ever say "valid" where the full
// verification says "valid": every leaf here, good or broken in one way, must get the same
// verdict, codes and subject from BatchVerifier::verify_encoded as from verify_chain.
TEST_CASE("batch fast path agrees with verify_chain on good and broken leaves", "[chain][batch]") {
    const auto t = [](const char* s) { return test::at(s); };
    const test::Issued root = test::make_root(
        {"Fast Root", t("2020-01-01T00:00:00Z"), t("2040-01-01T00:00:00Z"), {}, true});
    const test::Issued inter = test::issue(
        root, {"Fast Issuing CA", t("2020-01-01T00:00:00Z"), t("2040-01-01T00:00:00Z"), {}, true});
    // Same name as `inter`, another key: leaves it signs must not pass as inter's.
    const test::Issued impostor = test::make_root(
        {"Fast Issuing CA", t("2020-01-01T00:00:00Z"), t("2040-01-01T00:00:00Z"), {}, true});
    const auto good = [&](std::vector<std::pair<std::string, std::string>> exts = {},
                          std::string digest = "SHA256") {
        return test::CertSpec{"leaf.example.com",
                              t("2026-01-01T00:00:00Z"),
                              t("2027-01-01T00:00:00Z"),
                              {"leaf.example.com"},
                              false,
                              std::nullopt,
                              std::move(exts),
                              std::move(digest)};
    };

    struct Case {
        std::string name;
        Certificate cert;
    };

    std::vector<Case> cases;
    const auto add = [&](std::string name,
                         test::CertSpec spec,
                         std::optional<PrivateKey> key = {},
                         const test::Issued* by = nullptr) {
        cases.push_back(
            {std::move(name), test::issue(by != nullptr ? *by : inter, spec, key).cert});
    };
    add("good", good());
    add("good, RSA 2048 key", good(), PrivateKey::generate(KeyType::rsa2048));
    add("good, P-384 key, SHA-384", good({}, "SHA384"), PrivateKey::generate(KeyType::ec_p384));
    add("good, no keyUsage, no EKU", good({{"keyUsage", ""}, {"extendedKeyUsage", ""}}));
    add("good, AIA, CRL DP, policies",
        good({{"authorityInfoAccess", "caIssuers;URI:http://ca.example/i.der"},
              {"crlDistributionPoints", "URI:http://ca.example/c.crl"},
              {"certificatePolicies", "DER:30:0A:30:08:06:06:67:81:0C:01:02:01"}}));
    add("Ed25519 key", good(), PrivateKey::generate(KeyType::ed25519));
    add("SHA-1 signature", good({}, "SHA1"));
    add("expired",
        {"leaf.example.com",
         t("2025-01-01T00:00:00Z"),
         t("2026-05-31T00:00:00Z"),
         {"leaf.example.com"}});
    add("not yet valid",
        {"leaf.example.com",
         t("2026-06-02T00:00:00Z"),
         t("2027-01-01T00:00:00Z"),
         {"leaf.example.com"}});
    add("notAfter is the validation time",
        {"leaf.example.com",
         t("2026-01-01T00:00:00Z"),
         t("2026-06-01T00:00:00Z"),
         {"leaf.example.com"}});
    add("notBefore is the validation time",
        {"leaf.example.com",
         t("2026-06-01T00:00:00Z"),
         t("2027-01-01T00:00:00Z"),
         {"leaf.example.com"}});
    add("client EKU only", good({{"extendedKeyUsage", "clientAuth"}}));
    add("code-signing EKU too", good({{"extendedKeyUsage", "serverAuth,codeSigning"}}));
    add("keyUsage keyCertSign", good({{"keyUsage", "critical,digitalSignature,keyCertSign"}}));
    add("keyUsage without a TLS bit", good({{"keyUsage", "critical,nonRepudiation"}}));
    add("a CA", good({{"basicConstraints", "critical,CA:TRUE"}}));
    add("no subjectAltName",
        {"leaf.example.com", t("2026-01-01T00:00:00Z"), t("2027-01-01T00:00:00Z"), {}});
    add("bad DNS name in SAN", good({{"subjectAltName", "DNS:bad_name!.example.com"}}));
    add("email in SAN", good({{"subjectAltName", "DNS:leaf.example.com,email:a@example.com"}}));
    add("unknown critical extension", good({{"1.3.6.1.4.1.99999.1", "critical,DER:05:00"}}));
    add("unknown non-critical extension", good({{"1.3.6.1.4.1.99999.1", "DER:05:00"}}));
    add("Netscape cert type", good({{"nsCertType", "client"}}));
    add("signed by a same-name impostor", good(), std::nullopt, &impostor);
    add("signed by the root", good(), std::nullopt, &root);

    const auto trust = TrustStore::from_certificates({root.cert}, "test root");
    for (const Purpose purpose : {Purpose::server, Purpose::client, Purpose::any}) {
        for (const Profile profile : {Profile::rfc5280, Profile::openssl}) {
            VerifyOptions o;
            o.at = t("2026-06-01T00:00:00Z");
            o.purpose = purpose;
            o.profile = profile;
            // The second verifier checks signatures with a precomputed table for the issuer's
            // key from its first fast-path leaf on (lib/src/ecdsa_fixed.hpp).
            for (const std::size_t precompute_after :
                 {BatchVerifier::k_precompute_after, std::size_t{1}}) {
                const BatchVerifier verifier{trust, {inter.cert}, o, precompute_after};
                // Twice: the first pass confirms the issuer (full path), the second runs fast.
                for (int pass = 0; pass < 2; ++pass) {
                    for (const auto& c : cases) {
                        INFO(c.name << " (purpose " << static_cast<int>(purpose) << ", profile "
                                    << profile_name(profile) << ", pass " << pass
                                    << ", table after " << precompute_after << ")");
                        const ChainReport full = verify_chain(c.cert, {inter.cert}, trust, o);
                        const BatchItem item = verifier.verify_encoded(c.cert.to_pem(), c.name);
                        const BatchItem from_der = verifier.verify_encoded(c.cert.to_der(), c.name);
                        CHECK(item.valid == full.valid);
                        CHECK(from_der.valid == full.valid);
                        CHECK(item.subject == c.cert.subject());
                        CHECK(from_der.subject == c.cert.subject());
                        std::vector<FindingCode> codes;
                        for (const auto& f : full.findings) {
                            if (f.severity == Severity::error &&
                                std::find(codes.begin(), codes.end(), f.code) == codes.end()) {
                                codes.push_back(f.code);
                            }
                        }
                        CHECK(item.codes == codes);
                    }
                }
                // Each configuration has valid leaves that took the fast path on the second pass.
                INFO("purpose " << static_cast<int>(purpose) << ", " << profile_name(profile));
                CHECK(verifier.fast_path_hits() >= 2);
            }
        }
    }
    // The good leaf really is valid (the comparison above is not vacuous).
    VerifyOptions o;
    o.at = t("2026-06-01T00:00:00Z");
    CHECK(verify_chain(cases.front().cert, {inter.cert}, trust, o).valid);
}

// A CA with the issuing CA's name but another key signed the leaf: libcrypto passes over the
// real CA (its key identifier differs) and says only "unable to get local issuer certificate";
// the report names the cause.
TEST_CASE_METHOD(Pki,
                 "verify: a leaf from a same-name CA with another key is bad-signature",
                 "[chain]") {
    const test::Issued impostor = test::make_root(
        {"Test Issuing CA", at("2020-01-01T00:00:00Z"), at("2035-01-01T00:00:00Z"), {}, true});
    const test::Issued forged = test::issue(impostor,
                                            {"mail.example.com",
                                             at("2026-01-01T00:00:00Z"),
                                             at("2027-01-01T00:00:00Z"),
                                             {"mail.example.com"}});
    VerifyOptions o;
    o.at = now;
    const auto trust = TrustStore::from_certificates({root.cert}, "test root");
    const ChainReport r = verify_chain(forged.cert, {inter.cert}, trust, o);
    CHECK_FALSE(r.valid);
    CHECK(has(r.findings, "bad-signature"));
    CHECK_FALSE(has(r.findings, "invalid-certificate"));
    // The genuine leaf under the same CA is fine (the finding is not about the CA).
    CHECK(verify_chain(leaf.cert, {inter.cert}, trust, o).valid);
}

TEST_CASE("issue #13: a DER leaf with bytes after it is not valid on the batch fast path",
          "[chain][batch]") {
    // fuzz/batch_fast's input: options, the time, then GoodCACert (PKITS), the leaf that confirms
    // it, each after its 16-bit length, and the leaf under test: ValidCertificatePathTest1EE with
    // one byte more. The fast path read the first certificate and ignored the rest, so a
    // corrupt file was "valid" in a batch and a parse error alone.
    const std::string input = test::read_file(std::filesystem::path{CERTTOOL_SOURCE_DIR} /
                                              "tests/data/fuzz/batch_fast-trailing-byte");
    std::size_t pos = 5;  // options byte, 4-byte time
    const auto part = [&] {
        const auto len = static_cast<std::size_t>(static_cast<unsigned char>(input.at(pos))) << 8U |
                         static_cast<unsigned char>(input.at(pos + 1));
        const std::string out = input.substr(pos + 2, len);
        pos += 2 + len;
        return out;
    };
    const Certificate issuer = Certificate::parse(part(), "GoodCACert.crt");
    const std::string confirming = part();
    const std::string corrupt = input.substr(pos);
    const auto pkits = std::filesystem::path{CERTTOOL_CORPORA_DIR} / "nist-pkits/certs";
    const TrustStore anchors = TrustStore::from_certificates(
        Certificate::load_all(pkits / "TrustAnchorRootCertificate.crt"), "PKITS");
    VerifyOptions options;
    options.at = test::at("2020-01-01T00:00:00Z");
    const BatchVerifier verifier{anchors, {issuer}, options};
    // The first good leaf confirms the issuer (full verification), the second takes the fast path.
    CHECK(verifier.verify_encoded(confirming, "good.der").valid);
    CHECK(verifier.verify_encoded(confirming, "good.der").valid);
    REQUIRE(verifier.fast_path_hits() == 1);
    CHECK_THROWS_WITH(verifier.verify_encoded(corrupt, "corrupt.der"),
                      Catch::Contains("1 unexpected bytes after the DER certificate"));
    CHECK(verifier.fast_path_hits() == 1);
}

TEST_CASE("issue #13: a CRL whose extensions do not decode leaves no OpenSSL error queued",
          "[chain][crl]") {
    // fuzz/certificates's input: PKITS's GoodCACRL.crl with its authority key identifier
    // damaged. The CRL decodes (OpenSSL marks it invalid for verification to report), and its
    // extension's decode error stayed queued.
    const std::string der = test::read_file(std::filesystem::path{CERTTOOL_SOURCE_DIR} /
                                            "tests/data/fuzz/certificates-crl-bad-aki");
    CHECK(Crl::parse_all(der, "bad-aki.crl").size() == 1);
    CHECK(ossl::drain_errors().empty());
    CHECK_THROWS_AS(Certificate::parse_all(der, "bad-aki.crl"), Error);
    CHECK(ossl::drain_errors().empty());
}
