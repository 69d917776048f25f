// issue #16 part 4: certtool check-expiry through the real binary. Thresholds are hit to the
// second with --at (computed from each certificate's own dates), the Nagios line is parsed and
// its performance data evaluated the way Nagios evaluates threshold ranges, the Prometheus
// textfile is parsed line by line, and --probe meets a STARTTLS server on loopback.
#include "cli_fixture.hpp"
#include "ossl.hpp"

#include <certtool/time.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <openssl/ssl.h>

#include <sys/stat.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <regex>
#include <sstream>

namespace certtool::test {

namespace {

using nlohmann::json;

// --at as RFC 3339, `seconds` from an item's not_after.
std::string from_end(const json& item, long seconds) {
    return format_time(parse_time(item["not_after"].get<std::string>()) +
                       std::chrono::seconds{seconds});
}

long epoch_of(const std::string& rfc3339) {
    return static_cast<long>(
        std::chrono::duration_cast<std::chrono::seconds>(parse_time(rfc3339).time_since_epoch())
            .count());
}

// The item of `kind` with this label.
json item_of(const json& report, const std::string& label) {
    for (const auto& i : report["items"]) {
        if (i["label"] == label) {
            return i;
        }
    }
    FAIL("no item '" << label << "' in " << report.dump());
    return {};
}

std::vector<std::string> codes_of(const json& report) {
    std::vector<std::string> out;
    for (const auto& f : report["findings"]) {
        out.push_back(f["code"].get<std::string>());
    }
    return out;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

// ---- Nagios, as Nagios reads a plugin ---------------------------------------------------------

struct PerfDatum {
    std::string label;
    double value{0};
    std::string warn;
    std::string crit;
};

struct PluginOutput {
    std::string status;  // OK, WARNING, CRITICAL, UNKNOWN
    std::string text;
    std::vector<PerfDatum> perf;
    std::vector<std::string> long_text;
};

// The guidelines' perfdata: space-separated 'label'=value[UOM];[warn];[crit];[min];[max], the
// label quoted when it has spaces ('' for a quote; no '=' in it).
std::vector<PerfDatum> parse_perfdata(const std::string& perf) {
    static const std::regex datum{
        R"(('(?:[^'=]|'')+'|[^'= ]+)=(-?[0-9]+(?:\.[0-9]+)?)([a-zA-Z%]*)(?:;([^; ]*))?(?:;([^; ]*))?(?:;([^; ]*))?(?:;([^; ]*))?)"};
    static const std::regex range{R"(@?(~|-?[0-9.]+)?(:(-?[0-9.]+)?)?)"};
    std::vector<PerfDatum> out;
    std::string rest = perf;
    while (!rest.empty() && rest.front() == ' ') {
        rest.erase(0, 1);
    }
    std::smatch m;
    while (!rest.empty()) {
        INFO("perfdata: '" << rest << "'");
        REQUIRE(std::regex_search(rest, m, datum, std::regex_constants::match_continuous));
        PerfDatum d;
        d.label = m[1].str();
        if (d.label.front() == '\'') {
            d.label =
                std::regex_replace(d.label.substr(1, d.label.size() - 2), std::regex{"''"}, "'");
        }
        d.value = std::stod(m[2].str());
        CHECK(m[3].str().empty());  // days: a plain number
        d.warn = m[4].str();
        d.crit = m[5].str();
        CHECK(std::regex_match(d.warn, range));
        CHECK(std::regex_match(d.crit, range));
        out.push_back(d);
        rest = m.suffix().str();
        if (!rest.empty()) {
            REQUIRE(rest.front() == ' ');
            rest.erase(0, 1);
        }
    }
    return out;
}

PluginOutput parse_plugin(const RunResult& r) {
    static const std::regex first{
        R"(CERTTOOL EXPIRY (OK|WARNING|CRITICAL|UNKNOWN) - ([^|]*)(?:\|(.*))?)"};
    PluginOutput p;
    std::istringstream lines{r.out};
    std::string line;
    REQUIRE(std::getline(lines, line));
    std::smatch m;
    INFO("plugin output: " << r.out);
    REQUIRE(std::regex_match(line, m, first));
    p.status = m[1].str();
    p.text = m[2].str();
    p.perf = parse_perfdata(m[3].str());
    while (std::getline(lines, line)) {
        CHECK(line.find('|') == std::string::npos);  // no more performance data
        p.long_text.push_back(line);
    }
    // Nagios's meaning of the exit code.
    const std::map<std::string, int> codes{
        {"OK", 0}, {"WARNING", 1}, {"CRITICAL", 2}, {"UNKNOWN", 3}};
    CHECK(r.exit_code == codes.at(p.status));
    return p;
}

// A threshold range (Nagios Plugin Development Guidelines, "Threshold and ranges"): alert when
// the value is outside start:end ("10" = 0:10, "10:" = 10:inf, "~:10" = -inf:10), or inside
// with a leading '@'. An empty range never alerts.
bool alerts(const std::string& range_text, double value) {
    if (range_text.empty()) {
        return false;
    }
    std::string r = range_text;
    const bool inside = r.front() == '@';
    if (inside) {
        r.erase(0, 1);
    }
    double start = 0;
    double end = std::numeric_limits<double>::infinity();
    const auto colon = r.find(':');
    if (colon == std::string::npos) {
        end = std::stod(r);
    } else {
        const std::string s = r.substr(0, colon);
        start = s == "~" ? -std::numeric_limits<double>::infinity() : s.empty() ? 0 : std::stod(s);
        if (colon + 1 < r.size()) {
            end = std::stod(r.substr(colon + 1));
        }
    }
    const bool in_range = value >= start && value <= end;
    return inside ? in_range : !in_range;
}

// What Nagios makes of one datum: CRITICAL before WARNING.
std::string perf_status(const PerfDatum& d) {
    return alerts(d.crit, d.value) ? "CRITICAL" : alerts(d.warn, d.value) ? "WARNING" : "OK";
}

// ---- A STARTTLS server on loopback serving one certificate ------------------------------------

class StartTlsServer {
public:
    StartTlsServer(const std::string& chain_file, const std::string& key_file) {
        m_ctx.reset(SSL_CTX_new(TLS_server_method()));
        REQUIRE(m_ctx);
        REQUIRE(SSL_CTX_use_certificate_chain_file(m_ctx.get(), chain_file.c_str()) == 1);
        REQUIRE(SSL_CTX_use_PrivateKey_file(m_ctx.get(), key_file.c_str(), SSL_FILETYPE_PEM) == 1);
        m_server = std::make_unique<LoopbackServer>([this](int fd) { serve(fd); });
    }

    [[nodiscard]] int port() const { return m_server->port(); }

private:
    void serve(int fd) {
        send_text(fd, "220 mx.test ESMTP\r\n");
        for (std::string line = read_line(fd); !line.empty(); line = read_line(fd)) {
            if (line.rfind("EHLO", 0) == 0) {
                send_text(fd, "250-mx.test\r\n250 STARTTLS\r\n");
            } else if (line.rfind("STARTTLS", 0) == 0) {
                send_text(fd, "220 2.0.0 Ready to start TLS\r\n");
                break;
            } else {
                send_text(fd, "502 5.5.2 no\r\n");
            }
        }
        const ossl::SslPtr ssl{SSL_new(m_ctx.get())};
        SSL_set_fd(ssl.get(), fd);
        if (SSL_accept(ssl.get()) != 1) {
            ossl::clear_errors();
            return;
        }
        std::string buffer(4096, '\0');
        for (int n = SSL_read(ssl.get(), buffer.data(), 4096); n > 0;
             n = SSL_read(ssl.get(), buffer.data(), 4096)) {
            const std::string got = buffer.substr(0, static_cast<std::size_t>(n));
            const std::string reply = got.rfind("QUIT", 0) == 0   ? "221 2.0.0 Bye\r\n"
                                      : got.rfind("EHLO", 0) == 0 ? "250 mx.test\r\n"
                                                                  : "250 2.0.0 OK\r\n";
            SSL_write(ssl.get(), reply.data(), static_cast<int>(reply.size()));
            if (got.rfind("QUIT", 0) == 0) {
                break;
            }
        }
        ossl::clear_errors();
    }

    ossl::SslCtxPtr m_ctx;
    std::unique_ptr<LoopbackServer> m_server;
};

class ExpiryFixture : public CliFixture {
public:
    json report(std::vector<std::string> args, int expected_exit = -1) const {
        args.insert(args.begin(), "check-expiry");
        args.emplace_back("--json");
        const RunResult r = ct(args);
        INFO("stdout: " << r.out << "\nstderr: " << r.err);
        if (expected_exit >= 0) {
            CHECK(r.exit_code == expected_exit);
        }
        REQUIRE((r.exit_code == 0 || r.exit_code == 1));
        const json j = json::parse(r.out);
        CHECK(r.exit_code == (j["status"] == "ok" ? 0 : 1));
        return j;
    }

    RunResult nagios(std::vector<std::string> args) const {
        args.insert(args.begin(), {"check-expiry", "--nagios"});
        return ct(args);
    }

    // The status of entry `name`'s leaf at `at` (text mode's exit code checked with it).
    std::string leaf_status(const std::string& name,
                            const std::string& at,
                            const std::vector<std::string>& extra = {}) const {
        std::vector<std::string> args{"--at", at};
        args.insert(args.end(), extra.begin(), extra.end());
        return item_of(report(args), name + " leaf")["status"].get<std::string>();
    }
};

}  // namespace

TEST_CASE_METHOD(ExpiryFixture,
                 "check-expiry: warning under 30 days left, critical under 7, to the second",
                 "[cli][expiry]") {
    ok({"create-selfsigned",
        "mail",
        "--cn",
        "mail.example.com",
        "--key-type",
        "ec-p256",
        "--days",
        "397"});
    const json leaf = item_of(report({}), "mail leaf");
    CHECK(leaf["warn_days"] == 30.0);  // a long lifetime: the days as given
    CHECK(leaf["crit_days"] == 7.0);
    constexpr long day = 86400;
    // Exactly 30 days left is not under 30; one second later it is.
    CHECK(leaf_status("mail", from_end(leaf, -30 * day)) == "ok");
    CHECK(leaf_status("mail", from_end(leaf, -30 * day + 1)) == "warning");
    CHECK(leaf_status("mail", from_end(leaf, -7 * day)) == "warning");
    CHECK(leaf_status("mail", from_end(leaf, -7 * day + 1)) == "critical");
    CHECK(leaf_status("mail", from_end(leaf, 0)) == "critical");
    CHECK(leaf_status("mail", from_end(leaf, 1)) == "critical");  // expired
    SECTION("--warn-days and --crit-days move the boundaries") {
        const std::vector<std::string> t{"--warn-days", "10", "--crit-days", "3"};
        CHECK(leaf_status("mail", from_end(leaf, -10 * day), t) == "ok");
        CHECK(leaf_status("mail", from_end(leaf, -10 * day + 1), t) == "warning");
        CHECK(leaf_status("mail", from_end(leaf, -3 * day), t) == "warning");
        CHECK(leaf_status("mail", from_end(leaf, -3 * day + 1), t) == "critical");
        // --crit-days 0: critical only once expired (notAfter itself is still valid).
        const std::vector<std::string> zero{"--crit-days", "0"};
        CHECK(leaf_status("mail", from_end(leaf, 0), zero) == "warning");
        CHECK(leaf_status("mail", from_end(leaf, 1), zero) == "critical");
    }
    SECTION("the appliance's alert schedule in the text report") {
        const RunResult r = ct({"check-expiry", "--at", from_end(leaf, -15 * day)});
        CHECK(r.exit_code == 1);
        CHECK_THAT(r.out,
                   Catch::Contains("warning") && Catch::Contains("15 today") &&
                       Catch::Contains("5 in 10d") && Catch::Contains("entry mail leaf"));
        const json j = report({"--at", from_end(leaf, -20 * day)});
        CHECK(item_of(j, "mail leaf")["alert"] == 30);
        CHECK(item_of(j, "mail leaf")["alert_today"] == false);
        CHECK(item_of(j, "mail leaf")["next_alert"] == 15);
        CHECK(j["needs_renewal"] == json::array({"mail"}));
        CHECK(item_of(report({"--at", from_end(leaf, 1)}), "mail leaf")["alert"] == 0);
    }
    SECTION("bad thresholds and times are usage errors naming the fix") {
        const RunResult above = ct({"check-expiry", "--crit-days", "40"});
        CHECK(above.exit_code == 2);
        CHECK_THAT(above.err, Catch::Contains("--crit-days 40 is more than --warn-days 30"));
        CHECK(ct({"check-expiry", "--warn-days", "-1"}).exit_code == 2);
        const RunResult at = ct({"check-expiry", "--at", "yesterday"});
        CHECK(at.exit_code == 2);
        CHECK(std::count(at.err.begin(), at.err.end(), '\n') == 1);
        CHECK(ct({"check-expiry", "--nagios", "--json"}).exit_code == 3);  // UNKNOWN
        CHECK(ct({"check-expiry", "--json", "--needs-renewal"}).exit_code == 2);
    }
}

TEST_CASE_METHOD(ExpiryFixture,
                 "check-expiry: a short lifetime shortens both thresholds to its share",
                 "[cli][expiry]") {
    ok({"create-selfsigned",
        "short",
        "--cn",
        "short.example.com",
        "--key-type",
        "ec-p256",
        "--days",
        "30"});
    const json leaf = item_of(report({}), "short leaf");
    const long lifetime = epoch_of(leaf["not_after"]) - epoch_of(leaf["not_before"]);
    // 1/3 of the lifetime, and 7/30 of that, each rounded up to a hundredth of a day.
    const auto hundredths = [](long s) { return (s + 863) / 864 * 864; };
    const long warn = hundredths(lifetime / 3);
    const long crit = hundredths(lifetime * 7 / 90);
    CHECK(leaf["warn_days"].get<double>() == Approx(static_cast<double>(warn) / 86400));
    CHECK(leaf["crit_days"].get<double>() == Approx(static_cast<double>(crit) / 86400));
    CHECK(warn < 11 * 86400);
    CHECK(leaf_status("short", from_end(leaf, -warn)) == "ok");
    CHECK(leaf_status("short", from_end(leaf, -warn + 1)) == "warning");
    CHECK(leaf_status("short", from_end(leaf, -crit)) == "warning");
    CHECK(leaf_status("short", from_end(leaf, -crit + 1)) == "critical");
    // 20 days left: under 30 days, but over 1/3 of a 30-day lifetime: ok ...
    const std::string twenty = from_end(leaf, -20 * 86400);
    CHECK(leaf_status("short", twenty) == "ok");
    // ... unless the days are given: then they are exact.
    CHECK(leaf_status("short", twenty, {"--warn-days", "30"}) == "warning");
    CHECK(report({"--warn-days", "30"})["thresholds"]["lifetime_share"] == false);
}

TEST_CASE_METHOD(ExpiryFixture, "check-expiry --nagios: parsed as Nagios does", "[cli][expiry]") {
    for (const auto& [name, days] : std::vector<std::pair<std::string, std::string>>{
             {"long", "800"}, {"mid", "397"}, {"old", "100"}}) {
        ok({"create-selfsigned",
            name,
            "--cn",
            name + ".example.com",
            "--key-type",
            "ec-p256",
            "--days",
            days});
    }
    const json now = report({});
    SECTION("all ok") {
        const PluginOutput p = parse_plugin(nagios({}));
        CHECK(p.status == "OK");
        CHECK(p.long_text.empty());
        REQUIRE(p.perf.size() == 3);
        for (const auto& d : p.perf) {
            CHECK(perf_status(d) == "OK");
        }
    }
    SECTION("the worst item decides; each datum alerts exactly at its item's level") {
        const std::string at = from_end(item_of(now, "mid leaf"), -20 * 86400);
        const json j = report({"--at", at});
        const PluginOutput p = parse_plugin(nagios({"--at", at}));
        CHECK(p.status == "CRITICAL");  // "old" has expired
        REQUIRE(p.perf.size() == j["items"].size());
        std::string worst = "OK";
        for (const auto& d : p.perf) {
            INFO(d.label);
            const json item = item_of(j, d.label);
            std::string level = item["status"].get<std::string>();
            std::transform(level.begin(), level.end(), level.begin(), ::toupper);
            CHECK(perf_status(d) == level);
            CHECK(d.value == Approx(item["seconds_left"].get<double>() / 86400).margin(0.01));
            if (level == "CRITICAL" || (level == "WARNING" && worst == "OK")) {
                worst = level;
            }
        }
        CHECK(worst == p.status);
        CHECK(perf_status(p.perf.at(0)) == "OK");        // long
        CHECK(perf_status(p.perf.at(1)) == "WARNING");   // mid
        CHECK(perf_status(p.perf.at(2)) == "CRITICAL");  // old
        CHECK(p.perf.at(2).value < 0);
        CHECK_THAT(p.text, Catch::Contains("1 critical, 1 warning, 1 ok"));
        CHECK(p.long_text.size() == 2);  // one line per item that is not ok
        CHECK_THAT(p.long_text.at(0), Catch::StartsWith("WARNING: mid leaf"));
        CHECK_THAT(p.long_text.at(1), Catch::StartsWith("CRITICAL: old leaf"));
    }
    SECTION("WARNING alone") {
        const PluginOutput p =
            parse_plugin(nagios({"--at", from_end(item_of(now, "old leaf"), -10 * 86400)}));
        CHECK(p.status == "WARNING");
    }
    SECTION("a store that cannot be read, or a bad command line, is UNKNOWN") {
        write_file(dir / "a-file", "not a store\n");
        for (const auto& r :
             {run_certtool({"check-expiry", "--nagios"},
                           {.env = {{"CERTTOOL_HOME", path("a-file")}}}),
              run_certtool({"check-expiry", "--nagios", "--store", path("a-file") + "/sub"}),
              nagios({"--bogus"}),
              nagios({"--at", "soon"}),
              nagios({"--warn-days", "5"})}) {  // crit 7 above warn 5
            INFO(r.out << r.err);
            CHECK(r.exit_code == 3);
            const PluginOutput p = parse_plugin(r);
            CHECK(p.status == "UNKNOWN");
            CHECK(p.perf.empty());
        }
    }
}

TEST_CASE_METHOD(ExpiryFixture,
                 "check-expiry --prometheus: a textfile node-exporter reads, replaced atomically",
                 "[cli][expiry]") {
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
    std::filesystem::create_directories(dir / "textfile");
    const std::string file = path("textfile/certtool.prom");
    const RunResult first = ct({"check-expiry", "--prometheus", file});
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    CHECK(first.out.empty());

    struct stat st {};

    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0644);
    // Parsed as the text exposition format: HELP/TYPE comments, then name{labels} value.
    static const std::regex sample{
        R"re(([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})? (-?[0-9.e+]+))re"};
    static const std::regex label{R"re(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)")re"};
    std::map<std::string, std::string> types;
    std::map<std::string, double> values;  // name{labels} -> value
    std::istringstream lines{read_file(file)};
    for (std::string line; std::getline(lines, line);) {
        INFO(line);
        std::smatch m;
        if (line.rfind("# TYPE ", 0) == 0) {
            std::istringstream words{line.substr(7)};
            std::string name;
            std::string type;
            words >> name >> type;
            CHECK(type == "gauge");
            types[name] = type;
            continue;
        }
        if (line.rfind("# HELP ", 0) == 0) {
            continue;
        }
        REQUIRE(std::regex_match(line, m, sample));
        CHECK(types.contains(m[1].str()));  // TYPE comes first
        values[m[1].str() + "{" + m[2].str() + "}"] = std::stod(m[3].str());
        std::string labels = m[2].str();
        for (std::sregex_iterator it{labels.begin(), labels.end(), label}, end; it != end; ++it) {
            CHECK_FALSE((*it)[1].str().empty());
        }
    }
    const json j = report({});
    const json leaf = item_of(j, "mail leaf");
    const std::string leaf_labels =
        R"({kind="entry",entry="mail",service="",level="",element="leaf"})";
    CHECK(values.at("certtool_certificate_not_after" + leaf_labels) ==
          static_cast<double>(epoch_of(leaf["not_after"])));
    CHECK(values.at("certtool_certificate_not_before" + leaf_labels) ==
          static_cast<double>(epoch_of(leaf["not_before"])));
    CHECK(values.at("certtool_certificate_status" + leaf_labels) == 0);
    CHECK(values.at("certtool_check_expiry_status{}") == 0);
    CHECK(values.at("certtool_check_expiry_findings{code=\"stale-service\"}") == 0);
    const double last_run = values.at("certtool_check_expiry_last_run_timestamp_seconds{}");
    CHECK(std::abs(last_run - static_cast<double>(std::time(nullptr))) < 120);

