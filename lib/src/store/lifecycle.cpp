#include "fs.hpp"
#include "text.hpp"

#include <certtool/ca_lists.hpp>
#include <certtool/error.hpp>
#include <certtool/files.hpp>
#include <certtool/hostname.hpp>
#include <certtool/lifecycle.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <chrono>

namespace certtool {

namespace {

void refuse_existing(const Store& store, const std::string& name, bool force) {
    Store::validate_name(name);
    if (!force && store.contains(name)) {
        throw Error(Errc::already_exists,
                    fmt::format("entry '{}' already exists: use --force to replace it, or choose "
                                "another name",
                                name));
    }
}

std::vector<Certificate> read_certificates(const std::vector<std::filesystem::path>& files,
                                           std::string_view what) {
    std::vector<Certificate> out;
    for (const auto& f : files) {
        auto certs = Certificate::parse_all(read_input_file(f, what), f.string());
        out.insert(out.end(), certs.begin(), certs.end());
    }
    return out;
}

SubjectRequest request_from_certificate(const Certificate& cert) {
    return {cert.subject_name(), cert.subject_alt_names()};
}

// The requested names the certificate does not cover (DNS names as RFC 6125 matches them).
std::vector<std::string> uncovered_names(const Certificate& cert, const SubjectRequest& request) {
    std::vector<std::string> out;
    for (const auto& name : request.sans) {
        if (!match_name(cert, name, CnFallback::when_no_dns_name).matched) {
            out.push_back(name.to_string());
        }
    }
    return out;
}

// What an import reports about the chain it is about to store, whichever way it came in.
std::vector<ChainFinding> import_findings(const AssembledChain& chain,
                                          const TrustStore& trust,
                                          const Remedies& remedies,
                                          const std::optional<SubjectRequest>& requested,
                                          TimePoint now) {
    std::vector<ChainFinding> findings = chain.findings;
    if (!(chain.intermediates.empty() && chain.leaf.is_self_signed())) {
        // A self-signed certificate is its own root: whether peers trust it is not news.
        auto trust_findings = check_trust(chain, trust, remedies);
        findings.insert(findings.end(), trust_findings.begin(), trust_findings.end());
    }
    if (chain.leaf.not_after() < now) {
        findings.push_back({FindingCode::expired,
                            Severity::warning,
                            fmt::format("the certificate expired on {}: {}",
                                        format_time(chain.leaf.not_after()),
                                        remedies.renew),
                            chain.leaf.subject()});
    }
    if (requested) {
        if (const auto missing = uncovered_names(chain.leaf, *requested); !missing.empty()) {
            const auto san = [](const SubjectAltName& n) { return n.to_string(); };
            const auto certified = chain.leaf.subject_alt_names();
            findings.push_back(
                {FindingCode::name_mismatch,
                 Severity::warning,
                 fmt::format(
                     "the certificate does not cover {} of the names the CSR asked for "
                     "({}); requested: {}; certified: {} (subject {}): ask the CA to "
                     "issue it for every name, or accept the names it certifies",
                     missing.size() == requested->sans.size() ? "any" : "all",
                     text::join(missing, ", "),
                     text::join(requested->sans, ", ", san),
                     certified.empty() ? std::string{"none"} : text::join(certified, ", ", san),
                     chain.leaf.subject()),
                 chain.leaf.subject()});
        }
    }
    return findings;
}

}  // namespace

Entry create_selfsigned(Store& store, const CreateSelfSignedRequest& request, TimePoint now) {
    refuse_existing(store, request.name, request.force);
    std::vector<SubjectAltName> sans;
    for (const auto& s : request.sans) {
        sans.push_back(SubjectAltName::parse(s));
    }
    SubjectRequest subject = SubjectRequest::make(request.subject, std::move(sans));
    const Validity validity = validity_for_days(request.days, now);
    PrivateKey key = PrivateKey::generate(request.key_type);
    Certificate cert = create_self_signed(key, subject, validity);
    Entry entry{request.name,
                std::move(key),
                std::move(cert),
                {},
                std::move(subject),
                Origin::self_signed,
                validity.not_before,
                validity.not_before,
                request.demonstration};
    store.create(entry, request.force);
    return entry;
}

std::vector<ChainFinding> entry_findings(const Entry& entry) {
    std::vector<ChainFinding> out;
    if (entry.demonstration) {
        out.push_back(ChainFinding::of(
            FindingCode::demo_certificate,
            fmt::format("'{}' is the demonstration certificate: it cannot offer a verifiable "
                        "connection; bind a certificate of your own to every service using it",
                        entry.name),
            entry.certificate.subject(),
            0));
    }
    return out;
}

std::string export_csr(const Store& store, const std::string& name, Encoding encoding) {
    const Entry entry = store.get(name);
    return create_csr(entry.key, entry.request, encoding);
}

ImportResult import_signed(Store& store, const ImportSignedRequest& request, TimePoint now) {
    if (request.cert_files.empty() && request.intermediate_files.empty()) {
        throw Error(Errc::invalid_argument,
                    "nothing to import: give --cert with the certificate the CA sent, or "
                    "--intermediate to complete the stored certificate's chain");
    }
    std::vector<Certificate> pool = read_certificates(request.cert_files, "certificate file");
    auto more = read_certificates(request.intermediate_files, "intermediate file");
    pool.insert(pool.end(), more.begin(), more.end());
    // Load the trust store before taking the lock: it is the slow part.
    const TrustStore trust =
        request.trust.empty() ? effective_trust(store) : TrustStore::from_paths(request.trust);

    std::vector<ChainFinding> findings;
    Entry entry = store.update(request.name, [&](Entry current) {
        const bool keep_certificate = request.cert_files.empty();
        if (keep_certificate) {
            if (current.origin == Origin::self_signed) {
                throw Error(Errc::invalid_argument,
                            fmt::format("'{}' holds a self-signed certificate, which has no "
                                        "intermediates: give --cert with the certificate the CA "
                                        "signed (certtool export-csr {} makes the request)",
                                        current.name,
                                        current.name));
            }
            pool.insert(pool.begin(), current.certificate);
        }
        // The stored intermediates are candidates too (a renewed certificate from the same CA
        // needs them again); those the new chain does not use go without a word.
        std::vector<Certificate> stored;
        for (const auto& c : current.chain) {
            if (std::none_of(
                    pool.begin(), pool.end(), [&](const Certificate& p) { return p.same_as(c); })) {
                stored.push_back(c);
                pool.push_back(c);
            }
        }
        AssembledChain chain = assemble_chain(current.key, pool, now);
        std::erase_if(chain.findings, [&](const ChainFinding& f) {
            return f.code == FindingCode::unrelated_certificate &&
                   std::any_of(stored.begin(), stored.end(), [&](const Certificate& c) {
                       return c.subject() == f.subject;
                   });
        });
        findings = import_findings(chain, trust, request.remedies, current.request, now);
        current.certificate = chain.leaf;
        current.chain = chain.intermediates;
        if (!keep_certificate) {
            current.origin = Origin::ca_signed;
        }
        current.updated = now;
        return current;
    });
    return {std::move(entry), std::move(findings)};
}

ImportResult import_pkcs12(Store& store,
                           const ImportPkcs12Request& request,
                           const Secret& password,
                           TimePoint now) {
    refuse_existing(store, request.name, request.force);
    const std::string data = read_input_file(request.file, "PKCS#12 file");
    Pkcs12Contents contents = read_pkcs12(data, password, request.file.string());
    if (contents.keys.empty()) {
        throw Error(Errc::key_mismatch,
                    fmt::format("'{}' holds no private key (only {} certificate(s)): export it "
                                "again with its private key",
                                request.file.string(),
                                contents.certs.size()));
    }
    if (contents.certs.empty()) {
        throw Error(Errc::key_mismatch,
                    fmt::format("'{}' holds a private key but no certificate: import-pkcs12 needs "
                                "both",
                                request.file.string()));
    }
    // The leaf is the certificate that matches a key; with several keys take the first that
    // has one.
    std::optional<AssembledChain> chain;
    std::optional<PrivateKey> key;
    for (const auto& k : contents.keys) {
        try {
            chain = assemble_chain(k, contents.certs, now);
            key = k;
            break;
        } catch (const Error& e) {
            if (e.code() != Errc::key_mismatch) {
                throw;
            }
        }
    }
    if (!chain) {
        throw Error(Errc::key_mismatch,
                    fmt::format("no certificate in '{}' matches its private key: the file is "
                                "inconsistent; export it again",
                                request.file.string()));
    }
    // A lone self-signed certificate is checked against no list (import_findings), so the
    // store's lists are not read for it: the system list alone is ~150 certificates, 240 M
    // instructions of libcrypto 3.0's parser (docs/performance.md, issue 18).
    const bool lone_self_signed = chain->intermediates.empty() && chain->leaf.is_self_signed();
    const TrustStore trust = !request.trust.empty() ? TrustStore::from_paths(request.trust)
                             : lone_self_signed
                                 ? TrustStore::from_certificates({}, "none (self-signed)")
                                 : effective_trust(store);
    std::vector<ChainFinding> findings =
        import_findings(*chain, trust, request.remedies, std::nullopt, now);
    const Origin origin = chain->leaf.is_self_signed() ? Origin::self_signed : Origin::pkcs12;
    Entry entry{request.name,
                std::move(*key),
                chain->leaf,
                chain->intermediates,
                request_from_certificate(chain->leaf),
                origin,
                now,
                now};
    store.create(entry, request.force);
    return {std::move(entry), std::move(findings)};
}

ImportResult import_issued(Store& store,
                           const ImportIssuedRequest& request,
                           const PrivateKey& key,
                           TimePoint now) {
    refuse_existing(store, request.name, request.force);
    const AssembledChain chain = assemble_chain(key, request.certificates, now);
    const TrustStore trust =
        request.trust.empty() ? effective_trust(store) : TrustStore::from_paths(request.trust);
    std::vector<ChainFinding> findings =
        import_findings(chain, trust, request.remedies, request.request, now);
    Entry entry{request.name,
                key,
                chain.leaf,
                chain.intermediates,
                request.request,
                Origin::ca_signed,
                now,
                now};
    store.create(entry, request.force);
    return {std::move(entry), std::move(findings)};
}

void export_pkcs12(const Store& store, const ExportPkcs12Request& request, const Secret& password) {
    detail::check_output_path(
        request.output, request.force ? detail::Overwrite::replace : detail::Overwrite::refuse);
    const Entry entry = store.get(request.name);
    Pkcs12ExportOptions options = request.options;
    if (options.friendly_name.empty()) {
        options.friendly_name = entry.name;
    }
    const std::string der =
        write_pkcs12(entry.key, entry.certificate, entry.chain, password, options);
    write_output_file(request.output, der, FileMode::secret, request.force);
}

Entry renew(Store& store, const RenewRequest& request, TimePoint now) {
    return store.update(request.name, [&](Entry current) {
        if (current.origin != Origin::self_signed) {
            throw Error(Errc::unsupported,
                        fmt::format("entry '{}' is {}: a CA renews it; run 'certtool export-csr {} "
                                    "-o {}.csr', send the CSR to the CA, then 'certtool "
                                    "import-signed {} --cert NEW.pem'",
                                    current.name,
                                    origin_name(current.origin),
                                    current.name,
                                    current.name,
                                    current.name));
        }
        int days = 0;
        if (request.days) {
            days = *request.days;
        } else {
            const auto span = current.certificate.not_after() - current.certificate.not_before();
            days =
                static_cast<int>(std::chrono::duration_cast<std::chrono::hours>(span).count() / 24);
            days = std::max(days, 1);
        }
        const Validity validity = validity_for_days(days, now);
        current.certificate = create_self_signed(current.key, current.request, validity);
        current.chain.clear();
        current.updated = now;
        return current;
    });
}

namespace {

struct ExportOutput {
    std::string_view option;  // names it in errors
    std::filesystem::path path;
    Secret data;
    FileMode mode;
};

// Two outputs that end up in one file would overwrite each other (and a key could be lost or
// left where the certificate was promised): refuse them, comparing resolved paths, and inodes
// for names that already exist (hard links).
void refuse_same_file(const std::vector<ExportOutput>& outputs) {
    namespace fs = std::filesystem;
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        for (std::size_t j = i + 1; j < outputs.size(); ++j) {
            const auto& a = outputs[i].path;
            const auto& b = outputs[j].path;
            std::error_code ec;
            const bool same = (a == "-" || b == "-")
                                  ? a == b
                                  : fs::weakly_canonical(fs::absolute(a), ec) ==
                                            fs::weakly_canonical(fs::absolute(b), ec) ||
                                        fs::equivalent(a, b, ec);
            if (same) {
                throw Error(Errc::invalid_argument,
                            fmt::format("{} and {} name the same file '{}': give each its own "
                                        "file (--combined-out writes key, certificate and chain "
                                        "into one)",
                                        outputs[i].option,
                                        outputs[j].option,
                                        b.string()));
            }
        }
    }
}

}  // namespace

