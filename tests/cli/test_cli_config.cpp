// The configuration commands through the real binary, without a Postfix target (commits are
// recorded only): the demonstration certificate, validation, staging, commits, history and
// rollback, levels, where entries are used, and staging under concurrency and kills.
// tests/postfix/ applies the same commands to real Postfix instances.
#include "cli_fixture.hpp"

#include <nlohmann/json.hpp>

#include <random>
#include <set>

namespace certtool::test {

namespace {

using nlohmann::json;

class ConfigFixture : public CliFixture {
public:
    // The staged changes as "where key" -> after (or "" for a removal).
    [[nodiscard]] std::map<std::string, std::string> pending() const {
        const json j = json::parse(ok({"changes", "--json"}));
        std::map<std::string, std::string> out;
        for (const auto& c : j["changes"]) {
            out[c["where"].get<std::string>() + " " + c["key"].get<std::string>()] =
                c.value("after", "");
        }
        return out;
    }

    // The effective settings of machine `machine` as key -> {value, level}.
    [[nodiscard]] std::map<std::string, std::pair<std::string, std::string>> effective(
        const std::string& machine) const {
        const json j =
            json::parse(ok({"config", "show", "--effective", "--machine", machine, "--json"}));
        std::map<std::string, std::pair<std::string, std::string>> out;
        for (const auto& s : j["settings"]) {
            out[s["key"].get<std::string>()] = {s["value"].get<std::string>(),
                                                s["level"].get<std::string>()};
        }
        return out;
    }

    [[nodiscard]] json history() const { return json::parse(ok({"history", "--json"})); }

    void listener(const std::string& name, const std::string& address) const {
        ok({"listener", "add", name, "--address", address, "--hostname", "mail.example.com"});
    }
};

}  // namespace

TEST_CASE_METHOD(ConfigFixture,
                 "config: the first configuration command makes the demonstration certificate, "
                 "and every command warns while a service uses it",
                 "[cli][config]") {
    const RunResult r = ct({"listener", "add", "IncomingMail", "--address", "127.0.0.1:2525"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("created the demonstration certificate 'demo'") != std::string::npos);
    CHECK(r.err.find("listener IncomingMail (cluster) uses the demonstration certificate and "
                     "cannot offer a verifiable connection") != std::string::npos);

    const json demo = json::parse(ok({"show", "demo", "--json"}));
    CHECK(demo["demonstration"] == true);
    CHECK(demo["bindings"].size() == 1);
    CHECK(demo["bindings"][0]["key"] == "listener/IncomingMail/certificate");

    // verify demo: the appliance's warning as a finding code.
    const RunResult v = ct({"verify", "demo", "--json"});
    const json report = json::parse(v.out);
    std::set<std::string> codes;
    for (const auto& f : report["findings"]) {
        codes.insert(f["code"].get<std::string>());
    }
    CHECK(codes.contains("demo-certificate"));
    CHECK(v.exit_code == 1);  // self-signed: no verifiable connection

    // A second configuration command does not make another one, and still warns.
    const RunResult again = ct({"destination", "set", "example.com", "--tls", "required"});
    REQUIRE(again.exit_code == 0);
    CHECK(again.err.find("created the demonstration") == std::string::npos);
    CHECK(again.err.find("uses the demonstration certificate") != std::string::npos);

    // Once a certificate of the user's own is bound, the warning stops.
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com"});
    ok({"listener", "set", "IncomingMail", "--certificate", "mail"});
    const RunResult quiet = ct({"destination", "set", "example.net", "--tls", "preferred"});
    REQUIRE(quiet.exit_code == 0);
    CHECK(quiet.err.find("demonstration") == std::string::npos);
}

TEST_CASE_METHOD(ConfigFixture,
                 "config: malformed addresses, members, domains and modes are usage errors that "
                 "name the rule and stage nothing",
                 "[cli][config]") {
    listener("IncomingMail", "127.0.0.1:2525");
    const auto before = pending();
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"listener", "add", "B", "--address", "127.0.0.1"}, "ADDRESS:PORT"},
        {{"listener", "add", "B", "--address", "127.0.0.1:0"}, "port 1-65535"},
        {{"listener", "add", "B", "--address", "::1:25"}, "[2001:db8::10]:25"},
        {{"listener", "add", "B", "--address", "mail.example.com:25"}, "IP address"},
        {{"listener", "add", "bad name", "--address", "127.0.0.1:26"}, "invalid listener name"},
        {{"listener", "add", "B", "--address", "127.0.0.1:2525"}, "already listens on"},
        {{"listener", "set", "IncomingMail", "--tls", "sometimes"}, "off, preferred or required"},
        {{"sender-group", "add", "IncomingMail", "G", "--member", "10.0.0.0/33", "--tls", "off"},
         "CIDR block"},
        {{"sender-group", "add", "IncomingMail", "G", "--member", "300.1.1.1", "--tls", "off"},
         "partial domain"},
        {{"sender-group", "add", "IncomingMail", "G", "--member", "-bad-.example", "--tls", "off"},
         "host name"},
        {{"destination", "set", "exa mple.com", "--tls", "required"}, "invalid destination"},
        {{"destination", "set", "example.com", "--tls", "mandatory"}, "required-verify"},
        {{"outbound", "set", "--alert-on-required-failure", "maybe"}, "on or off"},
        {{"service", "set", "smtp", "--certificate", "demo"}, "url-filtering"},
        {{"listener", "set", "IncomingMail", "--tls", "off", "--level", "rack"},
         "cluster or machine"},
    };
    for (const auto& [args, rule] : cases) {
        const RunResult r = ct(args);
        INFO(args[0] << " " << args[1] << ": " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find(rule) != std::string::npos);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
    CHECK(pending() == before);
}

