// OpenSSL's X509_verify_cert as the validator of one candidate path: exactly that path (its top
// certificate the only trusted one), every error collected by the callback rather than the first.
#include "verify_openssl.hpp"

#include "ossl.hpp"
#include "purpose.hpp"

#include <certtool/error.hpp>

#include <fmt/core.h>
#include <openssl/core_names.h>

#include <string>

namespace certtool::detail {

namespace {

constexpr int k_openssl_depth = 64;  // our own max_depth check counts what RFC 5280 counts

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
                ossl::clear_errors();
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

// What OpenSSL is given for the path certificate `x`: its patched copy, if it has one.
X509* patched_or_self(X509* x, const std::vector<Inherited>& inherited) {
    for (const auto& inh : inherited) {
        x = inh.original == x ? inh.patched.get() : x;
    }
    return x;
}

// The same for a pool certificate, which may be another copy of a path certificate.
X509* patched_or_equal(X509* x, const std::vector<Inherited>& inherited) {
    for (const auto& inh : inherited) {
        x = X509_cmp(inh.original, x) == 0 ? inh.patched.get() : x;
    }
    return x;
}

// The path's intermediates, then (with CRLs) the rest of the pool.
ossl::X509StackPtr untrusted_certificates(const std::vector<Certificate>& path,
                                          const std::vector<Certificate>& pool,
                                          const std::vector<Inherited>& inherited,
                                          const VerifyOptions& options) {
    ossl::X509StackPtr untrusted{ossl::check_ptr(sk_X509_new_null(), "sk_X509_new_null")};
    for (std::size_t i = 1; i + 1 < path.size(); ++i) {
        ossl::check1(X509_add_cert(untrusted.get(),
                                   patched_or_self(path[i].native(), inherited),
                                   X509_ADD_FLAG_UP_REF),
                     "X509_add_cert");
    }
    if (!options.crls.empty()) {
        for (const auto& c : pool) {
            ossl::check1(X509_add_cert(untrusted.get(),
                                       patched_or_equal(c.native(), inherited),
                                       X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP),
                         "X509_add_cert");
        }
    }
    return untrusted;
}

// Given to the context rather than the store: the store looks CRLs up by the certificate's
// issuer name, which misses indirect CRLs (RFC 5280 5.2.5).
ossl::X509CrlStackPtr crl_stack(const std::vector<Crl>& crls) {
    ossl::X509CrlStackPtr out{ossl::check_ptr(sk_X509_CRL_new_null(), "sk_X509_CRL_new_null")};
    for (const auto& crl : crls) {
        ossl::check1(X509_CRL_up_ref(crl.native()), "X509_CRL_up_ref");
        if (sk_X509_CRL_push(out.get(), crl.native()) <= 0) {
            ossl::X509CrlPtr{crl.native()}.reset();
            ossl::throw_error(Errc::crypto, "sk_X509_CRL_push");
        }
    }
    return out;
}

// RFC 5280 6.1.1's policy inputs: the flags they add, and the initial policy set on `param`.
unsigned long policy_flags(X509_VERIFY_PARAM* param, const PolicyOptions& policy) {
    if (!policy.enabled) {
        return 0;
    }
    unsigned long flags = X509_V_FLAG_POLICY_CHECK;
    if (policy.require_explicit) {
        flags |= X509_V_FLAG_EXPLICIT_POLICY;
    }
    if (policy.inhibit_mapping) {
        flags |= X509_V_FLAG_INHIBIT_MAP;
    }
    if (policy.inhibit_any) {
        flags |= X509_V_FLAG_INHIBIT_ANY;
    }
    const std::vector<std::string> any{"2.5.29.32.0"};
    for (const auto& oid : policy.initial_policies.empty() ? any : policy.initial_policies) {
        ossl::Asn1ObjectPtr obj{OBJ_txt2obj(oid.c_str(), 1)};
        if (!obj || X509_VERIFY_PARAM_add0_policy(param, obj.get()) != 1) {
            ossl::throw_error(Errc::invalid_argument,
                              fmt::format("policy '{}' is not a dotted OID", oid));
        }
        static_cast<void>(obj.release());  // the parameter owns it now
    }
    return flags;
}

// Flags, time, depth and purpose per `options`.
void set_parameters(X509_STORE_CTX* ctx, const VerifyOptions& options, TimePoint at, bool strict) {
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
    // The path builder decides where a path may end (anchor_trust.hpp): its top is trusted.
    unsigned long flags = X509_V_FLAG_PARTIAL_CHAIN;
    if (strict) {
        flags |= X509_V_FLAG_X509_STRICT;
    }
    // Under rfc5280 and webpki OpenSSL's security levels are off: verify_lint applies
    // allow_sha1 and min_security_bits.
    X509_VERIFY_PARAM_set_auth_level(
        param, options.profile == Profile::openssl ? options.security_level : 0);
    if (!options.check_time) {
        flags |= X509_V_FLAG_NO_CHECK_TIME;
    } else {
        X509_VERIFY_PARAM_set_time(param, std::chrono::system_clock::to_time_t(at));
    }
    if (!options.crls.empty()) {
        flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL |
                 X509_V_FLAG_EXTENDED_CRL_SUPPORT | X509_V_FLAG_USE_DELTAS;
    }
    flags |= policy_flags(param, options.policy);
    X509_VERIFY_PARAM_set_flags(param, flags);
    X509_VERIFY_PARAM_set_depth(param, k_openssl_depth);
    if (const int id = purpose_info(options.purpose).x509_purpose; id != 0) {
        X509_STORE_CTX_set_purpose(ctx, id);
    }
}

// X509_verify_cert with collect_cb: every error, or the one it stopped at.
std::vector<RawError> collect_errors(X509_STORE_CTX* ctx, const std::vector<Inherited>& inherited) {
    Collector collector;
    collector.inherited = &inherited;
    X509_STORE_CTX_set_ex_data(ctx, collector_index(), &collector);
    X509_STORE_CTX_set_verify_cb(ctx, collect_cb);
    const int rc = X509_verify_cert(ctx);
    ossl::clear_errors();
    if (rc != 1 && collector.errors.empty()) {
        collector.errors.push_back({X509_STORE_CTX_get_error(ctx), 0});
    }
    return collector.errors;
}

}  // namespace

std::vector<RawError> run_openssl(const std::vector<Certificate>& path,
                                  const std::vector<Certificate>& pool,
                                  const VerifyOptions& options,
                                  TimePoint at,
                                  bool strict) {
    ossl::X509StorePtr store{ossl::check_ptr(X509_STORE_new(), "X509_STORE_new")};
    ossl::check1(X509_STORE_add_cert(store.get(), path.back().native()), "X509_STORE_add_cert");
    const std::vector<Inherited> inherited = inherit_dsa_parameters(path);
    const ossl::X509StackPtr untrusted = untrusted_certificates(path, pool, inherited, options);
    ossl::X509StoreCtxPtr ctx{ossl::check_ptr(X509_STORE_CTX_new(), "X509_STORE_CTX_new")};
    ossl::check1(X509_STORE_CTX_init(ctx.get(),
                                     store.get(),
                                     patched_or_self(path.front().native(), inherited),
                                     untrusted.get()),
                 "X509_STORE_CTX_init");
    const ossl::X509CrlStackPtr crls = crl_stack(options.crls);
    X509_STORE_CTX_set0_crls(ctx.get(), crls.get());
    set_parameters(ctx.get(), options, at, strict);
    return collect_errors(ctx.get(), inherited);
}

}  // namespace certtool::detail
