// Fetching missing issuers from the Authority Information Access caIssuers URL.
#pragma once

#include <certtool/chain.hpp>
#include <certtool/finding.hpp>

#include <chrono>
#include <cstddef>
#include <vector>

namespace certtool {

// Fetching missing issuers from the Authority Information Access caIssuers URL (RFC 5280
// 4.2.2.1: HTTP, DER or PKCS#7).
struct AiaOptions {
    std::chrono::milliseconds timeout{5000};  // per fetch: connect, send and every read
    std::size_t max_bytes{1U << 20U};         // per response
    int max_fetches{4};                       // issuers fetched at most (depth)
};

// Appends the issuers of the chain's top certificate fetched via AIA until a self-signed or
// trusted certificate is reached, a certificate has no http caIssuers URL, or a limit is hit.
// Returns what happened as findings: aia-fetched (info) per certificate, aia-failed (warning)
// naming the URL and the reason.
[[nodiscard]] std::vector<ChainFinding> complete_chain_via_aia(AssembledChain& chain,
                                                               const AiaOptions& options);

}  // namespace certtool
