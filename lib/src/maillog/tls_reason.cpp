#include "tls_reason.hpp"

#include "scan.hpp"

namespace certtool::maillog {

namespace {

// "(code, 'text')" -> "text" (or what is left of it when the line was cut).
std::string_view unwrap_tuple(std::string_view s) {
    if (s.empty() || s.front() != '(') {
        return s;
    }
    const auto quote = s.find('\'');
    s = quote == std::string_view::npos ? s.substr(1) : s.substr(quote + 1);
    while (!s.empty() && (s.back() == ')' || s.back() == '\'')) {
        s.remove_suffix(1);
    }
    return s;
}

// "error:CODE:LIB:FUNC:REASON" -> "REASON" (or what is left of it).
std::string_view openssl_reason_text(std::string_view s) {
    std::size_t colons = 0;
    std::size_t pos = 0;
    while (colons < 4 && (pos = s.find(':', pos)) != std::string_view::npos) {
        ++colons;
        ++pos;
        if (colons == 4) {
            s.remove_prefix(pos);
        }
    }
    if (colons < 4) {
        s = s.substr(std::min(s.size(), s.find(':', 6) + 1));
    }
    return s;
}

}  // namespace

std::string failure_reason(std::string_view raw) {
    std::string_view s = unwrap_tuple(trim(raw));
    if (starts_with(s, "error:")) {
        s = openssl_reason_text(s);
    }
    s = trim(s);
    return s.empty() ? std::string{"unknown"} : std::string{s};
}

}  // namespace certtool::maillog
