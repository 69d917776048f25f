// EC_GROUP_precompute_mult and the Jacobian-coordinate accessors are deprecated in OpenSSL 3.0
// with no EVP replacement for a precomputed table on a point other than the generator; this
// file is their only user (the target otherwise builds with OPENSSL_NO_DEPRECATED).
#undef OPENSSL_NO_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED 1  // NOLINT(cppcoreguidelines-macro-usage)

#include "ecdsa_fixed.hpp"

#include <openssl/core_names.h>
#include <openssl/obj_mac.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>

namespace certtool::detail {

std::unique_ptr<FixedKeyEcdsa> FixedKeyEcdsa::create(EVP_PKEY* key) {
    if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) {
        return nullptr;
    }
    std::array<char, 80> group_name{};
    std::size_t name_len = 0;
    std::array<unsigned char, 256> pub{};
    std::size_t pub_len = 0;
    if (EVP_PKEY_get_utf8_string_param(
            key, OSSL_PKEY_PARAM_GROUP_NAME, group_name.data(), group_name.size(), &name_len) !=
            1 ||
        EVP_PKEY_get_octet_string_param(
            key, OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size(), &pub_len) != 1) {
        ossl::clear_errors();
        return nullptr;  // explicit parameters, or no public point
    }
    const int nid = OBJ_sn2nid(group_name.data());
    if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1 && nid != NID_secp521r1) {
        return nullptr;  // the curves the batch fast path takes (and the unit test covers)
    }
    auto fixed = std::unique_ptr<FixedKeyEcdsa>(new FixedKeyEcdsa);
    fixed->m_curve.reset(EC_GROUP_new_by_curve_name(nid));
    ossl::BnCtxPtr ctx{BN_CTX_new()};
    fixed->m_p.reset(BN_new());
    if (!fixed->m_curve || !ctx || !fixed->m_p ||
        EC_GROUP_get_curve(fixed->m_curve.get(), fixed->m_p.get(), nullptr, nullptr, ctx.get()) !=
            1 ||
        EC_GROUP_get_field_type(fixed->m_curve.get()) != NID_X9_62_prime_field) {
        ossl::clear_errors();
        return nullptr;
    }
    // libcrypto 3.0's generic curve code multiplies the generator alone with a constant-time
    // ladder that ignores any table: only the dedicated implementations (nistz256/nistp256 for
    // P-256, nistp521) use one. Elsewhere (P-384 in 3.0) the table would make it slower.
    const EC_METHOD* method = EC_GROUP_method_of(fixed->m_curve.get());
    if (method == EC_GFp_simple_method() || method == EC_GFp_mont_method() ||
        method == EC_GFp_nist_method()) {
        return nullptr;
    }
    const BIGNUM* order = EC_GROUP_get0_order(fixed->m_curve.get());
    fixed->m_order_bits = BN_num_bits(order);
    fixed->m_key_group.reset(EC_GROUP_dup(fixed->m_curve.get()));
    ossl::EcPointPtr q{fixed->m_key_group ? EC_POINT_new(fixed->m_key_group.get()) : nullptr};
    // oct2point rejects points off the curve; the cofactor of these curves is 1, so any other
    // point has order n and generates the same group as G.
    if (!q ||
        EC_POINT_oct2point(fixed->m_key_group.get(), q.get(), pub.data(), pub_len, ctx.get()) !=
            1 ||
        EC_POINT_is_at_infinity(fixed->m_key_group.get(), q.get()) == 1 ||
        EC_GROUP_set_generator(fixed->m_key_group.get(),
                               q.get(),
                               order,
                               EC_GROUP_get0_cofactor(fixed->m_curve.get())) != 1 ||
        EC_GROUP_precompute_mult(fixed->m_key_group.get(), ctx.get()) != 1 ||
        (EC_GROUP_have_precompute_mult(fixed->m_curve.get()) != 1 &&
         EC_GROUP_precompute_mult(fixed->m_curve.get(), ctx.get()) != 1)) {
        ossl::clear_errors();
        return nullptr;
    }
    return fixed;
}

