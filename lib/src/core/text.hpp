// Small text utilities shared by the library (not part of the public API): ASCII case folding
// (protocol names, host names and codes are ASCII; locale-dependent std::tolower is not wanted)
// and joining lists for messages.
#pragma once

#include <string>
#include <string_view>

namespace certtool::text {

[[nodiscard]] constexpr char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

[[nodiscard]] inline std::string ascii_lower(std::string_view s) {
    std::string out(s.size(), '\0');
    for (std::size_t i = 0; i < s.size(); ++i) {
        out[i] = ascii_lower(s[i]);
    }
    return out;
}

[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) {
            return false;
        }
    }
    return true;
}

// The elements of `items` as text, separated by `sep`: join(sans, ", ", &San::to_string).
template <typename Range, typename Project>
[[nodiscard]] std::string join(const Range& items, std::string_view sep, Project project) {
    std::string out;
    bool first = true;
    for (const auto& item : items) {
        if (!first) {
            out += sep;
        }
        first = false;
        out += project(item);
    }
    return out;
}

template <typename Range>
[[nodiscard]] std::string join(const Range& items, std::string_view sep) {
    return join(items, sep, [](const auto& s) -> std::string_view { return s; });
}

}  // namespace certtool::text
