// OpenSSL verification errors as findings: each X509_V_ERR_* that has a finding code of its own
// is one row of error_mapping()'s table; every other error is invalid-certificate in OpenSSL's
// words.
#include "verify_errors.hpp"

#include "ossl.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>

namespace certtool::detail {

namespace {

// "the certificate", "intermediate" or "the trust anchor": path[pos]'s place in the path.
std::string role(std::size_t pos, std::size_t size, bool anchored) {
    if (pos == 0) {
        return "the certificate";
    }
    if (anchored && pos + 1 == size) {
        return "the trust anchor";
    }
    return "intermediate";
}

// What a finding's message may mention about one OpenSSL verification error.
struct ErrorContext {
    int error;
    const Certificate& cert;
    std::size_t pos;
    std::string who;  // "intermediate 'CN=...'"
    TimePoint at;
    const Remedies& remedies;
};

std::string expired_text(const ErrorContext& e) {
    return fmt::format(
        "{} expired on {} (checked at {}): {}",
        e.who,
        format_time(e.cert.not_after()),
        format_time(e.at),
        e.pos == 0 ? e.remedies.renew : std::string{"get the current one from the CA"});
}

std::string not_yet_valid_text(const ErrorContext& e) {
    return fmt::format("{} is not valid until {} (checked at {}): check the clock, or wait",
                       e.who,
                       format_time(e.cert.not_before()),
                       format_time(e.at));
}

std::string bad_signature_text(const ErrorContext& e) {
    return fmt::format(
        "the signature on {} does not verify with its issuer's key: the issuer in "
        "the chain is the wrong certificate (same name, other key) or it was altered",
        e.who);
}

std::string not_a_ca_text(const ErrorContext& e) {
    return fmt::format(
        "{} issues certificates but is not a CA certificate (basicConstraints CA "
        "or keyUsage keyCertSign missing)",
        e.who);
}

std::string path_length_text(const ErrorContext& e) {
    return fmt::format(
        "{} allows fewer CAs below it than this chain has (basicConstraints pathlen)", e.who);
}

std::string chain_too_long_text(const ErrorContext& /*e*/) {
    return "the chain is longer than allowed";
}

std::string constraint_text(const ErrorContext& e) {
    return fmt::format(
        "a name in {} is outside what a CA above it may certify (name constraints: {})",
        e.who,
        X509_verify_cert_error_string(e.error));
}

std::string wrong_purpose_text(const ErrorContext& e) {
    return fmt::format(
        "{} is not for this use (extendedKeyUsage or keyUsage): get a certificate "
        "issued for TLS server (and client) authentication",
        e.who);
}

std::string weak_key_text(const ErrorContext& e) {
    return fmt::format(
        "{} has a key that is too weak ({}): use RSA of at least 2048 bits or an EC key",
        e.who,
        e.cert.key_description());
}

std::string weak_signature_text(const ErrorContext& e) {
    return fmt::format(
        "{} is signed with a weak algorithm ({}): get a certificate signed with "
        "SHA-256 or better",
        e.who,
        e.cert.signature_algorithm());
}

std::string revoked_text(const ErrorContext& e) {
    return fmt::format("{} has been revoked by its issuer: replace it", e.who);
}

std::string revocation_text(const ErrorContext& e) {
    return fmt::format("the revocation status of {} is unknown: {}",
                       e.who,
                       X509_verify_cert_error_string(e.error));
}

std::string critical_ext_text(const ErrorContext& e) {
    return fmt::format(
        "{} has a critical extension this verifier does not know, so it must be rejected", e.who);
}

// OpenSSL's own wording, after the certificate.
std::string openssl_text(const ErrorContext& e) {
    return fmt::format("{}: {}", e.who, X509_verify_cert_error_string(e.error));
}

// One OpenSSL verification error, its finding code and the message that explains it.
struct ErrorMapping {
    int error;
    FindingCode code;
    std::string (*message)(const ErrorContext&);
};

const ErrorMapping& error_mapping(int error) {
    using enum FindingCode;
    static constexpr auto k_rows = std::to_array<ErrorMapping>({
        {X509_V_ERR_CERT_HAS_EXPIRED, expired, expired_text},
        {X509_V_ERR_CERT_NOT_YET_VALID, not_yet_valid, not_yet_valid_text},
        {X509_V_ERR_CERT_SIGNATURE_FAILURE, bad_signature, bad_signature_text},
        {X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE, bad_signature, bad_signature_text},
        {X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY, bad_signature, bad_signature_text},
        {X509_V_ERR_INVALID_CA, not_a_ca, not_a_ca_text},
        {X509_V_ERR_KEYUSAGE_NO_CERTSIGN, not_a_ca, not_a_ca_text},
        {X509_V_ERR_PATH_LENGTH_EXCEEDED, path_length_exceeded, path_length_text},
        {X509_V_ERR_CERT_CHAIN_TOO_LONG, path_length_exceeded, chain_too_long_text},
        {X509_V_ERR_PERMITTED_VIOLATION, name_constraints_violation, constraint_text},
        {X509_V_ERR_EXCLUDED_VIOLATION, name_constraints_violation, constraint_text},
        {X509_V_ERR_SUBTREE_MINMAX, name_constraints_violation, constraint_text},
        {X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE, name_constraints_violation, constraint_text},
        {X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX, name_constraints_violation, constraint_text},
        {X509_V_ERR_UNSUPPORTED_NAME_SYNTAX, name_constraints_violation, constraint_text},
        {X509_V_ERR_INVALID_PURPOSE, wrong_purpose, wrong_purpose_text},
        {X509_V_ERR_EE_KEY_TOO_SMALL, weak_key, weak_key_text},
        {X509_V_ERR_CA_KEY_TOO_SMALL, weak_key, weak_key_text},
        {X509_V_ERR_CA_MD_TOO_WEAK, weak_signature, weak_signature_text},
        {X509_V_ERR_CERT_REVOKED, revoked, revoked_text},
        {X509_V_ERR_UNABLE_TO_GET_CRL, revocation_unknown, revocation_text},
        {X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER, revocation_unknown, revocation_text},
        {X509_V_ERR_CRL_HAS_EXPIRED, revocation_unknown, revocation_text},
        {X509_V_ERR_CRL_NOT_YET_VALID, revocation_unknown, revocation_text},
        {X509_V_ERR_CRL_SIGNATURE_FAILURE, revocation_unknown, revocation_text},
        {X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE, revocation_unknown, revocation_text},
        {X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD, revocation_unknown, revocation_text},
        {X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD, revocation_unknown, revocation_text},
        {X509_V_ERR_KEYUSAGE_NO_CRL_SIGN, revocation_unknown, revocation_text},
        {X509_V_ERR_DIFFERENT_CRL_SCOPE, revocation_unknown, revocation_text},
        {X509_V_ERR_CRL_PATH_VALIDATION_ERROR, revocation_unknown, revocation_text},
        {X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION, unknown_critical_extension, critical_ext_text},
        {X509_V_ERR_INVALID_POLICY_EXTENSION, policy_violation, openssl_text},
        {X509_V_ERR_NO_EXPLICIT_POLICY, policy_violation, openssl_text},
        {X509_V_ERR_INVALID_NON_CA, policy_violation, openssl_text},
    });
    // Every other error: invalid-certificate in OpenSSL's words.
    static constexpr ErrorMapping k_other{0, invalid_certificate, openssl_text};
    const auto* it = std::find_if(
        k_rows.begin(), k_rows.end(), [&](const ErrorMapping& m) { return m.error == error; });
    return it == k_rows.end() ? k_other : *it;
}

// libcrypto found no issuer, yet the path has a certificate with the issuer's name above: it
// was passed over because its key identifier differs. If its key does not verify the
// signature either, this is a same-name CA with another key.
bool same_name_other_key(int error, const std::vector<Certificate>& path, std::size_t pos) {
    if ((error != X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY &&
         error != X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT) ||
        pos + 1 >= path.size() ||
        X509_NAME_cmp(X509_get_issuer_name(path[pos].native()),
                      X509_get_subject_name(path[pos + 1].native())) != 0) {
        return false;
    }
    EVP_PKEY* key = X509_get0_pubkey(path[pos + 1].native());
    const bool verifies = key != nullptr && X509_verify(path[pos].native(), key) == 1;
    ossl::clear_errors();
    return !verifies;
}

}  // namespace

std::string quoted(const Certificate& c) {
    return fmt::format("'{}'", c.subject());
}

ChainFinding error_finding(FindingCode code,
                           std::string message,
                           const std::vector<Certificate>& path,
                           std::size_t pos) {
    return {code, Severity::error, std::move(message), path[pos].subject(), pos};
}

// One OpenSSL verification error as a finding with a stable code and a plain-English fix.
ChainFinding describe(const RawError& e,
                      const std::vector<Certificate>& path,
                      bool anchored,
                      TimePoint at,
                      const Remedies& remedies) {
    const std::size_t pos =
        std::min(static_cast<std::size_t>(std::max(e.depth, 0)), path.size() - 1);
    const Certificate& c = path[pos];
    const ErrorContext context{e.error,
                               c,
                               pos,
                               fmt::format("{} {}", role(pos, path.size(), anchored), quoted(c)),
                               at,
                               remedies};
    const ErrorMapping& m = same_name_other_key(e.error, path, pos)
                                ? error_mapping(X509_V_ERR_CERT_SIGNATURE_FAILURE)
                                : error_mapping(e.error);
    return error_finding(m.code, m.message(context), path, pos);
}

bool anchor_field_error(int error) noexcept {
    switch (error) {
        case X509_V_ERR_INVALID_CA:
        case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
        case X509_V_ERR_INVALID_PURPOSE:
        case X509_V_ERR_PATH_LENGTH_EXCEEDED:
        case X509_V_ERR_CA_CERT_MISSING_KEY_USAGE:
        case X509_V_ERR_CA_BCONS_NOT_CRITICAL:
        case X509_V_ERR_KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA:
        case X509_V_ERR_ISSUER_NAME_EMPTY:
        case X509_V_ERR_EMPTY_SUBJECT_ALT_NAME:
        case X509_V_ERR_MISSING_SUBJECT_KEY_IDENTIFIER:
        case X509_V_ERR_MISSING_AUTHORITY_KEY_IDENTIFIER:
        case X509_V_ERR_AUTHORITY_KEY_IDENTIFIER_CRITICAL:
        case X509_V_ERR_SUBJECT_KEY_IDENTIFIER_CRITICAL:
        case X509_V_ERR_EXTENSIONS_REQUIRE_VERSION_3:
        case X509_V_ERR_CA_MD_TOO_WEAK:
            return true;
        default:
            return false;
    }
}

bool strict_lint_only(int error) noexcept {
    switch (error) {
        case X509_V_ERR_CA_CERT_MISSING_KEY_USAGE:
        case X509_V_ERR_CA_BCONS_NOT_CRITICAL:
        case X509_V_ERR_KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA:
        case X509_V_ERR_PATHLEN_INVALID_FOR_NON_CA:
        case X509_V_ERR_PATHLEN_WITHOUT_KU_KEY_CERT_SIGN:
            return true;
        default:
            return false;
    }
}

bool reach_error(int error) noexcept {
    switch (error) {
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_CERT_UNTRUSTED:
            return true;
        default:
            return false;
    }
}

}  // namespace certtool::detail
