// File-system primitives with the guarantees the store and every output file rely on:
// atomic replacement (temporary + fsync + rename + directory fsync), secret files created 0600
// from the first instant, refusal to overwrite, and an inter-process lock.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace certtool::detail {

inline constexpr std::size_t k_max_read_bytes = std::size_t{64} * 1024 * 1024;

// An open file descriptor (or -1), closed on destruction.
class Fd {
public:
    explicit Fd(int fd) noexcept : m_fd(fd) {}

    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    Fd(Fd&&) = delete;
    Fd& operator=(Fd&&) = delete;
    ~Fd();

    [[nodiscard]] int get() const noexcept { return m_fd; }

private:
    int m_fd;
};

// Reads a whole file (at most max_bytes). Throws Error{io} naming `what` and the path,
// Error{parse} if it is larger.
[[nodiscard]] std::string read_file(const std::filesystem::path& path,
                                    std::string_view what,
                                    std::size_t max_bytes = k_max_read_bytes);

// The same for a file already open as `fd` (`path` names it in errors).
[[nodiscard]] std::string read_all(const Fd& fd,
                                   const std::filesystem::path& path,
                                   std::string_view what,
                                   std::size_t max_bytes = k_max_read_bytes);

enum class Overwrite { refuse, replace };

// The temporary AtomicFile writes beside its target NAME is ".NAME.certtool-tmp.PID.RANDOM"
// (PID the writer, RANDOM 16 hex digits), so a leftover of a killed process is recognisable as
// ours and as abandoned. parse_temporary_name() reads such a name, and the ".NAME.tmp-RANDOM"
// of earlier versions (pid 0: writer unknown); anything else is not ours (nullopt).
struct TemporaryName {
    std::string target;  // the file name the temporary was to become
    long pid{0};
};

[[nodiscard]] std::optional<TemporaryName> parse_temporary_name(std::string_view file);

// A temporary whose writer may still be running counts as abandoned after this long (writing
// one takes milliseconds: everything is in memory before the file is created).
inline constexpr std::chrono::minutes k_stale_temporary_age{10};

// Removes the abandoned temporaries of `target` from its directory: ours by name, regular files
// owned by this user, and either their writer is gone or they are older than
// k_stale_temporary_age. Best effort: never throws.
void remove_stale_temporaries(const std::filesystem::path& target);

// Removes every temporary of ours (by name, regular files) in `dir`, whoever wrote it: for a
// directory whose writers all hold a lock the caller holds (the store's entries/). Never throws.
void remove_all_temporaries(const std::filesystem::path& dir);

// A file written under a temporary name in the target's directory and renamed over the target
// by commit(). Until commit() nothing is visible at the target; if the object is destroyed
// without commit() the temporary is removed. mode is applied at creation (0600 for secrets).
// Constructing one first removes the stale temporaries of the same target
// (remove_stale_temporaries), so a killed writer's leftover goes with the next write.
class AtomicFile {
public:
    AtomicFile(std::filesystem::path target, unsigned mode, Overwrite overwrite);
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    AtomicFile(AtomicFile&& other) noexcept;
    AtomicFile& operator=(AtomicFile&&) = delete;
    ~AtomicFile();

    void write(std::string_view data);
    // Flushes to disk and renames into place. Throws Error{io} or Error{already_exists}.
    void commit();

    [[nodiscard]] const std::filesystem::path& target() const noexcept { return m_target; }

private:
    std::filesystem::path m_target;
    std::filesystem::path m_temp;
    int m_fd{-1};
    Overwrite m_overwrite;
    bool m_committed{false};
};

// Convenience: write data to path atomically.
void write_file_atomic(const std::filesystem::path& path,
                       std::string_view data,
                       unsigned mode,
                       Overwrite overwrite);

// Throws Error{already_exists} if path exists and overwrite is refused; Error{io} if its
// directory does not exist. Used to fail before doing expensive work.
void check_output_path(const std::filesystem::path& path, Overwrite overwrite);

// fsync() a directory so a rename in it is durable.
void sync_directory(const std::filesystem::path& dir);

// Creates dir and missing parents with mode 0700. Throws Error{io}.
void create_private_directories(const std::filesystem::path& dir);

// An exclusive flock() on a lock file, released on destruction. Waits up to timeout_ms. The
// file is opened with O_NOFOLLOW (created 0600 if missing): a symbolic link or anything but a
// regular file there is refused with Error{io}, and Error{locked} after the timeout.
class FileLock {
public:
    FileLock(const std::filesystem::path& path, int timeout_ms);
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    FileLock(FileLock&&) = delete;
    FileLock& operator=(FileLock&&) = delete;
    ~FileLock();

private:
    int m_fd{-1};
};

// Fault injection for crash-safety tests: when the environment variable CERTTOOL_CRASH_AT
// equals `point`, the process kills itself with SIGKILL right there (no cleanup, like a
// power cut of the process). Points are listed in docs/store.md.
void crash_point(std::string_view point);

}  // namespace certtool::detail
