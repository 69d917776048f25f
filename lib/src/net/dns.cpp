#include "dns_transport.hpp"
#include "net.hpp"
#include "text.hpp"

#include <certtool/dns.hpp>
#include <certtool/error.hpp>
#include <certtool/hostname.hpp>

#include <fmt/core.h>

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <optional>
#include <string_view>

namespace certtool {

DnsServer DnsServer::parse(const std::string& text) {
    // 192.0.2.1, 192.0.2.1:5353, 2001:db8::1, [2001:db8::1], [2001:db8::1]:5353
    const std::string_view t{text};
    std::string_view address = t;
    std::optional<std::string_view> port;  // set when a ':' introduces one
    if (!t.empty() && t.front() == '[') {
        const auto close = t.find(']');
        if (close == std::string_view::npos || (close + 1 < t.size() && t[close + 1] != ':')) {
            throw Error(
                Errc::invalid_argument,
                fmt::format("--dns-server '{}' is not [IPv6]:PORT; use e.g. [::1]:5353", text));
        }
        address = t.substr(1, close - 1);
        if (close + 1 < t.size()) {
            port = t.substr(close + 2);
        }
    } else if (std::count(t.begin(), t.end(), ':') == 1) {
        const auto colon = t.find(':');
        address = t.substr(0, colon);
        port = t.substr(colon + 1);
    }  // else an IPv4 address, or a bare IPv6 one (which needs brackets to take a port)
    DnsServer out;
    out.address = std::string{address};
    in_addr v4{};
    in6_addr v6{};
    if (::inet_pton(AF_INET, out.address.c_str(), &v4) != 1 &&
        ::inet_pton(AF_INET6, out.address.c_str(), &v6) != 1) {
        throw Error(Errc::invalid_argument,
                    fmt::format("--dns-server '{}' is not an IP address[:port]; use e.g. "
                                "127.0.0.1:5353 or [::1]:5353",
                                text));
    }
    if (port) {
        unsigned value = 0;
        const char* last = port->data() + port->size();
        if (const auto [p, ec] = std::from_chars(port->data(), last, value);
            port->empty() || ec != std::errc{} || p != last || value == 0 || value > 65535) {
            throw Error(Errc::invalid_argument,
                        fmt::format("--dns-server '{}' has a bad port; use 1-65535", text));
        }
        out.port = static_cast<std::uint16_t>(value);
    }
    return out;
}

namespace {

// --dns-server over net's sockets. Throws Error{invalid_argument} if its address is not an IP
// literal.
net::DnsTransport socket_transport(const DnsServer& server, std::chrono::milliseconds timeout) {
    const auto endpoints = net::literal(server.address, server.port);
    if (endpoints.empty()) {
        throw Error(Errc::invalid_argument,
                    fmt::format("DNS server '{}' is not an IP address", server.address));
    }
    const net::Endpoint to = endpoints.front();
    net::DnsTransport t;
    t.udp = [to, timeout](std::string_view query,
                          const std::function<bool(std::string_view)>& is_reply) {
        return net::udp_exchange(to, query, timeout, is_reply);
    };
    t.tcp = [to, timeout](std::string_view framed,
                          std::size_t max_reply,
                          const std::function<std::size_t(std::string_view)>& reply_size) {
        return net::tcp_exchange(to, framed, timeout, "the DNS query", max_reply, reply_size);
    };
    t.where = server.address.find(':') == std::string::npos
                  ? fmt::format("DNS server {}:{}", server.address, server.port)
                  : fmt::format("DNS server [{}]:{}", server.address, server.port);
    return t;
}

// The server to ask directly, if options name one.
std::optional<net::DnsTransport> transport_for(const DnsOptions& options) {
    if (!options.server) {
        return std::nullopt;
    }
    return socket_transport(*options.server, options.timeout);
}

// A private resolver state (res_n* calls on it are thread-safe), closed on destruction: the
// system's configuration, or queries sent to one server through `server`.
class Resolver {
public:
    Resolver(std::optional<net::DnsTransport> server, std::chrono::milliseconds timeout)
        : m_server(std::move(server)) {
        if (::res_ninit(&m_state) != 0) {
            throw Error(Errc::network, "cannot initialise the resolver (/etc/resolv.conf)");
        }
        const auto seconds = std::max<long>(1, static_cast<long>((timeout.count() + 999) / 1000));
        m_state.retrans = static_cast<int>(seconds);
        m_state.retry = 2;
    }

    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;
    Resolver(Resolver&&) = delete;
    Resolver& operator=(Resolver&&) = delete;

    ~Resolver() { ::res_nclose(&m_state); }

    enum class Status { ok, no_such_domain, no_data, failed };

