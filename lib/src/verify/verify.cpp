// verify_chain: a path builder that tries alternative issuers (path_builder.*), OpenSSL's
// X509_verify_cert as the validator of each candidate path with every error collected
// (verify_openssl.*) and explained (verify_errors.*), the profile checks OpenSSL does not make
// (verify_lint.*), and the report around the best path (verify_report.*).
#include "anchor_trust.hpp"
#include "ossl.hpp"
#include "path_builder.hpp"
#include "purpose.hpp"
#include "verify_errors.hpp"
#include "verify_lint.hpp"
#include "verify_openssl.hpp"
#include "verify_report.hpp"

#include <certtool/verify.hpp>

#include <fmt/core.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>

namespace certtool {

namespace {

struct ProfileName {
    Profile profile;
    std::string_view name;  // as --profile and the reports spell it
};

constexpr std::array k_profile_names{
    ProfileName{Profile::openssl, "openssl"},
    ProfileName{Profile::rfc5280, "rfc5280"},
    ProfileName{Profile::webpki, "webpki"},
};

using detail::error_finding;
using detail::quoted;
using detail::RawError;

// One candidate path, validated.
struct Attempt {
    std::vector<Certificate> path;  // leaf first
    bool anchored{false};
    std::vector<ChainFinding> findings;