TEST_CASE_METHOD(ConfigFixture,
                 "config: unknown listeners, groups and entries are not-found naming those "
                 "there are",
                 "[cli][config]") {
    listener("IncomingMail", "127.0.0.1:2525");
    RunResult r = ct({"listener", "set", "Outgoing", "--tls", "required"});
    CHECK(r.exit_code == 7);
    CHECK(r.err.find("listeners: IncomingMail") != std::string::npos);
    r = ct({"listener", "set", "IncomingMail", "--certificate", "nosuch"});
    CHECK(r.exit_code == 7);
    CHECK(r.err.find("entries: demo") != std::string::npos);
    r = ct({"sender-group", "delete", "IncomingMail", "NOPE"});
    CHECK(r.exit_code == 7);
    r = ct({"destination", "delete", "nowhere.example"});
    CHECK(r.exit_code == 7);
    r = ct({"rollback", "5"});
    CHECK(r.exit_code == 7);
    CHECK(r.err.find("no configuration revision 5") != std::string::npos);
}

TEST_CASE_METHOD(ConfigFixture,
                 "config: changes are staged, shown, abandoned and committed as revisions with "
                 "history and rollback",
                 "[cli][config]") {
    listener("IncomingMail", "127.0.0.1:2525");
    ok({"sender-group",
        "add",
        "IncomingMail",
        "TRUSTED",
        "--member",
        "127.0.0.2",
        "--member",
        "10.1.2.3/8",
        "--member",
        ".Example.COM",
        "--tls",
        "required"});
    auto staged = pending();
    CHECK(staged["cluster listener/IncomingMail/address"] == "127.0.0.1:2525");
    // Members are normalised: the network of a CIDR block, domains in lower case.
    CHECK(staged["cluster listener/IncomingMail/group/TRUSTED/members"] ==
          "127.0.0.2 10.0.0.0/8 .example.com");

    // Abandon drops them; nothing was committed.
    CHECK(json::parse(ok({"abandon", "--json"}))["abandoned"] == true);
    CHECK(pending().empty());
    CHECK(history()["revisions"].empty());
    const RunResult nothing = ct({"commit"});
    CHECK(nothing.exit_code == 2);
    CHECK(nothing.err.find("no changes to commit") != std::string::npos);

    listener("IncomingMail", "127.0.0.1:2525");
    const json one = json::parse(ok({"commit", "--comment", "first listener", "--json"}));
    CHECK(one["revision"] == 1);
    CHECK(pending().empty());

    ok({"create-selfsigned", "mail", "--cn", "mail.example.com"});
    ok({"listener", "set", "IncomingMail", "--certificate", "mail", "--tls", "required"});
    CHECK(pending().size() == 2);
    ok({"commit", "--comment", "own certificate"});

    const json h = history();
    REQUIRE(h["revisions"].size() == 2);
    CHECK(h["revisions"][0]["revision"] == 1);
    CHECK(h["revisions"][0]["comment"] == "first listener");
    CHECK(h["revisions"][1]["comment"] == "own certificate");
    CHECK(!h["revisions"][1]["user"].get<std::string>().empty());
    CHECK(h["revisions"][1]["summary"].get<std::string>().find("certificate") != std::string::npos);

    // Rollback makes revision 3 equal to revision 1.
    const json three = json::parse(ok({"rollback", "1", "--json"}));
    CHECK(three["revision"] == 3);
    CHECK(effective("m1")["listener/IncomingMail/certificate"].first == "demo");
    CHECK(effective("m1")["listener/IncomingMail/tls"].first == "preferred");
    CHECK(history()["revisions"].size() == 3);

    // Rollback refuses while changes are staged.
    ok({"destination", "set", "example.com", "--tls", "required"});
    const RunResult busy = ct({"rollback", "2"});
    CHECK(busy.exit_code == 2);
    CHECK(busy.err.find("abandon") != std::string::npos);
}

