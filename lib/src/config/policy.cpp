// policy explain: matching a client against a listener's sender groups and a domain against the
// destination rows, and what the resulting setting means (policy.hpp states the rules).
#include <certtool/error.hpp>
#include <certtool/hostname.hpp>
#include <certtool/policy.hpp>

#include <fmt/core.h>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <tuple>
#include <utility>

namespace certtool::config {

namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

struct Address {
    int family{AF_INET};
    std::array<unsigned char, 16> bytes{};
};

std::optional<Address> to_address(const std::string& text) {
    Address a;
    a.family = text.find(':') != std::string::npos ? AF_INET6 : AF_INET;
    if (inet_pton(a.family, text.c_str(), a.bytes.data()) != 1) {
        return std::nullopt;
    }
    return a;
}

// Does the address or CIDR member (normalised text) contain `client`?
bool contains(const Member& member, const Address& client) {
    const auto slash = member.text.find('/');
    const auto net = to_address(member.text.substr(0, slash));
    if (!net || net->family != client.family) {
        return false;
    }
    const unsigned total = client.family == AF_INET ? 32 : 128;
    unsigned bits = total;
    if (slash != std::string::npos) {
        const std::string_view digits = std::string_view{member.text}.substr(slash + 1);
        const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
        if (ec != std::errc{} || bits > total) {
            return false;
        }
    }
    for (unsigned i = 0; i < bits; i += 8) {
        const unsigned keep = std::min(8U, bits - i);
        const auto mask = static_cast<unsigned char>(0xFFU << (8 - keep));
        const std::size_t at = i / 8;
        if ((net->bytes.at(at) & mask) != (client.bytes.at(at) & mask)) {
            return false;
        }
    }
    return true;
}

bool matches(const Member& member, const Address& client, const std::string& name) {
    switch (member.kind) {
        case MemberKind::address:
        case MemberKind::network:
            return contains(member, client);
        case MemberKind::host:
            return !name.empty() && name == member.text;
        case MemberKind::partial_domain:
            // ".example.com" covers a.example.com, never example.com (name has no leading dot).
            return !name.empty() && ends_with(name, member.text);
    }
    return false;
}

bool is_name_member(const Member& m) {
    return m.kind == MemberKind::host || m.kind == MemberKind::partial_domain;
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) {
        out += (out.empty() ? "" : ", ") + n;
    }
    return out.empty() ? "none" : out;
}

const Listener& find_listener(const Configuration& configuration, const std::string& name) {
    for (const auto& l : configuration.listeners) {
        if (l.name == name) {
            return l;
        }
    }
    std::vector<std::string> names;
    for (const auto& l : configuration.listeners) {
        names.push_back(l.name);
    }
    throw Error(Errc::not_found,
                fmt::format("no listener '{}' (listeners: {}); add it with certtool listener add "
                            "{} --address ADDR:PORT",
                            name,
                            joined(names),
                            name));
}

// The client's address, canonical, an IPv4-mapped IPv6 address as IPv4.
std::pair<std::string, bool> client_address(const std::string& text) {
    auto canonical = canonical_ip(text);
    if (!canonical) {
        throw Error(Errc::invalid_argument,
                    fmt::format("invalid client address '{}': give an IPv4 or IPv6 address, such "
                                "as 192.0.2.7 or 2001:db8::7",
                                text));
    }
    constexpr std::string_view k_mapped = "::ffff:";
    if (canonical->starts_with(k_mapped) && canonical->find('.') != std::string::npos) {
        return {canonical->substr(k_mapped.size()), true};
    }
    return {*canonical, false};
}

std::string client_name(const std::string& text) {
    if (text.empty()) {
        return {};
    }
    std::optional<Member> m;
    try {
        m = parse_member(text);
    } catch (const Error&) {
    }
    if (!m || m->kind != MemberKind::host) {
        throw Error(Errc::invalid_argument,
                    fmt::format("invalid client name '{}': give the client's host name, such as "
                                "mx.example.com (its verified reverse name)",
                                text));
    }
    return m->text;
}

