#include "gzip_stream.hpp"
#include "input.hpp"
#include "line_splitter.hpp"

#include <certtool/error.hpp>
#include <certtool/mail_log.hpp>

#include <fmt/core.h>

#include <memory>
#include <vector>

namespace certtool::maillog {

namespace {

constexpr std::size_t k_chunk = 1U << 20;  // 1 MiB reads

// A log source. Plain files are read with read(2) straight into the caller's buffer; gzip
// (recognised by its magic bytes, whatever the name, on a file or a pipe) is decompressed as it
// is read. Rotated .gz logs need no flag.
class Input {
public:
    explicit Input(const std::string& path) : m_file(path, "log") {}

    Input(const Input&) = delete;
    Input& operator=(const Input&) = delete;
    Input(Input&&) = delete;
    Input& operator=(Input&&) = delete;

    ~Input() = default;

    // Fills up to `size` bytes; returns 0 at the end (or where a damaged .gz stops). Throws
    // Error{io}.
    std::size_t read(char* data, std::size_t size) {
        if (m_gz) {
            return read_gz(data, size);
        }
        if (!m_first) {
            return read_fd(data, size);
        }
        m_first = false;
        const std::size_t n = read_start(data, size);
        if (n >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
            static_cast<unsigned char>(data[1]) == 0x8b) {
            m_raw.assign(data, data + n);
            m_gz = std::make_unique<GzipStream>();
            m_gz->input(m_raw.data(), m_raw.size());
            return read_gz(data, size);
        }
        return n;
    }

    // Where decompression stopped early, if it did.
    [[nodiscard]] const GzipStream* gzip() const noexcept { return m_gz.get(); }

private:
    std::size_t read_fd(char* data, std::size_t size) { return m_file.read(data, size); }

    // The first read: at least the two magic bytes unless the input is shorter (a pipe may
    // deliver a single byte first).
    std::size_t read_start(char* data, std::size_t size) {
        std::size_t n = 0;
        while (n < 2) {
            const std::size_t got = read_fd(data + n, size - n);
            if (got == 0) {
                break;
            }
            n += got;
        }
        return n;
    }

    std::size_t read_gz(char* data, std::size_t size) {
        for (;;) {
            if (m_gz->problem()) {
                return 0;
            }
            if (m_gz->needs_input()) {
                m_raw.resize(k_chunk / 4);
                const std::size_t n = read_fd(reinterpret_cast<char*>(m_raw.data()),  // NOLINT
                                              m_raw.size());
                if (n == 0) {
                    m_gz->end_of_input();
                    return 0;
                }
                m_gz->input(m_raw.data(), n);
            }
            if (const std::size_t got = m_gz->inflate(data, size); got != 0) {
                return got;
            }
        }
    }

    detail::InputFile m_file;
    bool m_first{true};
    std::vector<unsigned char> m_raw;  // compressed bytes being decompressed
    std::unique_ptr<GzipStream> m_gz;
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

// Where a .gz stopped early, and what had been read of it by then.
std::optional<InputDamage> damage_of(const Input& in,
                                     const std::string& path,
                                     std::uint64_t lines,
                                     std::uint64_t bytes) {
    if (in.gzip() == nullptr || !in.gzip()->problem()) {
        return std::nullopt;
    }
    const GzipStream::Problem& p = *in.gzip()->problem();
    constexpr auto kind = [](GzipStream::Damage d) {
        switch (d) {
            case GzipStream::Damage::truncated:
                return InputDamage::Kind::truncated;
            case GzipStream::Damage::trailing_garbage:
                return InputDamage::Kind::trailing_garbage;
            case GzipStream::Damage::corrupt:
                break;
        }
        return InputDamage::Kind::corrupt;
    };
    return InputDamage{path, kind(p.kind), p.detail, p.offset, p.member, lines, bytes};
}

}  // namespace

std::string_view kind_name(InputDamage::Kind kind) noexcept {
    switch (kind) {
        case InputDamage::Kind::truncated:
            return "truncated";
        case InputDamage::Kind::trailing_garbage:
            return "trailing_garbage";
        case InputDamage::Kind::corrupt:
            break;
    }
    return "corrupt";
}

std::string describe(const InputDamage& d) {
    const std::string read = fmt::format("{} lines ({} bytes) read before it", d.lines, d.bytes);
    switch (d.kind) {
        case InputDamage::Kind::truncated:
            return fmt::format(
                "'{}' ends inside gzip member {} at compressed byte {} (a log "
                "still being written?); {}",
                d.path,
                d.member,
                d.offset,
                read);
        case InputDamage::Kind::trailing_garbage:
            return fmt::format(
                "'{}' has bytes that are not gzip after member {}, at compressed "
                "byte {}; {}",
                d.path,
                d.member,
                d.offset,
                read);
        case InputDamage::Kind::corrupt:
            break;
    }
    return fmt::format("'{}' is a damaged gzip file: {} in member {} at compressed byte {}; {}",
                       d.path,
                       d.detail.empty() ? "invalid data" : d.detail,
                       d.member,
                       d.offset,
                       read);
}

Report analyze_files(const std::vector<std::string>& paths,
                     std::optional<Format> format,
                     const Options& options) {
    Analyzer analyzer{options};
    // Not zeroed: read(2) and inflate fill it (zeroing 1 MiB costs more than reading a short log).
    const auto buf = std::make_unique_for_overwrite<char[]>(k_chunk);
    std::vector<InputDamage> damaged;
    std::vector<std::pair<std::string, Format>> unmatched;
    for (const auto& path : paths) {
        const std::uint64_t recognized_before = analyzer.recognized();
        Input in{path};
        std::optional<Format> file_format = format;
        LineSplitter lines{options.max_line};
        const auto on_line = [&](std::string_view line, std::uint64_t number) {
            analyzer.feed(line, *file_format, number);
        };
        const auto on_over_long = [&](std::string_view head, std::uint64_t number) {
            analyzer.over_long(head, number);
        };
        std::uint64_t bytes = 0;
        for (;;) {
            const std::size_t n = in.read(buf.get(), k_chunk);
            if (n == 0) {
                break;
            }
            bytes += n;
            const std::string_view data{buf.get(), n};
            if (!file_format) {
                file_format = detect_or_throw(data, path);
            }
            lines.push(data, on_line, on_over_long);
        }
        if (file_format) {
            lines.finish(on_line, on_over_long);
        }
        if (auto d = damage_of(in, path, lines.line_number(), bytes)) {
            damaged.push_back(std::move(*d));
        }
        if (lines.line_number() != 0 && analyzer.recognized() == recognized_before) {
            unmatched.emplace_back(path, *file_format);
        }
    }
    Report report = analyzer.finish();
    report.damaged_inputs = std::move(damaged);
    report.unmatched_files = std::move(unmatched);
    return report;
}

}  // namespace certtool::maillog
