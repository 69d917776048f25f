// Findings: one observation about a certificate or a chain, with a stable code.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace certtool {

enum class Severity { info, warning, error };
[[nodiscard]] std::string_view severity_name(Severity s) noexcept;

// One observation about a chain. `code` is stable (the README lists them all). Findings of
// severity error make a chain invalid; warnings and info do not.
struct ChainFinding {
    std::string code;
    Severity severity{Severity::warning};
    std::string message;                    // plain English, with the fix where there is one
    std::string subject;                    // the certificate concerned, if any
    std::optional<std::size_t> position{};  // its index in the verified path (0 = leaf)
};

}  // namespace certtool
