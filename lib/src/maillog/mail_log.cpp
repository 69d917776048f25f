#include "id_map.hpp"
#include "text.hpp"

#include <certtool/error.hpp>
#include <certtool/mail_log.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <ctime>
#include <deque>
#include <memory>
#include <unordered_map>

namespace certtool::maillog {

namespace {

using Id = std::uint64_t;

// Prefix test against a literal: the length is a constant, so the compare is inlined.
template <std::size_t N>
inline bool starts_with(std::string_view s, const char (&prefix)[N]) {
    return s.size() >= N - 1 && __builtin_memcmp(s.data(), prefix, N - 1) == 0;
}

// Reads a decimal id at the start of s, advancing s past it.
// Eight ASCII digits at p as a number, or nullopt if any byte is not a digit (SWAR: one load,
// three multiply-shift steps instead of eight loop iterations).
inline std::optional<Id> eight_digits(const char* p) {
    std::uint64_t x = 0;
    std::memcpy(&x, p, 8);
    const std::uint64_t lo = x - 0x3030303030303030ULL;
    const std::uint64_t hi = x + 0x4646464646464646ULL;  // a byte > '9' sets its top bit
    if (((lo | hi) & 0x8080808080808080ULL) != 0) {
        return std::nullopt;
    }
    x = lo;                                                 // first char in the low byte
    x = ((x * 10) + (x >> 8)) & 0x00FF00FF00FF00FFULL;      // 4 x 2 digits
    x = ((x * 100) + (x >> 16)) & 0x0000FFFF0000FFFFULL;    // 2 x 4 digits
    x = ((x * 10000) + (x >> 32)) & 0x00000000FFFFFFFFULL;  // 8 digits
    return x;
}

// Hot: called a few times per line, so kept inline.
[[gnu::always_inline]] inline std::optional<Id> take_id(std::string_view& s) {
    std::size_t i = 0;
    Id v = 0;
    if (s.size() >= 8) {
        if (auto first = eight_digits(s.data())) {
            v = *first;
            i = 8;
        }
    }
    const std::size_t limit = std::min<std::size_t>(s.size(), 19);
    for (; i < limit; ++i) {
        const auto digit = static_cast<unsigned>(static_cast<unsigned char>(s[i])) - '0';
        if (digit > 9) {
            break;
        }
        v = v * 10 + digit;
    }
    if (i == 0) {
        return std::nullopt;
    }
    s.remove_prefix(i);
    return v;
}

// Two ids around a literal, e.g. "179701980 ICID 590125205" with " ICID ".
template <std::size_t N>
std::optional<std::pair<Id, Id>> take_id_pair(std::string_view& s, const char (&separator)[N]) {
    const auto first = take_id(s);
    if (!first || !starts_with(s, separator)) {
        return std::nullopt;
    }
    s.remove_prefix(N - 1);
    const auto second = take_id(s);
    if (!second) {
        return std::nullopt;
    }
    return std::pair{*first, *second};
}

// Skips a run of digits; false if there was none.
inline bool skip_digits(std::string_view& s) {
    std::size_t i = 0;
    while (i < s.size() && static_cast<unsigned>(static_cast<unsigned char>(s[i])) - '0' <= 9) {
        ++i;
    }
    s.remove_prefix(i);
    return i > 0;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
        s.remove_suffix(1);
    }
    return s;
}

std::string_view next_word(std::string_view s) {
    return s.substr(0, s.find(' '));
}

// "(336109761, 'error:1408A0C1:SSL routines:ssl3_get_client_hello:no shared cipher')"
//   -> "no shared cipher"; text cut off by the log keeps what is there.
std::string failure_reason(std::string_view raw) {
    std::string_view s = trim(raw);
    if (!s.empty() && s.front() == '(') {
        const auto quote = s.find('\'');
        s = quote == std::string_view::npos ? s.substr(1) : s.substr(quote + 1);
        while (!s.empty() && (s.back() == ')' || s.back() == '\'')) {
            s.remove_suffix(1);
        }
    }
    if (starts_with(s, "error:")) {
        // error:CODE:LIB:FUNC:REASON -> REASON (or what is left of it)
        std::size_t colons = 0;
        std::size_t pos = 0;
        while (colons < 4 && (pos = s.find(':', pos)) != std::string_view::npos) {
            ++colons;
            ++pos;
            if (colons == 4) {
                s.remove_prefix(pos);
            }
        }
        if (colons < 4) {
            s = s.substr(std::min(s.size(), s.find(':', 6) + 1));
        }
    }
    s = trim(s);
    return s.empty() ? std::string{"unknown"} : std::string{s};
}

enum class Tls { none, success, failed };

// Interned strings: a connection refers to protocol, cipher, reason and domain by a 32-bit id, so
// tracking it allocates nothing and tallies are vector increments. Id 0 is "".
using Sym = std::uint32_t;

class Interner {
public:
    Interner() { m_names.emplace_back(); }

