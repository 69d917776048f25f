// The lifecycle functions (lib/src/store/lifecycle.cpp), one command's whole decision each, run
// in-process on a temporary store: create, CSR, CA-signed import, PKCS#12 out and back in,
// renew, and the server files. A test CA (support.hpp) signs with fixed dates.
#include "support.hpp"

#include <certtool/error.hpp>
#include <certtool/lifecycle.hpp>

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <functional>

using namespace certtool;
using certtool::test::at;
namespace fs = std::filesystem;

namespace {

unsigned mode_of(const fs::path& p) {
    struct stat st {};

    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777U;
}

Errc code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    FAIL("no error");
    return Errc::io;
}

bool has(const std::vector<ChainFinding>& findings, const std::string& name) {
    const auto code = parse_finding_code(name);
    REQUIRE(code);  // a misspelt name must fail the test, never pass a CHECK_FALSE
    return std::any_of(
        findings.begin(), findings.end(), [&](const ChainFinding& f) { return f.code == *code; });
}

// A store with one self-signed entry "mail", a CA (root + issuing CA) and its files in dir.
struct Lifecycle {
    test::TempDir dir;
    Store store{dir / "store"};
    TimePoint now = at("2026-06-01T00:00:00Z");
    test::Issued root = test::make_root(
        {"Lifecycle Root", at("2020-01-01T00:00:00Z"), at("2040-01-01T00:00:00Z"), {}, true});
    test::Issued inter = test::issue(
        root,
        {"Lifecycle Issuing CA", at("2020-01-01T00:00:00Z"), at("2035-01-01T00:00:00Z"), {}, true});
    Entry mail = create_selfsigned(store, request("mail"), now);

    Lifecycle() {
        test::write_file(dir / "root.pem", root.cert.to_pem());
        test::write_file(dir / "inter.pem", inter.cert.to_pem());
    }

    static CreateSelfSignedRequest request(const std::string& name) {
        CreateSelfSignedRequest r;
        r.name = name;
        r.subject.common_name = name + ".example.com";
        r.sans = {"DNS:smtp.example.com", "IP:192.0.2.25"};
        r.key_type = KeyType::ec_p256;
        r.days = 90;
        return r;
    }

    // The CA's answer for the entry's key, written to dir/NAME.
    fs::path signed_by_ca(const std::string& file,
                          const PrivateKey& key,
                          const std::string& not_after = "2027-06-01T00:00:00Z") {
        const auto leaf = test::issue(inter,
                                      {"mail.example.com",
                                       at("2026-05-01T00:00:00Z"),
                                       at(not_after),
                                       {"mail.example.com", "smtp.example.com"}},
                                      key);
        test::write_file(dir / file, leaf.cert.to_pem());
        return dir / file;
    }

    // The entry imported as CA-signed: leaf from signed_by_ca, chain [inter].
    ImportResult import_ca_signed() {
        ImportSignedRequest r{"mail", {signed_by_ca("signed.pem", mail.key)}, {dir / "inter.pem"}};
        r.trust = {dir / "root.pem"};
        return import_signed(store, r, now);
    }

    Pkcs12ExportOptions fast_p12() const {
        Pkcs12ExportOptions o;
        o.iterations = 2048;  // the default 600,000 is for users, not for a unit test's time
        return o;
    }
};

}  // namespace

TEST_CASE_METHOD(Lifecycle,
                 "lifecycle: create-selfsigned stores the CN first among the SANs",
                 "[lifecycle]") {
    CHECK(mail.origin == Origin::self_signed);
    CHECK(mail.certificate.is_self_signed());
    CHECK(mail.certificate.matches_key(mail.key));
    std::vector<std::string> sans;
    for (const auto& s : mail.certificate.subject_alt_names()) {
        sans.push_back(s.to_string());
    }
    CHECK(sans == std::vector<std::string>{
                      "DNS:mail.example.com", "DNS:smtp.example.com", "IP:192.0.2.25"});
    CHECK(mail.certificate.not_before() == now);
    CHECK(mail.certificate.not_after() == at("2026-08-30T00:00:00Z"));  // 90 days
    CHECK(store.get("mail").certificate.same_as(mail.certificate));

    SECTION("a bad request changes nothing") {
        const auto before = test::snapshot(store.dir());
        auto bad_san = request("other");
        bad_san.sans = {"DNS:bad name"};
        CHECK(code_of([&] { create_selfsigned(store, bad_san, now); }) == Errc::invalid_argument);
        auto bad_name = request("other");
        bad_name.name = "../escape";
        CHECK(code_of([&] { create_selfsigned(store, bad_name, now); }) == Errc::invalid_argument);
        auto bad_days = request("other");
        bad_days.days = 0;
        CHECK(code_of([&] { create_selfsigned(store, bad_days, now); }) == Errc::invalid_argument);
        CHECK(test::snapshot(store.dir()) == before);
    }
}