namespace {

// A signature's r and s, if `signature` is a strict DER ECDSA-Sig-Value (as libcrypto insists:
// nothing trailing, minimal encodings) with 1 <= r, s < n.
std::optional<ossl::EcdsaSigPtr> parse_signature(der::Bytes signature, const BIGNUM* order) {
    const unsigned char* p = signature.data();
    ossl::EcdsaSigPtr sig{d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(signature.size()))};
    if (!sig || p != signature.data() + signature.size()) {
        return std::nullopt;
    }
    unsigned char* reencoded = nullptr;
    const int len = i2d_ECDSA_SIG(sig.get(), &reencoded);
    const ossl::OpensslBytesPtr owned{reencoded};
    if (len <= 0 || static_cast<std::size_t>(len) != signature.size() ||
        !std::equal(signature.begin(), signature.end(), reencoded)) {
        return std::nullopt;
    }
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(sig.get(), &r, &s);
    if (BN_is_zero(r) == 1 || BN_is_negative(r) == 1 || BN_ucmp(r, order) >= 0 ||
        BN_is_zero(s) == 1 || BN_is_negative(s) == 1 || BN_ucmp(s, order) >= 0) {
        return std::nullopt;
    }
    return sig;
}

}  // namespace

bool FixedKeyEcdsa::verify(const EVP_MD* md, der::Bytes message, der::Bytes signature) const {
    const Job job{md, message, signature};
    return verify_all({&job, 1}).front();
}

std::vector<bool> FixedKeyEcdsa::verify_all(std::span<const Job> jobs) const {
    std::vector<bool> valid(jobs.size(), false);
    const BIGNUM* order = EC_GROUP_get0_order(m_curve.get());
    ossl::BnCtxPtr ctx{BN_CTX_new()};
    if (!ctx) {
        return valid;
    }
    // Parse every signature; the ones that can be valid share one inversion of their s values
    // (Montgomery's trick: invert the product, then peel the factors off one by one).
    std::vector<ossl::EcdsaSigPtr> sigs(jobs.size());
    std::vector<std::size_t> live;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        if (auto sig = parse_signature(jobs[i].signature, order)) {
            sigs[i] = std::move(*sig);
            live.push_back(i);
        }
    }
    ossl::clear_errors();
    const auto s_of = [&](std::size_t i) {
        const BIGNUM* s = nullptr;
        ECDSA_SIG_get0(sigs[i].get(), nullptr, &s);
        return s;
    };
    std::vector<ossl::BignumPtr> prefix(live.size());  // s_0 * ... * s_k mod n
    std::vector<ossl::BignumPtr> inverse(live.size());
    bool ok = true;
    for (std::size_t k = 0; ok && k < live.size(); ++k) {
        prefix[k].reset(k == 0 ? BN_dup(s_of(live[k])) : BN_new());
        inverse[k].reset(BN_new());
        ok = prefix[k] && inverse[k] &&
             (k == 0 ||
              BN_mod_mul(prefix[k].get(), prefix[k - 1].get(), s_of(live[k]), order, ctx.get()) ==
                  1);
    }
    ossl::BignumPtr acc{BN_new()};  // (s_0 * ... * s_k)^-1 for the k being peeled
    ok = ok && acc && !live.empty() &&
         BN_mod_inverse(acc.get(), prefix.back().get(), order, ctx.get()) != nullptr;
    for (std::size_t k = live.size(); ok && k-- > 0;) {
        if (k == 0) {
            ok = BN_copy(inverse[0].get(), acc.get()) != nullptr;
        } else {
            ok = BN_mod_mul(inverse[k].get(), acc.get(), prefix[k - 1].get(), order, ctx.get()) ==
                     1 &&
                 BN_mod_mul(acc.get(), acc.get(), s_of(live[k]), order, ctx.get()) == 1;
        }
    }
    for (std::size_t k = 0; ok && k < live.size(); ++k) {
        const std::size_t i = live[k];
        const BIGNUM* r = nullptr;
        ECDSA_SIG_get0(sigs[i].get(), &r, nullptr);
        valid[i] = check(jobs[i], r, inverse[k].get(), ctx.get());
    }
    ossl::clear_errors();
    return valid;
}

