#include "input.hpp"

#include <certtool/error.hpp>

#include <fmt/core.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace certtool::detail {

namespace {

std::string_view kind_of(mode_t mode) {
    if (S_ISDIR(mode)) {
        return "a directory";
    }
    if (S_ISCHR(mode)) {
        return "a character device";
    }
    if (S_ISBLK(mode)) {
        return "a block device";
    }
    if (S_ISSOCK(mode)) {
        return "a socket";
    }
    return "not a regular file";
}

}  // namespace

std::chrono::milliseconds pipe_idle_timeout() {
    constexpr long k_default_seconds = 10;
    const char* text = std::getenv("CERTTOOL_PIPE_TIMEOUT");  // NOLINT(concurrency-mt-unsafe)
    if (text == nullptr || *text == '\0') {
        return std::chrono::seconds{k_default_seconds};
    }
    char* end = nullptr;
    const double seconds = std::strtod(text, &end);
    if (*end != '\0' || !(seconds > 0) || seconds > 86400) {
        return std::chrono::seconds{k_default_seconds};
    }
    return std::chrono::milliseconds{static_cast<long>(seconds * 1000)};
}

namespace {

// poll() for input on a pipe, at most pipe_idle_timeout(). Throws Error{io} on time-out.
void poll_pipe(int fd, std::string_view what) {
    const auto timeout = pipe_idle_timeout();
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready == 0) {
            throw Error(Errc::io,
                        fmt::format("cannot read {}: the pipe delivered nothing for {} s (no "
                                    "writer?): give a regular file, or start the writer first "
                                    "(CERTTOOL_PIPE_TIMEOUT sets the wait)",
                                    what,
                                    static_cast<double>(timeout.count()) / 1000.0));
        }
        return;
    }
}

}  // namespace

void wait_readable(int fd, std::string_view what) {
    struct stat st {};

    if (::fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
        poll_pipe(fd, what);
    }
}

InputFile::InputFile(const std::filesystem::path& path, std::string_view what)
    : m_name(fmt::format("{} '{}'", what, path.string())) {
    if (path == "-") {
        m_fd = ::dup(STDIN_FILENO);
    } else {
        // O_NONBLOCK: open(2) of a FIFO with no writer would otherwise wait for one.
        m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    }
    if (m_fd < 0) {
        const int err = errno;
        throw Error(Errc::io, fmt::format("cannot read {}: {}", m_name, std::strerror(err)));
    }

    struct stat st {};

    if (::fstat(m_fd, &st) != 0) {
        const int err = errno;
        ::close(m_fd);
        throw Error(Errc::io, fmt::format("cannot read {}: {}", m_name, std::strerror(err)));
    }
    if (path == "-") {
        return;
    }
    if (S_ISREG(st.st_mode)) {
        m_size = static_cast<std::size_t>(st.st_size);
        return;
    }
    if (S_ISFIFO(st.st_mode)) {
        m_pipe = true;
        return;
    }
    ::close(m_fd);
    throw Error(Errc::io,
                fmt::format("cannot read {}: it is {}: give a regular file (or a pipe that "
                            "delivers the data)",
                            m_name,
                            kind_of(st.st_mode)));
}

InputFile::~InputFile() {
    ::close(m_fd);
}

std::size_t InputFile::read(char* data, std::size_t size) {
    for (;;) {
        if (m_pipe) {
            poll_pipe(m_fd, m_name);
        }
        const ssize_t n = ::read(m_fd, data, size);
        if (n >= 0) {
            return static_cast<std::size_t>(n);
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN) {  // a non-blocking standard input, or a pipe drained meanwhile
            pollfd p{m_fd, POLLIN, 0};
            if (!m_pipe) {
                ::poll(&p, 1, -1);
            }
            continue;
        }
        const int err = errno;
        throw Error(Errc::io, fmt::format("cannot read {}: {}", m_name, std::strerror(err)));
    }
}

}  // namespace certtool::detail
