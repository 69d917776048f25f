// Points in time as the library passes them around, and their RFC 3339 text form.
#pragma once

#include <chrono>
#include <ctime>
#include <string>
#include <string_view>

namespace certtool {

using TimePoint = std::chrono::system_clock::time_point;

// RFC 3339 UTC ("2026-06-01T00:00:00Z") and back. parse_time throws Error{invalid_argument}.
[[nodiscard]] std::string format_time(TimePoint t);
[[nodiscard]] TimePoint parse_time(std::string_view text);

// Seconds since the epoch as a TimePoint, clamped to what it can hold (nanoseconds: years
// 1678..2262). RFC 5280's "no expiry" date 9999-12-31 becomes 2262-04-11.
[[nodiscard]] TimePoint from_seconds(std::time_t secs);

}  // namespace certtool
