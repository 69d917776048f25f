// acme account register|show|deactivate: an account at an ACME CA (RFC 8555), its key kept in
// the store; acme issue: a certificate for an entry through the http-01 challenge (acme.hpp).
// Later: renew, revoke, the other challenges (issue 17).
#include "cli.hpp"
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

struct AcmeIssueOptions {
    std::string name;
    std::string server;
    std::string ca_bundle;
    std::string cn;
    std::vector<std::string> sans;
    std::string key_type{key_type_name(k_default_key_type)};
    std::string challenge;
    int http_port{80};
    std::string http_address{"0.0.0.0"};
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
    request.http_port = opt.http_port;
    request.http_address = opt.http_address;
    request.trust.assign(opt.trust.begin(), opt.trust.end());
    request.remedies = acme_issue_remedies(opt.name);
    request.force = opt.force;
    Store store = open_store(common);
    const AcmeIssueResult r =
        issue_acme_certificate(store, request, std::chrono::system_clock::now());
    const Entry& entry = r.imported.entry;
    if (out.json()) {
        out.result() = entry_json(entry);
        out.result()["acme"] = {{"server", request.connection.server},
                                {"order", r.order_url},
                                {"certificate_url", r.certificate_url},
                                {"challenges_answered", r.challenges_answered},
                                {"requests", r.requests},
                                {"bad_nonce_retries", r.bad_nonce_retries}};
    } else {
        out.text() << fmt::format("issued '{}' by {}: {} key, {}, until {}, {} intermediate(s)\n",
                                  entry.name,
                                  entry.certificate.issuer(),
                                  entry.key.describe(),
                                  entry.certificate.subject(),
                                  format_time(entry.certificate.not_after()),
                                  entry.chain.size());
    }
    report_findings(out, r.imported.findings);
    return ExitCode::ok;
}

void add_acme_issue(CLI::App& group, Dispatch& dispatch) {
    auto opt = std::make_shared<AcmeIssueOptions>();
    auto* sub = group.add_subcommand(
        "issue", "a certificate from the ACME server for a new key, stored as entry NAME");
    add_common(*sub, dispatch.common);
    sub->add_option("NAME", opt->name, "entry name")->required();
    sub->add_option("--server", opt->server, "the directory URL, or letsencrypt[-staging]")
        ->required()
        ->type_name("URL");
    sub->add_option("--ca-bundle", opt->ca_bundle, "CA certificates of the server's HTTPS")
        ->type_name("FILE")
        ->check(CLI::ExistingFile);
    sub->add_option("--cn", opt->cn, "host name (also the first DNS name of the order)")
        ->required();
    sub->add_option("--san", opt->sans, "another DNS:name (repeatable)");
    sub->add_option(
           "--key-type",
           opt->key_type,
           fmt::format("the new key's type (default {})", key_type_name(k_default_key_type)))
        ->check(CLI::IsMember(key_type_names()));
    sub->add_option("--challenge", opt->challenge, "how names are proven: http-01 (standalone)")
        ->required()
        ->check(CLI::IsMember({"http-01"}));
    sub->add_option("--http-port", opt->http_port, "http-01: the port certtool listens on (80)")
        ->check(CLI::Range(1, 65535));
    sub->add_option("--http-address", opt->http_address, "http-01: the address (0.0.0.0)")
        ->type_name("IP");
    add_trust_option(*sub, opt->trust, "check the issued chain against these trust anchors");
    sub->add_flag("--force", opt->force, "replace an existing entry of that name");
    sub->footer(
        footer({"certtool acme issue mail --server letsencrypt --cn mail.example.com "
                "--san DNS:smtp.example.com --challenge http-01",
                "certtool acme issue mx --server https://127.0.0.1:14000/dir --ca-bundle "
                "pebble-https-ca.pem --cn mx.example.test --challenge http-01 --http-port "
                "5002 --http-address 127.0.0.1"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        return run_acme_issue(*opt, common, out);
    };
}

}  // namespace

void add_acme_commands(CLI::App& app, Dispatch& dispatch) {
    auto* group =
        app.add_subcommand("acme", "certificates from an ACME CA (RFC 8555): account, issue");
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
}

}  // namespace certtool::cli
