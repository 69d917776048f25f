// ECDSA verification under one fixed public key, for batches: many leaves signed by the same
// issuer. A verification computes u1*G + u2*Q; libcrypto has a precomputed table for the
// generator G but walks Q bit by bit every time, which is most of the cost. This class builds
// the same kind of table for Q once (a copy of the curve group whose generator is Q), so both
// multiplications are table lookups and additions. The arithmetic is SEC 1 v2 4.1.4, the same
// steps and checks as libcrypto's ossl_ecdsa_simple_verify_sig (strict DER signature,
// 1 <= r, s < n, digest truncated to the order's bit length). It only ever answers "valid" or
// "not shown valid"; callers fall back to the full verifier on the latter.
// tests/unit/test_ecdsa_fixed.cpp compares it with EVP_DigestVerify.
#pragma once

#include "der.hpp"
#include "ossl.hpp"

#include <memory>
#include <span>
#include <vector>

namespace certtool::detail {

class FixedKeyEcdsa {
public:
    // nullptr if `key` is not an EC key on P-256, P-384 or P-521.
    // Building the table costs tens of milliseconds (about 37 ms for P-256 on a slow core).
    static std::unique_ptr<FixedKeyEcdsa> create(EVP_PKEY* key);

    // Whether `signature` (DER ECDSA-Sig-Value) is a valid signature by the key over
    // `message` hashed with `md`.
    [[nodiscard]] bool verify(const EVP_MD* md, der::Bytes message, der::Bytes signature) const;

    struct Job {
        const EVP_MD* md;
        der::Bytes message;
        der::Bytes signature;
    };

    // verify() for each job. The modular inversion of s, a fifth of a verification on its own,
    // is done once for all of them (Montgomery's trick), so batches of a few dozen pay it once.
    [[nodiscard]] std::vector<bool> verify_all(std::span<const Job> jobs) const;

private:
    FixedKeyEcdsa() = default;
    bool check(const Job& job, const BIGNUM* r, const BIGNUM* w, BN_CTX* ctx) const;
    ossl::EcGroupPtr m_curve;      // the named curve, generator G
    ossl::EcGroupPtr m_key_group;  // the same curve with Q as its generator, precomputed
    ossl::BignumPtr m_p;           // the field prime
    int m_order_bits{0};
};

}  // namespace certtool::detail
