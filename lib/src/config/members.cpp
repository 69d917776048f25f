// The values a configuration command is given: endpoints, sender group members, destination
// domains, names and modes. Each parser names the accepted forms when it refuses.
#include "names.hpp"

#include <certtool/config.hpp>
#include <certtool/error.hpp>
#include <certtool/hostname.hpp>

#include <fmt/core.h>

#include <arpa/inet.h>
#include <sys/utsname.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace certtool::config {

namespace {

std::string lower(std::string_view text) {
    std::string out{text};
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
        return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    });
    return out;
}

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A host name or domain in its A-label form, lower case; nothing when it is not one.
std::optional<std::string> host_name(std::string_view text) {
    if (text.empty() || text.size() > 253) {
        return std::nullopt;
    }
    std::string name;
    try {
        name = lower(to_a_label(text));
    } catch (const Error&) {
        return std::nullopt;
    }
    if (!name.empty() && name.back() == '.') {
        name.pop_back();
    }
    // A numeric top-level label is a mistyped address (300.1.1.1), never a name.
    const auto last = name.substr(name.rfind('.') + 1);
    if (!is_valid_host_name(name, false) ||
        std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    return name;
}

// Parses an unsigned decimal in [0, max]; nothing for anything else.
std::optional<unsigned> parse_number(std::string_view text, unsigned max) {
    unsigned value = 0;
    if (text.empty() || text.size() > 5) {
        return std::nullopt;
    }
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || ptr != end || value > max) {
        return std::nullopt;
    }
    return value;
}

// The network of `address`/`bits` (host bits cleared) as text, or nothing.
std::optional<std::string> network_text(const std::string& address, unsigned bits) {
    std::array<unsigned char, 16> bytes{};
    int family = AF_INET;
    std::size_t size = 4;
    if (address.find(':') != std::string::npos) {
        family = AF_INET6;
        size = 16;
    }
    if (inet_pton(family, address.c_str(), bytes.data()) != 1 || bits > size * 8) {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < size; ++i) {
        const unsigned keep = bits > i * 8 ? std::min(8U, bits - static_cast<unsigned>(i * 8)) : 0;
        bytes[i] = static_cast<unsigned char>(bytes[i] & (0xFFU << (8 - keep)));
    }
    std::array<char, INET6_ADDRSTRLEN> text{};
    if (inet_ntop(family, bytes.data(), text.data(), text.size()) == nullptr) {
        return std::nullopt;
    }
    return fmt::format("{}/{}", text.data(), bits);
}

}  // namespace

void validate_config_name(std::string_view what, std::string_view name) {
    const bool ok = !name.empty() && name.size() <= 64 && is_alnum(name.front()) &&
                    std::all_of(name.begin(), name.end(), is_name_char);
    if (!ok) {
        throw Error(Errc::invalid_argument,
                    fmt::format("invalid {} name '{}': use 1-64 characters of A-Z, a-z, 0-9, "
                                "'.', '_' and '-', starting with a letter or digit",
                                what,
                                name));
    }
}

void validate_machine_name(std::string_view name) {
    validate_config_name("machine", name);
}

std::string local_machine_name() {
    utsname u{};
    if (uname(&u) != 0 || u.nodename[0] == '\0') {
        return "localhost";
    }
    std::string name{u.nodename};
    // A node name that breaks the rule (rare) is made to fit it.
    for (char& c : name) {
        if (!is_name_char(c)) {
            c = '-';
        }
    }
    if (name.size() > 64) {
        name.resize(64);
    }
    if (!is_alnum(name.front())) {
        name.insert(name.begin(), 'm');
        name.resize(std::min<std::size_t>(name.size(), 64));
    }
    return name;
}

std::string Endpoint::text() const {
    if (address.find(':') != std::string::npos) {
        return fmt::format("[{}]:{}", address, port);
    }
    return fmt::format("{}:{}", address, port);
}

