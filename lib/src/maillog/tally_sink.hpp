// Where the format parsers put what they read: the connections and messages still open (bounded
// tables, the oldest finished early), the interned names, and the tallies that become the Report.
// A parser says what happened ("connection 5 opened", "TLS failed for 5 because R", "message 9
// went over connection 7"); the sink decides what that adds to the report.
#pragma once

#include "id_map.hpp"
#include "interner.hpp"
#include "scan.hpp"

#include <certtool/mail_log.hpp>

#include <array>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace certtool::maillog {

enum class Tls : std::uint8_t { none, success, failed };

// The open-connection tables, one per (format, direction), keyed by the format's own id.
enum class ConnTable : std::uint8_t {
    esa_inbound,       // ICID
    esa_outbound,      // DCID
    postfix_inbound,   // smtpd pid
    postfix_outbound,  // smtp pid (a session: one process talking to one relay)
};

// One connection while it is open.
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

class TallySink {
public:
    explicit TallySink(Options options);

    [[nodiscard]] const Options& options() const noexcept { return m_options; }

    // --- connections. A returned reference is valid until the next open/get/close (IdMap). ---
    // Opens `id` (finishing a connection left open under the same id).
    Conn& open(ConnTable table, Id id);
    // The open connection `id`, opened now if the log began after it was.
    Conn& get(ConnTable table, Id id);
    // The open connection `id`, or nullptr.
    [[nodiscard]] Conn* find(ConnTable table, Id id);
    // Finishes `id` (one opened before the log began is counted as it stands).
    void close(ConnTable table, Id id);

    // --- messages awaiting delivery (appliance): recipients' domains by (MID, RID). ---
    void add_recipient(Id mid, Id rid, Sym domain);
    [[nodiscard]] Sym recipient_domain(Id mid, Id rid);
    void forget_message(Id mid);

    // --- messages sent over an outbound connection: in the clear unless it had TLS ---
    void delivered(Conn& c, Id mid);
    void delivered(Conn& c, std::string_view queue_id);

    // --- names ---
    Sym intern(std::string_view text) { return m_names.id(text); }

    Sym intern_lower(std::string_view text);
    // Lower-cased, interned domain of an address "<user@Example.COM>"; 0 without an '@'.
    Sym domain_of_address(std::string_view address);

    // --- line-level facts ---
    void count_line() noexcept { ++m_report.lines; }

    void count_recognized() noexcept { ++m_report.recognized; }

    [[nodiscard]] std::uint64_t recognized() const noexcept { return m_report.recognized; }

    void malformed(std::string_view line, std::uint64_t number);
    void over_long(std::string_view head, std::uint64_t number);

    void required_tls_failure() noexcept { ++m_report.required_tls_failures; }

    void truncated() noexcept { ++m_report.truncated; }

    // A message received in the clear (outside any connection's delivery list).
    void clear_message(bool outbound, Id id);
    void clear_message(bool outbound, std::string_view id);

    // Time window (--since/--until).
    [[nodiscard]] bool has_window() const noexcept { return m_options.since || m_options.until; }

    [[nodiscard]] bool in_window(std::optional<TimePoint> t) const;

    // Finishes what is still open, oldest first, and returns the report. The sink is spent.
    [[nodiscard]] Report finish();

private:
    // Per direction, indexed by Sym; turned into the report's maps by finish().
    struct Tallies {
        std::vector<std::uint64_t> protocols;
        std::vector<std::uint64_t> ciphers;
        std::vector<std::uint64_t> failures;
        std::vector<Counts> domains;
        std::map<std::pair<Sym, Sym>, std::uint64_t> domain_failures;  // (domain, reason)
    };

    // MID -> recipients' (RID, domain). Most messages have one or two recipients: kept inline.
    struct Recipients {
        // 32 bytes: the table is probed once per recipient line and can hold max_open of these.
        std::array<std::pair<std::uint32_t, Sym>, 2> first{};  // (RID, domain)
        std::uint8_t count{0};
        std::unique_ptr<std::vector<std::pair<Id, Sym>>> more;  // the rare third and later
    };

    struct OpenEntry {
        ConnTable table;
        Id id;
        std::uint64_t seq;
    };

    IdMap<Conn>& table(ConnTable t) { return m_tables[static_cast<std::size_t>(t)]; }

    [[nodiscard]] std::size_t open_count() const;
    void evict_if_needed(std::size_t incoming);
    void compact_open_order();
    void bound_messages(Id newest);
    void erase_message(Id mid);
    void compact_message_order();
    void settle_deliveries(Conn& c);
    [[nodiscard]] bool domain_selected(const Conn& c) const;
    void finish_conn(const Conn& c);
    void tally_tls(const Conn& c, DirectionReport& d, Tallies& t, Counts* dc, Sym domain);
    void note_clear_message(DirectionReport& d, Id id, Sym domain);
    void note_clear_message(DirectionReport& d, std::string_view id, Sym domain);
    void finish_open_connections();
    void fill_direction(DirectionReport& d, const Tallies& t) const;

    Options m_options;
    Report m_report;
    std::array<IdMap<Conn>, 4> m_tables;
    Interner m_names;
    Sym m_unknown_domain{m_names.id("(unknown)")};
    std::optional<Sym> m_domain_filter;
    std::string m_lower_buffer;
    Tallies m_inbound;
    Tallies m_outbound;
    IdMap<Recipients> m_recipients;
    std::deque<OpenEntry> m_open_order;
    std::deque<Id> m_message_order;
    std::size_t m_extra_recipients{0};  // in Recipients::more, all messages: at most max_open
    std::uint64_t m_seq{0};
};

[[nodiscard]] constexpr bool is_outbound(ConnTable t) noexcept {
    return t == ConnTable::esa_outbound || t == ConnTable::postfix_outbound;
}

}  // namespace certtool::maillog
