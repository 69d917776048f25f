// acme issue: a certificate for an entry from an ACME CA, the names proven by the challenge
// (acme.hpp).
#include "acme_common.hpp"
#include "config_common.hpp"
#include "remedies.hpp"
#include "render.hpp"

#include <certtool/acme.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <chrono>

namespace certtool::cli {

namespace {

struct AcmeIssueOptions {
    std::string name;
    std::string server;
    std::string ca_bundle;
    std::string cn;
    std::vector<std::string> sans;
    std::string key_type{key_type_name(k_default_key_type)};
    ChallengeOptions challenge;
    std::string preferred_chain;
    std::vector<std::string> trust;
    bool force{false};
};

ExitCode run_acme_issue(const AcmeIssueOptions& opt, const Common& common, Output& out) {
    AcmeIssueRequest request;
    request.connection.server = resolve_acme_server(opt.server);
    if (!opt.ca_bundle.empty()) {
        request.connection.ca_bundle = opt.ca_bundle;
    }
    request.name = opt.name;
    request.subject.common_name = opt.cn;
    request.sans = opt.sans;
    request.key_type = *parse_key_type(opt.key_type);  // validated by CLI::IsMember
    request.challenge = opt.challenge.over({});
    request.preferred_chain = opt.preferred_chain;
    request.trust.assign(opt.trust.begin(), opt.trust.end());
    request.remedies = acme_issue_remedies(opt.name);
    request.force = opt.force;
    Store store = open_store(common);
    const AcmeIssueResult r =
        issue_acme_certificate(store, request, std::chrono::system_clock::now());
    if (out.json()) {
        out.result() = issue_json(r);
    } else {
        out.text() << issued_line("issued", r);
    }
    report_issue(out, r);
    return ExitCode::ok;
}

}  // namespace

void add_acme_issue(CLI::App& group, Dispatch& dispatch) {
    auto opt = std::make_shared<AcmeIssueOptions>();
    auto* sub = group.add_subcommand(
        "issue", "a certificate from the ACME server for a new key, stored as entry NAME");
    add_common(*sub, dispatch.common);
    sub->add_option("NAME", opt->name, "entry name")->required();
    add_connection_options(*sub, opt->server, opt->ca_bundle);
    sub->get_option("--server")->required();
    sub->add_option("--cn", opt->cn, "host name (also the first DNS name of the order)")
        ->required();
    sub->add_option("--san", opt->sans, "another DNS:name (repeatable; DNS:*.x with dns-01)");
    sub->add_option(
           "--key-type",
           opt->key_type,
           fmt::format("the new key's type (default {})", key_type_name(k_default_key_type)))
        ->check(CLI::IsMember(key_type_names()));
    add_challenge_options(*sub, opt->challenge, true);
    sub->add_option("--preferred-chain",
                    opt->preferred_chain,
                    "store the CA's alternate chain whose top issuer has this common name, when "
                    "it offers one")
        ->type_name("ISSUER");
    add_trust_option(*sub, opt->trust, "check the issued chain against these trust anchors");
    sub->add_flag("--force", opt->force, "replace an existing entry of that name");
    sub->footer(
        footer({"certtool acme issue mail --server letsencrypt --cn mail.example.com "
                "--san DNS:smtp.example.com --challenge http-01",
                "certtool acme issue www --server letsencrypt --cn www.example.com --challenge "
                "webroot --webroot /var/www/html",
                "certtool acme issue wild --server letsencrypt --cn example.com --san "
                "'DNS:*.example.com' --challenge dns-01 --dns-hook /etc/certtool/nsupdate-hook",
                "certtool acme issue mx --server https://127.0.0.1:14000/dir --ca-bundle "
                "pebble-https-ca.pem --cn mx.example.test --challenge tls-alpn-01 --tls-port "
                "5001 --listen-address 127.0.0.1"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        return run_acme_issue(*opt, common, out);
    };
}

}  // namespace certtool::cli