void inbound_caveats(const Listener& listener, InboundExplanation& e) {
    bool names = false;
    std::vector<std::string> untried;  // groups before the answer with name members
    for (const auto& g : listener.groups) {
        const bool has_names = std::any_of(g.members.begin(), g.members.end(), is_name_member);
        names = names || has_names;
        const bool before = !e.match || g.position < e.match->position;
        if (has_names && before && e.client_name.empty()) {
            untried.push_back(g.name);
        }
    }
    if (!untried.empty()) {
        e.caveats.push_back(
            fmt::format("no --client-name: the host-name and partial-domain members of {} were "
                        "not tried; a client whose reverse name matches one gets that group",
                        joined(untried)));
    }
    if (names || !e.client_name.empty()) {
        e.caveats.emplace_back(
            "host-name and partial-domain members match the client's verified reverse name (PTR "
            "record whose name resolves back to the address); without one they match nothing "
            "(Postfix then sees the client as 'unknown')");
    }
    if (e.ipv4_mapped) {
        e.caveats.push_back(fmt::format(
            "the IPv4-mapped address was matched as the IPv4 client {}, as Postfix logs it",
            e.client_address));
    }
    const bool all_required =
        listener.tls == InboundTls::required &&
        std::all_of(listener.groups.begin(), listener.groups.end(), [](const auto& g) {
            return g.tls == InboundTls::required;
        });
    if (e.tls == InboundTls::required && !all_required) {
        e.caveats.emplace_back(
            "Postfix (certtool's mapping): plaintext is refused by reject_plaintext_session at "
            "RCPT TO with '450 4.7.1 Session encryption is required' rather than the "
            "appliance's 530");
    }
    if (e.tls == InboundTls::off && e.match && is_name_member(e.match->member)) {
        e.caveats.emplace_back(
            "Postfix (certtool's mapping) hides STARTTLS by client address only: a client "
            "matched by its name is still offered STARTTLS there");
    }
}

}  // namespace

std::string_view member_kind_name(MemberKind kind) noexcept {
    switch (kind) {
        case MemberKind::address:
            return "address";
        case MemberKind::network:
            return "network";
        case MemberKind::host:
            return "host";
        case MemberKind::partial_domain:
            return "partial-domain";
    }
    return "address";
}

std::string_view inbound_meaning(InboundTls tls) noexcept {
    switch (tls) {
        case InboundTls::off:
            return "STARTTLS not offered: the session stays in the clear";
        case InboundTls::preferred:
            return "STARTTLS offered, plaintext accepted";
        case InboundTls::required:
            return "STARTTLS offered; plaintext refused: 530 Must issue a STARTTLS command first";
    }
    return "";
}

InboundExplanation explain_client(const Configuration& configuration, const ClientQuery& query) {
    const Listener& listener = find_listener(configuration, query.listener);
    InboundExplanation e;
    e.listener = listener.name;
    e.endpoint = listener.endpoint.text();
    std::tie(e.client_address, e.ipv4_mapped) = client_address(query.address);
    e.client_name = client_name(query.name);
    const auto address = to_address(e.client_address);
    if (!address) {
        throw Error(Errc::invalid_argument,
                    fmt::format("invalid client address '{}'", query.address));
    }
    e.tls = listener.tls;
    for (const auto& g : listener.groups) {  // by position: first match wins
        for (const auto& m : g.members) {
            if (matches(m, *address, e.client_name)) {
                e.match = GroupMatch{g.name, g.position, m};
                e.tls = g.tls;
                break;
            }
        }
        if (e.match) {
            break;
        }
    }
    e.meaning = std::string{inbound_meaning(e.tls)};
    inbound_caveats(listener, e);
    return e;
}

// ---- Outbound ----------------------------------------------------------------------------------

namespace {

std::string_view mode_meaning(TlsMode mode) noexcept {
    switch (mode) {
        case TlsMode::none:
            return "never sends STARTTLS: mail goes in the clear";
        case TlsMode::preferred:
            return "TLS when the server offers it, unverified; in the clear when it offers none; "
                   "no fallback to clear once STARTTLS got its 220";
        case TlsMode::required:
            return "TLS or nothing: mail waits in the queue when TLS cannot be negotiated; the "
                   "certificate is not verified";
        case TlsMode::preferred_verify:
            return "TLS when the server offers it, verification attempted and logged (not "
                   "required); in the clear when it offers none";
        case TlsMode::required_verify:
            return "TLS with a verified certificate (chain and host name) or nothing";
    }
    return "";
}

void outbound_caveats(const Configuration& configuration, OutboundExplanation& e) {
    switch (e.mode) {
        case TlsMode::none:
        case TlsMode::required:
            break;
        case TlsMode::preferred:
            e.caveats.emplace_back(
                "Postfix 'may' (certtool's mapping of Preferred) retries in the clear after a "
                "failed TLS handshake (outcome A), where the appliance defers the mail");
            break;
        case TlsMode::preferred_verify:
            e.caveats.emplace_back(
                "Preferred-Verify has no exact Postfix equivalent: Postfix 'may' with a CA file "
                "logs the peer as Verified, Trusted or Untrusted but neither refuses an "
                "unverified one nor checks the host name");
            e.caveats.emplace_back(
                "Postfix 'may' retries in the clear after a failed TLS handshake (outcome A), "
                "where the appliance defers the mail");
            break;
        case TlsMode::required_verify:
            e.caveats.emplace_back(
                "Postfix 'secure' (certtool's mapping) accepts a certificate naming the MX host, "
                "the domain or a subdomain of it (match=hostname:nexthop:dot-nexthop)");
            break;
    }
    if ((e.mode == TlsMode::required || e.mode == TlsMode::required_verify) &&
        configuration.alert_on_required_failure) {
        e.caveats.emplace_back(
            "alert-on-required-failure is on: a failed required TLS connection sends an alert");
    }
}

}  // namespace

