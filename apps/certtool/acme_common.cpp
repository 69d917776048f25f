// The acme subcommands' shared options and output (acme_common.hpp).
#include "acme_common.hpp"

#include "render.hpp"

#include <fmt/core.h>

namespace certtool::cli {

bool ChallengeOptions::given() const {
    return !challenge.empty() || !address.empty() || http_port != 0 || tls_port != 0 ||
           !webroot.empty() || !dns_hook.empty() || hook_timeout != 0;
}

AcmeChallengeSettings ChallengeOptions::over(AcmeChallengeSettings base) const {
    if (!challenge.empty()) {
        base.type = *parse_acme_challenge(challenge);  // validated by CLI::IsMember
    }
    if (!address.empty()) {
        base.address = address;
    }
    if (http_port != 0) {
        base.http_port = http_port;
    }
    if (tls_port != 0) {
        base.tls_port = tls_port;
    }
    if (!webroot.empty()) {
        base.webroot = webroot;
    }
    if (!dns_hook.empty()) {
        base.dns_hook = dns_hook;
    }
    if (hook_timeout != 0) {
        base.hook_timeout = std::chrono::seconds{hook_timeout};
    }
    return base;
}

void add_challenge_options(CLI::App& sub, ChallengeOptions& opt, bool required) {
    auto* challenge =
        sub.add_option("--challenge",
                       opt.challenge,
                       "how names are proven: http-01 (certtool listens on --http-port), webroot "
                       "(a file under --webroot), dns-01 (--dns-hook), tls-alpn-01 (certtool "
                       "listens on --tls-port)")
            ->check(CLI::IsMember(acme_challenge_names()));
    if (required) {
        challenge->required();
    }
    sub.add_option("--http-port", opt.http_port, "http-01: the port certtool listens on (80)")
        ->check(CLI::Range(1, 65535));
    sub.add_option("--tls-port", opt.tls_port, "tls-alpn-01: the port certtool listens on (443)")
        ->check(CLI::Range(1, 65535));
    sub.add_option("--listen-address,--http-address",
                   opt.address,
                   "http-01, tls-alpn-01: the address certtool listens on (0.0.0.0)")
        ->type_name("IP");
    sub.add_option("--webroot",
                   opt.webroot,
                   "webroot: the document root the web server serves for http://NAME/ (the "
                   "token goes in .well-known/acme-challenge/)")
        ->type_name("DIR");
    sub.add_option("--dns-hook",
                   opt.dns_hook,
                   "dns-01: a command run as CMD present|cleanup _acme-challenge.NAME. VALUE, "
                   "returning once the TXT record is served")
        ->type_name("CMD");
    sub.add_option("--hook-timeout", opt.hook_timeout, "dns-01: seconds the hook may take (300)")
        ->check(CLI::Range(1, 3600))
        ->type_name("S");
}

nlohmann::json issue_json(const AcmeIssueResult& r) {
    nlohmann::json j = entry_json(r.imported.entry);
    j["acme"] = {{"server", r.server},
                 {"order", r.order_url},
                 {"certificate_url", r.certificate_url},
                 {"chain_issuer", r.chain_issuer},
                 {"authorizations", r.authorizations},
                 {"challenges_answered", r.challenges_answered},
                 {"requests", r.requests},
                 {"bad_nonce_retries", r.bad_nonce_retries}};
    return j;
}

std::string issued_line(std::string_view verb, const AcmeIssueResult& r) {
    const Entry& entry = r.imported.entry;
    return fmt::format("{} '{}' by {}: {} key, {}, until {}, {} intermediate(s)\n",
                       verb,
                       entry.name,
                       entry.certificate.issuer(),
                       entry.key.describe(),
                       entry.certificate.subject(),
                       format_time(entry.certificate.not_after()),
                       entry.chain.size());
}

void report_issue(Output& out, const AcmeIssueResult& r) {
    for (const auto& n : r.notes) {
        out.warn(n);
    }
    report_findings(out, r.imported.findings);
}

void add_connection_options(CLI::App& sub, std::string& server, std::string& ca_bundle) {
    sub.add_option("--server", server, "the directory URL, or letsencrypt[-staging]")
        ->type_name("URL");
    sub.add_option("--ca-bundle", ca_bundle, "CA certificates of the server's HTTPS")
        ->type_name("FILE")
        ->check(CLI::ExistingFile);
}

}  // namespace certtool::cli
