// check-expiry's decisions as values: the thresholds and the lifetime share, the levels at their
// boundaries, the order of states, and the escaping of the Nagios and Prometheus outputs.
#include <certtool/error.hpp>
#include <certtool/expiry.hpp>

#include <catch2/catch.hpp>

namespace certtool::monitor {

namespace {

constexpr long k_day = 86400;

TimePoint t0() {
    return parse_time("2030-01-01T00:00:00Z");
}

Seconds days(long n) {
    return Seconds{n * k_day};
}

}  // namespace

TEST_CASE("expiry: thresholds from the command line", "[expiry]") {
    const Thresholds defaults = Thresholds::from_days(std::nullopt, std::nullopt);
    CHECK(defaults.warn_days == 30);
    CHECK(defaults.crit_days == 7);
    CHECK(defaults.lifetime_share);
    const Thresholds given = Thresholds::from_days(21, std::nullopt);
    CHECK(given.warn_days == 21);
    CHECK(given.crit_days == 7);
    CHECK_FALSE(given.lifetime_share);
    CHECK_FALSE(Thresholds::from_days(std::nullopt, 3).lifetime_share);
    CHECK_THROWS_WITH(Thresholds::from_days(std::nullopt, 31),
                      Catch::Contains("--crit-days 31 is more than --warn-days 30"));
    CHECK_THROWS_WITH(Thresholds::from_days(-1, std::nullopt), Catch::Contains("out of range"));
    CHECK_THROWS_WITH(Thresholds::from_days(36501, std::nullopt), Catch::Contains("out of range"));
    CHECK_NOTHROW(Thresholds::from_days(0, 0));
}

TEST_CASE("expiry: the lifetime share scales both thresholds of short-lived certificates",
          "[expiry]") {
    const Thresholds t;
    // 90 days and more: the days as given.
    CHECK(for_lifetime(t, days(90)).warn == days(30));
    CHECK(for_lifetime(t, days(90)).crit == days(7));
    CHECK(for_lifetime(t, days(3650)).warn == days(30));
    // 30 days: 10 days, and 7/90 of the lifetime (2.333 d) rounded up to 2.34 d.
    CHECK(for_lifetime(t, days(30)).warn == days(10));
    CHECK(for_lifetime(t, days(30)).crit == Seconds{234 * 864});
    // 6 days (a short-lived ACME profile): 2 days, and 0.467 d -> 0.47 d.
    CHECK(for_lifetime(t, days(6)).warn == days(2));
    CHECK(for_lifetime(t, days(6)).crit == Seconds{47 * 864});
    // Without the share (days given), the days whatever the lifetime.
    const Thresholds exact = Thresholds::from_days(30, 7);
    CHECK(for_lifetime(exact, days(6)).warn == days(30));
    CHECK(for_lifetime(exact, days(6)).crit == days(7));
    // A certificate whose dates are reversed has no lifetime: every moment is critical.
    CHECK(for_lifetime(t, Seconds{-5}).warn == Seconds{0});
}

TEST_CASE("expiry: levels at the boundaries, to the second", "[expiry]") {
    const ItemThresholds t{days(30), days(7)};
    const TimePoint begin = t0();
    const TimePoint end = begin + days(397);
    const auto at = [&](Seconds before_end) {
        return expiry_status(t, begin, end, end - before_end);
    };
    CHECK(at(days(31)) == Status::ok);
    CHECK(at(days(30)) == Status::ok);  // exactly 30 days left is not under 30
    CHECK(at(days(30) - Seconds{1}) == Status::warning);
    CHECK(at(days(7)) == Status::warning);
    CHECK(at(days(7) - Seconds{1}) == Status::critical);
    CHECK(at(Seconds{0}) == Status::critical);
    CHECK(at(Seconds{-1}) == Status::critical);  // expired
    // Not valid yet: a warning, even with all its time left.
    CHECK(expiry_status(t, begin, end, begin - Seconds{1}) == Status::warning);
    // crit 0: critical only once expired (notAfter itself is valid).
    const ItemThresholds zero{days(30), Seconds{0}};
    CHECK(expiry_status(zero, begin, end, end) == Status::warning);
    CHECK(expiry_status(zero, begin, end, end + Seconds{1}) == Status::critical);
}

TEST_CASE("expiry: the worst state wins, critical > warning > unknown > ok", "[expiry]") {
    CHECK(worst(Status::ok, Status::unknown) == Status::unknown);
    CHECK(worst(Status::unknown, Status::warning) == Status::warning);
    CHECK(worst(Status::critical, Status::warning) == Status::critical);
    CHECK(worst(Status::critical, Status::unknown) == Status::critical);
    CHECK(nagios_code(Status::ok) == 0);
    CHECK(nagios_code(Status::warning) == 1);
    CHECK(nagios_code(Status::critical) == 2);
    CHECK(nagios_code(Status::unknown) == 3);
    ExpiryReport r;
    CHECK(r.status() == Status::ok);
    r.findings.push_back({FindingCode::service_unreachable, Status::unknown, "x", "y"});
    CHECK(r.status() == Status::unknown);
    ExpiryItem i;
    i.status = Status::warning;
    r.items.push_back(i);
    CHECK(r.status() == Status::warning);
}

TEST_CASE("expiry: Nagios labels and lines, Prometheus label values", "[expiry]") {
    CHECK(nagios_label("mail leaf") == "'mail leaf'");
    CHECK(nagios_label("it's=a|b") == "'it''s_a_b'");
    CHECK(nagios_label("two\nlines") == "'two\\nlines'");
    CHECK(nagios_unknown("cannot read 'x' | y\nz") ==
          "CERTTOOL EXPIRY UNKNOWN - cannot read 'x' / y\\nz\n");
    CHECK(prometheus_label_value(R"(a\b"c)") == R"(a\\b\"c)");
    CHECK(prometheus_label_value("line\nbreak") == "line\\nbreak");

    ExpiryReport r;
    r.store = "/s";
    ExpiryItem i;
    i.entry = "mail";
    i.element = "leaf";
    i.subject = "CN=a|b";
    i.remaining = Seconds{-1};  // expired a second ago: -0.01 days, rounded down
    i.days_left = 0;
    i.thresholds = {Seconds{10 * 864}, Seconds{864}};
    i.status = Status::critical;
    r.items.push_back(i);
    const std::string out = nagios_output(r);
    CHECK_THAT(out, Catch::StartsWith("CERTTOOL EXPIRY CRITICAL - 1 certificate(s): 1 critical"));
    CHECK_THAT(out, Catch::Contains(" | 'mail leaf'=-0.01;0.10:;0.01:\n"));
    CHECK_THAT(out, Catch::Contains("CRITICAL: mail leaf (CN=a/b) expired"));
    const std::string prom = prometheus_text(r, t0());
    CHECK_THAT(prom,
               Catch::Contains("# TYPE certtool_certificate_not_after gauge\n"
                               "certtool_certificate_not_after{kind=\"entry\",entry=\"mail\","
                               "service=\"\",level=\"\",element=\"leaf\"} 0\n"));
    CHECK_THAT(prom, Catch::Contains("certtool_check_expiry_status 2\n"));
    CHECK_THAT(prom,
               Catch::Contains("certtool_check_expiry_last_run_timestamp_seconds 1893456000\n"));
    CHECK_THAT(prometheus_unknown(t0()), Catch::Contains("certtool_check_expiry_status 3\n"));
}

}  // namespace certtool::monitor
