// acme: the command group, and acme account register|show|deactivate: an account at an ACME CA
// (RFC 8555), its key kept in the store (acme.hpp). issue, renew and revoke are
// cmd_acme_issue.cpp and cmd_acme_renew.cpp.
#include "acme_common.hpp"
#include "cli.hpp"
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
