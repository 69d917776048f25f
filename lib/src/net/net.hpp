// Sockets with deadlines: the one home for sockets in certtool (AIA fetching, SMTP probes, DNS
// queries to an explicit server). Every blocking step takes a timeout and throws Error{network}
// with a one-line reason ("connection refused", "timed out after 5000 ms waiting for the banner").
#pragma once

#include "ossl.hpp"

#include <certtool/error.hpp>

#include <openssl/types.h>

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace certtool::net {

using Millis = std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

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

// One request datagram to `to`, and the first datagram back for which `is_reply` holds (others,
// stale or spoofed, are skipped). Throws Error{network} if the socket fails (an ICMP "port
// unreachable" included) or no reply arrives within `timeout` of sending.
[[nodiscard]] std::string udp_exchange(const Endpoint& to,
                                       std::string_view request,
                                       Millis timeout,
                                       const std::function<bool(std::string_view)>& is_reply);

// Connects to `to`, sends `request`, and reads until the reply is complete: `reply_size(bytes
// so far)` says how long it must be (at most `max_reply`). Each step has `timeout`. Throws
// Error{network} (refused, timed out, closed before the reply was complete).
[[nodiscard]] std::string tcp_exchange(
    const Endpoint& to,
    std::string_view request,
    Millis timeout,
    std::string_view what,
    std::size_t max_reply,
    const std::function<std::size_t(std::string_view)>& reply_size);

// The time limits of one conversation: every blocking step may take `step` from its start, and
// none may go past `deadline`, the end of the whole conversation (`budget` after it began).
struct TimeLimits {
    Millis step{10000};
    Clock::time_point deadline{Clock::time_point::max()};
    Millis budget{Millis::max()};

    // Limits for a conversation that starts now.
    [[nodiscard]] static TimeLimits starting_now(Millis step, Millis budget);

    // When a step that starts now must end: after `step`, or at the deadline if that is sooner.
    [[nodiscard]] Clock::time_point step_end() const;
    // The time from now to step_end(), at least 0.
    [[nodiscard]] Millis step_left() const;

    [[nodiscard]] bool passed() const { return Clock::now() >= deadline; }

    // Whether a step ending at `until` ends at the deadline rather than after its own timeout.
    [[nodiscard]] bool at_deadline(Clock::time_point until) const { return until >= deadline; }

    // Error{network}: "the 9000 ms deadline for the whole probe passed <doing>".
    [[nodiscard]] Error deadline_error(std::string_view doing) const;
};

// A connected TCP byte stream: in clear, then over TLS once start_tls() succeeds. Every read and
// write is bounded by the limits; failures throw Error{network} naming the step ("timed out
// after 5000 ms waiting for EHLO", "the TLS handshake failed: ...", "the 9000 ms deadline for the
// whole probe passed waiting for EHLO").
class Stream {
public:
    Stream(Socket socket, TimeLimits limits) : m_socket(std::move(socket)), m_limits(limits) {}

    // The client side of a TLS handshake on this connection, with SNI `sni` unless empty; `ctx`
    // is borrowed for the call (the SSL object keeps its own reference). Throws Error{crypto} if
    // OpenSSL cannot set up, Error{network} if the handshake fails or times out; then
    // cleartext_reply() says whether the peer answered in clear.
    void start_tls(SSL_CTX* ctx, const std::string& sni);

    // Writes all of `data` (in clear or over TLS).
    void write(std::string_view data, std::string_view what);

    // Up to 4096 bytes, waiting until `until` at most; "" at the end of the stream.
    [[nodiscard]] std::string read_some(Clock::time_point until, std::string_view what);

    // After start_tls() failed because the peer's first bytes were not a TLS record: those bytes
    // and whatever else it had sent (a plaintext protocol's greeting), else "".
    [[nodiscard]] const std::string& cleartext_reply() const noexcept { return m_cleartext; }

    // The TLS session after start_tls(), else nullptr (borrowed).
    [[nodiscard]] SSL* ssl() const noexcept { return m_ssl.get(); }

    [[nodiscard]] int fd() const noexcept { return m_socket.fd(); }

    [[nodiscard]] const TimeLimits& limits() const noexcept { return m_limits; }

private:
    void handshake(Clock::time_point until);
    void keep_cleartext_reply();
    [[noreturn]] void deadline_passed(std::string_view doing) const;
    void wait_tls(int err, Clock::time_point until, std::string_view what);

    Socket m_socket;
    ossl::SslPtr m_ssl;
    TimeLimits m_limits;
    std::string m_first_record;  // the first record header the peer sent during the handshake
    std::string m_cleartext;
};

}  // namespace certtool::net
