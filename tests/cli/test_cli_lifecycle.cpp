// The lifecycle through the real binary, checked by real peers: openssl, keytool, GnuTLS.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

using namespace certtool::test;
using nlohmann::json;

namespace {

unsigned mode_of(const std::string& p) {
    struct stat st {};

    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777U;
}

}  // namespace

TEST_CASE_METHOD(CliFixture,
                 "cli: create -> CSR -> CA signs -> import -> export, as openssl sees it",
                 "[cli][interop]") {
    make_ca();
    ok({"create-selfsigned",
        "mail",
        "--cn",
        "mail.example.com",
        "--san",
        "DNS:smtp.example.com",
        "--key-type",
        "ec-p256",
        "--org",
        "Example"});
    ok({"export-csr", "mail", "-o", path("mail.csr")});
    const std::string csr_text =
        openssl({"req", "-in", path("mail.csr"), "-noout", "-text", "-verify"});
    CHECK_THAT(csr_text, Catch::Contains("DNS:mail.example.com, DNS:smtp.example.com"));
    sign_csr(path("mail.csr"), path("signed.pem"));

    // The CA's answer in reverse order with a duplicate: certtool sorts it out.
    write_file(dir / "bundle.pem",
               read_file(dir / "inter.pem") + read_file(dir / "signed.pem") +
                   read_file(dir / "inter.pem"));
    const RunResult imported = ct({"import-signed",
                                   "mail",
                                   "--cert",
                                   path("bundle.pem"),
                                   "--trust",
                                   path("root.pem"),
                                   "--json"});
    INFO(imported.err << imported.out);
    REQUIRE(imported.exit_code == 0);
    const json j = json::parse(imported.out);
    CHECK(j["origin"] == "ca-signed");
    CHECK(j["chain"].size() == 1);
    CHECK(j["certificate"]["issuer"] == "CN=CLI Test Issuing CA");
    bool dup = false;
    for (const auto& f : j["findings"]) {
        dup = dup || f["code"] == "duplicate-certificate";
        CHECK(f["code"] != "missing-intermediate");
    }
    CHECK(dup);

    ok({"export",
        "mail",
        "--cert-out",
        path("cert.pem"),
        "--chain-out",
        path("chain.pem"),
        "--key-out",
        path("key.pem"),
        "--fullchain-out",
        path("full.pem")});
    CHECK(mode_of(path("key.pem")) == 0600);
    CHECK(openssl({"verify",
                   "-CAfile",
                   path("root.pem"),
                   "-untrusted",
                   path("chain.pem"),
                   "-verify_hostname",
                   "smtp.example.com",
                   path("cert.pem")})
              .find(": OK") != std::string::npos);
    // key.pem belongs to cert.pem
    CHECK(openssl({"pkey", "-in", path("key.pem"), "-pubout"}) ==
          openssl({"x509", "-in", path("cert.pem"), "-noout", "-pubkey"}));

    // Renewal: the CSR still comes out for a CA-signed entry; renew refuses with the recipe.
    CHECK_THAT(ok({"export-csr", "mail"}),
               Catch::StartsWith("-----BEGIN CERTIFICATE REQUEST-----"));
    const RunResult renew = ct({"renew", "mail"});
    CHECK(renew.exit_code == 3);
    CHECK_THAT(renew.err, Catch::Contains("export-csr") && Catch::Contains("import-signed"));

    // PKCS#12 in every profile, read back by openssl; modern and compat by keytool too.
    write_file(dir / "pw", "p12 pass\n");
    for (const std::string profile : {"modern", "compat", "legacy"}) {
        INFO(profile);
        const std::string out = path(profile + ".p12");
        ok({"export-pkcs12",
            "mail",
            "-o",
            out,
            "--profile",
            profile,
            "--iterations",
            "4096",
            "--password-file",
            path("pw")});
        CHECK(mode_of(out) == 0600);
        std::vector<std::string> args{
            "pkcs12", "-in", out, "-passin", "file:" + path("pw"), "-nodes", "-info"};
        if (profile == "legacy") {
            args.emplace_back("-legacy");
        }
        const RunResult r = run([&] {
            std::vector<std::string> a{"openssl"};
            a.insert(a.end(), args.begin(), args.end());
            return a;
        }());
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        CHECK_THAT(r.out, Catch::Contains("friendlyName: mail"));
        CHECK_THAT(r.out, Catch::Contains("PRIVATE KEY"));
        const std::string expected = profile == "modern"   ? "AES-256-CBC"
                                     : profile == "compat" ? "pbeWithSHA1And3-KeyTripleDES-CBC"
                                                           : "pbeWithSHA1And40BitRC2-CBC";
        CHECK_THAT(r.err + r.out, Catch::Contains(expected));
        if (profile != "legacy") {
            const RunResult k = run({"keytool",
                                     "-list",
                                     "-storetype",
                                     "PKCS12",
                                     "-keystore",
                                     out,
                                     "-storepass:file",
                                     path("pw")});
            INFO(k.out << k.err);
            CHECK(k.exit_code == 0);
            CHECK_THAT(k.out, Catch::Contains("mail, ") && Catch::Contains("PrivateKeyEntry"));
        }
        // ... and by our own import, with the chain.
        ok({"import-pkcs12", "back-" + profile, out, "--password-file", path("pw")});
        const json shown = json::parse(ok({"show", "back-" + profile, "--json"}));
        CHECK(shown["chain"].size() == 1);
        CHECK(shown["certificate"]["sha256_fingerprint"] == j["certificate"]["sha256_fingerprint"]);
    }
    CHECK(ct({"export-pkcs12", "mail", "-o", path("modern.p12"), "--password-file", path("pw")})
              .exit_code == 8);
}

