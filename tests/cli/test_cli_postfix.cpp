// mail-log over logs written by real Postfix instances on loopback
// (tests/postfix/maillog-scenario.sh: inbound with and without STARTTLS; outbound over TLS, in
// the clear, and refused by a TLS-required policy).
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <random>

using namespace certtool::test;
using nlohmann::json;

TEST_CASE_METHOD(CliFixture,
                 "mail-log reads a real Postfix maillog with TLS on and off",
                 "[cli][maillog][postfix]") {
    std::random_device rd;
    const int port = 30000 + static_cast<int>(rd() % 15000) * 2;  // 4 consecutive ports
    const RunResult scenario =
        run({"bash",
             std::string{CERTTOOL_SOURCE_DIR} + "/tests/postfix/maillog-scenario.sh",
             path("pf"),
             std::to_string(port)});
    INFO("scenario stderr: " << scenario.err);
    REQUIRE(scenario.exit_code == 0);
    const std::string log = path("pf/gw-maillog.log");
    const json r = json::parse(ok({"mail-log", "--json", log}));
    INFO(r.dump(2));
    CHECK(r["malformed_lines"] == 0);
    const json& in = r["inbound"];
    CHECK(in["connections"] == 3);
    CHECK(in["tls_success"] == 2);
    CHECK(in["no_tls"] == 1);
    CHECK(in["messages_without_tls"] == 1);
    CHECK(in["protocols"].contains("TLSv1.3"));
    const json& out = r["outbound"];
    CHECK(out["connections"] == 3);
    CHECK(out["tls_success"] == 1);
    CHECK(out["tls_failed"] == 1);
    CHECK(out["no_tls"] == 1);
    CHECK(out["messages_without_tls"] == 1);
    CHECK(out["domains"]["tls.example"]["tls_success"] == 1);
    CHECK(out["domains"]["clear.example"]["no_tls"] == 1);
    CHECK(out["domains"]["strict.example"]["tls_failed"] == 1);
    CHECK(r["required_tls_failures"] == 1);
    CHECK(ct({"mail-log", "--fail-on-tls-failure", log}).exit_code == 1);
    const json strict = json::parse(ok({"mail-log", "--json", "--domain", "strict.example", log}));
    CHECK(strict["outbound"]["connections"] == 1);
}
