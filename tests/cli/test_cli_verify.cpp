// certtool verify / fix-chain through the real binary: one test per chain problem a mail
// administrator meets, each with a fixed validation time (nothing depends on today's date).
#include "cli_fixture.hpp"
#include "ossl.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <openssl/pem.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>
#include <thread>

using namespace certtool;
using namespace certtool::test;
using nlohmann::json;

namespace {

const std::string k_at = "2026-06-01T00:00:00Z";

struct Pki {
    Issued root;
    Issued inter;
    Issued leaf;
};

CertSpec spec(const std::string& cn,
              const std::string& from,
              const std::string& until,
              std::vector<std::string> sans = {},
              bool ca = false) {
    return {cn, at(from), at(until), std::move(sans), ca, std::nullopt};
}

Pki make_pki(const std::string& leaf_from = "2026-01-01T00:00:00Z",
             const std::string& leaf_until = "2027-01-01T00:00:00Z",
             const std::string& inter_until = "2030-01-01T00:00:00Z") {
    Issued root =
        make_root(spec("Verify Root", "2020-01-01T00:00:00Z", "2040-01-01T00:00:00Z", {}, true));
    Issued inter =
        issue(root, spec("Verify Issuing CA", "2021-01-01T00:00:00Z", inter_until, {}, true));
    Issued leaf = issue(
        inter,
        spec("mail.example.com", leaf_from, leaf_until, {"mail.example.com", "*.mx.example.com"}));
    return {std::move(root), std::move(inter), std::move(leaf)};
}

class VerifyFixture : public CliFixture {
public:
    // Writes the files and runs verify --json; returns the report and the exit code.
    std::pair<json, int> verify(const std::vector<Certificate>& leaf_file,
                                const std::vector<Certificate>& chain,
                                const Certificate& root,
                                std::vector<std::string> extra = {}) const {
        write_file(path("leaf.pem"), pem_of(leaf_file));
        write_file(path("chain.pem"), pem_of(chain));
        write_file(path("root.pem"), pem_of({root}));
        std::vector<std::string> args{"verify",
                                      "--cert",
                                      path("leaf.pem"),
                                      "--trust",
                                      path("root.pem"),
                                      "--at",
                                      k_at,
                                      "--json"};
        if (!chain.empty()) {
            args.insert(args.end(), {"--chain", path("chain.pem")});
        }
        args.insert(args.end(), extra.begin(), extra.end());
        const RunResult r = ct(args);
        INFO("stdout: " << r.out << "\nstderr: " << r.err);
        REQUIRE((r.exit_code == 0 || r.exit_code == 1));
        return {json::parse(r.out), r.exit_code};
    }
};

std::set<std::string> codes(const json& report, const std::string& severity) {
    std::set<std::string> out;
    for (const auto& f : report["findings"]) {
        if (f["severity"] == severity) {
            out.insert(f["code"].get<std::string>());
        }
    }
    return out;
}

}  // namespace

TEST_CASE_METHOD(VerifyFixture,
                 "verify: a good chain is valid, every certificate ok",
                 "[cli][verify]") {
    const Pki p = make_pki();
    const auto [report, rc] =
        verify({p.leaf.cert},
               {p.inter.cert},
               p.root.cert,
               {"--hostname", "mail.example.com", "--hostname", "a.mx.example.com"});
    CHECK(rc == 0);
    CHECK(report["valid"] == true);
    CHECK(report["findings"].empty());
    REQUIRE(report["path"].size() == 3);
    CHECK(report["path"][2]["trust_anchor"] == true);
    for (const auto& c : report["path"]) {
        CHECK(c["status"] == "ok");
    }
    CHECK(report["names"][1]["presented"] == "DNS:*.mx.example.com");

    // Human output in the appliance's words.
    write_file(path("root.pem"), pem_of({p.root.cert}));
    const std::string text = ok({"verify",
                                 "--cert",
                                 path("leaf.pem"),
                                 "--chain",
                                 path("chain.pem"),
                                 "--trust",
                                 path("root.pem"),
                                 "--at",
                                 k_at,
                                 "--hostname",
                                 "mail.example.com"});
    CHECK_THAT(text, Catch::Contains("Certificate 1 of 3 in chain: CN=mail.example.com"));
    CHECK_THAT(text, Catch::Contains("Cert VALIDATED: ok"));
    CHECK_THAT(text,
               Catch::Contains("Cert Hostname VERIFIED (mail.example.com = DNS:mail.example.com"));
}

