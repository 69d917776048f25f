// policy explain through the real binary: a configuration set up with the configuration
// commands, then which sender group or destination row applies, as text and --json, and the
// exit codes. --probe against real peers is in tests/checktls/test_policy_probe.cpp.
#include "cli_fixture.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace certtool::test {

namespace {

using nlohmann::json;

class PolicyFixture : public CliFixture {
public:
    // Listener IncomingMail (Preferred) with BLOCKED (off), PARTNERS (required) and NAMES (off);
    // destinations example.com required-verify, .example.com preferred, default preferred-verify.
    PolicyFixture() {
        ok({"listener", "add", "IncomingMail", "--address", "127.0.0.1:2525"});
        ok({"listener", "add", "Relay", "--address", "[::1]:2587"});
        ok({"sender-group",
            "add",
            "IncomingMail",
            "BLOCKED",
            "--member",
            "192.0.2.7",
            "--tls",
            "off"});
        ok({"sender-group",
            "add",
            "IncomingMail",
            "PARTNERS",
            "--member",
            "192.0.2.0/24",
            "--member",
            "2001:db8::/32",
            "--member",
            ".partner.example",
            "--tls",
            "required"});
        ok({"sender-group",
            "add",
            "IncomingMail",
            "NAMES",
            "--member",
            "mx.other.example",
            "--tls",
            "off"});
        ok({"destination", "set", "example.com", "--tls", "required-verify"});
        ok({"destination", "set", ".example.com", "--tls", "preferred"});
        ok({"destination", "default", "--tls", "preferred-verify"});
    }

    json explain(std::vector<std::string> args) const {
        args.insert(args.begin(), {"policy", "explain"});
        args.emplace_back("--json");
        return json::parse(ok(args));
    }
};

}  // namespace

TEST_CASE_METHOD(PolicyFixture,
                 "policy explain: a client gets the first sender group it matches, in order",
                 "[cli][policy]") {
    // 192.0.2.7 is in BLOCKED and in PARTNERS' block: BLOCKED comes first.
    json j = explain({"--listener", "IncomingMail", "--client", "192.0.2.7"});
    CHECK(j["listener"] == "IncomingMail");
    CHECK(j["endpoint"] == "127.0.0.1:2525");
    CHECK(j["group"]["name"] == "BLOCKED");
    CHECK(j["group"]["position"] == 1);
    CHECK(j["group"]["member_kind"] == "address");
    CHECK(j["tls"] == "off");
    CHECK(j["meaning"] == "STARTTLS not offered: the session stays in the clear");
    CHECK(j["client"]["name"].is_null());
    CHECK(j["staged"] == true);

    j = explain({"--listener", "IncomingMail", "--client", "2001:DB8::25"});
    CHECK(j["client"]["address"] == "2001:db8::25");
    CHECK(j["group"]["name"] == "PARTNERS");
    CHECK(j["group"]["member"] == "2001:db8::/32");
    CHECK(j["tls"] == "required");

    j = explain({"--listener",
                 "IncomingMail",
                 "--client",
                 "203.0.113.5",
                 "--client-name",
                 "MX1.Partner.Example."});
    CHECK(j["client"]["name"] == "mx1.partner.example");
    CHECK(j["group"]["name"] == "PARTNERS");
    CHECK(j["group"]["member_kind"] == "partial-domain");

    // partner.example itself is not within ".partner.example".
    j = explain({"--listener",
                 "IncomingMail",
                 "--client",
                 "203.0.113.5",
                 "--client-name",
                 "partner.example"});
    CHECK(j["group"].is_null());
    CHECK(j["tls"] == "preferred");
    CHECK(j["meaning"] == "STARTTLS offered, plaintext accepted");
    bool reverse = false;
    for (const auto& c : j["caveats"]) {
        reverse =
            reverse || c.get<std::string>().find("verified reverse name") != std::string::npos;
    }
    CHECK(reverse);

    // Text: a screen or less, naming the group, the member and what it means.
    const std::string text =
        ok({"policy", "explain", "--listener", "IncomingMail", "--client", "::ffff:192.0.2.9"});
    INFO(text);
    CHECK(text.find("listener IncomingMail (127.0.0.1:2525), client 192.0.2.9") !=
          std::string::npos);
    CHECK(text.find("sender group PARTNERS (position 2), matched by network 192.0.2.0/24") !=
          std::string::npos);
    CHECK(text.find("TLS required: STARTTLS offered; plaintext refused: 530 Must issue a "
                    "STARTTLS command first") != std::string::npos);
    CHECK(text.find("IPv4-mapped") != std::string::npos);
    CHECK(std::count(text.begin(), text.end(), '\n') < 25);
}

