// The two password-based derivations a modern PKCS#12 file costs, computed on libcrypto's SHA-256
// block function with the HMAC pads hashed once: PBKDF2-HMAC-SHA256 (RFC 8018 5.2) for PBES2,
// and the PKCS#12 KDF with SHA-256 (RFC 7292 appendix B.2) for the integrity MAC's key. Each
// gives the same bytes as libcrypto's own (PKCS5_PBKDF2_HMAC, PKCS12_key_gen_uni; the unit tests
// compare them), about three times faster: OpenSSL 3.0 copies a provider digest context per
// iteration. docs/performance.md, issue 18.
#pragma once

#include <cstddef>
#include <string_view>

namespace certtool::detail {

// PBKDF2 with HMAC-SHA256 of `password` (its bytes as given, as PBES2 uses them) and `salt`,
// `iterations` >= 1, filling `out` (`out_len` bytes, any length).
void pbkdf2_hmac_sha256(std::string_view password,
                        const unsigned char* salt,
                        std::size_t salt_len,
                        int iterations,
                        unsigned char* out,
                        std::size_t out_len) noexcept;

// The PKCS#12 KDF with SHA-256: `id` 1 (key), 2 (IV) or 3 (MAC key), `password` already in
// PKCS#12's form (BMPString, big-endian, with its two trailing zero bytes: OPENSSL_utf82uni's
// output), `iterations` >= 1, filling `out` with at most 32 bytes (one SHA-256 output: a MAC
// key). Returns false, touching nothing, if `out_len` is over 32.
bool pkcs12_kdf_sha256(const unsigned char* password,
                       std::size_t password_len,
                       const unsigned char* salt,
                       std::size_t salt_len,
                       int id,
                       int iterations,
                       unsigned char* out,
                       std::size_t out_len) noexcept;

// HMAC-SHA256 of [data, data + len) under `key` into out[0..32), on the same block function
// (libcrypto 3.0's HMAC() fetches a MAC and a digest first: ~3.6 M instructions).
void hmac_sha256(const unsigned char* key,
                 std::size_t key_len,
                 const unsigned char* data,
                 std::size_t len,
                 unsigned char* out) noexcept;

}  // namespace certtool::detail
