#include "listener.hpp"

#include <certtool/error.hpp>

#include <fmt/core.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace certtool::detail {

namespace {

void close_fd(int& fd) noexcept {
    if (fd >= 0) {
        ::close(fd);
        fd = -1;
    }
}

}  // namespace

StandaloneListener::StandaloneListener(const std::string& address,
                                       int port,
                                       std::string_view challenge,
                                       std::string_view option,
                                       std::function<void(int fd)> serve)
    : m_serve{std::move(serve)} {
    sockaddr_storage addr{};
    socklen_t len = 0;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
    if (port < 1 || port > 65535) {
        throw Error(Errc::invalid_argument, fmt::format("{} {} is not a port", option, port));
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
                    fmt::format("--listen-address '{}' is not an IP address", address));
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
                    fmt::format("cannot listen on {}:{} for the {} challenge: {}{}",
                                address,
                                port,
                                challenge,
                                std::strerror(err),
                                err == EACCES ? " (ports below 1024 need root or "
                                                "CAP_NET_BIND_SERVICE)"
                                              : ""));
    }
    m_thread = std::thread([this] { run(); });
}

StandaloneListener::~StandaloneListener() {
    const char stop = 's';
    static_cast<void>(::write(m_stop[1], &stop, 1));
    if (m_thread.joinable()) {
        m_thread.join();
    }
    close_fd(m_listen);
    close_fd(m_stop[0]);
    close_fd(m_stop[1]);
}

void StandaloneListener::run() noexcept {
    // A peer that closes first must not end the process: writes to it fail with EPIPE here
    // instead (TLS writes go through OpenSSL's socket BIO, which cannot pass MSG_NOSIGNAL).
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
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
                const timeval limit{StandaloneListener::k_connection_ms / 1000, 0};
                ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
                ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
                m_serve(fd);
                ::close(fd);
            }
        }
    }
}

}  // namespace certtool::detail
