// verify_chain: a path builder that tries alternative issuers, OpenSSL's X509_verify_cert as
// the validator of each candidate path (with every error collected, not just the first), and
// the profile checks OpenSSL does not make (verify_lint.cpp).
#include "ossl.hpp"
#include "verify_lint.hpp"

#include <certtool/error.hpp>
#include <certtool/verify.hpp>

#include <fmt/core.h>
#include <openssl/core_names.h>
#include <openssl/err.h>

#include <algorithm>
#include <array>
#include <map>

namespace certtool {

namespace {

constexpr int k_openssl_depth = 64;  // our own max_depth check counts what RFC 5280 counts

struct RawError {
    int error;
    int depth;
};

// RFC 5280 6.1.4 (d)-(f): a DSA key without parameters inherits them from its issuer's DSA
// key. OpenSSL 3.0 cannot decode such a key, so it cannot link the certificate below it. The
// path is run with a copy of the certificate whose key carries the inherited parameters; that
// copy's own signature no longer matches, so the callback checks the original's instead.
struct Inherited {
    ossl::X509Ptr patched;
    X509* original{nullptr};
    EVP_PKEY* issuer_key{nullptr};  // owned by the issuer's (possibly patched) X509
};

// The DSA public value y of a parameterless DSA key, else null.
ossl::BignumPtr parameterless_dsa_y(X509* x) {
    ASN1_OBJECT* alg = nullptr;
    const unsigned char* pk = nullptr;
    int pk_len = 0;
    X509_ALGOR* palg = nullptr;
    if (X509_PUBKEY_get0_param(&alg, &pk, &pk_len, &palg, X509_get_X509_PUBKEY(x)) != 1 ||
        OBJ_obj2nid(alg) != NID_dsa) {
        return nullptr;
    }
    int ptype = V_ASN1_UNDEF;
    X509_ALGOR_get0(nullptr, &ptype, nullptr, palg);
    if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL) {
        return nullptr;
    }
    ossl::Asn1IntegerPtr y{d2i_ASN1_INTEGER(nullptr, &pk, pk_len)};
    return ossl::BignumPtr{y ? ASN1_INTEGER_to_BN(y.get(), nullptr) : nullptr};
}

// y with the DSA domain parameters of `issuer_key`, else null.
ossl::EvpPkeyPtr dsa_key_with_parameters(const BIGNUM* y, EVP_PKEY* issuer_key) {
    if (issuer_key == nullptr || EVP_PKEY_get_base_id(issuer_key) != EVP_PKEY_DSA) {
        return nullptr;
    }
    BIGNUM* raw_p = nullptr;
    BIGNUM* raw_q = nullptr;
    BIGNUM* raw_g = nullptr;
    EVP_PKEY_get_bn_param(issuer_key, OSSL_PKEY_PARAM_FFC_P, &raw_p);
    EVP_PKEY_get_bn_param(issuer_key, OSSL_PKEY_PARAM_FFC_Q, &raw_q);
    EVP_PKEY_get_bn_param(issuer_key, OSSL_PKEY_PARAM_FFC_G, &raw_g);
    const ossl::BignumPtr p{raw_p};
    const ossl::BignumPtr q{raw_q};
    const ossl::BignumPtr g{raw_g};
    ossl::ParamBldPtr bld{OSSL_PARAM_BLD_new()};
    if (!p || !q || !g || !bld ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_P, p.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_Q, q.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_G, g.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, y) != 1) {
        return nullptr;
    }
    const ossl::ParamPtr params{OSSL_PARAM_BLD_to_param(bld.get())};
    const ossl::EvpPkeyCtxPtr ctx{EVP_PKEY_CTX_new_from_name(nullptr, "DSA", nullptr)};
    EVP_PKEY* key = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
        return nullptr;
    }
    return ossl::EvpPkeyPtr{key};
}

