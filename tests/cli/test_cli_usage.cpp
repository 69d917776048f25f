// The command line's own contract, through the real binary: unknown options and arguments are
// named first, passwords on the command line are refused without being echoed, and every
// command's --help lists the exit codes it can return, each one reproduced here.
#include "cli_fixture.hpp"
#include "cli_help.hpp"

#include <certtool/acme.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <set>

using namespace certtool::test;
using nlohmann::json;

namespace {

void check_usage_error(const RunResult& r, const std::string& starts, const std::string& command) {
    INFO("stderr: " << r.err << " stdout: " << r.out);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err,
               Catch::StartsWith("certtool: error: " + starts) &&
                   Catch::EndsWith("(see 'certtool " + command + "--help')\n"));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK_THAT(r.err, !Catch::Contains("is required") && !Catch::Contains("not expected"));
}

}  // namespace

TEST_CASE("issue #12.12: an unknown option is reported before anything else, in every command",
          "[cli][usage][sweep]") {
    const auto commands = commands_in_help();
    REQUIRE(commands.size() >= 31);
    for (const auto& cmd : commands) {
        INFO(cmd);
        // Alone, so that required options and arguments are missing too.
        check_usage_error(
            run_certtool({cmd, "--bogus"}), cmd + ": unknown option --bogus", cmd + " ");
        check_usage_error(run_certtool({cmd, "--bogus=1", "--json-x"}),
                          cmd + ": unknown options --bogus=1, --json-x",
                          cmd + " ");
        const RunResult j = run_certtool({cmd, "--bogus", "--json"});
        CHECK(j.exit_code == 2);
        const json e = json::parse(j.out);
        CHECK(e["exit_code"] == 2);
        CHECK(e["error"]["code"] == "usage");
        CHECK_THAT(e["error"]["message"].get<std::string>(),
                   Catch::StartsWith(cmd + ": unknown option --bogus"));
    }
    SECTION("before a missing option, a failed check or a missing file") {
        check_usage_error(run_certtool({"create-selfsigned", "x", "--bogus"}),
                          "create-selfsigned: unknown option --bogus",
                          "create-selfsigned ");
        check_usage_error(run_certtool({"create-selfsigned", "x", "--days", "0", "--bogus"}),
                          "create-selfsigned: unknown option --bogus",
                          "create-selfsigned ");
        check_usage_error(run_certtool({"verify", "--cert", "/nonexistent.pem", "--bogus"}),
                          "verify: unknown option --bogus",
                          "verify ");
        check_usage_error(run_certtool({"import-pkcs12", "n", "/nonexistent.p12", "-z"}),
                          "import-pkcs12: unknown option -z",
                          "import-pkcs12 ");
    }
    SECTION("unexpected arguments, and commands that do not exist") {
        check_usage_error(run_certtool({"create-selfsigned", "x", "y"}),
                          "create-selfsigned: unexpected argument 'y'",
                          "create-selfsigned ");
        check_usage_error(run_certtool({"show", "a", "b", "--bogus"}),
                          "show: unknown option --bogus; unexpected argument 'b'",
                          "show ");
        check_usage_error(
            run_certtool({"list", "x", "y"}), "list: unexpected arguments 'x', 'y'", "list ");
        check_usage_error(
            run_certtool({"no-such-command"}), "unknown command 'no-such-command'", "");
        check_usage_error(run_certtool({"--bogus"}), "unknown option --bogus", "");
        check_usage_error(
            run_certtool({"--bogus", "list"}), "list: unknown option --bogus", "list ");
    }
    SECTION("other usage errors keep their own message") {
        const RunResult r = run_certtool({"create-selfsigned", "x"});
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains("--cn is required"));
    }
}

