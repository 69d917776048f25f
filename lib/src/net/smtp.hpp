// SMTP framing over a net::Stream: command lines out, replies in, multi-line replies joined
// (RFC 5321 4.2). The stream moves the bytes and owns the timeouts; this layer only frames.
#pragma once

#include "net.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace certtool::net {

struct SmtpReply {
    int code{0};
    std::vector<std::string> lines;  // the text after "250-" / "250 ", one per line

    // "250 first | second | last", as the probe reports replies.
    [[nodiscard]] std::string text() const;
};

// "250 ok", "250-first": three digits, then a space, a hyphen or the end of the line.
[[nodiscard]] bool is_reply_line(std::string_view line);

// What the peer sent, printable and at most 60 characters, for "not an SMTP server" messages.
[[nodiscard]] std::string printable(std::string_view s);

// One SMTP conversation on `stream` (borrowed; it must outlive the channel). Failures are
// Error{network} (timed out, closed) or Error{parse} (the peer does not speak SMTP), each
// naming `what` ("EHLO", "the banner").
class SmtpChannel {
public:
    explicit SmtpChannel(Stream& stream) : m_stream(stream) {}

    // Sends `command` followed by CRLF.
    void send(const std::string& command, std::string_view what);

    // The next reply, all of its lines, within one step of the stream's limits.
    [[nodiscard]] SmtpReply read_reply(std::string_view what);

    // After STARTTLS's 220, nothing may be buffered: a server that pipelines plaintext past
    // it is attempting (or suffering) a STARTTLS injection.
    [[nodiscard]] bool has_buffered_input() const noexcept { return !m_buffer.empty(); }

private:
    [[nodiscard]] std::string read_line(Clock::time_point until, std::string_view what);

    Stream& m_stream;
    std::string m_buffer;  // received, not yet returned as a line
};

}  // namespace certtool::net
