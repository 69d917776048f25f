#include "cli.hpp"
#include "config_common.hpp"
#include "remedies.hpp"
#include "render.hpp"

#include <certtool/lifecycle.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <chrono>

namespace certtool::cli {

namespace {

struct ImportSignedOptions {
    std::string name;
    std::vector<std::string> certs;
    std::vector<std::string> intermediates;
    std::vector<std::string> trust;
    bool commit{false};
};

ExitCode run_import_signed(const ImportSignedOptions& opt, const Common& common, Output& out) {
    ImportSignedRequest request{opt.name, {}, {}, {}, import_signed_remedies(opt.name)};
    request.cert_files.assign(opt.certs.begin(), opt.certs.end());
    request.intermediate_files.assign(opt.intermediates.begin(), opt.intermediates.end());
    request.trust.assign(opt.trust.begin(), opt.trust.end());
    Store store = open_store(common);
    const ImportResult result = import_signed(store, request, std::chrono::system_clock::now());
    if (out.json()) {
        out.result() = entry_json(result.entry);
    } else {
        out.text() << fmt::format(
            "imported CA-signed certificate into '{}': {} issued by {}, "
            "until {}, {} intermediate(s)\n",
            result.entry.name,
            result.entry.certificate.subject(),
            result.entry.certificate.issuer(),
            format_time(result.entry.certificate.not_after()),
            result.entry.chain.size());
    }
    report_findings(out, result.findings);
    redeploy_replaced(store, result.entry.name, opt.commit, out);
    return ExitCode::ok;
}

}  // namespace

void add_import_signed(CLI::App& app, Dispatch& dispatch) {
    auto opt = std::make_shared<ImportSignedOptions>();
    auto* sub = app.add_subcommand(
        "import-signed", "replace an entry's certificate with the CA-signed one (and its chain)");
    sub->add_option("NAME", opt->name, "entry name")->required();
    sub->add_option(
           "--cert",
           opt->certs,
           "the CA's certificate: PEM, DER or PKCS#7, may be a bundle (leave it out to add "
           "--intermediate certificates to the stored one)")
        ->type_name("FILE");
    sub->add_option(
           "--intermediate", opt->intermediates, "intermediate certificate(s) (repeatable)")
        ->type_name("FILE");
    add_trust_option(
        *sub, opt->trust, "trust anchors to check the chain against (default: system store)");
    add_commit_flag(*sub, opt->commit);
    add_common(*sub, dispatch.common);
    sub->footer(
        footer({"certtool import-signed mail --cert signed.pem --intermediate issuing-ca.pem",
                "certtool import-signed mail --cert bundle.p7b --trust root.pem",
                "certtool import-signed mail --intermediate issuing-ca.pem"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        return run_import_signed(*opt, common, out);
    };
}

}  // namespace certtool::cli
