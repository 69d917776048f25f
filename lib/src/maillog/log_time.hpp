// Time stamps of log lines: month names and calendar fields to UTC.
#pragma once

#include <certtool/time.hpp>

#include <optional>
#include <string_view>

namespace certtool::maillog {

// "Jan".."Dec" (the first three bytes of m) as 0..11, or -1.
[[nodiscard]] int month_index(std::string_view m);

// A UTC time from calendar fields (month 0-11), clamped to what a TimePoint holds (years
// 1678-2262); nullopt when a field is outside its range (year 1-9999, day 1-31, hour 0-23,
// minute 0-59, second 0-60): the stamp is damaged, not a time.
[[nodiscard]] std::optional<TimePoint> utc_time(
    int year, int month, int day, int hour, int minute, int second);

}  // namespace certtool::maillog
