// Gzip decompression of a log read in chunks, from a file or a pipe alike (no seeking): all
// members of a multi-member file, and an account of any damage instead of a silent stop.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <optional>
#include <string>

namespace certtool::maillog {

class GzipStream {
public:
    enum class Damage {
        truncated,        // the input ended inside a member (a log still being written?)
        corrupt,          // bad header, invalid deflate data, CRC or length mismatch
        trailing_garbage  // bytes after the last member that are not a gzip member
    };

    struct Problem {
        Damage kind{Damage::corrupt};
        std::string detail;       // zlib's message, if any
        std::uint64_t offset{0};  // compressed bytes consumed before it
        std::uint64_t member{0};  // 1-based member it was found in (or after)
    };

    GzipStream();
    GzipStream(const GzipStream&) = delete;
    GzipStream& operator=(const GzipStream&) = delete;
    GzipStream(GzipStream&&) = delete;
    GzipStream& operator=(GzipStream&&) = delete;
    ~GzipStream();

    // True when more compressed input is needed before inflate() can make progress.
    [[nodiscard]] bool needs_input() const noexcept { return m_z.avail_in == 0; }

    // Gives compressed bytes, which must stay valid until needs_input() (they are not copied).
    void input(const unsigned char* data, std::size_t size) noexcept;

    // Decompresses into out[0..size); returns the bytes written (0 when input is needed or the
    // stream stopped at damage). Throws Error{io} if zlib cannot allocate.
    std::size_t inflate(char* out, std::size_t size);

    // The compressed input ended: records truncation if a member was open.
    void end_of_input() noexcept;

    [[nodiscard]] const std::optional<Problem>& problem() const noexcept { return m_problem; }

private:
    bool start_member();
    void fail(Damage kind, const char* detail) noexcept;

    z_stream m_z{};
    bool m_in_member{true};    // the first member starts with the input
    std::uint64_t m_given{0};  // compressed bytes given so far
    std::uint64_t m_members{1};
    std::optional<Problem> m_problem;
};

}  // namespace certtool::maillog
