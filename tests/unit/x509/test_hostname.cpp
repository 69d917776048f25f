// Host-name rules (lib/src/x509/hostname.cpp) as the README's Verification section states them:
// RFC 6125 as the web PKI applies it. Each table row is one rule; a row that fails names itself.
#include "support.hpp"

#include <certtool/hostname.hpp>

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

using namespace certtool;
using certtool::test::at;

namespace {

struct DnsRow {
    const char* presented;
    const char* reference;
    bool matches;
    const char* rule;
};

// A certificate for `cn` with exactly these subjectAltName entries ("" for none).
Certificate cert_with(const std::string& cn, const std::string& san) {
    static const test::Issued k_root = test::make_root(
        {"Hostname Test Root", at("2020-01-01T00:00:00Z"), at("2040-01-01T00:00:00Z"), {}, true});
    return test::issue(k_root,
                       {cn,
                        at("2026-01-01T00:00:00Z"),
                        at("2027-01-01T00:00:00Z"),
                        {},
                        false,
                        "serverAuth",
                        {{"subjectAltName", san}}})
        .cert;
}

SubjectAltName dns(const std::string& name) {
    return {SubjectAltName::Kind::dns, name};
}

SubjectAltName ip(const std::string& address) {
    return {SubjectAltName::Kind::ip, address};
}

}  // namespace

TEST_CASE("hostname: presented DNS names against reference names", "[hostname]") {
    const std::vector<DnsRow> table{
        {"mail.example.com", "mail.example.com", true, "exact"},
        {"MAIL.Example.COM", "mail.example.com", true, "case-insensitive (presented)"},
        {"mail.example.com", "Mail.EXAMPLE.com", true, "case-insensitive (reference)"},
        {"mail.example.com", "mail.example.com.", true, "trailing dot on the reference"},
        {"mail.example.com", "mail.example.org", false, "different name"},
        {"mail.example.com", "xmail.example.com", false, "no suffix matching"},
        {"mail.example.com", "example.com", false, "no parent matching"},
        {"example.com", "mail.example.com", false, "no child matching"},
        {"*.example.com", "mail.example.com", true, "wildcard: one left-most label"},
        {"*.example.com", "MAIL.EXAMPLE.COM", true, "wildcard: case-insensitive"},
        {"*.Example.Com", "mail.example.com", true, "wildcard base: case-insensitive"},
        {"*.example.com", "example.com", false, "wildcard: never the bare base"},
        {"*.example.com", "a.b.example.com", false, "wildcard: exactly one label"},
        {"*.example.com", ".example.com", false, "wildcard: not an empty label"},
        {"*.example.com", "mail.example.com.evil", false, "wildcard: base must match"},
        {"*.com", "example.com", false, "wildcard: never over a single label"},
        {"*", "example", false, "wildcard: a lone '*'"},
        {"f*.example.com", "foo.example.com", false, "no partial wildcard (prefix)"},
        {"*o.example.com", "foo.example.com", false, "no partial wildcard (suffix)"},
        {"f*o.example.com", "foo.example.com", false, "no partial wildcard (infix)"},
        {"mail.*.com", "mail.example.com", false, "wildcard only as the left-most label"},
        {"*.*.example.com", "a.b.example.com", false, "one wildcard only"},
        {"", "mail.example.com", false, "empty presented name"},
        {"mail.example.com", "", false, "empty reference name"},
    };
    for (const auto& row : table) {
        INFO(row.rule << ": '" << row.presented << "' vs '" << row.reference << "'");
        CHECK(dns_name_matches(row.presented, row.reference) == row.matches);
    }
}

TEST_CASE("hostname: valid host names, wildcards only where allowed", "[hostname]") {
    const std::string label63(63, 'a');
    const std::string label64(64, 'a');

    struct Row {
        std::string name;
        bool allow_wildcard;
        bool valid;
    };

    const std::vector<Row> table{
        {"mail.example.com", false, true},
        {"xn--bcher-kva.example", false, true},
        {"a-b.example", false, true},
        {"-ab.example", false, false},
        {"ab-.example", false, false},
        {"a_b.example", false, false},
        {"a..example", false, false},
        {"", false, false},
        {label63 + ".example", false, true},
        {label64 + ".example", false, false},
        {"*.example.com", true, true},
        {"*.example.com", false, false},
        {"*.com", true, false},
        {"f*.example.com", true, false},
        {"mail.*.com", true, false},
    };
    for (const auto& row : table) {
        INFO("'" << row.name << "' (wildcard " << (row.allow_wildcard ? "allowed" : "refused")
                 << ")");
        CHECK(is_valid_host_name(row.name, row.allow_wildcard) == row.valid);
    }
    // 253 characters in all: 4 labels of 63 plus 3 dots is 255.
    CHECK_FALSE(is_valid_host_name(label63 + "." + label63 + "." + label63 + "." + label63, false));
}

