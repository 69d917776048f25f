// The Postfix format (syslog lines of postfix/smtpd and postfix/smtp, any instance name):
//   "Nov 27 20:00:00 gw postfix/smtpd[100]: connect from client.example[192.0.2.10]"
// Inbound connections are smtpd processes; outbound sessions are an smtp process talking to one
// relay. Each line is read into facts for the TallySink; events are listed in README "mail-log".
#pragma once

#include "tally_sink.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace certtool::maillog {

class PostfixParser {
public:
    explicit PostfixParser(TallySink& sink) : m_sink(sink) {}

    // One line without its newline, not blank. line_number is for malformed-line examples.
    void feed(std::string_view line, std::uint64_t line_number);

private:
    [[nodiscard]] std::optional<TimePoint> syslog_time(std::string_view line);
    void smtpd(Id pid, std::string_view msg);
    void smtp(Id pid, std::string_view msg);
    void tls_established(Conn& c, std::string_view msg);
    Conn& session(Id pid, std::string_view relay);
    void delivery(Id pid, std::string_view msg);
    void deferral_reason(Conn& c, std::string_view msg);
    void tls_required(Id pid, std::string_view msg);

    TallySink& m_sink;
    int m_year_hint{0};  // classic syslog stamps have no year: the time window's is assumed
};

}  // namespace certtool::maillog
