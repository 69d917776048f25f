#include "smtp.hpp"

#include <certtool/error.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <utility>

namespace certtool::net {

namespace {

constexpr std::size_t k_max_line = 4096;
constexpr std::size_t k_max_reply_lines = 200;

}  // namespace

bool is_reply_line(std::string_view line) {
    return line.size() >= 3 &&
           std::all_of(line.begin(),
                       line.begin() + 3,
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }) &&
           (line.size() == 3 || line[3] == ' ' || line[3] == '-');
}

std::string SmtpReply::text() const {
    std::string out = std::to_string(code);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        out += i == 0 ? " " : " | ";
        out += lines[i];
    }
    return out;
}

std::string printable(std::string_view s) {
    return certtool::printable(s.substr(0, 60));
}

std::vector<std::string> ehlo_keywords(const SmtpReply& reply) {
    std::vector<std::string> out;
    for (std::size_t i = 1; i < reply.lines.size(); ++i) {
        std::string kw = reply.lines[i].substr(0, reply.lines[i].find(' '));
        std::transform(kw.begin(), kw.end(), kw.begin(), [](unsigned char c) {
            return static_cast<char>(std::toupper(c));
        });
        out.push_back(std::move(kw));
    }
    return out;
}

std::optional<SmtpReply> ReplyParser::next(std::string_view what) {
    for (;;) {
        const auto nl = m_buffer.find('\n');
        if (nl == std::string::npos) {
            if (m_buffer.size() > k_max_line) {
                m_reply = {};
                throw Error(
                    Errc::parse,
                    fmt::format("not an SMTP reply to {}: a line over {} bytes starting '{}'",
                                what,
                                k_max_line,
                                printable(m_buffer)));
            }
            return std::nullopt;
        }
        std::string line = m_buffer.substr(0, nl);
        m_buffer.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (!is_reply_line(line)) {
            m_reply = {};
            throw Error(Errc::parse,
                        fmt::format("not an SMTP reply to {}: '{}'", what, printable(line)));
        }
        const int code = std::stoi(line.substr(0, 3));
        if (m_reply.code != 0 && code != m_reply.code) {
            m_reply = {};
            throw Error(
                Errc::parse,
                fmt::format("inconsistent multi-line reply to {}: '{}'", what, printable(line)));
        }
        m_reply.code = code;
        m_reply.lines.push_back(line.size() > 4 ? line.substr(4) : std::string{});
        if (line.size() == 3 || line[3] == ' ') {
            return std::exchange(m_reply, {});
        }
        if (m_reply.lines.size() > k_max_reply_lines) {
            m_reply = {};
            throw Error(Errc::parse,
                        fmt::format("reply to {} has over {} lines", what, k_max_reply_lines));
        }
    }
}

void SmtpChannel::send(const std::string& command, std::string_view what) {
    m_stream.write(command + "\r\n", what);
}

SmtpReply SmtpChannel::read_reply(std::string_view what) {
    const auto until = m_stream.limits().step_end();
    for (;;) {
        if (auto reply = m_parser.next(what)) {
            return std::move(*reply);
        }
        const std::string chunk = m_stream.read_some(until, what);
        if (chunk.empty()) {
            if (!m_parser.buffered().empty()) {
                throw Error(Errc::parse,
                            fmt::format("not an SMTP reply to {}: '{}' then the connection closed",
                                        what,
                                        printable(m_parser.buffered())));
            }
            throw Error(
                Errc::network,
                fmt::format("the server closed the connection instead of answering {}", what));
        }
        m_parser.push(chunk);
    }
}

}  // namespace certtool::net
