// The certificates a TLS server sends, from the first byte (HTTPS, LDAPS, SMTPS without the SMTP
// part): what a commit's probe and check-expiry --probe compare with the bound leaf.
#pragma once

#include <certtool/certificate.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace certtool {

struct ServedChain {
    std::vector<Certificate> certificates;  // as sent: the leaf first
    std::string protocol;                   // "TLSv1.3"
};

// Connects to `host` (an IP literal or a name) on `port`, shakes hands (SNI `sni` unless empty;
// no verification: the caller compares what was served) and closes. Every step is bounded by
// `timeout`. Throws Error{network} naming the step ("connection refused", "the TLS handshake
// failed: ..."), Error{parse} when the server sent no certificate.
[[nodiscard]] ServedChain probe_tls(const std::string& host,
                                    std::uint16_t port,
                                    const std::string& sni,
                                    std::chrono::milliseconds timeout);

}  // namespace certtool
