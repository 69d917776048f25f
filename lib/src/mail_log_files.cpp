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

GzPtr open_input(const std::string& path) {
    // zlib reads gzip and plain files alike ("transparent" mode), so rotated .gz logs need no flag.
    const int fd = path == "-" ? ::dup(STDIN_FILENO) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        throw Error(Errc::io, fmt::format("cannot read log '{}': {}", path, std::strerror(err)));
    }
    gzFile f = gzdopen(fd, "rb");
    if (f == nullptr) {
        ::close(fd);
        throw Error(Errc::io, fmt::format("cannot read log '{}'", path));
    }
    gzbuffer(f, 256U * 1024U);
    return GzPtr{f};
}

}  // namespace

Report analyze_files(const std::vector<std::string>& paths,
                     std::optional<Format> format,
                     const Options& options) {
    Analyzer analyzer{options};
    std::vector<char> buf(k_chunk);
    std::string carry;  // a line split across two reads
    for (const auto& path : paths) {
        GzPtr in = open_input(path);
        std::optional<Format> file_format = format;
        std::uint64_t line_number = 0;
        carry.clear();
        for (;;) {
            const int n = gzread(in.get(), buf.data(), static_cast<unsigned>(buf.size()));
            if (n < 0) {
                int errnum = 0;
                const char* msg = gzerror(in.get(), &errnum);
                throw Error(
                    Errc::io,
                    fmt::format(
                        "cannot read log '{}': {}", path, msg != nullptr ? msg : "read error"));
            }
            if (n == 0) {
                break;
            }
            std::string_view data{buf.data(), static_cast<std::size_t>(n)};
            if (!file_format) {
                file_format = detect_format(data.substr(0, 64U * 1024U));
                if (!file_format) {
                    throw Error(Errc::parse,
                                fmt::format("'{}' is neither an appliance mail log nor a Postfix "
                                            "log: pass --format esa|postfix to force one",
                                            path));
                }
            }
            std::size_t start = 0;
            while (start < data.size()) {
                const void* nl = std::memchr(data.data() + start, '\n', data.size() - start);
                if (nl == nullptr) {
                    carry.append(data.substr(start));
                    break;
                }
                const auto end =
                    static_cast<std::size_t>(static_cast<const char*>(nl) - data.data());
                ++line_number;
                if (carry.empty()) {
                    analyzer.feed(data.substr(start, end - start), *file_format, line_number);
                } else {
                    carry.append(data.substr(start, end - start));
                    analyzer.feed(carry, *file_format, line_number);
                    carry.clear();
                }
                start = end + 1;
            }
        }
        if (!carry.empty() && file_format) {
            analyzer.feed(carry, *file_format, ++line_number);  // last line without a newline
        }
    }
    return analyzer.finish();
}

}  // namespace certtool::maillog