    SECTION("a second run replaces the file, never writing into the old one") {
        std::filesystem::create_hard_link(file, dir / "old-link");  // the old inode
        const std::string before = read_file(dir / "old-link");
        ok({"check-expiry", "--prometheus", file, "--at", "2200-01-01"});
        CHECK(read_file(dir / "old-link") == before);  // untouched: renamed over, not rewritten
        const std::string after = read_file(file);
        CHECK_THAT(after, Catch::Contains("certtool_check_expiry_status 2\n"));
        CHECK_THAT(after, Catch::Contains("certtool_certificate_status" + leaf_labels + " 2\n"));
        // Only the .prom file is in the collector's directory: no temporary left behind.
        std::vector<std::string> names;
        for (const auto& e : std::filesystem::directory_iterator(dir / "textfile")) {
            names.push_back(e.path().filename().string());
        }
        CHECK(names == std::vector<std::string>{"certtool.prom"});
    }
    SECTION("a store that cannot be read leaves status 3, not stale values") {
        write_file(dir / "a-file", "x");
        const RunResult r =
            run_certtool({"check-expiry", "--prometheus", file, "--store", path("a-file")});
        CHECK(r.exit_code == 3);
        const std::string text = read_file(file);
        CHECK_THAT(text, Catch::Contains("certtool_check_expiry_status 3\n"));
        CHECK_THAT(text, !Catch::Contains("certtool_certificate_not_after{"));
    }
    SECTION("a file that cannot be written is exit 3") {
        CHECK(ct({"check-expiry", "--prometheus", path("no-such-dir/x.prom")}).exit_code == 3);
    }
}

TEST_CASE_METHOD(ExpiryFixture,
                 "check-expiry --needs-renewal: systemd ExecCondition's 0, 1 and 255",
                 "[cli][expiry]") {
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
    ok({"create-selfsigned",
        "spare",
        "--cn",
        "spare.example.com",
        "--key-type",
        "ec-p256",
        "--days",
        "800"});
    const RunResult none = ct({"check-expiry", "--needs-renewal"});
    CHECK(none.exit_code == 1);  // skip the renewal
    CHECK(none.out == "no entry needs renewal\n");
    const std::string soon = from_end(item_of(report({}), "mail leaf"), -10 * 86400);
    const RunResult due = ct({"check-expiry", "--needs-renewal", "--at", soon});
    CHECK(due.exit_code == 0);  // proceed
    CHECK(due.out == "needs renewal: mail\n");
    write_file(dir / "a-file", "x");
    const RunResult broken =
        run_certtool({"check-expiry", "--needs-renewal", "--store", path("a-file")});
    CHECK(broken.exit_code == 255);  // the unit fails rather than skipping
    CHECK_THAT(broken.err, Catch::StartsWith("certtool: error: store "));
}

TEST_CASE_METHOD(ExpiryFixture,
                 "check-expiry: the committed bindings, demo-bound, chain-invalid, custom CAs",
                 "[cli][expiry]") {
    make_ca();
    mail_with_csr();
    sign_csr(path("mail.csr"), path("signed.pem"));
    import_with_chain("mail", path("signed.pem"));
    ok({"listener", "add", "In", "--address", "127.0.0.1:2525"});
    // Staged only: nothing is bound yet, and the unbound CA-signed entry's untrusted chain is a
    // warning.
    json j = report({});
    CHECK(j["revision"] == 0);
    CHECK_FALSE(has(codes_of(j), "demo-bound"));
    REQUIRE(has(codes_of(j), "chain-invalid"));
    CHECK(j["findings"][0]["status"] == "warning");
    CHECK_THAT(j["findings"][0]["message"].get<std::string>(),
               Catch::Contains("CN=CLI Test Root") && Catch::Contains("certtool verify mail"));
    CHECK(item_of(j, "mail chain1")["subject"] == "CN=CLI Test Issuing CA");

    ok({"commit", "--comment", "listener on demo"});
    j = report({});
    CHECK(j["revision"] == 1);
    CHECK(has(codes_of(j), "demo-bound"));
    const json bound = item_of(j, "listener:In");
    CHECK(bound["entry"] == "demo");
    CHECK(bound["service"] == "listener In");
    CHECK(bound["level"] == "cluster");

    ok({"listener", "set", "In", "--certificate", "mail"});
    ok({"commit", "--comment", "mail certificate"});
    j = report({});
    CHECK_FALSE(has(codes_of(j), "demo-bound"));
    CHECK(item_of(j, "listener:In")["entry"] == "mail");
    // Bound now: the chain that does not verify is critical.
    for (const auto& f : j["findings"]) {
        if (f["code"] == "chain-invalid") {
            CHECK(f["status"] == "critical");
        }
    }
    // Its root in the store's CA list: the chain verifies, and the CA is an item of its own.
    ok({"ca", "import", path("root.pem")});
    j = report({}, 0);
    CHECK(codes_of(j).empty());
    CHECK(item_of(j, "ca:CLI-Test-Root")["kind"] == "ca");
    const RunResult text = ct({"check-expiry"});
    CHECK(text.exit_code == 0);
    CHECK_THAT(text.out,
               Catch::Contains("listener In (cluster) -> mail") &&
                   Catch::Contains("CA CLI-Test-Root") && Catch::Contains("status: ok"));
}

TEST_CASE_METHOD(ExpiryFixture,
                 "check-expiry --probe: what each committed listener serves",
                 "[cli][expiry]") {
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
    ok({"export", "mail", "--cert-out", path("mail.pem"), "--key-out", path("mail.key")});
    self_signed("ec", "other.key", "other.pem", "/CN=old.example.com");
    SECTION("the committed leaf: no finding, and the served leaf is an item") {
        const StartTlsServer server{path("mail.pem"), path("mail.key")};
        const std::string address = "127.0.0.1:" + std::to_string(server.port());
        ok({"listener", "add", "In", "--address", address});
        ok({"listener", "set", "In", "--certificate", "mail"});
        ok({"commit"});
        const json j = report({"--probe", "--timeout", "5"}, 0);
        CHECK(codes_of(j).empty());
        const json served = item_of(j, "served:In");
        CHECK(served["sha256"] == item_of(j, "mail leaf")["sha256"]);
        REQUIRE(j["probes"].size() == 1);
        CHECK(j["probes"][0]["reached"] == true);
    }
    SECTION("another leaf: stale-service") {
        const StartTlsServer server{path("other.pem"), path("other.key")};
        ok({"listener", "add", "In", "--address", "127.0.0.1:" + std::to_string(server.port())});
        ok({"listener", "set", "In", "--certificate", "mail"});
        ok({"commit"});
        const json j = report({"--probe", "--timeout", "5"}, 1);
        REQUIRE(codes_of(j) == std::vector<std::string>{"stale-service"});
        CHECK(j["findings"][0]["status"] == "warning");
        CHECK_THAT(j["findings"][0]["message"].get<std::string>(),
                   Catch::Contains("CN=old.example.com") && Catch::Contains("reload"));
        CHECK(item_of(j, "served:In")["subject"] == "CN=old.example.com");
        // Without --probe nothing is asked of the server.
        CHECK(report({}, 0)["probes"].empty());
        const PluginOutput p = parse_plugin(nagios({"--probe"}));
        CHECK(p.status == "WARNING");
        CHECK_THAT(p.text, Catch::Contains("findings: stale-service"));
    }
    SECTION("nothing listening: service-unreachable, quickly") {
        int port = 0;
        {
            const LoopbackServer gone{[](int) {}};
            port = gone.port();
        }  // closed: connections are refused
        ok({"listener", "add", "In", "--address", "127.0.0.1:" + std::to_string(port)});
        ok({"listener", "set", "In", "--certificate", "mail"});
        ok({"commit"});
        const auto start = std::chrono::steady_clock::now();
        const json j = report({"--probe", "--timeout", "2"}, 1);
        CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds{10});
        REQUIRE(codes_of(j) == std::vector<std::string>{"service-unreachable"});
        CHECK(j["status"] == "unknown");
        CHECK(parse_plugin(nagios({"--probe", "--timeout", "2"})).status == "UNKNOWN");
    }
}

}  // namespace certtool::test