TEST_CASE("hostname: IP addresses in canonical form", "[hostname]") {
    CHECK(canonical_ip("192.0.2.10") == std::optional<std::string>{"192.0.2.10"});
    CHECK(canonical_ip("2001:DB8:0:0:0:0:0:1") == std::optional<std::string>{"2001:db8::1"});
    CHECK(canonical_ip("::ffff:192.0.2.1") == std::optional<std::string>{"::ffff:192.0.2.1"});
    CHECK_FALSE(canonical_ip("192.0.2"));
    CHECK_FALSE(canonical_ip("mail.example.com"));
    CHECK_FALSE(canonical_ip(""));
}

TEST_CASE("hostname: the CN counts only when there is no DNS SAN", "[hostname]") {
    using F = CnFallback;
    SECTION("CN only: matches with the fallback, never under the web PKI rule") {
        const Certificate c = cert_with("mail.example.com", "");
        const NameMatch m = match_name(c, dns("MAIL.example.com"), F::when_no_dns_name);
        CHECK(m.matched);
        CHECK(m.presented == "CN=mail.example.com");
        CHECK_FALSE(match_name(c, dns("mail.example.com"), F::never).matched);
    }
    SECTION("a DNS SAN hides the CN") {
        const Certificate c = cert_with("legacy.example.com", "DNS:mail.example.com");
        CHECK_FALSE(match_name(c, dns("legacy.example.com"), F::when_no_dns_name).matched);
        const NameMatch m = match_name(c, dns("mail.example.com"), F::when_no_dns_name);
        CHECK(m.matched);
        CHECK(m.presented == "DNS:mail.example.com");
    }
    SECTION("an IP SAN alone does not hide the CN") {
        const Certificate c = cert_with("mail.example.com", "IP:192.0.2.10");
        CHECK(match_name(c, dns("mail.example.com"), F::when_no_dns_name).matched);
    }
    SECTION("a wildcard CN follows the wildcard rules") {
        const Certificate c = cert_with("*.example.com", "");
        CHECK(match_name(c, dns("mail.example.com"), F::when_no_dns_name).matched);
        CHECK_FALSE(match_name(c, dns("a.mail.example.com"), F::when_no_dns_name).matched);
    }
}

TEST_CASE("hostname: IP addresses match IP SANs only", "[hostname]") {
    using F = CnFallback;
    SECTION("IP SAN, compared in canonical form") {
        const Certificate c = cert_with("mail.example.com", "IP:2001:db8::1, IP:192.0.2.10");
        const NameMatch m = match_name(c, ip("2001:DB8:0:0::1"), F::when_no_dns_name);
        CHECK(m.matched);
        CHECK(m.presented == "IP:2001:db8::1");
        CHECK(match_name(c, ip("192.0.2.10"), F::when_no_dns_name).matched);
        CHECK_FALSE(match_name(c, ip("192.0.2.11"), F::when_no_dns_name).matched);
    }
    SECTION("an address in the CN or a DNS SAN is not an IP identity") {
        const Certificate in_cn = cert_with("192.0.2.10", "");
        CHECK_FALSE(match_name(in_cn, ip("192.0.2.10"), F::when_no_dns_name).matched);
        const Certificate in_dns = cert_with("mail.example.com", "DNS:mail.example.com");
        CHECK_FALSE(match_name(in_dns, ip("192.0.2.10"), F::when_no_dns_name).matched);
    }
    SECTION("an IP SAN is not a DNS identity") {
        const Certificate c = cert_with("mail.example.com", "IP:192.0.2.10, DNS:mail.example.com");
        CHECK_FALSE(match_name(c, dns("192.0.2.10"), F::when_no_dns_name).matched);
    }
}

TEST_CASE("hostname: email addresses, the domain part case-insensitively", "[hostname]") {
    const Certificate c = cert_with("mail.example.com", "email:postmaster@example.com");
    const SubjectAltName same{SubjectAltName::Kind::email, "postmaster@EXAMPLE.com"};
    const SubjectAltName other_local{SubjectAltName::Kind::email, "Postmaster@example.com"};
    const SubjectAltName other_domain{SubjectAltName::Kind::email, "postmaster@example.org"};
    CHECK(match_name(c, same, CnFallback::never).matched);
    CHECK_FALSE(match_name(c, other_local, CnFallback::never).matched);
    CHECK_FALSE(match_name(c, other_domain, CnFallback::never).matched);
}