TEST_CASE_METHOD(CliFixture,
                 "issue #13.7: a password on the command line is refused and never echoed",
                 "[cli][secret][sweep]") {
    const std::string secret = "Zebra-S3cr3t-77";
    ok({"create-selfsigned", "m", "--cn", "m.example.com", "--key-type", "ec-p256"});
    write_file(dir / "pw", "right\n");
    const std::string p12 = path("m.p12");
    ok({"export-pkcs12", "m", "-o", p12, "--password-file", path("pw"), "--iterations", "1000"});
    const auto before = snapshot(store);
    const std::vector<std::vector<std::string>> lines{
        {"import-pkcs12", "mail", p12, "--password", secret},  // the command line
        {"import-pkcs12", "mail", "--password", secret, p12},  // the secret lands on FILE
        {"import-pkcs12", "--password", secret, "mail", p12},
        {"import-pkcs12", "mail", p12, "--password=" + secret},
        {"import-pkcs12", "mail", p12, "--pass", secret},
        {"import-pkcs12", "mail", p12, "--passphrase", secret},
        {"import-pkcs12", "mail", p12, "--passwd", secret},
        {"import-pkcs12", "mail", p12, "--key-password", secret},
        {"import-pkcs12", "mail", p12, "--PIN=" + secret},
        {"import-pkcs12", "mail", p12, "--client-secret", secret},
        {"import-pkcs12", "mail", p12, "-p", secret},
        {"import-pkcs12", "mail", p12, "-p" + secret},
        {"import-pkcs12", "mail", p12, "-P", secret},
        {"import-pkcs12", "mail", p12, "-passin", secret},
        {"import-pkcs12", "mail", p12, "--password", secret, "--bogus", "--force"},
        {"export-pkcs12", "m", "-o", path("x.p12"), "--password", secret},
        {"create-selfsigned", "x", "--password", secret},  // --cn is missing too
        // Parsed without error: --org takes "--password" as its value, the secret is NAME.
        {"create-selfsigned", "--org", "--password", secret, "--cn", "x.example.com"},
        // ... and here the secret is a FILE to read.
        {"mail-log", "--domain", "--pin", secret},
        {"verify", "--password", secret, "--cert", "/nonexistent.pem"},
        {"--password", secret, "list"},
    };
    for (const auto& args : lines) {
        for (const bool as_json : {false, true}) {
            auto with = args;
            if (as_json) {
                with.emplace_back("--json");
            }
            const RunResult r = ct(with);
            INFO("args: " << Catch::Detail::stringify(with) << "\nstdout: " << r.out
                          << "\nstderr: " << r.err);
            CHECK(r.exit_code == 2);
            CHECK(r.out.find(secret) == std::string::npos);
            CHECK(r.err.find(secret) == std::string::npos);
            const std::string message =
                as_json ? json::parse(r.out)["error"]["message"].get<std::string>() : r.err;
            CHECK_THAT(message,
                       Catch::Contains("is not shown") && Catch::Contains("--password-file FILE") &&
                           Catch::Contains("--password-env VAR") &&
                           Catch::Contains("--password-fd N") && Catch::Contains("terminal"));
        }
    }
    CHECK(snapshot(store) == before);
    SECTION("the option is named, its value is not") {
        const RunResult r = ct({"import-pkcs12", "mail", p12, "--password=" + secret});
        CHECK_THAT(r.err,
                   Catch::StartsWith("certtool: error: import-pkcs12 has no option --password "
                                     "(what was given with it is not shown)"));
        const RunResult attached = ct({"import-pkcs12", "mail", p12, "-p" + secret});
        CHECK_THAT(attached.err, Catch::Contains("has no option -p ("));
        const RunResult other = ct({"create-selfsigned", "x", "--password", secret});
        CHECK_THAT(other.err,
                   Catch::Contains("create-selfsigned takes no password") &&
                       Catch::Contains(
                           "import-pkcs12, export-pkcs12, backup, restore read a password from"));
    }
    SECTION("the password sources themselves still work") {
        ok({"import-pkcs12", "mail", p12, "--password-file", path("pw")});
        ok({"import-pkcs12", "mail2", p12, "--password-env", "PW"}, {{{"PW", "right"}}});
    }
}

