// check-tls's pure parts: the TLS policy table (issue 4's table, cell by cell), mode names,
// HOST[:PORT] and --dns-server parsing.
#include <certtool/dns.hpp>
#include <certtool/error.hpp>
#include <certtool/smtp_probe.hpp>
#include <certtool/tls_policy.hpp>

#include <catch2/catch.hpp>

#include <map>

using namespace certtool;

TEST_CASE("TLS policy outcomes follow the appliance's table", "[check-tls]") {
    using O = ProbeOutcome;
    using M = TlsMode;
    const std::map<std::pair<M, O>, std::string> table{
        {{M::none, O::verified}, "clear"},
        {{M::none, O::unverified}, "clear"},
        {{M::none, O::before_tls}, "clear"},
        {{M::none, O::after_starttls}, "clear"},
        {{M::preferred, O::verified}, "encrypted"},
        {{M::preferred, O::unverified}, "encrypted"},
        {{M::preferred, O::before_tls}, "clear"},
        {{M::preferred, O::after_starttls}, "not delivered"},
        {{M::required, O::verified}, "encrypted"},
        {{M::required, O::unverified}, "encrypted"},
        {{M::required, O::before_tls}, "not delivered"},
        {{M::required, O::after_starttls}, "not delivered"},
        {{M::preferred_verify, O::verified}, "encrypted, verified"},
        {{M::preferred_verify, O::unverified}, "encrypted, unverified"},
        {{M::preferred_verify, O::before_tls}, "clear"},
        {{M::preferred_verify, O::after_starttls}, "not delivered"},
        {{M::required_verify, O::verified}, "encrypted, verified"},
        {{M::required_verify, O::unverified}, "not delivered"},
        {{M::required_verify, O::before_tls}, "not delivered"},
        {{M::required_verify, O::after_starttls}, "not delivered"},
    };
    for (const auto& [key, expected] : table) {
        const auto [mode, outcome] = key;
        INFO(tls_mode_name(mode) << " / " << outcome_letter(outcome));
        const Delivery d = delivery(mode, outcome);
        CHECK(d.text() == expected);
        CHECK(d.as_demanded == (expected != "not delivered"));
        CHECK(d.delivered == (expected != "not delivered"));
    }
    for (const TlsMode m : k_tls_modes) {
        CHECK(delivery(m, O::no_session).text() == "not delivered");
        CHECK_FALSE(delivery(m, O::no_session).as_demanded);
    }
}

TEST_CASE("TLS mode names parse loosely and print as the appliance does", "[check-tls]") {
    CHECK(parse_tls_mode("required-verify") == TlsMode::required_verify);
    CHECK(parse_tls_mode("RequiredVerify") == TlsMode::required_verify);
    CHECK(parse_tls_mode("PREFERRED_VERIFY") == TlsMode::preferred_verify);
    CHECK(parse_tls_mode("none") == TlsMode::none);
    CHECK_FALSE(parse_tls_mode("always"));
    CHECK_FALSE(parse_tls_mode(""));
    CHECK(tls_mode_name(TlsMode::preferred_verify) == "Preferred-Verify");
}

TEST_CASE("HOST[:PORT] targets", "[check-tls]") {
    const auto t = [](const std::string& s) { return ProbeTarget::parse(s); };
    CHECK(t("mail.example.com").host == "mail.example.com");
    CHECK_FALSE(t("mail.example.com").port);
    CHECK(t("mail.example.com:587").port == 587);
    CHECK(t("192.0.2.1:25").host == "192.0.2.1");
    CHECK(t("[2001:db8::1]:465").host == "2001:db8::1");
    CHECK(t("[2001:db8::1]:465").port == 465);
    CHECK(t("2001:db8::1").host == "2001:db8::1");
    CHECK_FALSE(t("2001:db8::1").port);
    CHECK(t("[::1]").host == "::1");
    for (const std::string bad : {"mail.example.com:0",
                                  "mail.example.com:65536",
                                  "host:x",
                                  "host:",
                                  ":25",
                                  "[::1",
                                  "[::1]x"}) {
        INFO(bad);
        CHECK_THROWS_AS(t(bad), Error);
    }
    CHECK(default_probe_mode(465) == ProbeMode::implicit_tls);
    CHECK(default_probe_mode(25) == ProbeMode::starttls);
    CHECK(default_probe_mode(587) == ProbeMode::starttls);
}

TEST_CASE("DNS server option (IPv4[:PORT], IPv6, [IPv6]:PORT) parsing", "[check-tls]") {
    CHECK(DnsServer::parse("127.0.0.1").port == 53);
    CHECK(DnsServer::parse("127.0.0.1:5353").port == 5353);
    CHECK(DnsServer::parse("127.0.0.1:5353").address == "127.0.0.1");
    CHECK(DnsServer::parse("::1").address == "::1");
    CHECK(DnsServer::parse("::1").port == 53);
    CHECK(DnsServer::parse("[::1]").port == 53);
    CHECK(DnsServer::parse("[::1]:5353").address == "::1");
    CHECK(DnsServer::parse("[::1]:5353").port == 5353);
    CHECK(DnsServer::parse("2001:db8::53").address == "2001:db8::53");  // bare: no port
    CHECK(DnsServer::parse("2001:db8::53").port == 53);
    for (const std::string bad : {"localhost",
                                  "127.0.0.1:0",
                                  "127.0.0.1:70000",
                                  "127.0.0.1:",
                                  "[::1]:",
                                  "[::1",
                                  "[::1]5353",
                                  "[127.0.0.1]x",
                                  "[localhost]:53",
                                  "::1::2",
                                  "dns.example:53",
                                  ""}) {
        INFO(bad);
        CHECK_THROWS_AS(DnsServer::parse(bad), Error);
    }
}

