// Chain assembly: from a bag of certificates in any order to leaf -> intermediates -> root,
// with what was dropped and why; and a trust check that names what is missing.
#pragma once

#include <certtool/certificate.hpp>
#include <certtool/key.hpp>

#include <openssl/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace certtool {

enum class Severity { info, warning, error };
[[nodiscard]] std::string_view severity_name(Severity s) noexcept;

// One observation about a chain. `code` is stable (documented in docs/findings.md):
// duplicate-certificate, unrelated-certificate, wrong-order, expired, expires-before-leaf,
// missing-intermediate, untrusted-root, root-not-stored, ...
struct ChainFinding {
    std::string code;
    Severity severity{Severity::warning};
    std::string message;  // plain English, with the fix where there is one
    std::string subject;  // the certificate concerned, if any
};

struct AssembledChain {
    Certificate leaf;
    std::vector<Certificate> intermediates;  // the leaf's issuer first; no self-signed root
    std::optional<Certificate> root;         // a self-signed root found in the input, not stored
    std::vector<Certificate> unrelated;      // dropped: not on the leaf's path
    std::vector<ChainFinding> findings;
};

// Picks the certificate that matches `key` as the leaf (the newest if several do) and orders
// the rest leaf -> root, de-duplicated. Throws Error{key_mismatch} if none matches the key.
[[nodiscard]] AssembledChain assemble_chain(const PrivateKey& key,
                                            const std::vector<Certificate>& pool,
                                            TimePoint now);

// The same, for a known leaf.
[[nodiscard]] AssembledChain assemble_chain(const Certificate& leaf,
                                            const std::vector<Certificate>& pool,
                                            TimePoint now);

// A set of trust anchors.
class TrustStore {
public:
    // The system's default CA store (OpenSSL's default paths). Loading it costs ~15 ms, so only
    // commands that verify against it call this.
    [[nodiscard]] static TrustStore system();
    // CA certificates from a PEM/DER/PKCS#7 file, or a directory of such files.
    // Throws Error{io} or Error{parse}.
    [[nodiscard]] static TrustStore from_path(const std::filesystem::path& path);

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
                                                    const TrustStore& trust);

}  // namespace certtool
