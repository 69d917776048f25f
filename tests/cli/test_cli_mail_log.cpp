// certtool mail-log through the real binary: files, .gz, stdin, filters, exit codes, JSON.
#include "cli_fixture.hpp"
#include "log_generator.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <sstream>

using namespace certtool::test;
using nlohmann::json;

namespace {

const std::string k_example =
    std::string{CERTTOOL_SOURCE_DIR} + "/tests/data/esa-issue-example.log";

}  // namespace

TEST_CASE_METHOD(CliFixture,
                 "mail-log: plain, gzip and stdin give the same report",
                 "[cli][maillog]") {
    std::string text;
    const auto truth = generate_esa_log({7, 2000, 100, true}, [&](const std::string& l) {
        text += l;
        text += '\n';
    });
    write_file(dir / "mail_logs.current", text);
    REQUIRE(run({"gzip", "-k", path("mail_logs.current")}).exit_code == 0);
    const json plain = json::parse(ok({"mail-log", "--json", path("mail_logs.current")}));
    const json gz = json::parse(ok({"mail-log", "--json", path("mail_logs.current.gz")}));
    const json in = json::parse(ok({"mail-log", "--json", "-"}, {{}, std::string{}}));
    CHECK(plain["inbound"]["connections"] == truth.inbound.connections);
    CHECK(plain["outbound"]["tls_failed"] == truth.outbound.tls_failed);
    CHECK(plain["outbound"]["messages_without_tls"] == truth.outbound.messages_without_tls);
    CHECK(plain["malformed_lines"] == truth.malformed);
    CHECK(gz == plain);
    CHECK(in["lines"] == 0);
}

TEST_CASE_METHOD(CliFixture,
                 "mail-log: exit codes, filters and malformed lines",
                 "[cli][maillog]") {
    const std::string text = read_file(k_example);
    CHECK(ct({"mail-log", k_example}).exit_code == 0);
    const RunResult failing = ct({"mail-log", "--fail-on-tls-failure", k_example});
    CHECK(failing.exit_code == 1);
    CHECK_THAT(failing.out, Catch::Contains("STARTTLS unexpected response"));
    // Only the 16 April lines: the failed inbound and the failed outbound connection.
    const json window = json::parse(ok({"mail-log",
                                        "--json",
                                        "--since",
                                        "2018-04-16T00:00:00Z",
                                        "--until",
                                        "2018-04-17T00:00:00Z",
                                        k_example}));
    CHECK(window["inbound"]["connections"] == 1);
    CHECK(window["inbound"]["tls_failed"] == 1);
    CHECK(window["outbound"]["connections"] == 1);
    const json dom = json::parse(ok({"mail-log", "--json", "--domain", "domain", k_example}));
    CHECK(dom["outbound"]["connections"] == 1);
    CHECK(dom["outbound"]["tls_failed"] == 1);
    write_file(dir / "bad.log", text + "Tue Apr 17 00:5\n" + text);
    const RunResult verbose = ct({"mail-log", "--verbose", path("bad.log")});
    CHECK(verbose.exit_code == 0);
    CHECK_THAT(verbose.out, Catch::Contains("malformed line 14: Tue Apr 17 00:5"));
    write_file(dir / "other.txt", "hello\nworld\n");
    const RunResult unknown = ct({"mail-log", path("other.txt")});
    CHECK(unknown.exit_code == 4);
    CHECK_THAT(unknown.err, Catch::Contains("--format"));
    const RunResult missing = ct({"mail-log", path("missing.log")});
    CHECK(missing.exit_code == 3);
    CHECK_THAT(missing.err, Catch::Contains("cannot read log '" + path("missing.log") + "'"));
}

namespace {

// certtool mail-log ARGS in a shell, under an address-space limit (prlimit) and a time limit.
// A sanitizer build reserves terabytes of address space for its shadow memory, so there the
// limit cannot apply: the plain build proves the bound, the sanitized one the same results.
RunResult bounded_mail_log(const std::string& shell_input, const std::string& args) {
#ifdef CERTTOOL_SANITIZED
    const std::string limit;
#else
    const std::string limit = " prlimit --as=" + std::to_string(128U << 20U);  // 128 MiB
#endif
    return run({"sh",
                "-c",
                shell_input + " | timeout 120" + limit + " " + certtool_path() +
                    " mail-log --json " + args});
}

}  // namespace

