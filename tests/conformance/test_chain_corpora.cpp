// Runs verify_chain over the path-validation suites of the shared corpora (x509-limbo with its
// BetterTLS cases, NIST PKITS, BoringSSL's verify_certificate_chain_unittest). Prints a
// per-suite summary (passed / failed / skipped with reasons, failing ids), writes it to
// chain-conformance.json in the working directory, and fails if a suite drops below
// tests/conformance/floors.json. How each suite's inputs map to VerifyOptions is documented
// at each suite below and in the README.
#include "ossl.hpp"
#include "support.hpp"

#include <certtool/aia.hpp>
#include <certtool/batch.hpp>
#include <certtool/chain.hpp>
#include <certtool/error.hpp>
#include <certtool/trust.hpp>
#include <certtool/verify.hpp>

#include <catch2/catch.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

using namespace certtool;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct Suite {
    std::string name;
    int passed{0};
    int failed{0};
    std::map<std::string, int> skipped;  // reason -> count
    std::vector<std::string> failures;

    void record(bool pass, const std::string& id, const ChainReport* report) {
        if (pass) {
            ++passed;
            return;
        }
        ++failed;
        std::string why;
        if (report != nullptr) {
            why = report->valid ? "accepted" : "rejected:";
            for (const auto& f : report->findings) {
                if (f.severity == Severity::error) {
                    why += " " + std::string{finding_name(f.code)} +
                           (std::getenv("CHAIN_CONFORMANCE_VERBOSE") != nullptr
                                ? " [" + f.message + "]"
                                : "");
                }
            }
        }
        failures.push_back(id + " (" + why + ")");
    }

    void skip(const std::string& reason) { ++skipped[reason]; }
};

json floors() {
    std::ifstream in{fs::path{CERTTOOL_SOURCE_DIR} / "tests" / "conformance" / "floors.json"};
    REQUIRE(in.good());
    return json::parse(in)["chain"];
}

void report(const Suite& s) {
    const int floor = floors().value(s.name, 0);
    int skipped = 0;
    for (const auto& [reason, n] : s.skipped) {
        skipped += n;
    }
    std::cout << "chain conformance: " << s.name << ": " << s.passed << "/" << (s.passed + s.failed)
              << " passed, " << skipped << " skipped (floor " << floor << ")\n";
    for (const auto& [reason, n] : s.skipped) {
        std::cout << "    skipped " << n << ": " << reason << "\n";
    }
    for (const auto& f : s.failures) {
        std::cout << "    FAIL " << f << "\n";
    }
    const fs::path out{"chain-conformance.json"};
    json summary = json::object();
    if (fs::exists(out)) {
        std::ifstream in{out};
        summary = json::parse(in, nullptr, false);
        if (summary.is_discarded()) {
            summary = json::object();
        }
    }
    summary[s.name] = {{"passed", s.passed},
                       {"failed", s.failed},
                       {"skipped", s.skipped},
                       {"floor", floor},
                       {"failures", s.failures}};
    std::ofstream{out} << summary.dump(2) << "\n";
    INFO(s.name);
    CHECK(s.passed >= floor);
}

std::string gunzip(const fs::path& file) {
    gzFile gz = gzopen(file.c_str(), "rb");
    REQUIRE(gz != nullptr);
    std::string out;
    std::array<char, 1 << 16> buf{};
    int n = 0;
    while ((n = gzread(gz, buf.data(), static_cast<unsigned>(buf.size()))) > 0) {
        out.append(buf.data(), static_cast<std::size_t>(n));
    }
    gzclose(gz);
    return out;
}

std::vector<Certificate> pems(const json& list) {
    std::vector<Certificate> out;
    for (const auto& p : list) {
        for (auto& c : Certificate::parse_all(p.get<std::string>(), "limbo")) {
            out.push_back(std::move(c));
        }
    }
    return out;
}

