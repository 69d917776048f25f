// The parts of a ChainReport that do not depend on which candidate path was chosen, beyond the
// path itself: host names on the leaf, warnings, the per-certificate problem lists.
#include "verify_report.hpp"

#include "ossl.hpp"
#include "verify_errors.hpp"

#include <fmt/core.h>

#include <algorithm>

namespace certtool::detail {

namespace {

bool contains(const std::vector<Certificate>& v, const Certificate& c) {
    return std::any_of(v.begin(), v.end(), [&](const Certificate& x) { return x.same_as(c); });
}

std::string mismatch_message(const Certificate& leaf,
                             const SubjectAltName& name,
                             CnFallback fallback) {
    const auto sans = leaf.subject_alt_names();
    std::string presented;
    for (const auto& s : sans) {
        presented += (presented.empty() ? "" : ", ") + s.to_string();
    }
    return fmt::format(
        "the certificate is not for '{}': it names {}{}; get a certificate that includes '{}' as "
        "a subjectAltName",
        name.value,
        presented.empty() ? "no subjectAltName" : presented,
        fallback == CnFallback::never || presented.empty()
            ? fmt::format(" (CN '{}' {})",
                          leaf.subject_name().common_name,
                          fallback == CnFallback::never ? "does not count under the webpki profile"
                                                        : "does not match")
            : " (the CN is not used when DNS names are present)",
        name.value);
}

// The given certificates on a CRL's path: those that signed one of `crls`, and their issuers
// among `pool`. They belong to the validation even though they are not in the leaf's path.
std::vector<Certificate> crl_signers(const std::vector<Certificate>& pool,
                                     const std::vector<Crl>& crls) {
    std::vector<Certificate> out;
    for (const auto& c : pool) {
        EVP_PKEY* key = X509_get0_pubkey(c.native());
        const bool signs =
            key != nullptr && std::any_of(crls.begin(), crls.end(), [&](const Crl& crl) {
                return X509_NAME_cmp(X509_CRL_get_issuer(crl.native()),
                                     X509_get_subject_name(c.native())) == 0 &&
                       X509_CRL_verify(crl.native(), key) == 1;
            });
        if (signs) {
            out.push_back(c);
        }
    }
    for (std::size_t i = 0; i < out.size(); ++i) {  // out grows: their issuers, transitively
        for (const auto& c : pool) {
            if (!contains(out, c) && X509_check_issued(c.native(), out[i].native()) == X509_V_OK) {
                out.push_back(c);
            }
        }
    }
    ossl::clear_errors();
    return out;
}

// `untrusted` without repeats; a duplicate-certificate warning for each repeat (and the leaf).
std::vector<Certificate> without_duplicates(const Certificate& leaf,
                                            const std::vector<Certificate>& untrusted,
                                            std::vector<ChainFinding>& out) {
    std::vector<Certificate> unique;
    for (const auto& c : untrusted) {
        if (c.same_as(leaf) || contains(unique, c)) {
            out.push_back(
                {FindingCode::duplicate_certificate,
                 Severity::warning,
                 fmt::format("{} is in the chain more than once: send it once", quoted(c)),
                 c.subject(),
                 std::nullopt});
            continue;
        }
        unique.push_back(c);
    }
    return unique;
}

}  // namespace

void add_name_findings(ChainReport& report, const Certificate& leaf, const VerifyOptions& options) {
    const CnFallback fallback = options.profile == Profile::webpki || !options.common_name_fallback
                                    ? CnFallback::never
                                    : CnFallback::when_no_dns_name;
    for (const auto& name : options.names) {
        NameMatch m = match_name(leaf, name, fallback);
        if (!m.matched) {
            report.findings.push_back({FindingCode::hostname_mismatch,
                                       Severity::error,
                                       mismatch_message(leaf, name, fallback),
                                       leaf.subject(),
                                       std::size_t{0}});
        }
        report.names.push_back(std::move(m));
    }
}

void add_expiry_warnings(ChainReport& report, const Certificate& leaf, TimePoint at) {
    for (std::size_t i = 1; i < report.path.size(); ++i) {
        const Certificate& c = report.path[i].certificate;
        if (c.not_after() < leaf.not_after() && c.not_after() >= at) {
            report.findings.push_back(
                {FindingCode::expires_before_leaf,
                 Severity::warning,
                 fmt::format("{} expires on {}, before the certificate ({}): the chain breaks "
                             "then; get the newer {} from the CA",
                             quoted(c),
                             format_time(c.not_after()),
                             format_time(leaf.not_after()),
                             report.path[i].trust_anchor ? "root" : "intermediate"),
                 c.subject(),
                 i});
        }
    }
}

void add_presentation_findings(const Certificate& leaf,
                               const std::vector<Certificate>& untrusted,
                               const std::vector<Certificate>& path,
                               const std::vector<Crl>& crls,
                               std::vector<ChainFinding>& out) {
    const std::vector<Certificate> for_crls =
        crls.empty() ? std::vector<Certificate>{} : crl_signers(untrusted, crls);
    const std::vector<Certificate> unique = without_duplicates(leaf, untrusted, out);
    std::vector<Certificate> in_order;
    for (const auto& c : unique) {
        if (contains(path, c)) {
            in_order.push_back(c);
        } else if (!contains(for_crls, c)) {
            out.push_back(
                {FindingCode::unrelated_certificate,
                 Severity::warning,
                 fmt::format("{} is not part of this certificate's chain: leave it out", quoted(c)),
                 c.subject(),
                 std::nullopt});
        }
    }
    std::vector<Certificate> expected;
    for (std::size_t i = 1; i < path.size(); ++i) {
        if (contains(in_order, path[i])) {
            expected.push_back(path[i]);
        }
    }
    if (!std::equal(in_order.begin(),
                    in_order.end(),
                    expected.begin(),
                    expected.end(),
                    [](const Certificate& a, const Certificate& b) { return a.same_as(b); })) {
        out.push_back({FindingCode::wrong_order,
                       Severity::warning,
                       "the chain is not in leaf-to-root order (each certificate followed by its "
                       "issuer): reorder it (certtool fix-chain)",
                       {},
                       std::nullopt});
    }
}

void conclude(ChainReport& report) {
    for (const auto& f : report.findings) {
        if (f.severity == Severity::error && f.position && *f.position < report.path.size()) {
            auto& problems = report.path[*f.position].problems;
            if (std::find(problems.begin(), problems.end(), f.code) == problems.end()) {
                problems.push_back(f.code);
            }
        }
    }
    report.valid =
        std::none_of(report.findings.begin(), report.findings.end(), [](const ChainFinding& f) {
            return f.severity == Severity::error;
        });
}

}  // namespace certtool::detail
