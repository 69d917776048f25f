#include "cli.hpp"
#include "config_common.hpp"
#include "password.hpp"
#include "remedies.hpp"
#include "render.hpp"

#include <certtool/lifecycle.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <chrono>

namespace certtool::cli {

namespace {

struct ImportPkcs12Options {
    std::string name;
    std::string file;
    std::vector<std::string> trust;
    bool force{false};
    bool commit{false};
    PasswordOptions password;
};

ExitCode run_import_pkcs12(const ImportPkcs12Options& opt, const Common& common, Output& out) {
    ImportPkcs12Request request{
        opt.name, opt.file, opt.force, {}, import_pkcs12_remedies(opt.name)};
    request.trust.assign(opt.trust.begin(), opt.trust.end());
    Store store = open_store(common);
    if (!opt.force && store.contains(opt.name)) {  // before asking for a password
        throw Error(Errc::already_exists,
                    fmt::format("entry '{}' already exists: use --force to replace it", opt.name));
    }
    const Secret password = obtain_password(opt.password, Confirm::once);
    const ImportResult result =
        import_pkcs12(store, request, password, std::chrono::system_clock::now());
    if (out.json()) {
        out.result() = entry_json(result.entry);
    } else {
        out.text() << fmt::format(
            "imported '{}' from {}: {} key, {}, until {}, {} "
            "intermediate(s)\n",
            result.entry.name,
            opt.file,
            result.entry.key.describe(),
            result.entry.certificate.subject(),
            format_time(result.entry.certificate.not_after()),
            result.entry.chain.size());
    }
    report_findings(out, result.findings);
    redeploy_replaced(store, result.entry.name, opt.commit, out);
    return ExitCode::ok;
}

}  // namespace

void add_import_pkcs12(CLI::App& app, Dispatch& dispatch) {
    auto opt = std::make_shared<ImportPkcs12Options>();
    auto* sub = app.add_subcommand("import-pkcs12",
                                   "store a key, certificate and chain from a .p12/.pfx file");
    sub->add_option("NAME", opt->name, "entry name")->required();
    sub->add_option("FILE", opt->file, "PKCS#12 file")->required();
    add_trust_option(*sub, opt->trust, "also check the chain against these trust anchors");
    sub->add_flag("--force", opt->force, "replace an existing entry of that name");
    add_commit_flag(*sub, opt->commit);
    add_password_options(*sub, opt->password);
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool import-pkcs12 mail mail.pfx --password-file pass.txt",
                        "certtool import-pkcs12 mail mail.p12 --password-fd 3 3<pass.txt"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        return run_import_pkcs12(*opt, common, out);
    };
}

}  // namespace certtool::cli
