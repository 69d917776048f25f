#include "http01.hpp"

#include <certtool/error.hpp>

#include <fmt/core.h>

#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <chrono>

namespace certtool::detail {

namespace {

constexpr std::string_view k_prefix = "/.well-known/acme-challenge/";
constexpr std::size_t k_max_request = 8192;
constexpr int k_connection_ms = StandaloneListener::k_connection_ms;  // to read one request

void send_all(int fd, std::string_view data) noexcept {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0) {
            return;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::string reply(int status, std::string_view reason, std::string_view body, bool head) {
    return fmt::format(
        "HTTP/1.1 {} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: "
        "close\r\n\r\n{}",
        status,
        reason,
        body.size(),
        head ? std::string_view{} : body);
}

}  // namespace

Http01Responder::Http01Responder(const std::string& address, int port)
    : m_listener{address, port, "http-01", "--http-port", [this](int fd) { answer(fd); }} {}

void Http01Responder::add(const std::string& token, const std::string& key_authorization) {
    const std::lock_guard lock{m_mutex};
    m_tokens[token] = key_authorization;
}

int Http01Responder::answered() const {
    const std::lock_guard lock{m_mutex};
    return m_answered;
}

void Http01Responder::answer(int fd) noexcept {
    try {
        std::string request;
        const auto deadline =
            std::chrono::steady_clock::now() + std::chrono::milliseconds{k_connection_ms};
        while (request.find("\r\n\r\n") == std::string::npos && request.size() < k_max_request) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            pollfd p{fd, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
                return;
            }
            std::array<char, 2048> buf{};
            const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
            if (n <= 0) {
                return;
            }
            request.append(buf.data(), static_cast<std::size_t>(n));
        }
        // "GET /.well-known/acme-challenge/TOKEN HTTP/1.1"
        const std::string_view line = std::string_view{request}.substr(0, request.find("\r\n"));
        const std::size_t sp1 = line.find(' ');
        const std::size_t sp2 = line.find(' ', sp1 + 1);
        const std::string_view method = line.substr(0, sp1);
        const std::string_view target = sp1 == std::string_view::npos
                                            ? std::string_view{}
                                            : line.substr(sp1 + 1, sp2 - sp1 - 1);
        if (method != "GET" && method != "HEAD") {
            send_all(fd, reply(405, "Method Not Allowed", "", false));
            return;
        }
        std::string body;
        if (target.starts_with(k_prefix)) {
            const std::lock_guard lock{m_mutex};
            const auto it = m_tokens.find(std::string{target.substr(k_prefix.size())});
            if (it != m_tokens.end()) {
                body = it->second;
                ++m_answered;
            }
        }
        send_all(fd,
                 body.empty() ? reply(404, "Not Found", "", method == "HEAD")
                              : reply(200, "OK", body, method == "HEAD"));
    } catch (...) {  // NOLINT(bugprone-empty-catch): one connection's trouble (memory) never
                     // ends the responder; the CA asks again
    }
}

}  // namespace certtool::detail
