#include "process.hpp"

#include <certtool/error.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>

namespace certtool::detail {

namespace {

using Clock = std::chrono::steady_clock;

// PATH as the child sees it: the caller's, with /usr/sbin and /sbin added (Postfix's commands
// live there and a user's PATH often lacks them).
std::string search_path() {
    const char* path = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe): read-only use
    std::string result = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
    for (const char* dir : {"/usr/sbin", "/sbin"}) {
        if (result.find(dir) == std::string::npos) {
            result += std::string{":"} + dir;
        }
    }
    return result;
}

std::string find_program(const std::string& program) {
    if (program.find('/') != std::string::npos) {
        return ::access(program.c_str(), X_OK) == 0 ? program : std::string{};
    }
    const std::string path = search_path();
    std::string_view rest{path};
    while (!rest.empty()) {
        const auto colon = rest.find(':');
        const std::string dir{rest.substr(0, colon)};
        rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
        const std::string candidate = (dir.empty() ? std::string{"."} : dir) + "/" + program;
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
    }
    return {};
}

struct Pipe {
    std::array<int, 2> fd{-1, -1};

    Pipe() {
        if (::pipe2(fd.data(), O_CLOEXEC) != 0) {
            throw Error(Errc::io, fmt::format("cannot create a pipe: {}", std::strerror(errno)));
        }
    }

    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    Pipe(Pipe&&) = delete;
    Pipe& operator=(Pipe&&) = delete;

    ~Pipe() {
        close_read();
        close_write();
    }

    void close_read() noexcept {
        if (fd[0] >= 0) {
            ::close(fd[0]);
            fd[0] = -1;
        }
    }

    void close_write() noexcept {
        if (fd[1] >= 0) {
            ::close(fd[1]);
            fd[1] = -1;
        }
    }
};

// In the child, between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_child(const std::string& program,
                             std::vector<char*>& args,
                             int out_fd,
                             int err_fd) {
    ::setpgid(0, 0);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) {
        ::dup2(null_fd, 0);
    }
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::execv(program.c_str(), args.data());
    ::_exit(127);
}

void append_bounded(std::string& to, const char* data, std::size_t n) {
    if (to.size() < k_max_output) {
        to.append(data, std::min(n, k_max_output - to.size()));
    }
}

// What the child wrote before it exited and is still in the pipe (never waits).
void read_available(Pipe& pipe, std::string& to) {
    std::array<char, 4096> buffer{};
    while (pipe.fd[0] >= 0) {
        pollfd fd{pipe.fd[0], POLLIN, 0};
        if (::poll(&fd, 1, 0) <= 0) {
            return;
        }
        const ssize_t n = ::read(pipe.fd[0], buffer.data(), buffer.size());
        if (n <= 0) {
            pipe.close_read();
            return;
        }
        append_bounded(to, buffer.data(), static_cast<std::size_t>(n));
    }
}

// Reads both pipes until the child has exited and they are drained (a daemon the child leaves
// behind may hold them open: the child's exit ends the wait), or the deadline passes. Returns
// the exit status as waitpid() gave it; sets timed_out (the child is then killed).
int drain_and_wait(
    pid_t pid, Pipe& out, Pipe& err, ProcessResult& result, Clock::time_point deadline) {
    std::array<char, 4096> buffer{};
    int status = 0;
    bool exited = false;
    while (!exited) {
        std::array<pollfd, 2> fds{pollfd{out.fd[0], POLLIN, 0}, pollfd{err.fd[0], POLLIN, 0}};
        const int rc = ::poll(fds.data(), fds.size(), 20);
        for (std::size_t i = 0; rc > 0 && i < fds.size(); ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) {
                continue;
            }
            Pipe& pipe = i == 0 ? out : err;
            const ssize_t n = ::read(pipe.fd[0], buffer.data(), buffer.size());
            if (n <= 0) {
                pipe.close_read();
                continue;
            }
            append_bounded(
                i == 0 ? result.out : result.err, buffer.data(), static_cast<std::size_t>(n));
        }
        const bool open = out.fd[0] >= 0 || err.fd[0] >= 0;
        if (rc > 0 && open) {
            continue;  // more to read before looking at the child
        }
        const pid_t w = ::waitpid(pid, &status, WNOHANG);
        exited = w == pid || (w < 0 && errno != EINTR);
        if (!exited && Clock::now() >= deadline) {
            result.timed_out = true;
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            exited = true;
        }
    }
    read_available(out, result.out);
    read_available(err, result.err);
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

std::string package_of(const std::string& program) {
    if (program == "postfix" || program == "postconf" || program == "postmap") {
        return "postfix";
    }
    return program;
}

}  // namespace

std::string ProcessResult::first_problem() const {
    const auto first_line = [](std::string_view text, bool problems_only) -> std::string {
        while (!text.empty()) {
            const auto nl = text.find('\n');
            const std::string_view line = text.substr(0, nl);
            text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
            const bool problem = line.find("fatal:") != std::string_view::npos ||
                                 line.find("error:") != std::string_view::npos;
            if (!line.empty() && (problem || !problems_only)) {
                return std::string{line};
            }
        }
        return {};
    };
    for (const std::string* text : {&err, &out}) {
        if (auto line = first_line(*text, true); !line.empty()) {
            return line;
        }
    }
    if (auto line = first_line(err, false); !line.empty()) {
        return line;
    }
    return first_line(out, false);
}

bool program_available(const std::string& program) {
    return !find_program(program).empty();
}

ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    const std::string program = find_program(argv.at(0));
    if (program.empty()) {
        throw Error(Errc::unsupported,
                    fmt::format("'{}' is not installed: install the Debian package '{}' "
                                "(apt-get install {})",
                                argv.at(0),
                                package_of(argv.at(0)),
                                package_of(argv.at(0))));
    }
    std::vector<std::string> copies{argv};
    std::vector<char*> args;
    args.reserve(copies.size() + 1);
    for (auto& a : copies) {
        args.push_back(a.data());
    }
    args.push_back(nullptr);
    Pipe out;
    Pipe err;
    const auto deadline = Clock::now() + timeout;
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw Error(Errc::io,
                    fmt::format("cannot start '{}': {}", argv.at(0), std::strerror(errno)));
    }
    if (pid == 0) {
        exec_child(program, args, out.fd[1], err.fd[1]);
    }
    out.close_write();
    err.close_write();
    ProcessResult result;
    result.exit_code = drain_and_wait(pid, out, err, result, deadline);
    return result;
}

}  // namespace certtool::detail
