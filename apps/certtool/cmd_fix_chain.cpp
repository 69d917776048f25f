#include "cli.hpp"
#include "remedies.hpp"
#include "render.hpp"

#include <certtool/aia.hpp>
#include <certtool/batch.hpp>
#include <certtool/chain.hpp>
#include <certtool/files.hpp>
#include <certtool/fix_chain.hpp>
#include <certtool/key.hpp>
#include <certtool/trust.hpp>
#include <certtool/verify.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <chrono>

namespace certtool::cli {

namespace {

struct FixChainOptions {
    std::vector<std::string> certs;
    std::vector<std::string> bundles;
    std::string key;
    std::string output;
    std::vector<std::string> trust;
    bool aia{false};
    int aia_timeout{5};
    bool force{false};
};

ExitCode run_fix_chain(const FixChainOptions& opt, const Common& common, Output& out) {
    std::vector<std::string> inputs = opt.certs;
    inputs.insert(inputs.end(), opt.bundles.begin(), opt.bundles.end());
    FixChainRequest request{
        expand_inputs(inputs), {}, {}, std::chrono::system_clock::now(), fix_chain_remedies()};
    if (!opt.key.empty()) {
        request.key_file = opt.key;
    }
    if (opt.aia) {
        request.aia = AiaOptions{};
        request.aia->timeout = std::chrono::seconds(opt.aia_timeout);
    }
    const FixedChain fixed = fix_chain(request, trust_from_option(opt.trust, common));
    if (!opt.output.empty()) {
        write_output_file(opt.output, fixed.pem, FileMode::shared, opt.force);
    }
    if (out.json()) {
        out.result() = fixed_chain_json(fixed, opt.output.empty());
    } else if (opt.output.empty()) {
        out.text() << fixed.pem;
    } else {
        out.note(fmt::format("wrote {} certificate(s), leaf first, to '{}'",
                             1 + fixed.chain.intermediates.size(),
                             opt.output));
    }
    report_findings(out, fixed.findings);
    return fixed.complete ? ExitCode::ok : ExitCode::check_failed;
}

}  // namespace

void add_fix_chain(CLI::App& app, Dispatch& dispatch) {
    auto opt = std::make_shared<FixChainOptions>();
    auto* sub = app.add_subcommand(
        "fix-chain", "order a bag of certificates leaf to root, drop extras, name what is missing");
    sub->add_option("--cert", opt->certs, "certificates in any order and format (repeatable)")
        ->required()
        ->type_name("FILE|DIR");
    sub->add_option("--bundle", opt->bundles, "more certificates: intermediates, CA bundles")
        ->type_name("FILE|DIR");
    sub->add_option("--key", opt->key, "the server's private key, to pick the leaf")
        ->type_name("FILE");
    sub->add_option("-o,--output", opt->output, "write the fixed chain here (default: stdout)")
        ->type_name("FILE");
    sub->add_flag("--force", opt->force, "overwrite the output file");
    add_trust_option(*sub,
                     opt->trust,
                     "trust anchors to check the result against (default: the store's CA lists, "
                     "certtool ca list)");
    sub->add_flag(
        "--aia", opt->aia, "fetch missing issuers from the certificates' caIssuers URLs (HTTP)");
    sub->add_option("--aia-timeout", opt->aia_timeout, "seconds per fetch (default 5)")
        ->check(CLI::Range(1, 120));
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool fix-chain --cert from-ca.zip.d/ -o chain.pem",
                        "certtool fix-chain --cert leaf.pem --aia --trust root.pem",
                        "certtool fix-chain --cert bundle.pem --key server.key -o fixed.pem"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        return run_fix_chain(*opt, common, out);
    };
}

}  // namespace certtool::cli
