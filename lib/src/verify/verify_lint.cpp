// The profile rules OpenSSL does not check: one function per rule family over a shared
// LintContext, run in a fixed order so findings come out in the same order every time.
#include "verify_lint.hpp"

#include "ossl.hpp"
#include "purpose.hpp"

#include <certtool/hostname.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <array>

namespace certtool::detail {

namespace {

struct Ext {
    int crit{-1};  // -1 absent, 0/1 criticality

    bool present() const { return crit >= 0; }
};

Ext extension(X509* x, int nid) {
    const int idx = X509_get_ext_by_NID(x, nid, -1);
    if (idx < 0) {
        return {};
    }
    return {X509_EXTENSION_get_critical(X509_get_ext(x, idx))};
}

std::string ia5(const ASN1_STRING* s) {
    return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
            static_cast<std::size_t>(ASN1_STRING_length(s))};
}

// The path being linted, the options, and where findings go.
struct LintContext {
    const std::vector<Certificate>& path;  // leaf first
    const VerifyOptions& options;
    std::size_t anchor;  // the trust anchor's index; path.size() when the path reaches none
    std::vector<ChainFinding>& out;

    // Is path[i] the trust anchor? (The leaf itself, for a one-certificate anchored path.)
    [[nodiscard]] bool is_anchor(std::size_t i) const { return i == anchor; }

    [[nodiscard]] bool webpki() const { return options.profile == Profile::webpki; }

    // An error finding about path[pos], naming the profile whose rule was broken.
    void fail(std::size_t pos, FindingCode code, const std::string& why) {
        add(pos, code, Severity::error, why);
    }

    void warn(std::size_t pos,
              const std::string& why,
              FindingCode code = FindingCode::nonconforming_certificate) {
        add(pos, code, Severity::warning, why);
    }

    // An error finding about no particular certificate.
    void fail_chain(FindingCode code, std::string message) {
        out.push_back({code, Severity::error, std::move(message), {}, std::nullopt});
    }