// x509-limbo: trusted_certs are the anchors, untrusted_intermediates the pool; validation_time
// (null: time not checked); expected_peer_name(s) must all match; one extended_key_usage sets
// the purpose (none: any, but server for BetterTLS; several: skipped, as upstream's OpenSSL
// harness does); max_chain_depth;
// crls. webpki::* cases use the webpki profile, the others rfc5280; BetterTLS expects no CN
// fallback (its certificates carry CNs that are not among their SANs).
void run_limbo(const json& testcases,
               const std::string& prefix,
               const std::string& validation_kind,
               Suite& suite,
               bool cn_fallback) {
    for (const auto& t : testcases) {
        const std::string id = t["id"];
        if (id.rfind(prefix, 0) != 0 || t["validation_kind"] != validation_kind) {
            continue;
        }
        VerifyOptions o;
        o.profile = id.rfind("webpki::", 0) == 0 ? Profile::webpki : Profile::rfc5280;
        o.common_name_fallback = cn_fallback;
        const auto& ekus = t["extended_key_usage"];
        if (ekus.size() > 1) {
            suite.skip("several extended key usages requested at once");
            continue;
        }
        const std::string eku = ekus.empty() ? "" : ekus[0].get<std::string>();
        if (eku == "serverAuth") {
            o.purpose = Purpose::server;
        } else if (eku == "clientAuth") {
            o.purpose = Purpose::client;
        } else if (eku.empty() && id.rfind("bettertls::", 0) == 0) {
            // BetterTLS tests TLS server certificates; limbo's conversion drops the EKU.
            o.purpose = Purpose::server;
        } else if (eku.empty() || eku == "anyExtendedKeyUsage") {
            o.purpose = Purpose::any;
        } else {
            suite.skip("purpose " + eku + " (not a TLS purpose)");
            continue;
        }
        if (t["validation_time"].is_string()) {
            o.at = parse_time(t["validation_time"].get<std::string>().substr(0, 19) + "Z");
        } else {
            o.check_time = false;
        }
        if (t["max_chain_depth"].is_number()) {
            o.max_depth = t["max_chain_depth"].get<int>();
        }
        for (const auto& c : t.value("crls", json::array())) {
            for (auto& crl : Crl::parse_all(c.get<std::string>(), id)) {
                o.crls.push_back(std::move(crl));
            }
        }
        auto add_name = [&](const json& n) {
            const std::string kind = n["kind"];
            const auto k = kind == "IP"       ? SubjectAltName::Kind::ip
                           : kind == "RFC822" ? SubjectAltName::Kind::email
                                              : SubjectAltName::Kind::dns;
            o.names.push_back({k, n["value"].get<std::string>()});
        };
        if (t["expected_peer_name"].is_object()) {
            add_name(t["expected_peer_name"]);
        }
        for (const auto& n : t.value("expected_peer_names", json::array())) {
            add_name(n);
        }
        const bool expect = t["expected_result"] == "SUCCESS";
        try {
            const auto anchors = TrustStore::from_certificates(pems(t["trusted_certs"]), "limbo");
            const auto leaf = Certificate::parse(t["peer_certificate"].get<std::string>(), id);
            const auto r = verify_chain(leaf, pems(t["untrusted_intermediates"]), anchors, o);
            suite.record(r.valid == expect, id, &r);
        } catch (const Error& e) {
            // Input we cannot even parse is a rejection.
            suite.record(!expect, id + " [" + e.what() + "]", nullptr);
        }
    }
}

const json& limbo() {
    static const json doc =
        json::parse(gunzip(test::corpora_dir() / "x509-limbo" / "limbo.json.gz"))["testcases"];
    return doc;
}

}  // namespace

// Server and client validations are counted apart: the OpenSSL CLI baseline (144/198) has
// only the SERVER cases.
TEST_CASE("conformance: x509-limbo native cases", "[conformance][chain][limbo]") {
    for (const auto* kind : {"SERVER", "CLIENT"}) {
        Suite s{std::string{"limbo-native"} + (std::string{kind} == "CLIENT" ? "-client" : "")};
        for (const auto* group : {"crl::",
                                  "cve::",
                                  "invalid::",
                                  "online::",
                                  "pathlen::",
                                  "pathological::",
                                  "rfc5280::",
                                  "webpki::"}) {
            run_limbo(limbo(), group, kind, s, true);
        }
        report(s);
    }
}

TEST_CASE("conformance: x509-limbo BetterTLS name constraints", "[conformance][chain][limbo]") {
    Suite s{"limbo-bettertls-nameconstraints"};
    run_limbo(limbo(), "bettertls::nameconstraints::", "SERVER", s, false);
    report(s);
}

TEST_CASE("conformance: x509-limbo BetterTLS path building", "[conformance][chain][limbo]") {
    Suite s{"limbo-bettertls-pathbuilding"};
    run_limbo(limbo(), "bettertls::pathbuilding::", "SERVER", s, false);
    report(s);
}

