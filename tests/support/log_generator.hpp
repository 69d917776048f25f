// Synthetic appliance (AsyncOS) mail logs with ground truth: thousands of interleaved inbound
// and outbound connections, TLS successes and failures, messages, delivery retries, lost
// connections, lines cut short as the appliance cuts them, and garbage lines. The truth is
// computed from what was generated, not by parsing the output.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace certtool::test {

struct LogTruth {
    struct Side {
        std::uint64_t connections{0};
        std::uint64_t tls_success{0};
        std::uint64_t tls_failed{0};
        std::uint64_t no_tls{0};
        std::uint64_t messages_without_tls{0};
    };

    Side inbound;
    Side outbound;
    std::uint64_t lines{0};
    std::uint64_t malformed{0};
};

struct LogGeneratorOptions {
    std::uint64_t seed{1};
    std::uint64_t connections{5000};  // inbound; about as many outbound
    std::uint64_t concurrency{200};   // connections open at once, interleaved
    bool garbage{true};
    std::uint64_t id_base{0};  // added to ICIDs, DCIDs and MIDs (distinct ids across calls)
    // Probability that a line ending with a connection id ("New SMTP ICID 590000012 ...",
    // "Start MID m ICID i") is cut inside that id, as a log cut mid-write leaves it. A message
    // whose "Start MID" line is cut cannot be tied to its connection: the truth leaves it out.
    double cut_ids{0};
};

// Calls `sink` once per line (without newline). Returns the ground truth.
LogTruth generate_esa_log(const LogGeneratorOptions& options,
                          const std::function<void(const std::string&)>& sink);

}  // namespace certtool::test
