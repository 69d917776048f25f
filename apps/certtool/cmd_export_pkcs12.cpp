#include "cli.hpp"
#include "password.hpp"

#include <certtool/lifecycle.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

namespace certtool::cli {

namespace {

struct ExportPkcs12Options {
    ExportPkcs12Request request;
    std::string profile{"modern"};
    PasswordOptions password;
};

ExitCode run_export_pkcs12(ExportPkcs12Options& opt, const Common& common, Output& out) {
    opt.request.options.profile = *parse_pkcs12_profile(opt.profile);  // checked by IsMember
    const Store store = open_store(common);
    static_cast<void>(store.get(opt.request.name));  // fail on a bad name before prompting
    const Secret password = obtain_password(opt.password, Confirm::twice);
    export_pkcs12(store, opt.request, password);
    const int iterations = opt.request.options.iterations != 0
                               ? opt.request.options.iterations
                               : default_pkcs12_iterations(opt.request.options.profile);
    if (out.json()) {
        out.result() = {{"name", opt.request.name},
                        {"file", opt.request.output.string()},
                        {"profile", opt.profile},
                        {"iterations", iterations}};
    } else {
        out.text() << fmt::format("wrote '{}' to {} (profile {}, {} iterations)\n",
                                  opt.request.name,
                                  opt.request.output.string(),
                                  opt.profile,
                                  iterations);
    }
    return ExitCode::ok;
}

}  // namespace

void add_export_pkcs12(CLI::App& app, Dispatch& dispatch) {
    auto opt = std::make_shared<ExportPkcs12Options>();
    auto* sub = app.add_subcommand("export-pkcs12",
                                   "write an entry's key, certificate and chain to a .p12 file");
    auto& r = opt->request;
    sub->add_option("NAME", r.name, "entry name")->required();
    sub->add_option("-o,--output", r.output, "output file (created 0600)")
        ->required()
        ->type_name("FILE");
    sub->add_option("--profile",
                    opt->profile,
                    "modern (AES-256, PBKDF2-SHA256), compat (3DES, SHA-1 MAC: macOS, Windows "
                    "Server 2016, Java 8) or legacy (RC2-40 certificates)")
        ->check(CLI::IsMember({"modern", "compat", "legacy"}));
    sub->add_option("--iterations",
                    r.options.iterations,
                    "PBKDF/MAC iterations (default 600000 modern, 10000 compat/legacy)")
        ->check(CLI::Range(1, k_max_pkcs12_iterations));
    sub->add_option("--friendly-name", r.options.friendly_name, "bag name (default: NAME)");
    sub->add_flag("--force", r.force, "overwrite FILE");
    add_password_options(*sub, opt->password);
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool export-pkcs12 mail -o mail.p12 --password-file pass.txt",
                        "certtool export-pkcs12 mail -o mail.pfx --profile compat "
                        "--password-env P12_PASS"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        return run_export_pkcs12(*opt, common, out);
    };
}

}  // namespace certtool::cli
