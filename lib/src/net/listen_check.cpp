#include "net.hpp"

#include <certtool/listen_check.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace certtool {

std::optional<std::string> listen_problem(const std::string& address, std::uint16_t port) {
    const auto endpoints = net::literal(address, port);
    if (endpoints.empty()) {
        return "'" + address + "' is not an IP address";
    }
    const auto& to = endpoints.front();
    const int fd = ::socket(to.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return std::string{std::strerror(errno)};
    }
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    std::optional<std::string> problem;
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&to.addr), to.length) != 0 ||
        ::listen(fd, 1) != 0) {
        problem = std::strerror(errno);
    }
    ::close(fd);
    return problem;
}

}  // namespace certtool
