#include "line_splitter.hpp"

#include <certtool/error.hpp>
#include <certtool/mail_log.hpp>

#include <fmt/core.h>

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace certtool::maillog {

namespace {

struct GzClose {
    void operator()(gzFile_s* f) const noexcept { gzclose(f); }
};

using GzPtr = std::unique_ptr<gzFile_s, GzClose>;

constexpr std::size_t k_chunk = 1U << 20;  // 1 MiB reads

// A log source. Plain files are read with read(2) straight into the caller's buffer; gzip files
// (recognised by their magic bytes, whatever the name) go through zlib. Rotated .gz logs need
// no flag.
class Input {
public:
    explicit Input(std::string path) : m_path(std::move(path)) {
        m_fd = m_path == "-" ? ::dup(STDIN_FILENO) : ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC);
        if (m_fd < 0) {
            const int err = errno;
            throw Error(Errc::io,
                        fmt::format("cannot read log '{}': {}", m_path, std::strerror(err)));
        }
    }

    Input(const Input&) = delete;
    Input& operator=(const Input&) = delete;
    Input(Input&&) = delete;
    Input& operator=(Input&&) = delete;

    ~Input() {
        if (!m_gz && m_fd >= 0) {
            ::close(m_fd);
        }
    }

    // Fills up to `size` bytes; returns 0 at the end. Throws Error{io}.
    std::size_t read(char* data, std::size_t size) {
        if (m_gz) {
            return read_gz(data, size);
        }
        const std::size_t n = read_fd(data, size);
        if (m_first && n >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
            static_cast<unsigned char>(data[1]) == 0x8b) {
            start_gzip();
            m_first = false;
            return read_gz(data, size);
        }
        m_first = false;
        return n;
    }

private:
    std::size_t read_fd(char* data, std::size_t size) {
        for (;;) {
            const ssize_t n = ::read(m_fd, data, size);
            if (n >= 0) {
                return static_cast<std::size_t>(n);
            }
            if (errno != EINTR) {
                const int err = errno;
                throw Error(Errc::io,
                            fmt::format("cannot read log '{}': {}", m_path, std::strerror(err)));
            }
        }
    }

    void start_gzip() {
        // Files rewind; a compressed pipe would need its first chunk replayed: ask for zcat.
        if (::lseek(m_fd, 0, SEEK_SET) != 0) {
            throw Error(Errc::io,
                        fmt::format("'{}' is gzip-compressed on a pipe: run 'zcat FILE | "
                                    "certtool mail-log -', or pass the file itself",
                                    m_path));
        }
        m_gz.reset(gzdopen(m_fd, "rb"));
        if (!m_gz) {
            throw Error(Errc::io, fmt::format("cannot read log '{}'", m_path));
        }
        gzbuffer(m_gz.get(), 256U * 1024U);
    }

    std::size_t read_gz(char* data, std::size_t size) {
        const int n = gzread(m_gz.get(), data, static_cast<unsigned>(size));
        if (n < 0) {
            int errnum = 0;
            const char* msg = gzerror(m_gz.get(), &errnum);
            throw Error(Errc::io,
                        fmt::format("cannot read log '{}': {} (a damaged .gz file?)",
                                    m_path,
                                    msg != nullptr ? msg : "read error"));
        }
        return static_cast<std::size_t>(n);
    }

    std::string m_path;
    int m_fd{-1};
    bool m_first{true};
    GzPtr m_gz;  // owns m_fd once set
};

Format detect_or_throw(std::string_view first_chunk, const std::string& path) {
    if (auto f = detect_format(first_chunk.substr(0, 64U * 1024U))) {
        return *f;
    }
    throw Error(Errc::parse,
                fmt::format("'{}' is neither an appliance mail log nor a Postfix "
                            "log: pass --format esa|postfix to force one",
                            path));
}

}  // namespace

Report analyze_files(const std::vector<std::string>& paths,
                     std::optional<Format> format,
                     const Options& options) {
    Analyzer analyzer{options};
    std::vector<char> buf(k_chunk);
    for (const auto& path : paths) {
        Input in{path};
        std::optional<Format> file_format = format;
        LineSplitter lines{options.max_line};
        const auto on_line = [&](std::string_view line, std::uint64_t number) {
            analyzer.feed(line, *file_format, number);
        };
        const auto on_over_long = [&](std::string_view head, std::uint64_t number) {
            analyzer.over_long(head, number);
        };
        for (;;) {
            const std::size_t n = in.read(buf.data(), buf.size());
            if (n == 0) {
                break;
            }
            const std::string_view data{buf.data(), n};
            if (!file_format) {
                file_format = detect_or_throw(data, path);
            }
            lines.push(data, on_line, on_over_long);
        }
        if (file_format) {
            lines.finish(on_line, on_over_long);
        }
    }
    return analyzer.finish();
}

}  // namespace certtool::maillog
