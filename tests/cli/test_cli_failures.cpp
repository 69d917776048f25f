// Bad input: a one-line error naming the problem, a documented exit code, and no change at all.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

using namespace certtool::test;
using nlohmann::json;

namespace {

void check_one_line_error(const RunResult& r, int code, const std::string& needle) {
    INFO("stderr: " << r.err << " stdout: " << r.out);
    CHECK(r.exit_code == code);
    CHECK_THAT(r.err, Catch::StartsWith("certtool: error: ") && Catch::Contains(needle));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

}  // namespace

TEST_CASE_METHOD(CliFixture, "failures leave the store byte-identical", "[cli][failure]") {
    make_ca();
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
    ok({"create-selfsigned", "other", "--cn", "other.example.com", "--key-type", "ec-p256"});
    ok({"export-csr", "other", "-o", path("other.csr")});
    sign_csr(path("other.csr"), path("other-signed.pem"));
    write_file(dir / "pw", "right");
    ok({"export-pkcs12",
        "other",
        "-o",
        path("other.p12"),
        "--password-file",
        path("pw"),
        "--iterations",
        "2048"});
    const auto before = snapshot(store);

    SECTION("key mismatch") {
        check_one_line_error(ct({"import-signed",
                                 "mail",
                                 "--cert",
                                 path("other-signed.pem"),
                                 "--intermediate",
                                 path("inter.pem")}),
                             6,
                             "matches the entry's private key");
    }
    SECTION("wrong password") {
        write_file(dir / "bad", "wrong");
        check_one_line_error(
            ct({"import-pkcs12", "new", path("other.p12"), "--password-file", path("bad")}),
            5,
            "wrong password");
    }
    SECTION("truncated and garbage inputs") {
        const std::string p12 = read_file(dir / "other.p12");
        write_file(dir / "cut.p12", p12.substr(0, p12.size() / 2));
        check_one_line_error(
            ct({"import-pkcs12", "new", path("cut.p12"), "--password-file", path("pw")}),
            4,
            "not a PKCS#12 file");
        write_file(dir / "garbage.pem", "this is not a certificate\n");
        check_one_line_error(ct({"import-signed", "mail", "--cert", path("garbage.pem")}),
                             4,
                             "no certificate found in '" + path("garbage.pem") + "'");
        const std::string pem = read_file(dir / "other-signed.pem");
        write_file(dir / "cut.pem", pem.substr(0, pem.size() - 40));
        CHECK(ct({"import-signed", "mail", "--cert", path("cut.pem")}).exit_code == 4);
    }
    SECTION("existing name without --force") {
        check_one_line_error(
            ct({"create-selfsigned", "mail", "--cn", "x.example.com"}), 8, "use --force");
        check_one_line_error(
            ct({"import-pkcs12", "other", path("other.p12"), "--password-file", path("pw")}),
            8,
            "already exists");
    }
    SECTION("bad arguments") {
        check_one_line_error(
            ct({"create-selfsigned", "n", "--cn", "bad name"}), 2, "not a host name");
        check_one_line_error(
            ct({"create-selfsigned", "n", "--cn", "a.example", "--san", "DNS:f*.example"}),
            2,
            "wildcard");
        check_one_line_error(
            ct({"create-selfsigned", "../n", "--cn", "a.example"}), 2, "not a valid entry name");
        check_one_line_error(
            ct({"create-selfsigned", "n", "--cn", "a.example", "--key-type", "dsa"}),
            2,
            "--key-type");
        check_one_line_error(ct({"show", "nope"}), 7, "no entry 'nope'");
        check_one_line_error(ct({"import-pkcs12", "n", path("other.p12")}), 2, "--password-file");
    }
    SECTION("a store that cannot be written") {
        // Root ignores permission bits, so make the store's entries path unusable instead.
        const std::string blocked = path("blocked");
        write_file(dir / "blocked", "a file where the store directory should be");
        const RunResult r = run_certtool(
            {"create-selfsigned", "n", "--cn", "a.example", "--store", blocked + "/store"});
        check_one_line_error(r, 3, "cannot create directory");
        CHECK(read_file(dir / "blocked") == "a file where the store directory should be");
        if (::geteuid() != 0) {
            std::filesystem::permissions(
                std::filesystem::path{store} / "entries",
                std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
            CHECK(ct({"create-selfsigned", "n", "--cn", "a.example"}).exit_code == 3);
            std::filesystem::permissions(std::filesystem::path{store} / "entries",
                                         std::filesystem::perms::owner_all);
        }
    }
    CHECK(snapshot(store) == before);
}

TEST_CASE_METHOD(CliFixture, "json errors and usage errors follow the contract", "[cli]") {
    const RunResult r = ct({"show", "missing", "--json"});
    CHECK(r.exit_code == 7);
    const json j = json::parse(r.out);
    CHECK(j["error"]["code"] == "not-found");
    CHECK_THAT(j["error"]["message"].get<std::string>(), Catch::Contains("missing"));
    const RunResult u = run_certtool({"create-selfsigned", "--json"});
    CHECK(u.exit_code == 2);
    CHECK(json::parse(u.out)["error"]["code"] == "usage");
    CHECK(run_certtool({"no-such-command"}).exit_code == 2);
    CHECK(run_certtool({}).exit_code == 2);
}

TEST_CASE("every command has --help with examples and exit codes", "[cli]") {
    for (const std::string cmd : {"create-selfsigned",
                                  "export-csr",
                                  "import-signed",
                                  "import-pkcs12",
                                  "export-pkcs12",
                                  "renew",
                                  "list",
                                  "show",
                                  "delete",
                                  "export"}) {
        INFO(cmd);
        const RunResult r = run_certtool({cmd, "--help"});
        CHECK(r.exit_code == 0);
        CHECK_THAT(r.out,
                   Catch::Contains("EXAMPLES") && Catch::Contains("EXIT CODES") &&
                       Catch::Contains("--json"));
    }
    const RunResult v = run_certtool({"--version"});
    CHECK(v.exit_code == 0);
    CHECK_THAT(v.out, Catch::StartsWith("certtool "));
}

TEST_CASE_METHOD(CliFixture,
                 "passwords: file, env, fd, and never a hang without a terminal",
                 "[cli][secret]") {
    ok({"create-selfsigned", "m", "--cn", "m.example.com", "--key-type", "ec-p256"});
    write_file(dir / "pw", "fd-and-file\n");
    ok({"export-pkcs12", "m", "-o", path("a.p12"), "--iterations", "1000", "--password-fd", "3"},
       {{}, std::nullopt, std::nullopt, {{3, "fd-and-file\n"}}});
    ok({"import-pkcs12", "m2", path("a.p12"), "--password-file", path("pw")});
    ok({"import-pkcs12", "m3", path("a.p12"), "--password-env", "PW"}, {{{"PW", "fd-and-file"}}});
    const RunResult none = ct({"export-pkcs12", "m", "-o", path("b.p12")});
    CHECK(none.exit_code == 2);
    CHECK_THAT(none.err, Catch::Contains("stdin is not a terminal"));
    CHECK_FALSE(std::filesystem::exists(dir / "b.p12"));
    const RunResult unset =
        ct({"export-pkcs12", "m", "-o", path("b.p12"), "--password-env", "NOPE_UNSET"});
    CHECK(unset.exit_code == 3);  // the password source cannot be read
    CHECK_THAT(unset.err, Catch::Contains("NOPE_UNSET"));
    CHECK(
        ct({"export-pkcs12", "m", "-o", path("b.p12"), "--password-env", "A", "--password-fd", "3"})
            .exit_code == 2);
    // The secret never appears in output.
    CHECK(none.out.find("fd-and-file") == std::string::npos);
}

TEST_CASE_METHOD(CliFixture,
                 "passwords: prompt on a terminal, twice for export, never echoed",
                 "[cli][secret]") {
    ok({"create-selfsigned", "m", "--cn", "m.example.com", "--key-type", "ec-p256"});
    // script(1) gives certtool a pseudo-terminal; the input arrives after the prompt is up.
    auto on_tty =
        [&](const std::string& command, const std::string& first, const std::string& second) {
            const std::string feed = "sleep 0.5; printf '%s\\n' '" + first +
                                     "'; sleep 0.3; printf '%s\\n' '" + second + "'; sleep 0.5";
            return run({"sh", "-c", "(" + feed + ") | script -qec \"" + command + "\" /dev/null"});
        };
    const std::string base = certtool_path() + " --store " + store + " ";
    const RunResult good =
        on_tty(base + "export-pkcs12 m -o " + path("t.p12") + " --iterations 1000",
               "Zebra-Secret-77",
               "Zebra-Secret-77");
    INFO(good.out << good.err);
    CHECK_THAT(good.out,
               Catch::Contains("PKCS#12 password:") && Catch::Contains("Repeat the password:"));
    CHECK_THAT(good.out, Catch::Contains("wrote 'm'"));
    CHECK(good.out.find("Zebra-Secret-77") == std::string::npos);
    write_file(dir / "pw", "Zebra-Secret-77");
    ok({"import-pkcs12", "back", path("t.p12"), "--password-file", path("pw")});
    const RunResult differ =
        on_tty(base + "export-pkcs12 m -o " + path("u.p12"), "one-password", "another-one");
    CHECK_THAT(differ.out, Catch::Contains("the two passwords differ"));
    CHECK_FALSE(std::filesystem::exists(dir / "u.p12"));
}

TEST_CASE_METHOD(CliFixture,
                 "import-signed names a missing intermediate and drops strangers",
                 "[cli][chain]") {
    make_ca();
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
    ok({"export-csr", "mail", "-o", path("mail.csr")});
    sign_csr(path("mail.csr"), path("signed.pem"));
    self_signed("ec", "x.key", "stranger.pem", "/CN=Stranger");
    const RunResult r = ct({"import-signed",
                            "mail",
                            "--cert",
                            path("signed.pem"),
                            "--intermediate",
                            path("stranger.pem"),
                            "--trust",
                            path("root.pem")});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.err,
               Catch::Contains("certtool: warning: ") &&
                   Catch::Contains("[missing-intermediate]") &&
                   Catch::Contains("CN=CLI Test Issuing CA"));
    CHECK_THAT(r.err,
               Catch::Contains("'CN=Stranger' is not part of this certificate's chain: dropped"));
    const json shown = json::parse(ok({"show", "mail", "--json"}));
    CHECK(shown["chain"].empty());
    CHECK(shown["origin"] == "ca-signed");
    // The intermediate supplied later completes the chain.
    const RunResult fixed = ct({"import-signed",
                                "mail",
                                "--cert",
                                path("signed.pem"),
                                "--intermediate",
                                path("inter.pem"),
                                "--trust",
                                path("root.pem"),
                                "--json"});
    CHECK(fixed.exit_code == 0);
    CHECK(json::parse(fixed.out)["findings"].empty());
}
