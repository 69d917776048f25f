#include "esa_parser.hpp"

#include "log_time.hpp"
#include "text.hpp"
#include "tls_reason.hpp"

#include <cstdio>
#include <string>

namespace certtool::maillog {

namespace {

// "Www Mmm dd hh:mm:ss yyyy Level: " - the level word starts at column 25; the message follows
// its colon. npos if the line does not have that shape.
std::size_t message_start(std::string_view line) {
    std::size_t colon = std::string_view::npos;
    if (line.size() > 27 && line[24] == ' ' && line[3] == ' ') {
        for (std::size_t i = 25; i + 1 < line.size() && i < 40; ++i) {
            if (line[i] == ':' && line[i + 1] == ' ') {
                colon = i;
                break;
            }
        }
    }
    // Shape check only ("Www Mmm dd hh:mm:ss"); the month is parsed when a time window needs it.
    if (colon == std::string_view::npos || line[7] != ' ' || line[13] != ':' || line[4] < 'A' ||
        line[4] > 'Z') {
        return std::string_view::npos;
    }
    return colon + 2;
}

// "Tue Apr 17 00:57:53 2018 Info: ..."
std::optional<TimePoint> esa_time(std::string_view line) {
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

ConnTable table_for(bool outbound) {
    return outbound ? ConnTable::esa_outbound : ConnTable::esa_inbound;
}

}  // namespace

void EsaParser::feed(std::string_view line, std::uint64_t line_number) {
    const std::size_t start = message_start(line);
    if (start == std::string_view::npos) {
        m_sink.malformed(line, line_number);
        return;
    }
    m_sink.count_recognized();
    if (m_sink.has_window() && !m_sink.in_window(esa_time(line))) {
        return;
    }
    dispatch(line.substr(start));
}

// One line's message: an event the report needs, or else perhaps a required-TLS failure.
void EsaParser::dispatch(std::string_view msg) {
    if (event(msg)) {
        return;
    }
    // memchr for the rare 'q' first: most lines end here without a second look.
    if (msg.find("quired") != std::string_view::npos &&
        text::ascii_lower(msg).find("tls required") != std::string::npos) {
        m_sink.required_tls_failure();
    }
    // Any other event (ACCEPT, Subject, antivirus, status lines ...) carries no TLS fact.
}

// One character picks the candidates, so most lines cost at most two comparisons. False if the
// line is none of the events read (or its ids do not parse).
bool EsaParser::event(std::string_view msg) {
    switch (msg.empty() ? '\0' : msg.front()) {
        case 'M':
            if (starts_with(msg, "MID ")) {
                recipient_line(msg.substr(4));
                return true;
            }
            if (starts_with(msg, "Message finished MID ")) {
                message_finished(msg.substr(21));
                return true;
            }
            return false;
        case 'I':
            return starts_with(msg, "ICID ") && conn_line(false, msg.substr(5));
        case 'D':
            if (starts_with(msg, "DCID ")) {
                return conn_line(true, msg.substr(5));
            }
            return starts_with(msg, "Delivery start DCID ") && delivery_started(msg.substr(20));
        case 'N':
            return (starts_with(msg, "New SMTP ICID ") || starts_with(msg, "New SMTP DCID ")) &&
                   connection_opened(msg[9] == 'D', msg.substr(14));
        case 'S':
            return starts_with(msg, "Start MID ") && message_started(msg.substr(10));
        case 'C':
            return starts_with(msg, "Connection Error: DCID ") && connection_error(msg.substr(23));
        default:
            return false;
    }
}

// A connection is counted from its own events (opened, TLS, close, ...), never from a message
// that names it; and an id that ends a line may have been cut ("Start MID 190011863 ICID 7000"),
// so it never opens a connection.

// "ICID|DCID n EVENT"
bool EsaParser::conn_line(bool outbound, std::string_view rest) {
    const auto id = take_id(rest);
    if (!id) {
        return false;
    }
    rest = trim(rest);
    if (rest.empty()) {
        m_sink.truncated();  // the line ends with the id: cut short
        return true;
    }
    conn_event(table_for(outbound), *id, rest);
    return true;
}

// "New SMTP ICID|DCID n interface ..."
bool EsaParser::connection_opened(bool outbound, std::string_view rest) {
    const auto id = take_id(rest);
    if (!id) {
        return false;
    }
    if (rest.empty()) {
        m_sink.truncated();  // the line ends with the id: cut short
        return true;
    }
    m_sink.open(table_for(outbound), *id);
    return true;
}

// "Start MID m ICID i": a message received on that connection, if it is open.
bool EsaParser::message_started(std::string_view rest) {
    const auto ids = take_id_pair(rest, " ICID ");  // MID, ICID
    if (!ids) {
        return false;
    }
    const Conn* c = m_sink.find(ConnTable::esa_inbound, ids->second);
    if (c != nullptr && c->tls != Tls::success) {
        m_sink.clear_message(false, ids->first);
    }
    return true;
}

// "Delivery start DCID d MID m to RID [r]": a message handed to an open delivery connection.
bool EsaParser::delivery_started(std::string_view rest) {
    const auto ids = take_id_pair(rest, " MID ");  // DCID, MID
    if (!ids) {
        return false;
    }
    Conn* c = m_sink.find(ConnTable::esa_outbound, ids->first);
    if (c == nullptr) {
        return true;
    }
    m_sink.delivered(*c, ids->second);
    if (c->domain == 0) {
        c->domain = delivery_domain(ids->second, rest);
    }
    return true;
}

// "Connection Error: DCID d domain: D IP:..."
bool EsaParser::connection_error(std::string_view rest) {
    const auto dcid = take_id(rest);
    if (!dcid) {
        return false;
    }
    Conn& c = m_sink.get(ConnTable::esa_outbound, *dcid);
    const auto dom = rest.find("domain: ");
    if (dom != std::string_view::npos && c.domain == 0) {
        c.domain = m_sink.intern_lower(next_word(rest.substr(dom + 8)));
    }
    return true;
}

// "Message finished MID m ...": its recipients are no longer needed.
void EsaParser::message_finished(std::string_view rest) {
    if (auto mid = take_id(rest)) {
        m_sink.forget_message(*mid);
    }
}

// "MID m ...": only "MID m ICID i RID r To: <addr>" carries a fact (the recipient's domain);
// check the shape with cheap skips before parsing any number.
void EsaParser::recipient_line(std::string_view msg) {
    std::string_view probe = msg;
    if (skip_digits(probe) && starts_with(probe, " ICID ")) {
        probe.remove_prefix(6);
        if (skip_digits(probe) && starts_with(probe, " RID ")) {
            if (auto mid = take_id(msg)) {
                recipient(*mid, msg);
            }
        }
    }
}

void EsaParser::conn_event(ConnTable table, Id id, std::string_view rest) {
    if (starts_with(rest, "TLS success")) {
        tls_success(table, id, rest);
    } else if (starts_with(rest, "TLS failed")) {
        tls_failed(table, id, rest);
    } else if (rest == "close") {
        m_sink.close(table, id);
    } else {
        static_cast<void>(m_sink.get(table, id));  // "lost", ACCEPT, ...: still open
    }
}

// "TLS success protocol TLSv1.2 cipher ECDHE-RSA-AES256-GCM-SHA384". The success stands even
// when the line was cut; a value cut short is kept out of the distributions.
void EsaParser::tls_success(ConnTable table, Id id, std::string_view rest) {
    Conn& c = m_sink.get(table, id);
    c.tls = Tls::success;
    const auto p = rest.find("protocol ");
    const auto ci = rest.find("cipher ");
    bool cut = false;
    if (p != std::string_view::npos) {
        const std::string_view protocol = next_word(rest.substr(p + 9));
        cut = ci == std::string_view::npos;  // the cipher always follows: the line ends early
        c.protocol = cut ? 0 : m_sink.intern(protocol);
    }
    if (ci != std::string_view::npos) {
        const std::string_view cipher = next_word(rest.substr(ci + 7));
        const bool last = ci + 7 + cipher.size() == rest.size();
        cut = last && !cipher_looks_whole(cipher);
        c.cipher = cut ? 0 : m_sink.intern(cipher);
    }
    if (cut) {
        m_sink.truncated();
    }
}

// "TLS failed: (336109761, 'error:1408A0C1:SSL routines:...:no shared cipher')"
void EsaParser::tls_failed(ConnTable table, Id id, std::string_view rest) {
    Conn& c = m_sink.get(table, id);
    c.tls = Tls::failed;
    const auto colon = rest.find(':');
    const std::string_view raw =
        colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
    if (reason_cut_short(raw)) {
        m_sink.truncated();
        c.reason = m_sink.intern(ssl_reason_from_code(raw).value_or(k_reason_cut_short));
        return;
    }
    c.reason = m_sink.intern(failure_reason(raw));
}

// "m ICID i RID r To: <mary@yourdomain.com>": remembered until the delivery names RID r.
void EsaParser::recipient(Id mid, std::string_view rest) {
    if (!starts_with(rest, " ICID ")) {
        return;
    }
    rest.remove_prefix(6);
    if (!take_id(rest) || !starts_with(rest, " RID ")) {
        return;
    }
    rest.remove_prefix(5);
    const auto rid = take_id(rest);
    if (!rid || !starts_with(rest, " To: ")) {
        return;
    }
    m_sink.add_recipient(mid, *rid, m_sink.domain_of_address(rest.substr(5)));
}

// " to RID [0, 1]" -> the first RID's domain
Sym EsaParser::delivery_domain(Id mid, std::string_view rest) {
    const auto open_br = rest.find('[');
    if (open_br == std::string_view::npos) {
        return 0;
    }
    std::string_view r = rest.substr(open_br + 1);
    const auto rid = take_id(r);
    return rid ? m_sink.recipient_domain(mid, *rid) : 0;
}

}  // namespace certtool::maillog
