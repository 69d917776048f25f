// Private keys: generation, PEM (unencrypted PKCS#8) load/save, encrypted PKCS#8 for backups,
// and description.
#pragma once

#include <certtool/secret.hpp>

#include <openssl/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certtool {

enum class KeyType { rsa2048, rsa3072, rsa4096, ec_p256, ec_p384, ed25519 };

// The default for new entries: RSA 2048. See README "Key types": every MTA and TLS stack a mail
// gateway meets accepts RSA, while ECDSA-only servers still lose some legacy senders. The cost
// is key generation time (~50-150 ms in OpenSSL 3.0 vs ~2 ms for P-256).
inline constexpr KeyType k_default_key_type = KeyType::rsa2048;

// "rsa2048", "ec-p256", ... (the --key-type spelling).
[[nodiscard]] std::string_view key_type_name(KeyType type) noexcept;
[[nodiscard]] std::optional<KeyType> parse_key_type(std::string_view name) noexcept;
[[nodiscard]] std::vector<std::string> key_type_names();

// How sign() encodes an ECDSA signature: DER (X.509, CMS, TLS) or the two integers r||s, each
// padded to the group's byte size (JOSE: RFC 7518 3.4, 64 bytes for P-256). RSA and Ed25519
// signatures have one form.
enum class SignatureEncoding { der, fixed };

class PrivateKey {
public:
    // Generates a fresh key. Throws Error{crypto}.
    [[nodiscard]] static PrivateKey generate(KeyType type);

    // Parses an unencrypted PEM private key (PKCS#8 or traditional). `source` names the origin
    // in error messages. Throws Error{parse}.
    [[nodiscard]] static PrivateKey from_pem(std::string_view pem, std::string_view source);

    // An unencrypted private key in PEM or DER (PKCS#8 or traditional RSA/EC). Throws Error{parse}.
    [[nodiscard]] static PrivateKey parse(std::string_view data, std::string_view source);

    // Takes a reference on an existing EVP_PKEY (library-internal bridge).
    [[nodiscard]] static PrivateKey adopt(EVP_PKEY* pkey);

    // Unencrypted PKCS#8 PEM, in wiped memory.
    [[nodiscard]] Secret to_pem() const;

    // Encrypted PKCS#8 PEM ("ENCRYPTED PRIVATE KEY"): PBES2 with AES-256-CBC, the key derived
    // by PBKDF2-HMAC-SHA256 from `password` with `iterations` and a fresh 16-byte salt, as
    // `openssl pkey -passin` reads it. Throws Error{invalid_argument} for an empty password or
    // iterations below 1, Error{crypto}.
    [[nodiscard]] std::string to_encrypted_pem(const Secret& password, int iterations) const;

    // Reads what to_encrypted_pem() writes (any PKCS#8 encryption OpenSSL knows). Throws
    // Error{parse} (not an encrypted PKCS#8 PEM block), Error{bad_password}.
    [[nodiscard]] static PrivateKey from_encrypted_pem(std::string_view pem,
                                                       const Secret& password,
                                                       std::string_view source);

    // "RSA 2048", "EC P-256", "Ed25519", ...
    [[nodiscard]] std::string describe() const;

    // The matching --key-type name when the key is one of the generated kinds.
    [[nodiscard]] std::optional<KeyType> type() const;

    // Signs `data` (not a digest): RSA PKCS#1 v1.5 and ECDSA with SHA-256 (SHA-384 for P-384,
    // SHA-512 for P-521), Ed25519 as pure EdDSA. Returns the signature's bytes, ECDSA in
    // `encoding`. Throws Error{unsupported} for other keys (DSA, Ed448, RSA-PSS),
    // Error{crypto}.
    [[nodiscard]] std::string sign(std::string_view data,
                                   SignatureEncoding encoding = SignatureEncoding::der) const;

    // True if `public_key` is this key's public half.
    [[nodiscard]] bool matches_public(const EVP_PKEY* public_key) const;

    // Borrowed handle; valid while this object lives.
    [[nodiscard]] EVP_PKEY* native() const noexcept { return m_pkey.get(); }

private:
    explicit PrivateKey(std::shared_ptr<EVP_PKEY> pkey) : m_pkey(std::move(pkey)) {}

    std::shared_ptr<EVP_PKEY> m_pkey;
};

// Describes any public/private key ("RSA 2048", "EC P-384", "DSA 1024").
[[nodiscard]] std::string describe_key(const EVP_PKEY* pkey);

}  // namespace certtool