TEST_CASE_METHOD(Lifecycle,
                 "lifecycle: export-csr asks for the stored subject and SANs",
                 "[lifecycle]") {
    const std::string pem = export_csr(store, "mail", Encoding::pem);
    const std::string text = test::openssl({"req", "-noout", "-text", "-verify"}, {{}, pem});
    CHECK_THAT(text, Catch::Contains("CN = mail.example.com"));
    CHECK_THAT(
        text, Catch::Contains("DNS:mail.example.com, DNS:smtp.example.com, IP Address:192.0.2.25"));
    // The CSR is signed by the entry's key.
    const std::string csr_key = test::openssl({"req", "-noout", "-pubkey"}, {{}, pem});
    const std::string cert_key =
        test::openssl({"x509", "-noout", "-pubkey"}, {{}, mail.certificate.to_pem()});
    CHECK(csr_key == cert_key);
    CHECK(static_cast<unsigned char>(export_csr(store, "mail", Encoding::der).at(0)) == 0x30);
    CHECK(code_of([&] { static_cast<void>(export_csr(store, "nope", Encoding::pem)); }) ==
          Errc::not_found);
}

TEST_CASE_METHOD(Lifecycle,
                 "lifecycle: import-signed takes the CA's certificate and chain",
                 "[lifecycle]") {
    const ImportResult r = import_ca_signed();
    CHECK(r.entry.origin == Origin::ca_signed);
    CHECK(r.entry.certificate.is_issued_by(inter.cert));
    CHECK(r.entry.certificate.matches_key(mail.key));
    REQUIRE(r.entry.chain.size() == 1);
    CHECK(r.entry.chain[0].same_as(inter.cert));
    CHECK(r.entry.created == mail.created);
    CHECK(r.entry.updated == now);
    CHECK_FALSE(has(r.findings, "missing-intermediate"));
    CHECK_FALSE(has(r.findings, "untrusted-root"));
    const Entry stored = store.get("mail");
    CHECK(stored.certificate.same_as(r.entry.certificate));
    CHECK(stored.key.to_pem() == mail.key.to_pem());

    SECTION("a bundle in any order, root included: the root is not stored") {
        test::write_file(
            dir / "bundle.pem",
            root.cert.to_pem() + test::read_file(dir / "signed.pem") + inter.cert.to_pem());
        ImportSignedRequest again{"mail", {dir / "bundle.pem"}, {}};
        again.trust = {dir / "root.pem"};
        const ImportResult b = import_signed(store, again, now);
        REQUIRE(b.entry.chain.size() == 1);
        CHECK(b.entry.chain[0].same_as(inter.cert));
        CHECK(has(b.findings, "wrong-order"));
    }
    SECTION("a certificate alone reuses the stored intermediate that issued it") {
        ImportSignedRequest alone{"mail", {dir / "signed.pem"}, {}};
        alone.trust = {dir / "root.pem"};
        const ImportResult a = import_signed(store, alone, now);
        REQUIRE(a.entry.chain.size() == 1);
        CHECK(a.entry.chain[0].same_as(inter.cert));
        CHECK_FALSE(has(a.findings, "missing-intermediate"));
        CHECK_FALSE(has(a.findings, "unrelated-certificate"));
    }
    SECTION("an expired certificate is imported with a warning") {
        ImportSignedRequest old{"mail",
                                {signed_by_ca("old.pem", mail.key, "2026-05-15T00:00:00Z")},
                                {dir / "inter.pem"}};
        old.trust = {dir / "root.pem"};
        CHECK(has(import_signed(store, old, now).findings, "expired"));
    }
}

TEST_CASE_METHOD(Lifecycle,
                 "lifecycle: import-signed for another key changes nothing",
                 "[lifecycle]") {
    const auto before = test::snapshot(store.dir());
    const auto stranger = PrivateKey::generate(KeyType::ec_p256);
    ImportSignedRequest r{"mail", {signed_by_ca("other.pem", stranger)}, {dir / "inter.pem"}};
    r.trust = {dir / "root.pem"};
    CHECK(code_of([&] { static_cast<void>(import_signed(store, r, now)); }) == Errc::key_mismatch);
    CHECK(test::snapshot(store.dir()) == before);
    ImportSignedRequest none{"mail", {}, {}};
    CHECK(code_of([&] { static_cast<void>(import_signed(store, none, now)); }) ==
          Errc::invalid_argument);
    ImportSignedRequest missing{"nope", {dir / "other.pem"}, {}};
    missing.trust = {dir / "root.pem"};
    CHECK(code_of([&] { static_cast<void>(import_signed(store, missing, now)); }) ==
          Errc::not_found);
    CHECK(test::snapshot(store.dir()) == before);
}

