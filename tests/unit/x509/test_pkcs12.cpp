#include "ossl.hpp"
#include "support.hpp"

#include <certtool/error.hpp>
#include <certtool/pkcs12.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <utility>

using namespace certtool;
using certtool::test::at;

namespace {

Errc error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    FAIL("no error thrown");
    return Errc::io;
}

// m.example under an intermediate under a root (the file carries the leaf and the intermediate).
std::pair<test::Issued, test::Issued> leaf_under_intermediate() {
    const auto root =
        test::make_root({"Root", at("2020-01-01T00:00:00Z"), at("2040-01-01T00:00:00Z"), {}, true});
    auto inter = test::issue(
        root, {"Inter", at("2020-01-01T00:00:00Z"), at("2040-01-01T00:00:00Z"), {}, true});
    auto leaf = test::issue(
        inter,
        {"m.example", at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"), {"m.example"}});
    return {std::move(inter), std::move(leaf)};
}

}  // namespace

TEST_CASE("pkcs12: every profile round-trips key, leaf and chain", "[pkcs12]") {
    const auto [inter, leaf] = leaf_under_intermediate();
    const Secret password{"s3cret ünicode"};
    for (auto profile : {Pkcs12Profile::modern, Pkcs12Profile::compat, Pkcs12Profile::legacy}) {
        INFO(pkcs12_profile_name(profile));
        const std::string der =
            write_pkcs12(leaf.key, leaf.cert, {inter.cert}, password, {profile, 2048, "mail"});
        const auto back = read_pkcs12(der, password, "rt.p12");
        REQUIRE(back.keys.size() == 1);
        CHECK(leaf.cert.matches_key(back.keys[0]));
        REQUIRE(back.certs.size() == 2);
        CHECK(back.friendly_name == "mail");
        CHECK(back.mac_present);
        CHECK(error_of([&] { static_cast<void>(read_pkcs12(der, Secret{"wrong"}, "rt.p12")); }) ==
              Errc::bad_password);
    }
}

TEST_CASE("pkcs12: refuses empty passwords and silly iteration counts on export", "[pkcs12]") {
    const auto key = PrivateKey::generate(KeyType::ec_p256);
    const auto root = test::make_root(
        {"Self", at("2020-01-01T00:00:00Z"), at("2040-01-01T00:00:00Z"), {}, false});
    CHECK(error_of([&] {
              static_cast<void>(write_pkcs12(root.key, root.cert, {}, Secret{}, {}));
          }) == Errc::invalid_argument);
    CHECK(error_of([&] {
              static_cast<void>(write_pkcs12(
                  root.key, root.cert, {}, Secret{"x"}, {Pkcs12Profile::modern, 600001, ""}));
          }) == Errc::invalid_argument);
    CHECK(default_pkcs12_iterations(Pkcs12Profile::modern) == 600000);
}

TEST_CASE("pkcs12: malformed input is a parse error, never a crash", "[pkcs12]") {
    const auto root = test::make_root(
        {"Self", at("2020-01-01T00:00:00Z"), at("2040-01-01T00:00:00Z"), {}, false});
    const std::string der =
        write_pkcs12(root.key, root.cert, {}, Secret{"pw"}, {Pkcs12Profile::compat, 1, ""});
    CHECK(error_of([&] { static_cast<void>(read_pkcs12("", Secret{"pw"}, "e")); }) == Errc::parse);
    CHECK(error_of([&] { static_cast<void>(read_pkcs12("not a p12", Secret{"pw"}, "g")); }) ==
          Errc::parse);
    CHECK(error_of([&] { static_cast<void>(read_pkcs12(der + "\n", Secret{"pw"}, "t")); }) ==
          Errc::parse);
    // Every truncation point and some bit flips: an Error of some kind, nothing else.
    for (std::size_t n = 0; n < der.size(); n += 7) {
        CHECK_THROWS_AS(read_pkcs12(der.substr(0, n), Secret{"pw"}, "cut"), Error);
    }
    for (std::size_t i = 0; i < der.size(); i += 13) {
        std::string flipped = der;
        flipped[i] = static_cast<char>(flipped[i] ^ 0x5A);
        try {
            static_cast<void>(read_pkcs12(flipped, Secret{"pw"}, "flip"));
        } catch (const Error&) {
        }
    }
}

TEST_CASE("issue #13: a certificate whose key does not decode leaves no OpenSSL error queued",
          "[pkcs12]") {
    // fuzz/pkcs12's input (password 1234): RustCrypto's example5.pfx, no MAC, one bit of its
    // certificate's key flipped. Matching it to the private key pushed "X509_PUBKEY_get0: decode
    // error" and left it, to be read later as the cause of an unrelated failure.
    const std::string der = test::read_file(std::filesystem::path{CERTTOOL_SOURCE_DIR} /
                                            "tests/data/fuzz/pkcs12-undecodable-key");
    const Pkcs12Contents p12 = read_pkcs12(der, Secret{std::string{"1234"}}, "bit-flip.pfx");
    REQUIRE(p12.keys.size() == 1);
    REQUIRE(p12.certs.size() == 1);
    CHECK(ossl::drain_errors().empty());
    CHECK_FALSE(p12.certs[0].matches_key(p12.keys[0]));
    CHECK(p12.certs[0].key_description() == "none");
    CHECK(ossl::drain_errors().empty());
}

TEST_CASE("issue 18: the modern file opens in openssl pkcs12 and GnuTLS certtool", "[pkcs12]") {
    const auto [inter, leaf] = leaf_under_intermediate();
    const std::string password = "s3cret ünicode";
    const std::string der = write_pkcs12(
        leaf.key, leaf.cert, {inter.cert}, Secret{password}, {Pkcs12Profile::modern, 2048, "mail"});

    // libcrypto's own MAC check and parse.
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    const ossl::Pkcs12Ptr p12{d2i_PKCS12(nullptr, &p, static_cast<long>(der.size()))};
    REQUIRE(p12);
    CHECK(PKCS12_verify_mac(p12.get(), password.c_str(), static_cast<int>(password.size())) == 1);
    CHECK(PKCS12_verify_mac(p12.get(), "wrong", 5) != 1);
    ossl::clear_errors();

    test::TempDir dir;
    test::write_file(dir / "f.p12", der);
    test::write_file(dir / "pw", password);
    // -info writes the structure to stderr, the PEM to stdout.
    const auto read_back = test::run({"openssl",
                                      "pkcs12",
                                      "-in",
                                      (dir / "f.p12").string(),
                                      "-info",
                                      "-nodes",
                                      "-passin",
                                      "file:" + (dir / "pw").string()});
    REQUIRE(read_back.exit_code == 0);
    const std::string info = read_back.err + read_back.out;
    CHECK_THAT(info, Catch::Contains("MAC: sha256, Iteration 2048"));
    CHECK_THAT(info,
               Catch::Contains("Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, "
                               "PRF hmacWithSHA256"));
    CHECK_THAT(info,
               Catch::Contains("PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 2048"));
    CHECK_THAT(info, Catch::Contains("friendlyName: mail"));
    CHECK_THAT(info, Catch::Contains("BEGIN PRIVATE KEY"));
    CHECK_THAT(info, Catch::Contains("subject=CN = m.example"));
    CHECK_THAT(info, Catch::Contains("subject=CN = Inter"));
    test::write_file(dir / "bad", "wrong");
    CHECK(test::run({"openssl",
                     "pkcs12",
                     "-in",
                     (dir / "f.p12").string(),
                     "-nodes",
                     "-passin",
                     "file:" + (dir / "bad").string()})
              .exit_code != 0);

    if (std::filesystem::exists("/usr/bin/certtool")) {  // GnuTLS's, when installed
        const auto gnutls = test::run({"/usr/bin/certtool",
                                       "--p12-info",
                                       "--inder",
                                       "--infile",
                                       (dir / "f.p12").string(),
                                       "--password",
                                       password});
        CHECK(gnutls.exit_code == 0);
        CHECK_THAT(gnutls.out, Catch::Contains("PKCS #8 Encrypted key"));
        CHECK(test::run({"/usr/bin/certtool",
                         "--p12-info",
                         "--inder",
                         "--infile",
                         (dir / "f.p12").string(),
                         "--password",
                         "wrong"})
                  .exit_code != 0);
    }
}
