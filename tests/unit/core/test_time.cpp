// RFC 3339 times (lib/src/core/time.cpp): what parse_time accepts, what it refuses, and that
// format_time gives back the canonical UTC form.
#include <certtool/error.hpp>
#include <certtool/time.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace certtool;

TEST_CASE("time: RFC 3339 round trip and errors", "[certificate]") {
    CHECK(format_time(parse_time("2026-06-01T00:00:00Z")) == "2026-06-01T00:00:00Z");
    CHECK(format_time(parse_time("2026-06-01T02:00:00+02:00")) == "2026-06-01T00:00:00Z");
    CHECK(format_time(parse_time("2026-06-01")) == "2026-06-01T00:00:00Z");
    CHECK_THROWS_WITH(parse_time("June 1st"), Catch::Contains("RFC 3339"));
}

TEST_CASE("time: canonical UTC times round-trip both ways", "[time]") {
    for (const char* text : {"1970-01-01T00:00:00Z",
                             "2000-02-29T12:34:56Z",
                             "2026-06-01T00:00:00Z",
                             "2038-01-19T03:14:08Z",  // past a 32-bit time_t
                             "2100-12-31T23:59:59Z"}) {
        INFO(text);
        const TimePoint t = parse_time(text);
        CHECK(format_time(t) == text);
        CHECK(parse_time(format_time(t)) == t);
    }
    CHECK(parse_time("1970-01-01T00:00:00Z").time_since_epoch().count() == 0);
    CHECK(parse_time("2026-06-01T00:00:01Z") - parse_time("2026-06-01T00:00:00Z") ==
          std::chrono::seconds{1});
}

TEST_CASE("time: offsets, fractions and the accepted spellings", "[time]") {
    struct Row {
        const char* text;
        const char* utc;
    };

    const std::vector<Row> table{
        {"2026-06-01T02:00:00+02:00", "2026-06-01T00:00:00Z"},
        {"2026-06-01T00:00:00-05:30", "2026-06-01T05:30:00Z"},
        {"2026-06-01T00:00:00+00:00", "2026-06-01T00:00:00Z"},
        {"2026-01-01T01:00:00+02:00", "2025-12-31T23:00:00Z"},  // across a year
        {"2024-02-28T23:00:00-01:00", "2024-02-29T00:00:00Z"},  // into a leap day
        {"2026-06-01T00:00:00.999Z", "2026-06-01T00:00:00Z"},   // fraction dropped
        {"2026-06-01T00:00:00.5+01:00", "2026-05-31T23:00:00Z"},
        {"2026-06-01t00:00:00z", "2026-06-01T00:00:00Z"},  // RFC 3339 5.6: case-insensitive
        {"2026-06-01 00:00:00Z", "2026-06-01T00:00:00Z"},  // RFC 3339 5.6 NOTE: a space
        {"2026-06-01", "2026-06-01T00:00:00Z"},            // a bare date: midnight UTC
    };
    for (const auto& row : table) {
        INFO(row.text);
        CHECK(format_time(parse_time(row.text)) == row.utc);
    }
}

TEST_CASE("time: malformed times are invalid arguments naming the input", "[time]") {
    for (const char* bad : {"",
                            "June 1st",
                            "2026-06-01T00:00:00",  // no zone
                            "2026-06-01T00:00Z",    // no seconds
                            "2026-06-01T00:00:00Zjunk",
                            "2026-06-01T00:00:00+02:00junk",
                            "2026-06-01T00:00:00+0200",  // offset without a colon
                            // issue #13: a short offset was read past the end of the text
                            "2026-06-01T00:00:00+5:00",
                            "2026-06-01T00:00:00+02:0",
                            "2026-06-01T00:00:00-",
                            "2026-06-01T00:00:00+02",
                            "2026-06-01junk",
                            "2026-13-01T00:00:00Z",
                            "2026-06-01T25:00:00Z",
                            "2026-06-01X00:00:00Z"}) {
        INFO("'" << bad << "'");
        try {
            static_cast<void>(parse_time(bad));
            FAIL("accepted");
        } catch (const Error& e) {
            CHECK(e.code() == Errc::invalid_argument);
            CHECK_THAT(e.what(), Catch::Contains("'" + std::string{bad} + "'"));
            CHECK_THAT(e.what(), Catch::Contains("RFC 3339"));
        }
    }
}

TEST_CASE("time: seconds beyond what a TimePoint holds are clamped", "[time]") {
    // RFC 5280's "no well-defined expiration date", 99991231235959Z.
    const TimePoint no_expiry = from_seconds(253402300799);
    CHECK_THAT(format_time(no_expiry), Catch::StartsWith("2262-04-11T"));
    CHECK(no_expiry > parse_time("2262-04-11T00:00:00Z"));
    CHECK_THAT(format_time(from_seconds(-20000000000)), Catch::StartsWith("1677-09-21T"));
    CHECK(from_seconds(1780272000) == parse_time("2026-06-01T00:00:00Z"));
}
