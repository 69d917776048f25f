#include "cli.hpp"
#include "render.hpp"

#include <certtool/lifecycle.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <chrono>

namespace certtool::cli {

namespace {

struct CreateOptions {
    CreateSelfSignedRequest request;
    std::string key_type{key_type_name(k_default_key_type)};
};

ExitCode run_create_selfsigned(CreateOptions& opt, const Common& common, Output& out) {
    opt.request.key_type = *parse_key_type(opt.key_type);  // validated by CLI::IsMember
    Store store = open_store(common);
    const Entry entry = create_selfsigned(store, opt.request, std::chrono::system_clock::now());
    if (out.json()) {
        out.result() = entry_json(entry);
    } else {
        out.text() << fmt::format("created '{}': {} key, self-signed for {} until {}\n",
                                  entry.name,
                                  entry.key.describe(),
                                  entry.certificate.subject(),
                                  format_time(entry.certificate.not_after()));
    }
    return ExitCode::ok;
}

}  // namespace

void add_create_selfsigned(CLI::App& app, Dispatch& dispatch) {
    auto opt = std::make_shared<CreateOptions>();
    auto* sub = app.add_subcommand("create-selfsigned",
                                   "create a key and a self-signed certificate under a name");
    auto& r = opt->request;
    sub->add_option("NAME", r.name, "entry name, e.g. mail")->required();
    sub->add_option("--cn", r.subject.common_name, "host name (also added as a DNS SAN)")
        ->required()
        ->type_name("HOST");
    sub->add_option("--san", r.sans, "extra subjectAltName (repeatable)")
        ->type_name("DNS:x|IP:x|email:x");
    sub->add_option("--org", r.subject.organization, "organization (O)");
    sub->add_option("--ou", r.subject.organizational_unit, "organizational unit (OU)");
    sub->add_option("--locality", r.subject.locality, "city (L)");
    sub->add_option("--state", r.subject.state, "state or province (ST)");
    sub->add_option("--country", r.subject.country, "two-letter country code (C)")->type_name("CC");
    sub->add_option("--key-type",
                    opt->key_type,
                    fmt::format("key type (default {})", key_type_name(k_default_key_type)))
        ->check(CLI::IsMember(key_type_names()));
    sub->add_option("--days", r.days, fmt::format("validity in days (default {})", k_default_days))
        ->check(CLI::Range(1, 36500));
    sub->add_flag("--force", r.force, "replace an existing entry of that name");
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool create-selfsigned mail --cn mail.example.com",
                        "certtool create-selfsigned mx2 --cn mx2.example.com --san "
                        "DNS:smtp.example.com --san IP:192.0.2.25 --org 'Example Ltd' "
                        "--country GB --key-type ec-p256 --days 825"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        return run_create_selfsigned(*opt, common, out);
    };
}

}  // namespace certtool::cli