    void add(std::size_t pos, FindingCode code, Severity severity, const std::string& why) {
        const Certificate& c = path[pos];
        std::string message = fmt::format(
            "{} '{}' {}", pos == 0 ? "the certificate" : "CA certificate", c.subject(), why);
        if (severity == Severity::error) {
            message += fmt::format(" ({} profile)", profile_name(options.profile));
        }
        out.push_back({code, severity, std::move(message), c.subject(), pos});
    }
};

// ---- RFC 5280 per certificate

// Serial number: positive, at most 20 octets (4.1.2.2). Not checked on an anchor above the
// leaf: old roots with serial 0 are still in every trust store.
void lint_serial(LintContext& ctx, std::size_t i) {
    if (ctx.is_anchor(i) && i > 0) {
        return;
    }
    const ASN1_INTEGER* serial = X509_get0_serialNumber(ctx.path[i].native());
    if (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER || ASN1_STRING_length(serial) > 20 ||
        (ASN1_STRING_length(serial) == 1 && ASN1_STRING_get0_data(serial)[0] == 0) ||
        ASN1_STRING_length(serial) == 0) {
        ctx.fail(i,
                 FindingCode::malformed_certificate,
                 "has a serial number that is zero, negative or longer than 20 octets (RFC 5280 "
                 "4.1.2.2)");
    }
}

// extKeyUsage, if present, lists at least one purpose.
void lint_eku_not_empty(LintContext& ctx, std::size_t i) {
    int crit = -1;
    ossl::ExtKeyUsagePtr eku{static_cast<EXTENDED_KEY_USAGE*>(
        X509_get_ext_d2i(ctx.path[i].native(), NID_ext_key_usage, &crit, nullptr))};
    if (crit >= 0 && (!eku || sk_ASN1_OBJECT_num(eku.get()) == 0)) {
        ctx.fail(i, FindingCode::malformed_certificate, "has an empty or unreadable extKeyUsage");
    }
}

bool constraints_well_formed(const NAME_CONSTRAINTS* nc) {
    for (const auto* subtrees : {nc->permittedSubtrees, nc->excludedSubtrees}) {
        for (int k = 0; k < sk_GENERAL_SUBTREE_num(subtrees); ++k) {
            const GENERAL_NAME* base = sk_GENERAL_SUBTREE_value(subtrees, k)->base;
            if (base->type == GEN_DNS) {
                const std::string s = ia5(base->d.dNSName);
                if (!s.empty() && !is_valid_host_name(s, false)) {
                    return false;
                }
            } else if (base->type == GEN_EMAIL) {
                const std::string s = ia5(base->d.rfc822Name);
                const auto at = s.find('@');
                const std::string host = at == std::string::npos ? s : s.substr(at + 1);
                const std::string h = !host.empty() && host[0] == '.' ? host.substr(1) : host;
                if (std::count(s.begin(), s.end(), '@') > 1 || !is_valid_host_name(h, false)) {
                    return false;
                }
            }
        }
    }
    return true;
}

// Name constraints: only in CA certificates, critical, not empty, well-formed.
void lint_name_constraints(LintContext& ctx, std::size_t i) {
    X509* x = ctx.path[i].native();
    const Ext nc_ext = extension(x, NID_name_constraints);
    if (!nc_ext.present()) {
        return;
    }
    ossl::NameConstraintsPtr nc{static_cast<NAME_CONSTRAINTS*>(
        X509_get_ext_d2i(x, NID_name_constraints, nullptr, nullptr))};
    if (i == 0 && !ctx.path[i].is_ca()) {
        ctx.fail(i,
                 FindingCode::name_constraints_violation,
                 "carries nameConstraints, which only CA certificates may (RFC 5280 4.2.1.10)");
    } else if (nc_ext.crit == 0 && ctx.options.profile == Profile::rfc5280) {
        // The CA/B Forum allows non-critical name constraints (BR 7.1.2.10.8).
        ctx.fail(i,
                 FindingCode::name_constraints_violation,
                 "has a non-critical nameConstraints extension (RFC 5280 4.2.1.10: MUST be "
                 "critical)");
    } else if (!nc || (sk_GENERAL_SUBTREE_num(nc->permittedSubtrees) <= 0 &&
                       sk_GENERAL_SUBTREE_num(nc->excludedSubtrees) <= 0)) {
        ctx.fail(i,
                 FindingCode::name_constraints_violation,
                 "has a nameConstraints extension with no subtrees");
    } else if (!constraints_well_formed(nc.get())) {
        ctx.fail(i,
                 FindingCode::name_constraints_violation,
                 "has a malformed name constraint (a DNS constraint must be a host name)");
    }
}

// policyConstraints MUST be critical (4.2.1.11), but the validation algorithm processes it
// either way (PKITS has valid paths with non-critical ones): a warning.
void lint_policy_constraints(LintContext& ctx, std::size_t i) {
    if (extension(ctx.path[i].native(), NID_policy_constraints).crit == 0) {
        ctx.warn(i,
                 "has a non-critical policyConstraints extension (RFC 5280 4.2.1.11: MUST be "
                 "critical)");
    }
}

bool dns_san_ok(const std::string& name, Profile profile) {
    if (profile == Profile::webpki) {
        return is_valid_host_name(name, true);
    }
    // RFC 5280 allows a wildcard anywhere in the left-most label; the rest must be LDH.
    const auto dot = name.find('.');
    if (dot != std::string::npos && name.substr(0, dot).find('*') != std::string::npos) {
        return is_valid_host_name(name.substr(dot + 1), false);
    }
    return is_valid_host_name(name, false);
}

bool email_ok(const std::string& addr) {
    const auto at = addr.find('@');
    return at != std::string::npos && at > 0 && addr.find('@', at + 1) == std::string::npos &&
           is_valid_host_name(addr.substr(at + 1), false);
}

// The leaf's subjectAltName entries must be well-formed.
void lint_san_syntax(LintContext& ctx) {
    ossl::GeneralNamesPtr sans{static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(ctx.path[0].native(), NID_subject_alt_name, nullptr, nullptr))};
    for (int k = 0; sans && k < sk_GENERAL_NAME_num(sans.get()); ++k) {
        const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans.get(), k);
        if (gn->type == GEN_DNS && !dns_san_ok(ia5(gn->d.dNSName), ctx.options.profile)) {
            ctx.fail(
                0,
                FindingCode::malformed_certificate,
                fmt::format("has an invalid DNS name '{}' in subjectAltName", ia5(gn->d.dNSName)));
        } else if (gn->type == GEN_EMAIL && !email_ok(ia5(gn->d.rfc822Name))) {
            ctx.fail(0,
                     FindingCode::malformed_certificate,
                     fmt::format("has an invalid email address '{}' in subjectAltName",
                                 ia5(gn->d.rfc822Name)));
        }
    }
}