TEST_CASE_METHOD(VerifyFixture, "verify: each chain problem gets its code", "[cli][verify]") {
    const Pki p = make_pki();
    SECTION("missing intermediate, naming it") {
        const auto [report, rc] = verify({p.leaf.cert}, {}, p.root.cert);
        CHECK(rc == 1);
        CHECK(codes(report, "error") == std::set<std::string>{"missing-intermediate"});
        CHECK_THAT(report["findings"][0]["message"].get<std::string>(),
                   Catch::Contains("Verify Issuing CA"));
    }
    SECTION("duplicated intermediate: valid, with a warning") {
        const auto [report, rc] = verify({p.leaf.cert}, {p.inter.cert, p.inter.cert}, p.root.cert);
        CHECK(rc == 0);
        CHECK(codes(report, "warning") == std::set<std::string>{"duplicate-certificate"});
    }
    SECTION("reverse order") {
        const Issued inter2 =
            issue(p.inter,
                  spec("Verify Sub CA", "2021-01-01T00:00:00Z", "2030-01-01T00:00:00Z", {}, true));
        const Issued leaf2 = issue(inter2,
                                   spec("mail.example.com",
                                        "2026-01-01T00:00:00Z",
                                        "2027-01-01T00:00:00Z",
                                        {"mail.example.com"}));
        const auto [report, rc] =
            verify({leaf2.cert}, {p.root.cert, p.inter.cert, inter2.cert}, p.root.cert);
        CHECK(rc == 0);
        CHECK(codes(report, "warning").count("wrong-order") == 1);
        CHECK(report["path"].size() == 4);
    }
    SECTION("unrelated extra certificate") {
        const Issued other = make_root(
            spec("Unrelated Root", "2020-01-01T00:00:00Z", "2040-01-01T00:00:00Z", {}, true));
        const auto [report, rc] = verify({p.leaf.cert}, {p.inter.cert, other.cert}, p.root.cert);
        CHECK(rc == 0);
        CHECK(codes(report, "warning") == std::set<std::string>{"unrelated-certificate"});
    }
    SECTION("expired leaf") {
        const Pki q = make_pki("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z");
        const auto [report, rc] = verify({q.leaf.cert}, {q.inter.cert}, q.root.cert);
        CHECK(rc == 1);
        CHECK(codes(report, "error") == std::set<std::string>{"expired"});
        CHECK(report["path"][0]["problems"] == json::array({"expired"}));
    }
    SECTION("expired intermediate") {
        const Pki q =
            make_pki("2025-01-01T00:00:00Z", "2027-01-01T00:00:00Z", "2026-03-01T00:00:00Z");
        const auto [report, rc] = verify({q.leaf.cert}, {q.inter.cert}, q.root.cert);
        CHECK(rc == 1);
        CHECK(codes(report, "error") == std::set<std::string>{"expired"});
        CHECK(report["path"][1]["problems"] == json::array({"expired"}));
    }
    SECTION("not-yet-valid leaf") {
        const Pki q = make_pki("2026-07-01T00:00:00Z", "2027-07-01T00:00:00Z");
        const auto [report, rc] = verify({q.leaf.cert}, {q.inter.cert}, q.root.cert);
        CHECK(rc == 1);
        CHECK(codes(report, "error") == std::set<std::string>{"not-yet-valid"});
    }
    SECTION("host name that matches the CN but not the SANs") {
        const Issued leaf = issue(p.inter,
                                  spec("mail.example.com",
                                       "2026-01-01T00:00:00Z",
                                       "2027-01-01T00:00:00Z",
                                       {"smtp.example.com"}));
        const auto [report, rc] =
            verify({leaf.cert}, {p.inter.cert}, p.root.cert, {"--hostname", "mail.example.com"});
        CHECK(rc == 1);
        CHECK(codes(report, "error") == std::set<std::string>{"hostname-mismatch"});
        CHECK(report["names"][0]["matched"] == false);
    }
    SECTION("wildcard one label too deep") {
        const auto [report, rc] = verify(
            {p.leaf.cert}, {p.inter.cert}, p.root.cert, {"--hostname", "a.b.mx.example.com"});
        CHECK(rc == 1);
        CHECK(codes(report, "error") == std::set<std::string>{"hostname-mismatch"});
    }
    SECTION("self-signed leaf: works for TLS, not verifiable") {
        const Issued self = make_root(spec("mail.example.com",
                                           "2026-01-01T00:00:00Z",
                                           "2027-01-01T00:00:00Z",
                                           {"mail.example.com"}));
        const auto [report, rc] = verify({self.cert}, {}, p.root.cert);
        CHECK(rc == 1);
        CHECK(codes(report, "error") == std::set<std::string>{"self-signed-leaf"});
        CHECK_THAT(report["findings"][0]["message"].get<std::string>(),
                   Catch::Contains("works for TLS encryption"));
    }
    SECTION("leaf signed by an untrusted root") {
        const Pki other = make_pki();
        const auto [report, rc] =
            verify({other.leaf.cert}, {other.inter.cert, other.root.cert}, p.root.cert);
        CHECK(rc == 1);
        CHECK(codes(report, "error") == std::set<std::string>{"untrusted-root"});
    }
    SECTION("leaf for the wrong purpose") {
        CertSpec s = spec("mail.example.com",
                          "2026-01-01T00:00:00Z",
                          "2027-01-01T00:00:00Z",
                          {"mail.example.com"});
        s.eku = "clientAuth";
        const Issued client = issue(p.inter, s);
        const auto [report, rc] = verify({client.cert}, {p.inter.cert}, p.root.cert);
        CHECK(rc == 1);
        CHECK(codes(report, "error") == std::set<std::string>{"wrong-purpose"});
        // ... which is right for a client certificate.
        const auto [as_client, rc2] =
            verify({client.cert}, {p.inter.cert}, p.root.cert, {"--purpose", "client"});
        CHECK(rc2 == 0);
    }
}

