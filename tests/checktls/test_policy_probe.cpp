// policy explain --domain D --probe against the check-tls fixture's real peers (one Postfix, a
// dnsmasq: tests/postfix/tls-fixture.sh): the destination row's mode read over what the probe of
// D's MX hosts saw. example.test: MX 10 mx1 (TLS, a chain from the fixture's root), MX 20 mx2
// (no STARTTLS).
#include "support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>

using namespace certtool::test;
using nlohmann::json;

namespace {

std::map<std::string, std::string> fixture_env() {
    std::ifstream in(std::filesystem::path{CHECK_TLS_FIXTURE_DIR} / "fixture.env");
    REQUIRE(in.good());
    std::map<std::string, std::string> env;
    for (std::string line; std::getline(in, line);) {
        if (const auto eq = line.find('='); eq != std::string::npos) {
            env[line.substr(0, eq)] = line.substr(eq + 1);
        }
    }
    return env;
}

class ProbeStore {
public:
    TempDir dir;
    std::string store = (dir / "store").string();
    std::map<std::string, std::string> env = fixture_env();

    void stage(std::vector<std::string> args) const {
        args.insert(args.end(), {"--store", store});
        const RunResult r = run_certtool(args);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }

    // policy explain --domain D --probe --json on the fixture; `trust` "" for the system's.
    std::pair<int, json> explain(const std::string& domain, const std::string& trust) const {
        std::vector<std::string> args{"policy",
                                      "explain",
                                      "--domain",
                                      domain,
                                      "--probe",
                                      "--port",
                                      env.at("PORT"),
                                      "--dns-server",
                                      "127.0.0.1:" + env.at("DNS_PORT"),
                                      "--timeout",
                                      "5",
                                      "--store",
                                      store,
                                      "--json"};
        if (!trust.empty()) {
            args.insert(args.end(), {"--trust", trust});
        }
        const RunResult r = run_certtool(args);
        INFO(r.out << r.err);
        return {r.exit_code, r.exit_code == 3 ? json{} : json::parse(r.out)};
    }

    std::string root() const {
        return (std::filesystem::path{env.at("PKI")} / "root.pem").string();
    }
};

}  // namespace

TEST_CASE("policy explain --probe: the row's mode over the MX hosts' real outcomes",
          "[policy][probe]") {
    ProbeStore s;
    s.stage({"destination", "set", "example.test", "--tls", "required-verify"});
    s.stage({"destination", "default", "--tls", "preferred"});

    // mx1 verifies against the fixture's root: delivered, verified, exit 0.
    auto [code, j] = s.explain("example.test", s.root());
    CHECK(code == 0);
    CHECK(j["row"]["kind"] == "exact");
    CHECK(j["probe"]["host"] == "mx1.example.test");
    CHECK(j["probe"]["outcome"] == "V");
    CHECK(j["probe"]["verdict"] == "would be delivered encrypted, verified (via mx1.example.test)");
    CHECK(j["probe"]["hosts"].size() == 2);

    // With the system's anchors mx1 is unverified and mx2 offers no TLS: Required-Verify defers
    // the mail (exit 1) and says why.
    std::tie(code, j) = s.explain("example.test", "");
    CHECK(code == 1);
    CHECK(j["probe"]["as_demanded"] == false);
    CHECK(j["probe"]["result"] == "deferred");
    CHECK(j["probe"]["verdict"].get<std::string>().find(
              "would be deferred: no MX host takes it as Required-Verify demands "
              "(mx1.example.test: TLS negotiated, not verified") != std::string::npos);

    // one.example.test falls to the default row, Preferred: encrypted without verification.
    std::tie(code, j) = s.explain("one.example.test", "");
    CHECK(code == 0);
    CHECK(j["row"]["kind"] == "default");
    CHECK(j["probe"]["verdict"] == "would be delivered encrypted (via mx1.example.test)");

    // A domain without mail hosts is a DNS failure: 3.
    std::tie(code, j) = s.explain("nullmx.example.test", s.root());
    CHECK(code == 3);
}