void lint_rfc5280_fields(LintContext& ctx, std::size_t i) {
    lint_serial(ctx, i);
    lint_eku_not_empty(ctx, i);
    lint_name_constraints(ctx, i);
    lint_policy_constraints(ctx, i);
    if (i == 0) {
        lint_san_syntax(ctx);
    }
    ossl::clear_errors();
}

// ---- Strength: signature algorithms and key sizes (OpenSSL's security levels are off; see
// verify_openssl.cpp)

void lint_signature_strength(LintContext& ctx, std::size_t i) {
    int md = NID_undef;
    if (X509_get_signature_info(ctx.path[i].native(), &md, nullptr, nullptr, nullptr) == 1) {
        const std::string alg = ctx.path[i].signature_algorithm();
        if (md == NID_md5 || md == NID_md2 || md == NID_md4) {
            ctx.fail(i,
                     FindingCode::weak_signature,
                     fmt::format("is signed with {}, which is broken", alg));
        } else if (md == NID_sha1 && !ctx.options.allow_sha1) {
            ctx.fail(i,
                     FindingCode::weak_signature,
                     fmt::format("is signed with {}: SHA-1 signatures can be forged; get it "
                                 "reissued with SHA-256",
                                 alg));
        }
    }
    ossl::clear_errors();
}

void lint_key_strength(LintContext& ctx, std::size_t i) {
    EVP_PKEY* key = X509_get0_pubkey(ctx.path[i].native());
    ossl::clear_errors();
    if (key == nullptr) {
        return;
    }
    const int bits = EVP_PKEY_get_security_bits(key);
    if (bits > 0 && bits < ctx.options.min_security_bits) {
        ctx.fail(i,
                 FindingCode::weak_key,
                 fmt::format("has a {} key ({} bits of security, fewer than {}): use RSA of at "
                             "least 2048 bits or an EC key",
                             ctx.path[i].key_description(),
                             bits,
                             ctx.options.min_security_bits));
    }
}

void lint_strength(LintContext& ctx, std::size_t i) {
    if (!ctx.is_anchor(i)) {  // nobody checks the signature on a trust anchor
        lint_signature_strength(ctx, i);
    }
    lint_key_strength(ctx, i);
}

// ---- CA/Browser Forum (webpki profile)

void lint_webpki_key(LintContext& ctx, std::size_t i) {
    EVP_PKEY* key = X509_get0_pubkey(ctx.path[i].native());
    ossl::clear_errors();
    if (key == nullptr) {
        return;
    }
    if (ossl::is_a(key, "RSA")) {
        const int bits = EVP_PKEY_get_bits(key);
        if (bits < 2048 || bits % 8 != 0) {
            ctx.fail(
                i,
                FindingCode::weak_key,
                fmt::format(
                    "has an RSA key of {} bits (CA/B Forum: at least 2048 and a multiple of 8)",
                    bits));
        }
    } else if (ossl::is_a(key, "EC")) {
        std::array<char, 64> curve{};
        std::size_t len = 0;
        EVP_PKEY_get_group_name(key, curve.data(), curve.size(), &len);
        const std::string_view g{curve.data(), len};
        if (g != "prime256v1" && g != "secp384r1" && g != "secp521r1") {
            ctx.fail(i,
                     FindingCode::weak_key,
                     fmt::format("uses the curve '{}' (CA/B Forum: P-256, P-384 or P-521)", g));
        }
    } else if (ossl::is_a(key, "DSA")) {
        ctx.fail(i, FindingCode::weak_key, "has a DSA key, which the CA/B Forum does not allow");
    }
}