    Sym id(std::string_view text) {
        if (text.empty()) {
            return 0;
        }
        const auto it = m_index.find(text);  // heterogeneous: no std::string built
        if (it != m_index.end()) {
            return it->second;
        }
        const auto sym = static_cast<Sym>(m_names.size());
        m_names.emplace_back(text);
        m_index.emplace(m_names.back(), sym);
        return sym;
    }

    [[nodiscard]] const std::string& name(Sym sym) const { return m_names[sym]; }

    [[nodiscard]] std::size_t size() const { return m_names.size(); }

private:
    std::vector<std::string> m_names;

    struct Hash {
        using is_transparent = void;

        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    std::unordered_map<std::string, Sym, Hash, std::equal_to<>> m_index;
};

struct Conn {
    bool outbound{false};
    Tls tls{Tls::none};
    Sym protocol{0};
    Sym cipher{0};
    Sym reason{0};
    Sym domain{0};
    std::string relay;                   // Postfix outbound sessions
    std::vector<Id> mids;                // ESA: MIDs handed to this connection
    std::vector<std::string> queue_ids;  // Postfix: queue ids sent over this session
    std::uint64_t seq{0};
};

constexpr std::array<std::string_view, 12> k_months{
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

constexpr std::uint32_t pack3(const char* m) {
    return (static_cast<std::uint32_t>(static_cast<unsigned char>(m[0])) << 16U) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(m[1])) << 8U) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(m[2]));
}

