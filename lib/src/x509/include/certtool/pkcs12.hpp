// PKCS#12 (.p12/.pfx) reading and writing.
#pragma once

#include <certtool/certificate.hpp>
#include <certtool/key.hpp>
#include <certtool/secret.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certtool {

struct Pkcs12Contents {
    std::vector<PrivateKey> keys;    // usually one
    std::vector<Certificate> certs;  // in file order
    std::optional<std::string> friendly_name;
    bool mac_present{false};
    bool used_legacy_provider{false};  // RC2, RC4, DES, ... needed OpenSSL's legacy provider
};

// Reads a DER PKCS#12 file. Tries the password as given (and for an empty password, the
// "no password" encoding too; for a non-ASCII password, the encoding OpenSSL 1.0.x wrote).
// Loads OpenSSL's legacy provider on demand for RC2/RC4/DES/MD4-era files.
// Throws Error{parse} (not PKCS#12, truncated, trailing bytes), Error{bad_password},
// Error{unsupported} (an algorithm this OpenSSL build lacks).
[[nodiscard]] Pkcs12Contents read_pkcs12(std::string_view der,
                                         const Secret& password,
                                         std::string_view source);

enum class Pkcs12Profile {
    modern,  // PBES2: PBKDF2-HMAC-SHA256 + AES-256-CBC for key and certificates; SHA-256 MAC
    compat,  // pbeWithSHAAnd3-KeyTripleDES-CBC for key and certificates; SHA-1 MAC
    legacy,  // certificates pbeWithSHAAnd40BitRC2-CBC, key 3DES; SHA-1 MAC
};

[[nodiscard]] std::string_view pkcs12_profile_name(Pkcs12Profile profile) noexcept;
[[nodiscard]] std::optional<Pkcs12Profile> parse_pkcs12_profile(std::string_view name) noexcept;

// Defaults: see README "PKCS#12 iteration count". 600,000 for modern (OWASP's PBKDF2-HMAC-SHA256
// figure, and the most Windows accepts); 10,000 for compat and legacy (keytool's count: the
// consumers that need those profiles are old and slow).
[[nodiscard]] int default_pkcs12_iterations(Pkcs12Profile profile) noexcept;
inline constexpr int k_max_pkcs12_iterations = 600000;

struct Pkcs12ExportOptions {
    Pkcs12Profile profile{Pkcs12Profile::modern};
    int iterations{0};  // 0 = default_pkcs12_iterations(profile); used for PBE and MAC
    std::string friendly_name;
};

// A DER PKCS#12 with the key, the leaf (both named friendly_name, linked by localKeyID) and
// the chain. Throws Error{invalid_argument} (empty password, iterations out of 1..600000),
// Error{crypto}.
[[nodiscard]] std::string write_pkcs12(const PrivateKey& key,
                                       const Certificate& leaf,
                                       const std::vector<Certificate>& chain,
                                       const Secret& password,
                                       const Pkcs12ExportOptions& options);

}  // namespace certtool
