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
#include <charconv>
#include <cctype>

namespace certtool {

DnsServer DnsServer::parse(const std::string& text) {
    DnsServer out;
    const auto colon = text.find(':');
    out.address = text.substr(0, colon);
    in_addr probe{};
    if (::inet_pton(AF_INET, out.address.c_str(), &probe) != 1) {
        throw Error(Errc::invalid_argument,
                    fmt::format("--dns-server '{}' is not an IPv4 address[:port]; use e.g. "
                                "127.0.0.1:5353",
                                text));
    }
    if (colon != std::string::npos) {
        unsigned port = 0;
        const char* first = text.data() + colon + 1;
        const char* last = text.data() + text.size();
        if (const auto [p, ec] = std::from_chars(first, last, port);
            ec != std::errc{} || p != last || port == 0 || port > 65535) {
            throw Error(Errc::invalid_argument,
                        fmt::format("--dns-server '{}' has a bad port; use 1-65535", text));
        }
        out.port = static_cast<std::uint16_t>(port);
    }
    return out;
}

namespace {

// A private resolver state (res_n* calls on it are thread-safe), closed on destruction.
class Resolver {
public:
    explicit Resolver(const DnsOptions& options) {
        if (::res_ninit(&m_state) != 0) {
            throw Error(Errc::network, "cannot initialise the resolver (/etc/resolv.conf)");
        }
        const auto seconds = std::max<long>(1, static_cast<long>((options.timeout.count() + 999) / 1000));
        m_state.retrans = static_cast<int>(seconds);
        m_state.retry = 2;
        if (options.server) {
            sockaddr_in addr{};
            addr.sin_family = AF_INET;
            addr.sin_port = htons(options.server->port);
            ::inet_pton(AF_INET, options.server->address.c_str(), &addr.sin_addr);
            m_state.nscount = 1;
            m_state.nsaddr_list[0] = addr;
            m_where = fmt::format("DNS server {}:{}", options.server->address, options.server->port);
        }
    }
    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;
    Resolver(Resolver&&) = delete;
    Resolver& operator=(Resolver&&) = delete;
    ~Resolver() { ::res_nclose(&m_state); }

    enum class Status { ok, no_such_domain, no_data, failed };

    // Answer records of `type` for `name`, each as its rdata plus the message they came from.
    Status query(const std::string& name, int type) {
        m_answer.resize(65535);
        const int n = ::res_nquery(&m_state, name.c_str(), ns_c_in, type, m_answer.data(),
                                   static_cast<int>(m_answer.size()));
        if (n < 0) {
            switch (m_state.res_h_errno) {
            case HOST_NOT_FOUND: return Status::no_such_domain;
            case NO_DATA: return Status::no_data;
            default: return Status::failed;
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
        if (::dn_expand(ns_msg_base(m_msg), ns_msg_end(m_msg), at, buf.data(),
                        static_cast<int>(buf.size())) < 0) {
            return std::nullopt;
        }
        std::string name{buf.data()};
        if (!name.empty() && name.back() == '.') {
            name.pop_back();
        }
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return name;
    }

    [[nodiscard]] const std::string& where() const noexcept { return m_where; }

private:
    struct __res_state m_state {};
    std::vector<unsigned char> m_answer;
    ns_msg m_msg{};
    std::string m_where{"the system resolver"};
};

void check_name(const std::string& name, std::string_view what) {
    if (!is_valid_host_name(name, false)) {
        throw Error(Errc::invalid_argument,
                    fmt::format("{} '{}' is not a valid DNS name; give e.g. example.com", what, name));
    }
}

}  // namespace

MxLookup lookup_mx(const std::string& domain, const DnsOptions& options) {
    check_name(domain, "domain");
    Resolver r{options};
    MxLookup out;
    switch (r.query(domain, ns_t_mx)) {
    case Resolver::Status::no_such_domain:
        throw Error(Errc::network,
                    fmt::format("domain '{}' does not exist ({}); check the spelling", domain,
                                r.where()));
    case Resolver::Status::failed:
        throw Error(Errc::network, fmt::format("MX lookup for '{}' failed: no answer from {}",
                                               domain, r.where()));
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
    std::stable_sort(out.hosts.begin(), out.hosts.end(),
                     [](const MxHost& a, const MxHost& b) { return a.preference < b.preference; });
    if (out.hosts.size() == 1 && out.hosts.front().host.empty()) {
        throw Error(Errc::network,
                    fmt::format("domain '{}' has a null MX (RFC 7505): it accepts no mail", domain));
    }
    out.hosts.erase(std::remove_if(out.hosts.begin(), out.hosts.end(),
                                   [](const MxHost& h) { return h.host.empty(); }),
                    out.hosts.end());
    if (out.hosts.empty()) {
        out.implicit = true;
        out.hosts.push_back({0, domain});
    }
    return out;
}

std::vector<std::string> lookup_addresses(const std::string& host, const DnsOptions& options) {
    // Any name DNS can carry (an MX target may have underscores): only its shape is checked.
    if (host.empty() || host.size() > 253 ||
        std::any_of(host.begin(), host.end(), [](unsigned char c) { return c <= ' ' || c > '~'; })) {
        throw Error(Errc::invalid_argument, fmt::format("'{}' is not a DNS name", host));
    }
    Resolver r{options};
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
        r.for_each_answer(type, [&, family = family, size = size](const unsigned char* rdata,
                                                                 std::size_t len) {
            std::array<char, INET6_ADDRSTRLEN> buf{};
            if (len == static_cast<std::size_t>(size) &&
                ::inet_ntop(family, rdata, buf.data(), buf.size()) != nullptr) {
                out.emplace_back(buf.data());
            }
        });
    }
    if (out.empty()) {
        if (!reachable) {
            throw Error(Errc::network, fmt::format("address lookup for '{}' failed: no answer from {}",
                                                   host, r.where()));
        }
        throw Error(Errc::network, exists ? fmt::format("host '{}' has no A or AAAA record", host)
                                            : fmt::format("host '{}' does not exist", host));
    }
    return out;
}

}  // namespace certtool