Endpoint parse_endpoint(std::string_view text) {
    const auto fail = [&]() -> Endpoint {
        throw Error(Errc::invalid_argument,
                    fmt::format("invalid address '{}': give ADDRESS:PORT with an IP address and "
                                "a port 1-65535, for example 192.0.2.10:25 or [2001:db8::10]:25",
                                text));
    };
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find("]:");
        if (close == std::string_view::npos) {
            return fail();
        }
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        if (host.find(':') == std::string_view::npos) {
            return fail();
        }
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon) {
            return fail();
        }
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    const auto address = canonical_ip(host);
    const auto number = parse_number(port, 65535);
    if (!address || !number || *number == 0) {
        return fail();
    }
    return Endpoint{*address, static_cast<std::uint16_t>(*number)};
}

Member parse_member(std::string_view text) {
    const auto fail = [&]() -> Member {
        throw Error(Errc::invalid_argument,
                    fmt::format("invalid sender group member '{}': give an IPv4 or IPv6 address "
                                "(192.0.2.1), a CIDR block (192.0.2.0/24, 2001:db8::/32), a host "
                                "name (mx.example.com) or a partial domain (.example.com)",
                                text));
    };
    if (text.empty()) {
        return fail();
    }
    if (const auto slash = text.find('/'); slash != std::string_view::npos) {
        const auto address = canonical_ip(text.substr(0, slash));
        const auto bits = parse_number(text.substr(slash + 1), 128);
        if (!address || !bits) {
            return fail();
        }
        const auto network = network_text(*address, *bits);
        if (!network) {
            return fail();
        }
        return Member{MemberKind::network, *network};
    }
    if (const auto address = canonical_ip(text)) {
        return Member{MemberKind::address, *address};
    }
    if (text.front() == '.') {
        const auto domain = host_name(text.substr(1));
        if (!domain) {
            return fail();
        }
        return Member{MemberKind::partial_domain, "." + *domain};
    }
    const auto host = host_name(text);
    if (!host) {
        return fail();
    }
    return Member{MemberKind::host, *host};
}

std::string parse_destination_domain(std::string_view text) {
    const bool partial = !text.empty() && text.front() == '.';
    const auto domain = host_name(partial ? text.substr(1) : text);
    if (!domain) {
        throw Error(Errc::invalid_argument,
                    fmt::format("invalid destination domain '{}': give a domain (example.com) or "
                                ".example.com for all its subdomains",
                                text));
    }
    return partial ? "." + *domain : *domain;
}

std::string_view level_name(Level level) noexcept {
    return level == Level::cluster ? "cluster" : "machine";
}

std::string_view inbound_tls_name(InboundTls tls) noexcept {
    switch (tls) {
        case InboundTls::off:
            return "off";
        case InboundTls::preferred:
            return "preferred";
        case InboundTls::required:
            return "required";
    }
    return "off";
}

std::optional<InboundTls> parse_inbound_tls(std::string_view text) {
    const auto t = lower(text);
    for (auto tls : {InboundTls::off, InboundTls::preferred, InboundTls::required}) {
        if (t == inbound_tls_name(tls)) {
            return tls;
        }
    }
    return std::nullopt;
}

std::string tls_mode_key(TlsMode mode) {
    return lower(tls_mode_name(mode));
}

std::string_view listener_type_name(ListenerType type) noexcept {
    return type == ListenerType::public_listener ? "public" : "private";
}

std::string_view service_name(Service service) noexcept {
    switch (service) {
        case Service::https:
            return "https";
        case Service::ldap:
            return "ldap";
        case Service::url_filtering:
            return "url-filtering";
        case Service::dlp:
            return "dlp";
        case Service::amp:
            return "amp";
    }
    return "https";
}

std::optional<Service> parse_service(std::string_view text) {
    const auto t = lower(text);
    for (auto s :
         {Service::https, Service::ldap, Service::url_filtering, Service::dlp, Service::amp}) {
        if (t == service_name(s)) {
            return s;
        }
    }
    return std::nullopt;
}

}  // namespace certtool::config