// Patched copies for every parameterless DSA key below the top of `path` (top down, so that
// inheritance can pass through several certificates; the leaf too: OpenSSL's strict checks
// want every key decodable).
std::vector<Inherited> inherit_dsa_parameters(const std::vector<Certificate>& path) {
    std::vector<Inherited> out;
    EVP_PKEY* above = path.empty() ? nullptr : X509_get0_pubkey(path.back().native());
    for (std::size_t i = path.size() - 1; i-- > 0;) {
        X509* x = path[i].native();
        const ossl::BignumPtr y = parameterless_dsa_y(x);
        ossl::EvpPkeyPtr key = y ? dsa_key_with_parameters(y.get(), above) : nullptr;
        if (!key) {
            above = X509_get0_pubkey(x);
            continue;
        }
        ossl::X509Ptr copy{X509_dup(x)};
        if (!copy || X509_set_pubkey(copy.get(), key.get()) != 1) {
            above = X509_get0_pubkey(x);
            continue;
        }
        Inherited inh{std::move(copy), x, above};
        above = X509_get0_pubkey(inh.patched.get());
        out.push_back(std::move(inh));
    }
    ossl::clear_errors();
    return out;
}

// Collected by the verify callback; the callback always continues so that every problem of a
// path is seen.
struct Collector {
    std::vector<RawError> errors;
    const std::vector<Inherited>* inherited{nullptr};
};