TEST_CASE_METHOD(CliFixture,
                 "cli: imports PKCS#12 made by openssl (default, legacy) and GnuTLS",
                 "[cli][interop][pkcs12]") {
    self_signed("rsa:2048", "k.pem", "c.pem", "/CN=byo.example.com");
    write_file(dir / "pw", "Pässwörd 1");
    openssl({"pkcs12",
             "-export",
             "-in",
             path("c.pem"),
             "-inkey",
             path("k.pem"),
             "-out",
             path("default.p12"),
             "-passout",
             "file:" + path("pw")});
    openssl({"pkcs12",
             "-export",
             "-legacy",
             "-in",
             path("c.pem"),
             "-inkey",
             path("k.pem"),
             "-out",
             path("legacy.p12"),
             "-passout",
             "file:" + path("pw")});
    // GnuTLS's certtool (full path: not ours) takes the password from a template, not argv.
    write_file(dir / "gnutls.tmpl", "pkcs12_key_name = byo\npassword = Pässwörd 1\n");
    const RunResult g = run({"/usr/bin/certtool",
                             "--load-certificate",
                             path("c.pem"),
                             "--load-privkey",
                             path("k.pem"),
                             "--to-p12",
                             "--outder",
                             "--outfile",
                             path("gnutls.p12"),
                             "--template",
                             path("gnutls.tmpl")});
    INFO(g.err);
    REQUIRE(g.exit_code == 0);
    const std::string fingerprint =
        openssl({"x509", "-in", path("c.pem"), "-noout", "-fingerprint", "-sha256"});
    for (const std::string f : {"default", "legacy", "gnutls"}) {
        INFO(f);
        const RunResult r =
            ct({"import-pkcs12", f, path(f + ".p12"), "--password-env", "P12PW", "--json"},
               {{{"P12PW", "Pässwörd 1"}}});
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
        const json j = json::parse(r.out);
        CHECK(fingerprint.find(j["certificate"]["sha256_fingerprint"].get<std::string>()) !=
              std::string::npos);
        CHECK(j["key"] == "RSA 2048");
        CHECK(j["origin"] == "self-signed");
        CHECK(j["request"]["cn"] == "byo.example.com");
    }
}

TEST_CASE_METHOD(CliFixture, "cli: self-signed renewal and show/list JSON", "[cli]") {
    ok({"create-selfsigned",
        "gw",
        "--cn",
        "gw.example.org",
        "--key-type",
        "ec-p384",
        "--days",
        "10"});
    const json before = json::parse(ok({"show", "gw", "--json"}));
    const json after = json::parse(ok({"renew", "gw", "--days", "20", "--json"}));
    CHECK(after["certificate"]["serial"] != before["certificate"]["serial"]);
    CHECK(after["certificate"]["subject"] == before["certificate"]["subject"]);
    CHECK(after["certificate"]["days_left"] == 20);
    CHECK(after["key"] == "EC P-384");
    const json list = json::parse(ok({"list", "--json"}));
    REQUIRE(list["entries"].size() == 1);
    CHECK(list["entries"][0]["name"] == "gw");
    CHECK(list["entries"][0]["days_left"] == 20);
}

TEST_CASE_METHOD(CliFixture, "cli: CSR as PEM or DER, to stdout or a file", "[cli][csr]") {
    ok({"create-selfsigned",
        "m",
        "--cn",
        "m.example.com",
        "--key-type",
        "ec-p256",
        "--san",
        "email:postmaster@example.com"});
    const std::string der = ok({"export-csr", "m", "--der"});
    write_file(dir / "m.der", der);
    const std::string text =
        openssl({"req", "-inform", "DER", "-in", path("m.der"), "-noout", "-text", "-verify"});
    CHECK_THAT(text, Catch::Contains("email:postmaster@example.com"));
    ok({"export-csr", "m", "-o", path("m.csr")});
    CHECK(ct({"export-csr", "m", "-o", path("m.csr")}).exit_code == 8);
    ok({"export-csr", "m", "-o", path("m.csr"), "--force"});
    const json j = json::parse(ok({"export-csr", "m", "--json"}));
    CHECK_THAT(j["csr"].get<std::string>(),
               Catch::StartsWith("-----BEGIN CERTIFICATE REQUEST-----"));
}

TEST_CASE_METHOD(CliFixture,
                 "cli: PKCS#12 without a key or with only a key is refused cleanly",
                 "[cli][pkcs12]") {
    self_signed("ec", "k.pem", "c.pem", "/CN=x.example");
    write_file(dir / "pw", "pw");
    openssl({"pkcs12",
             "-export",
             "-nokeys",
             "-in",
             path("c.pem"),
             "-out",
             path("certonly.p12"),
             "-passout",
             "file:" + path("pw")});
    openssl({"pkcs12",
             "-export",
             "-nocerts",
             "-inkey",
             path("k.pem"),
             "-out",
             path("keyonly.p12"),
             "-passout",
             "file:" + path("pw")});
    const RunResult a =
        ct({"import-pkcs12", "a", path("certonly.p12"), "--password-file", path("pw")});
    CHECK(a.exit_code == 6);
    CHECK_THAT(a.err, Catch::Contains("holds no private key"));
    const RunResult b =
        ct({"import-pkcs12", "b", path("keyonly.p12"), "--password-file", path("pw")});
    CHECK(b.exit_code == 6);
    CHECK_THAT(b.err, Catch::Contains("no certificate"));
    CHECK(json::parse(ok({"list", "--json"}))["entries"].empty());
}