// v3, not a CA, a subjectAltName (critical only with an empty subject).
void lint_webpki_leaf_shape(LintContext& ctx) {
    X509* x = ctx.path[0].native();
    if (X509_get_version(x) != X509_VERSION_3) {
        ctx.fail(0, FindingCode::malformed_certificate, "is not an X.509 v3 certificate");
    }
    if ((X509_get_extension_flags(x) & EXFLAG_CA) != 0) {
        ctx.fail(
            0, FindingCode::not_an_end_entity, "is a CA certificate, not a server certificate");
    }
    const Ext san = extension(x, NID_subject_alt_name);
    if (!san.present()) {
        ctx.fail(
            0, FindingCode::malformed_certificate, "has no subjectAltName (CA/B Forum 7.1.2.7.12)");
    } else if (san.crit == 1 && X509_NAME_entry_count(X509_get_subject_name(x)) > 0) {
        ctx.fail(0,
                 FindingCode::malformed_certificate,
                 "has a critical subjectAltName and a non-empty subject");
    }
}

// An extKeyUsage (unless any purpose will do), not critical, without anyExtendedKeyUsage.
void lint_webpki_leaf_eku(LintContext& ctx) {
    int crit = -1;
    ossl::ExtKeyUsagePtr eku{static_cast<EXTENDED_KEY_USAGE*>(
        X509_get_ext_d2i(ctx.path[0].native(), NID_ext_key_usage, &crit, nullptr))};
    if (crit < 0 && ctx.options.purpose != Purpose::any) {
        ctx.fail(
            0, FindingCode::wrong_purpose, "has no extKeyUsage (CA/B Forum requires serverAuth)");
        return;
    }
    if (crit == 1) {
        ctx.fail(0, FindingCode::malformed_certificate, "has a critical extKeyUsage");
    }
    for (int k = 0; eku && k < sk_ASN1_OBJECT_num(eku.get()); ++k) {
        if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), k)) == NID_anyExtendedKeyUsage) {
            ctx.fail(
                0, FindingCode::wrong_purpose, "has anyExtendedKeyUsage (CA/B Forum forbids it)");
        }
    }
}

// The CN, if any, must be one of the SANs, byte for byte (IPs in canonical form).
void lint_webpki_leaf_cn(LintContext& ctx) {
    const std::string cn = ctx.path[0].subject_name().common_name;
    if (cn.empty()) {
        return;
    }
    const auto sans = ctx.path[0].subject_alt_names();
    const bool listed = std::any_of(sans.begin(), sans.end(), [&](const SubjectAltName& s) {
        return s.kind == SubjectAltName::Kind::ip
                   ? s.value == cn
                   : s.kind == SubjectAltName::Kind::dns && s.value == cn;
    });
    if (!listed) {
        ctx.fail(0,
                 FindingCode::malformed_certificate,
                 fmt::format("has the CN '{}', which is not one of its subjectAltNames (CA/B "
                             "Forum 7.1.4.3)",
                             cn));
    }
}

void lint_webpki_leaf(LintContext& ctx) {
    lint_webpki_leaf_shape(ctx);
    lint_webpki_leaf_eku(ctx);
    lint_webpki_leaf_cn(ctx);
    X509* x = ctx.path[0].native();
    if (extension(x, NID_info_access).present()) {
        ossl::AuthorityInfoAccessPtr aia{static_cast<AUTHORITY_INFO_ACCESS*>(
            X509_get_ext_d2i(x, NID_info_access, nullptr, nullptr))};
        if (!aia) {
            ctx.fail(0, FindingCode::malformed_certificate, "has a malformed authorityInfoAccess");
        }
    }
    ossl::clear_errors();
}

