// Time stamps of log lines: month names and calendar fields to UTC.
#pragma once

#include <certtool/time.hpp>

#include <string_view>

namespace certtool::maillog {

// "Jan".."Dec" (the first three bytes of m) as 0..11, or -1.
[[nodiscard]] int month_index(std::string_view m);

// A UTC time from calendar fields (month 0-11).
[[nodiscard]] TimePoint utc_time(int year, int month, int day, int hour, int minute, int second);

}  // namespace certtool::maillog
