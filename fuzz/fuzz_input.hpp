// A fuzz input read from the front: a target's option bytes, length-prefixed parts, then the
// rest. Reading past the end gives zeros and empty views, never an error, so every input is a
// valid one.
#pragma once

#include <certtool/error.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace certtool::fuzz {

class Input {
public:
    Input(const std::uint8_t* data, std::size_t size)
        : m_rest(reinterpret_cast<const char*>(data), size) {}  // NOLINT: bytes either way

    [[nodiscard]] std::uint8_t byte() {
        if (m_rest.empty()) {
            return 0;
        }
        const auto b = static_cast<std::uint8_t>(m_rest.front());
        m_rest.remove_prefix(1);
        return b;
    }

    // Big-endian, as on the wire.
    [[nodiscard]] std::uint16_t u16() {
        const auto hi = byte();
        return static_cast<std::uint16_t>((hi << 8U) | byte());
    }

    [[nodiscard]] std::uint32_t u32() {
        const std::uint32_t hi = u16();
        return (hi << 16U) | u16();
    }

    // The next `n` bytes (fewer at the end).
    [[nodiscard]] std::string_view take(std::size_t n) {
        const std::string_view out = m_rest.substr(0, std::min(n, m_rest.size()));
        m_rest.remove_prefix(out.size());
        return out;
    }

    // A part preceded by its 16-bit length.
    [[nodiscard]] std::string_view part() { return take(u16()); }

    [[nodiscard]] std::string_view rest() const noexcept { return m_rest; }

    [[nodiscard]] bool empty() const noexcept { return m_rest.empty(); }

private:
    std::string_view m_rest;
};

// Keeps a value computed from what a target read, so that the reads are not optimised away.
inline void keep(std::size_t value) {
    static volatile std::size_t sink = 0;
    sink = sink + value;
}

// Runs `f`; an Error is an answer for malformed input, anything else escapes (and libFuzzer
// reports the uncaught exception as a crash).
template <typename F>
void attempt(F&& f) {
    try {
        f();
    } catch (const Error&) {  // NOLINT(bugprone-empty-catch): rejecting bad input is the point
    }
}

}  // namespace certtool::fuzz