TEST_CASE_METHOD(ConfigFixture,
                 "config: rollback to a revision binding a deleted entry is refused, naming it",
                 "[cli][config]") {
    ok({"create-selfsigned", "old", "--cn", "mail.example.com"});
    listener("IncomingMail", "127.0.0.1:2525");
    ok({"listener", "set", "IncomingMail", "--certificate", "old"});
    ok({"commit"});
    ok({"create-selfsigned", "new", "--cn", "mail.example.com"});
    ok({"listener", "set", "IncomingMail", "--certificate", "new"});
    ok({"commit"});
    ok({"delete", "old"});
    const RunResult r = ct({"rollback", "1"});
    CHECK(r.exit_code == 7);
    CHECK(r.err.find("no longer has: old") != std::string::npos);
    CHECK(history()["revisions"].size() == 2);
}

TEST_CASE_METHOD(ConfigFixture,
                 "config: a machine-level value overrides the cluster's, config show --effective "
                 "names the level, and leaving the cluster loses machine-level certificates",
                 "[cli][config]") {
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com"});
    ok({"create-selfsigned", "m2cert", "--cn", "mail.example.com"});
    listener("IncomingMail", "127.0.0.1:2525");
    ok({"listener", "set", "IncomingMail", "--certificate", "mail"});
    ok({"listener",
        "set",
        "IncomingMail",
        "--certificate",
        "m2cert",
        "--level",
        "machine",
        "--machine",
        "m2"});
    ok({"listener",
        "set",
        "IncomingMail",
        "--tls",
        "required",
        "--level",
        "machine",
        "--machine",
        "m2"});
    ok({"commit"});

    auto m1 = effective("m1");
    auto m2 = effective("m2");
    CHECK(m1["listener/IncomingMail/certificate"] ==
          std::pair<std::string, std::string>{"mail", "cluster"});
    CHECK(m2["listener/IncomingMail/certificate"] ==
          std::pair<std::string, std::string>{"m2cert", "machine"});
    CHECK(m2["listener/IncomingMail/tls"] ==
          std::pair<std::string, std::string>{"required", "machine"});
    CHECK(m2["listener/IncomingMail/address"].second == "cluster");

    // show lists the bindings at every level.
    const json shown = json::parse(ok({"show", "m2cert", "--json"}));
    REQUIRE(shown["bindings"].size() == 1);
    CHECK(shown["bindings"][0]["level"] == "machine");
    CHECK(shown["bindings"][0]["machine"] == "m2");

    // Leaving: refused without --force, naming what is lost.
    const RunResult refused = ct({"cluster", "leave", "--machine", "m2"});
    CHECK(refused.exit_code == 2);
    CHECK(refused.err.find("listener/IncomingMail/certificate") != std::string::npos);
    CHECK(refused.err.find("--force") != std::string::npos);
    const RunResult left = ct({"cluster", "leave", "--machine", "m2", "--force"});
    REQUIRE(left.exit_code == 0);
    CHECK(left.err.find("was lost") != std::string::npos);
    ok({"commit", "--comment", "m2 leaves"});
    m2 = effective("m2");
    // The cluster's certificate applies; its other machine-level value stays, now its own.
    CHECK(m2["listener/IncomingMail/certificate"] ==
          std::pair<std::string, std::string>{"mail", "machine"});
    CHECK(m2["listener/IncomingMail/tls"] ==
          std::pair<std::string, std::string>{"required", "machine"});
    // No cluster level any more.
    const RunResult cluster = ct({"destination",
                                  "set",
                                  "example.com",
                                  "--tls",
                                  "required",
                                  "--level",
                                  "cluster",
                                  "--machine",
                                  "m2"});
    CHECK(cluster.exit_code == 2);
    CHECK(cluster.err.find("left the cluster") != std::string::npos);
}

