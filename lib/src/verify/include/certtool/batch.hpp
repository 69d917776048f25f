// Batch verification: many leaves under the same anchors and intermediates.
#pragma once

#include <certtool/certificate.hpp>
#include <certtool/trust.hpp>
#include <certtool/verify.hpp>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace certtool {

// One line of a batch: the file, and the verdict or why the file could not be read.
struct BatchItem {
    std::size_t index{0};
    std::string file;
    bool valid{false};
    std::string subject;
    std::vector<FindingCode> codes;  // error finding codes
    std::string message;             // the first error finding, or the read error
    bool read_error{false};
};

// Verifies many leaves against the same anchors and intermediates: the intermediates' own
// paths are validated once, and each leaf whose issuer is among them (and whose path has no
// name, policy or path-length constraints that depend on the leaf) is then checked against that
// issuer alone. Anything else goes through verify_chain. Same reports as verify_chain.
// Copies share one state (the issuers' fast-path confirmations and tables, the hit counter).
class BatchVerifier {
public:
    // After `precompute_after` fast-path leaves under one EC issuer, its key gets a precomputed
    // signature-verification table (lib/src/ecdsa_fixed.hpp): ~37 ms once, then each leaf's
    // signature check costs about half as much.
    static constexpr std::size_t k_precompute_after = 512;
    BatchVerifier(TrustStore anchors,
                  std::vector<Certificate> intermediates,
                  VerifyOptions options,
                  std::size_t precompute_after = k_precompute_after);

    [[nodiscard]] ChainReport verify(const Certificate& leaf) const;

    // The verdict on the first certificate in `data` (PEM or DER; `source` names it in errors).
    // Leaves under a shared intermediate are first tried on a fast path that reads only the DER
    // (lib/src/batch_fast.hpp): it can only confirm "valid", and only for an issuer for which
    // the full verification has already confirmed such a leaf; everything else, and every
    // invalid leaf, gets verify()'s full report. Throws Error{parse} if there is no certificate.
    [[nodiscard]] BatchItem verify_encoded(std::string_view data, std::string_view source) const;

    // verify_encoded() for many certificates at once (one per input, in order); fast-path
    // signatures under one issuer are then checked together (FixedKeyEcdsa::verify_all). An
    // input with no certificate becomes an item with read_error set instead of a throw.
    struct Encoded {
        std::string_view data;
        std::string_view source;
    };

    [[nodiscard]] std::vector<BatchItem> verify_encoded_all(std::span<const Encoded> inputs) const;

    // How many verify_encoded() verdicts came from the fast path (in this process).
    [[nodiscard]] std::size_t fast_path_hits() const noexcept;

private:
    struct Impl;  // batch.cpp: the inputs, the validated issuers and their fast-path state
    std::shared_ptr<const Impl> m_impl;
};

// Verifies the first certificate of each file with `jobs` worker processes (the leaf parse cost
// of libcrypto 3.0 does not shrink with threads), calling `sink` in input order. Files that
// cannot be read become items with read_error set.
void verify_batch(const BatchVerifier& verifier,
                  const std::vector<std::filesystem::path>& files,
                  unsigned jobs,
                  const std::function<void(const BatchItem&)>& sink);

}  // namespace certtool
