#include "log_time.hpp"

#include <array>
#include <cstdint>
#include <ctime>

namespace certtool::maillog {

namespace {

constexpr std::array<std::string_view, 12> k_months{
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

constexpr std::uint32_t pack3(const char* m) {
    return (static_cast<std::uint32_t>(static_cast<unsigned char>(m[0])) << 16U) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(m[1])) << 8U) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(m[2]));
}

}  // namespace

// Runs once per line when a time window is set: integer compares, no string compares.
int month_index(std::string_view m) {
    if (m.size() < 3) {
        return -1;
    }
    const std::uint32_t key = pack3(m.data());
    for (std::size_t i = 0; i < k_months.size(); ++i) {
        if (pack3(k_months[i].data()) == key) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

std::optional<TimePoint> utc_time(int year, int month, int day, int hour, int minute, int second) {
    if (year < 1 || year > 9999 || month < 0 || month > 11 || day < 1 || day > 31 || hour < 0 ||
        hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
        return std::nullopt;
    }
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    // from_time_t would overflow the nanosecond clock outside 1678-2262 (a year 812 stamp).
    return from_seconds(timegm(&tm));
}

}  // namespace certtool::maillog