    // Answer records of `type` for `name`, each as its rdata plus the message they came from.
    Status query(const std::string& name, int type) {
        if (m_server) {
            return query_server(name, type);
        }
        m_answer.resize(65535);
        const int n = ::res_nquery(&m_state,
                                   name.c_str(),
                                   ns_c_in,
                                   type,
                                   m_answer.data(),
                                   static_cast<int>(m_answer.size()));
        if (n < 0) {
            switch (m_state.res_h_errno) {
                case HOST_NOT_FOUND:
                    return Status::no_such_domain;
                case NO_DATA:
                    return Status::no_data;
                default:
                    return Status::failed;
            }
        }
        m_answer.resize(static_cast<std::size_t>(n));
        if (::ns_initparse(m_answer.data(), n, &m_msg) != 0) {
            return Status::failed;
        }
        return Status::ok;
    }

    template <typename F>
    void for_each_answer(int type, F&& f) {
        for (int i = 0; i < ns_msg_count(m_msg, ns_s_an); ++i) {
            ns_rr rr{};
            if (::ns_parserr(&m_msg, ns_s_an, i, &rr) == 0 && ns_rr_type(rr) == type) {
                f(ns_rr_rdata(rr), ns_rr_rdlen(rr));
            }
        }
    }

    // A (possibly compressed) domain name inside the answer, lower case, no trailing dot.
    std::optional<std::string> expand(const unsigned char* at) const {
        std::array<char, NS_MAXDNAME> buf{};
        if (::dn_expand(ns_msg_base(m_msg),
                        ns_msg_end(m_msg),
                        at,
                        buf.data(),
                        static_cast<int>(buf.size())) < 0) {
            return std::nullopt;
        }
        std::string name{buf.data()};
        if (!name.empty() && name.back() == '.') {
            name.pop_back();
        }
        return text::ascii_lower(name);
    }

    [[nodiscard]] const std::string& where() const noexcept {
        return m_server ? m_server->where : m_system;
    }

private:
    // The query sent to --dns-server directly, over UDP (twice at most) and over TCP when the
    // answer comes back truncated: libresolv's own server list takes IPv4 addresses only.
    Status query_server(const std::string& name, int type) {
        std::array<unsigned char, NS_PACKETSZ> query{};
        const int qlen = ::res_nmkquery(&m_state,
                                        ns_o_query,
                                        name.c_str(),
                                        ns_c_in,
                                        type,
                                        nullptr,
                                        0,
                                        nullptr,
                                        query.data(),
                                        static_cast<int>(query.size()));
        if (qlen < NS_HFIXEDSZ) {
            return Status::failed;
        }
        const std::string_view q{reinterpret_cast<const char*>(query.data()),
                                 static_cast<std::size_t>(qlen)};
        std::optional<std::string> reply;
        for (int attempt = 0; attempt < 2 && !reply; ++attempt) {
            reply = exchange_udp(q);
        }
        if (reply && reply->size() >= NS_HFIXEDSZ &&
            (static_cast<unsigned char>((*reply)[2]) & 0x02U) != 0) {  // TC: truncated
            reply = exchange_tcp(q);
        }
        if (!reply) {
            return Status::failed;
        }
        m_answer.assign(reply->begin(), reply->end());
        if (::ns_initparse(m_answer.data(), static_cast<int>(m_answer.size()), &m_msg) != 0) {
            return Status::failed;
        }
        switch (ns_msg_getflag(m_msg, ns_f_rcode)) {
            case ns_r_noerror:
                return ns_msg_count(m_msg, ns_s_an) > 0 ? Status::ok : Status::no_data;
            case ns_r_nxdomain:
                return Status::no_such_domain;
            default:
                return Status::failed;
        }
    }

    // A reply is ours if it answers our ID and has QR set (spoofed or stale ones are skipped).
    static bool answers(std::string_view reply, std::string_view query) {
        return reply.size() >= NS_HFIXEDSZ && reply[0] == query[0] && reply[1] == query[1] &&
               (static_cast<unsigned char>(reply[2]) & 0x80U) != 0;
    }

    // A failed exchange is "no answer" (Status::failed).
    [[nodiscard]] std::optional<std::string> exchange_udp(std::string_view query) const {
        try {
            return m_server->udp(query, [&](std::string_view r) { return answers(r, query); });
        } catch (const Error&) {
            return std::nullopt;
        }
    }

    // Over TCP each message is preceded by its length in two octets (RFC 1035 4.2.2).
    [[nodiscard]] std::optional<std::string> exchange_tcp(std::string_view query) const {
        std::string framed(2, '\0');
        framed[0] = static_cast<char>(query.size() >> 8U);
        framed[1] = static_cast<char>(query.size() & 0xFFU);
        framed += query;
        const auto framed_size = [](std::string_view in) -> std::size_t {
            if (in.size() < 2) {
                return 2;
            }
            return 2 + ((static_cast<std::size_t>(static_cast<unsigned char>(in[0])) << 8U) |
                        static_cast<unsigned char>(in[1]));
        };
        try {
            const std::string in = m_server->tcp(framed, 65537, framed_size);
            if (in.size() < framed_size(in)) {
                return std::nullopt;
            }
            // The message is exactly as long as its prefix says: bytes the last read brought
            // beyond it are not part of it (ns_initparse would reject the whole answer).
            const std::string_view reply = std::string_view{in}.substr(2, framed_size(in) - 2);
            return answers(reply, query) ? std::optional<std::string>{reply} : std::nullopt;
        } catch (const Error&) {
            return std::nullopt;
        }
    }

