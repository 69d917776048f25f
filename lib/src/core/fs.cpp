#include "fs.hpp"

#include "input.hpp"

#include <certtool/error.hpp>

#include <fmt/core.h>

#include <fcntl.h>
#include <stdio.h>  // NOLINT(modernize-deprecated-headers): renameat2 is only in the C header
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>

namespace certtool::detail {

namespace fs = std::filesystem;

namespace {

std::string errno_text(int err) {
    return std::strerror(err);
}

// Temporaries are ".NAME" + k_temp_marker + "PID.RANDOM" (fs.hpp, parse_temporary_name).
constexpr std::string_view k_temp_marker = ".certtool-tmp.";
constexpr std::size_t k_random_digits = 16;

// True when no process `pid` exists (0: unknown writer, never gone by this test).
bool writer_gone(long pid) {
    return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

std::string random_suffix() {
    static thread_local std::mt19937_64 rng{std::random_device{}() ^
                                            static_cast<std::uint64_t>(::getpid())};
    return fmt::format("{:016x}", rng());
}

fs::path parent_or_dot(const fs::path& p) {
    fs::path parent = p.parent_path();
    return parent.empty() ? fs::path{"."} : parent;
}

}  // namespace

Fd::~Fd() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

namespace {

// Reads through `read` (0 at the end) into one string of at most max_bytes, sized from `hint`
// (a regular file's size: one read, and one more to see the end) or growing.
template <typename Read>
std::string read_bounded(Read&& read,
                         std::size_t hint,
                         const fs::path& path,
                         std::string_view what,
                         std::size_t max_bytes) {
    std::string out;
    out.resize(hint > 0 && hint <= max_bytes ? hint + 1 : std::size_t{4096});
    std::size_t len = 0;
    for (;;) {
        if (len == out.size()) {
            out.resize(std::min(out.size() * 2, max_bytes + 1));
        }
        const std::size_t n = read(out.data() + len, out.size() - len);
        if (n == 0) {
            break;
        }
        len += n;
        if (len > max_bytes) {
            throw Error(
                Errc::parse,
                fmt::format("{} '{}' is larger than {} bytes", what, path.string(), max_bytes));
        }
    }
    out.resize(len);
    return out;
}

}  // namespace

std::string read_file(const fs::path& path, std::string_view what, std::size_t max_bytes) {
    InputFile in(path, what);
    return read_bounded([&](char* data, std::size_t size) { return in.read(data, size); },
                        in.size_hint(),
                        path,
                        what,
                        max_bytes);
}

std::string read_all(const Fd& fd,
                     const fs::path& path,
                     std::string_view what,
                     std::size_t max_bytes) {
    struct stat st {};

    if (::fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode)) {
        throw Error(Errc::io,
                    fmt::format("cannot read {} '{}': it is a directory", what, path.string()));
    }
    const auto read = [&](char* data, std::size_t size) -> std::size_t {
        for (;;) {
            const ssize_t n = ::read(fd.get(), data, size);
            if (n >= 0) {
                return static_cast<std::size_t>(n);
            }
            if (errno != EINTR) {
                const int err = errno;
                throw Error(
                    Errc::io,
                    fmt::format("cannot read {} '{}': {}", what, path.string(), errno_text(err)));
            }
        }
    };
    return read_bounded(read,
                        S_ISREG(st.st_mode) ? static_cast<std::size_t>(st.st_size) : 0,
                        path,
                        what,
                        max_bytes);
}

std::optional<TemporaryName> parse_temporary_name(std::string_view file) {
    const auto is_hex = [](std::string_view s) {
        return s.size() == k_random_digits && std::all_of(s.begin(), s.end(), [](char c) {
                   return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
               });
    };
    if (file.size() < 2 || file.front() != '.') {
        return std::nullopt;
    }
    // ".NAME.certtool-tmp.PID.RANDOM"
    if (const auto at = file.rfind(k_temp_marker); at != std::string_view::npos && at > 1) {
        const std::string_view rest = file.substr(at + k_temp_marker.size());
        const auto dot = rest.find('.');
        const std::string_view digits = rest.substr(0, dot);
        if (dot != std::string_view::npos && !digits.empty() && digits.size() <= 9 &&
            std::all_of(
                digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
            is_hex(rest.substr(dot + 1))) {
            return TemporaryName{std::string{file.substr(1, at - 1)},
                                 std::stol(std::string{digits})};
        }
    }
    // ".NAME.tmp-RANDOM", written by earlier versions
    constexpr std::string_view legacy = ".tmp-";
    if (file.size() > 1 + legacy.size() + k_random_digits) {
        const auto at = file.size() - k_random_digits - legacy.size();
        if (at > 1 && file.substr(at, legacy.size()) == legacy &&
            is_hex(file.substr(at + legacy.size()))) {
            return TemporaryName{std::string{file.substr(1, at - 1)}, 0};
        }
    }
    return std::nullopt;
}

void remove_stale_temporaries(const fs::path& target) {
    const fs::path dir = parent_or_dot(target);
    const std::string name = target.filename().string();
    const auto now = std::chrono::system_clock::now();
    std::error_code ec;
    for (fs::directory_iterator it{dir, ec}; !ec && it != fs::directory_iterator{};
         it.increment(ec)) {
        const fs::directory_entry& item = *it;
        const auto temp = parse_temporary_name(item.path().filename().string());

        struct stat st {};

        if (!temp || temp->target != name || ::lstat(item.path().c_str(), &st) != 0 ||
            !S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) {
            continue;
        }
        const auto written = std::chrono::system_clock::from_time_t(st.st_mtim.tv_sec);
        if (now - written > k_stale_temporary_age || writer_gone(temp->pid)) {
            ::unlink(item.path().c_str());
        }
    }
}

void remove_all_temporaries(const fs::path& dir) {
    std::error_code ec;
    for (fs::directory_iterator it{dir, ec}; !ec && it != fs::directory_iterator{};
         it.increment(ec)) {
        const fs::directory_entry& item = *it;

        struct stat st {};

        if (parse_temporary_name(item.path().filename().string()) &&
            ::lstat(item.path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
            ::unlink(item.path().c_str());
        }
    }
}

AtomicFile::AtomicFile(fs::path target, unsigned mode, Overwrite overwrite)
    : m_target(std::move(target)), m_overwrite(overwrite) {
    check_output_path(m_target, overwrite);
    remove_stale_temporaries(m_target);
    const fs::path dir = parent_or_dot(m_target);
    for (int attempt = 0; attempt < 16 && m_fd < 0; ++attempt) {
        m_temp = dir / fmt::format(".{}{}{}.{}",
                                   m_target.filename().string(),
                                   k_temp_marker,
                                   ::getpid(),
                                   random_suffix());
        // O_EXCL + mode at creation: the file is never visible with wider permissions.
        m_fd = ::open(
            m_temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode));
        if (m_fd < 0 && errno != EEXIST) {
            const int err = errno;
            throw Error(Errc::io,
                        fmt::format("cannot write '{}': {}: check that the directory '{}' exists "
                                    "and is writable",
                                    m_target.string(),
                                    errno_text(err),
                                    dir.string()));
        }
    }
    if (m_fd < 0) {
        throw Error(Errc::io, fmt::format("cannot create a temporary file in '{}'", dir.string()));
    }
    // umask may have removed bits we want (e.g. 0644 -> 0600 is fine, but keep exactly `mode`
    // for outputs meant to be shared).
    ::fchmod(m_fd, static_cast<mode_t>(mode));
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : m_target(std::move(other.m_target)),
      m_temp(std::move(other.m_temp)),
      m_fd(other.m_fd),
      m_overwrite(other.m_overwrite),
      m_committed(other.m_committed) {
    other.m_fd = -1;
    other.m_committed = true;
}

AtomicFile::~AtomicFile() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
    if (!m_committed && !m_temp.empty()) {
        ::unlink(m_temp.c_str());
    }
}

void AtomicFile::write(std::string_view data) {
    const char* p = data.data();
    std::size_t left = data.size();
    while (left > 0) {
        const ssize_t n = ::write(m_fd, p, left);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            const int err = errno;
            throw Error(Errc::io,
                        fmt::format("cannot write '{}': {}", m_target.string(), errno_text(err)));
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

void AtomicFile::commit() {
    if (::fsync(m_fd) != 0) {
        const int err = errno;
        throw Error(Errc::io,
                    fmt::format("cannot flush '{}': {}", m_target.string(), errno_text(err)));
    }
    ::close(m_fd);
    m_fd = -1;
    crash_point("atomic:before-rename");
    int rc = 0;
    if (m_overwrite == Overwrite::replace) {
        rc = ::rename(m_temp.c_str(), m_target.c_str());
    } else {
        // Refuse to clobber a file that appeared since the constructor checked.
        rc = ::renameat2(AT_FDCWD, m_temp.c_str(), AT_FDCWD, m_target.c_str(), RENAME_NOREPLACE);
    }
    if (rc != 0) {
        const int err = errno;
        if (err == EEXIST) {
            throw Error(
                Errc::already_exists,
                fmt::format("'{}' already exists: use --force to replace it", m_target.string()));
        }
        throw Error(Errc::io,
                    fmt::format("cannot rename into '{}': {}", m_target.string(), errno_text(err)));
    }
    m_committed = true;
    crash_point("atomic:after-rename");
    sync_directory(parent_or_dot(m_target));
}

void write_file_atomic(const fs::path& path,
                       std::string_view data,
                       unsigned mode,
                       Overwrite overwrite) {
    AtomicFile file{path, mode, overwrite};
    file.write(data);
    file.commit();
}

void check_output_path(const fs::path& path, Overwrite overwrite) {
    std::error_code ec;
    const auto status = fs::symlink_status(path, ec);
    if (fs::is_directory(status)) {
        throw Error(
            Errc::io,
            fmt::format("cannot write '{}': it is a directory: name a file", path.string()));
    }
    if (overwrite == Overwrite::refuse && fs::exists(status)) {
        throw Error(Errc::already_exists,
                    fmt::format("'{}' already exists: use --force to replace it", path.string()));
    }
    const fs::path dir = parent_or_dot(path);
    if (!fs::is_directory(dir, ec)) {
        throw Error(
            Errc::io,
            fmt::format(
                "cannot write '{}': directory '{}' does not exist", path.string(), dir.string()));
    }
}

void sync_directory(const fs::path& dir) {
    Fd fd{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (fd.get() >= 0) {
        ::fsync(fd.get());  // best effort: some file systems refuse fsync on directories
    }
}

void create_private_directories(const fs::path& dir) {
    std::error_code ec;
    if (fs::is_directory(dir, ec)) {
        return;
    }
    fs::path partial;
    for (const auto& part : dir) {
        partial /= part;
        if (partial.empty() || fs::is_directory(partial, ec)) {
            continue;
        }
        if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
            const int err = errno;
            throw Error(Errc::io,
                        fmt::format("cannot create directory '{}': {}: choose another "
                                    "location with --store or CERTTOOL_HOME",
                                    partial.string(),
                                    errno_text(err)));
        }
    }
    if (!fs::is_directory(dir, ec)) {
        throw Error(Errc::io,
                    fmt::format("'{}' is not a directory: choose another location "
                                "with --store or CERTTOOL_HOME",
                                dir.string()));
    }
}

FileLock::FileLock(const fs::path& path, int timeout_ms)
    : m_fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600)) {
    if (m_fd < 0 && errno == ELOOP) {
        throw Error(Errc::io,
                    fmt::format("lock file '{}' is a symbolic link, which certtool does not "
                                "follow: remove it (rm '{}'); certtool creates a new one",
                                path.string(),
                                path.string()));
    }
    if (m_fd < 0) {
        const int err = errno;
        throw Error(Errc::io,
                    fmt::format("cannot open lock file '{}': {}: check that the store "
                                "directory is writable",
                                path.string(),
                                errno_text(err)));
    }

    struct stat st {};

    if (::fstat(m_fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(m_fd);
        throw Error(Errc::io,
                    fmt::format("lock file '{}' is not a regular file: remove it (rm '{}'); "
                                "certtool creates a new one",
                                path.string(),
                                path.string()));
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    auto pause = std::chrono::microseconds(200);
    while (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            const int err = errno;
            ::close(m_fd);
            throw Error(Errc::io,
                        fmt::format("cannot lock '{}': {}", path.string(), errno_text(err)));
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            ::close(m_fd);
            throw Error(Errc::locked,
                        fmt::format("store is locked by another certtool process ('{}'): retry "
                                    "when it has finished",
                                    path.string()));
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::microseconds(20000));
    }
}

FileLock::~FileLock() {
    if (m_fd >= 0) {
        ::close(m_fd);  // closing releases the flock
    }
}

void crash_point(std::string_view point) {
    static const char* const target = std::getenv("CERTTOOL_CRASH_AT");  // NOLINT
    if (target != nullptr && point == target) {
        static_cast<void>(::raise(SIGKILL));
    }
}

}  // namespace certtool::detail
