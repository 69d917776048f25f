#include "cli.hpp"

#include <certtool/files.hpp>
#include <certtool/lifecycle.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <unistd.h>

namespace certtool::cli {

namespace {

struct ExportCsrOptions {
    std::string name;
    std::string output;
    bool der{false};
    bool force{false};
};

ExitCode run_export_csr(const ExportCsrOptions& opt, const Common& common, Output& out) {
    if (opt.der && opt.output.empty() && !out.json() && ::isatty(STDOUT_FILENO) == 1) {
        throw Error(Errc::invalid_argument,
                    "--der writes binary: redirect stdout to a file or give -o FILE");
    }
    const Store store = open_store(common);
    // JSON carries text, so a CSR printed inside it is PEM whatever --der says.
    const bool der = opt.der && !(out.json() && opt.output.empty());
    const std::string csr = export_csr(store, opt.name, der ? Encoding::der : Encoding::pem);
    if (!opt.output.empty()) {
        write_output_file(opt.output, csr, FileMode::shared, opt.force);
    }
    if (out.json()) {
        out.result() = {{"name", opt.name}, {"format", der ? "der" : "pem"}};
        if (opt.output.empty()) {
            out.result()["csr"] = csr;
        } else {
            out.result()["file"] = opt.output;
        }
    } else if (opt.output.empty()) {
        out.text() << csr;
    } else {
        out.text() << fmt::format("wrote CSR for '{}' to {}\n", opt.name, opt.output);
    }
    return ExitCode::ok;
}

}  // namespace

void add_export_csr(CLI::App& app, Dispatch& dispatch) {
    auto opt = std::make_shared<ExportCsrOptions>();
    auto* sub = app.add_subcommand("export-csr", "print or write the CSR for an entry's key");
    sub->add_option("NAME", opt->name, "entry name")->required();
    sub->add_option("-o,--output", opt->output, "write to FILE instead of stdout")
        ->type_name("FILE");
    sub->add_flag("--der", opt->der, "DER instead of PEM (to -o FILE or a redirected stdout)");
    sub->add_flag("--force", opt->force, "overwrite FILE");
    add_common(*sub, dispatch.common);
    sub->footer(footer(
        {"certtool export-csr mail > mail.csr", "certtool export-csr mail -o mail.der --der"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        return run_export_csr(*opt, common, out);
    };
}

}  // namespace certtool::cli
