#include "http01.hpp"

#include <certtool/error.hpp>

#include <fmt/core.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace certtool::detail {

namespace {

constexpr std::string_view k_prefix = "/.well-known/acme-challenge/";
constexpr std::size_t k_max_request = 8192;
constexpr int k_connection_ms = 5000;  // to read one request

void close_fd(int& fd) noexcept {
    if (fd >= 0) {
        ::close(fd);
        fd = -1;
    }
}

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

Http01Responder::Http01Responder(const std::string& address, int port) {
    sockaddr_storage addr{};
    socklen_t len = 0;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
    if (port < 1 || port > 65535) {
        throw Error(Errc::invalid_argument, fmt::format("--http-port {} is not a port", port));
    }
    if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<std::uint16_t>(port));
        len = sizeof(sockaddr_in);
    } else if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<std::uint16_t>(port));
        len = sizeof(sockaddr_in6);
    } else {
        throw Error(Errc::invalid_argument,
                    fmt::format("--http-address '{}' is not an IP address", address));
    }
    m_listen = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    if (m_listen < 0 || ::setsockopt(m_listen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        ::bind(m_listen, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(m_listen, 16) != 0 || ::pipe2(m_stop, O_CLOEXEC) != 0) {
        const int err = errno;
        close_fd(m_listen);
        close_fd(m_stop[0]);
        close_fd(m_stop[1]);
        throw Error(Errc::io,
                    fmt::format("cannot listen on {}:{} for the http-01 challenge: {}{}",
                                address,
                                port,
                                std::strerror(err),
                                err == EACCES ? " (ports below 1024 need root or "
                                                "CAP_NET_BIND_SERVICE)"
                                              : ""));
    }
    m_thread = std::thread([this] { serve(); });
}

Http01Responder::~Http01Responder() {
    const char stop = 's';
    static_cast<void>(::write(m_stop[1], &stop, 1));
    if (m_thread.joinable()) {
        m_thread.join();
    }
    close_fd(m_listen);
    close_fd(m_stop[0]);
    close_fd(m_stop[1]);
}

void Http01Responder::add(const std::string& token, const std::string& key_authorization) {
    const std::lock_guard lock{m_mutex};
    m_tokens[token] = key_authorization;
}

int Http01Responder::answered() const {
    const std::lock_guard lock{m_mutex};
    return m_answered;
}

void Http01Responder::serve() noexcept {
    for (;;) {
        std::array<pollfd, 2> fds{pollfd{m_listen, POLLIN, 0}, pollfd{m_stop[0], POLLIN, 0}};
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        if (fds[1].revents != 0) {
            return;
        }
        if ((fds[0].revents & POLLIN) != 0) {
            const int fd = ::accept4(m_listen, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd >= 0) {
                answer(fd);
                ::close(fd);
            }
        }
    }
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