TEST_CASE("issue #12.16: every command's --help lists its own exit codes", "[cli][usage]") {
    // What each command can return (README "Exit codes" and the command's section); the next
    // test case produces each of them.
    const std::map<std::string, std::set<int>> expected{
        {"create-selfsigned", {0, 2, 3, 8}},
        {"export-csr", {0, 2, 3, 4, 7, 8}},
        {"import-signed", {0, 2, 3, 4, 6, 7}},
        {"import-pkcs12", {0, 2, 3, 4, 5, 6, 8}},
        {"export-pkcs12", {0, 2, 3, 4, 7, 8}},
        {"renew", {0, 2, 3, 4, 7}},
        {"list", {0, 2, 3}},
        {"show", {0, 2, 3, 4, 7}},
        {"delete", {0, 2, 3, 7, 9}},
        {"export", {0, 2, 3, 4, 7, 8}},
        {"mail-log", {0, 1, 2, 3, 4}},
        {"verify", {0, 1, 2, 3, 4, 7}},
        {"check-tls", {0, 1, 2, 3, 4, 7}},
        {"check-expiry", {0, 1, 2, 3, 4, 255}},
        {"fix-chain", {0, 1, 2, 3, 4, 6, 8}},
        {"listener", {0, 2, 3, 4, 7, 8}},
        {"sender-group", {0, 2, 3, 4, 7, 8}},
        {"destination", {0, 2, 3, 4, 7}},
        {"outbound", {0, 2, 3, 4, 7}},
        {"service", {0, 2, 3, 4, 7}},
        {"target", {0, 2, 3, 4, 7}},
        {"cluster", {0, 2, 3, 4}},
        {"changes", {0, 2, 3, 4}},
        {"abandon", {0, 2, 3}},
        {"history", {0, 2, 3, 4}},
        {"config", {0, 2, 3, 4}},
        {"commit", {0, 2, 3, 4, 7}},
        {"rollback", {0, 2, 3, 4, 7}},
        {"policy", {0, 1, 2, 3, 4, 7}},
        {"backup", {0, 2, 3, 4, 8}},
        {"restore", {0, 2, 3, 4, 5, 8}},
        {"ca", {0, 2, 3, 4, 7, 8}},
        {"acme", {0, 2, 3, 4, 7, 8}},
    };
    const auto general = exit_codes_in(help_of({}));
    CHECK(general.size() == 10);  // certtool --help: the general list, 0 to 9
    std::set<std::map<int, std::string>> seen;
    for (const auto& cmd : commands_in_help()) {
        INFO(cmd);
        const auto listed = exit_codes_in(help_of({cmd}));
        std::set<int> codes;
        for (const auto& [code, meaning] : listed) {
            codes.insert(code);
            CHECK_FALSE(meaning.empty());
        }
        REQUIRE(expected.contains(cmd));
        CHECK(codes == expected.at(cmd));
        CHECK(listed != general);
        CHECK(seen.insert(listed).second);  // no two commands share a list
        // 1 is the answer "no" of a check: only commands that check something return it.
        CHECK(codes.contains(1) ==
              (cmd == "verify" || cmd == "check-tls" || cmd == "fix-chain" || cmd == "mail-log" ||
               cmd == "policy" ||  // policy explain --probe
               cmd == "check-expiry"));
    }
}