// NIST PKITS: first certificate the anchor, last the end entity, the rest the pool; all CRLs
// given (revocation checked for every certificate); the PKITS policy inputs; validated at
// 2020-01-01 (every PKITS certificate is valid 2010-2030); purpose any; rfc5280 profile with
// SHA-1 and 80-bit keys allowed (PKITS 2011 has DSA-1024/SHA-1 paths that must validate).
TEST_CASE("conformance: NIST PKITS", "[conformance][chain][pkits]") {
    Suite s{"nist-pkits"};
    const fs::path dir = test::corpora_dir() / "nist-pkits";
    const json doc = json::parse(test::read_file(dir / "pkits-testcases.json"));
    const json& oids = doc["policy_oids"];
    auto cert = [&](const std::string& name) {
        return Certificate::parse(test::read_file(dir / "certs" / (name + ".crt")), name);
    };
    for (const auto& t : doc["testcases"]) {
        const std::string id =
            t["test_number"].get<std::string>() + " " + t["gtest_name"].get<std::string>();
        const auto& names = t["certs_trust_anchor_first"];
        VerifyOptions o;
        o.at = parse_time("2020-01-01T00:00:00Z");
        o.purpose = Purpose::any;
        o.profile = Profile::rfc5280;
        for (const auto& c : t["crls"]) {
            for (auto& crl :
                 Crl::parse_all(test::read_file(dir / "crls" / (c.get<std::string>() + ".crl")),
                                c.get<std::string>())) {
                o.crls.push_back(std::move(crl));
            }
        }
        o.allow_sha1 = true;  // PKITS (2011) signs its DSA tests with SHA-1 and DSA-1024
        o.min_security_bits = 80;
        o.policy.enabled = true;
        for (const auto& p : t["initial_policy_set"]) {
            o.policy.initial_policies.push_back(oids[p.get<std::string>()]);
        }
        o.policy.require_explicit = t["initial_explicit_policy"];
        o.policy.inhibit_mapping = t["initial_policy_mapping_inhibit"];
        o.policy.inhibit_any = t["initial_inhibit_any_policy"];
        std::vector<Certificate> pool;
        for (std::size_t i = 1; i + 1 < names.size(); ++i) {
            pool.push_back(cert(names[i]));
        }
        const auto anchors = TrustStore::from_certificates({cert(names[0])}, "PKITS anchor");
        const auto r = verify_chain(cert(names.back()), pool, anchors, o);
        s.record(r.valid == t["should_validate"].get<bool>(), id, &r);
    }
    report(s);
}

