#include <certtool/error.hpp>

namespace certtool {

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
    }
    return "unknown";
}

}  // namespace certtool
