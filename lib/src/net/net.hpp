// Sockets with deadlines: the one home for TCP in certtool (AIA fetching, SMTP probes).
// Every blocking step takes a timeout and throws Error{network} with a one-line reason
// ("connection refused", "timed out after 5000 ms waiting for the banner").
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace certtool::net {

using Millis = std::chrono::milliseconds;

class Socket {
public:
    Socket() = default;

    explicit Socket(int fd) noexcept : m_fd(fd) {}

    Socket(Socket&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }

    Socket& operator=(Socket&& other) noexcept;
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    ~Socket();

    [[nodiscard]] int fd() const noexcept { return m_fd; }

    [[nodiscard]] bool valid() const noexcept { return m_fd >= 0; }

private:
    int m_fd{-1};
};

// One resolved socket address.
struct Endpoint {
    sockaddr_storage addr{};
    socklen_t length{0};
    [[nodiscard]] std::string address() const;  // "192.0.2.1" or "2001:db8::1"
    [[nodiscard]] std::uint16_t port() const;
};

// An IP literal ("127.0.0.1", "::1") as an endpoint, or nothing if `text` is not one.
[[nodiscard]] std::vector<Endpoint> literal(const std::string& text, std::uint16_t port);

// The host's addresses through the system resolver (getaddrinfo). Throws Error{network}.
[[nodiscard]] std::vector<Endpoint> resolve(const std::string& host, std::uint16_t port);

// A connected non-blocking TCP socket. Throws Error{network} ("connection refused",
// "connection timed out after N ms").
[[nodiscard]] Socket connect(const Endpoint& to, Millis timeout);

// Waits until `fd` is ready for `events` (POLLIN/POLLOUT); false on timeout.
[[nodiscard]] bool wait_for(int fd, short events, Millis timeout);

// Sends everything or throws Error{network}; `what` names the step in the message.
void send_all(int fd, std::string_view data, Millis timeout, std::string_view what);

// Up to `max` bytes (at least one), or "" at end of stream. Throws Error{network} on timeout.
[[nodiscard]] std::string receive_some(int fd,
                                       std::size_t max,
                                       Millis timeout,
                                       std::string_view what);

}  // namespace certtool::net
