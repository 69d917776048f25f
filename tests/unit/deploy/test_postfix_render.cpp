// The Postfix target's rendering: tables and managed sections for given configurations.
#include "managed_section.hpp"
#include "postfix_render.hpp"
#include "support.hpp"

#include <certtool/key.hpp>

#include <catch2/catch.hpp>

using namespace certtool;
using namespace certtool::deploy::detail;
using config::InboundTls;

namespace {

Entry demo_entry() {
    static const Entry entry = [] {
        test::Issued root = test::make_root({"mx.example.com",
                                             test::at("2025-01-01T00:00:00Z"),
                                             test::at("2035-01-01T00:00:00Z"),
                                             {"mx.example.com"}});
        return Entry{"demo",
                     std::move(root.key),
                     std::move(root.cert),
                     {},
                     {},
                     Origin::self_signed,
                     {},
                     {},
                     true};
    }();
    return entry;
}

config::Listener listener(InboundTls tls) {
    config::Listener l;
    l.name = "In";
    l.endpoint = config::parse_endpoint("127.0.0.1:2525");
    l.certificate = "demo";
    l.tls = tls;
    return l;
}

Rendering render(const config::Configuration& c, const std::string& main_cf = "") {
    RenderInput in;
    in.configuration = &c;
    in.revision = 7;
    in.config_dir = "/etc/postfix-test";
    in.entry = [](const std::string&) { return demo_entry(); };
    in.user = user_parameters(main_cf);
    return render_postfix(in);
}

std::string joined(const std::vector<std::string>& lines) {
    std::string s;
    for (const auto& l : lines) {
        s += l + "\n";
    }
    return s;
}

std::string file(const Rendering& r, const std::string& name) {
    for (const auto& f : r.files) {
        if (f.name == name) {
            return std::string{f.content.view()};
        }
    }
    return "<missing " + name + ">";
}

}  // namespace

TEST_CASE("postfix render: a listener is its own smtpd service", "[deploy]") {
    config::Configuration c;
    c.listeners.push_back(listener(InboundTls::preferred));
    const Rendering r = render(c);
    const std::string master = joined(r.master_lines);
    CHECK_THAT(master, Catch::Contains("127.0.0.1:2525 inet n - n - - smtpd"));
    CHECK_THAT(master,
               Catch::Contains(
                   "-o smtpd_tls_chain_files=/etc/postfix-test/certtool/rev-7/listener-In.pem"));
    CHECK_THAT(master, Catch::Contains("-o smtpd_tls_security_level=may"));
    CHECK_THAT(master, Catch::Contains("-o syslog_name=postfix/In"));
    CHECK_THAT(file(r, "listener-In.pem"), Catch::Contains("PRIVATE KEY"));
    CHECK_THAT(joined(r.main_lines), Catch::Contains("smtp_tls_security_level = none"));
    SECTION("Off and Required map to none and encrypt") {
        c.listeners[0].tls = InboundTls::off;
        CHECK_THAT(joined(render(c).master_lines),
                   Catch::Contains("smtpd_tls_security_level=none"));
        c.listeners[0].tls = InboundTls::required;
        CHECK_THAT(joined(render(c).master_lines),
                   Catch::Contains("smtpd_tls_security_level=encrypt"));
    }
}