int collector_index() {
    static const int index = X509_STORE_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

int collect_cb(int ok, X509_STORE_CTX* ctx) {
    if (ok == 1) {
        return 1;
    }
    auto* collector = static_cast<Collector*>(X509_STORE_CTX_get_ex_data(ctx, collector_index()));
    if (collector == nullptr) {
        // A CRL issuer's path (a sub-context): its failure fails the CRL. One exception:
        // libcrypto refuses any CRL path validation inside this one, but when the CRL that
        // covers a certificate here was issued by the very certificate this sub-context is
        // validating (an indirect CRL covering its own issuer's certificate, PKITS 4.14.30),
        // that path is the one being validated right here; the CRL's signature and its
        // entries are still checked after this.
        if (X509_STORE_CTX_get_error(ctx) == X509_V_ERR_CRL_PATH_VALIDATION_ERROR &&
            X509_STORE_CTX_get0_parent_ctx(ctx) != nullptr) {
            X509* crl_issuer = X509_STORE_CTX_get0_current_issuer(ctx);
            X509* validating = X509_STORE_CTX_get0_cert(ctx);
            if (crl_issuer != nullptr && validating != nullptr &&
                X509_cmp(crl_issuer, validating) == 0) {
                return 1;
            }
        }
        return ok;
    }
    if (X509_STORE_CTX_get_error(ctx) == X509_V_ERR_CERT_SIGNATURE_FAILURE &&
        collector->inherited != nullptr) {
        const X509* current = X509_STORE_CTX_get_current_cert(ctx);
        for (const auto& inh : *collector->inherited) {
            if (inh.patched.get() == current) {
                const bool genuine = X509_verify(inh.original, inh.issuer_key) == 1;
                ERR_clear_error();
                if (genuine) {
                    return 1;  // the original, with its own encoding, is signed by its issuer
                }
            }
        }
    }
    collector->errors.push_back(
        {X509_STORE_CTX_get_error(ctx), X509_STORE_CTX_get_error_depth(ctx)});
    return 1;
}

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

std::string quoted(const Certificate& c) {
    return fmt::format("'{}'", c.subject());
}

std::string role(std::size_t pos, std::size_t size, bool anchored) {
    if (pos == 0) {
        return "the certificate";
    }
    if (anchored && pos + 1 == size) {
        return "the trust anchor";
    }
    return "intermediate";
}

ChainFinding error_finding(FindingCode code,
                           std::string message,
                           const std::vector<Certificate>& path,
                           std::size_t pos) {
    return {code, Severity::error, std::move(message), path[pos].subject(), pos};
}

// What a finding's message may mention about one OpenSSL verification error.
struct ErrorContext {
    int error;
    const Certificate& cert;
    std::size_t pos;
    std::string who;  // "intermediate 'CN=...'"
    TimePoint at;
};

std::string expired_text(const ErrorContext& e) {
    return fmt::format(
        "{} expired on {} (checked at {}): {}",
        e.who,
        format_time(e.cert.not_after()),
        format_time(e.at),
        e.pos == 0 ? "renew it (certtool renew or a new CSR)" : "get the current one from the CA");
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

// One OpenSSL verification error as a finding with a stable code and a plain-English fix.
ChainFinding describe(const RawError& e,
                      const std::vector<Certificate>& path,
                      bool anchored,
                      TimePoint at) {
    const std::size_t pos =
        std::min(static_cast<std::size_t>(std::max(e.depth, 0)), path.size() - 1);
    const Certificate& c = path[pos];
    const ErrorContext context{
        e.error, c, pos, fmt::format("{} {}", role(pos, path.size(), anchored), quoted(c)), at};
    const ErrorMapping& m = same_name_other_key(e.error, path, pos)
                                ? error_mapping(X509_V_ERR_CERT_SIGNATURE_FAILURE)
                                : error_mapping(e.error);
    return error_finding(m.code, m.message(context), path, pos);
}

// Errors about the trust anchor's own certificate fields, which RFC 5280 does not apply.
bool anchor_field_error(int error) {
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

// Errors X509_V_FLAG_X509_STRICT raises that RFC 5280's validation algorithm does not: a
// conforming CA "MUST" include them, but a verifier does not reject for their absence.
bool strict_lint_only(int error) {
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

int purpose_id(Purpose p) {
    switch (p) {
        case Purpose::server:
            return X509_PURPOSE_SSL_SERVER;
        case Purpose::client:
            return X509_PURPOSE_SSL_CLIENT;
        case Purpose::any:
            return 0;
    }
    return 0;
}

// Runs OpenSSL over exactly this path: the top certificate is the only trusted one.
// With CRLs, the other pool certificates follow the path's (OpenSSL takes the first issuer that
// fits, so the path is still preferred): a CRL may be signed by a certificate off the path.
std::vector<RawError> run_openssl(const std::vector<Certificate>& path,
                                  const std::vector<Certificate>& pool,
                                  const VerifyOptions& options,
                                  TimePoint at) {
    ossl::X509StorePtr store{ossl::check_ptr(X509_STORE_new(), "X509_STORE_new")};
    ossl::check1(X509_STORE_add_cert(store.get(), path.back().native()), "X509_STORE_add_cert");
    ossl::X509StackPtr untrusted{ossl::check_ptr(sk_X509_new_null(), "sk_X509_new_null")};
    const std::vector<Inherited> inherited = inherit_dsa_parameters(path);
    for (std::size_t i = 1; i + 1 < path.size(); ++i) {
        X509* x = path[i].native();
        for (const auto& inh : inherited) {
            x = inh.original == x ? inh.patched.get() : x;
        }
        ossl::check1(X509_add_cert(untrusted.get(), x, X509_ADD_FLAG_UP_REF), "X509_add_cert");
    }
    if (!options.crls.empty()) {
        for (const auto& c : pool) {
            X509* x = c.native();
            for (const auto& inh : inherited) {
                x = X509_cmp(inh.original, x) == 0 ? inh.patched.get() : x;
            }
            ossl::check1(
                X509_add_cert(untrusted.get(), x, X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP),
                "X509_add_cert");
        }
    }
    ossl::X509StoreCtxPtr ctx{ossl::check_ptr(X509_STORE_CTX_new(), "X509_STORE_CTX_new")};
    X509* leaf = path.front().native();
    for (const auto& inh : inherited) {
        leaf = inh.original == leaf ? inh.patched.get() : leaf;
    }
    ossl::check1(X509_STORE_CTX_init(ctx.get(), store.get(), leaf, untrusted.get()),
                 "X509_STORE_CTX_init");
    // Given to the context rather than the store: the store looks CRLs up by the
    // certificate's issuer name, which misses indirect CRLs (RFC 5280 5.2.5).
    ossl::X509CrlStackPtr crls{ossl::check_ptr(sk_X509_CRL_new_null(), "sk_X509_CRL_new_null")};
    for (const auto& crl : options.crls) {
        ossl::check1(X509_CRL_up_ref(crl.native()), "X509_CRL_up_ref");
        if (sk_X509_CRL_push(crls.get(), crl.native()) <= 0) {
            ossl::X509CrlPtr{crl.native()}.reset();
            ossl::throw_error(Errc::crypto, "sk_X509_CRL_push");
        }
    }
    X509_STORE_CTX_set0_crls(ctx.get(), crls.get());
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    unsigned long flags = X509_V_FLAG_PARTIAL_CHAIN;
    if (options.profile != Profile::openssl) {
        flags |= X509_V_FLAG_X509_STRICT;
    }
    // OpenSSL's security levels are off: verify_lint applies allow_sha1 and min_security_bits.
    X509_VERIFY_PARAM_set_auth_level(param, 0);
    if (!options.check_time) {
        flags |= X509_V_FLAG_NO_CHECK_TIME;
    } else {
        X509_VERIFY_PARAM_set_time(param, std::chrono::system_clock::to_time_t(at));
    }
    if (!options.crls.empty()) {
        flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL |
                 X509_V_FLAG_EXTENDED_CRL_SUPPORT | X509_V_FLAG_USE_DELTAS;
    }
    if (options.policy.enabled) {
        flags |= X509_V_FLAG_POLICY_CHECK;
        if (options.policy.require_explicit) {
            flags |= X509_V_FLAG_EXPLICIT_POLICY;
        }
        if (options.policy.inhibit_mapping) {
            flags |= X509_V_FLAG_INHIBIT_MAP;
        }
        if (options.policy.inhibit_any) {
            flags |= X509_V_FLAG_INHIBIT_ANY;
        }
        const std::vector<std::string> any{"2.5.29.32.0"};
        for (const auto& oid :
             options.policy.initial_policies.empty() ? any : options.policy.initial_policies) {
            ossl::Asn1ObjectPtr obj{OBJ_txt2obj(oid.c_str(), 1)};
            if (!obj || X509_VERIFY_PARAM_add0_policy(param, obj.get()) != 1) {
                ossl::throw_error(Errc::invalid_argument,
                                  fmt::format("policy '{}' is not a dotted OID", oid));
            }
            static_cast<void>(obj.release());  // the parameter owns it now
        }
    }
    X509_VERIFY_PARAM_set_flags(param, flags);
    X509_VERIFY_PARAM_set_depth(param, k_openssl_depth);
    if (const int id = purpose_id(options.purpose); id != 0) {
        X509_STORE_CTX_set_purpose(ctx.get(), id);
    }
    Collector collector;
    collector.inherited = &inherited;
    X509_STORE_CTX_set_ex_data(ctx.get(), collector_index(), &collector);
    X509_STORE_CTX_set_verify_cb(ctx.get(), collect_cb);
    const int rc = X509_verify_cert(ctx.get());
    ossl::clear_errors();
    if (rc != 1 && collector.errors.empty()) {
        collector.errors.push_back({X509_STORE_CTX_get_error(ctx.get()), 0});
    }
    return collector.errors;
}

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

Attempt validate(std::vector<Certificate> path,
                 bool anchored,
                 const std::vector<Certificate>& pool,
                 const VerifyOptions& options,
                 TimePoint at) {
    Attempt out{std::move(path), anchored, {}};
    const auto& p = out.path;
    const std::size_t top = p.size() - 1;
    std::vector<std::pair<int, int>> seen;
    for (const auto& e : run_openssl(p, pool, options, at)) {
        const auto depth = static_cast<std::size_t>(std::max(e.depth, 0));
        const bool at_anchor = depth == top && (anchored || p.size() > 1);
        if (!anchored && (e.error == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
                          e.error == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
                          e.error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
                          e.error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
                          e.error == X509_V_ERR_CERT_UNTRUSTED)) {
            continue;  // how far the path reaches is reported by add_reach_finding
        }
        if (at_anchor && !options.anchor_validity &&
            (e.error == X509_V_ERR_CERT_HAS_EXPIRED || e.error == X509_V_ERR_CERT_NOT_YET_VALID)) {
            continue;
        }
        if (at_anchor && !options.anchor_constraints && anchor_field_error(e.error)) {
            continue;
        }
        if (e.error == X509_V_ERR_CERT_HAS_EXPIRED && depth < p.size() &&
            at_not_after(p[depth], at)) {
            continue;
        }
        if (options.profile != Profile::openssl && strict_lint_only(e.error)) {
            out.findings.push_back(describe(e, p, anchored, at));
            out.findings.back().code = FindingCode::nonconforming_certificate;
            out.findings.back().severity = Severity::warning;
            continue;
        }
        if (e.error == X509_V_ERR_INVALID_PURPOSE && options.profile == Profile::rfc5280 &&
            depth < p.size() && has_any_eku(p[depth])) {
            continue;
        }
        if ((e.error == X509_V_ERR_PERMITTED_VIOLATION ||
             e.error == X509_V_ERR_EXCLUDED_VIOLATION) &&
            detail::violation_only_in_common_name(p, depth, options.profile)) {
            continue;
        }
        if (std::find(seen.begin(), seen.end(), std::pair{e.error, e.depth}) != seen.end()) {
            continue;
        }
        seen.emplace_back(e.error, e.depth);
        out.findings.push_back(describe(e, p, anchored, at));
    }
    detail::lint_path(p, anchored, options, out.findings);

    // RFC 5280's count: intermediates, self-issued ones not counted.
    std::size_t counted = 0;
    for (std::size_t i = 1; i < top || (!anchored && i == top && i > 0); ++i) {
        counted += p[i].is_self_issued() ? 0U : 1U;
    }
    if (counted > static_cast<std::size_t>(std::max(options.max_depth, 0))) {
        out.findings.push_back({FindingCode::path_length_exceeded,
                                Severity::error,
                                fmt::format("the chain has {} intermediate CA(s); at most {} "
                                            "are allowed (--max-depth)",
                                            counted,
                                            options.max_depth),
                                {},
                                std::nullopt});
    }
    return out;
}

// Depth-first search over issuers: trust anchors first, then certificates whose key verifies
// the signature, then the rest (so a bad signature is still reported when nothing better
// exists); among those, ones valid at the validation time and newer first.
class PathBuilder {
public:
    PathBuilder(const std::vector<Certificate>& pool,
                const TrustStore& anchors,
                const VerifyOptions& options,
                TimePoint at)
        : m_pool(pool), m_anchors(anchors), m_options(options), m_at(at) {}

    // Calls visit(path, anchored) for each complete or dead-end path until it returns true.
    template <typename Visit>
    void run(const Certificate& leaf, Visit&& visit) {
        std::vector<Certificate> path{leaf};
        extend(path, visit);
    }

private:
    struct Candidate {
        Certificate cert;
        bool anchor;
        int rank;
    };

    bool signature_ok(const Certificate& child, const Certificate& issuer) {
        const std::string key = child.sha256_fingerprint() + issuer.sha256_fingerprint();
        auto it = m_signatures.find(key);
        if (it == m_signatures.end()) {
            EVP_PKEY* pub = X509_get0_pubkey(issuer.native());
            const bool ok = pub != nullptr && X509_verify(child.native(), pub) == 1;
            ossl::clear_errors();
            it = m_signatures.emplace(key, ok).first;
        }
        return it->second;
    }

    // The child's authorityKeyIdentifier names the candidate's subjectKeyIdentifier (or one
    // of them is absent).
    static bool key_ids_agree(const Certificate& child, const Certificate& issuer) {
        const ASN1_OCTET_STRING* akid = X509_get0_authority_key_id(child.native());
        const ASN1_OCTET_STRING* skid = X509_get0_subject_key_id(issuer.native());
        return akid == nullptr || skid == nullptr || ASN1_OCTET_STRING_cmp(akid, skid) == 0;
    }

    bool valid_at(const Certificate& c) const {
        return !m_options.check_time || (c.not_before() <= m_at && m_at <= c.not_after());
    }

    std::vector<Candidate> candidates(const Certificate& cur,
                                      const std::vector<Certificate>& path) {
        std::vector<Candidate> out;
        auto on_path = [&](const Certificate& c) {
            return std::any_of(
                path.begin(), path.end(), [&](const Certificate& p) { return p.same_as(c); });
        };
        // An anchor of the right name but another key is not this certificate's issuer (a
        // re-keyed or look-alike root): leave it out, so the report says what is missing.
        const bool has_akid = X509_get0_authority_key_id(cur.native()) != nullptr;
        for (auto& a : m_anchors.issuers_of(cur)) {
            const bool ids_decide = has_akid && X509_get0_subject_key_id(a.native()) != nullptr;
            if (!on_path(a) && key_ids_agree(cur, a) && (ids_decide || signature_ok(cur, a))) {
                out.push_back({a, true, 0});
            }
        }
        for (const auto& c : m_pool) {
            if (on_path(c) ||
                X509_NAME_cmp(X509_get_subject_name(c.native()),
                              X509_get_issuer_name(cur.native())) != 0 ||
                m_anchors.contains(c)) {
                continue;
            }
            out.push_back({c, false, 0});
        }
        if (out.size() < 2) {
            return out;  // nothing to rank; OpenSSL checks the signature anyway
        }
        for (auto& c : out) {
            // Lower is better.
            c.rank = (c.anchor ? 0 : 4) + (signature_ok(cur, c.cert) ? 0 : 8) +
                     (key_ids_agree(cur, c.cert) ? 0 : 2) + (valid_at(c.cert) ? 0 : 1);
        }
        std::stable_sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
            if (a.rank != b.rank) {
                return a.rank < b.rank;
            }
            return a.cert.not_before() > b.cert.not_before();
        });
        return out;
    }

    template <typename Visit>
    bool extend(std::vector<Certificate>& path, Visit& visit) {
        if (m_visits >= m_options.max_paths || ++m_steps > k_max_steps) {
            return true;
        }
        const Certificate cur = path.back();
        if (m_anchors.contains(cur)) {
            ++m_visits;
            return visit(path, true);
        }
        const std::size_t max_len =
            static_cast<std::size_t>(std::max(m_options.max_depth, 0)) + k_self_issued_slack + 2;
        auto next = path.size() < max_len ? candidates(cur, path) : std::vector<Candidate>{};
        if (next.empty()) {
            ++m_visits;
            return visit(path, false);
        }
        for (auto& c : next) {
            path.push_back(c.cert);
            const bool stop = c.anchor ? (++m_visits, visit(path, true)) : extend(path, visit);
            path.pop_back();
            if (stop || m_visits >= m_options.max_paths) {
                return true;
            }
        }
        return false;
    }

    static constexpr std::size_t k_max_steps = 4096;  // issuer lookups: a bound for hostile input
    static constexpr std::size_t k_self_issued_slack = 4;

    const std::vector<Certificate>& m_pool;
    const TrustStore& m_anchors;
    const VerifyOptions& m_options;
    TimePoint m_at;
    std::map<std::string, bool> m_signatures;
    std::size_t m_visits{0};
    std::size_t m_steps{0};
};

void add_reach_finding(Attempt& a, const TrustStore& anchors) {
    if (a.anchored) {
        return;
    }
    const auto& p = a.path;
    const Certificate& top = p.back();
    const std::size_t pos = p.size() - 1;
    if (p.size() == 1 && top.is_self_signed()) {
        a.findings.push_back(error_finding(
            FindingCode::self_signed_leaf,
            fmt::format("{} is self-signed: it works for TLS encryption, but no client can verify "
                        "it; get a CA-signed certificate (certtool export-csr NAME) or add it to "
                        "the peers' trust stores",
                        quoted(top)),
            p,
            pos));
    } else if (top.is_self_signed()) {
        a.findings.push_back(error_finding(
            FindingCode::untrusted_root,
            fmt::format("the chain ends at root {}, which is not in {}: clients will not trust "
                        "it unless they have that root; use a certificate from a public CA, or "
                        "pass that root with --trust",
                        quoted(top),
                        anchors.description()),
            p,
            pos));
    } else {
        a.findings.push_back(error_finding(
            FindingCode::missing_intermediate,
            fmt::format("intermediate '{}' (the issuer of {}) is missing: get it from the CA "
                        "(or try certtool fix-chain --aia) and add it to the chain with "
                        "certtool import-signed NAME --intermediate FILE",
                        top.issuer(),
                        quoted(top)),
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

// What the presented certificates looked like: duplicates, strays, order.
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
            const bool known = std::any_of(
                out.begin(), out.end(), [&](const Certificate& x) { return x.same_as(c); });
            if (!known && X509_check_issued(c.native(), out[i].native()) == X509_V_OK) {
                out.push_back(c);
            }
        }
    }
    ossl::clear_errors();
    return out;
}

void presentation_findings(const Certificate& leaf,
                           const std::vector<Certificate>& untrusted,
                           const std::vector<Certificate>& path,
                           const std::vector<Crl>& crls,
                           std::vector<ChainFinding>& out) {
    auto contains = [](const std::vector<Certificate>& v, const Certificate& c) {
        return std::any_of(v.begin(), v.end(), [&](const Certificate& x) { return x.same_as(c); });
    };
    const std::vector<Certificate> for_crls =
        crls.empty() ? std::vector<Certificate>{} : crl_signers(untrusted, crls);
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

}  // namespace

std::string_view profile_name(Profile p) noexcept {
    switch (p) {
        case Profile::openssl:
            return "openssl";
        case Profile::rfc5280:
            return "rfc5280";
        case Profile::webpki:
            return "webpki";
    }
    return "rfc5280";
}

std::optional<Profile> parse_profile(std::string_view name) noexcept {
    for (const Profile p : {Profile::openssl, Profile::rfc5280, Profile::webpki}) {
        if (profile_name(p) == name) {
            return p;
        }
    }
    return std::nullopt;
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

    // De-duplicated pool for the builder.
    std::vector<Certificate> pool;
    for (const auto& c : untrusted) {
        if (!c.same_as(leaf) && std::none_of(pool.begin(), pool.end(), [&](const Certificate& x) {
                return x.same_as(c);
            })) {
            pool.push_back(c);
        }
    }

    std::optional<Attempt> best;
    PathBuilder builder(pool, anchors, options, at);
    builder.run(leaf, [&](const std::vector<Certificate>& path, bool anchored) {
        ++report.paths_tried;
        Attempt a = validate(path, anchored, pool, options, at);
        add_reach_finding(a, anchors);
        const bool done = a.anchored && a.errors() == 0;
        if (!best || better(a, *best)) {
            best = std::move(a);
        }
        return done;
    });
    if (!best) {  // the search budget ran out before any path was complete
        best = validate({leaf}, false, pool, options, at);
        add_reach_finding(*best, anchors);
    }

    report.reached_anchor = best->anchored;
    for (std::size_t i = 0; i < best->path.size(); ++i) {
        report.path.push_back({best->path[i], best->anchored && i + 1 == best->path.size(), {}});
    }
    report.findings = std::move(best->findings);

    // Names, on the leaf.
    const CnFallback fallback = options.profile == Profile::webpki || !options.common_name_fallback
                                    ? CnFallback::never
                                    : CnFallback::when_no_dns_name;
    for (const auto& name : options.names) {
        NameMatch m = match_name(leaf, name, fallback);
        if (!m.matched) {
            const auto sans = leaf.subject_alt_names();
            std::string presented;
            for (const auto& s : sans) {
                presented += (presented.empty() ? "" : ", ") + s.to_string();
            }
            report.findings.push_back(
                {FindingCode::hostname_mismatch,
                 Severity::error,
                 fmt::format("the certificate is not for '{}': it names {}{}; get a certificate "
                             "that includes '{}' as a subjectAltName",
                             name.value,
                             presented.empty() ? "no subjectAltName" : presented,
                             fallback == CnFallback::never || presented.empty()
                                 ? fmt::format(" (CN '{}' {})",
                                               leaf.subject_name().common_name,
                                               fallback == CnFallback::never
                                                   ? "does not count under the webpki profile"
                                                   : "does not match")
                                 : " (the CN is not used when DNS names are present)",
                             name.value),
                 leaf.subject(),
                 std::size_t{0}});
        }
        report.names.push_back(std::move(m));
    }

    // Warnings that do not make the chain invalid.
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
    presentation_findings(leaf, untrusted, best->path, options.crls, report.findings);

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
    return report;
}

}  // namespace certtool
