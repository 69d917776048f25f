#include "cli.hpp"
#include "remedies.hpp"
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
    VerificationCliOptions verification;  // --trust, --hostname, --at, --profile
    double timeout{10};
    double deadline{0};  // 0: the library's default (a multiple of the timeout)
    std::string ehlo;
    std::string from;
    std::string dns_server;
    std::string policy;
    std::string expect;
};

// The options as the library's request: mapping only (check-tls's rules live in TlsCheckPlan).
TlsCheckRequest request_for(const CheckTlsCliOptions& opt) {
    TlsCheckRequest req;
    req.target = opt.target;
    req.mx_domain = opt.mx;
    if (opt.port != 0) {
        req.port = static_cast<std::uint16_t>(opt.port);
    }
    req.starttls = opt.starttls;
    req.implicit_tls = opt.implicit_tls;
    req.plain = opt.plain;
    req.policy = opt.policy;
    auto& po = req.options;
    po.timeout = std::chrono::milliseconds{static_cast<long>(opt.timeout * 1000)};
    if (opt.deadline > 0) {
        po.deadline = std::chrono::milliseconds{static_cast<long>(opt.deadline * 1000)};
    }
    po.ehlo_name = opt.ehlo;
    if (!opt.from.empty()) {
        po.mail_from = opt.from;
    }
    // The probe takes --hostname as text (it decides how a name combines with HOST).
    po.hostnames = opt.verification.hostnames;
    apply_verification_options(opt.verification, po.verify);
    po.verify.remedies = check_tls_remedies();
    if (!opt.dns_server.empty()) {
        po.dns_server = DnsServer::parse(opt.dns_server);
    }
    return req;
}

ExitCode run_check_tls(const CheckTlsCliOptions& opt, const Common& common, Output& out) {
    const TlsCheckPlan plan = TlsCheckPlan::from(request_for(opt));
    std::optional<ExpectedCertificate> expected;
    if (!opt.expect.empty()) {
        expected = ExpectedCertificate{open_store(common).get(opt.expect).certificate, opt.expect};
    }
    const TrustStore trust = trust_from_option(opt.verification.trust, common);
    const TlsCheckReport report = check_tls(plan, trust, expected);
    if (out.json()) {
        out.result() =
            report.mx ? mx_report_json(*report.mx, trust) : probe_json(*report.host, trust);
    } else if (report.mx) {
        print_mx_report(out.text(), *report.mx);
    } else {
        print_probe(out.text(), *report.host, trust);
    }
    if (const auto d = report.policy_delivery(); d && !out.json()) {
        out.note(fmt::format("policy {}: {}", tls_mode_name(*report.policy), d->text()));
    }
    return report.passed() ? ExitCode::ok : ExitCode::check_failed;
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
    add_verification_options(*sub,
                             opt->verification,
                             "trust anchors (default: the store's CA lists, certtool ca list)",
                             "another name the certificate must match (repeatable; the host or MX "
                             "name always counts unless HOST is an IP address)");
    sub->add_option("--timeout", opt->timeout, "seconds allowed per phase (default 10)")
        ->check(CLI::Range(0.05, 600.0));
    sub->add_option("--deadline",
                    opt->deadline,
                    "seconds allowed for the whole probe, every phase (and with --mx every host) "
                    "included (default 3 x --timeout)")
        ->check(CLI::Range(0.05, 3600.0));
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