namespace {

// A CRL from `issuer` listing `revoked`, current from 2026-01-01 to 2027-01-01, as PEM.
std::string crl_pem(const Issued& issuer, const std::vector<Certificate>& revoked) {
    ossl::X509CrlPtr crl{X509_CRL_new()};
    REQUIRE(crl);
    ossl::Asn1TimePtr last{ASN1_TIME_new()};
    ossl::Asn1TimePtr next{ASN1_TIME_new()};
    REQUIRE(ASN1_TIME_set_string_X509(last.get(), "20260101000000Z") == 1);
    REQUIRE(ASN1_TIME_set_string_X509(next.get(), "20270101000000Z") == 1);
    REQUIRE(X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) == 1);
    REQUIRE(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer.cert.native())) == 1);
    REQUIRE(X509_CRL_set1_lastUpdate(crl.get(), last.get()) == 1);
    REQUIRE(X509_CRL_set1_nextUpdate(crl.get(), next.get()) == 1);
    for (const auto& c : revoked) {
        X509_REVOKED* entry = X509_REVOKED_new();
        REQUIRE(entry != nullptr);
        const bool added =
            X509_REVOKED_set_serialNumber(entry, X509_get_serialNumber(c.native())) == 1 &&
            X509_REVOKED_set_revocationDate(entry, last.get()) == 1 &&
            X509_CRL_add0_revoked(crl.get(), entry) == 1;
        if (!added) {
            X509_REVOKED_free(entry);
        }
        REQUIRE(added);
    }
    // RFC 5280 5.2: a CRL number, and the issuer's key identifier.
    ossl::Asn1IntegerPtr number{ASN1_INTEGER_new()};
    REQUIRE(ASN1_INTEGER_set(number.get(), 1) == 1);
    REQUIRE(X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, X509V3_ADD_DEFAULT) ==
            1);
    X509V3_CTX ctx{};
    X509V3_set_ctx(&ctx, issuer.cert.native(), nullptr, nullptr, crl.get(), 0);
    ossl::X509ExtPtr aki{
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always")};
    REQUIRE(aki);
    REQUIRE(X509_CRL_add_ext(crl.get(), aki.get(), -1) == 1);
    REQUIRE(X509_CRL_sort(crl.get()) == 1);
    REQUIRE(X509_CRL_sign(crl.get(), issuer.key.native(), EVP_sha256()) > 0);
    ossl::BioPtr bio{BIO_new(BIO_s_mem())};
    REQUIRE(PEM_write_bio_X509_CRL(bio.get(), crl.get()) == 1);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return {data, static_cast<std::size_t>(len)};
}

}  // namespace