std::string_view row_kind_name(RowKind kind) noexcept {
    switch (kind) {
        case RowKind::exact:
            return "exact";
        case RowKind::parent:
            return "parent";
        case RowKind::default_row:
            return "default";
    }
    return "default";
}

std::string delivery_result(const Delivery& delivery) {
    if (!delivery.delivered) {
        return "deferred";
    }
    if (!delivery.encrypted) {
        return "delivered in the clear";
    }
    return "delivered " + delivery.text();
}

OutboundExplanation explain_domain(const Configuration& configuration, std::string_view domain) {
    std::string name;
    if (!domain.empty() && domain.front() != '.') {
        try {
            name = parse_destination_domain(domain);
        } catch (const Error&) {
            name.clear();
        }
    }
    if (name.empty()) {
        throw Error(Errc::invalid_argument,
                    fmt::format("invalid domain '{}': give a mail domain such as example.com (a "
                                ".example.com destination row covers its subdomains)",
                                domain));
    }
    OutboundExplanation e;
    e.domain = name;
    e.mode = configuration.default_tls;
    const Destination* parent = nullptr;
    for (const auto& d : configuration.destinations) {
        if (d.domain == name) {
            e.row = RowKind::exact;
            e.row_domain = d.domain;
            e.mode = d.tls;
            break;
        }
        // ".example.com" is a proper suffix at a label boundary: its leading dot sees to it.
        if (d.domain.front() == '.' && ends_with(name, d.domain) &&
            (parent == nullptr || d.domain.size() > parent->domain.size())) {
            parent = &d;
        }
    }
    if (e.row != RowKind::exact && parent != nullptr) {
        e.row = RowKind::parent;
        e.row_domain = parent->domain;
        e.mode = parent->tls;
    }
    e.meaning = std::string{mode_meaning(e.mode)};
    for (const ProbeOutcome o : {ProbeOutcome::verified,
                                 ProbeOutcome::unverified,
                                 ProbeOutcome::before_tls,
                                 ProbeOutcome::after_starttls,
                                 ProbeOutcome::no_session}) {
        const Delivery d = delivery(e.mode, o);
        e.outcomes.push_back(OutcomeRow{o, d, delivery_result(d)});
    }
    outbound_caveats(configuration, e);
    return e;
}

ProbeAnswer probe_answer(const OutboundExplanation& explanation, const MxReport& report) {
    ProbeAnswer a;
    const ProbeResult* chosen = nullptr;
    for (const auto& h : report.hosts) {
        if (delivery(explanation.mode, h.outcome).as_demanded) {
            chosen = &h;
            break;
        }
    }
    if (chosen == nullptr && !report.hosts.empty()) {
        chosen = &report.hosts.front();
    }
    if (chosen == nullptr) {
        a.verdict = fmt::format("would be deferred: {} has no mail host", explanation.domain);
        return a;
    }
    a.host = chosen->host;
    a.outcome = chosen->outcome;
    a.delivery = delivery(explanation.mode, chosen->outcome);
    if (a.delivery.delivered) {
        a.verdict = fmt::format("would be {} (via {})", delivery_result(a.delivery), a.host);
    } else {
        a.verdict = fmt::format("would be deferred: no MX host takes it as {} demands ({}: {})",
                                tls_mode_name(explanation.mode),
                                a.host,
                                outcome_description(a.outcome));
    }
    return a;
}

}  // namespace certtool::config
