// Inputs and outputs as a user names them: FIFOs, devices and pipes never hang a command, one
// exit code for an input that cannot be read, "-" for standard output, and export's outputs all
// or none even when two of them name one file.
#include "cli_fixture.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>

namespace certtool::test {

namespace {

namespace fs = std::filesystem;

// A command that must end by itself: killed (exit 137) if it has not after 20 s.
RunOptions bounded(std::map<std::string, std::string> env = {}) {
    RunOptions o;
    o.env = std::move(env);
    o.kill_after_us = 20'000'000;
    return o;
}

class Inputs : public CliFixture {
public:
    Inputs() {
        make_ca();
        mail_with_csr();
        sign_csr(path("mail.csr"), path("signed.pem"));
        import_with_chain("mail", path("signed.pem"));
        write_file(dir / "pw", "fifo-test-password\n");
        ok({"export-pkcs12",
            "mail",
            "-o",
            path("mail.p12"),
            "--iterations",
            "1000",
            "--password-file",
            path("pw")});
        REQUIRE(::mkfifo(path("fifo").c_str(), 0600) == 0);
        fs::create_directory(dir / "empty");
    }

    // Every option that reads a file, with `bad` in that place.
    [[nodiscard]] std::vector<std::vector<std::string>> readers(const std::string& bad) const {
        const std::string cert = path("signed.pem");
        return {
            {"import-signed", "mail", "--cert", bad},
            {"import-signed", "mail", "--cert", cert, "--intermediate", bad},
            {"import-signed", "mail", "--cert", cert, "--trust", bad},
            {"import-pkcs12", "other", bad, "--password-file", path("pw")},
            {"import-pkcs12", "other", path("mail.p12"), "--password-file", bad},
            {"export-pkcs12", "mail", "-o", path("new.p12"), "--password-file", bad},
            {"verify", "--cert", bad},
            {"verify", "--cert", cert, "--chain", bad},
            {"verify", "--cert", cert, "--trust", bad},
            {"verify", "--cert", cert, "--crl", bad},
            {"fix-chain", "--cert", bad},
            {"fix-chain", "--cert", cert, "--key", bad},
            {"mail-log", bad},
        };
    }
};

}  // namespace

TEST_CASE_METHOD(Inputs,
                 "inputs: a FIFO with no writer or a device ends every command with exit 3",
                 "[cli][inputs]") {
    const auto before = snapshot(store);
    for (const auto& args : readers(path("fifo"))) {
        INFO(fmt::format("{}", fmt::join(args, " ")));
        const auto start = std::chrono::steady_clock::now();
        const RunResult r = ct(args, bounded({{"CERTTOOL_PIPE_TIMEOUT", "0.3"}}));
        const auto took = std::chrono::steady_clock::now() - start;
        INFO(r.err);
        CHECK(r.exit_code == 3);
        CHECK_THAT(r.err, Catch::Contains("delivered nothing for 0.3 s"));
        CHECK(took < std::chrono::seconds{10});
    }
    for (const auto& args : readers("/dev/zero")) {
        INFO(fmt::format("{}", fmt::join(args, " ")));
        const RunResult r = ct(args, bounded());
        INFO(r.err);
        CHECK(r.exit_code == 3);
        CHECK_THAT(r.err, Catch::Contains("it is a character device"));
    }
    // A batch goes on past a file it cannot read: that file's line says why.
    const RunResult batch = ct({"verify", "--batch", path("fifo"), "/dev/zero", path("signed.pem")},
                               bounded({{"CERTTOOL_PIPE_TIMEOUT", "0.3"}}));
    CHECK(batch.exit_code == 1);
    CHECK_THAT(batch.out,
               Catch::Contains("fifo: ERROR cannot read") &&
                   Catch::Contains("/dev/zero: ERROR cannot read certificate file '/dev/zero': "
                                   "it is a character device"));
    CHECK(snapshot(store) == before);
    CHECK_FALSE(fs::exists(dir / "new.p12"));
}

TEST_CASE_METHOD(Inputs,
                 "inputs: a missing or unreadable input or password source exits 3",
                 "[cli][inputs]") {
    for (const auto& args : readers(path("missing.pem"))) {
        INFO(fmt::format("{}", fmt::join(args, " ")));
        const RunResult r = ct(args, bounded());
        INFO(r.err);
        CHECK(r.exit_code == 3);
        CHECK_THAT(r.err, Catch::Contains("missing.pem"));
    }
    const std::vector<std::string> export_p12{
        "export-pkcs12", "mail", "-o", path("new.p12"), "--iterations", "1000"};
    auto with = [&](std::vector<std::string> extra) {
        auto args = export_p12;
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    };
    CHECK(ct(with({"--password-env", "CERTTOOL_TEST_UNSET"}), bounded()).exit_code == 3);
    CHECK(ct(with({"--password-fd", "99"}), bounded()).exit_code == 3);
    CHECK(ct(with({"--password-file", path("nope")}), bounded()).exit_code == 3);
    CHECK_FALSE(fs::exists(dir / "new.p12"));
}

TEST_CASE_METHOD(Inputs, "inputs: a pipe that delivers is read like a file", "[cli][inputs]") {
    const std::string ct_cmd = certtool_path() + " --store " + store;
    const RunResult r =
        run({"bash",
             "-c",
             ct_cmd + " verify --cert <(cat " + path("signed.pem") + ") --chain <(cat " +
                 path("inter.pem") + ") --trust <(cat " + path("root.pem") + ") --json"},
            bounded());
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(nlohmann::json::parse(r.out)["valid"] == true);
}

TEST_CASE_METHOD(Inputs, "inputs: verify --batch with nothing to verify exits 4", "[cli][inputs]") {
    write_file(dir / "empty" / ".hidden.pem", read_file(dir / "signed.pem"));
    const RunResult r = ct({"verify", "--batch", path("empty"), "--trust", path("root.pem")});
    INFO(r.err);
    CHECK(r.exit_code == 4);
    CHECK_THAT(r.err, Catch::Contains("no file to verify"));
}

TEST_CASE_METHOD(Inputs,
                 "export: two outputs naming one file are refused and nothing is written",
                 "[cli][export]") {
    fs::create_directory(dir / "out");
    for (const bool force : {false, true}) {
        std::vector<std::string> args{"export",
                                      "mail",
                                      "--cert-out",
                                      path("out/same.pem"),
                                      "--key-out",
                                      (dir / "out" / "." / "same.pem").string()};
        if (force) {
            args.emplace_back("--force");
        }
        const RunResult r = ct(args);
        INFO(r.err);
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err,
                   Catch::Contains("--cert-out and --key-out name the same file") &&
                       Catch::Contains("--combined-out"));
        CHECK(fs::is_empty(dir / "out"));
    }
}

