// Chain assembly: from a bag of certificates in any order to leaf -> intermediates -> root, with
// what was dropped and why, and the leaf of such a bag.
#pragma once

#include <certtool/certificate.hpp>
#include <certtool/finding.hpp>
#include <certtool/key.hpp>
#include <certtool/time.hpp>

#include <optional>
#include <vector>

namespace certtool {

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

// The leaf of a bag of certificates: one that issued none of the others, preferring
// certificates that are not CAs. Throws Error{invalid_argument} when there is no single answer
// (the fix names --key), Error{parse} for an empty bag.
[[nodiscard]] Certificate find_leaf(const std::vector<Certificate>& pool);

}  // namespace certtool
