// policy explain's decisions as values: which sender group a client falls into, which
// destination row a domain gets, what each means, and the --probe composition over an MxReport.
#include <certtool/error.hpp>
#include <certtool/policy.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>

namespace certtool::config {

namespace {

SenderGroup group(const std::string& name,
                  int position,
                  const std::vector<std::string>& members,
                  InboundTls tls) {
    SenderGroup g{name, position, {}, tls};
    for (const auto& m : members) {
        g.members.push_back(parse_member(m));
    }
    return g;
}

// Listener IncomingMail (Preferred) with, in order: BLOCKED (off), PARTNERS (required),
// V6 (required), NAMED (off).
Configuration inbound() {
    Configuration c;
    Listener l;
    l.name = "IncomingMail";
    l.endpoint = parse_endpoint("192.0.2.10:25");
    l.tls = InboundTls::preferred;
    l.groups = {group("BLOCKED", 1, {"198.51.100.7"}, InboundTls::off),
                group("PARTNERS", 2, {"198.51.100.0/24", ".partner.example"}, InboundTls::required),
                group("V6", 3, {"2001:db8:1::/48", "mx.other.example"}, InboundTls::required),
                group("NAMED", 4, {"xn--mller-kva.example", "10.0.0.0/8"}, InboundTls::off)};
    c.listeners.push_back(l);
    Listener other;
    other.name = "Relay";
    other.endpoint = parse_endpoint("127.0.0.1:587");
    c.listeners.push_back(other);
    return c;
}

InboundExplanation client(const std::string& address, const std::string& name = "") {
    return explain_client(inbound(), {"IncomingMail", address, name});
}

std::string group_of(const InboundExplanation& e) {
    return e.match ? e.match->group : "default";
}

Errc error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    FAIL("no error");
    return Errc::io;
}

std::string message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

Configuration outbound(const std::vector<std::pair<std::string, TlsMode>>& rows,
                       TlsMode default_tls = TlsMode::none) {
    Configuration c;
    for (const auto& [domain, mode] : rows) {
        c.destinations.push_back(Destination{parse_destination_domain(domain), mode});
    }
    c.default_tls = default_tls;
    return c;
}

ProbeResult host(const std::string& name, std::uint16_t preference, ProbeOutcome outcome) {
    ProbeResult r;
    r.host = name;
    r.mx_preference = preference;
    r.outcome = outcome;
    return r;
}

}  // namespace

TEST_CASE("policy: sender groups are tried in position order and the first match wins",
          "[config][policy]") {
    // 198.51.100.7 is in BLOCKED and in PARTNERS' /24: BLOCKED comes first.
    const auto blocked = client("198.51.100.7");
    CHECK(group_of(blocked) == "BLOCKED");
    CHECK(blocked.match->position == 1);
    CHECK(blocked.match->member.kind == MemberKind::address);
    CHECK(blocked.tls == InboundTls::off);
    CHECK(blocked.meaning.find("STARTTLS not offered") != std::string::npos);

    const auto partner = client("198.51.100.8");
    CHECK(group_of(partner) == "PARTNERS");
    CHECK(partner.match->member.text == "198.51.100.0/24");
    CHECK(partner.tls == InboundTls::required);
    CHECK(partner.meaning.find("530 Must issue a STARTTLS command first") != std::string::npos);

    // A name member of an earlier group beats an address member of a later one.
    const auto named = client("10.1.2.3", "mx.partner.example");
    CHECK(group_of(named) == "PARTNERS");
    CHECK(named.match->member.text == ".partner.example");

    const auto fallback = client("203.0.113.9");
    CHECK_FALSE(fallback.match);
    CHECK(fallback.tls == InboundTls::preferred);
    CHECK(fallback.meaning == "STARTTLS offered, plaintext accepted");
}

