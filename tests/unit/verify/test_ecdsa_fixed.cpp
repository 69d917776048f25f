// FixedKeyEcdsa (lib/src/ecdsa_fixed.hpp) against libcrypto's own EVP_DigestVerify: the same
// verdict on valid signatures and on every kind of broken or non-canonical one, for each
// supported curve and digest (including digests longer than the order, which are truncated).
#include "ecdsa_fixed.hpp"
#include "ossl.hpp"

#include <catch2/catch.hpp>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <string>
#include <vector>

namespace {

using Bytes = std::vector<unsigned char>;
using certtool::detail::FixedKeyEcdsa;
namespace ossl = certtool::ossl;

Bytes sign(EVP_PKEY* key, const EVP_MD* md, const Bytes& message) {
    ossl::EvpMdCtxPtr ctx{EVP_MD_CTX_new()};
    REQUIRE(EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key) == 1);
    std::size_t len = 0;
    REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) == 1);
    Bytes sig(len);
    REQUIRE(EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) == 1);
    sig.resize(len);
    return sig;
}

bool evp_verifies(EVP_PKEY* key, const EVP_MD* md, const Bytes& message, const Bytes& sig) {
    ossl::EvpMdCtxPtr ctx{EVP_MD_CTX_new()};
    const bool ok =
        EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) == 1 &&
        EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), message.data(), message.size()) == 1;
    ossl::clear_errors();
    return ok;
}

// The DER of an ECDSA-Sig-Value with the given r and s.
Bytes encode(const BIGNUM* r, const BIGNUM* s) {
    ossl::EcdsaSigPtr sig{ECDSA_SIG_new()};
    REQUIRE(ECDSA_SIG_set0(sig.get(), BN_dup(r), BN_dup(s)) == 1);
    unsigned char* out = nullptr;
    const int len = i2d_ECDSA_SIG(sig.get(), &out);
    const ossl::OpensslBytesPtr owned{out};
    REQUIRE(len > 0);
    return {out, out + len};
}

// Hand-made DER for an INTEGER (minimal two's complement of a non-negative value, or as given).
Bytes der_integer(const Bytes& content) {
    Bytes out;
    out.reserve(content.size() + 2);
    out.push_back(0x02);
    out.push_back(static_cast<unsigned char>(content.size()));
    for (const unsigned char c : content) {
        out.push_back(c);
    }
    return out;
}

Bytes der_sequence(const Bytes& a, const Bytes& b, bool long_form_length = false) {
    Bytes body = a;
    body.insert(body.end(), b.begin(), b.end());
    Bytes out{0x30};
    if (body.size() > 127) {
        out.push_back(0x81);
        if (long_form_length) {  // 0x82 0x00 LEN: one octet more than DER allows
            out.back() = 0x82;
            out.push_back(0x00);
        }
    } else if (long_form_length) {
        out.push_back(0x81);
    }
    out.push_back(static_cast<unsigned char>(body.size()));
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

Bytes magnitude(const BIGNUM* n) {
    Bytes out(static_cast<std::size_t>(BN_num_bytes(n)));
    BN_bn2bin(n, out.data());
    if (out.empty() || (out[0] & 0x80U) != 0) {
        out.insert(out.begin(), 0x00);
    }
    return out;
}

struct Variant {
    std::string name;
    Bytes message;
    Bytes signature;
};

// Good signatures and every way of breaking or bending one.
std::vector<Variant> variants(
    EVP_PKEY* key, EVP_PKEY* other_key, const EVP_MD* md, const BIGNUM* order, int round) {
    Bytes message(100 + static_cast<std::size_t>(round));
    REQUIRE(RAND_bytes(message.data(), static_cast<int>(message.size())) == 1);
    const Bytes sig = sign(key, md, message);
    const unsigned char* p = sig.data();
    ossl::EcdsaSigPtr parsed{d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()))};
    REQUIRE(parsed);
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(parsed.get(), &r, &s);
    const auto changed = [&](const BIGNUM* base, auto&& op) {
        ossl::BignumPtr v{BN_dup(base)};
        op(v.get());
        return v;
    };
    std::vector<Variant> out;
    out.push_back({"good", message, sig});
    Bytes flipped = message;
    flipped[static_cast<std::size_t>(round) % flipped.size()] ^= 0x01U;
    out.push_back({"message changed", flipped, sig});
    out.push_back({"another key's signature", message, sign(other_key, md, message)});
    const auto r1 = changed(r, [](BIGNUM* v) { BN_add_word(v, 1); });
    const auto s1 = changed(s, [](BIGNUM* v) { BN_add_word(v, 1); });
    const auto neg_s = changed(s, [&](BIGNUM* v) { BN_sub(v, order, v); });  // n - s: also valid
    const auto r_plus_n = changed(r, [&](BIGNUM* v) { BN_add(v, v, order); });
    const auto s_plus_n = changed(s, [&](BIGNUM* v) { BN_add(v, v, order); });
    ossl::BignumPtr zero{BN_new()};
    BN_zero(zero.get());
    ossl::BignumPtr n{BN_dup(order)};
    out.push_back({"r + 1", message, encode(r1.get(), s)});
    out.push_back({"s + 1", message, encode(r, s1.get())});
    out.push_back({"n - s", message, encode(r, neg_s.get())});
    out.push_back({"r + n", message, encode(r_plus_n.get(), s)});
    out.push_back({"s + n", message, encode(r, s_plus_n.get())});
    out.push_back({"r = 0", message, encode(zero.get(), s)});
    out.push_back({"s = 0", message, encode(r, zero.get())});
    out.push_back({"r = n", message, encode(n.get(), s)});
    out.push_back({"s = n", message, encode(r, n.get())});
    out.push_back({"r and s swapped", message, encode(s, r)});
    Bytes negative_r = magnitude(r);
    negative_r[0] = 0xFF;  // leading sign byte flipped: a negative INTEGER
    out.push_back(
        {"negative r", message, der_sequence(der_integer(negative_r), der_integer(magnitude(s)))});
    Bytes padded_r = magnitude(r);
    padded_r.insert(padded_r.begin(), 0x00);  // not minimal: BER, not DER
    out.push_back({"r with a redundant zero octet",
                   message,
                   der_sequence(der_integer(padded_r), der_integer(magnitude(s)))});
    out.push_back({"long-form sequence length",
                   message,
                   der_sequence(der_integer(magnitude(r)), der_integer(magnitude(s)), true)});
    Bytes trailing = sig;
    trailing.push_back(0x00);
    out.push_back({"trailing octet", message, trailing});
    out.push_back({"truncated", message, Bytes(sig.begin(), sig.end() - 1)});
    out.push_back({"empty", message, {}});
    return out;
}

}  // namespace