ExportedFiles export_files(const Store& store, const ExportFilesRequest& request) {
    const Entry entry = store.get(request.name);
    const auto overwrite = request.force ? detail::Overwrite::replace : detail::Overwrite::refuse;
    std::string chain_pem;
    for (const auto& c : entry.chain) {
        chain_pem += c.to_pem();
    }
    const std::string cert_pem = entry.certificate.to_pem();
    const auto key_pem = [&] { return entry.key.to_pem(); };

    std::vector<ExportOutput> outputs;
    const auto add = [&](std::string_view option,
                         const std::optional<std::filesystem::path>& path,
                         auto&& data,
                         FileMode mode) {
        if (path) {
            outputs.push_back({option, *path, Secret{data()}, mode});
        }
    };
    add(
        "--cert-out", request.cert_out, [&] { return cert_pem; }, FileMode::shared);
    add(
        "--key-out",
        request.key_out,
        [&] { return std::string(key_pem().view()); },
        FileMode::secret);
    add(
        "--chain-out", request.chain_out, [&] { return chain_pem; }, FileMode::shared);
    add(
        "--fullchain-out",
        request.fullchain_out,
        [&] { return cert_pem + chain_pem; },
        FileMode::shared);
    add(
        "--combined-out",
        request.combined_out,
        [&] { return std::string(key_pem().view()) + cert_pem + chain_pem; },
        FileMode::secret);
    if (outputs.empty()) {
        throw Error(Errc::invalid_argument,
                    "nothing to export: give --cert-out, --key-out, --chain-out, "
                    "--fullchain-out and/or --combined-out");
    }
    refuse_same_file(outputs);

    // Every file is written under a temporary name first (each constructor checks its target,
    // so a refusal comes before anything is written), then all are renamed into place.
    ExportedFiles result;
    std::string to_stdout;
    std::vector<detail::AtomicFile> files;
    for (const auto& o : outputs) {
        if (o.path == "-") {
            to_stdout += o.data.view();
            continue;
        }
        files.emplace_back(o.path, static_cast<unsigned>(o.mode), overwrite);
        files.back().write(o.data.view());
    }
    std::vector<std::filesystem::path> created;  // by this call, removed again on failure
    try {
        for (auto& f : files) {
            std::error_code ec;
            const bool existed = std::filesystem::exists(f.target(), ec);
            f.commit();
            if (!existed) {
                created.push_back(f.target());
            }
            result.written.push_back(f.target());
        }
    } catch (const Error&) {
        for (const auto& p : created) {
            std::error_code ec;
            std::filesystem::remove(p, ec);
        }
        throw;
    }
    result.standard_output = Secret{std::move(to_stdout)};
    return result;
}

}  // namespace certtool