TEST_CASE("policy: CIDR blocks match in their own family, IPv4-mapped clients as IPv4",
          "[config][policy]") {
    CHECK(group_of(client("198.51.100.255")) == "PARTNERS");
    CHECK(group_of(client("198.51.101.0")) == "default");
    CHECK(group_of(client("2001:db8:1:ffff::1")) == "V6");
    CHECK(group_of(client("2001:DB8:0001::0")) == "V6");
    CHECK(group_of(client("2001:db8:2::1")) == "default");
    CHECK(group_of(client("10.255.255.255")) == "NAMED");

    const auto mapped = client("::ffff:198.51.100.8");
    CHECK(mapped.ipv4_mapped);
    CHECK(mapped.client_address == "198.51.100.8");
    CHECK(group_of(mapped) == "PARTNERS");
    CHECK(std::any_of(mapped.caveats.begin(), mapped.caveats.end(), [](const std::string& c) {
        return c.find("IPv4-mapped") != std::string::npos;
    }));
    // An IPv6 block never holds an IPv4 client, mapped or not.
    Configuration c = inbound();
    c.listeners[0].groups = {group("MAPPED", 1, {"::ffff:0:0/96"}, InboundTls::off)};
    CHECK_FALSE(explain_client(c, {"IncomingMail", "198.51.100.8", ""}).match);
    CHECK_FALSE(explain_client(c, {"IncomingMail", "::ffff:198.51.100.8", ""}).match);
}

TEST_CASE("policy: host names match exactly, partial domains only below the domain",
          "[config][policy]") {
    CHECK(group_of(client("203.0.113.9", "MX.Other.Example.")) == "V6");
    CHECK(group_of(client("203.0.113.9", "mx2.other.example")) == "default");
    CHECK(group_of(client("203.0.113.9", "a.mx.other.example")) == "default");

    CHECK(group_of(client("203.0.113.9", "mx.partner.example")) == "PARTNERS");
    CHECK(group_of(client("203.0.113.9", "a.b.partner.example")) == "PARTNERS");
    // ".partner.example" is everything within partner.example, not the domain itself, nor a
    // name that merely ends in the same letters.
    CHECK(group_of(client("203.0.113.9", "partner.example")) == "default");
    CHECK(group_of(client("203.0.113.9", "xpartner.example")) == "default");

    // IDN: the client's name is compared by its A-labels.
    CHECK(group_of(client("203.0.113.9", "müller.example")) == "NAMED");
    CHECK(group_of(client("203.0.113.9", "xn--mller-kva.example")) == "NAMED");
    CHECK(client("203.0.113.9", "Müller.Example").client_name == "xn--mller-kva.example");
}

TEST_CASE("policy: a client without a name matches no name member, and says so",
          "[config][policy]") {
    const auto e = client("203.0.113.9");
    CHECK_FALSE(e.match);
    REQUIRE(e.caveats.size() >= 2);
    CHECK(e.caveats[0].find("no --client-name") != std::string::npos);
    CHECK(e.caveats[0].find("members of PARTNERS, V6, NAMED were not tried") != std::string::npos);
    // Matched before any group with name members: nothing was left untried.
    CHECK(client("198.51.100.7").caveats[0].find("no --client-name") == std::string::npos);
    CHECK(e.caveats[1].find("verified reverse name") != std::string::npos);
    CHECK(e.caveats[1].find("'unknown'") != std::string::npos);
}

TEST_CASE("policy: Postfix caveats for Required and Off groups", "[config][policy]") {
    const auto required = client("198.51.100.8");
    bool reply = false;
    for (const auto& c : required.caveats) {
        reply = reply || c.find("450 4.7.1 Session encryption is required") != std::string::npos;
    }
    CHECK(reply);
    const auto off_by_name = client("203.0.113.9", "müller.example");
    CHECK(off_by_name.caveats.back().find("by client address only") != std::string::npos);
    const auto off_by_address = client("10.0.0.1");
    CHECK(off_by_address.caveats.back().find("by client address only") == std::string::npos);
}

TEST_CASE("policy: unknown listeners and malformed clients are refused naming the rule",
          "[config][policy]") {
    const auto c = inbound();
    CHECK(error_of([&] { (void)explain_client(c, {"Nope", "192.0.2.1", ""}); }) == Errc::not_found);
    CHECK(message_of([&] {
              (void)explain_client(c, {"Nope", "192.0.2.1", ""});
          }).find("listeners: IncomingMail, Relay") != std::string::npos);
    for (const char* bad : {"", "300.1.1.1", "192.0.2.0/24", "mx.example.com", "[::1]"}) {
        INFO(bad);
        CHECK(error_of([&] {
                  (void)explain_client(c, {"IncomingMail", bad, ""});
              }) == Errc::invalid_argument);
    }
    for (const char* bad : {".partner.example", "a b", "192.0.2.1", "-x.example"}) {
        INFO(bad);
        CHECK(error_of([&] {
                  (void)explain_client(c, {"IncomingMail", "192.0.2.1", bad});
              }) == Errc::invalid_argument);
    }
    CHECK(message_of([&] {
              (void)explain_client(c, {"IncomingMail", "x", ""});
          }).find("IPv4 or IPv6 address") != std::string::npos);
}

