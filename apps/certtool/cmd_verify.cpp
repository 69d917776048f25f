#include "cli.hpp"
#include "remedies.hpp"
#include "render.hpp"

#include <certtool/aia.hpp>
#include <certtool/batch.hpp>
#include <certtool/chain.hpp>
#include <certtool/files.hpp>
#include <certtool/lifecycle.hpp>
#include <certtool/trust.hpp>
#include <certtool/verify.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <thread>

namespace certtool::cli {

namespace {

struct VerifyCliOptions {
    std::string name;
    std::string cert;
    std::vector<std::string> chain;
    VerificationCliOptions verification;
    std::string purpose{"server"};
    std::vector<std::string> crls;
    int max_depth{8};
    std::vector<std::string> batch;
    unsigned jobs{0};
};

VerifyOptions library_options(const VerifyCliOptions& opt) {
    VerifyOptions o;
    apply_verification_options(opt.verification, o);
    for (const auto& h : opt.verification.hostnames) {
        o.names.push_back(SubjectAltName::parse(h));
    }
    o.purpose = opt.purpose == "client" ? Purpose::client
                : opt.purpose == "any"  ? Purpose::any
                                        : Purpose::server;
    o.max_depth = opt.max_depth;
    for (const auto& f : opt.crls) {
        for (auto& crl : Crl::parse_all(read_input_file(f, "CRL file"), f)) {
            o.crls.push_back(std::move(crl));
        }
    }
    return o;
}

std::vector<Certificate> load_chain(const std::vector<std::string>& files) {
    std::vector<Certificate> out;
    for (const auto& f : files) {
        for (auto& c : Certificate::load_all(f)) {
            out.push_back(std::move(c));
        }
    }
    return out;
}

ExitCode run_batch(const VerifyCliOptions& opt, const TrustStore& trust, Output& out) {
    VerifyOptions options = library_options(opt);
    options.remedies = verify_files_remedies();
    const BatchVerifier verifier{trust, load_chain(opt.chain), options};
    const auto files = expand_inputs(opt.batch);
    if (files.empty()) {
        throw Error(Errc::parse,
                    "--batch found no file to verify (hidden files are skipped): give a file, or "
                    "a directory holding certificates");
    }
    const unsigned jobs =
        opt.jobs != 0 ? opt.jobs : std::max(1U, std::thread::hardware_concurrency());
    std::size_t invalid = 0;
    if (out.json()) {
        out.json_lines();
    }
    verify_batch(verifier, files, jobs, [&](const BatchItem& item) {
        invalid += item.valid ? 0 : 1;
        out.text() << (out.json() ? dump_json(batch_item_json(item)) : batch_item_line(item))
                   << "\n";
    });
    if (!out.json()) {
        out.note(fmt::format(
            "{} certificate(s): {} valid, {} not", files.size(), files.size() - invalid, invalid));
    }
    return invalid == 0 ? ExitCode::ok : ExitCode::check_failed;
}

ExitCode run_verify(const VerifyCliOptions& opt, const Common& common, Output& out) {
    const TrustStore trust = trust_from_option(opt.verification.trust, common);
    if (!opt.batch.empty()) {
        return run_batch(opt, trust, out);
    }
    if (opt.name.empty() == opt.cert.empty()) {
        throw Error(Errc::invalid_argument,
                    "give a store entry NAME or --cert FILE (not both): certtool verify mail, or "
                    "certtool verify --cert leaf.pem --chain chain.pem");
    }
    std::optional<Certificate> leaf;
    std::vector<Certificate> untrusted;
    std::vector<ChainFinding> entry_notes;
    VerifyOptions options = library_options(opt);
    if (!opt.name.empty()) {
        Entry entry = open_store(common).get(opt.name);
        leaf = entry.certificate;
        untrusted = entry.chain;
        options.remedies = verify_entry_remedies(entry);
        entry_notes = entry_findings(entry);
    } else {
        auto certs = Certificate::load_all(opt.cert);
        leaf = certs.front();
        untrusted.assign(certs.begin() + 1, certs.end());  // a bundle: leaf first
        options.remedies = verify_files_remedies();
    }
    for (auto& c : load_chain(opt.chain)) {
        untrusted.push_back(std::move(c));
    }
    ChainReport report = verify_chain(*leaf, untrusted, trust, options);
    report.findings.insert(report.findings.end(), entry_notes.begin(), entry_notes.end());
    if (out.json()) {
        out.result() = chain_report_json(report, trust);
    } else {
        print_chain_report(out.text(), report, trust);
    }
    return report.valid ? ExitCode::ok : ExitCode::check_failed;
}

}  // namespace

void add_verify(CLI::App& app, Dispatch& dispatch) {
    auto opt = std::make_shared<VerifyCliOptions>();
    auto* sub = app.add_subcommand(
        "verify", "verify a certificate's chain and names, explaining every problem");
    sub->add_option("NAME", opt->name, "store entry to verify");
    sub->add_option("--cert", opt->cert, "certificate to verify (a bundle: leaf first)")
        ->type_name("FILE");
    sub->add_option("--chain", opt->chain, "intermediates, any order and format (repeatable)")
        ->type_name("FILE");
    add_verification_options(*sub,
                             opt->verification,
                             "trust anchors (default: the store's CA lists, certtool ca list)",
                             "name the certificate must be for: DNS name, IP or email "
                             "(repeatable; every one must match)");
    sub->add_option("--purpose", opt->purpose, "server (default), client or any")
        ->check(CLI::IsMember({"server", "client", "any"}));
    sub->add_option("--crl", opt->crls, "CRL(s); given, every certificate needs a current one")
        ->type_name("FILE");
    sub->add_option("--max-depth", opt->max_depth, "most intermediates allowed (default 8)")
        ->check(CLI::Range(0, 32));
    sub->add_option("--batch",
                    opt->batch,
                    "verify the first certificate of every file (directories: every file in "
                    "them) against the same --trust and --chain; one line per certificate")
        ->type_name("DIR|FILE");
    sub->add_option("--jobs", opt->jobs, "worker processes for --batch (default: CPU count)")
        ->check(CLI::Range(1, 64));
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool verify mail --hostname mail.example.com",
                        "certtool verify --cert leaf.pem --chain chain.pem --trust root.pem "
                        "--at 2026-06-01T00:00:00Z",
                        "certtool verify --batch certs/ --chain issuing-ca.pem --trust root.pem "
                        "--json"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        return run_verify(*opt, common, out);
    };
}

}  // namespace certtool::cli
