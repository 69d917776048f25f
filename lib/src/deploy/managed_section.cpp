#include "managed_section.hpp"

#include <fmt/format.h>

#include <cctype>

namespace certtool::deploy::detail {

namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        lines.push_back(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    }
    return lines;
}

bool starts_with(std::string_view line, std::string_view prefix) {
    return line.substr(0, prefix.size()) == prefix;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
        s.remove_suffix(1);
    }
    return s;
}

}  // namespace

std::string without_managed_section(std::string_view text) {
    std::string kept;
    bool inside = false;
    for (const std::string_view line : split_lines(text)) {
        if (!inside && starts_with(line, k_begin_marker)) {
            inside = true;
            // The blank line with_managed_section() put before the section.
            if (kept.size() >= 2 && kept.ends_with("\n\n")) {
                kept.pop_back();
            }
            continue;
        }
        if (inside) {
            inside = !starts_with(line, k_end_marker);
            continue;
        }
        kept.append(line);
        kept.push_back('\n');
    }
    if (!text.empty() && !text.ends_with('\n') && !kept.empty() && !inside) {
        kept.pop_back();  // keep a last line without newline as the user wrote it
    }
    return kept;
}

std::optional<int> managed_revision(std::string_view text) {
    for (const std::string_view line : split_lines(text)) {
        if (!starts_with(line, k_begin_marker)) {
            continue;
        }
        const auto at = line.find("(revision ");
        if (at == std::string_view::npos) {
            return std::nullopt;
        }
        int number = 0;
        for (std::size_t i = at + 10; i < line.size() && std::isdigit(line[i]) != 0; ++i) {
            number = number * 10 + (line[i] - '0');
            if (number > 100000000) {
                return std::nullopt;
            }
        }
        return number;
    }
    return std::nullopt;
}

std::string with_managed_section(std::string_view text,
                                 int revision,
                                 const std::vector<std::string>& lines) {
    std::string out = without_managed_section(text);
    if (!out.empty() && !out.ends_with('\n')) {
        out.push_back('\n');
    }
    if (!out.empty()) {
        out.push_back('\n');
    }
    out += fmt::format("{} (revision {}) \u2014 do not edit\n", k_begin_marker, revision);
    for (const auto& line : lines) {
        out += line;
        out.push_back('\n');
    }
    out += k_end_marker;
    out.push_back('\n');
    return out;
}

MainCfParameters user_parameters(std::string_view main_cf) {
    MainCfParameters parameters;
    const std::string user = without_managed_section(main_cf);
    MainCfParameter* current = nullptr;
    int number = 0;
    for (const std::string_view line : split_lines(user)) {
        ++number;
        const std::string_view content = trim(line);
        if (content.empty() || content.front() == '#') {
            continue;  // comments and blank lines do not end a continued value in Postfix
        }
        if (std::isspace(static_cast<unsigned char>(line.front())) != 0) {
            if (current != nullptr) {
                current->value += " ";
                current->value += content;
            }
            continue;
        }
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) {
            current = nullptr;
            continue;
        }
        const std::string name{trim(line.substr(0, eq))};
        current = &parameters[name];
        current->value = std::string{trim(line.substr(eq + 1))};
        current->line = number;
    }
    return parameters;
}

}  // namespace certtool::deploy::detail
