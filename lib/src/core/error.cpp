#include <certtool/error.hpp>

#include <array>

namespace certtool {

namespace {

// The length of the UTF-8 sequence starting at text[i] (2 to 4), or 0 if it is not one.
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    std::size_t len = 0;
    unsigned char min = 0x80;
    unsigned char max = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
        len = 2;
        min = lead == 0xc2 ? 0xa0 : 0x80;  // U+0080..U+009F are C1 controls (0x9b is CSI)
    } else if (lead >= 0xe0 && lead <= 0xef) {
        len = 3;
        min = lead == 0xe0 ? 0xa0 : 0x80;  // no overlong forms
        max = lead == 0xed ? 0x9f : 0xbf;  // no surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        len = 4;
        min = lead == 0xf0 ? 0x90 : 0x80;
        max = lead == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (i + len > text.size() || byte(i + 1) < min || byte(i + 1) > max) {
        return 0;
    }
    for (std::size_t k = 2; k < len; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) {
            return 0;
        }
    }
    return len;
}

}  // namespace

std::string printable(std::string_view text) {
    constexpr std::array<char, 17> k_hex{"0123456789abcdef"};
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f) {
            out += text[i++];
        } else if (const std::size_t len = c >= 0x80 ? utf8_sequence(text, i) : 0; len > 0) {
            out.append(text.substr(i, len));
            i += len;
        } else {
            if (c == '\n') {
                out += "\\n";
            } else if (c == '\r') {
                out += "\\r";
            } else if (c == '\t') {
                out += "\\t";
            } else {
                out += "\\x";
                out += k_hex[c >> 4U];
                out += k_hex[c & 0xfU];
            }
            ++i;
        }
    }
    return out;
}

std::string_view errc_name(Errc code) noexcept {
    switch (code) {
        case Errc::io:
            return "io";
        case Errc::parse:
            return "malformed-input";
        case Errc::crypto:
            return "crypto";
        case Errc::bad_password:
            return "bad-password";
        case Errc::unsupported:
            return "unsupported";
        case Errc::network:
            return "network";
        case Errc::invalid_argument:
            return "invalid-argument";
        case Errc::not_found:
            return "not-found";
        case Errc::already_exists:
            return "already-exists";
        case Errc::key_mismatch:
            return "key-mismatch";
        case Errc::locked:
            return "locked";
        case Errc::in_use:
            return "in-use";
    }
    return "unknown";
}

}  // namespace certtool