// Each code a command's --help lists, produced through the binary (check-tls's 0 needs a TLS
// peer: the check_tls tests produce it against Postfix).
TEST_CASE_METHOD(CliFixture,
                 "issue #12.16: each exit code a command's --help lists is one it returns",
                 "[cli][usage][sweep]") {
    make_ca();
    write_file(dir / "pw", "right\n");
    write_file(dir / "bad-pw", "wrong\n");
    write_file(dir / "garbage.pem", "this is not a certificate\n");
    write_file(dir / "exists", "already here\n");
    write_file(dir / "blocked", "a file where a store directory should be\n");
    const std::string blocked = path("blocked") + "/store";
    const std::string missing_dir = path("no-such-dir") + "/out";
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
    ok({"create-selfsigned", "ss", "--cn", "ss.example.com", "--key-type", "ec-p256"});
    ok({"create-selfsigned", "gone", "--cn", "gone.example.com", "--key-type", "ec-p256"});
    ok({"export-csr", "mail", "-o", path("mail.csr")});
    sign_csr(path("mail.csr"), path("signed.pem"));
    ok({"export-pkcs12",
        "ss",
        "-o",
        path("ss.p12"),
        "--password-file",
        path("pw"),
        "--iterations",
        "1000"});
    const std::string p12 = read_file(dir / "ss.p12");
    write_file(dir / "cut.p12", p12.substr(0, p12.size() / 2));
    openssl({"pkcs12",
             "-export",
             "-nokeys",
             "-in",
             path("signed.pem"),
             "-out",
             path("nokey.p12"),
             "-passout",
             "file:" + path("pw")});
    self_signed("ec", "stranger.key", "stranger.pem", "/CN=Stranger");
    // A store with a damaged entry, and one whose entry cannot be read (a directory).
    const std::string damaged = path("damaged");
    const std::string broken = path("broken");
    std::filesystem::create_directories(dir / "damaged" / "entries");
    write_file(dir / "damaged" / "entries" / "bad.json", "{ not json");
    std::filesystem::create_directories(dir / "broken" / "entries" / "dir.json");
    write_file(dir / "broken" / "entries" / "dir.json" / "inside", "x");
    // A store path that is a file: the store cannot be read (a directory where an entry should
    // be is a damaged entry, marked by list and 4 for show).
    const std::string not_a_store = path("not-a-store");
    write_file(dir / "not-a-store", "x");
    // Stores whose configuration is damaged: staged changes, a revision.
    const std::string bad_config = path("bad-config");
    std::filesystem::create_directories(dir / "bad-config" / "config");
    write_file(dir / "bad-config" / "config" / "staged.json", "{ not json");
    const std::string bad_revision = path("bad-revision");
    std::filesystem::create_directories(dir / "bad-revision" / "config" / "revisions");
    write_file(dir / "bad-revision" / "config" / "revisions" / "000001.json", "x");
    // A store whose staged configuration binds an entry that is gone.
    const std::string lost_entry = path("lost-entry");
    const std::string cluster_store = path("cluster");
    const std::string targets = path("targets");  // commits there would apply to Postfix
    std::filesystem::create_directories(dir / "postfix dir");
    write_file(dir / "postfix dir" / "main.cf", "");
    write_file(dir / "postfix dir" / "master.cf", "");
    std::filesystem::create_directories(dir / "postfix");
    write_file(dir / "postfix" / "main.cf", "");
    write_file(dir / "postfix" / "master.cf", "");

    struct Case {
        std::vector<std::string> args;
        std::string store;  // empty: the fixture's store
    };

    // In order: later cases rely on what earlier ones did (mail becomes CA-signed).
    const std::vector<std::pair<int, Case>> cases{
        {0, {{"create-selfsigned", "n1", "--cn", "n1.example.com", "--key-type", "ec-p256"}}},
        {3, {{"create-selfsigned", "n2", "--cn", "n2.example.com"}, blocked}},
        {8, {{"create-selfsigned", "mail", "--cn", "mail.example.com"}}},
        {0, {{"export-csr", "mail"}}},
        {3, {{"export-csr", "mail", "-o", missing_dir}}},
        {4, {{"export-csr", "bad"}, damaged}},
        {7, {{"export-csr", "nope"}}},
        {8, {{"export-csr", "mail", "-o", path("exists")}}},
        {3, {{"import-signed", "mail", "--cert", path("signed.pem")}, blocked}},
        {4, {{"import-signed", "mail", "--cert", path("garbage.pem")}}},
        {6, {{"import-signed", "ss", "--cert", path("signed.pem")}}},
        {7, {{"import-signed", "nope", "--cert", path("signed.pem")}}},
        {0,
         {{"import-signed",
           "mail",
           "--cert",
           path("signed.pem"),
           "--intermediate",
           path("inter.pem"),
           "--trust",
           path("root.pem")}}},
        {0, {{"import-pkcs12", "p1", path("ss.p12"), "--password-file", path("pw")}}},
        {3, {{"import-pkcs12", "p2", path("ss.p12"), "--password-file", path("pw")}, blocked}},
        {4, {{"import-pkcs12", "p3", path("cut.p12"), "--password-file", path("pw")}}},
        {5, {{"import-pkcs12", "p4", path("ss.p12"), "--password-file", path("bad-pw")}}},
        {6, {{"import-pkcs12", "p5", path("nokey.p12"), "--password-file", path("pw")}}},
        {8, {{"import-pkcs12", "mail", path("ss.p12"), "--password-file", path("pw")}}},
        {0,
         {{"export-pkcs12",
           "mail",
           "-o",
           path("mail.p12"),
           "--password-file",
           path("pw"),
           "--iterations",
           "1000"}}},
        {3, {{"export-pkcs12", "mail", "-o", missing_dir, "--password-file", path("pw")}}},
        {4,
         {{"export-pkcs12", "bad", "-o", path("b.p12"), "--password-file", path("pw")}, damaged}},
        {7, {{"export-pkcs12", "nope", "-o", path("n.p12"), "--password-file", path("pw")}}},
        {8, {{"export-pkcs12", "mail", "-o", path("exists"), "--password-file", path("pw")}}},
        {0, {{"renew", "ss"}}},
        {3, {{"renew", "mail"}}},  // CA-signed: a CA renews it
        {4, {{"renew", "bad"}, damaged}},
        {7, {{"renew", "nope"}}},
        {0, {{"list"}}},
        {3, {{"list"}, not_a_store}},
        {0, {{"show", "mail"}}},
        {3, {{"show", "dir"}, not_a_store}},
        {4, {{"show", "bad"}, damaged}},
        {7, {{"show", "nope"}}},
        {0, {{"delete", "gone"}}},
        {3, {{"delete", "dir"}, broken}},
        {7, {{"delete", "nope"}}},
        {0, {{"export", "mail", "--cert-out", path("cert.pem")}}},
        {3, {{"export", "mail", "--cert-out", missing_dir}}},
        {4, {{"export", "bad", "--cert-out", path("bad.pem")}, damaged}},
        {7, {{"export", "nope", "--cert-out", path("nope.pem")}}},
        {8, {{"export", "mail", "--cert-out", path("exists")}}},
        {0, {{"mail-log", CERTTOOL_SOURCE_DIR "/tests/data/esa-issue-example.log"}}},
        {1,
         {{"mail-log",
           "--fail-on-tls-failure",
           CERTTOOL_SOURCE_DIR "/tests/data/esa-issue-example.log"}}},
        {3, {{"mail-log", path("no-such.log")}}},
        {4, {{"mail-log", path("garbage.pem")}}},
        {0,
         {{"verify",
           "--cert",
           path("signed.pem"),
           "--chain",
           path("inter.pem"),
           "--trust",
           path("root.pem")}}},
        {1, {{"verify", "--cert", path("signed.pem"), "--trust", path("root.pem")}}},
        {3, {{"verify", "--batch", path("no-such-dir"), "--trust", path("root.pem")}}},
        {4, {{"verify", "--cert", path("garbage.pem")}}},
        {7, {{"verify", "nope"}}},
        {1, {{"check-tls", "127.0.0.1:1", "--timeout", "2"}}},  // refused: an answer
        {3,
         {{"check-tls",
           "--mx",
           "example.invalid",
           "--dns-server",
           "127.0.0.1:1",
           "--timeout",
           "0.5"}}},
        {4, {{"check-tls", "127.0.0.1:1", "--trust", path("garbage.pem")}}},
        {7, {{"check-tls", "127.0.0.1:1", "--expect", "nope"}}},
        {0,
         {{"fix-chain",
           "--cert",
           path("signed.pem"),
           "--bundle",
           path("inter.pem"),
           "--trust",
           path("root.pem")}}},
        {1, {{"fix-chain", "--cert", path("signed.pem"), "--trust", path("root.pem")}}},
        {3, {{"fix-chain", "--cert", path("no-such.pem")}}},
        {4, {{"fix-chain", "--cert", path("garbage.pem")}}},
        {6, {{"fix-chain", "--cert", path("signed.pem"), "--key", path("stranger.key")}}},
        {8,
         {{"fix-chain",
           "--cert",
           path("signed.pem"),
           "--bundle",
           path("inter.pem"),
           "--trust",
           path("root.pem"),
           "-o",
           path("exists")}}},
    };
    const std::vector<std::pair<int, Case>> config_cases{
        {0, {{"listener", "add", "L1", "--address", "127.0.0.1:2600"}}},
        {2, {{"listener", "add", "L2", "--address", "127.0.0.1"}}},
        {3, {{"listener", "add", "L2", "--address", "127.0.0.1:2601"}, blocked}},
        {4, {{"listener", "add", "L2", "--address", "127.0.0.1:2601"}, bad_config}},
        {7, {{"listener", "set", "nope", "--tls", "off"}}},
        {8, {{"listener", "add", "L1", "--address", "127.0.0.1:2602"}}},
        {0, {{"sender-group", "add", "L1", "G", "--member", "127.0.0.2", "--tls", "required"}}},
        {2, {{"sender-group", "add", "L1", "H", "--member", "300.0.0.1", "--tls", "off"}}},
        {3, {{"sender-group", "delete", "L1", "G"}, blocked}},
        {4, {{"sender-group", "delete", "L1", "G"}, bad_config}},
        {7, {{"sender-group", "delete", "L1", "NOPE"}}},
        {8, {{"sender-group", "add", "L1", "G", "--member", "127.0.0.3", "--tls", "off"}}},
        {0, {{"destination", "set", "example.com", "--tls", "required"}}},
        {2, {{"destination", "set", "example.com", "--tls", "mandatory"}}},
        {3, {{"destination", "default", "--tls", "none"}, blocked}},
        {4, {{"destination", "default", "--tls", "none"}, bad_config}},
        {7, {{"destination", "delete", "nowhere.example"}}},
        {0, {{"outbound", "set", "--certificate", "mail"}}},
        {2, {{"outbound", "set"}}},
        {3, {{"outbound", "set", "--alert-on-required-failure", "on"}, blocked}},
        {4, {{"outbound", "set", "--alert-on-required-failure", "on"}, bad_config}},
        {7, {{"outbound", "set", "--certificate", "nope"}}},
        {9, {{"delete", "mail"}}},  // bound by outbound
        {0, {{"service", "set", "ldap", "--certificate", "mail"}}},
        {2, {{"service", "set", "smtp", "--certificate", "mail"}}},
        {3, {{"service", "set", "ldap", "--certificate", "mail"}, blocked}},
        {4, {{"service", "set", "ldap", "--certificate", "mail"}, bad_config}},
        {7, {{"service", "set", "dlp", "--certificate", "nope"}}},
        {0, {{"target", "postfix", "--config-dir", path("postfix")}, targets}},
        {2, {{"target", "postfix", "--config-dir", path("postfix dir")}, targets}},
        {3,
         {{"target", "postfix", "--config-dir", path("postfix"), "--trust", path("no-such.pem")},
          targets}},
        {4, {{"target", "postfix", "--config-dir", path("postfix")}, bad_config}},
        {7, {{"target", "delete", "nginx"}, targets}},
        {0, {{"changes"}}},
        {3, {{"changes"}, blocked}},
        {4, {{"changes"}, bad_config}},
        {0, {{"config", "show", "--effective"}}},
        {2, {{"config", "show", "--machine", "bad name"}}},
        {3, {{"config", "show"}, blocked}},
        {4, {{"config", "show"}, bad_config}},
        {0, {{"commit", "--comment", "one"}}},
        {2, {{"commit"}}},  // nothing staged
        {3, {{"commit"}, blocked}},
        {4, {{"commit"}, bad_config}},
        {0, {{"history"}}},
        {3, {{"history"}, blocked}},
        {4, {{"history"}, bad_revision}},
        {0, {{"destination", "set", "staged.example", "--tls", "required"}}},
        {2, {{"rollback", "1"}}},  // changes are staged
        {0, {{"abandon"}}},
        {0, {{"rollback", "1", "--comment", "again"}}},
        {3, {{"rollback", "1"}, blocked}},
        {4, {{"rollback", "1"}, bad_revision}},
        {7, {{"rollback", "99"}}},
        {3, {{"abandon"}, blocked}},
        {0, {{"cluster", "leave", "--force"}, cluster_store}},
        {2, {{"cluster", "leave"}}},
        {3, {{"cluster", "leave", "--force"}, blocked}},
        {4, {{"cluster", "leave", "--force"}, bad_config}},
        {0, {{"policy", "explain", "--domain", "example.com"}}},
        {2, {{"policy", "explain", "--domain", ".example.com"}}},
        {3, {{"policy", "explain", "--domain", "example.com"}, blocked}},
        {4, {{"policy", "explain", "--domain", "example.com"}, bad_config}},
        {7, {{"policy", "explain", "--listener", "nope", "--client", "192.0.2.1"}}},
    };
    std::map<std::string, std::set<int>> produced;
    // commit's 7: the staged configuration binds an entry that is gone.
    REQUIRE(run_certtool(
                {"create-selfsigned", "lost", "--cn", "lost.example.com", "--store", lost_entry})
                .exit_code == 0);
    REQUIRE(run_certtool({"outbound", "set", "--certificate", "lost", "--store", lost_entry})
                .exit_code == 0);
    std::filesystem::remove(std::filesystem::path{lost_entry} / "entries" / "lost.json");
    {
        const RunResult r = run_certtool({"commit", "--store", lost_entry});
        INFO(r.err);
        CHECK(r.exit_code == 7);
        CHECK(r.err.find("does not have: lost") != std::string::npos);
        produced["commit"].insert(r.exit_code);
    }
    // backup and restore, last: the store then has entries and a configuration.
    const std::string backup_file = path("store.backup");
    const std::vector<std::pair<int, Case>> backup_cases{
        {0, {{"backup", "-o", backup_file, "--password-file", path("pw")}}},
        {3, {{"backup", "-o", missing_dir, "--password-file", path("pw")}}},
        {4, {{"backup", "-o", path("damaged.backup"), "--password-file", path("pw")}, damaged}},
        {8, {{"backup", "-o", path("exists"), "--password-file", path("pw")}}},
        {0, {{"restore", backup_file, "--password-file", path("pw")}, path("restored")}},
        {3, {{"restore", path("no-such.backup"), "--password-file", path("pw")}}},
        {4, {{"restore", path("garbage.pem"), "--password-file", path("pw")}}},
        {5, {{"restore", backup_file, "--password-file", path("bad-pw")}, path("restored2")}},
        {8, {{"restore", backup_file, "--password-file", path("pw")}}},
    };
    // ca: the trust lists (issue #15). The CA lists of `damaged_ca` do not parse.
    const std::string damaged_ca = path("damaged-ca");
    std::filesystem::create_directories(dir / "damaged-ca" / "ca");
    write_file(dir / "damaged-ca" / "ca" / "lists.json", "{ not json");
    const std::vector<std::pair<int, Case>> ca_cases{
        {0, {{"ca", "import", path("root.pem")}}},
        {2, {{"ca", "import", path("signed.pem")}}},  // not-a-ca
        {3, {{"ca", "import", path("no-such.pem")}}},
        {4, {{"ca", "import", path("garbage.pem")}}},
        {4, {{"ca", "list"}, damaged_ca}},
        {7, {{"ca", "delete", "nope"}}},
        {8, {{"ca", "import", path("root.pem")}}},  // ca-duplicate
        {8, {{"ca", "export", "-o", path("exists")}}},
    };
    // check-expiry (issue #16): a store whose one entry is fresh; --needs-renewal's 255 is a
    // store it cannot read.
    const std::string fresh = path("fresh");
    REQUIRE(run_certtool({"create-selfsigned", "m", "--cn", "m.example.com", "--store", fresh})
                .exit_code == 0);
    const std::vector<std::pair<int, Case>> expiry_cases{
        {0, {{"check-expiry"}, fresh}},
        {1, {{"check-expiry", "--at", "2200-01-01"}, fresh}},
        {3, {{"check-expiry"}, not_a_store}},
        {4, {{"check-expiry"}, bad_revision}},
        {255, {{"check-expiry", "--needs-renewal"}, not_a_store}},
    };
    // acme (issue #17): an ACME server that cannot be reached, an account file that is damaged.
    const std::string unreachable = "https://127.0.0.1:1/dir";
    const std::string damaged_acme = path("damaged-acme");
    const auto account_file =
        certtool::acme_account_file(certtool::Store{damaged_acme}, unreachable);
    std::filesystem::create_directories(account_file.parent_path());
    write_file(account_file, "{ not json");
    std::filesystem::create_directories(std::filesystem::path{damaged_acme} / "acme" / "entries");
    write_file((std::filesystem::path{damaged_acme} / "acme" / "entries" / "old.json").string(),
               "{ not json");
    const std::vector<std::pair<int, Case>> acme_cases{
        {2, {{"acme", "account", "register", "--server", unreachable}}},  // no --agree-tos
        {2, {{"acme", "account", "show", "--server", "http://127.0.0.1:1/dir"}}},
        {3, {{"acme", "account", "register", "--server", unreachable, "--agree-tos"}}},
        {4, {{"acme", "account", "show", "--server", unreachable}, damaged_acme}},
        {7, {{"acme", "account", "show", "--server", unreachable}}},
        {7, {{"acme", "account", "deactivate", "--server", "letsencrypt"}}},  // not contacted
        {7,
         {{"acme",
           "issue",
           "new",
           "--server",
           unreachable,
           "--cn",
           "new.example.com",
           "--challenge",
           "http-01"}}},
        {2,
         {{"acme",
           "issue",
           "new",
           "--server",
           unreachable,
           "--cn",
           "new.example.com",
           "--san",
           "IP:192.0.2.1",
           "--challenge",
           "http-01"}}},
        {8,
         {{"acme",
           "issue",
           "mail",
           "--server",
           unreachable,
           "--cn",
           "mail.example.com",
           "--challenge",
           "http-01"}}},
        {7, {{"acme", "renew", "mail"}}},  // not issued through ACME
        {7, {{"acme", "renew", "nosuch"}}},
        {2, {{"acme", "renew", "mail", "--all"}}},
        {2, {{"acme", "renew", "--all", "--challenge", "dns-01"}}},  // --all takes no overrides
        {4, {{"acme", "renew", "--all"}, damaged_acme}},
        {7, {{"acme", "revoke", "mail"}}},  // no server known
        {2, {{"acme", "revoke", "mail", "--reason", "boredom"}}},
    };
    std::vector<std::pair<int, Case>> all = cases;
    all.insert(all.end(), acme_cases.begin(), acme_cases.end());
    all.insert(all.end(), expiry_cases.begin(), expiry_cases.end());
    all.insert(all.end(), ca_cases.begin(), ca_cases.end());
    all.insert(all.end(), config_cases.begin(), config_cases.end());
    all.insert(all.end(), backup_cases.begin(), backup_cases.end());
    for (const auto& [code, c] : all) {
        std::vector<std::string> args = c.args;
        args.insert(args.end(), {"--store", c.store.empty() ? store : c.store});
        const RunResult r = run_certtool(args);
        INFO("args: " << Catch::Detail::stringify(args) << "\nstderr: " << r.err);
        CHECK(r.exit_code == code);
        produced[c.args.front()].insert(r.exit_code);
    }
    for (const auto& cmd : commands_in_help()) {
        INFO(cmd);
        produced[cmd].insert(2);  // the test case above: --bogus in every command
        if (cmd == "check-tls") {
            produced[cmd].insert(0);  // against Postfix: tests/checktls
        }
        if (cmd == "policy") {
            produced[cmd].insert(1);  // --probe against Postfix: tests/checktls/test_policy_probe
        }
        if (cmd == "acme") {
            produced[cmd].insert(0);  // against pebble: tests/acme/
        }
        std::set<int> listed;
        for (const auto& [code, meaning] : exit_codes_in(help_of({cmd}))) {
            listed.insert(code);
        }
        CHECK(produced[cmd] == listed);
    }
}
