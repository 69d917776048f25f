#include "verify_lint.hpp"

#include "ossl.hpp"

#include <certtool/hostname.hpp>

#include <fmt/core.h>

#include <algorithm>

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

class Linter {
public:
    Linter(const std::vector<Certificate>& path,
           bool anchored,
           const VerifyOptions& options,
           std::vector<ChainFinding>& out)
        : m_path(path), m_anchored(anchored), m_options(options), m_out(out) {}

    void run() {
        for (std::size_t i = 0; i < m_path.size(); ++i) {
            const bool anchor = m_anchored && i + 1 == m_path.size();
            if (!anchor || m_options.anchor_constraints) {
                rfc5280_cert(i);
            }
            strength(i, anchor);
            if (m_options.profile == Profile::webpki) {
                webpki_key(i);
                if (i == 0) {
                    webpki_leaf();
                }
                if (anchor || (i > 0 && i + 1 == m_path.size() && m_path[i].is_self_issued())) {
                    webpki_root(i);
                }
            }
        }
        purposes();
        wildcards_vs_excluded();
        for (const auto& crl : m_options.crls) {
            if (X509_CRL_get_ext_by_NID(crl.native(), NID_crl_number, -1) < 0) {
                m_out.push_back({FindingCode::revocation_unknown,
                                 Severity::error,
                                 fmt::format("a CRL from '{}' has no CRL number (RFC 5280 5.2.3): "
                                             "it cannot be trusted",
                                             name(X509_CRL_get_issuer(crl.native()))),
                                 {},
                                 std::nullopt});
            }
        }
    }

private:
    static std::string name(const X509_NAME* n) {
        auto bio = ossl::mem_bio();
        X509_NAME_print_ex(bio.get(), n, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
        return ossl::bio_to_string(bio.get());
    }

    // One finding about m_path[pos]; errors name the profile whose rule was broken.
    void add(std::size_t pos, FindingCode code, Severity severity, const std::string& why) {
        const Certificate& c = m_path[pos];
        std::string message = fmt::format(
            "{} '{}' {}", pos == 0 ? "the certificate" : "CA certificate", c.subject(), why);
        if (severity == Severity::error) {
            message += fmt::format(" ({} profile)", profile_name(m_options.profile));
        }
        m_out.push_back({code, severity, std::move(message), c.subject(), pos});
    }

    void fail(std::size_t pos, FindingCode code, const std::string& why) {
        add(pos, code, Severity::error, why);
    }

    void warn(std::size_t pos,
              const std::string& why,
              FindingCode code = FindingCode::nonconforming_certificate) {
        add(pos, code, Severity::warning, why);
    }

    void rfc5280_cert(std::size_t i) {
        X509* x = m_path[i].native();
        const bool leaf = i == 0;
        // Serial number: positive, at most 20 octets (4.1.2.2). Not checked on anchors: old
        // roots with serial 0 are still in every trust store.
        const ASN1_INTEGER* serial = X509_get0_serialNumber(x);
        const bool anchor = m_anchored && i > 0 && i + 1 == m_path.size();
        if (!anchor &&
            (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER || ASN1_STRING_length(serial) > 20 ||
             (ASN1_STRING_length(serial) == 1 && ASN1_STRING_get0_data(serial)[0] == 0) ||
             ASN1_STRING_length(serial) == 0)) {
            fail(i,
                 FindingCode::malformed_certificate,
                 "has a serial number that is zero, negative or "
                 "longer than 20 octets (RFC 5280 4.1.2.2)");
        }
        // extKeyUsage, if present, lists at least one purpose.
        int crit = -1;
        ossl::ExtKeyUsagePtr eku{static_cast<EXTENDED_KEY_USAGE*>(
            X509_get_ext_d2i(x, NID_ext_key_usage, &crit, nullptr))};
        if (crit >= 0 && (!eku || sk_ASN1_OBJECT_num(eku.get()) == 0)) {
            fail(i, FindingCode::malformed_certificate, "has an empty or unreadable extKeyUsage");
        }
        // Name constraints: only in CA certificates, critical, not empty, well-formed.
        const Ext nc_ext = extension(x, NID_name_constraints);
        if (nc_ext.present()) {
            ossl::NameConstraintsPtr nc{static_cast<NAME_CONSTRAINTS*>(
                X509_get_ext_d2i(x, NID_name_constraints, nullptr, nullptr))};
            if (leaf && !m_path[i].is_ca()) {
                fail(i,
                     FindingCode::name_constraints_violation,
                     "carries nameConstraints, which only CA certificates may (RFC 5280 4.2.1.10)");
            } else if (nc_ext.crit == 0 && m_options.profile == Profile::rfc5280) {
                // The CA/B Forum allows non-critical name constraints (BR 7.1.2.10.8).
                fail(i,
                     FindingCode::name_constraints_violation,
                     "has a non-critical nameConstraints extension (RFC 5280 4.2.1.10: MUST be "
                     "critical)");
            } else if (!nc || (sk_GENERAL_SUBTREE_num(nc->permittedSubtrees) <= 0 &&
                               sk_GENERAL_SUBTREE_num(nc->excludedSubtrees) <= 0)) {
                fail(i,
                     FindingCode::name_constraints_violation,
                     "has a nameConstraints extension with no subtrees");
            } else if (!constraints_well_formed(nc.get())) {
                fail(i,
                     FindingCode::name_constraints_violation,
                     "has a malformed name constraint (a DNS constraint must be a host name)");
            }
        }
        // policyConstraints MUST be critical (4.2.1.11), but the validation algorithm processes
        // it either way (PKITS has valid paths with non-critical ones): a warning.
        if (extension(x, NID_policy_constraints).crit == 0) {
            warn(i,
                 "has a non-critical policyConstraints extension (RFC 5280 4.2.1.11: MUST be "
                 "critical)");
        }
        // subjectAltName entries must be well-formed.
        if (leaf) {
            ossl::GeneralNamesPtr sans{static_cast<GENERAL_NAMES*>(
                X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr))};
            for (int k = 0; sans && k < sk_GENERAL_NAME_num(sans.get()); ++k) {
                const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans.get(), k);
                if (gn->type == GEN_DNS && !dns_san_ok(ia5(gn->d.dNSName))) {
                    fail(i,
                         FindingCode::malformed_certificate,
                         fmt::format("has an invalid DNS name '{}' in subjectAltName",
                                     ia5(gn->d.dNSName)));
                } else if (gn->type == GEN_EMAIL && !email_ok(ia5(gn->d.rfc822Name))) {
                    fail(i,
                         FindingCode::malformed_certificate,
                         fmt::format("has an invalid email address '{}' in subjectAltName",
                                     ia5(gn->d.rfc822Name)));
                }
            }
        }
        ossl::clear_errors();
    }

    // Extended key usage beyond OpenSSL's purpose check: a CA's EKU must name the purpose (or
    // anyEKU; OpenSSL also takes Netscape/Microsoft SGC); strict modes per VerifyOptions.
    void purposes() {
        if (m_options.purpose == Purpose::any) {
            return;
        }
        const int want = m_options.purpose == Purpose::server ? NID_server_auth : NID_client_auth;
        const char* what = m_options.purpose == Purpose::server ? "TLS server" : "TLS client";
        using Strict = VerifyOptions::StrictEku;
        const Strict strict =
            m_options.profile == Profile::webpki && m_options.strict_eku == Strict::off
                ? Strict::leaf
                : m_options.strict_eku;
        const std::size_t last =
            m_anchored && !m_options.anchor_constraints ? m_path.size() - 1 : m_path.size();
        for (std::size_t i = 0; i < last; ++i) {
            X509* x = m_path[i].native();
            int crit = -1;
            ossl::ExtKeyUsagePtr eku{static_cast<EXTENDED_KEY_USAGE*>(
                X509_get_ext_d2i(x, NID_ext_key_usage, &crit, nullptr))};
            ossl::clear_errors();
            bool has_want = false;
            bool has_any = false;
            std::vector<std::string> forbidden;
            for (int k = 0; eku && k < sk_ASN1_OBJECT_num(eku.get()); ++k) {
                const int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), k));
                has_want = has_want || nid == want;
                has_any = has_any || nid == NID_anyExtendedKeyUsage;
                if (nid == NID_code_sign || nid == NID_OCSP_sign || nid == NID_time_stamp) {
                    forbidden.emplace_back(OBJ_nid2ln(nid));
                }
            }
            if (i == 0 && strict != Strict::off) {
                if (!has_want) {
                    fail(0,
                         FindingCode::wrong_purpose,
                         fmt::format("does not list {} authentication in its extKeyUsage", what));
                }
                for (const auto& f : forbidden) {
                    fail(0,
                         FindingCode::wrong_purpose,
                         fmt::format("lists {} in its extKeyUsage", f));
                }
                if ((X509_get_extension_flags(x) & EXFLAG_CA) != 0 &&
                    m_options.profile != Profile::webpki) {
                    fail(0,
                         FindingCode::not_an_end_entity,
                         "is a CA certificate, not an end entity");
                }
            } else if (i > 0 && crit >= 0 && !has_want && (!has_any || strict == Strict::chain)) {
                fail(i,
                     FindingCode::wrong_purpose,
                     fmt::format("limits the certificates it issues by extKeyUsage, and {} "
                                 "authentication is not among them",
                                 what));
            }
        }
    }

    // Signature algorithms and key sizes (OpenSSL's security levels are off; see run_openssl).
    void strength(std::size_t i, bool anchor) {
        X509* x = m_path[i].native();
        if (!anchor) {  // nobody checks the signature on a trust anchor
            int md = NID_undef;
            if (X509_get_signature_info(x, &md, nullptr, nullptr, nullptr) == 1) {
                const std::string alg = m_path[i].signature_algorithm();
                if (md == NID_md5 || md == NID_md2 || md == NID_md4) {
                    fail(i,
                         FindingCode::weak_signature,
                         fmt::format("is signed with {}, which is broken", alg));
                } else if (md == NID_sha1 && !m_options.allow_sha1) {
                    fail(i,
                         FindingCode::weak_signature,
                         fmt::format("is signed with {}: SHA-1 signatures can "
                                     "be forged; get it reissued with SHA-256",
                                     alg));
                }
            }
            ossl::clear_errors();
        }
        EVP_PKEY* key = X509_get0_pubkey(x);
        ossl::clear_errors();
        if (key == nullptr) {
            return;
        }
        const int bits = EVP_PKEY_get_security_bits(key);
        if (bits > 0 && bits < m_options.min_security_bits) {
            fail(i,
                 FindingCode::weak_key,
                 fmt::format("has a {} key ({} bits of security, fewer than {}): "
                             "use RSA of at least 2048 bits or an EC key",
                             m_path[i].key_description(),
                             bits,
                             m_options.min_security_bits));
        }
    }

    bool dns_san_ok(const std::string& name) const {
        if (m_options.profile == Profile::webpki) {
            return is_valid_host_name(name, true);
        }
        // RFC 5280 allows a wildcard anywhere in the left-most label; the rest must be LDH.
        const auto dot = name.find('.');
        if (dot != std::string::npos && name.substr(0, dot).find('*') != std::string::npos) {
            return is_valid_host_name(name.substr(dot + 1), false);
        }
        return is_valid_host_name(name, false);
    }

    static bool email_ok(const std::string& addr) {
        const auto at = addr.find('@');
        return at != std::string::npos && at > 0 && addr.find('@', at + 1) == std::string::npos &&
               is_valid_host_name(addr.substr(at + 1), false);
    }

    static bool constraints_well_formed(const NAME_CONSTRAINTS* nc) {
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

    // RFC 5280 4.2.1.10 with wildcards: "*.example.com" covers "bar.example.com", so an
    // excluded subtree "bar.example.com" above it is violated (OpenSSL does not see this).
    void wildcards_vs_excluded() {
        if (m_options.profile == Profile::openssl) {
            return;
        }
        const auto sans = m_path[0].subject_alt_names();
        for (std::size_t i = 1; i < m_path.size(); ++i) {
            ossl::NameConstraintsPtr nc{static_cast<NAME_CONSTRAINTS*>(
                X509_get_ext_d2i(m_path[i].native(), NID_name_constraints, nullptr, nullptr))};
            ossl::clear_errors();
            if (!nc) {
                continue;
            }
            for (int k = 0; k < sk_GENERAL_SUBTREE_num(nc->excludedSubtrees); ++k) {
                const GENERAL_NAME* base = sk_GENERAL_SUBTREE_value(nc->excludedSubtrees, k)->base;
                if (base->type != GEN_DNS) {
                    continue;
                }
                const std::string excluded = ia5(base->d.dNSName);
                for (const auto& san : sans) {
                    if (san.kind == SubjectAltName::Kind::dns && san.value.rfind("*.", 0) == 0 &&
                        dns_name_matches(san.value, excluded)) {
                        fail(0,
                             FindingCode::name_constraints_violation,
                             fmt::format("has the wildcard '{}', which covers '{}', excluded by "
                                         "'{}'",
                                         san.value,
                                         excluded,
                                         m_path[i].subject()));
                    }
                }
            }
        }
    }

    void webpki_key(std::size_t i) {
        EVP_PKEY* key = X509_get0_pubkey(m_path[i].native());
        ossl::clear_errors();
        if (key == nullptr) {
            return;
        }
        if (ossl::is_a(key, "RSA")) {
            const int bits = EVP_PKEY_get_bits(key);
            if (bits < 2048 || bits % 8 != 0) {
                fail(i,
                     FindingCode::weak_key,
                     fmt::format("has an RSA key of {} bits (CA/B Forum: at least "
                                 "2048 and a multiple of 8)",
                                 bits));
            }
        } else if (ossl::is_a(key, "EC")) {
            std::array<char, 64> curve{};
            std::size_t len = 0;
            EVP_PKEY_get_group_name(key, curve.data(), curve.size(), &len);
            const std::string_view g{curve.data(), len};
            if (g != "prime256v1" && g != "secp384r1" && g != "secp521r1") {
                fail(i,
                     FindingCode::weak_key,
                     fmt::format("uses the curve '{}' (CA/B Forum: P-256, P-384 "
                                 "or P-521)",
                                 g));
            }
        } else if (ossl::is_a(key, "DSA")) {
            fail(i, FindingCode::weak_key, "has a DSA key, which the CA/B Forum does not allow");
        }
    }

    void webpki_leaf() {
        X509* x = m_path[0].native();
        if (X509_get_version(x) != X509_VERSION_3) {
            fail(0, FindingCode::malformed_certificate, "is not an X.509 v3 certificate");
        }
        if ((X509_get_extension_flags(x) & EXFLAG_CA) != 0) {
            fail(
                0, FindingCode::not_an_end_entity, "is a CA certificate, not a server certificate");
        }
        const Ext san = extension(x, NID_subject_alt_name);
        if (!san.present()) {
            fail(0,
                 FindingCode::malformed_certificate,
                 "has no subjectAltName (CA/B Forum 7.1.2.7.12)");
        } else if (san.crit == 1 && X509_NAME_entry_count(X509_get_subject_name(x)) > 0) {
            fail(0,
                 FindingCode::malformed_certificate,
                 "has a critical subjectAltName and a non-empty subject");
        }
        int crit = -1;
        ossl::ExtKeyUsagePtr eku{static_cast<EXTENDED_KEY_USAGE*>(
            X509_get_ext_d2i(x, NID_ext_key_usage, &crit, nullptr))};
        if (crit < 0 && m_options.purpose != Purpose::any) {
            fail(0,
                 FindingCode::wrong_purpose,
                 "has no extKeyUsage (CA/B Forum requires serverAuth)");
        } else {
            if (crit == 1) {
                fail(0, FindingCode::malformed_certificate, "has a critical extKeyUsage");
            }
            for (int k = 0; eku && k < sk_ASN1_OBJECT_num(eku.get()); ++k) {
                if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), k)) == NID_anyExtendedKeyUsage) {
                    fail(0,
                         FindingCode::wrong_purpose,
                         "has anyExtendedKeyUsage (CA/B Forum forbids it)");
                }
            }
        }
        // The CN, if any, must be one of the SANs, byte for byte (IPs in canonical form).
        const std::string cn = m_path[0].subject_name().common_name;
        if (!cn.empty()) {
            const auto sans = m_path[0].subject_alt_names();
            const bool listed = std::any_of(sans.begin(), sans.end(), [&](const SubjectAltName& s) {
                return s.kind == SubjectAltName::Kind::ip
                           ? s.value == cn
                           : s.kind == SubjectAltName::Kind::dns && s.value == cn;
            });
            if (!listed) {
                fail(0,
                     FindingCode::malformed_certificate,
                     fmt::format("has the CN '{}', which is not one of its subjectAltNames "
                                 "(CA/B Forum 7.1.4.3)",
                                 cn));
            }
        }
        if (extension(x, NID_info_access).present()) {
            ossl::AuthorityInfoAccessPtr aia{static_cast<AUTHORITY_INFO_ACCESS*>(
                X509_get_ext_d2i(x, NID_info_access, nullptr, nullptr))};
            if (!aia) {
                fail(0, FindingCode::malformed_certificate, "has a malformed authorityInfoAccess");
            }
        }
        ossl::clear_errors();
    }

    void webpki_root(std::size_t i) {
        X509* x = m_path[i].native();
        if (extension(x, NID_ext_key_usage).present()) {
            fail(i,
                 FindingCode::malformed_certificate,
                 "is a root with an extKeyUsage (CA/B Forum 7.1.2.1)");
        }
        if (extension(x, NID_authority_key_identifier).present()) {
            ossl::AuthorityKeyIdPtr akid{static_cast<AUTHORITY_KEYID*>(
                X509_get_ext_d2i(x, NID_authority_key_identifier, nullptr, nullptr))};
            const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(x);
            if (!akid || akid->keyid == nullptr || akid->issuer != nullptr ||
                akid->serial != nullptr ||
                (ski != nullptr && ASN1_OCTET_STRING_cmp(akid->keyid, ski) != 0)) {
                fail(i,
                     FindingCode::malformed_certificate,
                     "is a root whose authorityKeyIdentifier is not just its own key identifier");
            }
        }
        ossl::clear_errors();
    }

    const std::vector<Certificate>& m_path;
    bool m_anchored;
    const VerifyOptions& m_options;
    std::vector<ChainFinding>& m_out;
};

}  // namespace

void lint_path(const std::vector<Certificate>& path,
               bool anchored,
               const VerifyOptions& options,
               std::vector<ChainFinding>& out) {
    if (options.profile == Profile::openssl || path.empty()) {
        return;
    }
    Linter(path, anchored, options, out).run();
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
