// acme renew: what is due, with the remembered settings, then one commit for the services
// using it; acme revoke (acme.hpp).
#include "acme_common.hpp"
#include "config_common.hpp"
#include "remedies.hpp"
#include "render.hpp"

#include <certtool/acme.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <chrono>
#include <filesystem>

namespace certtool::cli {

namespace {

struct AcmeRenewOptions {
    std::string name;
    bool all{false};
    bool force{false};
    bool no_commit{false};
    std::string server;
    std::string ca_bundle;
    std::string cn;
    std::vector<std::string> sans;
    std::string key_type;
    bool reuse_key{false};
    bool new_key{false};
    ChallengeOptions challenge;
    std::string preferred_chain;
    std::vector<std::string> trust;
    int timeout{30};

    [[nodiscard]] bool overrides() const {
        return !server.empty() || !ca_bundle.empty() || !cn.empty() || !sans.empty() ||
               !key_type.empty() || reuse_key || new_key || challenge.given() ||
               !preferred_chain.empty();
    }
};

// The request for one entry: what was given on the command line over what is remembered.
AcmeRenewRequest renew_request(const AcmeRenewOptions& opt,
                               const std::string& name,
                               const std::optional<AcmeEntrySettings>& remembered) {
    AcmeRenewRequest r;
    r.name = name;
    r.force = opt.force;
    r.timeout = std::chrono::seconds{opt.timeout};
    r.trust.assign(opt.trust.begin(), opt.trust.end());
    r.remedies = acme_issue_remedies(name);
    if (!opt.server.empty()) {
        r.server = resolve_acme_server(opt.server);
    }
    if (!opt.ca_bundle.empty()) {
        r.ca_bundle = std::filesystem::absolute(opt.ca_bundle);
    }
    if (!opt.cn.empty()) {
        r.common_name = opt.cn;
    }
    if (!opt.sans.empty()) {
        r.sans = opt.sans;
    }
    if (!opt.key_type.empty()) {
        r.key_type = *parse_key_type(opt.key_type);  // validated by CLI::IsMember
    }
    if (opt.reuse_key || opt.new_key) {
        r.reuse_key = opt.reuse_key;
    }
    if (opt.challenge.given()) {
        r.challenge =
            opt.challenge.over(remembered ? remembered->challenge : AcmeChallengeSettings{});
    }
    if (!opt.preferred_chain.empty()) {
        r.preferred_chain = opt.preferred_chain == "default" ? "" : opt.preferred_chain;
    }
    return r;
}

nlohmann::json due_json(const AcmeRenewResult& r) {
    return {{"name", r.name},
            {"due", r.due.due},
            {"reason", r.due.reason},
            {"renew_at", format_time(r.due.renew_at)},
            {"renewal_info", r.due.from_ari},
            {"explanation_url", r.due.explanation_url},
            {"renewed", r.issued.has_value()}};
}

ExitCode run_acme_renew(const AcmeRenewOptions& opt, const Common& common, Output& out) {
    if (opt.all == !opt.name.empty()) {
        throw Error(Errc::invalid_argument, "acme renew takes an entry NAME or --all (not both)");
    }
    if (opt.all && opt.overrides()) {
        throw Error(Errc::invalid_argument,
                    "acme renew --all uses each entry's remembered settings: change one with "
                    "certtool acme renew NAME --OPTION ...");
    }
    Store store = open_store(common);
    std::vector<std::string> names;
    if (opt.all) {
        for (const auto& s : acme_entries(store)) {
            names.push_back(s.name);
        }
        if (names.empty()) {
            out.note("no entry was issued through certtool acme: nothing to renew");
        }
    } else {
        names.push_back(opt.name);
    }
    std::vector<std::string> renewed;
    std::optional<Error> first_failure;
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& name : names) {
        if (opt.all && !store.contains(name)) {
            out.note(fmt::format("'{}' was deleted from the store: its ACME settings are skipped",
                                 name));
            continue;
        }
        try {
            const AcmeRenewResult r =
                renew_acme_certificate(store,
                                       renew_request(opt, name, acme_entry_settings(store, name)),
                                       std::chrono::system_clock::now());
            nlohmann::json j = due_json(r);
            if (r.issued) {
                renewed.push_back(name);
                j["entry"] = issue_json(*r.issued);
                if (!out.json()) {
                    out.text() << issued_line("renewed", *r.issued);
                }
                report_issue(out, *r.issued);
            } else if (!out.json()) {
                out.text() << fmt::format("'{}' is not due: {}\n", name, r.due.reason);
            }
            entries.push_back(std::move(j));
        } catch (const Error& e) {
            if (!opt.all) {
                throw;
            }
            out.warn(fmt::format("'{}' was not renewed: {}", name, e.what()));
            entries.push_back({{"name", name}, {"renewed", false}, {"error", e.what()}});
            if (!first_failure) {
                first_failure = e;
            }
        }
    }
    if (out.json()) {
        out.result()["entries"] = std::move(entries);
    }
    redeploy_replaced(store, renewed, !opt.no_commit, out);
    if (first_failure) {
        return exit_code_for(first_failure->code());
    }
    return ExitCode::ok;
}

struct AcmeRevokeOptions {
    std::string name;
    std::string reason{"unspecified"};
    std::string server;
    std::string ca_bundle;
};

ExitCode run_acme_revoke(const AcmeRevokeOptions& opt, const Common& common, Output& out) {
    AcmeRevokeRequest request;
    request.name = opt.name;
    request.reason = opt.reason;
    if (!opt.server.empty()) {
        AcmeConnection c;
        c.server = resolve_acme_server(opt.server);
        if (!opt.ca_bundle.empty()) {
            c.ca_bundle = opt.ca_bundle;
        }
        request.connection = c;
    }
    Store store = open_store(common);
    const AcmeRevokeResult r =
        revoke_acme_certificate(store, request, std::chrono::system_clock::now());
    if (out.json()) {
        out.result() = {{"name", opt.name},
                        {"server", r.server},
                        {"serial", r.serial},
                        {"reason", r.reason},
                        {"signed_with_certificate_key", r.signed_with_certificate_key},
                        {"requests", r.requests}};
    } else {
        out.text() << fmt::format(
            "revoked '{}' (serial {}) at {}: {}\n", opt.name, r.serial, r.server, r.reason);
    }
    out.note(
        fmt::format("the entry keeps the revoked certificate until certtool acme renew {} "
                    "(due at once now)",
                    opt.name));
    return ExitCode::ok;
}

}  // namespace