TEST_CASE_METHOD(Lifecycle,
                 "lifecycle: PKCS#12 export and import carry key, leaf and chain",
                 "[lifecycle][pkcs12]") {
    import_ca_signed();
    const fs::path p12 = dir / "mail.p12";
    export_pkcs12(store, {"mail", p12, fast_p12()}, Secret{"correct horse"});
    CHECK(mode_of(p12) == 0600);
    const Pkcs12Contents contents =
        read_pkcs12(test::read_file(p12), Secret{"correct horse"}, "mail.p12");
    CHECK(contents.friendly_name == std::optional<std::string>{"mail"});
    REQUIRE(contents.keys.size() == 1);
    CHECK(contents.certs.size() == 2);

    const ImportResult copy = import_pkcs12(store, {"copy", p12}, Secret{"correct horse"}, now);
    CHECK(copy.entry.origin == Origin::pkcs12);
    CHECK(copy.entry.certificate.same_as(store.get("mail").certificate));
    CHECK(copy.entry.key.to_pem() == mail.key.to_pem());
    REQUIRE(copy.entry.chain.size() == 1);
    CHECK(copy.entry.chain[0].same_as(inter.cert));
    CHECK(store.names() == std::vector<std::string>{"copy", "mail"});

    SECTION("export refuses an existing file unless forced") {
        const std::string first = test::read_file(p12);
        CHECK(code_of([&] {
                  export_pkcs12(store, {"mail", p12, fast_p12()}, Secret{"other"});
              }) == Errc::already_exists);
        CHECK(test::read_file(p12) == first);
        export_pkcs12(store, {"mail", p12, fast_p12(), true}, Secret{"other"});
        CHECK(read_pkcs12(test::read_file(p12), Secret{"other"}, "mail.p12").keys.size() == 1);
    }
    SECTION("a wrong password or an existing name adds nothing") {
        const auto before = test::snapshot(store.dir());
        CHECK(code_of([&] {
                  static_cast<void>(import_pkcs12(store, {"third", p12}, Secret{"wrong"}, now));
              }) == Errc::bad_password);
        CHECK(code_of([&] {
                  static_cast<void>(
                      import_pkcs12(store, {"copy", p12}, Secret{"correct horse"}, now));
              }) == Errc::already_exists);
        CHECK(test::snapshot(store.dir()) == before);
    }
    SECTION("a file with certificates only is refused, naming what it holds") {
        const fs::path certs_only = dir / "certs-only.p12";
        test::openssl({"pkcs12",
                       "-export",
                       "-nokeys",
                       "-in",
                       (dir / "signed.pem").string(),
                       "-out",
                       certs_only.string(),
                       "-passout",
                       "pass:pw"});
        CHECK_THROWS_WITH(import_pkcs12(store, {"third", certs_only}, Secret{"pw"}, now),
                          Catch::Contains("holds no private key"));
        CHECK_FALSE(store.contains("third"));
    }
    SECTION("export of a missing entry writes no file") {
        CHECK(code_of([&] {
                  export_pkcs12(store, {"nope", dir / "nope.p12", fast_p12()}, Secret{"pw"});
              }) == Errc::not_found);
        CHECK_FALSE(fs::exists(dir / "nope.p12"));
    }
}

TEST_CASE_METHOD(Lifecycle, "lifecycle: renew re-signs self-signed entries only", "[lifecycle]") {
    const Entry renewed = renew(store, {"mail", 30}, at("2026-07-01T00:00:00Z"));
    CHECK(renewed.certificate.not_before() == at("2026-07-01T00:00:00Z"));
    CHECK(renewed.certificate.not_after() == at("2026-07-31T00:00:00Z"));
    CHECK(renewed.certificate.subject_alt_names() == mail.certificate.subject_alt_names());
    CHECK(renewed.certificate.is_self_signed());

    import_ca_signed();
    const auto before = test::snapshot(store.dir());
    try {
        static_cast<void>(renew(store, {"mail", std::nullopt}, now));
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == Errc::unsupported);
        CHECK_THAT(e.what(), Catch::Contains("certtool export-csr mail"));
        CHECK_THAT(e.what(), Catch::Contains("import-signed mail"));
    }
    CHECK(test::snapshot(store.dir()) == before);
    CHECK(code_of([&] { static_cast<void>(renew(store, {"nope", 30}, now)); }) == Errc::not_found);
}