TEST_CASE_METHOD(ConfigFixture,
                 "config: deleting a bound entry is refused with where it is used, and --force "
                 "rebinds those services to demo as a staged change",
                 "[cli][config]") {
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com"});
    listener("IncomingMail", "127.0.0.1:2525");
    ok({"listener", "set", "IncomingMail", "--certificate", "mail"});
    ok({"outbound", "set", "--certificate", "mail", "--level", "machine", "--machine", "m1"});
    ok({"commit"});
    const auto store_before = snapshot(store);

    const RunResult refused = ct({"delete", "mail"});
    CHECK(refused.exit_code == 9);
    CHECK(refused.err.find("listener IncomingMail (cluster)") != std::string::npos);
    CHECK(refused.err.find("outbound delivery (machine m1)") != std::string::npos);
    CHECK(snapshot(store) == store_before);

    const RunResult forced = ct({"delete", "mail", "--force", "--json"});
    REQUIRE(forced.exit_code == 0);
    CHECK(json::parse(forced.out)["rebound_to_demo"] == 2);
    const auto staged = pending();
    CHECK(staged.at("cluster listener/IncomingMail/certificate") == "demo");
    CHECK(staged.at("machine m1 outbound/certificate") == "demo");
    CHECK(ct({"show", "mail"}).exit_code == 7);
    ok({"commit"});
    CHECK(effective("m1")["outbound/certificate"].first == "demo");
}

TEST_CASE_METHOD(ConfigFixture,
                 "config: administrators staging at the same time lose nothing",
                 "[cli][config]") {
    listener("IncomingMail", "127.0.0.1:2525");
    constexpr int k_writers = 12;
    std::string script = "pids=; for i in $(seq 1 " + std::to_string(k_writers) + "); do '" +
                         certtool_path() + "' destination set d$i.example --tls required " +
                         "--store '" + store + "' >/dev/null 2>&1 & pids=\"$pids $!\"; done; " +
                         "rc=0; for p in $pids; do wait $p || rc=1; done; exit $rc";
    const RunResult r = run({"bash", "-c", script});
    REQUIRE(r.exit_code == 0);
    const auto staged = pending();
    for (int i = 1; i <= k_writers; ++i) {
        CHECK(staged.contains("cluster destination/d" + std::to_string(i) + ".example/tls"));
    }
}

TEST_CASE_METHOD(ConfigFixture,
                 "config: a staging or commit killed at any instant leaves a whole document and "
                 "the next command works",
                 "[cli][config]") {
    listener("IncomingMail", "127.0.0.1:2525");
    ok({"commit"});
    std::mt19937 random{std::random_device{}()};
    std::uniform_int_distribution<int> delay{0, 40000};
#ifdef CERTTOOL_SANITIZED
    constexpr int k_rounds = 10;
#else
    constexpr int k_rounds = 30;
#endif
    for (int i = 0; i < k_rounds; ++i) {
        RunOptions kill;
        kill.kill_after_us = delay(random);
        const std::string domain = "k" + std::to_string(i) + ".example";
        (void)ct({"destination", "set", domain, "--tls", "required"}, kill);
        (void)ct({"commit", "--comment", "round " + std::to_string(i)}, kill);
        // Whatever was killed, the configuration reads back whole.
        const json h = history();
        const auto staged = pending();
        INFO("round " << i);
        CHECK(!h["revisions"].empty());
    }
    ok({"destination", "set", "final.example", "--tls", "required"});
    ok({"commit", "--comment", "after the kills"});
    CHECK(effective("m1").contains("destination/final.example/tls"));
}

}  // namespace certtool::test
