// SHA256_Init/Update/Transform are deprecated in OpenSSL 3.0 with no EVP replacement for hashing
// one block into a saved state, which is what makes these loops cheap; this file is their only
// user (the target otherwise builds with OPENSSL_NO_DEPRECATED). They run libcrypto's assembly
// block function (SHA-NI or AVX2 where the CPU has them).
#undef OPENSSL_NO_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED 1  // NOLINT(cppcoreguidelines-macro-usage)

#include "kdf.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>

namespace certtool::detail {

namespace {

constexpr std::size_t k_block = SHA256_CBLOCK;          // 64
constexpr std::size_t k_digest = SHA256_DIGEST_LENGTH;  // 32

// The state after hashing one 64-byte block, its length counted (SHA256_Final pads by it).
SHA256_CTX state_after_block(const unsigned char* block) {
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, block, k_block);
    return ctx;
}

// A block holding a 32-byte message at offset 0, already padded for a total message length of
// `prefix_bytes` + 32 (one block of key pad before it, or none).
std::array<unsigned char, k_block> padded_digest_block(std::uint64_t prefix_bytes) {
    std::array<unsigned char, k_block> block{};
    block[k_digest] = 0x80;
    const std::uint64_t bits = (prefix_bytes + k_digest) * 8;
    unsigned char* length = block.data() + k_block - 8;  // big-endian bit count
    for (int shift = 56; shift >= 0; shift -= 8) {
        *length++ = static_cast<unsigned char>(bits >> shift);
    }
    return block;
}

// `ctx`'s chaining value, big-endian, into out[0..32): the digest of a message that ended on
// the block just transformed.
void put_state(const SHA256_CTX& ctx, unsigned char* out) {
    for (const std::uint32_t w : ctx.h) {
        *out++ = static_cast<unsigned char>(w >> 24);
        *out++ = static_cast<unsigned char>(w >> 16);
        *out++ = static_cast<unsigned char>(w >> 8);
        *out++ = static_cast<unsigned char>(w);
    }
}

// The HMAC-SHA256 inner and outer states for `key` (RFC 2104: hashed first if over a block).
void hmac_states(const unsigned char* key_data,
                 std::size_t key_len,
                 SHA256_CTX& inner,
                 SHA256_CTX& outer) {
    std::array<unsigned char, k_block> key{};
    if (key_len > k_block) {
        SHA256(key_data, key_len, key.data());
    } else {
        std::copy_n(key_data, key_len, key.begin());
    }
    std::array<unsigned char, k_block> pad{};
    std::transform(key.begin(), key.end(), pad.begin(), [](unsigned char k) {
        return static_cast<unsigned char>(k ^ 0x36U);
    });
    inner = state_after_block(pad.data());
    std::transform(key.begin(), key.end(), pad.begin(), [](unsigned char k) {
        return static_cast<unsigned char>(k ^ 0x5cU);
    });
    outer = state_after_block(pad.data());
    OPENSSL_cleanse(pad.data(), pad.size());
    OPENSSL_cleanse(key.data(), key.size());
}

}  // namespace

void hmac_sha256(const unsigned char* key,
                 std::size_t key_len,
                 const unsigned char* data,
                 std::size_t len,
                 unsigned char* out) noexcept {
    SHA256_CTX inner;
    SHA256_CTX outer;
    hmac_states(key, key_len, inner, outer);
    std::array<unsigned char, k_digest> digest{};
    SHA256_Update(&inner, data, len);
    SHA256_Final(digest.data(), &inner);
    SHA256_Update(&outer, digest.data(), digest.size());
    SHA256_Final(out, &outer);
    OPENSSL_cleanse(&inner, sizeof inner);
    OPENSSL_cleanse(&outer, sizeof outer);
}

