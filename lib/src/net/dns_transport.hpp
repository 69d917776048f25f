// The exchanges with one explicit DNS server (--dns-server) as functions. dns.cpp builds the
// queries and reads what comes back (the truncation flag and the retry over TCP, the TCP length
// framing, the reply's ID, rcode and records) the same way whoever carries the bytes:
// lookup_mx(domain, DnsOptions) carries them over net's sockets (udp_exchange, tcp_exchange),
// fuzz/dns_answer.cpp hands in answers of its own.
#pragma once

#include <certtool/dns.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace certtool::net {

struct DnsTransport {
    // Sends `query` as one datagram; returns the first datagram back for which `is_reply`
    // holds. Throws Error{network} when none comes (net::udp_exchange).
    std::function<std::string(std::string_view query,
                              const std::function<bool(std::string_view)>& is_reply)>
        udp;
    // Sends `framed` (the query after its two-octet length) over TCP; returns the bytes read
    // until reply_size(bytes so far) of them came, at most `max_reply` (possibly more than
    // reply_size: what the last read brought). Throws Error{network} (net::tcp_exchange).
    std::function<std::string(std::string_view framed,
                              std::size_t max_reply,
                              const std::function<std::size_t(std::string_view)>& reply_size)>
        tcp;
    std::string where{"the DNS server"};  // names the server in errors
};

// lookup_mx() and lookup_addresses() (dns.hpp) asking `server` directly. Same results and
// errors.
[[nodiscard]] MxLookup lookup_mx_via(const std::string& domain, const DnsTransport& server);
[[nodiscard]] std::vector<std::string> lookup_addresses_via(const std::string& host,
                                                            const DnsTransport& server);

}  // namespace certtool::net