TEST_CASE_METHOD(Inputs,
                 "export: '-' is standard output and show --pem prints PEM only",
                 "[cli][export]") {
    const std::string pem = ok({"export", "mail", "--fullchain-out", "-"});
    CHECK(pem == read_file(dir / "signed.pem") + read_file(dir / "inter.pem"));
    CHECK_FALSE(fs::exists(fs::current_path() / "-"));
    const std::string shown = ok({"show", "mail", "--pem"});
    CHECK(shown == read_file(dir / "signed.pem"));
    // Pipeable into the openssl CLI.
    RunOptions in;
    in.input = shown;
    CHECK_THAT(openssl({"x509", "-noout", "-subject"}, in), Catch::Contains("mail.example.com"));
    CHECK(ct({"export", "mail", "--cert-out", "-", "--json"}).exit_code == 2);
}

TEST_CASE_METHOD(Inputs,
                 "export: --combined-out is key, certificate and chain in one 0600 file",
                 "[cli][export]") {
    ok({"export", "mail", "--combined-out", path("combined.pem")});
    CHECK((fs::status(dir / "combined.pem").permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));
    const std::string combined = read_file(dir / "combined.pem");
    CHECK(combined.find("PRIVATE KEY-----") < combined.find("BEGIN CERTIFICATE"));
    CHECK_THAT(combined,
               Catch::EndsWith(read_file(dir / "signed.pem") + read_file(dir / "inter.pem")));
    // The key in it is the certificate's (what Postfix checks when it loads the file).
    CHECK(openssl({"pkey", "-in", path("combined.pem"), "-pubout"}) ==
          openssl({"x509", "-in", path("combined.pem"), "-noout", "-pubkey"}));
}

