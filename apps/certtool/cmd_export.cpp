#include "cli.hpp"

#include <certtool/lifecycle.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

namespace certtool::cli {

namespace {

struct ExportOptions {
    ExportFilesRequest request;
};

ExitCode run_export(const ExportOptions& opt, const Common& common, Output& out) {
    const auto& r = opt.request;
    const bool to_stdout = r.cert_out == "-" || r.key_out == "-" || r.chain_out == "-" ||
                           r.fullchain_out == "-" || r.combined_out == "-";
    if (to_stdout && out.json()) {
        throw Error(Errc::invalid_argument,
                    "--json and an output to '-' would both go to standard output: drop one");
    }
    const Store store = open_store(common);
    const auto exported = export_files(store, r);
    out.text() << exported.standard_output.view();
    nlohmann::json files = nlohmann::json::array();
    for (const auto& p : exported.written) {
        files.push_back(p.string());
        if (to_stdout) {
            out.note(fmt::format("wrote {}", p.string()));
        } else if (!out.json()) {
            out.text() << fmt::format("wrote {}\n", p.string());
        }
    }
    if (out.json()) {
        out.result() = {{"name", r.name}, {"files", files}};
    }
    return ExitCode::ok;
}

}  // namespace

void add_export(CLI::App& app, Dispatch& dispatch) {
    auto opt = std::make_shared<ExportOptions>();
    auto* sub = app.add_subcommand("export", "write an entry's files for a server to use");
    auto& r = opt->request;
    sub->add_option("NAME", r.name, "entry name")->required();
    sub->add_option("--cert-out",
                    r.cert_out,
                    "certificate (PEM); - for standard output, as for every --*-out")
        ->type_name("FILE");
    sub->add_option("--key-out", r.key_out, "private key (PEM, PKCS#8, created 0600)")
        ->type_name("FILE");
    sub->add_option("--chain-out", r.chain_out, "intermediates (PEM)")->type_name("FILE");
    sub->add_option("--fullchain-out", r.fullchain_out, "certificate + intermediates (PEM)")
        ->type_name("FILE");
    sub->add_option("--combined-out",
                    r.combined_out,
                    "key + certificate + intermediates in one file, created 0600 (Postfix's "
                    "smtpd_tls_chain_files)")
        ->type_name("FILE");
    sub->add_flag("--force", r.force, "overwrite existing files");
    add_common(*sub, dispatch.common);
    sub->footer(
        footer({"certtool export mail --fullchain-out /etc/postfix/mail.crt --key-out "
                "/etc/postfix/mail.key"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        return run_export(*opt, common, out);
    };
}

}  // namespace certtool::cli
