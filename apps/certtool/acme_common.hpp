// What the acme subcommands share (cmd_acme*.cpp): the challenge options of issue and renew, the
// connection options, and how an issued certificate is shown.
#pragma once

#include "cli.hpp"

#include <certtool/acme.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace certtool::cli {

// The challenge options issue and renew share. Empty or 0: not given (renew keeps the
// remembered value).
struct ChallengeOptions {
    std::string challenge;
    std::string address;
    int http_port{0};
    int tls_port{0};
    std::string webroot;
    std::string dns_hook;
    int hook_timeout{0};

    [[nodiscard]] bool given() const;
    // `base` with what was given laid over it.
    [[nodiscard]] AcmeChallengeSettings over(AcmeChallengeSettings base) const;
};

void add_challenge_options(CLI::App& sub, ChallengeOptions& opt, bool required);
void add_connection_options(CLI::App& sub, std::string& server, std::string& ca_bundle);

// The entry as JSON with an "acme" member (order, URLs, requests), its one-line summary, and its
// notes and findings as warnings.
[[nodiscard]] nlohmann::json issue_json(const AcmeIssueResult& r);
[[nodiscard]] std::string issued_line(std::string_view verb, const AcmeIssueResult& r);
void report_issue(Output& out, const AcmeIssueResult& r);

void add_acme_issue(CLI::App& group, Dispatch& dispatch);
void add_acme_renew(CLI::App& group, Dispatch& dispatch);
void add_acme_revoke(CLI::App& group, Dispatch& dispatch);

}  // namespace certtool::cli