TEST_CASE("FixedKeyEcdsa agrees with EVP_DigestVerify on good, broken and non-DER signatures",
          "[ecdsa][batch]") {
    const char* curves[] = {"P-256", "P-384", "P-521"};
    const EVP_MD* mds[] = {EVP_sha256(), EVP_sha384(), EVP_sha512(), EVP_sha224(), EVP_sha1()};
    for (const char* curve : curves) {
        ossl::EvpPkeyPtr key{EVP_EC_gen(curve)};
        ossl::EvpPkeyPtr other{EVP_EC_gen(curve)};
        REQUIRE(key);
        REQUIRE(other);
        const auto fixed = FixedKeyEcdsa::create(key.get());
        if (!fixed) {
            // Declined where libcrypto's generic curve code would ignore the table (P-384 in
            // OpenSSL 3.0); P-256 and P-521 have dedicated implementations on x86-64.
            CHECK(std::string{curve} == "P-384");
            continue;
        }
        ossl::EcGroupPtr group{
            EC_GROUP_new_by_curve_name(OBJ_sn2nid(curve[2] == '2'   ? "prime256v1"
                                                  : curve[2] == '3' ? "secp384r1"
                                                                    : "secp521r1"))};
        REQUIRE(group);
        int valid = 0;
        int invalid = 0;
        std::vector<Variant> all;
        std::vector<const EVP_MD*> all_mds;
        std::vector<bool> all_expected;
        for (const EVP_MD* md : mds) {
            for (int round = 0; round < 8; ++round) {
                for (auto& v : variants(
                         key.get(), other.get(), md, EC_GROUP_get0_order(group.get()), round)) {
                    INFO(curve << ", " << EVP_MD_get0_name(md) << ", " << v.name);
                    const bool expected = evp_verifies(key.get(), md, v.message, v.signature);
                    CHECK(fixed->verify(md,
                                        {v.message.data(), v.message.size()},
                                        {v.signature.data(), v.signature.size()}) == expected);
                    (expected ? valid : invalid) += 1;
                    if (v.name == "good" || v.name == "n - s") {
                        CHECK(expected);  // the comparison above is not vacuous
                    }
                    all.push_back(std::move(v));
                    all_mds.push_back(md);
                    all_expected.push_back(expected);
                }
            }
        }
        INFO(curve);
        CHECK(valid == 2 * 5 * 8);
        CHECK(invalid > 15 * 5 * 8);
        // verify_all shares one inversion among a batch: the same verdicts, whatever the mix of
        // good and broken signatures in it and whatever its size (1, 7, 64, all).
        for (const std::size_t chunk :
             {std::size_t{1}, std::size_t{7}, std::size_t{64}, all.size()}) {
            for (std::size_t start = 0; start < all.size(); start += chunk) {
                std::vector<FixedKeyEcdsa::Job> jobs;
                for (std::size_t i = start; i < std::min(all.size(), start + chunk); ++i) {
                    jobs.push_back({all_mds[i],
                                    {all[i].message.data(), all[i].message.size()},
                                    {all[i].signature.data(), all[i].signature.size()}});
                }
                const auto verdicts = fixed->verify_all(jobs);
                REQUIRE(verdicts.size() == jobs.size());
                for (std::size_t j = 0; j < jobs.size(); ++j) {
                    INFO("batch of " << chunk << ", " << all[start + j].name);
                    CHECK(verdicts[j] == all_expected[start + j]);
                }
            }
        }
        CHECK(fixed->verify_all({}).empty());
    }
}

TEST_CASE("FixedKeyEcdsa only takes EC keys on P-256, P-384 and P-521", "[ecdsa][batch]") {
    ossl::EvpPkeyPtr rsa{EVP_RSA_gen(2048)};
    ossl::EvpPkeyPtr ed{EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")};
    REQUIRE(rsa);
    REQUIRE(ed);
    CHECK(FixedKeyEcdsa::create(rsa.get()) == nullptr);
    CHECK(FixedKeyEcdsa::create(ed.get()) == nullptr);
    CHECK(FixedKeyEcdsa::create(nullptr) == nullptr);
    ossl::EvpPkeyPtr k256{EVP_EC_gen("secp256k1")};
    REQUIRE(k256);
    CHECK(FixedKeyEcdsa::create(k256.get()) == nullptr);  // a curve the fast path never takes
}
