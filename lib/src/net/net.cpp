#include "net.hpp"

#include <certtool/error.hpp>

#include <fmt/core.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <thread>

namespace certtool::net {

Socket& Socket::operator=(Socket&& other) noexcept {
    if (this != &other) {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        m_fd = other.m_fd;
        other.m_fd = -1;
    }
    return *this;
}

Socket::~Socket() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

std::string Endpoint::address() const {
    std::array<char, INET6_ADDRSTRLEN> buf{};
    const void* src =
        addr.ss_family == AF_INET6
            ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_addr)
            : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr);
    if (::inet_ntop(addr.ss_family, src, buf.data(), buf.size()) == nullptr) {
        return "?";
    }
    return buf.data();
}

std::uint16_t Endpoint::port() const {
    return ntohs(addr.ss_family == AF_INET6
                     ? reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port
                     : reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
}

std::vector<Endpoint> literal(const std::string& text, std::uint16_t port) {
    Endpoint e;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&e.addr);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&e.addr);
    if (::inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        e.length = sizeof(sockaddr_in);
        return {e};
    }
    if (::inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        e.length = sizeof(sockaddr_in6);
        return {e};
    }
    return {};
}

namespace {

struct AddrInfoFree {
    void operator()(addrinfo* p) const noexcept { freeaddrinfo(p); }
};

}  // namespace

std::vector<Endpoint> resolve(const std::string& host, std::uint16_t port) {
    if (auto l = literal(host, port); !l.empty()) {
        return l;
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* raw = nullptr;
    const std::string service = std::to_string(port);
    if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &raw); rc != 0) {
        throw Error(Errc::network, fmt::format("cannot resolve '{}': {}", host, gai_strerror(rc)));
    }
    const std::unique_ptr<addrinfo, AddrInfoFree> addrs{raw};
    std::vector<Endpoint> out;
    for (const addrinfo* a = addrs.get(); a != nullptr; a = a->ai_next) {
        Endpoint e;
        std::memcpy(&e.addr, a->ai_addr, a->ai_addrlen);
        e.length = a->ai_addrlen;
        out.push_back(e);
    }
    return out;
}

bool wait_for(int fd, short events, Millis timeout) {
    pollfd p{fd, events, 0};
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left =
            std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
        const int rc = ::poll(&p, 1, static_cast<int>(std::max<Millis::rep>(left.count(), 0)));
        if (rc >= 0 || errno != EINTR) {
            return rc == 1;
        }
    }
}