// No extKeyUsage; an authorityKeyIdentifier, if any, that is just the root's own key id.
void lint_webpki_root(LintContext& ctx, std::size_t i) {
    X509* x = ctx.path[i].native();
    if (extension(x, NID_ext_key_usage).present()) {
        ctx.fail(i,
                 FindingCode::malformed_certificate,
                 "is a root with an extKeyUsage (CA/B Forum 7.1.2.1)");
    }
    if (extension(x, NID_authority_key_identifier).present()) {
        ossl::AuthorityKeyIdPtr akid{static_cast<AUTHORITY_KEYID*>(
            X509_get_ext_d2i(x, NID_authority_key_identifier, nullptr, nullptr))};
        const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(x);
        if (!akid || akid->keyid == nullptr || akid->issuer != nullptr || akid->serial != nullptr ||
            (ski != nullptr && ASN1_OCTET_STRING_cmp(akid->keyid, ski) != 0)) {
            ctx.fail(i,
                     FindingCode::malformed_certificate,
                     "is a root whose authorityKeyIdentifier is not just its own key identifier");
        }
    }
    ossl::clear_errors();
}

// A self-issued CA at the top of the path (the anchor, or where an unanchored path ends).
bool is_root(const LintContext& ctx, std::size_t i) {
    return (ctx.is_anchor(i) && ctx.path[i].is_self_issued()) ||
           (i > 0 && i + 1 == ctx.path.size() && ctx.path[i].is_self_issued());
}

// ---- Per path

// Extended key usage beyond OpenSSL's purpose check: a CA's EKU must name the purpose (or
// anyEKU; OpenSSL also takes Netscape/Microsoft SGC); strict modes per VerifyOptions.
struct EkuList {
    int crit{-1};  // -1 absent
    bool has_want{false};
    bool has_any{false};
    std::vector<std::string> forbidden;  // code signing, OCSP signing, time stamping
};

EkuList eku_list(X509* x, int want) {
    EkuList out;
    ossl::ExtKeyUsagePtr eku{static_cast<EXTENDED_KEY_USAGE*>(
        X509_get_ext_d2i(x, NID_ext_key_usage, &out.crit, nullptr))};
    ossl::clear_errors();
    for (int k = 0; eku && k < sk_ASN1_OBJECT_num(eku.get()); ++k) {
        const int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), k));
        out.has_want = out.has_want || nid == want;
        out.has_any = out.has_any || nid == NID_anyExtendedKeyUsage;
        if (nid == NID_code_sign || nid == NID_OCSP_sign || nid == NID_time_stamp) {
            out.forbidden.emplace_back(OBJ_nid2ln(nid));
        }
    }
    return out;
}

// The leaf under a strict purpose: lists it, lists nothing forbidden, is not a CA.
void lint_strict_leaf_purpose(LintContext& ctx, const EkuList& eku, std::string_view what) {
    if (!eku.has_want) {
        ctx.fail(0,
                 FindingCode::wrong_purpose,
                 fmt::format("does not list {} authentication in its extKeyUsage", what));
    }
    for (const auto& f : eku.forbidden) {
        ctx.fail(0, FindingCode::wrong_purpose, fmt::format("lists {} in its extKeyUsage", f));
    }
    if ((X509_get_extension_flags(ctx.path[0].native()) & EXFLAG_CA) != 0 && !ctx.webpki()) {
        ctx.fail(0, FindingCode::not_an_end_entity, "is a CA certificate, not an end entity");
    }
}

void lint_purposes(LintContext& ctx) {
    if (ctx.options.purpose == Purpose::any) {
        return;
    }
    const int want = purpose_info(ctx.options.purpose).eku_nid;
    const std::string_view what = purpose_info(ctx.options.purpose).label;
    using Strict = VerifyOptions::StrictEku;
    const Strict strict = ctx.webpki() && ctx.options.strict_eku == Strict::off
                              ? Strict::leaf
                              : ctx.options.strict_eku;
    for (std::size_t i = 0; i < ctx.path.size(); ++i) {
        if (ctx.is_anchor(i) && !ctx.options.anchor_constraints) {
            continue;
        }
        const EkuList eku = eku_list(ctx.path[i].native(), want);
        if (i == 0 && strict != Strict::off) {
            lint_strict_leaf_purpose(ctx, eku, what);
        } else if (i > 0 && eku.crit >= 0 && !eku.has_want &&
                   (!eku.has_any || strict == Strict::chain)) {
            ctx.fail(i,
                     FindingCode::wrong_purpose,
                     fmt::format("limits the certificates it issues by extKeyUsage, and {} "
                                 "authentication is not among them",
                                 what));
        }
    }
}

