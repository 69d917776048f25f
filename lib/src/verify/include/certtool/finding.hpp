// Findings: one observation about a certificate, a chain or a probed server, with a stable code.
//
// Every public code is one FindingCode: its text form, default severity and one-line meaning
// live in a single table (finding.cpp), which the README's code table mirrors (a test compares
// them). A new code is a new enumerator and a new table row; a typo cannot become a new code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace certtool {

enum class Severity { info, warning, error };
[[nodiscard]] std::string_view severity_name(Severity s) noexcept;

enum class FindingCode : std::uint8_t {
    duplicate_certificate,
    unrelated_certificate,
    wrong_order,
    root_not_stored,
    expires_before_leaf,
    missing_intermediate,
    untrusted_root,
    self_signed_leaf,
    chain_invalid,
    expired,
    not_yet_valid,
    hostname_mismatch,
    name_mismatch,
    bad_signature,
    not_a_ca,
    not_an_end_entity,
    path_length_exceeded,
    name_constraints_violation,
    wrong_purpose,
    weak_key,
    weak_signature,
    revoked,
    revocation_unknown,
    unknown_critical_extension,
    policy_violation,
    malformed_certificate,
    invalid_certificate,
    nonconforming_certificate,
    aia_fetched,
    aia_failed,
    connect_failed,
    no_banner,
    not_smtp,
    session_refused,
    no_esmtp,
    starttls_not_offered,
    starttls_refused,
    handshake_failed,
    no_certificate,
    weak_protocol,
    weak_cipher,
    mail_from_rejected,
    starttls_not_tried,
    invalid_host_name,
    stale_certificate,
    certificate_current,
    demo_certificate,
    distrusted_anchor,
    partial_chain,
};

struct FindingCodeInfo {
    FindingCode code;
    std::string_view name;  // stable, kebab-case: what --json and the text output print
    Severity
        severity;  // the severity a finding of this code has unless its producer says otherwise
    std::string_view meaning;
};

// Every code, in declaration order.
[[nodiscard]] std::span<const FindingCodeInfo> finding_codes() noexcept;
[[nodiscard]] const FindingCodeInfo& finding_info(FindingCode code) noexcept;
[[nodiscard]] std::string_view finding_name(FindingCode code) noexcept;
// The code whose name is `name`, if any.
[[nodiscard]] std::optional<FindingCode> parse_finding_code(std::string_view name) noexcept;

// What the user does to fix what a finding reports, in the caller's own terms (a command line, an
// option): findings' messages quote these, so the advice is always something the user can run
// where they are. The defaults are neutral; each command sets its own.
struct Remedies {
    // The issuer of the top certificate is not given (an intermediate CA, or a private root).
    std::string add_intermediate{"add it to the chain"};
    // A root that is not a trust anchor (a private CA).
    std::string add_anchor{"add that root to the trust anchors"};
    // The leaf has expired or is about to.
    std::string renew{"get a new certificate"};
    // A self-signed leaf that no client can verify.
    std::string get_ca_signed{"get a CA-signed certificate"};
};

// One observation. Findings of severity error make a chain invalid (or a probe fail); warnings
// and info do not.
struct ChainFinding {
    FindingCode code{FindingCode::invalid_certificate};
    Severity severity{Severity::warning};
    std::string message;                    // plain English, with the fix where there is one
    std::string subject;                    // the certificate concerned, if any
    std::optional<std::size_t> position{};  // its index in the verified path (0 = leaf)

    // A finding with the code's default severity.
    [[nodiscard]] static ChainFinding of(FindingCode code,
                                         std::string message,
                                         std::string subject = {},
                                         std::optional<std::size_t> position = std::nullopt) {
        return {
            code, finding_info(code).severity, std::move(message), std::move(subject), position};
    }
};

}  // namespace certtool