TEST_CASE("policy: the exact row wins, then the longest parent row, then the default",
          "[config][policy]") {
    const auto c = outbound({{"example.com", TlsMode::required},
                             {".example.com", TlsMode::preferred},
                             {".b.example.com", TlsMode::required_verify},
                             {"b.example.com", TlsMode::preferred_verify}},
                            TlsMode::none);
    const auto exact = explain_domain(c, "Example.COM.");
    CHECK(exact.domain == "example.com");
    CHECK(exact.row == RowKind::exact);
    CHECK(exact.row_domain == "example.com");
    CHECK(exact.mode == TlsMode::required);

    const auto parent = explain_domain(c, "mail.example.com");
    CHECK(parent.row == RowKind::parent);
    CHECK(parent.row_domain == ".example.com");
    CHECK(parent.mode == TlsMode::preferred);

    const auto closest = explain_domain(c, "x.y.b.example.com");
    CHECK(closest.row_domain == ".b.example.com");
    CHECK(closest.mode == TlsMode::required_verify);
    // b.example.com has its own row; ".b.example.com" is only for what lies below it.
    CHECK(explain_domain(c, "b.example.com").row == RowKind::exact);
    CHECK(explain_domain(c, "b.example.com").mode == TlsMode::preferred_verify);

    for (const char* d : {"example.net", "notexample.com", "com"}) {
        INFO(d);
        const auto e = explain_domain(c, d);
        CHECK(e.row == RowKind::default_row);
        CHECK(e.row_domain.empty());
        CHECK(e.mode == TlsMode::none);
    }
    // Only a parent row: the domain itself falls to the default.
    const auto only_parent = outbound({{".example.org", TlsMode::required}}, TlsMode::preferred);
    CHECK(explain_domain(only_parent, "example.org").row == RowKind::default_row);
    CHECK(explain_domain(only_parent, "example.org").mode == TlsMode::preferred);
    CHECK(explain_domain(only_parent, "a.example.org").mode == TlsMode::required);
}

TEST_CASE("policy: IDN domains match rows by their A-labels", "[config][policy]") {
    const auto c =
        outbound({{"bücher.example", TlsMode::required}, {".münchen.example", TlsMode::preferred}});
    CHECK(explain_domain(c, "BÜCHER.example").row == RowKind::exact);
    CHECK(explain_domain(c, "xn--bcher-kva.example").mode == TlsMode::required);
    const auto sub = explain_domain(c, "mail.münchen.example");
    CHECK(sub.domain == "mail.xn--mnchen-3ya.example");
    CHECK(sub.row_domain == ".xn--mnchen-3ya.example");
}

TEST_CASE("policy: malformed domains and .parent forms are refused", "[config][policy]") {
    const auto c = outbound({});
    for (const char* bad : {"", ".example.com", "exa mple.com", "-x.example", "192.0.2.1"}) {
        INFO(bad);
        CHECK(error_of([&] { (void)explain_domain(c, bad); }) == Errc::invalid_argument);
    }
    CHECK(message_of([&] {
              (void)explain_domain(c, ".example.com");
          }).find("a .example.com destination row covers its subdomains") != std::string::npos);
}

TEST_CASE("policy: each mode's outcomes are tls_policy's delivery table", "[config][policy]") {
    for (const TlsMode mode : k_tls_modes) {
        const auto e = explain_domain(outbound({}, mode), "example.com");
        INFO(tls_mode_name(mode));
        REQUIRE(e.outcomes.size() == 5);
        for (const auto& row : e.outcomes) {
            const Delivery d = delivery(mode, row.outcome);
            CHECK(row.delivery.delivered == d.delivered);
            CHECK(row.delivery.encrypted == d.encrypted);
            CHECK(row.result == delivery_result(d));
        }
        CHECK_FALSE(e.meaning.empty());
    }
    const auto preferred = explain_domain(outbound({}, TlsMode::preferred), "example.com");
    CHECK(preferred.outcomes[2].result == "delivered in the clear");  // B
    CHECK(preferred.outcomes[3].result == "deferred");                // A: no fallback
    const auto rv = explain_domain(outbound({}, TlsMode::required_verify), "example.com");
    CHECK(rv.outcomes[0].result == "delivered encrypted, verified");
    CHECK(rv.outcomes[1].result == "deferred");
}