Socket connect(const Endpoint& to, Millis timeout) {
    Socket s{::socket(to.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
    if (!s.valid()) {
        throw Error(Errc::network, fmt::format("cannot create a socket: {}", std::strerror(errno)));
    }
    if (::connect(s.fd(), reinterpret_cast<const sockaddr*>(&to.addr), to.length) != 0 &&
        errno != EINPROGRESS) {
        throw Error(Errc::network,
                    fmt::format("connection to {} port {} failed: {}",
                                to.address(),
                                to.port(),
                                std::strerror(errno)));
    }
    if (!wait_for(s.fd(), POLLOUT, timeout)) {
        throw Error(Errc::network,
                    fmt::format("connection to {} port {} timed out after {} ms",
                                to.address(),
                                to.port(),
                                timeout.count()));
    }
    int err = 0;
    socklen_t len = sizeof(err);
    if (::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        throw Error(Errc::network,
                    fmt::format("connection to {} port {} failed: {}",
                                to.address(),
                                to.port(),
                                std::strerror(err)));
    }
    return s;
}

void send_all(int fd, std::string_view data, Millis timeout, std::string_view what) {
    while (!data.empty()) {
        if (!wait_for(fd, POLLOUT, timeout)) {
            throw Error(Errc::network,
                        fmt::format("timed out after {} ms sending {}", timeout.count(), what));
        }
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n <= 0) {
            throw Error(Errc::network,
                        fmt::format("sending {} failed: {}", what, std::strerror(errno)));
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::string receive_some(int fd, std::size_t max, Millis timeout, std::string_view what) {
    std::string buf(max, '\0');
    for (;;) {
        if (!wait_for(fd, POLLIN, timeout)) {
            throw Error(Errc::network,
                        fmt::format("timed out after {} ms waiting for {}", timeout.count(), what));
        }
        const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n < 0) {
            throw Error(Errc::network,
                        fmt::format("receiving {} failed: {}", what, std::strerror(errno)));
        }
        buf.resize(static_cast<std::size_t>(n));
        return buf;
    }
}

std::string udp_exchange(const Endpoint& to,
                         std::string_view request,
                         Millis timeout,
                         const std::function<bool(std::string_view)>& is_reply) {
    const Socket s{::socket(to.addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
    if (!s.valid() ||
        ::connect(s.fd(), reinterpret_cast<const sockaddr*>(&to.addr), to.length) != 0 ||
        ::send(s.fd(), request.data(), request.size(), 0) != static_cast<ssize_t>(request.size())) {
        throw Error(Errc::network,
                    fmt::format("cannot send a datagram to {} port {}: {}",
                                to.address(),
                                to.port(),
                                std::strerror(errno)));
    }
    const auto deadline = Clock::now() + timeout;
    std::array<char, 65535> buf{};
    for (;;) {
        const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
        if (left.count() <= 0 || !wait_for(s.fd(), POLLIN, left)) {
            throw Error(Errc::network,
                        fmt::format("no reply from {} port {} within {} ms",
                                    to.address(),
                                    to.port(),
                                    timeout.count()));
        }
        const ssize_t n = ::recv(s.fd(), buf.data(), buf.size(), 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n < 0) {  // e.g. ICMP port unreachable: nothing listens there
            throw Error(
                Errc::network,
                fmt::format(
                    "no reply from {} port {}: {}", to.address(), to.port(), std::strerror(errno)));
        }
        const std::string_view reply{buf.data(), static_cast<std::size_t>(n)};
        if (is_reply(reply)) {
            return std::string{reply};
        }
    }
}

std::string tcp_exchange(const Endpoint& to,
                         std::string_view request,
                         Millis timeout,
                         std::string_view what,
                         std::size_t max_reply,
                         const std::function<std::size_t(std::string_view)>& reply_size) {
    const Socket s = connect(to, timeout);
    send_all(s.fd(), request, timeout, what);
    std::string in;
    while (in.size() < std::min(reply_size(in), max_reply)) {
        const std::string more = receive_some(
            s.fd(), max_reply - in.size(), timeout, fmt::format("the reply to {}", what));
        if (more.empty()) {
            throw Error(Errc::network,
                        fmt::format("{} port {} closed the connection before the reply to {} was "
                                    "complete",
                                    to.address(),
                                    to.port(),
                                    what));
        }
        in += more;
    }
    return in;
}

TimeLimits TimeLimits::starting_now(Millis step, Millis budget) {
    const auto now = Clock::now();
    if (budget >= std::chrono::duration_cast<Millis>(Clock::time_point::max() - now)) {
        return {step, Clock::time_point::max(), budget};
    }
    return {step, now + budget, budget};
}

Clock::time_point TimeLimits::step_end() const {
    const auto now = Clock::now();
    return deadline - now < step ? deadline : now + step;
}

Millis TimeLimits::step_left() const {
    return std::max(Millis{0}, std::chrono::ceil<Millis>(step_end() - Clock::now()));
}

Error TimeLimits::deadline_error(std::string_view doing) const {
    return {Errc::network,
            fmt::format("the {} ms deadline for the whole probe passed {}", budget.count(), doing)};
}

namespace {

Millis left_until(Clock::time_point until) {
    return std::max(Millis{0}, std::chrono::ceil<Millis>(until - Clock::now()));
}

// SSL_set_msg_callback's hook: keeps the header of the first record the peer sends, which
// OpenSSL reports before it checks it (a record it rejects included).
void keep_first_record_header(int write_p,
                              int /*version*/,
                              int content_type,
                              const void* buf,
                              std::size_t len,
                              SSL* /*ssl*/,
                              void* arg) {
    auto* first = static_cast<std::string*>(arg);
    if (write_p == 0 && content_type == SSL3_RT_HEADER && first->empty()) {
        first->assign(static_cast<const char*>(buf), len);
    }
}

}  // namespace

void Stream::start_tls(SSL_CTX* ctx, const std::string& sni) {
    m_ssl.reset(SSL_new(ctx));
    if (!m_ssl || SSL_set_fd(m_ssl.get(), m_socket.fd()) != 1) {
        throw Error(Errc::crypto, "cannot set up TLS: " + ossl::drain_errors());
    }
    if (!sni.empty()) {
        // SSL_set_tlsext_host_name without its C cast; OpenSSL copies the name.
        std::string name = sni;
        SSL_ctrl(m_ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, name.data());
    }
    SSL_set_msg_callback(m_ssl.get(), keep_first_record_header);
    SSL_set_msg_callback_arg(m_ssl.get(), &m_first_record);
    SSL_set_connect_state(m_ssl.get());
    try {
        handshake(m_limits.step_end());
    } catch (const Error&) {
        keep_cleartext_reply();
        throw;
    }
    SSL_set_msg_callback(m_ssl.get(), nullptr);
}

void Stream::handshake(Clock::time_point until) {
    for (;;) {
        ossl::clear_errors();
        const int rc = SSL_do_handshake(m_ssl.get());
        if (rc == 1) {
            return;
        }
        wait_tls(SSL_get_error(m_ssl.get(), rc), until, "the TLS handshake");
    }
}

// A TLS record starts with its content type, 20 to 24 (RFC 8446 5.1); anything else is the peer
// speaking another protocol. OpenSSL read only the 5-octet header: the rest is still unread.
void Stream::keep_cleartext_reply() {
    if (m_first_record.empty()) {
        return;
    }
    const auto type = static_cast<unsigned char>(m_first_record.front());
    if (type >= 20 && type <= 24) {
        return;
    }
    m_cleartext = m_first_record;
    try {
        if (wait_for(m_socket.fd(), POLLIN, Millis{0})) {
            m_cleartext += receive_some(m_socket.fd(), 4096, Millis{0}, "the peer's reply");
        }
    } catch (const Error&) {  // what was read is enough to say what the peer speaks
    }
}

void Stream::write(std::string_view data, std::string_view what) {
    const auto until = m_limits.step_end();
    if (!m_ssl) {
        try {
            send_all(m_socket.fd(), data, left_until(until), what);
        } catch (const Error&) {
            if (m_limits.at_deadline(until) && Clock::now() + Millis{1} >= until) {
                deadline_passed(fmt::format("sending {}", what));
            }
            throw;
        }
        return;
    }
    while (!data.empty()) {
        std::size_t n = 0;
        ossl::clear_errors();
        const int rc = SSL_write_ex(m_ssl.get(), data.data(), data.size(), &n);
        if (rc == 1) {
            data.remove_prefix(n);
            continue;
        }
        wait_tls(SSL_get_error(m_ssl.get(), rc), until, what);
    }
}

std::string Stream::read_some(Clock::time_point until, std::string_view what) {
    if (!m_ssl) {
        if (!wait_for(m_socket.fd(), POLLIN, left_until(until))) {
            if (m_limits.at_deadline(until)) {
                deadline_passed(fmt::format("waiting for {}", what));
            }
            throw Error(
                Errc::network,
                fmt::format("timed out after {} ms waiting for {}", m_limits.step.count(), what));
        }
        return receive_some(m_socket.fd(), 4096, m_limits.step, what);
    }
    std::array<char, 4096> buf{};
    for (;;) {
        std::size_t n = 0;
        ossl::clear_errors();
        const int rc = SSL_read_ex(m_ssl.get(), buf.data(), buf.size(), &n);
        if (rc == 1) {
            return {buf.data(), n};
        }
        const int err = SSL_get_error(m_ssl.get(), rc);
        if (err == SSL_ERROR_ZERO_RETURN) {
            return {};
        }
        wait_tls(err, until, what);
    }
}

// Waits as OpenSSL asks, or throws with the reason the TLS operation failed.
void Stream::wait_tls(int err, Clock::time_point until, std::string_view what) {
    short events = 0;
    if (err == SSL_ERROR_WANT_READ) {
        events = POLLIN;
    } else if (err == SSL_ERROR_WANT_WRITE) {
        events = POLLOUT;
    } else {
        const int saved_errno = errno;
        std::string reason = ossl::drain_errors();
        if (reason.empty()) {
            reason = err == SSL_ERROR_SYSCALL && saved_errno != 0
                         ? std::strerror(saved_errno)
                         : "the server closed the connection";
        }
        throw Error(Errc::network, fmt::format("{} failed: {}", what, reason));
    }
    if (!wait_for(m_socket.fd(), events, left_until(until))) {
        if (m_limits.at_deadline(until)) {
            deadline_passed(fmt::format("during {}", what));
        }
        throw Error(Errc::network,
                    fmt::format("timed out after {} ms during {}", m_limits.step.count(), what));
    }
}

// poll() counts whole milliseconds: a wait that ends at the deadline may end a fraction of one
// early. Once the deadline is what ended a step, it has passed for every later check as well.
void Stream::deadline_passed(std::string_view doing) const {
    std::this_thread::sleep_until(m_limits.deadline);
    throw m_limits.deadline_error(doing);
}

}  // namespace certtool::net
