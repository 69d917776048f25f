// Opening an input without ever blocking on it. open(2) of a FIFO waits for a writer, and a read
// from a silent pipe waits for ever: every file an option names goes through InputFile, which
// opens without blocking, reads a regular file as it is, reads a FIFO or pipe only while it
// delivers (failing after an idle timeout), and refuses anything else (a directory, a device, a
// socket). "-" is standard input, read as long as it takes: the user asked for it.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace certtool::detail {

// How long a pipe may stay silent (no writer, or no data) before reading it fails:
// CERTTOOL_PIPE_TIMEOUT seconds (default 10).
[[nodiscard]] std::chrono::milliseconds pipe_idle_timeout();

// For a descriptor that is a pipe, FIFO or socket: waits until it can be read, at most
// pipe_idle_timeout(). Throws Error{io} naming `what` when it stays silent. Other descriptors
// (files, terminals) return at once.
void wait_readable(int fd, std::string_view what);

class InputFile {
public:
    // `what` names the input in errors ("certificate file"). Throws Error{io}.
    InputFile(const std::filesystem::path& path, std::string_view what);
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;
    InputFile(InputFile&&) = delete;
    InputFile& operator=(InputFile&&) = delete;
    ~InputFile();

    // Reads up to `size` bytes; 0 at the end. Throws Error{io} (a read error, or a pipe silent
    // for longer than pipe_idle_timeout()).
    [[nodiscard]] std::size_t read(char* data, std::size_t size);

    // The size of a regular file when opened; 0 for a pipe.
    [[nodiscard]] std::size_t size_hint() const noexcept { return m_size; }

private:
    std::string m_name;  // "certificate file 'x.pem'", for messages
    int m_fd{-1};
    bool m_pipe{false};  // a FIFO or pipe (not "-"): read only while it delivers
    std::size_t m_size{0};
};

}  // namespace certtool::detail
