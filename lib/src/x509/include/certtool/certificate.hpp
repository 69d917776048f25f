// X.509 certificates: parsing every format a CA hands out, inspection, names, and self-signing.
#pragma once

#include <certtool/key.hpp>
#include <certtool/time.hpp>

#include <openssl/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certtool {

struct SubjectAltName {
    enum class Kind { dns, ip, email };
    Kind kind{Kind::dns};
    std::string value;  // normalised: DNS lower-case, IP in canonical text form

    // "DNS:mail.example.com", "IP:192.0.2.1", "email:postmaster@example.com".
    [[nodiscard]] std::string to_string() const;

    // Parses "DNS:x", "IP:x", "email:x" (prefix case-insensitive); a bare value is an IP if it
    // parses as one, an email if it has '@', else a DNS name. Validates and normalises.
    // Throws Error{invalid_argument} naming the value and the expected form.
    [[nodiscard]] static SubjectAltName parse(std::string_view text);

    friend bool operator==(const SubjectAltName&, const SubjectAltName&) = default;
};

struct DistinguishedName {
    std::string common_name;
    std::string organization;
    std::string organizational_unit;
    std::string locality;
    std::string state;
    std::string country;
    friend bool operator==(const DistinguishedName&, const DistinguishedName&) = default;
};

// What an entry's certificates are requested for: the subject and the SANs. The CN is always
// among the SANs (as DNS, or IP when the CN is an address).
struct SubjectRequest {
    DistinguishedName subject;
    std::vector<SubjectAltName> sans;

    // Validates a new request (CN must be a host name or IP; country two letters; lengths
    // within X.520 bounds), adds the CN as a SAN and removes duplicate SANs.
    // Throws Error{invalid_argument} naming the field and the fix.
    [[nodiscard]] static SubjectRequest make(DistinguishedName subject,
                                             std::vector<SubjectAltName> sans);
};

// OpenSSL's trust settings: the auxiliary data of a TRUSTED CERTIFICATE, as `openssl x509
// -addtrust/-addreject` and p11-kit's openssl-bundle write them. Purposes by OpenSSL short name
// ("serverAuth", "clientAuth", "anyExtendedKeyUsage"), or dotted OID when it has none. As an
// anchor, a certificate never anchors a rejected purpose, and one with a trusted list anchors
// only the purposes listed (OpenSSL's X509_check_trust).
struct TrustSettings {
    std::vector<std::string> trusted;
    std::vector<std::string> rejected;
    std::string alias;

    [[nodiscard]] bool empty() const noexcept { return trusted.empty() && rejected.empty(); }
};

class Certificate {
public:
    // Every certificate in `data`: PEM (any number of CERTIFICATE / PKCS7 blocks, text between
    // them ignored), DER X.509, or DER PKCS#7 (.p7b/.p7c). DER input must have no trailing bytes.
    // `source` names the input in errors. Throws Error{parse} if there is no certificate.
    [[nodiscard]] static std::vector<Certificate> parse_all(std::string_view data,
                                                            std::string_view source);

    // Every certificate in a file (as parse_all). Throws Error{io} or Error{parse}.
    [[nodiscard]] static std::vector<Certificate> load_all(const std::filesystem::path& file);

    // Exactly one certificate (first of a PEM bundle). Throws Error{parse}.
    [[nodiscard]] static Certificate parse(std::string_view data, std::string_view source);

    // Takes a reference on an existing X509 (library-internal bridge).
    [[nodiscard]] static Certificate adopt(X509* x509);

    [[nodiscard]] std::string to_pem() const;
    // As TRUSTED CERTIFICATE when it has trust settings or an alias (so they survive a copy),
    // else as to_pem().
    [[nodiscard]] std::string to_trusted_pem() const;
    [[nodiscard]] TrustSettings trust_settings() const;
    [[nodiscard]] std::string to_der() const;

    [[nodiscard]] std::string subject() const;  // "CN=mail.example.com, O=Example"
    [[nodiscard]] std::string issuer() const;
    [[nodiscard]] DistinguishedName subject_name() const;
    [[nodiscard]] std::vector<SubjectAltName> subject_alt_names() const;
    [[nodiscard]] std::string serial_hex() const;
    [[nodiscard]] TimePoint not_before() const;
    [[nodiscard]] TimePoint not_after() const;
    [[nodiscard]] std::string sha256_fingerprint() const;  // "AB:CD:..."
    [[nodiscard]] std::string key_description() const;
    [[nodiscard]] std::string signature_algorithm() const;

    [[nodiscard]] bool is_self_issued() const;  // subject == issuer
    [[nodiscard]] bool is_self_signed() const;  // self-issued and verifies with its own key
    [[nodiscard]] bool is_ca() const;           // basicConstraints CA:TRUE
    [[nodiscard]] bool matches_key(const PrivateKey& key) const;
    // `issuer` names this certificate's issuer (name and key identifiers) and its key
    // verifies this certificate's signature.
    [[nodiscard]] bool is_issued_by(const Certificate& issuer) const;

    [[nodiscard]] bool same_as(const Certificate& other) const;  // identical DER

    [[nodiscard]] X509* native() const noexcept { return m_x509.get(); }

private:
    explicit Certificate(std::shared_ptr<X509> x509) : m_x509(std::move(x509)) {}

    std::shared_ptr<X509> m_x509;
};

struct Validity {
    TimePoint not_before;
    TimePoint not_after;
};

// A self-signed TLS server certificate (v3; serial of 159 random bits; basicConstraints
// CA:FALSE; keyUsage digitalSignature (+ keyEncipherment for RSA); extendedKeyUsage serverAuth
// and clientAuth; SKI/AKI; SANs from the request). Throws Error{crypto}.
[[nodiscard]] Certificate create_self_signed(const PrivateKey& key,
                                             const SubjectRequest& request,
                                             const Validity& validity);

// The validity of a new certificate: now .. now + days. Throws Error{invalid_argument} unless
// 1 <= days <= 36500.
[[nodiscard]] Validity validity_for_days(int days, TimePoint now);

}  // namespace certtool
