// The chain doctor behind `certtool fix-chain`: from a bag of certificates in any order and
// format to the chain a server should send, with what was dropped, fetched and still missing.
#pragma once

#include <certtool/aia.hpp>
#include <certtool/chain.hpp>
#include <certtool/finding.hpp>
#include <certtool/key.hpp>
#include <certtool/time.hpp>
#include <certtool/trust.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace certtool {

struct FixChainRequest {
    // Certificate files (PEM, DER, PKCS#7; several per file allowed), already expanded from
    // directories (expand_inputs).
    std::vector<std::filesystem::path> inputs;
    std::optional<std::filesystem::path> key_file;  // picks the leaf; else find_leaf()
    std::optional<AiaOptions> aia;                  // fetch missing issuers via caIssuers
    TimePoint now;
    Remedies remedies;  // how findings tell the user to complete the chain
};

struct FixedChain {
    AssembledChain chain;
    std::vector<ChainFinding> findings;  // assembly's, then AIA's, then the trust check's
    bool complete{false};                // the chain reaches one of the trust anchors
    std::string pem;                     // server_chain_pem(chain)
};

// What a server sends: the leaf, then the intermediates, PEM; never the root.
[[nodiscard]] std::string server_chain_pem(const AssembledChain& chain);

// Reads the inputs, picks the leaf, orders and completes the chain, and checks it against
// `trust`. Throws Error{io}/Error{parse} for unreadable inputs, Error{invalid_argument} when
// the leaf is ambiguous (the message names --key), Error{key_mismatch} when no certificate
// matches the key.
[[nodiscard]] FixedChain fix_chain(const FixChainRequest& request, const TrustStore& trust);

}  // namespace certtool
