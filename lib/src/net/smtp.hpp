// SMTP framing over a net::Stream: command lines out, replies in, multi-line replies joined
// (RFC 5321 4.2). The stream moves the bytes and owns the timeouts; this layer only frames.
// The framing itself (ReplyParser, ehlo_keywords) takes bytes, not a socket, so that tests and
// fuzz/smtp_reply.cpp reach it without a server.
#pragma once

#include "net.hpp"

#include <optional>
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

// The extension keywords an EHLO reply lists (every line after the greeting), upper case:
// "250-starttls" gives "STARTTLS", "250 SIZE 10240000" gives "SIZE".
[[nodiscard]] std::vector<std::string> ehlo_keywords(const SmtpReply& reply);

// Replies out of received bytes, however the bytes were split: lines end at LF (a CR before it
// is dropped), a reply ends at its "NNN " or bare "NNN" line.
class ReplyParser {
public:
    // Appends bytes as received.
    void push(std::string_view bytes) { m_buffer += bytes; }

    // The next complete reply, or nullopt until more bytes are pushed. Throws Error{parse},
    // naming `what`, for a line that is not a reply line, a code that changes within a
    // multi-line reply, a reply of over 200 lines or a line of over 4096 bytes; the reply being
    // read is then dropped.
    [[nodiscard]] std::optional<SmtpReply> next(std::string_view what);

    // Bytes received and not yet returned in a reply (the start of a line).
    [[nodiscard]] const std::string& buffered() const noexcept { return m_buffer; }

private:
    std::string m_buffer;
    SmtpReply m_reply;  // the lines read so far of a multi-line reply
};

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
    [[nodiscard]] bool has_buffered_input() const noexcept { return !m_parser.buffered().empty(); }

private:
    Stream& m_stream;
    ReplyParser m_parser;  // received, not yet returned as a reply
};

}  // namespace certtool::net
