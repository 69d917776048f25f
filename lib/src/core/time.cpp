#include <certtool/error.hpp>
#include <certtool/time.hpp>

#include <fmt/core.h>

#include <time.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

namespace certtool {

TimePoint from_seconds(std::time_t secs) {
    using namespace std::chrono;
    constexpr auto max = duration_cast<seconds>(TimePoint::duration::max()).count() - 1;
    constexpr auto min = duration_cast<seconds>(TimePoint::duration::min()).count() + 1;
    return system_clock::from_time_t(std::clamp<std::time_t>(secs, min, max));
}

std::string format_time(TimePoint t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    std::array<char, 32> buf{};
    const std::size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return {buf.data(), n};
}

TimePoint parse_time(std::string_view text) {
    // RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM); a bare date means midnight UTC.
    const std::string s{text};
    std::tm tm{};
    int offset_seconds = 0;
    const char* rest = strptime(s.c_str(), "%Y-%m-%d", &tm);
    bool ok = rest != nullptr;
    if (ok && (*rest == 'T' || *rest == 't' || *rest == ' ')) {
        rest = strptime(rest + 1, "%H:%M:%S", &tm);
        ok = rest != nullptr;
        if (ok && *rest == '.') {
            ++rest;
            while (std::isdigit(static_cast<unsigned char>(*rest)) != 0) {
                ++rest;
            }
        }
        if (ok && (*rest == 'Z' || *rest == 'z')) {
            ++rest;
        } else if (ok && (*rest == '+' || *rest == '-')) {
            const int sign = *rest == '-' ? -1 : 1;
            // Exactly "HH:MM" (RFC 3339 time-numoffset): sscanf's %2d would also take "+5:00",
            // and skipping six characters would then run past the end of the text.
            const std::string_view offset{rest + 1};
            const auto digit = [&](std::size_t i) {
                return i < offset.size() &&
                       std::isdigit(static_cast<unsigned char>(offset[i])) != 0;
            };
            ok = digit(0) && digit(1) && offset.size() >= 5 && offset[2] == ':' && digit(3) &&
                 digit(4);
            if (ok) {
                const int hh = (offset[0] - '0') * 10 + (offset[1] - '0');
                const int mm = (offset[3] - '0') * 10 + (offset[4] - '0');
                offset_seconds = sign * (hh * 3600 + mm * 60);
                rest += 6;
            }
        } else {
            ok = false;
        }
    }
    if (!ok || *rest != '\0') {
        throw Error(
            Errc::invalid_argument,
            fmt::format("'{}' is not an RFC 3339 time: write e.g. 2026-06-01T00:00:00Z", text));
    }
    return from_seconds(timegm(&tm) - offset_seconds);
}

}  // namespace certtool