TEST_CASE("postfix render: sender groups, first match wins, never a permit", "[deploy]") {
    config::Configuration c;
    auto l = listener(InboundTls::required);
    l.groups.push_back(
        {"Trusted",
         1,
         {config::parse_member("10.0.0.0/8"), config::parse_member(".partner.example")},
         InboundTls::preferred});
    l.groups.push_back({"Strict", 2, {config::parse_member("10.1.2.3")}, InboundTls::required});
    l.groups.push_back({"Clear", 3, {config::parse_member("192.0.2.7")}, InboundTls::off});
    c.listeners.push_back(l);
    const Rendering r =
        render(c, "smtpd_client_restrictions = permit_mynetworks, reject_rbl_client x\n");
    const std::string cidr = file(r, "In-clients.cidr");
    CHECK(cidr ==
          "10.0.0.0/8 DUNNO\n10.1.2.3 reject_plaintext_session\n192.0.2.7 DUNNO\n"
          "0.0.0.0/0 reject_plaintext_session\n::/0 reject_plaintext_session\n");
    CHECK(file(r, "In-clients.regexp") == "/\\.partner\\.example$/ DUNNO\n");
    CHECK(file(r, "In-ehlo.cidr") ==
          "10.0.0.0/8 silent-discard\n10.1.2.3 silent-discard\n192.0.2.7 starttls\n");
    const std::string master = joined(r.master_lines);
    CHECK_THAT(master, Catch::Contains("smtpd_tls_security_level=may"));
    // certtool's checks come first, the user's list after them, unchanged.
    CHECK_THAT(master,
               Catch::Contains("cidr:/etc/postfix-test/certtool/rev-7/In-clients.cidr, "
                               "permit_mynetworks, reject_rbl_client x }"));
    CHECK_THAT(master, Catch::Contains("smtpd_delay_reject=yes"));
    for (const auto& f : r.files) {
        if (f.name.find("clients") != std::string::npos ||
            f.name.find("ehlo") != std::string::npos) {
            INFO(f.name);
            CHECK_THAT(std::string{f.content.view()},
                       !Catch::Contains("OK") && !Catch::Contains("permit"));
        }
    }
    CHECK_FALSE(r.caveats.empty());
    CHECK_FALSE(r.warnings.empty());  // the user's smtpd_client_restrictions is copied
}

TEST_CASE("postfix render: destination controls as a TLS policy table", "[deploy]") {
    config::Configuration c;
    c.destinations = {{"example.com", TlsMode::required},
                      {".example.com", TlsMode::preferred_verify},
                      {"bank.example", TlsMode::required_verify},
                      {"old.example", TlsMode::none}};
    c.default_tls = TlsMode::preferred;
    c.outbound_certificate = "demo";
    const Rendering r = render(c, "smtp_tls_security_level = encrypt\n");
    CHECK(file(r, "tls_policy") ==
          "example.com encrypt\n.example.com may\nbank.example secure "
          "match=hostname:nexthop:dot-nexthop\n"
          "old.example none\n");
    const std::string main = joined(r.main_lines);
    CHECK_THAT(main, Catch::Contains("smtp_tls_security_level = may"));
    CHECK_THAT(main,
               Catch::Contains(
                   "smtp_tls_policy_maps = texthash:/etc/postfix-test/certtool/rev-7/tls_policy"));
    CHECK_THAT(
        main,
        Catch::Contains("smtp_tls_chain_files = /etc/postfix-test/certtool/rev-7/outbound.pem"));
    CHECK_THAT(main, Catch::Contains("smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt"));
    CHECK_THAT(main, Catch::Contains("smtp_tls_loglevel = 1"));
    CHECK(r.warnings.size() == 1);  // the user's own smtp_tls_security_level is overridden
    CHECK(r.caveats.size() == 2);   // Preferred's fallback, Preferred-Verify's logging only
}

TEST_CASE("postfix managed section: replaced, never duplicated, user lines kept", "[deploy]") {
    const std::string user = "# mine\nmyhostname = a.example\nsmtpd_banner = x\n    continued\n";
    const std::string once = with_managed_section(user, 1, {"smtp_tls_security_level = may"});
    const std::string twice = with_managed_section(once, 2, {"smtp_tls_security_level = encrypt"});
    CHECK(without_managed_section(twice) == user);
    CHECK(managed_revision(twice) == 2);
    CHECK(twice.find("BEGIN certtool managed") == twice.rfind("BEGIN certtool managed"));
    CHECK_THAT(twice, !Catch::Contains("= may"));
    CHECK(user_parameters(twice).at("smtpd_banner").value == "x continued");
    CHECK(user_parameters(twice).count("smtp_tls_security_level") == 0);
    CHECK(managed_revision(user) == std::nullopt);
}
