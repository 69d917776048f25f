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

bool reason_cut_short(std::string_view raw) {
    const std::string_view s = trim(raw);
    return !s.empty() && s.front() == '(' && s.back() != ')';
}

bool cipher_looks_whole(std::string_view cipher) {
    const auto sep = cipher.find_last_of("-_");
    const std::string_view last = sep == std::string_view::npos ? cipher : cipher.substr(sep + 1);
    if (cipher.find("GCM") != std::string_view::npos) {
        return last == "SHA256" || last == "SHA384";
    }
    for (const std::string_view end :
         {"SHA", "SHA256", "SHA384", "MD5", "POLY1305", "CCM", "CCM8", "GOST89", "GOST8912"}) {
        if (last == end) {
            return true;
        }
    }
    return false;
}

std::string failure_reason(std::string_view raw) {
    std::string_view s = unwrap_tuple(trim(raw));
    if (starts_with(s, "error:")) {
        s = openssl_reason_text(s);
    }
    s = trim(s);
    return s.empty() ? std::string{"unknown"} : std::string{s};
}

}  // namespace certtool::maillog