TEST_CASE("policy: Postfix caveats by mode, and the alert for required modes", "[config][policy]") {
    const auto caveats = [](TlsMode mode, bool alert = false) {
        auto c = outbound({}, mode);
        c.alert_on_required_failure = alert;
        std::string all;
        for (const auto& s : explain_domain(c, "example.com").caveats) {
            all += s + "\n";
        }
        return all;
    };
    CHECK(caveats(TlsMode::none).empty());
    CHECK(caveats(TlsMode::required).empty());
    CHECK(caveats(TlsMode::preferred).find("retries in the clear") != std::string::npos);
    const auto pv = caveats(TlsMode::preferred_verify);
    CHECK(pv.find("no exact Postfix equivalent") != std::string::npos);
    CHECK(pv.find("Verified, Trusted or Untrusted") != std::string::npos);
    CHECK(pv.find("retries in the clear") != std::string::npos);
    CHECK(caveats(TlsMode::required_verify).find("secure") != std::string::npos);
    CHECK(caveats(TlsMode::required, true).find("sends an alert") != std::string::npos);
    CHECK(caveats(TlsMode::preferred, true).find("sends an alert") == std::string::npos);
}

TEST_CASE("policy: --probe reads the MX hosts' outcomes through the row's mode",
          "[config][policy]") {
    const auto e =
        explain_domain(outbound({{"example.test", TlsMode::required_verify}}), "example.test");
    MxReport report;
    report.domain = "example.test";
    SECTION("the first host that takes the mail as demanded") {
        report.hosts = {host("mx1.example.test", 10, ProbeOutcome::unverified),
                        host("mx2.example.test", 20, ProbeOutcome::verified)};
        const auto a = probe_answer(e, report);
        CHECK(a.host == "mx2.example.test");
        CHECK(a.delivery.as_demanded);
        CHECK(a.verdict == "would be delivered encrypted, verified (via mx2.example.test)");
        CHECK(a.delivery.delivered == report.delivery(e.mode).delivered);
    }
    SECTION("none does: the most preferred host says why") {
        report.hosts = {host("mx1.example.test", 10, ProbeOutcome::after_starttls),
                        host("mx2.example.test", 20, ProbeOutcome::before_tls)};
        const auto a = probe_answer(e, report);
        CHECK(a.host == "mx1.example.test");
        CHECK_FALSE(a.delivery.as_demanded);
        CHECK(a.verdict.starts_with("would be deferred: no MX host takes it as Required-Verify"));
        CHECK(a.verdict.find("mx1.example.test: STARTTLS got its 220") != std::string::npos);
    }
    SECTION("Preferred takes a host without TLS in the clear") {
        const auto p = explain_domain(outbound({}, TlsMode::preferred), "example.test");
        report.hosts = {host("mx1.example.test", 10, ProbeOutcome::before_tls)};
        CHECK(probe_answer(p, report).verdict ==
              "would be delivered in the clear (via mx1.example.test)");
    }
    SECTION("no hosts") {
        const auto a = probe_answer(e, report);
        CHECK_FALSE(a.delivery.delivered);
        CHECK(a.verdict.find("no mail host") != std::string::npos);
    }
}

TEST_CASE("policy: 10,000 destination rows are matched in one pass", "[config][policy]") {
    Configuration c;
    for (int i = 0; i < 10000; ++i) {
        c.destinations.push_back(Destination{
            (i % 2 == 0 ? "." : "") + std::string{"d"} + std::to_string(i) + ".example.com",
            TlsMode::required});
    }
    c.destinations.push_back(Destination{".example.com", TlsMode::preferred});
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 1000; ++i) {
        const auto e = explain_domain(c, "mx.d" + std::to_string(i * 2) + ".example.com");
        REQUIRE(e.row == RowKind::parent);
        REQUIRE(e.row_domain == ".d" + std::to_string(i * 2) + ".example.com");
    }
    const auto ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    // 1,000 queries over 10,001 rows: linear work is ~10^7 comparisons, well under a second
    // even unoptimised under sanitizers; quadratic work would be ~10^11.
    CHECK(ms < 20000);
    CHECK(explain_domain(c, "x.example.com").row_domain == ".example.com");
}

}  // namespace certtool::config