void pbkdf2_hmac_sha256(std::string_view password,
                        const unsigned char* salt,
                        std::size_t salt_len,
                        int iterations,
                        unsigned char* out,
                        std::size_t out_len) noexcept {
    SHA256_CTX inner;
    SHA256_CTX outer;
    hmac_states(
        reinterpret_cast<const unsigned char*>(password.data()), password.size(), inner, outer);

    // u: the inner hash's input block (U_i, padded); v: the outer's (the inner digest, padded).
    std::array<unsigned char, k_block> u = padded_digest_block(k_block);
    std::array<unsigned char, k_block> v = padded_digest_block(k_block);
    std::array<unsigned char, k_digest> t{};
    std::uint32_t counter = 1;
    for (std::size_t done = 0; done < out_len; done += k_digest, ++counter) {
        // U_1 = HMAC(P, S || INT(i)): the only message of variable length.
        SHA256_CTX ctx = inner;
        SHA256_Update(&ctx, salt, salt_len);
        const std::array<unsigned char, 4> be{static_cast<unsigned char>(counter >> 24),
                                              static_cast<unsigned char>(counter >> 16),
                                              static_cast<unsigned char>(counter >> 8),
                                              static_cast<unsigned char>(counter)};
        SHA256_Update(&ctx, be.data(), be.size());
        SHA256_Final(v.data(), &ctx);
        ctx = outer;
        SHA256_Transform(&ctx, v.data());
        put_state(ctx, u.data());
        std::copy_n(u.begin(), k_digest, t.begin());
        for (int i = 1; i < iterations; ++i) {
            ctx = inner;
            SHA256_Transform(&ctx, u.data());
            put_state(ctx, v.data());
            ctx = outer;
            SHA256_Transform(&ctx, v.data());
            put_state(ctx, u.data());
            std::transform(t.begin(), t.end(), u.begin(), t.begin(), std::bit_xor<>{});
        }
        std::copy_n(t.begin(), std::min(k_digest, out_len - done), out + done);
        OPENSSL_cleanse(&ctx, sizeof ctx);
    }
    OPENSSL_cleanse(u.data(), u.size());
    OPENSSL_cleanse(v.data(), v.size());
    OPENSSL_cleanse(t.data(), t.size());
}

bool pkcs12_kdf_sha256(const unsigned char* password,
                       std::size_t password_len,
                       const unsigned char* salt,
                       std::size_t salt_len,
                       int id,
                       int iterations,
                       unsigned char* out,
                       std::size_t out_len) noexcept {
    if (out_len > k_digest) {
        return false;
    }
    // A_1 = H^c(D || I): D is 64 bytes of `id`; I is the salt then the password, each repeated
    // to a whole number of 64-byte blocks (an empty one stays empty). Only A_1 is needed for
    // 32 bytes of output, so the B/I adjustment of steps 6.B-C never runs.
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    std::array<unsigned char, k_block> block{};
    block.fill(static_cast<unsigned char>(id));
    SHA256_Update(&ctx, block.data(), block.size());
    const auto repeat = [&](const unsigned char* data, std::size_t len) {
        const std::size_t total = len == 0 ? 0 : k_block * ((len + k_block - 1) / k_block);
        for (std::size_t i = 0; i < total; ++i) {
            *(block.data() + i % k_block) = *(data + i % len);
            if (i % k_block == k_block - 1) {
                SHA256_Update(&ctx, block.data(), block.size());
            }
        }
    };
    repeat(salt, salt_len);
    repeat(password, password_len);
    std::array<unsigned char, k_block> a = padded_digest_block(0);
    SHA256_Final(a.data(), &ctx);
    for (int i = 1; i < iterations; ++i) {
        SHA256_Init(&ctx);
        SHA256_Transform(&ctx, a.data());
        put_state(ctx, a.data());
    }
    std::copy_n(a.begin(), out_len, out);
    OPENSSL_cleanse(&ctx, sizeof ctx);
    OPENSSL_cleanse(a.data(), a.size());
    OPENSSL_cleanse(block.data(), block.size());
    return true;
}

}  // namespace certtool::detail