TEST_CASE_METHOD(CliFixture,
                 "issue: mail-log memory is bounded on a line that never ends",
                 "[cli][maillog]") {
    SECTION("256 MiB of zeros on a pipe") {
        const RunResult r = bounded_mail_log("head -c 268435456 /dev/zero", "--format esa -");
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        const json j = json::parse(r.out);
        CHECK(j["over_long_lines"] == 1);
        CHECK(j["lines"] == 1);
        CHECK_THAT(j["warnings"][0].get<std::string>(),
                   Catch::Contains("1 line(s) longer than 65536 bytes were skipped"));
    }
    SECTION("a gzip of 256 MiB of zeros, then a real log") {
        REQUIRE(run({"sh",
                     "-c",
                     "head -c 268435456 /dev/zero | gzip -1 > " + path("zeros.gz") +
                         " && (echo;"
                         " cat " +
                         k_example + ") | gzip -1 >> " + path("zeros.gz")})
                    .exit_code == 0);
        const RunResult r = bounded_mail_log("true", "--format esa " + path("zeros.gz"));
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        const json j = json::parse(r.out);
        CHECK(j["over_long_lines"] == 1);
        CHECK(j["lines"] == 14);  // the zeros (ended by the echo), then the example's 13
        CHECK(j["inbound"]["connections"] == 2);
    }
    SECTION("an ordinary log in the same bound") {
        std::string text;
        const auto truth = generate_esa_log({3, 20000, 200, true}, [&](const std::string& l) {
            text += l;
            text += '\n';
        });
        write_file(dir / "big.log", text);
        const RunResult r = bounded_mail_log("true", path("big.log"));
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        const json j = json::parse(r.out);
        CHECK(j["over_long_lines"] == 0);
        CHECK(j["inbound"]["connections"] == truth.inbound.connections);
    }
}

TEST_CASE_METHOD(CliFixture,
                 "issue: gzip on a pipe is decompressed like a gzip file",
                 "[cli][maillog]") {
    write_file(dir / "a.log", read_file(k_example));
    REQUIRE(run({"gzip", "-k", path("a.log")}).exit_code == 0);
    // Two members (a concatenation of rotated files) read as one log.
    write_file(dir / "twice.gz", read_file(path("a.log.gz")) + read_file(path("a.log.gz")));
    const json plain = json::parse(ok({"mail-log", "--json", path("a.log")}));
    const json piped =
        json::parse(ok({"mail-log", "--json", "-"}, {{}, read_file(path("a.log.gz"))}));
    CHECK(piped == plain);
    const json twice =
        json::parse(ok({"mail-log", "--json", "-"}, {{}, read_file(path("twice.gz"))}));
    CHECK(twice["lines"] == 2 * plain["lines"].get<int>());
    CHECK(twice["inbound"]["connections"] == 2 * plain["inbound"]["connections"].get<int>());
}

TEST_CASE_METHOD(CliFixture,
                 "issue: a damaged .gz is reported, not read silently",
                 "[cli][maillog]") {
    write_file(dir / "a.log", read_file(k_example));
    REQUIRE(run({"gzip", "-k", "-n", path("a.log")}).exit_code == 0);
    const std::string gz = read_file(path("a.log.gz"));
    SECTION("a truncated last member (a log still being written): a warning, exit 0") {
        write_file(dir / "cut.gz", gz.substr(0, 300));
        const RunResult r = ct({"mail-log", path("cut.gz")});
        CHECK(r.exit_code == 0);
        CHECK_THAT(r.err,
                   Catch::Contains("certtool: warning: '" + path("cut.gz") +
                                   "' ends inside gzip member 1 at compressed byte 300"));
        CHECK_THAT(r.err, Catch::Contains("lines ("));
        CHECK_THAT(r.out, Catch::Contains("lines read"));
    }
    SECTION("trailing garbage, a bad CRC, a bad header: the report so far, then exit 4") {
        std::string bad_crc = gz;
        bad_crc[gz.size() - 6] = static_cast<char>(bad_crc[gz.size() - 6] ^ 0x55);
        std::string bad_header = gz;
        bad_header[2] = 7;  // compression method: only 8 (deflate) exists
        for (const auto& [name, content, problem] :
             {std::tuple{
                  "garbage.gz", gz + "garbage\n", "has bytes that are not gzip after member 1"},
              std::tuple{"crc.gz", bad_crc, "is a damaged gzip file: incorrect data check"},
              std::tuple{"header.gz", bad_header, "is a damaged gzip file: unknown compression"}}) {
            INFO(name);
            write_file(dir / name, content);
            const RunResult r = ct({"mail-log", path(name)});
            CHECK(r.exit_code == 4);
            CHECK_THAT(r.err,
                       Catch::StartsWith("certtool: error: '" + path(name) + "' " + problem));
            CHECK_THAT(r.err, Catch::Contains("restore the file from a backup or leave it out"));
            CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
            CHECK_THAT(r.out, Catch::Contains("lines read"));
        }
    }
    SECTION("--json: the report with damaged_inputs and the error, exit 4") {
        write_file(dir / "garbage.gz", gz + "garbage\n");
        const RunResult r = ct({"mail-log", "--json", path("a.log"), path("garbage.gz")});
        CHECK(r.exit_code == 4);
        const json j = json::parse(r.out);
        CHECK(j["lines"] == 26);  // both files were read
        CHECK(j["damaged_inputs"][0]["kind"] == "trailing_garbage");
        CHECK(j["damaged_inputs"][0]["lines_read"] == 13);
        CHECK(j["error"]["code"] == "parse");
        CHECK(j["exit_code"] == 4);
    }
}

