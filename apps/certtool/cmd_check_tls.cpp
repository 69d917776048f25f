#include "cli.hpp"
#include "render.hpp"

#include <certtool/smtp_probe.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

namespace certtool::cli {

namespace {

struct CheckTlsCliOptions {
    std::string target;  // HOST[:PORT]
    std::string mx;
    unsigned port{0};
    bool starttls_smtp{false};
    std::string starttls;
    bool implicit_tls{false};
    bool plain{false};
    std::string trust;
    std::string at;
    double timeout{10};
    std::string ehlo;
    std::string from;
    std::vector<std::string> hostnames;
    std::string dns_server;
    std::string policy;
    std::string expect;
    std::string profile{"rfc5280"};
};

ExitCode run_check_tls(const CheckTlsCliOptions& opt, const Common& common, Output& out) {
    if (opt.target.empty() == opt.mx.empty()) {
        throw Error(Errc::invalid_argument,
                    "give HOST[:PORT] or --mx DOMAIN (not both): certtool check-tls "
                    "mail.example.com, or certtool check-tls --mx example.com");
    }
    if (!opt.starttls.empty() && opt.starttls != "smtp") {
        throw Error(
            Errc::invalid_argument,
            fmt::format("--starttls {} is not supported; use --starttls smtp", opt.starttls));
    }
    std::optional<TlsMode> policy;
    if (!opt.policy.empty()) {
        policy = parse_tls_mode(opt.policy);
        if (!policy) {
            throw Error(Errc::invalid_argument,
                        fmt::format("--policy '{}' is not a TLS mode; use none, preferred, "
                                    "required, preferred-verify or required-verify",
                                    opt.policy));
        }
    }
    const ProbeTarget target =
        opt.mx.empty() ? ProbeTarget::parse(opt.target) : ProbeTarget{opt.mx, std::nullopt};
    const auto port =
        static_cast<std::uint16_t>(opt.port != 0 ? opt.port : target.port.value_or(25));

    ProbeOptions po;
    po.mode = opt.implicit_tls        ? ProbeMode::implicit_tls
              : opt.plain             ? ProbeMode::plain
              : !opt.starttls.empty() ? ProbeMode::starttls
                                      : default_probe_mode(port);
    po.timeout = std::chrono::milliseconds{static_cast<long>(opt.timeout * 1000)};
    po.ehlo_name = opt.ehlo;
    if (!opt.from.empty()) {
        po.mail_from = opt.from;
    }
    for (const auto& h : opt.hostnames) {
        (void)SubjectAltName::parse(h);  // reject a bad --hostname before connecting
        po.hostnames.push_back(h);
    }
    if (!opt.at.empty()) {
        po.verify.at = parse_time(opt.at);
    }
    po.verify.profile = parse_profile(opt.profile).value_or(Profile::rfc5280);
    if (!opt.dns_server.empty()) {
        po.dns_server = DnsServer::parse(opt.dns_server);
    }
    std::optional<Entry> expected;
    if (!opt.expect.empty()) {
        expected = open_store(common).get(opt.expect);
    }
    const TrustStore trust = trust_from_option(opt.trust);

    std::vector<ProbeResult*> results;
    std::optional<MxReport> mx;
    std::optional<ProbeResult> single;
    if (!opt.mx.empty()) {
        mx = probe_mx(opt.mx, port, trust, po);
        for (auto& h : mx->hosts) {
            results.push_back(&h);
        }
    } else {
        single = probe_smtp(target.host, port, trust, po);
        results.push_back(&*single);
    }
    if (expected) {
        for (auto* r : results) {
            check_expected_certificate(*r, expected->certificate, opt.expect);
        }
    }

    if (out.json()) {
        out.result() = mx ? mx_report_json(*mx, trust) : probe_json(*single, trust);
    } else if (mx) {
        print_mx_report(out.text(), *mx);
    } else {
        print_probe(out.text(), *single, trust);
    }
    if (policy) {
        const Delivery d = mx ? mx->delivery(*policy) : delivery(*policy, single->outcome);
        if (!out.json()) {
            out.note(fmt::format("policy {}: {}", tls_mode_name(*policy), d.text()));
        }
        return d.as_demanded ? ExitCode::ok : ExitCode::check_failed;
    }
    const bool all_good = std::all_of(
        results.begin(), results.end(), [](const ProbeResult* r) { return probe_passed(*r); });
    return all_good ? ExitCode::ok : ExitCode::check_failed;
}

}  // namespace

void add_check_tls(CLI::App& app, Dispatch& dispatch) {
    auto opt = std::make_shared<CheckTlsCliOptions>();
    auto* sub = app.add_subcommand(
        "check-tls", "probe a live SMTP server's STARTTLS and say what each TLS mode would do");
    sub->add_option("HOST", opt->target, "server to probe, HOST[:PORT] (default port 25)");
    sub->add_option("--mx", opt->mx, "probe every MX host of DOMAIN concurrently")
        ->type_name("DOMAIN");
    sub->add_option("--port", opt->port, "port (default 25, or the one in HOST:PORT)")
        ->check(CLI::Range(1, 65535));
    auto* starttls = sub->add_option("--starttls",
                                     opt->starttls,
                                     "STARTTLS protocol: smtp (the default except on port 465)")
                         ->type_name("smtp");
    auto* tls = sub->add_flag("--tls", opt->implicit_tls, "implicit TLS (the default on port 465)");
    auto* plain = sub->add_flag(
        "--plain", opt->plain, "SMTP in clear: never send STARTTLS (report whether it is offered)");
    starttls->excludes(tls)->excludes(plain);
    tls->excludes(plain);
    add_trust_option(*sub, opt->trust, "trust anchors (default: the system trust store)");
    sub->add_option("--hostname",
                    opt->hostnames,
                    "another name the certificate must match (repeatable; the host or MX name "
                    "always counts unless HOST is an IP address)")
        ->type_name("NAME");
    sub->add_option("--at", opt->at, "validation time, RFC 3339 (default: now)")->type_name("TIME");
    sub->add_option("--timeout", opt->timeout, "seconds allowed per phase (default 10)")
        ->check(CLI::Range(0.05, 600.0));
    sub->add_option("--ehlo", opt->ehlo, "EHLO name (default: this host's FQDN, else [address])")
        ->type_name("NAME");
    sub->add_option("--from", opt->from, "also test MAIL FROM:<ADDR> (then RSET; nothing is sent)")
        ->type_name("ADDR");
    sub->add_option("--dns-server",
                    opt->dns_server,
                    "resolve MX and host names with this server: IPv4[:PORT], IPv6 or "
                    "[IPv6]:PORT")
        ->type_name("IP[:PORT]");
    sub->add_option("--policy",
                    opt->policy,
                    "exit 0 if mail would be delivered as this TLS mode demands, 1 if not: none, "
                    "preferred, required, preferred-verify, required-verify")
        ->type_name("MODE");
    sub->add_option("--expect",
                    opt->expect,
                    "store entry whose certificate the server should present (finds stale "
                    "deployments)")
        ->type_name("NAME");
    sub->add_option("--profile", opt->profile, "verification profile: openssl, rfc5280, webpki")
        ->check(CLI::IsMember({"openssl", "rfc5280", "webpki"}));
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool check-tls mail.example.com",
                        "certtool check-tls --mx example.com --policy required-verify",
                        "certtool check-tls 192.0.2.25:587 --hostname mail.example.com --json",
                        "certtool check-tls mail.example.com --expect mail"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        return run_check_tls(*opt, common, out);
    };
}

}  // namespace certtool::cli