// The rest of the documented codes, each from the real binary on a chain built for it.
TEST_CASE_METHOD(VerifyFixture,
                 "verify: the CA, path length, constraint, key, digest and revocation codes",
                 "[cli][verify]") {
    const Pki p = make_pki();
    const auto leaf_under =
        [](const Issued& ca, std::string digest = "SHA256", std::optional<PrivateKey> key = {}) {
            CertSpec s = spec("mail.example.com",
                              "2026-01-01T00:00:00Z",
                              "2027-01-01T00:00:00Z",
                              {"mail.example.com"});
            s.digest = std::move(digest);
            return issue(ca, s, std::move(key));
        };
    // An intermediate under the root with one extension set (openssl x509v3_config syntax).
    const auto ca_with =
        [&](const std::string& cn, const std::string& ext, const std::string& value) {
            CertSpec s = spec(cn, "2021-01-01T00:00:00Z", "2030-01-01T00:00:00Z", {}, true);
            s.extensions = {{ext, value}};
            return issue(p.root, s);
        };
    SECTION("an intermediate that is not a CA") {
        const Issued not_ca = issue(
            p.root,
            spec("Verify Not A CA", "2021-01-01T00:00:00Z", "2030-01-01T00:00:00Z", {}, false));
        const auto [report, rc] = verify({leaf_under(not_ca).cert}, {not_ca.cert}, p.root.cert);
        CHECK(rc == 1);
        CHECK(codes(report, "error").count("not-a-ca") == 1);
    }
    SECTION("a path longer than an intermediate's pathLenConstraint") {
        const Issued zero =
            ca_with("Verify Pathlen Zero CA", "basicConstraints", "critical,CA:TRUE,pathlen:0");
        const Issued below = issue(
            zero, spec("Verify Sub CA", "2021-01-01T00:00:00Z", "2030-01-01T00:00:00Z", {}, true));
        const auto [report, rc] =
            verify({leaf_under(below).cert}, {below.cert, zero.cert}, p.root.cert);
        CHECK(rc == 1);
        CHECK(codes(report, "error").count("path-length-exceeded") == 1);
    }
    SECTION("a name outside the issuer's name constraints") {
        const Issued constrained = ca_with(
            "Verify Constrained CA", "nameConstraints", "critical,permitted;DNS:example.org");
        const auto [report, rc] =
            verify({leaf_under(constrained).cert}, {constrained.cert}, p.root.cert);
        CHECK(rc == 1);
        CHECK(codes(report, "error") == std::set<std::string>{"name-constraints-violation"});
    }
    SECTION("an RSA 1024 key: a warning at OpenSSL's default security level, else an error") {
        ossl::EvpPkeyPtr small{EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024})};
        REQUIRE(small);
        const PrivateKey key = PrivateKey::adopt(small.get());
        const Issued leaf = leaf_under(p.inter, "SHA256", key);
        const auto [report, rc] = verify({leaf.cert}, {p.inter.cert}, p.root.cert);
        CHECK(rc == 0);
        CHECK(codes(report, "error").empty());
        CHECK(codes(report, "warning").count("weak-key") == 1);
        for (const std::vector<std::string>& stricter :
             {std::vector<std::string>{"--security-level", "2"},
              std::vector<std::string>{"--profile", "rfc5280"}}) {
            const auto [strict_report, strict_rc] =
                verify({leaf.cert}, {p.inter.cert}, p.root.cert, stricter);
            CHECK(strict_rc == 1);
            CHECK(codes(strict_report, "error") == std::set<std::string>{"weak-key"});
        }
    }
    SECTION("an RSA 768 key: an error at every level above 0") {
        ossl::EvpPkeyPtr tiny{EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{768})};
        REQUIRE(tiny);
        const PrivateKey key = PrivateKey::adopt(tiny.get());
        const auto [report, rc] =
            verify({leaf_under(p.inter, "SHA256", key).cert}, {p.inter.cert}, p.root.cert);
        CHECK(rc == 1);
        CHECK(codes(report, "error") == std::set<std::string>{"weak-key"});
    }
    SECTION("a SHA-1 signature") {
        const auto [report, rc] =
            verify({leaf_under(p.inter, "SHA1").cert}, {p.inter.cert}, p.root.cert);
        CHECK(rc == 1);
        CHECK(codes(report, "error") == std::set<std::string>{"weak-signature"});
    }
    SECTION("a revoked leaf, and the same CRL without it") {
        const Issued other = leaf_under(p.inter);
        write_file(path("revoked.crl"), crl_pem(p.inter, {p.leaf.cert}));
        write_file(path("root.crl"), crl_pem(p.root, {}));
        const auto [report, rc] = verify({p.leaf.cert},
                                         {p.inter.cert},
                                         p.root.cert,
                                         {"--crl", path("revoked.crl"), "--crl", path("root.crl")});
        CHECK(rc == 1);
        CHECK(codes(report, "error") == std::set<std::string>{"revoked"});
        const auto [fine, rc2] = verify({other.cert},
                                        {p.inter.cert},
                                        p.root.cert,
                                        {"--crl", path("revoked.crl"), "--crl", path("root.crl")});
        CHECK(rc2 == 0);
    }
    SECTION("an intermediate that expires before the leaf: valid, with a warning") {
        const Pki q =
            make_pki("2026-01-01T00:00:00Z", "2028-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
        const auto [report, rc] = verify({q.leaf.cert}, {q.inter.cert}, q.root.cert);
        CHECK(rc == 0);
        CHECK(codes(report, "warning").count("expires-before-leaf") == 1);
    }
    SECTION("a leaf from a same-name CA with another key") {
        const Issued impostor = make_root(
            spec("Verify Issuing CA", "2021-01-01T00:00:00Z", "2030-01-01T00:00:00Z", {}, true));
        const auto [report, rc] = verify({leaf_under(impostor).cert}, {p.inter.cert}, p.root.cert);
        CHECK(rc == 1);
        CHECK(codes(report, "error") == std::set<std::string>{"bad-signature"});
    }
}