// PKITS 4.14.30 passes because a CRL issuer whose certificate is covered by its own indirect
// CRL is accepted inside libcrypto's CRL-issuer sub-validation (lib/src/verify.cpp,
// collect_cb). That must not make such an issuer unrevocable: the same CRL, re-signed with the
// cRLIssuer's key (PKITS ships it) and listing the cRLIssuer's own certificate, or the end
// entity, must make the path fail.
TEST_CASE("conformance: PKITS 4.14.30 with the CRL issuer or the end entity revoked",
          "[conformance][chain][pkits]") {
    const fs::path dir = test::corpora_dir() / "nist-pkits";
    auto cert = [&](const std::string& name) {
        return Certificate::parse(test::read_file(dir / "certs" / (name + ".crt")), name);
    };
    const auto anchor = cert("TrustAnchorRootCertificate");
    const auto ca4 = cert("indirectCRLCA4Cert");
    const auto crl_issuer = cert("indirectCRLCA4cRLIssuerCert");
    const auto ee = cert("ValidcRLIssuerTest30EE");
    const std::string p12 = test::read_file(dir / "pkcs12" / "indirectCRLCA4cRLIssuerCert.p12");
    const auto* p12_bytes = reinterpret_cast<const unsigned char*>(p12.data());
    ossl::Pkcs12Ptr bag{d2i_PKCS12(nullptr, &p12_bytes, static_cast<long>(p12.size()))};
    REQUIRE(bag);
    EVP_PKEY* raw_key = nullptr;
    X509* raw_cert = nullptr;
    REQUIRE(PKCS12_parse(bag.get(), "password", &raw_key, &raw_cert, nullptr) == 1);
    const ossl::EvpPkeyPtr key{raw_key};
    const ossl::X509Ptr key_cert{raw_cert};
    REQUIRE(X509_cmp(key_cert.get(), crl_issuer.native()) == 0);

    const std::string original = test::read_file(dir / "crls" / "indirectCRLCA4cRLIssuerCRL.crl");
    // The indirect CRL with one more entry: `revoked` (issued by CA4, so the entry names CA4 as
    // its certificate issuer), re-signed by the cRLIssuer.
    const auto with_entry = [&](const Certificate& revoked) {
        const auto* in = reinterpret_cast<const unsigned char*>(original.data());
        ossl::X509CrlPtr crl{d2i_X509_CRL(nullptr, &in, static_cast<long>(original.size()))};
        REQUIRE(crl);
        X509_REVOKED* entry = X509_REVOKED_new();
        REQUIRE(entry != nullptr);
        ossl::Asn1TimePtr date{ASN1_TIME_new()};
        REQUIRE(ASN1_TIME_set_string_X509(date.get(), "20100101000000Z") == 1);
        ossl::GeneralNamesPtr issuer_names{GENERAL_NAMES_new()};
        GENERAL_NAME* dir_name = GENERAL_NAME_new();
        REQUIRE(dir_name != nullptr);
        GENERAL_NAME_set0_value(
            dir_name, GEN_DIRNAME, X509_NAME_dup(X509_get_subject_name(ca4.native())));
        REQUIRE(sk_GENERAL_NAME_push(issuer_names.get(), dir_name) > 0);
        const bool built =
            X509_REVOKED_set_serialNumber(entry, X509_get_serialNumber(revoked.native())) == 1 &&
            X509_REVOKED_set_revocationDate(entry, date.get()) == 1 &&
            X509_REVOKED_add1_ext_i2d(
                entry, NID_certificate_issuer, issuer_names.get(), 1, X509V3_ADD_DEFAULT) == 1 &&
            X509_CRL_add0_revoked(crl.get(), entry) == 1;
        if (!built) {
            X509_REVOKED_free(entry);
        }
        REQUIRE(built);
        REQUIRE(X509_CRL_sort(crl.get()) == 1);
        REQUIRE(X509_CRL_sign(crl.get(), key.get(), EVP_sha256()) > 0);
        unsigned char* out = nullptr;
        const int len = i2d_X509_CRL(crl.get(), &out);
        const ossl::OpensslBytesPtr owned{out};
        REQUIRE(len > 0);
        return Crl::parse_all(
            std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(len)),
            "modified indirect CRL");
    };
    const auto verify_with = [&](std::vector<Crl> indirect) {
        VerifyOptions o;
        o.at = parse_time("2020-01-01T00:00:00Z");
        o.purpose = Purpose::any;
        o.profile = Profile::rfc5280;
        o.crls = Crl::parse_all(test::read_file(dir / "crls" / "TrustAnchorRootCRL.crl"),
                                "TrustAnchorRootCRL");
        for (auto& c : indirect) {
            o.crls.push_back(std::move(c));
        }
        return verify_chain(
            ee, {ca4, crl_issuer}, TrustStore::from_certificates({anchor}, "PKITS anchor"), o);
    };
    const auto valid30 = verify_with(Crl::parse_all(original, "indirectCRLCA4cRLIssuerCRL"));
    CHECK(valid30.valid);  // 4.14.30 itself
    // The CRL issuer's certificate is not in the end entity's path, but it is not unrelated.
    CHECK(std::none_of(valid30.findings.begin(), valid30.findings.end(), [](const ChainFinding& f) {
        return f.code == FindingCode::unrelated_certificate;
    }));
    const auto issuer_revoked = verify_with(with_entry(crl_issuer));
    CHECK_FALSE(issuer_revoked.valid);
    // The CRL's own issuer is revoked, so the end entity's status cannot be known.
    CHECK(std::any_of(
        issuer_revoked.findings.begin(), issuer_revoked.findings.end(), [](const ChainFinding& f) {
            return f.code == FindingCode::revocation_unknown;
        }));
    const auto ee_revoked = verify_with(with_entry(ee));
    CHECK_FALSE(ee_revoked.valid);
    CHECK(std::any_of(ee_revoked.findings.begin(),
                      ee_revoked.findings.end(),
                      [](const ChainFinding& f) { return f.code == FindingCode::revoked; }));
}