    struct __res_state m_state {};

    std::optional<net::DnsTransport> m_server;  // --dns-server, if given
    std::vector<unsigned char> m_answer;
    ns_msg m_msg{};
    std::string m_system{"the system resolver"};
};

void check_name(const std::string& name, std::string_view what) {
    if (!is_valid_host_name(name, false)) {
        throw Error(
            Errc::invalid_argument,
            fmt::format("{} '{}' is not a valid DNS name; give e.g. example.com", what, name));
    }
}

// The mail hosts of `domain` as `r` finds them (lookup_mx).
MxLookup mx_hosts(const std::string& domain, Resolver& r) {
    MxLookup out;
    switch (r.query(domain, ns_t_mx)) {
        case Resolver::Status::no_such_domain:
            throw Error(
                Errc::network,
                fmt::format(
                    "domain '{}' does not exist ({}); check the spelling", domain, r.where()));
        case Resolver::Status::failed:
            throw Error(
                Errc::network,
                fmt::format("MX lookup for '{}' failed: no answer from {}", domain, r.where()));
        case Resolver::Status::no_data:
            out.implicit = true;  // RFC 5321 5.1: the domain itself is the mail host
            out.hosts.push_back({0, domain});
            return out;
        case Resolver::Status::ok:
            break;
    }
    r.for_each_answer(ns_t_mx, [&](const unsigned char* rdata, std::size_t len) {
        if (len < 3) {
            return;
        }
        if (auto host = r.expand(rdata + 2)) {
            out.hosts.push_back({static_cast<std::uint16_t>(ns_get16(rdata)), std::move(*host)});
        }
    });
    std::stable_sort(out.hosts.begin(), out.hosts.end(), [](const MxHost& a, const MxHost& b) {
        return a.preference < b.preference;
    });
    if (out.hosts.size() == 1 && out.hosts.front().host.empty()) {
        throw Error(
            Errc::network,
            fmt::format("domain '{}' has a null MX (RFC 7505): it accepts no mail", domain));
    }
    out.hosts.erase(
        std::remove_if(
            out.hosts.begin(), out.hosts.end(), [](const MxHost& h) { return h.host.empty(); }),
        out.hosts.end());
    if (out.hosts.empty()) {
        out.implicit = true;
        out.hosts.push_back({0, domain});
    }
    return out;
}

// Any name DNS can carry (an MX target may have underscores): only its shape is checked.
void check_host(const std::string& host) {
    if (host.empty() || host.size() > 253 ||
        std::any_of(
            host.begin(), host.end(), [](unsigned char c) { return c <= ' ' || c > '~'; })) {
        throw Error(Errc::invalid_argument, fmt::format("'{}' is not a DNS name", host));
    }
}

// The addresses of `host` as `r` finds them (lookup_addresses).
std::vector<std::string> addresses(const std::string& host, Resolver& r) {
    std::vector<std::string> out;
    bool reachable = false;
    bool exists = false;
    for (const auto& [type, family, size] :
         {std::tuple{ns_t_a, AF_INET, 4}, std::tuple{ns_t_aaaa, AF_INET6, 16}}) {
        const auto status = r.query(host, type);
        reachable = reachable || status != Resolver::Status::failed;
        exists = exists || status == Resolver::Status::ok || status == Resolver::Status::no_data;
        if (status != Resolver::Status::ok) {
            continue;
        }
        r.for_each_answer(
            type, [&, family = family, size = size](const unsigned char* rdata, std::size_t len) {
                std::array<char, INET6_ADDRSTRLEN> buf{};
                if (len == static_cast<std::size_t>(size) &&
                    ::inet_ntop(family, rdata, buf.data(), buf.size()) != nullptr) {
                    out.emplace_back(buf.data());
                }
            });
    }
    if (out.empty()) {
        if (!reachable) {
            throw Error(
                Errc::network,
                fmt::format("address lookup for '{}' failed: no answer from {}", host, r.where()));
        }
        throw Error(Errc::network,
                    exists ? fmt::format("host '{}' has no A or AAAA record", host)
                           : fmt::format("host '{}' does not exist", host));
    }
    return out;
}

}  // namespace

MxLookup lookup_mx(const std::string& domain, const DnsOptions& options) {
    check_name(domain, "domain");
    Resolver r{transport_for(options), options.timeout};
    return mx_hosts(domain, r);
}

std::vector<std::string> lookup_addresses(const std::string& host, const DnsOptions& options) {
    check_host(host);
    Resolver r{transport_for(options), options.timeout};
    return addresses(host, r);
}

namespace net {

MxLookup lookup_mx_via(const std::string& domain, const DnsTransport& server) {
    check_name(domain, "domain");
    Resolver r{server, std::chrono::milliseconds{5000}};
    return mx_hosts(domain, r);
}

std::vector<std::string> lookup_addresses_via(const std::string& host, const DnsTransport& server) {
    check_host(host);
    Resolver r{server, std::chrono::milliseconds{5000}};
    return addresses(host, r);
}

}  // namespace net

}  // namespace certtool