TEST_CASE_METHOD(VerifyFixture, "verify: a store entry, and bad input", "[cli][verify]") {
    const Pki p = make_pki();
    SECTION("no input at all is a usage error") {
        const RunResult r = ct({"verify"});
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains("--cert"));
    }
    SECTION("a file that is not a certificate") {
        write_file(path("junk.pem"), "not a certificate\n");
        const RunResult r = ct({"verify", "--cert", path("junk.pem")});
        CHECK(r.exit_code == 4);
    }
    SECTION("a bad --at") {
        write_file(path("leaf.pem"), pem_of({p.leaf.cert}));
        const RunResult r = ct({"verify", "--cert", path("leaf.pem"), "--at", "yesterday"});
        CHECK(r.exit_code == 2);
    }
}

TEST_CASE_METHOD(VerifyFixture,
                 "verify --batch: one line per certificate, in input order",
                 "[cli][verify][batch]") {
    const Pki p = make_pki();
    const auto batch = dir / "batch";
    std::filesystem::create_directories(batch);
    for (int i = 0; i < 40; ++i) {
        const bool expired = i % 10 == 3;
        const Issued leaf = issue(p.inter,
                                  spec(fmt::format("host{:02}.example.com", i),
                                       expired ? "2025-01-01T00:00:00Z" : "2026-01-01T00:00:00Z",
                                       expired ? "2026-01-01T00:00:00Z" : "2027-01-01T00:00:00Z",
                                       {fmt::format("host{:02}.example.com", i)}));
        write_file((batch / fmt::format("leaf{:02}.pem", i)).string(), pem_of({leaf.cert}));
    }
    write_file((batch / "leaf99.pem").string(), "garbage\n");
    write_file(path("chain.pem"), pem_of({p.inter.cert}));
    write_file(path("root.pem"), pem_of({p.root.cert}));
    for (const std::string jobs : {"1", "2"}) {
        const RunResult r = ct({"verify",
                                "--batch",
                                batch.string(),
                                "--chain",
                                path("chain.pem"),
                                "--trust",
                                path("root.pem"),
                                "--at",
                                k_at,
                                "--json",
                                "--jobs",
                                jobs});
        INFO(r.err);
        CHECK(r.exit_code == 1);
        std::istringstream lines{r.out};
        std::string line;
        int n = 0;
        while (std::getline(lines, line)) {
            const json j = json::parse(line);
            if (n == 40) {
                CHECK(j["error"] == true);
            } else {
                CHECK_THAT(j["file"].get<std::string>(),
                           Catch::EndsWith(fmt::format("leaf{:02}.pem", n)));
                CHECK(j["valid"] == (n % 10 != 3));
                if (n % 10 == 3) {
                    CHECK(j["codes"] == json::array({"expired"}));
                }
            }
            ++n;
        }
        CHECK(n == 41);
    }
}