TEST_CASE_METHOD(Lifecycle,
                 "lifecycle: export writes the server's files, all or none",
                 "[lifecycle]") {
    import_ca_signed();
    const Entry e = store.get("mail");
    ExportFilesRequest r{
        "mail", dir / "cert.pem", dir / "key.pem", dir / "chain.pem", dir / "fullchain.pem"};
    const auto written = export_files(store, r).written;
    CHECK(written.size() == 4);
    CHECK(test::read_file(dir / "cert.pem") == e.certificate.to_pem());
    CHECK(test::read_file(dir / "chain.pem") == inter.cert.to_pem());
    CHECK(test::read_file(dir / "fullchain.pem") == e.certificate.to_pem() + inter.cert.to_pem());
    CHECK(PrivateKey::parse(test::read_file(dir / "key.pem"), "key.pem").to_pem() ==
          e.key.to_pem());
    CHECK(mode_of(dir / "key.pem") == 0600);
    CHECK(mode_of(dir / "cert.pem") == 0644);

    SECTION("one existing output: nothing is written") {
        ExportFilesRequest again{
            "mail", dir / "new-cert.pem", dir / "new-key.pem", std::nullopt, dir / "fullchain.pem"};
        test::write_file(dir / "fullchain.pem", "mine");
        CHECK(code_of([&] { static_cast<void>(export_files(store, again)); }) ==
              Errc::already_exists);
        CHECK_FALSE(fs::exists(dir / "new-cert.pem"));
        CHECK_FALSE(fs::exists(dir / "new-key.pem"));
        CHECK(test::read_file(dir / "fullchain.pem") == "mine");
        again.force = true;
        CHECK(export_files(store, again).written.size() == 3);
        CHECK(test::read_file(dir / "fullchain.pem") != "mine");
    }
    SECTION("nothing asked for") {
        CHECK(code_of([&] { static_cast<void>(export_files(store, {"mail"})); }) ==
              Errc::invalid_argument);
    }
    SECTION("two outputs naming one file are refused, however the file is named") {
        fs::create_directories(dir / "sub");
        fs::create_directory_symlink(dir / "sub", dir / "link");
        test::write_file(dir / "sub" / "existing.pem", "mine");
        fs::create_hard_link(dir / "sub" / "existing.pem", dir / "hard.pem");
        const std::vector<std::pair<fs::path, fs::path>> pairs{
            {dir / "same.pem", dir / "same.pem"},
            {dir / "same.pem", dir / "sub" / ".." / "same.pem"},
            {dir / "sub" / "x.pem", dir / "link" / "x.pem"},
            {dir / "sub" / "existing.pem", dir / "hard.pem"},
            {"-", "-"}};
        for (const auto& [a, b] : pairs) {
            for (const bool force : {false, true}) {
                INFO(a.string() << " / " << b.string() << " force " << force);
                ExportFilesRequest same{"mail"};
                same.cert_out = a;
                same.key_out = b;
                same.force = force;
                const auto before = test::snapshot(dir.path());
                CHECK(code_of([&] { static_cast<void>(export_files(store, same)); }) ==
                      Errc::invalid_argument);
                CHECK(test::snapshot(dir.path()) == before);
            }
        }
    }
    SECTION("combined: key, certificate and chain in one 0600 file") {
        ExportFilesRequest c{"mail"};
        c.combined_out = dir / "combined.pem";
        CHECK(export_files(store, c).written == std::vector<fs::path>{dir / "combined.pem"});
        CHECK(mode_of(dir / "combined.pem") == 0600);
        CHECK(test::read_file(dir / "combined.pem") ==
              std::string(e.key.to_pem().view()) + e.certificate.to_pem() + inter.cert.to_pem());
    }
    SECTION("'-' is standard output: returned, not written") {
        ExportFilesRequest c{"mail"};
        c.fullchain_out = "-";
        c.key_out = dir / "k.pem";
        const auto out = export_files(store, c);
        CHECK(out.written == std::vector<fs::path>{dir / "k.pem"});
        CHECK(out.standard_output.view() == e.certificate.to_pem() + inter.cert.to_pem());
        CHECK_FALSE(fs::exists("-"));
    }
}