TEST_CASE("check-tls plan: the port and the mode follow the target and the flags", "[check-tls]") {
    const auto plan = [](TlsCheckRequest req) { return TlsCheckPlan::from(req); };
    const auto host = [](std::string target) {
        TlsCheckRequest req;
        req.target = std::move(target);
        return req;
    };
    CHECK(plan(host("mail.example.com")).host == "mail.example.com");
    CHECK(plan(host("mail.example.com")).port == 25);
    CHECK_FALSE(plan(host("mail.example.com")).mx);
    CHECK(plan(host("mail.example.com")).options.mode == ProbeMode::starttls);
    CHECK(plan(host("mail.example.com:465")).options.mode == ProbeMode::implicit_tls);
    CHECK(plan(host("[2001:db8::1]:587")).port == 587);
    CHECK(plan(host("[2001:db8::1]:587")).options.mode == ProbeMode::starttls);
    SECTION("--port wins over HOST:PORT, and decides the default mode") {
        auto req = host("mail.example.com:25");
        req.port = 465;
        CHECK(plan(req).port == 465);
        CHECK(plan(req).options.mode == ProbeMode::implicit_tls);
        req = host("mail.example.com:465");
        req.port = 25;
        CHECK(plan(req).options.mode == ProbeMode::starttls);
    }
    SECTION("an explicit mode wins over the port's default") {
        auto req = host("mail.example.com:465");
        req.starttls = "smtp";
        CHECK(plan(req).options.mode == ProbeMode::starttls);
        req = host("mail.example.com");
        req.implicit_tls = true;
        CHECK(plan(req).options.mode == ProbeMode::implicit_tls);
        req = host("mail.example.com:465");
        req.plain = true;
        CHECK(plan(req).options.mode == ProbeMode::plain);
    }
    SECTION("--mx DOMAIN") {
        TlsCheckRequest req;
        req.mx_domain = "example.com";
        req.policy = "required-verify";
        CHECK(plan(req).mx);
        CHECK(plan(req).host == "example.com");
        CHECK(plan(req).port == 25);
        CHECK(plan(req).policy == TlsMode::required_verify);
    }
    SECTION("usage errors name the fix") {
        TlsCheckRequest both = host("a.example");
        both.mx_domain = "b.example";
        CHECK_THROWS_WITH(plan(both), Catch::Contains("not both"));
        CHECK_THROWS_WITH(plan(TlsCheckRequest{}), Catch::Contains("give HOST[:PORT]"));
        auto imap = host("a.example");
        imap.starttls = "imap";
        CHECK_THROWS_WITH(plan(imap), Catch::Contains("use --starttls smtp"));
        auto policy = host("a.example");
        policy.policy = "always";
        CHECK_THROWS_WITH(plan(policy), Catch::Contains("required-verify"));
        auto name = host("a.example");
        name.options.hostnames = {"bad name"};
        CHECK_THROWS_AS(plan(name), Error);
        CHECK_THROWS_WITH(plan(host("a.example:0")), Catch::Contains("bad port"));
    }
}

TEST_CASE("check-tls verdict: every host passes, or mail goes as --policy demands", "[check-tls]") {
    const auto probed = [](ProbeOutcome outcome) {
        ProbeResult r;
        r.outcome = outcome;
        return r;
    };
    TlsCheckReport one;
    one.host = probed(ProbeOutcome::verified);
    CHECK(one.passed());
    CHECK_FALSE(one.policy_delivery());
    one.host->findings.push_back(ChainFinding::of(FindingCode::stale_certificate, "stale"));
    CHECK_FALSE(one.passed());  // an error finding fails a verified host
    one.host = probed(ProbeOutcome::before_tls);
    CHECK_FALSE(one.passed());
    one.policy = TlsMode::preferred;
    CHECK(one.passed());  // Preferred delivers in clear
    one.policy = TlsMode::required;
    CHECK_FALSE(one.passed());

    TlsCheckReport domain;
    domain.mx = MxReport{};
    domain.mx->hosts = {probed(ProbeOutcome::verified), probed(ProbeOutcome::before_tls)};
    CHECK(domain.results().size() == 2);
    CHECK_FALSE(domain.passed());  // not every host is verified
    domain.policy = TlsMode::required_verify;
    CHECK(domain.passed());  // the first host takes the mail, verified
    REQUIRE(domain.policy_delivery());
    CHECK(domain.policy_delivery()->text() == "encrypted, verified");
}

TEST_CASE("check-tls deadline: 3 x the per-phase timeout unless given", "[check-tls]") {
    ProbeOptions o;
    o.timeout = std::chrono::milliseconds{3000};
    CHECK(o.effective_deadline() == std::chrono::milliseconds{9000});
    o.deadline = std::chrono::milliseconds{4000};
    CHECK(o.effective_deadline() == std::chrono::milliseconds{4000});
}
