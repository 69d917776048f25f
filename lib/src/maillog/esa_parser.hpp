// The appliance (Cisco/IronPort AsyncOS "mail_logs") format:
//   "Tue Apr 17 00:57:54 2018 Info: ICID 590125205 TLS success protocol TLSv1 cipher ..."
// Each line is read into facts for the TallySink; events are listed in README "mail-log".
#pragma once

#include "tally_sink.hpp"

#include <cstdint>
#include <string_view>

namespace certtool::maillog {

class EsaParser {
public:
    explicit EsaParser(TallySink& sink) : m_sink(sink) {}

    // One line without its newline, not blank. line_number is for malformed-line examples.
    void feed(std::string_view line, std::uint64_t line_number);

private:
    void dispatch(std::string_view msg);
    bool event(std::string_view msg);
    bool conn_line(bool outbound, std::string_view rest);
    bool connection_opened(bool outbound, std::string_view rest);
    bool message_started(std::string_view rest);
    bool delivery_started(std::string_view rest);
    bool connection_error(std::string_view rest);
    void message_finished(std::string_view rest);
    void recipient_line(std::string_view msg);
    void conn_event(ConnTable table, Id id, std::string_view rest);
    void tls_success(ConnTable table, Id id, std::string_view rest);
    void tls_failed(ConnTable table, Id id, std::string_view rest);
    void recipient(Id mid, std::string_view rest);
    [[nodiscard]] Sym delivery_domain(Id mid, std::string_view rest);

    TallySink& m_sink;
};

}  // namespace certtool::maillog