// SEC 1 v2 4.1.4 steps 2-8, given r and w = s^-1 mod n.
bool FixedKeyEcdsa::check(const Job& job, const BIGNUM* r, const BIGNUM* w, BN_CTX* ctx) const {
    const BIGNUM* order = EC_GROUP_get0_order(m_curve.get());
    // e: the digest's leftmost order-length bits.
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int digest_len = 0;
    if (EVP_Digest(
            job.message.data(), job.message.size(), digest.data(), &digest_len, job.md, nullptr) !=
        1) {
        return false;
    }
    const auto bits = static_cast<unsigned int>(m_order_bits);
    const unsigned int used = 8 * digest_len > bits ? (bits + 7) / 8 : digest_len;
    ossl::BignumPtr e{BN_bin2bn(digest.data(), static_cast<int>(used), nullptr)};
    ossl::BignumPtr u1{BN_new()};
    ossl::BignumPtr u2{BN_new()};
    ossl::BignumPtr x{BN_new()};
    ossl::BignumPtr y{BN_new()};
    ossl::BignumPtr z{BN_new()};
    ossl::BignumPtr t{BN_new()};
    ossl::EcPointPtr r1{EC_POINT_new(m_curve.get())};
    ossl::EcPointPtr r2{EC_POINT_new(m_key_group.get())};
    ossl::EcPointPtr r2_on_curve{EC_POINT_new(m_curve.get())};
    bool ok =
        e && u1 && u2 && x && y && z && t && r1 && r2 && r2_on_curve &&
        (8 * used <= bits || BN_rshift(e.get(), e.get(), static_cast<int>(8 - (bits & 7U))) == 1) &&
        BN_mod_mul(u1.get(), e.get(), w, order, ctx) == 1 &&
        BN_mod_mul(u2.get(), r, w, order, ctx) == 1 &&
        // u1*G from the curve's table, u2*Q from the key's table, added on the curve.
        EC_POINT_mul(m_curve.get(), r1.get(), u1.get(), nullptr, nullptr, ctx) == 1 &&
        EC_POINT_mul(m_key_group.get(), r2.get(), u2.get(), nullptr, nullptr, ctx) == 1;
    if (ok && EC_POINT_is_at_infinity(m_key_group.get(), r2.get()) != 1) {
        ok = EC_POINT_get_Jprojective_coordinates_GFp(
                 m_key_group.get(), r2.get(), x.get(), y.get(), z.get(), ctx) == 1 &&
             EC_POINT_set_Jprojective_coordinates_GFp(
                 m_curve.get(), r2_on_curve.get(), x.get(), y.get(), z.get(), ctx) == 1 &&
             EC_POINT_add(m_curve.get(), r1.get(), r1.get(), r2_on_curve.get(), ctx) == 1;
    }
    // R must not be the point at infinity, and x(R) mod n == r. With R = (X, Y, Z) in Jacobian
    // coordinates, x(R) = X / Z^2 lies in [0, p), so x(R) mod n == r means x(R) == r or, when
    // r + n < p, x(R) == r + n: compare X with r * Z^2 (mod p) for both, without an inversion.
    ok = ok && EC_POINT_is_at_infinity(m_curve.get(), r1.get()) != 1 &&
         EC_POINT_get_Jprojective_coordinates_GFp(
             m_curve.get(), r1.get(), x.get(), y.get(), z.get(), ctx) == 1 &&
         BN_nnmod(x.get(), x.get(), m_p.get(), ctx) == 1 &&
         BN_mod_sqr(z.get(), z.get(), m_p.get(), ctx) == 1 &&
         BN_mod_mul(t.get(), r, z.get(), m_p.get(), ctx) == 1;
    bool valid = ok && BN_cmp(t.get(), x.get()) == 0;
    if (ok && !valid && BN_add(y.get(), r, order) == 1 && BN_cmp(y.get(), m_p.get()) < 0) {
        valid = BN_mod_mul(t.get(), y.get(), z.get(), m_p.get(), ctx) == 1 &&
                BN_cmp(t.get(), x.get()) == 0;
    }
    return valid;
}

}  // namespace certtool::detail