    [[nodiscard]] std::size_t errors() const {
        return static_cast<std::size_t>(
            std::count_if(findings.begin(), findings.end(), [](const ChainFinding& f) {
                return f.severity == Severity::error;
            }));
    }
};

// Does the validation time fall exactly on a notAfter second? RFC 5280's validity period is
// inclusive, OpenSSL's is not.
bool at_not_after(const Certificate& c, TimePoint at) {
    return std::chrono::floor<std::chrono::seconds>(at) ==
           std::chrono::floor<std::chrono::seconds>(c.not_after());
}

// RFC 5280 4.2.1.12: anyExtendedKeyUsage allows every purpose; OpenSSL's TLS purposes do not
// accept it.
bool has_any_eku(const Certificate& c) {
    const uint32_t xku = X509_get_extended_key_usage(c.native());
    return (X509_get_extension_flags(c.native()) & EXFLAG_XKUSAGE) != 0 && (xku & XKU_ANYEKU) != 0;
}

// What validate() makes of one OpenSSL error.
enum class ErrorUse {
    ignore,         // not a problem under these options, or reported otherwise
    nonconforming,  // a nonconforming-certificate warning
    report,         // a finding of its own (once per error and depth)
};

ErrorUse classify(const RawError& e,
                  const std::vector<Certificate>& p,
                  bool anchored,
                  const VerifyOptions& options,
                  TimePoint at) {
    const auto depth = static_cast<std::size_t>(std::max(e.depth, 0));
    const bool at_anchor = depth == p.size() - 1 && (anchored || p.size() > 1);
    if (!anchored && detail::reach_error(e.error)) {
        return ErrorUse::ignore;  // how far the path reaches is reported by add_reach_finding
    }
    if (e.error == X509_V_ERR_CERT_REJECTED || e.error == X509_V_ERR_CERT_UNTRUSTED) {
        return ErrorUse::ignore;  // the anchor's trust settings: trust_settings_finding
    }
    if (at_anchor && !options.anchor_validity &&
        (e.error == X509_V_ERR_CERT_HAS_EXPIRED || e.error == X509_V_ERR_CERT_NOT_YET_VALID)) {
        return ErrorUse::ignore;
    }
    if (at_anchor && !options.anchor_constraints && detail::anchor_field_error(e.error)) {
        return ErrorUse::ignore;
    }
    if (e.error == X509_V_ERR_CERT_HAS_EXPIRED && depth < p.size() && at_not_after(p[depth], at)) {
        return ErrorUse::ignore;
    }
    if (detail::strict_lint_only(e.error)) {
        return ErrorUse::nonconforming;
    }
    if (e.error == X509_V_ERR_INVALID_PURPOSE && options.profile == Profile::rfc5280 &&
        depth < p.size() && has_any_eku(p[depth])) {
        return ErrorUse::ignore;
    }
    if ((e.error == X509_V_ERR_PERMITTED_VIOLATION || e.error == X509_V_ERR_EXCLUDED_VIOLATION) &&
        detail::violation_only_in_common_name(p, depth, options.profile)) {
        return ErrorUse::ignore;
    }
    return ErrorUse::report;
}

// RFC 5280's count: intermediates, self-issued ones not counted.
std::optional<ChainFinding> max_depth_finding(const std::vector<Certificate>& p,
                                              bool anchored,
                                              const VerifyOptions& options) {
    const std::size_t top = p.size() - 1;
    std::size_t counted = 0;
    for (std::size_t i = 1; i < top || (!anchored && i == top && i > 0); ++i) {
        counted += p[i].is_self_issued() ? 0U : 1U;
    }
    if (counted <= static_cast<std::size_t>(std::max(options.max_depth, 0))) {
        return std::nullopt;
    }
    return ChainFinding{FindingCode::path_length_exceeded,
                        Severity::error,
                        fmt::format("the chain has {} intermediate CA(s); at most {} are allowed "
                                    "(--max-depth)",
                                    counted,
                                    options.max_depth),
                        {},
                        std::nullopt};
}

// The anchor's trust settings reject the purpose: the finding, else nothing.
std::optional<ChainFinding> trust_settings_finding(const std::vector<Certificate>& p,
                                                   bool anchored,
                                                   const TrustStore& anchors,
                                                   const VerifyOptions& options) {
    const std::optional<Certificate> anchor = anchored ? anchors.find(p.back()) : std::nullopt;
    if (!anchor ||
        detail::anchor_trust(*anchor, options.purpose) != detail::AnchorTrust::rejected) {
        return std::nullopt;
    }
    const TrustSettings settings = anchor->trust_settings();
    const auto list = [](const std::vector<std::string>& purposes) {
        std::string out;
        for (const auto& s : purposes) {
            out += (out.empty() ? "" : ", ") + s;
        }
        return out;
    };
    const std::string_view purpose = detail::purpose_info(options.purpose).label;
    const std::string why = settings.rejected.empty()
                                ? fmt::format("is trusted only for {}", list(settings.trusted))
                                : fmt::format("is distrusted for {}", list(settings.rejected));
    return detail::error_finding(
        FindingCode::distrusted_anchor,
        fmt::format("the trust anchor {} {} by its trust settings (TRUSTED CERTIFICATE), so it "
                    "does not anchor {} certificates: OpenSSL-based peers refuse this chain; use "
                    "a CA trusted for this purpose, or change the anchor's trust settings "
                    "(openssl x509 -addtrust)",
                    detail::quoted(p.back()),
                    why,
                    purpose.empty() ? std::string_view{"these"} : purpose),
        p,
        p.size() - 1);
}

// OpenSSL's purpose error at a distrusted anchor whose own extensions allow the purpose: the
// trust settings said no (trust_settings_finding), not the certificate.
bool purpose_error_from_settings(const RawError& e,
                                 const std::vector<Certificate>& p,
                                 const std::optional<ChainFinding>& distrusted,
                                 const VerifyOptions& options) {
    const int id = detail::purpose_info(options.purpose).x509_purpose;
    if (!distrusted || e.error != X509_V_ERR_INVALID_PURPOSE ||
        static_cast<std::size_t>(e.depth) + 1 != p.size() || id == 0) {
        return false;
    }
    const bool allowed = X509_check_purpose(p.back().native(), id, p.size() > 1 ? 1 : 0) == 1;
    ossl::clear_errors();
    return allowed;
}

// The observations of the stricter profiles, as warnings (profile openssl): X509_STRICT's
// errors that the verdict run did not raise, then the rfc5280 and webpki rules.
void add_observations(const std::vector<Certificate>& p,
                      bool anchored,
                      const std::vector<Certificate>& pool,
                      const std::vector<RawError>& verdict,
                      const VerifyOptions& options,
                      TimePoint at,
                      std::vector<ChainFinding>& out) {
    for (const auto& e : detail::run_openssl(p, pool, options, at, true)) {
        const bool known = std::any_of(verdict.begin(), verdict.end(), [&](const RawError& v) {
            return v.error == e.error && v.depth == e.depth;
        });
        if (known || e.error == X509_V_ERR_CERT_REJECTED || e.error == X509_V_ERR_CERT_UNTRUSTED ||
            (!anchored && detail::reach_error(e.error))) {
            continue;
        }
        ChainFinding f = detail::describe(e, p, anchored, at, options.remedies);
        f.code = FindingCode::nonconforming_certificate;
        f.severity = Severity::warning;
        f.message += " (an error under --profile rfc5280)";
        out.push_back(std::move(f));
    }
    std::vector<ChainFinding> seen;
    for (const Profile stricter : {Profile::rfc5280, Profile::webpki}) {
        VerifyOptions o = options;
        o.profile = stricter;
        std::vector<ChainFinding> found;
        detail::lint_path(p, anchored, o, found);
        for (auto& f : found) {
            const std::string suffix = fmt::format(" ({} profile)", profile_name(stricter));
            if (f.message.size() >= suffix.size() &&
                f.message.compare(f.message.size() - suffix.size(), suffix.size(), suffix) == 0) {
                f.message.resize(f.message.size() - suffix.size());
            }
            const bool again = std::any_of(seen.begin(), seen.end(), [&](const ChainFinding& s) {
                return s.code == f.code && s.position == f.position && s.message == f.message;
            });
            if (again) {
                continue;
            }
            seen.push_back(f);
            if (f.severity == Severity::error) {
                f.severity = Severity::warning;
                f.message += fmt::format(" (an error under --profile {})", profile_name(stricter));
            }
            out.push_back(std::move(f));
        }
    }
}

// OpenSSL's errors about one path as findings, then the profile's own rules and the depth.
Attempt validate(std::vector<Certificate> path,
                 bool anchored,
                 const std::vector<Certificate>& pool,
                 const TrustStore& anchors,
                 const VerifyOptions& options,
                 TimePoint at) {
    Attempt out{std::move(path), anchored, {}};
    const auto& p = out.path;
    const std::optional<ChainFinding> distrusted =
        trust_settings_finding(p, anchored, anchors, options);
    if (distrusted) {
        out.findings.push_back(*distrusted);
    }
    std::vector<std::pair<int, int>> seen;
    const bool peer = options.profile == Profile::openssl;
    const std::vector<RawError> errors = detail::run_openssl(p, pool, options, at, !peer);
    for (const auto& e : errors) {
        const ErrorUse use = purpose_error_from_settings(e, p, distrusted, options)
                                 ? ErrorUse::ignore
                                 : classify(e, p, anchored, options, at);
        if (use == ErrorUse::nonconforming) {
            out.findings.push_back(detail::describe(e, p, anchored, at, options.remedies));
            out.findings.back().code = FindingCode::nonconforming_certificate;
            out.findings.back().severity = Severity::warning;
        }
        if (use != ErrorUse::report ||
            std::find(seen.begin(), seen.end(), std::pair{e.error, e.depth}) != seen.end()) {
            continue;
        }
        seen.emplace_back(e.error, e.depth);
        out.findings.push_back(detail::describe(e, p, anchored, at, options.remedies));
    }
    if (peer) {
        add_observations(p, anchored, pool, errors, options, at, out.findings);
    } else {
        detail::lint_path(p, anchored, options, out.findings);
    }
    if (auto f = max_depth_finding(p, anchored, options)) {
        out.findings.push_back(std::move(*f));
    }
    return out;
}

// For a path that does not reach an anchor: why (self-signed leaf, untrusted root, missing
// intermediate).
void add_reach_finding(Attempt& a, const TrustStore& anchors, const Remedies& remedies) {
    if (a.anchored) {
        return;
    }
    const auto& p = a.path;
    const Certificate& top = p.back();
    const std::size_t pos = p.size() - 1;
    if (anchors.contains(top)) {
        a.findings.push_back(error_finding(
            FindingCode::partial_chain,
            fmt::format("the chain ends at {}, which is among the trust anchors ({}) but is not a "
                        "root: OpenSSL-based peers (Postfix) do not accept a chain that stops "
                        "there; add its issuer '{}' to the trust anchors, or give {} explicit "
                        "trust settings (openssl x509 -addtrust), or use --profile rfc5280 to "
                        "accept any trusted certificate as an anchor",
                        quoted(top),
                        anchors.description(),
                        top.issuer(),
                        quoted(top)),
            p,
            pos));
    } else if (p.size() == 1 && top.is_self_signed()) {
        a.findings.push_back(error_finding(
            FindingCode::self_signed_leaf,
            fmt::format("{} is self-signed: it works for TLS encryption, but no client can verify "
                        "it unless it is in the peers' trust stores; {}",
                        quoted(top),
                        remedies.get_ca_signed),
            p,
            pos));
    } else if (top.is_self_signed()) {
        a.findings.push_back(error_finding(
            FindingCode::untrusted_root,
            fmt::format("the chain ends at root {}, which is not in {}: clients will not trust "
                        "it unless they have that root; use a certificate from a public CA, or, "
                        "if it is your private CA, {}",
                        quoted(top),
                        anchors.description(),
                        remedies.add_anchor),
            p,
            pos));
    } else {
        a.findings.push_back(error_finding(
            FindingCode::missing_intermediate,
            fmt::format("the issuer '{}' of {} is missing: if it is an intermediate CA, get it "
                        "from the CA and {}; if it is your private root, {}",
                        top.issuer(),
                        quoted(top),
                        remedies.add_intermediate,
                        remedies.add_anchor),
            p,
            pos));
    }
}

bool better(const Attempt& a, const Attempt& b) {
    if (a.anchored != b.anchored) {
        return a.anchored;
    }
    if (a.errors() != b.errors()) {
        return a.errors() < b.errors();
    }
    return a.path.size() > b.path.size();
}

// `untrusted` without the leaf and without repeats.
std::vector<Certificate> builder_pool(const Certificate& leaf,
                                      const std::vector<Certificate>& untrusted) {
    std::vector<Certificate> pool;
    for (const auto& c : untrusted) {
        if (!c.same_as(leaf) && std::none_of(pool.begin(), pool.end(), [&](const Certificate& x) {
                return x.same_as(c);
            })) {
            pool.push_back(c);
        }
    }
    return pool;
}

// Validates candidate paths until one is anchored and clean; the best of them (or, when the
// search budget ran out before any path was complete, the leaf alone). Counts them in `tried`.
Attempt best_attempt(const Certificate& leaf,
                     const std::vector<Certificate>& pool,
                     const TrustStore& anchors,
                     const VerifyOptions& options,
                     TimePoint at,
                     std::size_t& tried) {
    std::optional<Attempt> best;
    detail::PathBuilder builder(pool, anchors, options, at);
    builder.run(leaf, [&](const std::vector<Certificate>& path, bool anchored) {
        ++tried;
        Attempt a = validate(path, anchored, pool, anchors, options, at);
        add_reach_finding(a, anchors, options.remedies);
        const bool done = a.anchored && a.errors() == 0;
        if (!best || better(a, *best)) {
            best = std::move(a);
        }
        return done;
    });
    if (!best) {
        best = validate({leaf}, false, pool, anchors, options, at);
        add_reach_finding(*best, anchors, options.remedies);
    }
    return std::move(*best);
}

}  // namespace

std::string_view profile_name(Profile p) noexcept {
    const auto* it = std::find_if(k_profile_names.begin(),
                                  k_profile_names.end(),
                                  [&](const ProfileName& row) { return row.profile == p; });
    return it == k_profile_names.end() ? "openssl" : it->name;
}

std::optional<Profile> parse_profile(std::string_view name) noexcept {
    const auto* it = std::find_if(k_profile_names.begin(),
                                  k_profile_names.end(),
                                  [&](const ProfileName& row) { return row.name == name; });
    return it == k_profile_names.end() ? std::nullopt : std::optional{it->profile};
}

ChainReport verify_chain(const Certificate& leaf,
                         const std::vector<Certificate>& untrusted,
                         const TrustStore& anchors,
                         const VerifyOptions& options) {
    const TimePoint at = options.at ? *options.at : options.clock();
    ChainReport report;
    report.validated_at = at;
    report.time_checked = options.check_time;
    report.profile = options.profile;
    const std::vector<Certificate> pool = builder_pool(leaf, untrusted);
    Attempt best = best_attempt(leaf, pool, anchors, options, at, report.paths_tried);
    report.reached_anchor = best.anchored;
    for (std::size_t i = 0; i < best.path.size(); ++i) {
        report.path.push_back({best.path[i], best.anchored && i + 1 == best.path.size(), {}});
    }
    report.findings = std::move(best.findings);
    detail::add_name_findings(report, leaf, options);
    detail::add_expiry_warnings(report, leaf, at);
    detail::add_presentation_findings(leaf, untrusted, best.path, options.crls, report.findings);
    detail::conclude(report);
    return report;
}

}  // namespace certtool