// RFC 5280 4.2.1.10 with wildcards: "*.example.com" covers "bar.example.com", so an excluded
// subtree "bar.example.com" above it is violated (OpenSSL does not see this).
void lint_wildcards_vs_excluded(LintContext& ctx) {
    if (ctx.options.profile == Profile::openssl) {
        return;
    }
    const auto sans = ctx.path[0].subject_alt_names();
    for (std::size_t i = 1; i < ctx.path.size(); ++i) {
        ossl::NameConstraintsPtr nc{static_cast<NAME_CONSTRAINTS*>(
            X509_get_ext_d2i(ctx.path[i].native(), NID_name_constraints, nullptr, nullptr))};
        ossl::clear_errors();
        for (int k = 0; nc && k < sk_GENERAL_SUBTREE_num(nc->excludedSubtrees); ++k) {
            const GENERAL_NAME* base = sk_GENERAL_SUBTREE_value(nc->excludedSubtrees, k)->base;
            if (base->type != GEN_DNS) {
                continue;
            }
            const std::string excluded = ia5(base->d.dNSName);
            for (const auto& san : sans) {
                if (san.kind == SubjectAltName::Kind::dns && san.value.rfind("*.", 0) == 0 &&
                    dns_name_matches(san.value, excluded)) {
                    ctx.fail(
                        0,
                        FindingCode::name_constraints_violation,
                        fmt::format("has the wildcard '{}', which covers '{}', excluded by '{}'",
                                    san.value,
                                    excluded,
                                    ctx.path[i].subject()));
                }
            }
        }
    }
}

// Every CRL has a CRL number (RFC 5280 5.2.3).
void lint_crl_numbers(LintContext& ctx) {
    for (const auto& crl : ctx.options.crls) {
        if (X509_CRL_get_ext_by_NID(crl.native(), NID_crl_number, -1) < 0) {
            ctx.fail_chain(FindingCode::revocation_unknown,
                           fmt::format("a CRL from '{}' has no CRL number (RFC 5280 5.2.3): it "
                                       "cannot be trusted",
                                       ossl::name_to_oneline(X509_CRL_get_issuer(crl.native()))));
        }
    }
}

}  // namespace

void lint_path(const std::vector<Certificate>& path,
               bool anchored,
               const VerifyOptions& options,
               std::vector<ChainFinding>& out) {
    if (options.profile == Profile::openssl || path.empty()) {
        return;
    }
    LintContext ctx{path, options, anchored ? path.size() - 1 : path.size(), out};
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (!ctx.is_anchor(i) || options.anchor_constraints) {
            lint_rfc5280_fields(ctx, i);
        }
        lint_strength(ctx, i);
        if (ctx.webpki()) {
            lint_webpki_key(ctx, i);
            if (i == 0) {
                lint_webpki_leaf(ctx);
            }
            if (is_root(ctx, i)) {
                lint_webpki_root(ctx, i);
            }
        }
    }
    lint_purposes(ctx);
    lint_wildcards_vs_excluded(ctx);
    lint_crl_numbers(ctx);
}

bool violation_only_in_common_name(const std::vector<Certificate>& path,
                                   std::size_t depth,
                                   Profile profile) {
    if (profile == Profile::openssl || depth >= path.size()) {
        return false;
    }
    X509* x = path[depth].native();
    if (profile == Profile::rfc5280 && X509_get_ext_by_NID(x, NID_subject_alt_name, -1) < 0) {
        return false;  // no SANs: the CN is the identity
    }
    for (std::size_t i = depth + 1; i < path.size(); ++i) {
        ossl::NameConstraintsPtr nc{static_cast<NAME_CONSTRAINTS*>(
            X509_get_ext_d2i(path[i].native(), NID_name_constraints, nullptr, nullptr))};
        if (nc && NAME_CONSTRAINTS_check(x, nc.get()) != X509_V_OK) {
            ossl::clear_errors();
            return false;
        }
    }
    ossl::clear_errors();
    return true;
}

}  // namespace certtool::detail
