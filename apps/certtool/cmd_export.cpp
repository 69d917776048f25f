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
    const Store store = open_store(common);
    const auto written = export_files(store, opt.request);
    nlohmann::json files = nlohmann::json::array();
    for (const auto& p : written) {
        files.push_back(p.string());
        if (!out.json()) {
            out.text() << fmt::format("wrote {}\n", p.string());
        }
    }
    if (out.json()) {
        out.result() = {{"name", opt.request.name}, {"files", files}};
    }
    return ExitCode::ok;
}

}  // namespace

void add_export(CLI::App& app, Dispatch& dispatch) {
    auto opt = std::make_shared<ExportOptions>();
    auto* sub = app.add_subcommand("export", "write an entry's files for a server to use");
    auto& r = opt->request;
    sub->add_option("NAME", r.name, "entry name")->required();
    sub->add_option("--cert-out", r.cert_out, "certificate (PEM)")->type_name("FILE");
    sub->add_option("--key-out", r.key_out, "private key (PEM, PKCS#8, created 0600)")
        ->type_name("FILE");
    sub->add_option("--chain-out", r.chain_out, "intermediates (PEM)")->type_name("FILE");
    sub->add_option("--fullchain-out", r.fullchain_out, "certificate + intermediates (PEM)")
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
