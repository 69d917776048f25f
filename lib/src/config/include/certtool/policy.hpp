// policy explain: which rule of the configuration applies to one inbound client or one
// destination domain, what it means for the mail, and where certtool's Postfix mapping differs
// from the appliance. Pure functions on the typed view (config.hpp); nothing here prints.
//
// Inbound (a listener's host access table):
//   - Sender groups are tried in position order; the first group with a matching member wins;
//     without one, the listener's default mail flow policy applies.
//   - An address member matches that address; a CIDR block the addresses inside it, in its own
//     family only. An IPv4-mapped IPv6 client (::ffff:192.0.2.1) is the IPv4 client 192.0.2.1,
//     as Postfix and the appliance log it: it matches IPv4 members and blocks, never IPv6 ones.
//   - A host-name member matches the client's name exactly (case-insensitive, a trailing dot
//     ignored, IDNs by their A-labels). A partial domain ".example.com" matches every name
//     under example.com (mx.example.com, a.b.example.com) but not example.com itself: the
//     appliance's HAT syntax ".partialhost" is "everything within the partialhost domain",
//     and its GUI adds both "example.net" and ".example.net" to cover a domain and its hosts.
//   - Names are the client's verified reverse name (PTR, forward-confirmed). Without one (no
//     client name given), host-name and partial-domain members match nothing.
//
// Outbound (destination controls):
//   - The row named exactly after the domain wins; else the ".parent" row with the longest
//     suffix of the domain (".b.example.com" before ".example.com"); else the default row.
//     "example.com" covers that domain only and ".example.com" its subdomains only (not
//     example.com), as the appliance's partial-domain syntax and Postfix's policy table do.
//   - One pass over the rows: linear in their number, whatever the domain.
#pragma once

#include <certtool/config.hpp>
#include <certtool/smtp_probe.hpp>
#include <certtool/tls_policy.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certtool::config {

// ---- Inbound -----------------------------------------------------------------------------------

// "address", "network", "host", "partial-domain".
[[nodiscard]] std::string_view member_kind_name(MemberKind kind) noexcept;

struct ClientQuery {
    std::string listener;
    std::string address;  // an IPv4 or IPv6 literal, as given
    std::string name;     // the client's verified reverse name, "" if unknown
};

struct GroupMatch {
    std::string group;
    int position{0};
    Member member;  // the first member that matched
};

struct InboundExplanation {
    std::string listener;
    std::string endpoint;             // "127.0.0.1:25"
    std::string client_address;       // canonical; IPv4 for an IPv4-mapped IPv6 client
    bool ipv4_mapped{false};          // the client was given as ::ffff:a.b.c.d
    std::string client_name;          // normalised (lower-case A-label, no trailing dot), or ""
    std::optional<GroupMatch> match;  // nothing: the listener's default policy
    InboundTls tls{InboundTls::preferred};
    std::string meaning;  // what the setting means for this client
    std::vector<std::string> caveats;
};

// Which sender group of `query.listener` (in `configuration`) the client falls into, and its TLS
// setting. Throws Error{not_found} naming the listeners there are, Error{invalid_argument}
// naming the rule for a malformed address or name.
[[nodiscard]] InboundExplanation explain_client(const Configuration& configuration,
                                                const ClientQuery& query);

// What an inbound TLS setting means for a client: "STARTTLS not offered...", ...
[[nodiscard]] std::string_view inbound_meaning(InboundTls tls) noexcept;

// ---- Outbound ----------------------------------------------------------------------------------

enum class RowKind { exact, parent, default_row };
[[nodiscard]] std::string_view row_kind_name(RowKind kind) noexcept;  // "exact", "parent", ...

struct OutcomeRow {
    ProbeOutcome outcome{ProbeOutcome::no_session};
    Delivery delivery;
    std::string result;  // "delivered encrypted, verified", "deferred", "delivered in the clear"
};

struct OutboundExplanation {
    std::string domain;  // normalised: lower-case A-labels, no trailing dot
    RowKind row{RowKind::default_row};
    std::string row_domain;  // "example.com" or ".example.com"; "" for the default row
    TlsMode mode{TlsMode::none};
    std::string meaning;               // what the mode does, one sentence
    std::vector<OutcomeRow> outcomes;  // one per ProbeOutcome, V U B A X
    std::vector<std::string> caveats;  // where Postfix differs, and the alert setting
};

// Which destination row applies to `domain` and what the appliance does with its mail under
// that row's mode (delivery() for each outcome). Throws Error{invalid_argument} for a malformed
// domain or a ".parent" form (a row, not a mail domain).
[[nodiscard]] OutboundExplanation explain_domain(const Configuration& configuration,
                                                 std::string_view domain);

// "delivered encrypted, verified", "delivered in the clear", "deferred".
[[nodiscard]] std::string delivery_result(const Delivery& delivery);

// The real answer for a domain: the row's mode over what a probe of its MX hosts saw.
struct ProbeAnswer {
    std::string host;  // the MX host the answer comes from, "" when there was none
    ProbeOutcome outcome{ProbeOutcome::no_session};
    Delivery delivery;
    std::string verdict;  // "would be delivered encrypted, verified (mx1.example.com)", ...
};

// As MxReport::delivery(): the first host, in preference order, where mail goes as the mode
// demands; else the most preferred host, whose outcome says why the mail waits.
[[nodiscard]] ProbeAnswer probe_answer(const OutboundExplanation& explanation,
                                       const MxReport& report);

}  // namespace certtool::config