// 0..11, or -1. Runs once per line: integer compares, no string compares.
int month_index(std::string_view m) {
    if (m.size() < 3) {
        return -1;
    }
    const std::uint32_t key = pack3(m.data());
    for (std::size_t i = 0; i < k_months.size(); ++i) {
        if (pack3(k_months[i].data()) == key) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

// A UTC time from calendar fields (month 0-11).
TimePoint utc_time(int year, int month, int day, int hour, int minute, int second) {
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

std::string_view format_name(Format f) noexcept {
    return f == Format::esa ? "esa" : "postfix";
}

std::optional<Format> parse_format(std::string_view name) noexcept {
    if (name == "esa") {
        return Format::esa;
    }
    if (name == "postfix") {
        return Format::postfix;
    }
    return std::nullopt;
}

std::optional<Format> detect_format(std::string_view sample) {
    std::size_t esa = 0;
    std::size_t postfix = 0;
    std::size_t start = 0;
    while (start < sample.size()) {
        std::size_t end = sample.find('\n', start);
        if (end == std::string_view::npos) {
            end = sample.size();
        }
        const std::string_view line = sample.substr(start, end - start);
        if (line.find(" Info: ") != std::string_view::npos ||
            line.find(" Warning: ") != std::string_view::npos) {
            ++esa;
        }
        if (line.find("postfix") != std::string_view::npos &&
            line.find("]: ") != std::string_view::npos) {
            ++postfix;
        }
        start = end + 1;
    }
    if (esa == 0 && postfix == 0) {
        return std::nullopt;
    }
    return esa >= postfix ? Format::esa : Format::postfix;
}

std::vector<std::string> repeated_failure_domains(const Report& report) {
    std::vector<std::string> domains;
    for (const auto& [domain, stats] : report.outbound.domains) {
        if (stats.counts.tls_failed >= 2) {
            domains.push_back(domain);
        }
    }
    return domains;
}

bool tls_failure_seen(const Report& report) noexcept {
    return report.inbound.counts.tls_failed + report.outbound.counts.tls_failed +
               report.required_tls_failures >
           0;
}

bool is_legacy_protocol(std::string_view protocol) {
    return protocol == "TLSv1" || protocol == "TLSv1.0" || protocol == "TLSv1.1" ||
           starts_with(protocol, "SSL");
}

bool is_weak_cipher(std::string_view cipher) {
    const std::string c = text::ascii_lower(cipher);
    for (const char* weak : {"rc4",
                             "des-cbc",
                             "des-cbc3",
                             "3des",
                             "_des_",
                             "null",
                             "exp",
                             "adh",
                             "aecdh",
                             "anon",
                             "md5",
                             "rc2"}) {
        if (c.find(weak) != std::string::npos) {
            return true;
        }
    }
    return false;
}

struct Analyzer::State {
    Options options;
    Report report;
    IdMap<Conn> icids;  // ESA inbound
    IdMap<Conn> dcids;  // ESA outbound
    IdMap<Conn> smtpd;  // Postfix inbound, by smtpd pid
    IdMap<Conn> smtp;   // Postfix outbound sessions, by smtp pid
    Interner names;
    Sym unknown_domain{names.id("(unknown)")};
    std::optional<Sym> domain_filter;
    std::string lower_buffer;

    // Per direction, indexed by Sym; turned into the report's maps by finish().
    struct Tallies {
        std::vector<std::uint64_t> protocols;
        std::vector<std::uint64_t> ciphers;
        std::vector<std::uint64_t> failures;
        std::vector<Counts> domains;
        std::map<std::pair<Sym, Sym>, std::uint64_t> domain_failures;  // (domain, reason)
    };

    Tallies inbound_tallies;
    Tallies outbound_tallies;

    // MID -> recipients' (RID, domain), for naming the destination of a delivery. Most messages
    // have one or two recipients: kept inline.
    struct Recipients {
        // 32 bytes: the table is probed once per recipient line and can hold max_open of these.
        std::array<std::pair<std::uint32_t, Sym>, 2> first{};  // (RID, domain)
        std::uint8_t count{0};
        std::unique_ptr<std::vector<std::pair<Id, Sym>>> more;  // the rare third and later
    };

    IdMap<Recipients> rcpt_domains;

    static void bump(std::vector<std::uint64_t>& v, Sym sym) {
        if (v.size() <= sym) {
            v.resize(sym + 1U);
        }
        ++v[sym];
    }

    // Lower-cased, interned domain of an address "<user@Example.COM>".
    Sym domain_sym(std::string_view address) {
        address = trim(address);
        if (!address.empty() && address.front() == '<') {
            address.remove_prefix(1);
        }
        address = address.substr(0, address.find('>'));
        const auto at = address.rfind('@');
        return at == std::string_view::npos ? 0 : lower_sym(address.substr(at + 1));
    }

    Sym lower_sym(std::string_view text) {
        lower_buffer.assign(text);
        for (char& ch : lower_buffer) {
            if (ch >= 'A' && ch <= 'Z') {
                ch = static_cast<char>(ch - 'A' + 'a');
            }
        }
        return names.id(lower_buffer);
    }

    std::deque<std::pair<IdMap<Conn>*, std::pair<Id, std::uint64_t>>> open_order;
    std::deque<Id> message_order;
    std::uint64_t seq{0};
    int year_hint{0};

    Conn& open(IdMap<Conn>& table, Id id, bool outbound) {
        evict_if_needed(1);  // before inserting: IdMap moves elements when it erases
        auto [it, inserted] = table.try_emplace(id);
        if (!inserted) {
            finish_conn(it->second);  // an id reused without a close: the old one ended
            it->second = Conn{};
        }
        it->second.outbound = outbound;
        it->second.seq = ++seq;
        open_order.emplace_back(&table, std::make_pair(id, it->second.seq));
        return it->second;
    }

    Conn& get(IdMap<Conn>& table, Id id, bool outbound) {
        auto it = table.find(id);
        if (it != table.end()) {
            return it->second;
        }
        return open(table, id, outbound);  // first seen mid-stream (log began after the open)
    }

    void close(IdMap<Conn>& table, Id id, bool outbound) {
        auto it = table.find(id);
        if (it == table.end()) {
            Conn c;
            c.outbound = outbound;
            finish_conn(c);  // a close for a connection opened before the log began
            return;
        }
        finish_conn(it->second);
        table.erase(it);
    }

    // Makes room for `incoming` more open connections within options.max_open.
    void evict_if_needed(std::size_t incoming) {
        std::size_t open_count = icids.size() + dcids.size() + smtpd.size() + smtp.size();
        while (open_count + incoming > options.max_open && !open_order.empty()) {
            auto [table, key] = open_order.front();
            open_order.pop_front();
            auto it = table->find(key.first);
            if (it != table->end() && it->second.seq == key.second) {
                finish_conn(it->second);
                table->erase(it);
                ++report.evicted;
                --open_count;
            }
        }
        // Keep the order queue from growing with entries already closed.
        if (open_order.size() > 2 * options.max_open + 1024) {
            std::erase_if(open_order, [](const auto& e) {
                auto it = e.first->find(e.second.first);
                return it == e.first->end() || it->second.seq != e.second.second;
            });
        }
    }

    bool domain_selected(const Conn& c) const {
        return !domain_filter || !c.outbound || c.domain == *domain_filter;
    }

    void finish_conn(const Conn& c) {
        if (!domain_selected(c)) {
            return;
        }
        DirectionReport& d = c.outbound ? report.outbound : report.inbound;
        Tallies& t = c.outbound ? outbound_tallies : inbound_tallies;
        Counts* dc = nullptr;
        const Sym domain = c.domain == 0 ? unknown_domain : c.domain;
        if (c.outbound) {
            if (t.domains.size() <= domain) {
                t.domains.resize(domain + 1U);
            }
            dc = &t.domains[domain];
            ++dc->connections;
        }
        ++d.counts.connections;
        switch (c.tls) {
            case Tls::success:
                ++d.counts.tls_success;
                if (dc != nullptr) {
                    ++dc->tls_success;
                }
                if (c.protocol != 0) {
                    bump(t.protocols, c.protocol);
                }
                if (c.cipher != 0) {
                    bump(t.ciphers, c.cipher);
                }
                break;
            case Tls::failed:
                ++d.counts.tls_failed;
                bump(t.failures, c.reason);
                if (dc != nullptr) {
                    ++dc->tls_failed;
                    ++t.domain_failures[{domain, c.reason}];
                }
                break;
            case Tls::none:
                ++d.counts.no_tls;
                if (dc != nullptr) {
                    ++dc->no_tls;
                }
                break;
        }
        if (c.tls != Tls::success) {
            for (const Id m : c.mids) {
                note_clear_message(d, m);
            }
            for (const auto& q : c.queue_ids) {
                note_clear_message(d, q);
            }
        }
    }

    void note_clear_message(DirectionReport& d, const std::string& id) {
        ++d.messages_without_tls;
        if (d.messages_without_tls_ids.size() < options.max_examples) {
            d.messages_without_tls_ids.push_back(id);
        }
    }

    void note_clear_message(DirectionReport& d, Id id) {
        ++d.messages_without_tls;
        if (d.messages_without_tls_ids.size() < options.max_examples) {
            d.messages_without_tls_ids.push_back(std::to_string(id));
        }
    }

    void malformed(std::string_view line, std::uint64_t number) {
        ++report.malformed;
        if (report.malformed_examples.size() < options.max_examples) {
            report.malformed_examples.push_back({number, std::string{line.substr(0, 300)}});
        }
    }

    bool in_window(std::optional<TimePoint> t) const {
        if (!t || (!options.since && !options.until)) {
            return true;
        }
        return (!options.since || *t >= *options.since) && (!options.until || *t < *options.until);
    }

    static std::optional<TimePoint> esa_time(std::string_view line) {
        // "Tue Apr 17 00:57:53 2018 Info: ..."
        if (line.size() < 24) {
            return std::nullopt;
        }
        const int mon = month_index(line.substr(4, 3));
        int day = 0;
        int h = 0;
        int mi = 0;
        int s = 0;
        int y = 0;
        const std::string head{line.substr(8, 16)};
        if (mon < 0 ||
            std::sscanf(head.c_str(), "%d %d:%d:%d %d", &day, &h, &mi, &s, &y) != 5) {  // NOLINT
            return std::nullopt;
        }
        return utc_time(y, mon, day, h, mi, s);
    }

    void feed_esa(std::string_view line, std::uint64_t number) {
        // The message follows the level: "... 2018 Info: " (also Warning/Debug/Critical).
        // "Www Mmm dd hh:mm:ss yyyy Level: " - the level word starts at column 25.
        std::size_t colon = std::string_view::npos;
        if (line.size() > 27 && line[24] == ' ' && line[3] == ' ') {
            for (std::size_t i = 25; i + 1 < line.size() && i < 40; ++i) {
                if (line[i] == ':' && line[i + 1] == ' ') {
                    colon = i;
                    break;
                }
            }
        }
        // Shape check only ("Www Mmm dd hh:mm:ss"); the month is parsed when a time window
        // needs it.
        if (colon == std::string_view::npos || line[7] != ' ' || line[13] != ':' || line[4] < 'A' ||
            line[4] > 'Z') {
            malformed(line, number);
            return;
        }
        if ((options.since || options.until) && !in_window(esa_time(line))) {
            return;
        }
        std::string_view msg = line.substr(colon + 2);
        // One character picks the candidates, so most lines cost at most two comparisons.
        const char first = msg.empty() ? '\0' : msg.front();
        if (first == 'M' && starts_with(msg, "MID ")) {
            // Only "MID m ICID i RID r To: <addr>" carries a fact (the recipient's domain);
            // check the shape with cheap skips before parsing any number.
            msg.remove_prefix(4);
            std::string_view probe = msg;
            if (skip_digits(probe) && starts_with(probe, " ICID ")) {
                probe.remove_prefix(6);
                if (skip_digits(probe) && starts_with(probe, " RID ")) {
                    if (auto mid = take_id(msg)) {
                        mid_event(*mid, msg);
                    }
                }
            }
            return;
        } else if ((first == 'I' || first == 'D') &&
                   (starts_with(msg, "ICID ") || starts_with(msg, "DCID "))) {
            const bool outbound = msg[0] == 'D';
            msg.remove_prefix(5);
            if (auto id = take_id(msg)) {
                conn_event(outbound ? dcids : icids, *id, outbound, trim(msg));
                return;
            }
        } else if (first == 'N' &&
                   (starts_with(msg, "New SMTP ICID ") || starts_with(msg, "New SMTP DCID "))) {
            const bool outbound = msg[9] == 'D';
            msg.remove_prefix(14);
            if (auto id = take_id(msg)) {
                open(outbound ? dcids : icids, *id, outbound);
                return;
            }
        } else if (first == 'S' && starts_with(msg, "Start MID ")) {
            msg.remove_prefix(10);
            if (const auto ids = take_id_pair(msg, " ICID ")) {  // MID, ICID
                if (get(icids, ids->second, false).tls != Tls::success) {
                    note_clear_message(report.inbound, ids->first);
                }
                return;
            }
        } else if (first == 'D' && starts_with(msg, "Delivery start DCID ")) {
            msg.remove_prefix(20);
            if (const auto ids = take_id_pair(msg, " MID ")) {  // DCID, MID
                Conn& c = get(dcids, ids->first, true);
                c.mids.push_back(ids->second);
                if (c.domain == 0) {
                    c.domain = recipient_domain(ids->second, msg);
                }
                return;
            }
        } else if (first == 'C' && starts_with(msg, "Connection Error: DCID ")) {
            msg.remove_prefix(23);
            if (auto dcid = take_id(msg)) {
                Conn& c = get(dcids, *dcid, true);
                const auto dom = msg.find("domain: ");
                if (dom != std::string_view::npos && c.domain == 0) {
                    c.domain = lower_sym(next_word(msg.substr(dom + 8)));
                }
                return;
            }
        } else if (first == 'M' && starts_with(msg, "Message finished MID ")) {
            msg.remove_prefix(21);
            if (auto mid = take_id(msg)) {
                rcpt_domains.erase(*mid);
            }
            return;
        }
        // memchr for the rare 'q' first: most lines end here without a second look.
        if (msg.find("quired") != std::string_view::npos &&
            text::ascii_lower(msg).find("tls required") != std::string::npos) {
            ++report.required_tls_failures;
        }
        // Any other event (ACCEPT, Subject, antivirus, status lines ...) carries no TLS fact.
    }

    void conn_event(IdMap<Conn>& table, Id id, bool outbound, std::string_view rest) {
        if (starts_with(rest, "TLS success")) {
            Conn& c = get(table, id, outbound);
            c.tls = Tls::success;
            const auto p = rest.find("protocol ");
            if (p != std::string_view::npos) {
                c.protocol = names.id(next_word(rest.substr(p + 9)));
            }
            const auto ci = rest.find("cipher ");
            if (ci != std::string_view::npos) {
                c.cipher = names.id(next_word(rest.substr(ci + 7)));
            }
        } else if (starts_with(rest, "TLS failed")) {
            Conn& c = get(table, id, outbound);
            c.tls = Tls::failed;
            const auto colon = rest.find(':');
            c.reason = names.id(failure_reason(
                colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1)));
        } else if (rest == "close") {
            close(table, id, outbound);
        } else {
            static_cast<void>(get(table, id, outbound));  // "lost", ACCEPT, ...: still open
        }
    }

    void mid_event(Id mid, std::string_view rest) {
        // Only "MID 6 ICID 5 RID 0 To: <mary@yourdomain.com>" matters here; decide from the
        // tokens right after the MID, never scanning long Subject or header lines.
        if (!starts_with(rest, " ICID ")) {
            return;
        }
        rest.remove_prefix(6);
        if (!take_id(rest) || !starts_with(rest, " RID ")) {
            return;
        }
        rest.remove_prefix(5);
        auto rid_value = take_id(rest);
        if (!rid_value || !starts_with(rest, " To: ")) {
            return;
        }
        auto [it, inserted] = rcpt_domains.try_emplace(mid);
        Recipients& rc = it->second;
        const std::pair<Id, Sym> entry{*rid_value, domain_sym(rest.substr(5))};
        if (rc.count < rc.first.size() && entry.first <= UINT32_MAX) {
            rc.first[rc.count++] = {static_cast<std::uint32_t>(entry.first), entry.second};
        } else {
            if (!rc.more) {
                rc.more = std::make_unique<std::vector<std::pair<Id, Sym>>>();
            }
            rc.more->push_back(entry);
        }
        if (inserted) {
            message_order.push_back(mid);
            // Bound the messages remembered; never drop the one just added (it is the newest).
            while (rcpt_domains.size() > options.max_open && message_order.front() != mid) {
                rcpt_domains.erase(message_order.front());
                message_order.pop_front();
            }
        }
    }

    Sym recipient_domain(Id mid, std::string_view rest) {
        // " to RID [0, 1]" -> the first RID's domain
        const auto it = rcpt_domains.find(mid);
        const auto open_br = rest.find('[');
        if (it == rcpt_domains.end() || open_br == std::string_view::npos) {
            return 0;
        }
        std::string_view r = rest.substr(open_br + 1);
        const auto rid = take_id(r);
        if (!rid) {
            return 0;
        }
        const Recipients& rc = it->second;
        for (std::size_t k = 0; k < rc.count && k < rc.first.size(); ++k) {
            if (rc.first[k].first == *rid) {
                return rc.first[k].second;
            }
        }
        if (rc.more) {
            for (const auto& [r_id, domain] : *rc.more) {
                if (r_id == *rid) {
                    return domain;
                }
            }
        }
        return 0;
    }

    void feed_postfix(std::string_view line, std::uint64_t number) {
        // "... host postfix/smtpd[123]: message"  (also "postfix-inst/smtp[9]:")
        const auto tag_end = line.find("]: ");
        if (tag_end == std::string_view::npos) {
            if (line.find("postfix") != std::string_view::npos) {
                malformed(line, number);
            }
            return;  // another program's line in a shared syslog file
        }
        const auto bracket = line.rfind('[', tag_end);
        const auto space = line.rfind(' ', bracket);
        if (bracket == std::string_view::npos || space == std::string_view::npos) {
            malformed(line, number);
            return;
        }
        const std::string_view tag = line.substr(space + 1, bracket - space - 1);
        if (tag.find("postfix") == std::string_view::npos) {
            return;
        }
        std::string_view pid_text = line.substr(bracket + 1, tag_end - bracket - 1);
        const auto pid = take_id(pid_text);
        const auto slash = tag.rfind('/');
        if (!pid || slash == std::string_view::npos) {
            malformed(line, number);
            return;
        }
        if ((options.since || options.until) && !in_window(syslog_time(line))) {
            return;
        }
        const std::string_view service = tag.substr(slash + 1);
        const std::string_view msg = line.substr(tag_end + 3);
        if (service == "smtpd") {
            postfix_smtpd(*pid, msg);
        } else if (service == "smtp") {
            postfix_smtp(*pid, msg);
        }
    }

    std::optional<TimePoint> syslog_time(std::string_view line) {
        if (line.size() > 19 && line[4] == '-' && line[10] == 'T') {  // RFC 3339 (rsyslog)
            try {
                const auto end = line.find(' ');
                std::string_view t = line.substr(0, end);
                // drop fractional seconds for parse_time's strict grammar: it accepts them
                return parse_time(t);
            } catch (const Error&) {
                return std::nullopt;
            }
        }
        // "Nov 27 20:00:00": no year in classic syslog; assume the year of --since/--until.
        const int mon = month_index(line.substr(0, 3));
        int day = 0;
        int h = 0;
        int mi = 0;
        int s = 0;
        const std::string head{line.substr(4, 11)};
        if (mon < 0 ||
            std::sscanf(head.c_str(), "%d %d:%d:%d", &day, &h, &mi, &s) != 4) {  // NOLINT
            return std::nullopt;
        }
        if (year_hint == 0) {
            const TimePoint ref = options.since ? *options.since : *options.until;
            const std::time_t tt = std::chrono::system_clock::to_time_t(ref);
            std::tm ref_tm{};
            gmtime_r(&tt, &ref_tm);
            year_hint = ref_tm.tm_year + 1900;
        }
        return utc_time(year_hint, mon, day, h, mi, s);
    }

    void tls_established(Conn& c, std::string_view msg) {
        // "...: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"
        c.tls = Tls::success;
        const auto with = msg.find(" with cipher ");
        if (with != std::string_view::npos) {
            const auto proto_start = msg.rfind(' ', with - 1);
            c.protocol = names.id(msg.substr(proto_start + 1, with - proto_start - 1));
            c.cipher = names.id(next_word(msg.substr(with + 13)));
        }
    }

    void postfix_smtpd(Id pid, std::string_view msg) {
        if (starts_with(msg, "connect from ")) {
            open(smtpd, pid, false);
        } else if (starts_with(msg, "disconnect from ") ||
                   starts_with(msg, "lost connection after")) {
            if (starts_with(msg, "disconnect from ")) {
                close(smtpd, pid, false);
            }
        } else if (msg.find("TLS connection established from ") != std::string_view::npos) {
            tls_established(get(smtpd, pid, false), msg);
        } else if (starts_with(msg, "SSL_accept error from ")) {
            Conn& c = get(smtpd, pid, false);
            c.tls = Tls::failed;
            const auto colon = msg.find(": ");
            c.reason = names.id(colon == std::string_view::npos
                                    ? std::string{"SSL_accept error"}
                                    : "SSL_accept error: " + std::string{msg.substr(colon + 2)});
        } else if (starts_with(msg, "warning: TLS library problem: ")) {
            Conn& c = get(smtpd, pid, false);
            c.tls = Tls::failed;
            c.reason = names.id(failure_reason(msg.substr(msg.rfind(':') + 1)));
        } else if (msg.find(": client=") != std::string_view::npos) {
            Conn& c = get(smtpd, pid, false);
            if (c.tls != Tls::success) {
                note_clear_message(report.inbound, std::string{msg.substr(0, msg.find(':'))});
            }
        }
    }

    Conn& smtp_session(Id pid, std::string_view relay) {
        auto it = smtp.find(pid);
        if (it != smtp.end()) {
            std::string& current = it->second.relay;
            if (current == relay) {
                return it->second;
            }
            // "TLS is required ... by host H[ip]" names no port; the status line that follows
            // says "relay=H[ip]:port" for the same session.
            if (relay.size() > current.size() && relay.starts_with(current) &&
                relay[current.size()] == ':' && current.find("]:") == std::string::npos) {
                current = std::string{relay};
                return it->second;
            }
        }
        Conn& c = open(smtp, pid, true);
        c.relay = std::string{relay};
        return c;
    }

    static std::string_view relay_of_tls_line(std::string_view msg, std::string_view marker) {
        // "Untrusted TLS connection established to mx.example.com[192.0.2.1]:25: TLSv1.2 ..."
        const auto start = msg.find(marker);
        std::string_view rest = msg.substr(start + marker.size());
        const auto end = rest.find(": ");
        return rest.substr(0, end);
    }

    void postfix_smtp(Id pid, std::string_view msg) {
        if (msg.find("TLS connection established to ") != std::string_view::npos) {
            tls_established(smtp_session(pid, relay_of_tls_line(msg, "established to ")), msg);
        } else if (starts_with(msg, "SSL_connect error to ")) {
            Conn& c = smtp_session(pid, relay_of_tls_line(msg, "error to "));
            c.tls = Tls::failed;
            c.reason =
                names.id("SSL_connect error: " + std::string{msg.substr(msg.rfind(": ") + 2)});
        } else if (msg.find(" to=<") != std::string_view::npos &&
                   msg.find(" relay=") != std::string_view::npos) {
            const std::string_view queue_id = msg.substr(0, msg.find(':'));
            const auto r = msg.find(" relay=");
            std::string_view relay = msg.substr(r + 7);
            relay = relay.substr(0, relay.find(','));
            if (relay == "none" || relay == "local" || starts_with(relay, "private/")) {
                return;
            }
            Conn& c = smtp_session(pid, relay);
            if (c.domain == 0) {
                c.domain = domain_sym(msg.substr(msg.find(" to=<") + 4));
            }
            const auto status = msg.find(" status=");
            if (msg.find("status=sent") != std::string_view::npos) {
                c.queue_ids.emplace_back(queue_id);
            } else if (status != std::string_view::npos) {
                // Postfix 3.x puts TLS problems in the deferral reason:
                // "status=deferred (TLS is required, but was not offered by host H[ip])".
                std::string_view why = msg.substr(status);
                why = why.substr(std::min(why.size(), why.find('(') + 1));
                why = why.substr(0, why.find(" by host"));
                why = why.substr(
                    0, why.rfind(')') == std::string_view::npos ? why.size() : why.rfind(')'));
                if (why.find("TLS") != std::string_view::npos && c.tls == Tls::none) {
                    c.tls = Tls::failed;
                    c.reason = names.id(why);
                    if (why.find("TLS is required") != std::string_view::npos) {
                        ++report.required_tls_failures;
                    }
                }
            }
        } else if (msg.find("TLS is required, but ") != std::string_view::npos) {
            ++report.required_tls_failures;
            const auto by = msg.find(" by host ");
            std::string host = by == std::string_view::npos
                                   ? std::string{}
                                   : std::string{next_word(msg.substr(by + 9))};
            Conn& c =
                smtp_session(pid, host.empty() ? std::string_view{"?"} : std::string_view{host});
            c.tls = Tls::failed;
            const auto but = msg.find("TLS is required, but ");
            std::string_view why = msg.substr(but);
            c.reason = names.id(why.substr(0, why.find(" by host")));
        }
    }
};

Analyzer::Analyzer(Options options) : m_state(std::make_unique<State>()) {
    m_state->options = std::move(options);
    if (m_state->options.domain) {
        m_state->domain_filter = m_state->lower_sym(*m_state->options.domain);
    }
}

Analyzer::Analyzer(Analyzer&&) noexcept = default;
Analyzer& Analyzer::operator=(Analyzer&&) noexcept = default;
Analyzer::~Analyzer() = default;

void Analyzer::feed(std::string_view line, Format format, std::uint64_t line_number) {
    ++m_state->report.lines;
    if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
    }
    if (line.empty() || (line.front() == ' ' && trim(line).empty())) {
        return;
    }
    if (format == Format::esa) {
        m_state->feed_esa(line, line_number);
    } else {
        m_state->feed_postfix(line, line_number);
    }
}

Report Analyzer::finish() {
    State& s = *m_state;
    // Connections still open at the end of the log: count them as they stand, oldest first.
    std::vector<std::pair<std::uint64_t, Conn*>> left;
    for (auto* table : {&s.icids, &s.dcids, &s.smtpd, &s.smtp}) {
        for (auto& [id, c] : *table) {
            left.emplace_back(c.seq, &c);
        }
    }
    std::sort(left.begin(), left.end());
    for (auto& [seq, c] : left) {
        s.finish_conn(*c);
    }
    s.icids.clear();
    s.dcids.clear();
    s.smtpd.clear();
    s.smtp.clear();
    for (auto [d, t] : {std::pair{&s.report.inbound, &s.inbound_tallies},
                        std::pair{&s.report.outbound, &s.outbound_tallies}}) {
        auto to_map = [&](const std::vector<std::uint64_t>& v,
                          std::map<std::string, std::uint64_t>& m) {
            for (std::size_t sym = 0; sym < v.size(); ++sym) {
                if (v[sym] != 0) {
                    m[s.names.name(static_cast<Sym>(sym))] += v[sym];
                }
            }
        };
        to_map(t->protocols, d->protocols);
        to_map(t->ciphers, d->ciphers);
        to_map(t->failures, d->failures);
        for (std::size_t sym = 0; sym < t->domains.size(); ++sym) {
            const Counts& c = t->domains[sym];
            if (c.connections != 0) {
                d->domains[s.names.name(static_cast<Sym>(sym))].counts = c;
            }
        }
        for (const auto& [key, n] : t->domain_failures) {
            d->domains[s.names.name(key.first)].failures[s.names.name(key.second)] += n;
        }
        for (const auto& [protocol, n] : d->protocols) {
            d->legacy_protocol += is_legacy_protocol(protocol) ? n : 0;
        }
        for (const auto& [cipher, n] : d->ciphers) {
            d->weak_cipher += is_weak_cipher(cipher) ? n : 0;
        }
    }
    return std::move(s.report);
}

}  // namespace certtool::maillog