// Past BatchVerifier::k_precompute_after leaves the issuer's key gets a precomputed table and
// signatures are checked 64 at a time (lib/src/ecdsa_fixed.hpp); leaves broken in ways only
// the signature or the dates show must still fail there, each on its own line, in order. Also:
// links in the directory are followed, and a dangling one is an error line, not a silent skip.
TEST_CASE_METHOD(VerifyFixture,
                 "verify --batch: a large batch under one issuer keeps every verdict",
                 "[cli][verify][batch]") {
    const Pki p = make_pki();
    // Same name as the issuing CA, another key: its leaves fail only on the signature.
    const Issued impostor = make_root(
        spec("Verify Issuing CA", "2021-01-01T00:00:00Z", "2030-01-01T00:00:00Z", {}, true));
    const auto key = PrivateKey::generate(KeyType::ec_p256);
    const auto batch = dir / "big";
    std::filesystem::create_directories(batch);
    constexpr int k_leaves = 1500;
    const auto broken = [](int i) { return i > 700 && i % 97 == 0 ? 1 : i % 211 == 5 ? 2 : 0; };
    for (int i = 0; i < k_leaves; ++i) {
        const std::string name = fmt::format("host{:04}.example.com", i);
        const int how = broken(i);
        const Issued leaf = issue(how == 1 ? impostor : p.inter,
                                  spec(name,
                                       how == 2 ? "2025-01-01T00:00:00Z" : "2026-01-01T00:00:00Z",
                                       how == 2 ? "2026-01-01T00:00:00Z" : "2027-01-01T00:00:00Z",
                                       {name}),
                                  key);
        write_file((batch / fmt::format("leaf{:04}.pem", i)).string(), pem_of({leaf.cert}));
    }
    std::filesystem::create_symlink(batch / "leaf0000.pem", batch / "link.pem");
    std::filesystem::create_symlink(batch / "nowhere.pem", batch / "loose.pem");
    write_file(path("chain.pem"), pem_of({p.inter.cert}));
    write_file(path("root.pem"), pem_of({p.root.cert}));
    for (const std::string jobs : {"1", "2"}) {
        const RunResult r = ct({"verify",
                                "--batch",
                                batch.string(),
                                "--chain",
                                path("chain.pem"),
                                "--trust",
                                path("root.pem"),
                                "--at",
                                k_at,
                                "--json",
                                "--jobs",
                                jobs});
        INFO("jobs " << jobs << ": " << r.err);
        CHECK(r.exit_code == 1);
        std::istringstream lines{r.out};
        std::string line;
        int n = 0;
        int failed = 0;
        while (std::getline(lines, line)) {
            const json j = json::parse(line);
            const auto file = j["file"].get<std::string>();
            INFO(line);
            if (n < k_leaves) {
                CHECK_THAT(file, Catch::EndsWith(fmt::format("leaf{:04}.pem", n)));
                const int how = broken(n);
                CHECK(j["valid"] == (how == 0));
                failed += how != 0 ? 1 : 0;
                if (how == 1) {
                    CHECK(j["codes"] == json::array({"bad-signature"}));
                } else if (how == 2) {
                    CHECK(j["codes"] == json::array({"expired"}));
                }
            } else if (n == k_leaves) {
                CHECK_THAT(file, Catch::EndsWith("link.pem"));
                CHECK(j["valid"] == true);
            } else {
                CHECK_THAT(file, Catch::EndsWith("loose.pem"));
                CHECK(j["error"] == true);
                CHECK_THAT(j["message"].get<std::string>(), Catch::Contains("No such file"));
            }
            ++n;
        }
        CHECK(n == k_leaves + 2);
        CHECK(failed > 14);
    }
}

