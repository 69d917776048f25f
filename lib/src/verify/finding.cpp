#include <certtool/finding.hpp>

#include <array>
#include <cstddef>

namespace certtool {

namespace {

constexpr auto k_codes = std::to_array<FindingCodeInfo>({
    {FindingCode::duplicate_certificate,
     "duplicate-certificate",
     Severity::warning,
     "a certificate was given more than once: kept once"},
    {FindingCode::unrelated_certificate,
     "unrelated-certificate",
     Severity::warning,
     "a given certificate is not on the leaf's path: dropped"},
    {FindingCode::wrong_order,
     "wrong-order",
     Severity::warning,
     "the certificates were not in leaf-to-root order: reordered"},
    {FindingCode::root_not_stored,
     "root-not-stored",
     Severity::info,
     "a self-signed root is a trust anchor: servers need not send it, so it is not stored"},
    {FindingCode::expires_before_leaf,
     "expires-before-leaf",
     Severity::warning,
     "an issuer expires before the leaf"},
    {FindingCode::missing_intermediate,
     "missing-intermediate",
     Severity::error,
     "the path stops at a certificate whose issuer was not given (the issuer is named)"},
    {FindingCode::untrusted_root,
     "untrusted-root",
     Severity::error,
     "the path ends at a self-signed root that is not a trust anchor"},
    {FindingCode::self_signed_leaf,
     "self-signed-leaf",
     Severity::error,
     "the certificate is self-signed: fine for encryption, not verifiable"},
    {FindingCode::chain_invalid,
     "chain-invalid",
     Severity::warning,
     "the assembled chain does not validate against the trust anchors (OpenSSL's reason)"},
    {FindingCode::expired,
     "expired",
     Severity::error,
     "a certificate's notAfter is before the validation time (validity is inclusive, RFC 5280)"},
    {FindingCode::not_yet_valid,
     "not-yet-valid",
     Severity::error,
     "a certificate's notBefore is after the validation time"},
    {FindingCode::hostname_mismatch,
     "hostname-mismatch",
     Severity::error,
     "an expected host name is not covered by the certificate"},
    {FindingCode::name_mismatch,
     "name-mismatch",
     Severity::warning,
     "import: the certificate leaves out names the entry's CSR asked for (both lists are given)"},
    {FindingCode::bad_signature,
     "bad-signature",
     Severity::error,
     "a signature does not verify with the issuer's key"},
    {FindingCode::not_a_ca,
     "not-a-ca",
     Severity::error,
     "an issuer's CA flag or key usage does not allow it to issue certificates"},
    {FindingCode::not_an_end_entity,
     "not-an-end-entity",
     Severity::error,
     "the leaf is a CA certificate, not an end entity"},
    {FindingCode::path_length_exceeded,
     "path-length-exceeded",
     Severity::error,
     "a pathLenConstraint or --max-depth is exceeded"},
    {FindingCode::name_constraints_violation,
     "name-constraints-violation",
     Severity::error,
     "a name outside an issuer's name constraints (wildcards included)"},
    {FindingCode::wrong_purpose,
     "wrong-purpose",
     Severity::error,
     "extKeyUsage or keyUsage does not allow the purpose (--purpose)"},
    {FindingCode::weak_key,
     "weak-key",
     Severity::error,
     "a key weaker than the profile allows (openssl: the security level's, RSA < 1024 at 1; "
     "rfc5280: 112 bits, RSA < 2048, curves < P-224)"},
    {FindingCode::weak_signature,
     "weak-signature",
     Severity::error,
     "an MD5 or SHA-1 signature below the anchor (openssl, security level >= 1), SHA-1 "
     "(rfc5280, unless allowed), MD5/MD2 (always)"},
    {FindingCode::revoked, "revoked", Severity::error, "with --crl: the certificate is revoked"},
    {FindingCode::revocation_unknown,
     "revocation-unknown",
     Severity::error,
     "with --crl: no current, valid CRL from the certificate's issuer"},
    {FindingCode::unknown_critical_extension,
     "unknown-critical-extension",
     Severity::error,
     "a critical extension the verifier does not understand"},
    {FindingCode::policy_violation,
     "policy-violation",
     Severity::error,
     "the certificate policies do not satisfy the policy inputs (RFC 5280 6.1)"},
    {FindingCode::malformed_certificate,
     "malformed-certificate",
     Severity::error,
     "a field violates RFC 5280 or the profile's syntax rules"},
    {FindingCode::invalid_certificate,
     "invalid-certificate",
     Severity::error,
     "another RFC 5280 failure (OpenSSL's reason is quoted)"},
    {FindingCode::nonconforming_certificate,
     "nonconforming-certificate",
     Severity::warning,
     "a CA \"MUST\" that OpenSSL's strict mode checks but RFC 5280's algorithm does not require"},
    {FindingCode::aia_fetched,
     "aia-fetched",
     Severity::info,
     "a missing issuer was fetched from the caIssuers URL (fix-chain --aia)"},
    {FindingCode::aia_failed,
     "aia-failed",
     Severity::warning,
     "fetching a caIssuers URL failed (the URL and the reason are named)"},
    {FindingCode::connect_failed,
     "connect-failed",
     Severity::error,
     "check-tls: no TCP connection to the server"},
    {FindingCode::no_banner,
     "no-banner",
     Severity::error,
     "check-tls: no 220 banner within the timeout, or the connection closed"},
    {FindingCode::not_smtp, "not-smtp", Severity::error, "check-tls: the peer does not speak SMTP"},
    {FindingCode::session_refused,
     "session-refused",
     Severity::error,
     "check-tls: a non-220 banner, or EHLO and HELO rejected"},
    {FindingCode::no_esmtp,
     "no-esmtp",
     Severity::error,
     "check-tls: EHLO is not understood (HELO only), so no STARTTLS"},
    {FindingCode::starttls_not_offered,
     "starttls-not-offered",
     Severity::error,
     "check-tls: STARTTLS is not among the EHLO extensions"},
    {FindingCode::starttls_refused,
     "starttls-refused",
     Severity::error,
     "check-tls: STARTTLS was answered with an error (the reply is quoted)"},
    {FindingCode::handshake_failed,
     "handshake-failed",
     Severity::error,
     "check-tls: the TLS handshake failed (OpenSSL's reason)"},
    {FindingCode::no_certificate,
     "no-certificate",
     Severity::error,
     "check-tls: the server sent no certificate"},
    {FindingCode::weak_protocol,
     "weak-protocol",
     Severity::warning,
     "check-tls: TLS 1.0 or 1.1 was negotiated"},
    {FindingCode::weak_cipher,
     "weak-cipher",
     Severity::warning,
     "check-tls: RC4, 3DES, NULL, export, MD5 or a cipher below 128 bits was negotiated"},
    {FindingCode::mail_from_rejected,
     "mail-from-rejected",
     Severity::warning,
     "check-tls: MAIL FROM:<--from> was rejected"},
    {FindingCode::starttls_not_tried,
     "starttls-not-tried",
     Severity::info,
     "check-tls --plain: STARTTLS was never sent"},
    {FindingCode::invalid_host_name,
     "invalid-host-name",
     Severity::error,
     "check-tls: an MX target is not a DNS name a certificate could match"},
    {FindingCode::stale_certificate,
     "stale-certificate",
     Severity::error,
     "check-tls --expect: the server presents another certificate than the store entry's"},
    {FindingCode::certificate_current,
     "certificate-current",
     Severity::info,
     "check-tls --expect: the server presents the store entry's certificate"},
    {FindingCode::demo_certificate,
     "demo-certificate",
     Severity::warning,
     "the entry is the demonstration certificate: it cannot offer a verifiable connection"},
    {FindingCode::distrusted_anchor,
     "distrusted-anchor",
     Severity::error,
     "the path ends at a trust anchor whose OpenSSL trust settings reject this purpose (or trust "
     "it only for others)"},
    {FindingCode::partial_chain,
     "partial-chain",
     Severity::error,
     "the path ends at a trusted certificate that is not a root: OpenSSL-based peers need its "
     "root, or explicit trust settings on it (profile openssl)"},
});

constexpr bool table_in_enum_order() {
    for (std::size_t i = 0; i < k_codes.size(); ++i) {
        if (static_cast<std::size_t>(k_codes[i].code) != i) {
            return false;
        }
    }
    return true;
}

static_assert(table_in_enum_order(), "k_codes: one row per FindingCode, in declaration order");
static_assert(static_cast<std::size_t>(FindingCode::partial_chain) + 1 == k_codes.size(),
              "k_codes: a row for every FindingCode (partial_chain is the last enumerator)");

}  // namespace

std::string_view severity_name(Severity s) noexcept {
    switch (s) {
        case Severity::info:
            return "info";
        case Severity::warning:
            return "warning";
        case Severity::error:
            return "error";
    }
    return "warning";
}

std::span<const FindingCodeInfo> finding_codes() noexcept {
    return k_codes;
}

const FindingCodeInfo& finding_info(FindingCode code) noexcept {
    return k_codes[static_cast<std::size_t>(code)];
}

std::string_view finding_name(FindingCode code) noexcept {
    return finding_info(code).name;
}

std::optional<FindingCode> parse_finding_code(std::string_view name) noexcept {
    for (const auto& c : k_codes) {
        if (c.name == name) {
            return c.code;
        }
    }
    return std::nullopt;
}

}  // namespace certtool
