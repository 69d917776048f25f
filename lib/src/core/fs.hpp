// File-system primitives with the guarantees the store and every output file rely on:
// atomic replacement (temporary + fsync + rename + directory fsync), secret files created 0600
// from the first instant, refusal to overwrite, and an inter-process lock.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace certtool::detail {

// Reads a whole file (at most max_bytes). Throws Error{io} naming `what` and the path.
[[nodiscard]] std::string read_file(const std::filesystem::path& path,
                                    std::string_view what,
                                    std::size_t max_bytes = std::size_t{64} * 1024 * 1024);

enum class Overwrite { refuse, replace };

// A file written under a temporary name in the target's directory and renamed over the target
// by commit(). Until commit() nothing is visible at the target; if the object is destroyed
// without commit() the temporary is removed. mode is applied at creation (0600 for secrets).
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

// An exclusive flock() on a lock file, released on destruction. Waits up to timeout_ms.
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