namespace {

// Serves `body` as a 200 response to any HTTP request.
std::function<void(int)> http_serving(std::string body) {
    return [body = std::move(body)](int fd) {
        while (read_line(fd).size() > 2) {  // the request, up to its blank line
        }
        send_text(fd,
                  "HTTP/1.0 200 OK\r\nContent-Type: application/pkix-cert\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body);
    };
}

}  // namespace

TEST_CASE_METHOD(VerifyFixture,
                 "fix-chain: orders, de-duplicates, drops strays, names the gap",
                 "[cli][fix-chain]") {
    const Pki p = make_pki("2026-01-01T00:00:00Z", "2036-01-01T00:00:00Z");
    const Issued stray =
        make_root(spec("Stray Root", "2020-01-01T00:00:00Z", "2040-01-01T00:00:00Z", {}, true));
    write_file(path("mess.pem"),
               pem_of({p.root.cert, p.inter.cert, stray.cert, p.leaf.cert, p.inter.cert}));
    write_file(path("root.pem"), pem_of({p.root.cert}));
    const RunResult r = ct({"fix-chain",
                            "--cert",
                            path("mess.pem"),
                            "--trust",
                            path("root.pem"),
                            "-o",
                            path("fixed.pem")});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    const auto fixed = Certificate::parse_all(read_file(path("fixed.pem")), "fixed");
    REQUIRE(fixed.size() == 2);
    CHECK(fixed[0].same_as(p.leaf.cert));
    CHECK(fixed[1].same_as(p.inter.cert));
    CHECK_THAT(r.err, Catch::Contains("duplicate-certificate"));
    CHECK_THAT(r.err, Catch::Contains("unrelated-certificate"));
    // openssl agrees the fixed file verifies.
    CHECK_THAT(openssl({"verify",
                        "-attime",
                        "1780000000",
                        "-CAfile",
                        path("root.pem"),
                        "-untrusted",
                        path("fixed.pem"),
                        path("fixed.pem")}),
               Catch::Contains("OK"));

    SECTION("a missing intermediate is named, then fetched over AIA from a loopback server") {
        // A leaf whose AIA points at the loopback server that serves the intermediate (DER).
        const LoopbackServer server{http_serving(p.inter.cert.to_der())};
        write_file(path("aia.cnf"),
                   fmt::format("basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                               "subjectAltName=DNS:mail.example.com\n"
                               "authorityInfoAccess=caIssuers;URI:http://127.0.0.1:{}/ca.der\n",
                               server.port()));
        write_file(path("inter.pem"), pem_of({p.inter.cert}));
        write_file(path("inter.key"), std::string{p.inter.key.to_pem().view()});
        openssl({"req",
                 "-new",
                 "-newkey",
                 "ec",
                 "-pkeyopt",
                 "ec_paramgen_curve:P-256",
                 "-nodes",
                 "-keyout",
                 path("aia.key"),
                 "-out",
                 path("aia.csr"),
                 "-subj",
                 "/CN=mail.example.com"});
        openssl({"x509",
                 "-req",
                 "-in",
                 path("aia.csr"),
                 "-CA",
                 path("inter.pem"),
                 "-CAkey",
                 path("inter.key"),
                 "-set_serial",
                 "7",
                 "-days",
                 "30",
                 "-extfile",
                 path("aia.cnf"),
                 "-out",
                 path("aia-leaf.pem")});
        const RunResult missing = ct(
            {"fix-chain", "--cert", path("aia-leaf.pem"), "--trust", path("root.pem"), "--json"});
        CHECK(missing.exit_code == 1);
        CHECK_THAT(missing.out, Catch::Contains("missing-intermediate"));
        const RunResult fetched = ct({"fix-chain",
                                      "--cert",
                                      path("aia-leaf.pem"),
                                      "--trust",
                                      path("root.pem"),
                                      "--aia",
                                      "--json"});
        INFO(fetched.err);
        CHECK(fetched.exit_code == 0);
        const json j = json::parse(fetched.out);
        CHECK(j["complete"] == true);
        REQUIRE(j["chain"].size() == 2);
        CHECK(j["chain"][1]["subject"] == "CN=Verify Issuing CA");
    }
}
