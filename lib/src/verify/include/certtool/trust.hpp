// Trust anchors and revocation lists, and whether an assembled chain reaches an anchor.
#pragma once

#include <certtool/certificate.hpp>
#include <certtool/chain.hpp>
#include <certtool/finding.hpp>

#include <openssl/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certtool {

// A set of trust anchors.
class TrustStore {
public:
    // The system's default CA store (OpenSSL's default paths). Loading it costs ~15 ms, so only
    // commands that verify against it call this.
    [[nodiscard]] static TrustStore system();
    // CA certificates from a PEM/DER/PKCS#7 file, or a directory of such files.
    // Throws Error{io} or Error{parse}.
    [[nodiscard]] static TrustStore from_path(const std::filesystem::path& path);
    // Every anchor of every path (files and directories, merged). Throws as from_path().
    [[nodiscard]] static TrustStore from_paths(const std::vector<std::filesystem::path>& paths);

    // Exactly these certificates.
    [[nodiscard]] static TrustStore from_certificates(const std::vector<Certificate>& anchors,
                                                      std::string description);

    // The anchors whose subject is `cert`'s issuer name.
    [[nodiscard]] std::vector<Certificate> issuers_of(const Certificate& cert) const;
    // Is this exact certificate an anchor?
    [[nodiscard]] bool contains(const Certificate& cert) const;
    // The anchor that is this exact certificate, as the store holds it: with the trust
    // settings it was loaded with (a TRUSTED CERTIFICATE's), which `cert` may lack.
    [[nodiscard]] std::optional<Certificate> find(const Certificate& cert) const;

    [[nodiscard]] X509_STORE* native() const noexcept { return m_store.get(); }

    [[nodiscard]] const std::string& description() const noexcept { return m_description; }

private:
    TrustStore(std::shared_ptr<X509_STORE> store, std::string description)
        : m_store(std::move(store)), m_description(std::move(description)) {}

    std::shared_ptr<X509_STORE> m_store;
    std::string m_description;
};

// Does the chain reach a trust anchor? Times are not checked here (assembly reports expiry).
// Returns missing-intermediate / untrusted-root / chain-invalid findings; empty when trusted.
[[nodiscard]] std::vector<ChainFinding> check_trust(const AssembledChain& chain,
                                                    const TrustStore& trust,
                                                    const Remedies& remedies = {});

// A certificate revocation list (PEM or DER).
class Crl {
public:
    // Every CRL in `data`. Throws Error{parse}.
    [[nodiscard]] static std::vector<Crl> parse_all(std::string_view data, std::string_view source);

    [[nodiscard]] X509_CRL* native() const noexcept { return m_crl.get(); }

private:
    explicit Crl(std::shared_ptr<X509_CRL> crl) : m_crl(std::move(crl)) {}

    std::shared_ptr<X509_CRL> m_crl;
};

}  // namespace certtool
