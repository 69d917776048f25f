// OpenSSL's verification errors (X509_V_ERR_*) as findings: one table from error to finding
// code and message, and the error classes validate() treats specially.
#pragma once

#include <certtool/verify.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace certtool::detail {

// One error as the verify callback saw it: X509_V_ERR_* and the depth (0 = leaf).
struct RawError {
    int error;
    int depth;
};

// "'CN=mail.example.com, O=Example'": a certificate's subject as messages quote it.
[[nodiscard]] std::string quoted(const Certificate& c);

// An error finding about path[pos].
[[nodiscard]] ChainFinding error_finding(FindingCode code,
                                         std::string message,
                                         const std::vector<Certificate>& path,
                                         std::size_t pos);

// One OpenSSL verification error about `path` (leaf first; the last one is the trust anchor if
// `anchored`) as a finding with a stable code and a plain-English fix; `at` is the validation
// time the message mentions.
[[nodiscard]] ChainFinding describe(const RawError& e,
                                    const std::vector<Certificate>& path,
                                    bool anchored,
                                    TimePoint at,
                                    const Remedies& remedies);

// Errors that only say how far the path reaches (no issuer, self-signed, untrusted): for a path
// that does not end at an anchor, add_reach_finding reports that instead.
[[nodiscard]] bool reach_error(int error) noexcept;

// Errors about the trust anchor's own certificate fields, which RFC 5280 does not apply.
[[nodiscard]] bool anchor_field_error(int error) noexcept;

// Errors X509_V_FLAG_X509_STRICT raises that RFC 5280's validation algorithm does not: a
// conforming CA "MUST" include them, but a verifier does not reject for their absence.
[[nodiscard]] bool strict_lint_only(int error) noexcept;

}  // namespace certtool::detail
