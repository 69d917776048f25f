#include "postfix_parser.hpp"

#include "log_time.hpp"
#include "tls_reason.hpp"

#include <certtool/error.hpp>

#include <cstdio>
#include <ctime>
#include <string>

namespace certtool::maillog {

namespace {

// The parts of "... host postfix/smtpd[123]: message" (also "postfix-inst/smtp[9]:").
struct Tagged {
    std::string_view service;  // "smtpd"
    Id pid{0};
    std::string_view message;
};

// Relay names longer than this are cut ("host[address]:port" fits in 300 bytes).
constexpr std::size_t k_max_relay = 300;

enum class TagResult { ok, other_program, malformed };

TagResult split_tag(std::string_view line, Tagged& out) {
    const auto tag_end = line.find("]: ");
    if (tag_end == std::string_view::npos) {
        // another program's line in a shared syslog file, unless it names postfix
        return line.find("postfix") != std::string_view::npos ? TagResult::malformed
                                                              : TagResult::other_program;
    }
    const auto bracket = line.rfind('[', tag_end);
    const auto space = line.rfind(' ', bracket);
    if (bracket == std::string_view::npos || space == std::string_view::npos) {
        return TagResult::malformed;
    }
    const std::string_view tag = line.substr(space + 1, bracket - space - 1);
    if (tag.find("postfix") == std::string_view::npos) {
        return TagResult::other_program;
    }
    std::string_view pid_text = line.substr(bracket + 1, tag_end - bracket - 1);
    const auto pid = take_id(pid_text);
    const auto slash = tag.rfind('/');
    if (!pid || slash == std::string_view::npos) {
        return TagResult::malformed;
    }
    out = {tag.substr(slash + 1), *pid, line.substr(tag_end + 3)};
    return TagResult::ok;
}

// "Untrusted TLS connection established to mx.example.com[192.0.2.1]:25: TLSv1.2 ..."
std::string_view relay_of_tls_line(std::string_view msg, std::string_view marker) {
    const auto start = msg.find(marker);
    std::string_view rest = msg.substr(start + marker.size());
    const auto end = rest.find(": ");
    return rest.substr(0, end);
}

}  // namespace

void PostfixParser::feed(std::string_view line, std::uint64_t line_number) {
    Tagged t;
    const TagResult r = split_tag(line, t);
    if (r != TagResult::ok) {
        if (r == TagResult::malformed) {
            m_sink.malformed(line, line_number);
        }
        return;
    }
    m_sink.count_recognized();
    if (m_sink.has_window() && !m_sink.in_window(syslog_time(line))) {
        return;
    }
    if (t.service == "smtpd") {
        smtpd(t.pid, t.message);
    } else if (t.service == "smtp") {
        smtp(t.pid, t.message);
    }
}

std::optional<TimePoint> PostfixParser::syslog_time(std::string_view line) {
    if (line.size() > 19 && line[4] == '-' && line[10] == 'T') {  // RFC 3339 (rsyslog)
        try {
            return parse_time(line.substr(0, line.find(' ')));
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
    if (mon < 0 || std::sscanf(head.c_str(), "%d %d:%d:%d", &day, &h, &mi, &s) != 4) {  // NOLINT
        return std::nullopt;
    }
    if (m_year_hint == 0) {
        const auto& o = m_sink.options();
        const std::time_t tt = std::chrono::system_clock::to_time_t(o.since ? *o.since : *o.until);
        std::tm ref_tm{};
        gmtime_r(&tt, &ref_tm);
        m_year_hint = ref_tm.tm_year + 1900;
    }
    return utc_time(m_year_hint, mon, day, h, mi, s);
}

// "...: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"
void PostfixParser::tls_established(Conn& c, std::string_view msg) {
    c.tls = Tls::success;
    const auto with = msg.find(" with cipher ");
    if (with != std::string_view::npos) {
        const auto proto_start = msg.rfind(' ', with - 1);
        c.protocol = m_sink.intern(msg.substr(proto_start + 1, with - proto_start - 1));
        c.cipher = m_sink.intern(next_word(msg.substr(with + 13)));
    }
}

void PostfixParser::smtpd(Id pid, std::string_view msg) {
    constexpr auto table = ConnTable::postfix_inbound;
    if (starts_with(msg, "connect from ")) {
        m_sink.open(table, pid);
    } else if (starts_with(msg, "disconnect from ") || starts_with(msg, "lost connection after")) {
        if (starts_with(msg, "disconnect from ")) {
            m_sink.close(table, pid);
        }
    } else if (msg.find("TLS connection established from ") != std::string_view::npos) {
        tls_established(m_sink.get(table, pid), msg);
    } else if (starts_with(msg, "SSL_accept error from ")) {
        Conn& c = m_sink.get(table, pid);
        c.tls = Tls::failed;
        const auto colon = msg.find(": ");
        c.reason = m_sink.intern(colon == std::string_view::npos
                                     ? std::string{"SSL_accept error"}
                                     : "SSL_accept error: " + std::string{msg.substr(colon + 2)});
    } else if (starts_with(msg, "warning: TLS library problem: ")) {
        Conn& c = m_sink.get(table, pid);
        c.tls = Tls::failed;
        c.reason = m_sink.intern(failure_reason(msg.substr(msg.rfind(':') + 1)));
    } else if (msg.find(": client=") != std::string_view::npos) {
        if (m_sink.get(table, pid).tls != Tls::success) {
            m_sink.clear_message(false, msg.substr(0, msg.find(':')));
        }
    }
}

// The session of smtp process `pid` with `relay`: a new one when the process moved on.
Conn& PostfixParser::session(Id pid, std::string_view relay) {
    constexpr auto table = ConnTable::postfix_outbound;
    relay = relay.substr(0, k_max_relay);
    if (Conn* c = m_sink.find(table, pid)) {
        std::string& current = c->relay;
        if (current == relay) {
            return *c;
        }
        // "TLS is required ... by host H[ip]" names no port; the status line that follows
        // says "relay=H[ip]:port" for the same session.
        if (relay.size() > current.size() && relay.starts_with(current) &&
            relay[current.size()] == ':' && current.find("]:") == std::string::npos) {
            current = std::string{relay};
            return *c;
        }
    }
    Conn& c = m_sink.open(table, pid);
    c.relay = std::string{relay};
    return c;
}

void PostfixParser::smtp(Id pid, std::string_view msg) {
    if (msg.find("TLS connection established to ") != std::string_view::npos) {
        tls_established(session(pid, relay_of_tls_line(msg, "established to ")), msg);
    } else if (starts_with(msg, "SSL_connect error to ")) {
        Conn& c = session(pid, relay_of_tls_line(msg, "error to "));
        c.tls = Tls::failed;
        c.reason =
            m_sink.intern("SSL_connect error: " + std::string{msg.substr(msg.rfind(": ") + 2)});
    } else if (msg.find(" to=<") != std::string_view::npos &&
               msg.find(" relay=") != std::string_view::npos) {
        delivery(pid, msg);
    } else if (msg.find("TLS is required, but ") != std::string_view::npos) {
        tls_required(pid, msg);
    }
}

// "QUEUEID: to=<r@domain>, relay=RELAY, ... status=sent|deferred (...)"
void PostfixParser::delivery(Id pid, std::string_view msg) {
    const std::string_view queue_id = msg.substr(0, msg.find(':'));
    std::string_view relay = msg.substr(msg.find(" relay=") + 7);
    relay = relay.substr(0, relay.find(','));
    if (relay == "none" || relay == "local" || starts_with(relay, "private/")) {
        return;
    }
    Conn& c = session(pid, relay);
    if (c.domain == 0) {
        c.domain = m_sink.domain_of_address(msg.substr(msg.find(" to=<") + 4));
    }
    if (msg.find("status=sent") != std::string_view::npos) {
        m_sink.delivered(c, queue_id);
    } else if (msg.find(" status=") != std::string_view::npos) {
        deferral_reason(c, msg);
    }
}

// Postfix 3.x puts TLS problems in the deferral reason:
// "status=deferred (TLS is required, but was not offered by host H[ip])".
void PostfixParser::deferral_reason(Conn& c, std::string_view msg) {
    std::string_view why = msg.substr(msg.find(" status="));
    why = why.substr(std::min(why.size(), why.find('(') + 1));
    why = why.substr(0, why.find(" by host"));
    why = why.substr(0, why.rfind(')') == std::string_view::npos ? why.size() : why.rfind(')'));
    if (why.find("TLS") != std::string_view::npos && c.tls == Tls::none) {
        c.tls = Tls::failed;
        c.reason = m_sink.intern(why);
        if (why.find("TLS is required") != std::string_view::npos) {
            m_sink.required_tls_failure();
        }
    }
}

// "TLS is required, but was not offered by host H[ip]"
void PostfixParser::tls_required(Id pid, std::string_view msg) {
    m_sink.required_tls_failure();
    const auto by = msg.find(" by host ");
    const std::string host =
        by == std::string_view::npos ? std::string{} : std::string{next_word(msg.substr(by + 9))};
    Conn& c = session(pid, host.empty() ? std::string_view{"?"} : std::string_view{host});
    c.tls = Tls::failed;
    std::string_view why = msg.substr(msg.find("TLS is required, but "));
    c.reason = m_sink.intern(why.substr(0, why.find(" by host")));
}

}  // namespace certtool::maillog
