// Commands run in-process through cli::run (the library behind the binary): the contract of
// options, help, JSON and exit codes, without a process per case. Exit codes as the process
// sees them, signals and file modes stay with the real-binary tests beside this file.
#include "cli.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

using certtool::test::TempDir;
using nlohmann::json;

namespace {

struct InProcess {
    int exit_code{-1};
    std::string out;
    std::string err;
};

InProcess run(std::vector<std::string> args) {
    args.insert(args.begin(), "certtool");
    std::vector<const char*> argv;
    argv.reserve(args.size() + 1);
    for (const auto& a : args) {
        argv.push_back(a.c_str());
    }
    argv.push_back(nullptr);
    std::ostringstream out;
    std::ostringstream err;
    const int code = certtool::cli::run(static_cast<int>(args.size()), argv.data(), out, err);
    return {code, out.str(), err.str()};
}

}  // namespace

TEST_CASE("in-process: every subcommand's --help has examples, exit codes and --json", "[cli]") {
    for (const std::string cmd : {"create-selfsigned",
                                  "export-csr",
                                  "import-signed",
                                  "import-pkcs12",
                                  "export-pkcs12",
                                  "renew",
                                  "list",
                                  "show",
                                  "delete",
                                  "export",
                                  "mail-log",
                                  "verify",
                                  "fix-chain",
                                  "check-tls"}) {
        INFO(cmd);
        const InProcess r = run({cmd, "--help"});
        CHECK(r.exit_code == 0);
        CHECK_THAT(r.out,
                   Catch::Contains("EXAMPLES") && Catch::Contains("EXIT CODES") &&
                       Catch::Contains("--json"));
    }
}

TEST_CASE("in-process: usage errors exit 2, never CLI11's own codes", "[cli]") {
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {},
             {"no-such-command"},
             {"create-selfsigned"},
             {"list", "--no-such-option"},
             {"verify", "--profile", "strictest"},
             {"check-tls", "mx.example.com", "--policy", "sometimes"},
             {"mail-log", "--top", "x"}}) {
        const InProcess r = run(args);
        INFO(r.err);
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::StartsWith("certtool: error: "));
    }
    const InProcess j = run({"create-selfsigned", "--json"});
    CHECK(j.exit_code == 2);
    CHECK(json::parse(j.out)["error"]["code"] == "usage");
}

TEST_CASE("in-process: create, list, show, export-csr and delete on one store", "[cli][store]") {
    const TempDir dir;
    const std::string store = (dir / "store").string();
    REQUIRE(run({"create-selfsigned",
                 "mail",
                 "--cn",
                 "mail.example.com",
                 "--key-type",
                 "ec-p256",
                 "--store",
                 store})
                .exit_code == 0);
    const InProcess list = run({"list", "--json", "--store", store});
    REQUIRE(list.exit_code == 0);
    const json entries = json::parse(list.out)["entries"];
    REQUIRE(entries.size() == 1);
    CHECK(entries[0]["name"] == "mail");
    const InProcess show = run({"show", "mail", "--json", "--store", store});
    REQUIRE(show.exit_code == 0);
    CHECK_THAT(json::parse(show.out).dump(), Catch::Contains("mail.example.com"));
    const InProcess csr = run({"export-csr", "mail", "--store", store});
    CHECK(csr.exit_code == 0);
    CHECK_THAT(csr.out, Catch::StartsWith("-----BEGIN CERTIFICATE REQUEST-----"));
    CHECK(run({"create-selfsigned", "mail", "--cn", "x.example.com", "--store", store}).exit_code ==
          8);
    CHECK(run({"delete", "mail", "--store", store}).exit_code == 0);
    CHECK(run({"show", "mail", "--store", store}).exit_code == 7);
}
