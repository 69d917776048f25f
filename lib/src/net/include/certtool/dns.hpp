// DNS for mail routing: MX records (RFC 5321 section 5.1, with the implicit MX of a domain
// that has none, and RFC 7505's null MX) and host addresses, through libresolv, optionally
// against one specific server (--dns-server) instead of the system's resolv.conf.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace certtool {

struct DnsServer {
    std::string address;  // an IPv4 or IPv6 literal (no brackets)
    std::uint16_t port{53};

    // "IPv4", "IPv4:PORT", "IPv6", "[IPv6]" or "[IPv6]:PORT". Throws Error{invalid_argument}
    // naming the problem.
    [[nodiscard]] static DnsServer parse(const std::string& text);
};

struct DnsOptions {
    std::optional<DnsServer> server;  // else the system resolver configuration
    std::chrono::milliseconds timeout{5000};
};

struct MxHost {
    std::uint16_t preference{0};
    std::string host;  // lower case, no trailing dot
};

struct MxLookup {
    std::vector<MxHost> hosts;  // by preference, lowest first (ties keep the server's order)
    bool implicit{false};       // the domain has no MX: its own A/AAAA is the mail host
};

// The mail hosts of `domain`. Throws Error{network} naming the problem: the domain does not
// exist, has a null MX (accepts no mail), or the DNS server cannot be reached.
[[nodiscard]] MxLookup lookup_mx(const std::string& domain, const DnsOptions& options);

// A records then AAAA records of `host`, as IP literals. Throws Error{network} if there is
// none or the server cannot be reached.
[[nodiscard]] std::vector<std::string> lookup_addresses(const std::string& host,
                                                        const DnsOptions& options);

}  // namespace certtool