TEST_CASE_METHOD(CliFixture,
                 "messages: control characters in what the user typed are escaped",
                 "[cli][inputs]") {
    const RunResult newline = ct({"show", "a\nb"});
    CHECK(newline.exit_code == 2);
    CHECK_THAT(newline.err, Catch::StartsWith("certtool: error: 'a\\nb' is not a valid entry"));
    CHECK(std::count(newline.err.begin(), newline.err.end(), '\n') == 1);
    const RunResult control = ct({"delete", "x\x01\x1b[2Jy"});
    CHECK_THAT(control.err, Catch::Contains("'x\\x01\\x1b[2Jy'"));
    // Bytes that are not UTF-8 do not break --json.
    const RunResult json_out = ct({"show", "x\xffy", "--json"});
    CHECK(json_out.exit_code == 2);
    CHECK(nlohmann::json::parse(json_out.out)["exit_code"] == 2);
}

TEST_CASE_METHOD(CliFixture,
                 "names: internationalised names are stored as A-labels, unsupported SAN types "
                 "are named",
                 "[cli][inputs]") {
    ok({"create-selfsigned",
        "idn",
        "--cn",
        "m\xc3\xbcller.example.com",  // müller
        "--san",
        "DNS:*.B\xc3\xbc"
        "CHER.example",  // *.BüCHER: mapped to lower case first (UTS #46)
        "--key-type",
        "ec-p256"});
    ok({"export", "idn", "--cert-out", path("idn.pem")});
    const std::string text = openssl({"x509", "-in", path("idn.pem"), "-noout", "-text"});
    CHECK_THAT(text, Catch::Contains("CN = xn--mller-kva.example.com"));
    CHECK_THAT(text, Catch::Contains("DNS:xn--mller-kva.example.com, DNS:*.xn--bcher-kva.example"));
    // The Unicode form names the same certificate when verifying.
    CHECK(ct({"verify",
              "--cert",
              path("idn.pem"),
              "--trust",
              path("idn.pem"),
              "--hostname",
              "m\xc3\xbcller.example.com"})
              .exit_code == 0);
    const RunResult bad_idn = ct({"create-selfsigned", "x", "--cn", "a\xe2\x98\x83_b.example"});
    CHECK(bad_idn.exit_code == 2);
    CHECK_THAT(bad_idn.err, Catch::Contains("is not a host name"));
    const RunResult uri =
        ct({"create-selfsigned", "x", "--cn", "x.example", "--san", "URI:https://x.example/"});
    CHECK(uri.exit_code == 2);
    CHECK_THAT(uri.err,
               Catch::Contains("type 'URI' is not supported: give DNS:name, IP:address or "
                               "email:address"));
    CHECK(ct({"create-selfsigned", "x", "--cn", "x.example", "--san", "2001:db8::25"}).exit_code ==
          0);
}

TEST_CASE_METHOD(CliFixture,
                 "libidn2 and libcurl are opened by the commands that need them, not linked",
                 "[cli]") {
    // The dynamic loader names each library it initialises (LD_DEBUG=libs, on stderr).
    const RunOptions traced{.env = {{"LD_DEBUG", "libs"}}};
    const auto loads = [](const RunResult& r, const std::string& soname) {
        return r.err.find("calling init: ") != std::string::npos &&
               r.err.find(soname) != std::string::npos;
    };
    const RunResult version = ct({"--version"}, traced);
    REQUIRE(version.exit_code == 0);
    REQUIRE(loads(version, "libcrypto.so.3"));  // the trace works
    CHECK_FALSE(loads(version, "libcurl.so.4"));
    CHECK_FALSE(loads(version, "libidn2.so.0"));

    const RunResult ascii =
        ct({"create-selfsigned", "a", "--cn", "mail.example.com", "--key-type", "ec-p256"}, traced);
    REQUIRE(ascii.exit_code == 0);
    CHECK_FALSE(loads(ascii, "libidn2.so.0"));
    const RunResult idn =
        ct({"create-selfsigned", "u", "--cn", "m\xC3\xBCller.example.com", "--key-type", "ec-p256"},
           traced);
    REQUIRE(idn.exit_code == 0);
    CHECK(loads(idn, "libidn2.so.0"));
    CHECK_THAT(ok({"show", "u"}), Catch::Contains("DNS:xn--mller-kva.example.com"));

    // The ACME client opens libcurl (and what it links) for its first request, here refused:
    // nothing listens on port 1 of loopback.
    const RunResult acme = ct(
        {"acme", "account", "register", "--agree-tos", "--server", "https://127.0.0.1:1/directory"},
        traced);
    CHECK(acme.exit_code == 3);
    CHECK(loads(acme, "libcurl.so.4"));
}

}  // namespace certtool::test