void add_acme_renew(CLI::App& group, Dispatch& dispatch) {
    auto opt = std::make_shared<AcmeRenewOptions>();
    auto* sub = group.add_subcommand(
        "renew",
        "renew what is due (the CA's renewal window, else a third of the lifetime left), then "
        "commit it to every service that uses it");
    add_common(*sub, dispatch.common);
    sub->add_option("NAME", opt->name, "entry name");
    sub->add_flag("--all", opt->all, "every entry issued through certtool acme (for a timer)");
    sub->add_flag("--force", opt->force, "renew now, due or not");
    sub->add_flag("--no-commit",
                  opt->no_commit,
                  "store the new certificate only: certtool commit deploys it later");
    add_connection_options(*sub, opt->server, opt->ca_bundle);
    sub->add_option("--cn", opt->cn, "a new host name for the certificate");
    sub->add_option("--san", opt->sans, "the DNS names besides the CN, replacing the remembered");
    sub->add_option("--key-type", opt->key_type, "a new key of this type")
        ->check(CLI::IsMember(key_type_names()));
    auto* reuse = sub->add_flag(
        "--reuse-key", opt->reuse_key, "keep the entry's key (remembered for later renewals)");
    sub->add_flag("--new-key", opt->new_key, "a new key at each renewal (the default)")
        ->excludes(reuse);
    add_challenge_options(*sub, opt->challenge, false);
    sub->add_option("--preferred-chain",
                    opt->preferred_chain,
                    "the alternate chain whose top issuer has this common name ('default': "
                    "the CA's)")
        ->type_name("ISSUER");
    add_trust_option(*sub, opt->trust, "check the issued chain against these trust anchors");
    sub->add_option("--timeout", opt->timeout, "seconds for each request to the CA (30)")
        ->check(CLI::Range(1, 600));
    sub->footer(footer({"certtool acme renew --all",
                        "certtool acme renew mail --force --reuse-key",
                        "certtool acme renew mail --challenge webroot --webroot /var/www/html",
                        "certtool acme renew --all --no-commit --json"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        return run_acme_renew(*opt, common, out);
    };
}

void add_acme_revoke(CLI::App& group, Dispatch& dispatch) {
    auto opt = std::make_shared<AcmeRevokeOptions>();
    auto* sub = group.add_subcommand("revoke", "revoke the entry's certificate at the CA");
    add_common(*sub, dispatch.common);
    sub->add_option("NAME", opt->name, "entry name")->required();
    sub->add_option("--reason",
                    opt->reason,
                    "unspecified, keyCompromise (signed with the certificate's own key), "
                    "affiliationChanged, superseded or cessationOfOperation")
        ->check(CLI::IsMember(acme_revocation_reasons()));
    add_connection_options(*sub, opt->server, opt->ca_bundle);
    sub->footer(footer({"certtool acme revoke mail --reason superseded",
                        "certtool acme revoke mail --reason keyCompromise"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        return run_acme_revoke(*opt, common, out);
    };
}

}  // namespace certtool::cli