TEST_CASE_METHOD(PolicyFixture,
                 "policy explain: a domain gets its exact row, else the closest parent row, "
                 "else the default, with what each outcome means",
                 "[cli][policy]") {
    json j = explain({"--domain", "Example.com"});
    CHECK(j["domain"] == "example.com");
    CHECK(j["row"]["kind"] == "exact");
    CHECK(j["row"]["domain"] == "example.com");
    CHECK(j["mode"] == "required-verify");
    REQUIRE(j["outcomes"].size() == 5);
    CHECK(j["outcomes"][0]["outcome"] == "V");
    CHECK(j["outcomes"][0]["result"] == "delivered encrypted, verified");
    CHECK(j["outcomes"][1]["result"] == "deferred");
    CHECK(j.contains("probe") == false);

    j = explain({"--domain", "mail.example.com"});
    CHECK(j["row"]["kind"] == "parent");
    CHECK(j["row"]["domain"] == ".example.com");
    CHECK(j["mode"] == "preferred");
    CHECK(j["outcomes"][3]["outcome"] == "A");
    CHECK(j["outcomes"][3]["result"] == "deferred");
    CHECK(j["caveats"][0].get<std::string>().find("retries in the clear") != std::string::npos);

    j = explain({"--domain", "example.net"});
    CHECK(j["row"]["kind"] == "default");
    CHECK(j["row"]["domain"].is_null());
    CHECK(j["mode"] == "preferred-verify");
    CHECK(j["outcomes"][1]["result"] == "delivered encrypted, unverified");
    CHECK(j["caveats"][0].get<std::string>().find("no exact Postfix equivalent") !=
          std::string::npos);

    const std::string text = ok({"policy", "explain", "--domain", "a.b.example.com"});
    INFO(text);
    CHECK(text.find("domain a.b.example.com: row .example.com (no row for a.b.example.com "
                    "itself)") != std::string::npos);
    CHECK(text.find("mode Preferred: ") != std::string::npos);
    CHECK(text.find("  B  no TLS before the 220 reply to STARTTLS") != std::string::npos);
    CHECK(text.find("delivered in the clear") != std::string::npos);
    CHECK(text.find("caveat: Postfix 'may'") != std::string::npos);
    CHECK(std::count(text.begin(), text.end(), '\n') < 25);
}

TEST_CASE_METHOD(PolicyFixture,
                 "policy explain: the committed configuration, the machine level and --machine",
                 "[cli][policy]") {
    ok({"commit", "--comment", "policies"});
    json j = explain({"--domain", "example.com"});
    CHECK(j["staged"] == false);
    CHECK(j["mode"] == "required-verify");
    // A machine-level row for one machine only.
    ok({"destination",
        "set",
        "example.com",
        "--tls",
        "none",
        "--level",
        "machine",
        "--machine",
        "mail2"});
    j = explain({"--domain", "example.com", "--machine", "mail2"});
    CHECK(j["machine"] == "mail2");
    CHECK(j["staged"] == true);
    CHECK(j["mode"] == "none");
    CHECK(explain({"--domain", "example.com", "--machine", "mail1"})["mode"] == "required-verify");
}

TEST_CASE_METHOD(PolicyFixture,
                 "policy explain: unknown listener 7, malformed input and bad combinations 2",
                 "[cli][policy]") {
    RunResult r = ct({"policy", "explain", "--listener", "Nope", "--client", "192.0.2.1"});
    CHECK(r.exit_code == 7);
    CHECK(r.err.find("no listener 'Nope' (listeners: IncomingMail, Relay)") != std::string::npos);
    r = ct({"policy", "explain", "--listener", "Nope", "--client", "192.0.2.1", "--json"});
    CHECK(r.exit_code == 7);
    CHECK(json::parse(r.out)["error"]["code"] == "not-found");

    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"--listener", "IncomingMail", "--client", "300.1.1.1"}, "IPv4 or IPv6 address"},
        {{"--listener", "IncomingMail", "--client", "192.0.2.1", "--client-name", "a b"},
         "invalid client name"},
        {{"--domain", ".example.com"}, "a .example.com destination row"},
        {{"--domain", "exa mple.com"}, "invalid domain"},
        {{"--listener", "IncomingMail"}, "--listener needs --client"},
        {{"--client", "192.0.2.1"}, "--listener"},
        {{}, "give --listener L --client IP, or --domain D"},
        {{"--domain", "example.com", "--listener", "IncomingMail"}, "excludes"},
        {{"--listener", "IncomingMail", "--client", "192.0.2.1", "--probe"}, "--domain"},
        {{"--domain", "example.com", "--dns-server", "127.0.0.1"}, "--probe"},
        {{"--domain", "example.com", "--machine", "bad name"}, "invalid machine name"},
    };
    for (const auto& [args, message] : cases) {
        std::vector<std::string> full{"policy", "explain"};
        full.insert(full.end(), args.begin(), args.end());
        r = ct(full);
        INFO(fmt::format("{}\nstderr: {}", fmt::join(full, " "), r.err));
        CHECK(r.exit_code == 2);
        CHECK(r.err.find(message) != std::string::npos);
    }
    // A store that cannot be read (its path runs through a file) is 3.
    write_file(dir / "file", "x");
    r = run_certtool(
        {"policy", "explain", "--domain", "example.com", "--store", path("file") + "/store"});
    CHECK(r.exit_code == 3);
}

}  // namespace certtool::test