TEST_CASE_METHOD(CliFixture, "issue: mail-log --top 0 shows every row", "[cli][maillog]") {
    const RunResult all = ct({"mail-log", "--top", "0", k_example});
    CHECK(all.exit_code == 0);
    CHECK_THAT(all.out, Catch::Contains("STARTTLS unexpected response"));
    const json j = json::parse(ok({"mail-log", "--json", "--top", "0", k_example}));
    CHECK(j["outbound"]["protocols"].size() == 1);
    const RunResult bad = ct({"mail-log", "--top", "-1", k_example});
    CHECK(bad.exit_code == 2);
    CHECK_THAT(bad.err,
               Catch::Contains("--top: '-1' is not a number of rows: give 0 (all) or more"));
    CHECK_THAT(bad.err, !Catch::Contains("1797"));
}

TEST_CASE_METHOD(CliFixture,
                 "issue: mail-log warns when no line matched the forced format",
                 "[cli][maillog]") {
    const RunResult wrong = ct({"mail-log", "--format", "postfix", k_example});
    CHECK(wrong.exit_code == 0);
    CHECK_THAT(wrong.err,
               Catch::Contains("certtool: warning: no line of '" + k_example +
                               "' is a Postfix log line: the report is empty for it; drop "
                               "--format to detect the format"));
    const RunResult right = ct({"mail-log", "--format", "esa", k_example});
    CHECK(right.exit_code == 0);
    CHECK(right.err.empty());
}

TEST_CASE_METHOD(CliFixture,
                 "issue: the whole list of messages without TLS on request",
                 "[cli][maillog]") {
    std::string text;
    const auto truth = generate_esa_log({5, 3000, 100, true}, [&](const std::string& l) {
        text += l;
        text += '\n';
    });
    REQUIRE(truth.outbound.messages_without_tls > 50);
    write_file(dir / "m.log", text);
    const json j = json::parse(
        ok({"mail-log", "--json", "--clear-messages", path("clear.jsonl"), path("m.log")}));
    CHECK(j["outbound"]["messages_without_tls_ids"].size() == 50);  // the report's examples
    std::map<std::string, std::set<std::string>> ids;
    std::size_t lines = 0;
    std::istringstream in{read_file(path("clear.jsonl"))};
    for (std::string line; std::getline(in, line); ++lines) {
        const json m = json::parse(line);
        ids[m["direction"].get<std::string>()].insert(m["id"].get<std::string>());
    }
    CHECK(lines == truth.inbound.messages_without_tls + truth.outbound.messages_without_tls);
    CHECK(ids["inbound"].size() == truth.inbound.messages_without_tls);
    CHECK(ids["outbound"].size() == truth.outbound.messages_without_tls);
    const RunResult unwritable =
        ct({"mail-log", "--clear-messages", path("no/such/dir/x"), path("m.log")});
    CHECK(unwritable.exit_code == 3);
    CHECK_THAT(unwritable.err,
               Catch::Contains("certtool: error: cannot write '" + path("no/such/dir/x") + "'"));
}
