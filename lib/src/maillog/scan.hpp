// Scanning primitives for log lines: literal prefixes, decimal ids, words. Header-only because
// they run several times per line and must inline into the parsers.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>

namespace certtool::maillog {

// A log id: ICID, DCID, MID, RID, process id.
using Id = std::uint64_t;

// Prefix test against a literal: the length is a constant, so the compare is inlined.
template <std::size_t N>
inline bool starts_with(std::string_view s, const char (&prefix)[N]) {
    return s.size() >= N - 1 && __builtin_memcmp(s.data(), prefix, N - 1) == 0;
}

// Eight ASCII digits at p as a number, or nullopt if any byte is not a digit (SWAR: one load,
// three multiply-shift steps instead of eight loop iterations).
inline std::optional<Id> eight_digits(const char* p) {
    std::uint64_t x = 0;
    std::memcpy(&x, p, 8);
    const std::uint64_t lo = x - 0x3030303030303030ULL;
    const std::uint64_t hi = x + 0x4646464646464646ULL;  // a byte > '9' sets its top bit
    if (((lo | hi) & 0x8080808080808080ULL) != 0) {
        return std::nullopt;
    }
    x = lo;                                                 // first char in the low byte
    x = ((x * 10) + (x >> 8)) & 0x00FF00FF00FF00FFULL;      // 4 x 2 digits
    x = ((x * 100) + (x >> 16)) & 0x0000FFFF0000FFFFULL;    // 2 x 4 digits
    x = ((x * 10000) + (x >> 32)) & 0x00000000FFFFFFFFULL;  // 8 digits
    return x;
}

// Reads a decimal id at the start of s, advancing s past it. Hot: called a few times per line.
[[gnu::always_inline]] inline std::optional<Id> take_id(std::string_view& s) {
    std::size_t i = 0;
    Id v = 0;
    if (s.size() >= 8) {
        if (auto first = eight_digits(s.data())) {
            v = *first;
            i = 8;
        }
    }
    const std::size_t limit = std::min<std::size_t>(s.size(), 19);
    for (; i < limit; ++i) {
        const auto digit = static_cast<unsigned>(static_cast<unsigned char>(s[i])) - '0';
        if (digit > 9) {
            break;
        }
        v = v * 10 + digit;
    }
    if (i == 0) {
        return std::nullopt;
    }
    s.remove_prefix(i);
    return v;
}

// Two ids around a literal, e.g. "179701980 ICID 590125205" with " ICID ".
template <std::size_t N>
std::optional<std::pair<Id, Id>> take_id_pair(std::string_view& s, const char (&separator)[N]) {
    const auto first = take_id(s);
    if (!first || !starts_with(s, separator)) {
        return std::nullopt;
    }
    s.remove_prefix(N - 1);
    const auto second = take_id(s);
    if (!second) {
        return std::nullopt;
    }
    return std::pair{*first, *second};
}

// Skips a run of digits; false if there was none.
inline bool skip_digits(std::string_view& s) {
    std::size_t i = 0;
    while (i < s.size() && static_cast<unsigned>(static_cast<unsigned char>(s[i])) - '0' <= 9) {
        ++i;
    }
    s.remove_prefix(i);
    return i > 0;
}

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
        s.remove_suffix(1);
    }
    return s;
}

// The text up to the first space.
inline std::string_view next_word(std::string_view s) {
    return s.substr(0, s.find(' '));
}

}  // namespace certtool::maillog
