// acme account register|show|deactivate: an account at an ACME CA (RFC 8555), its key kept in
// the store; acme issue: a certificate for an entry, names proven by http-01 (standalone or
// webroot), dns-01 (a hook) or tls-alpn-01; acme renew: what is due, then the services using
// it committed; acme revoke (acme.hpp).
#include "cli.hpp"
#include "config_common.hpp"
#include "remedies.hpp"
#include "render.hpp"

#include <certtool/acme.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <chrono>

namespace certtool::cli {

namespace {

struct AcmeAccountOptions {
    std::string action;
    std::string server;
    std::string ca_bundle;
    std::vector<std::string> emails;
    bool agree_tos{false};
    std::string eab_kid;
    std::string eab_hmac_file;
    std::string key_type{key_type_name(KeyType::ec_p256)};
};

AcmeConnection connection_of(const AcmeAccountOptions& opt) {
    AcmeConnection c;
    c.server = resolve_acme_server(opt.server);
    if (!opt.ca_bundle.empty()) {
        c.ca_bundle = opt.ca_bundle;
    }
    return c;
}

nlohmann::json account_json(const AcmeAccountResult& r) {
    const AcmeAccount& a = r.account;
    return {{"server", a.server},
            {"url", a.url},
            {"status", a.status},
            {"contact", a.contact},
            {"key", a.key},
            {"key_thumbprint", a.key_thumbprint},
            {"terms_of_service", a.terms_of_service},
            {"eab_kid", a.eab_kid},
            {"file", a.file.string()},
            {"created", format_time(a.created)},
            {"requests", r.requests},
            {"bad_nonce_retries", r.bad_nonce_retries}};
}

void print_account(std::ostream& os, const AcmeAccount& a) {
    os << fmt::format("  server:  {}\n  status:  {}\n", a.server, a.status);
    std::string contact;
    for (const auto& c : a.contact) {
        contact += (contact.empty() ? "" : ", ") + c;
    }
    os << fmt::format("  contact: {}\n", contact.empty() ? "none" : contact);
    os << fmt::format(
        "  key:     {}, thumbprint {}\n  file:    {}\n", a.key, a.key_thumbprint, a.file.string());
}

AcmeAccountResult run_action(const AcmeAccountOptions& opt, const Store& store) {
    const auto now = std::chrono::system_clock::now();
    if (opt.action != "register") {
        if (opt.agree_tos || !opt.emails.empty() || !opt.eab_kid.empty()) {
            throw Error(Errc::invalid_argument,
                        "--email, --agree-tos and --eab-kid/--eab-hmac-file go with acme account "
                        "register only");
        }
        return opt.action == "show" ? show_acme_account(store, connection_of(opt))
                                    : deactivate_acme_account(store, connection_of(opt), now);
    }
    AcmeAccountRequest request;
    request.connection = connection_of(opt);
    request.emails = opt.emails;
    request.agree_tos = opt.agree_tos;
    request.key_type = *parse_key_type(opt.key_type);  // validated by CLI::IsMember
    if (!opt.eab_kid.empty()) {
        request.eab = ExternalAccountBinding{opt.eab_kid, read_eab_hmac_key(opt.eab_hmac_file)};
    }
    return register_acme_account(store, request, now);
}

ExitCode run_acme_account(const AcmeAccountOptions& opt, const Common& common, Output& out) {
    const AcmeAccountResult r = run_action(opt, open_store(common));
    out.result() = account_json(r);
    if (opt.action == "register") {
        out.result()["created"] = r.created;
    }
    if (!out.json()) {
        const std::string& url = r.account.url;
        if (opt.action == "register") {
            out.text() << (r.created
                               ? fmt::format("registered ACME account {}\n", url)
                               : fmt::format("ACME account {} was registered already\n", url));
        } else if (opt.action == "deactivate") {
            out.text() << fmt::format("ACME account {} is deactivated (for good)\n", url);
        } else {
            out.text() << fmt::format("ACME account {}\n", url);
        }
        print_account(out.text(), r.account);
    }
    return ExitCode::ok;
}

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

    [[nodiscard]] bool given() const {
        return !challenge.empty() || !address.empty() || http_port != 0 || tls_port != 0 ||
               !webroot.empty() || !dns_hook.empty() || hook_timeout != 0;
    }

    // `base` with what was given laid over it.
    [[nodiscard]] AcmeChallengeSettings over(AcmeChallengeSettings base) const {
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
};

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

}  // namespace

void add_acme_commands(CLI::App& app, Dispatch& dispatch) {
    auto* group = app.add_subcommand(
        "acme", "certificates from an ACME CA (RFC 8555): account, issue, renew, revoke");
    group->require_subcommand(1);
    add_common(*group, dispatch.common);

    auto opt = std::make_shared<AcmeAccountOptions>();
    auto* sub = group->add_subcommand(
        "account", "the account at an ACME server: register|show|deactivate (key in the store)");
    add_common(*sub, dispatch.common);
    sub->add_option("ACTION", opt->action, "register, show or deactivate")
        ->required()
        ->check(CLI::IsMember({"register", "show", "deactivate"}));
    sub->add_option("--server",
                    opt->server,
                    "the CA's directory URL (https://...), or letsencrypt, letsencrypt-staging")
        ->required()
        ->type_name("URL");
    sub->add_option("--ca-bundle",
                    opt->ca_bundle,
                    "CA certificates (PEM) that verify the server's HTTPS certificate instead of "
                    "the system's: a private ACME server")
        ->type_name("FILE")
        ->check(CLI::ExistingFile);
    sub->add_option("--email", opt->emails, "register: contact address (repeatable)")
        ->type_name("ADDRESS");
    sub->add_flag("--agree-tos", opt->agree_tos, "register: agree to the CA's terms of service");
    auto* kid = sub->add_option("--eab-kid",
                                opt->eab_kid,
                                "register: External Account Binding key identifier, from the CA")
                    ->type_name("KID");
    auto* hmac = sub->add_option("--eab-hmac-file",
                                 opt->eab_hmac_file,
                                 "register: the binding's HMAC key (base64url, as the CA gives "
                                 "it) in a file")
                     ->type_name("FILE")
                     ->check(CLI::ExistingFile);
    kid->needs(hmac);
    hmac->needs(kid);
    sub->add_option(
           "--key-type",
           opt->key_type,
           "register: a new account key's type (default ec-p256; ed25519 only where the CA "
           "accepts EdDSA signatures)")
        ->check(CLI::IsMember(acme_key_type_names()));
    sub->footer(footer(
        {"certtool acme account register --server letsencrypt --email admin@example.com "
         "--agree-tos",
         "certtool acme account register --server https://acme.example.net/directory --agree-tos "
         "--eab-kid kid-1 --eab-hmac-file eab.key --ca-bundle internal-ca.pem",
         "certtool acme account show --server letsencrypt --json",
         "certtool acme account deactivate --server letsencrypt-staging"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        return run_acme_account(*opt, common, out);
    };
    add_acme_issue(*group, dispatch);
    add_acme_renew(*group, dispatch);
    add_acme_revoke(*group, dispatch);
}

}  // namespace certtool::cli