// BoringSSL verify_certificate_chain_unittest: chain target first, anchor last. Trust:
// TRUSTED_ANCHOR is RFC 5280's name and key (its validity and constraints not applied);
// *_WITH_EXPIRATION applies its validity, *_WITH_CONSTRAINTS its constraints; TRUSTED_LEAF
// trusts the target alone; DISTRUSTED / UNSPECIFIED trust nothing. key_purpose SERVER_AUTH /
// CLIENT_AUTH / ANY_EKU set the purpose, *_STRICT and *_STRICT_LEAF strict_eku; profile
// rfc5280 with 80-bit keys; SHA-1 allowed unless digest_policy is STRONG (BoringSSL's default).
// Expected: success unless an "ERROR:" line follows expected_errors.
TEST_CASE("conformance: BoringSSL verify_certificate_chain", "[conformance][chain][boringssl]") {
    Suite s{"boringssl-pki"};
    const fs::path root =
        test::corpora_dir() / "boringssl-pki" / "verify_certificate_chain_unittest";
    std::vector<fs::path> tests;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (e.path().extension() == ".test") {
            tests.push_back(e.path());
        }
    }
    std::sort(tests.begin(), tests.end());
    for (const auto& file : tests) {
        const std::string id = fs::relative(file, root).string();
        std::istringstream in{test::read_file(file)};
        std::map<std::string, std::string> kv;
        std::string line;
        bool expect_error = false;
        bool in_errors = false;
        while (std::getline(in, line)) {
            if (in_errors) {
                expect_error = expect_error || line.rfind("ERROR:", 0) == 0;
                continue;
            }
            const auto colon = line.find(':');
            if (colon == std::string::npos) {
                continue;
            }
            const std::string key = line.substr(0, colon);
            std::string value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(' '));
            kv[key] = value;
            in_errors = key == "expected_errors";
        }
        const std::string trust = kv["last_cert_trust"];
        const std::string purpose = kv["key_purpose"];
        VerifyOptions o;
        if (purpose.rfind("SERVER_AUTH", 0) == 0) {
            o.purpose = Purpose::server;
        } else if (purpose.rfind("CLIENT_AUTH", 0) == 0) {
            o.purpose = Purpose::client;
        } else if (purpose == "ANY_EKU") {
            o.purpose = Purpose::any;
        } else {
            s.skip("key_purpose " + purpose + " (not a TLS purpose)");
            continue;
        }
        o.profile = Profile::rfc5280;
        if (purpose.find("_STRICT_LEAF") != std::string::npos) {
            o.strict_eku = VerifyOptions::StrictEku::leaf;
        } else if (purpose.find("_STRICT") != std::string::npos) {
            o.strict_eku = VerifyOptions::StrictEku::chain;
        }
        if (purpose.find("_STRICT_LEAF") != std::string::npos) {
            o.strict_eku = VerifyOptions::StrictEku::leaf;
        } else if (purpose.find("_STRICT") != std::string::npos) {
            o.strict_eku = VerifyOptions::StrictEku::chain;
        }
        std::string when = kv["utc_time"] == "DEFAULT" ? "211005120000Z" : kv["utc_time"];
        o.at = parse_time(fmt::format("20{}-{}-{}T{}:{}:{}Z",
                                      when.substr(0, 2),
                                      when.substr(2, 2),
                                      when.substr(4, 2),
                                      when.substr(6, 2),
                                      when.substr(8, 2),
                                      when.substr(10, 2)));
        o.allow_sha1 = kv["digest_policy"] != "STRONG";  // BoringSSL's test default allows it
        o.min_security_bits = 80;
        // A trusted leaf is still checked as a leaf.
        const bool leaf_trust = trust.rfind("TRUSTED_LEAF", 0) == 0;
        o.anchor_validity = leaf_trust || trust.find("EXPIRATION") != std::string::npos;
        o.anchor_constraints = leaf_trust || trust.find("CONSTRAINTS") != std::string::npos;
        const auto chain =
            Certificate::parse_all(test::read_file(file.parent_path() / kv["chain"]), kv["chain"]);
        std::vector<Certificate> anchors;
        std::vector<Certificate> pool{chain.begin() + 1, chain.end()};
        if (trust.rfind("TRUSTED_ANCHOR", 0) == 0) {
            anchors.push_back(chain.back());
            if (!pool.empty()) {
                pool.pop_back();
            }
            if (trust == "TRUSTED_ANCHOR_OR_LEAF") {
                anchors.push_back(chain.front());
            }
        } else if (trust == "TRUSTED_LEAF") {
            anchors.push_back(chain.front());
        } else if (trust == "TRUSTED_LEAF_REQUIRE_SELF_SIGNED") {
            s.skip("trust setting TRUSTED_LEAF_REQUIRE_SELF_SIGNED (not modelled)");
            continue;
        } else if (trust != "DISTRUSTED" && trust != "UNSPECIFIED") {
            s.skip("trust setting " + trust);
            continue;
        }
        const auto store = TrustStore::from_certificates(anchors, "test anchors");
        const auto r = verify_chain(chain.front(), pool, store, o);
        s.record(r.valid == !expect_error, id, &r);
    }
    report(s);
}
