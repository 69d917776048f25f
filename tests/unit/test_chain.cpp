#include "support.hpp"

#include <certtool/chain.hpp>
#include <certtool/error.hpp>

#include <catch2/catch.hpp>

#include <algorithm>

using namespace certtool;
using certtool::test::at;

namespace {

bool has(const std::vector<ChainFinding>& findings, const std::string& code) {
    return std::any_of(
        findings.begin(), findings.end(), [&](const ChainFinding& f) { return f.code == code; });
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
    CHECK(missing[0].code == "missing-intermediate");
    CHECK_THAT(missing[0].message, Catch::Contains("CN=Test Issuing CA"));
    CHECK(check_trust(assemble_chain(leaf.key, {leaf.cert, inter.cert}, now), trust).empty());

    test::write_file(dir / "other.pem", other_root.cert.to_pem());
    const auto untrusted =
        check_trust(assemble_chain(leaf.key, {leaf.cert, inter.cert, root.cert}, now),
                    TrustStore::from_path(dir / "other.pem"));
    REQUIRE(untrusted.size() == 1);
    CHECK(untrusted[0].code == "untrusted-root");
}
