// check-expiry: every certificate the store and the committed configuration depend on, against
// thresholds; text, --json, --nagios, --prometheus FILE or --needs-renewal (monitor/expiry.hpp).
#include "cli.hpp"
#include "render.hpp"

#include <certtool/expiry.hpp>
#include <certtool/files.hpp>

#include <CLI/CLI.hpp>

#include <chrono>

namespace certtool::cli {

namespace {

struct CheckExpiryOptions {
    int warn_days{-1};  // -1: not given
    int crit_days{-1};
    std::string at;
    bool probe{false};
    double timeout{5};
    bool nagios{false};
    std::string prometheus;
    bool needs_renewal{false};
};

monitor::ExpiryReport expiry_report(const CheckExpiryOptions& opt, const Common& common) {
    if (common.json && (opt.nagios || opt.needs_renewal || !opt.prometheus.empty())) {
        throw Error(Errc::invalid_argument,
                    "--json is an output of its own: give one of --json, --nagios, --prometheus "
                    "FILE and --needs-renewal");
    }
    monitor::ExpiryRequest request;
    request.at = opt.at.empty() ? std::chrono::system_clock::now() : parse_time(opt.at);
    request.thresholds = monitor::Thresholds::from_days(
        opt.warn_days < 0 ? std::nullopt : std::optional<int>{opt.warn_days},
        opt.crit_days < 0 ? std::nullopt : std::optional<int>{opt.crit_days});
    request.probe = opt.probe;
    request.probe_timeout = std::chrono::milliseconds{static_cast<long>(opt.timeout * 1000)};
    return monitor::check_expiry(open_store(common), request);
}

// The modes whose failures are answers of their own: Nagios's UNKNOWN, systemd's "failed".
ExitCode run_nagios(const CheckExpiryOptions& opt, const Common& common, Output& out) {
    try {
        const auto report = expiry_report(opt, common);
        out.text() << monitor::nagios_output(report);
        return static_cast<ExitCode>(monitor::nagios_code(report.status()));
    } catch (const Error& e) {
        out.text() << monitor::nagios_unknown(e.what());
        return ExitCode::failed;  // 3, UNKNOWN
    }
}

ExitCode run_needs_renewal(const CheckExpiryOptions& opt, const Common& common, Output& out) {
    std::vector<std::string> names;
    try {
        names = expiry_report(opt, common).needs_renewal();
    } catch (const Error& e) {
        out.note(std::string{"error: "} + e.what());
        return ExitCode::cannot_check;
    }
    for (const auto& n : names) {
        out.text() << "needs renewal: " << n << '\n';
    }
    if (names.empty()) {
        out.text() << "no entry needs renewal\n";
    }
    return names.empty() ? ExitCode::check_failed : ExitCode::ok;
}

ExitCode run_prometheus(const CheckExpiryOptions& opt, const Common& common) {
    const auto now = std::chrono::system_clock::now();
    try {
        const auto report = expiry_report(opt, common);
        write_output_file(
            opt.prometheus, monitor::prometheus_text(report, now), FileMode::shared, true);
    } catch (const Error& e) {
        if (e.code() != Errc::invalid_argument) {  // the exporter says it failed: status 3
            write_output_file(
                opt.prometheus, monitor::prometheus_unknown(now), FileMode::shared, true);
        }
        throw;
    }
    return ExitCode::ok;
}

ExitCode run_check_expiry(const CheckExpiryOptions& opt, const Common& common, Output& out) {
    if (opt.nagios || opt.needs_renewal || !opt.prometheus.empty()) {
        out.json_lines();  // an output of their own, even after a global --json (refused)
    }
    if (opt.nagios) {
        return run_nagios(opt, common, out);
    }
    if (opt.needs_renewal) {
        return run_needs_renewal(opt, common, out);
    }
    if (!opt.prometheus.empty()) {
        return run_prometheus(opt, common);
    }
    const auto report = expiry_report(opt, common);
    if (out.json()) {
        out.result() = expiry_report_json(report);
    } else {
        print_expiry_report(out.text(), report);
    }
    return report.status() == monitor::Status::ok ? ExitCode::ok : ExitCode::check_failed;
}

}  // namespace

void add_check_expiry(CLI::App& app, Dispatch& dispatch) {
    auto opt = std::make_shared<CheckExpiryOptions>();
    auto* sub = app.add_subcommand(
        "check-expiry",
        "report every certificate of the store and the committed configuration that is expiring");
    add_common(*sub, dispatch.common);
    sub->add_option("--warn-days",
                    opt->warn_days,
                    "warning with fewer days left (default 30, or 1/3 of a shorter lifetime)")
        ->check(CLI::Range(0, 36500));
    sub->add_option("--crit-days", opt->crit_days, "critical with fewer days left (default 7)")
        ->check(CLI::Range(0, 36500));
    sub->add_option("--at", opt->at, "evaluate as of this time, RFC 3339 (default: now)")
        ->type_name("TIME");
    sub->add_flag("--probe",
                  opt->probe,
                  "also probe each committed listener (STARTTLS) and HTTPS interface (TLS) and "
                  "compare what they serve");
    sub->add_option("--timeout", opt->timeout, "--probe: seconds allowed per phase (default 5)")
        ->check(CLI::Range(0.1, 300.0));
    auto* nagios = sub->add_flag(
        "--nagios", opt->nagios, "one Nagios plugin line with performance data; exit 0/1/2/3");
    auto* prom = sub->add_option("--prometheus",
                                 opt->prometheus,
                                 "write the node-exporter textfile FILE (atomically) instead")
                     ->type_name("FILE");
    auto* renewal = sub->add_flag(
        "--needs-renewal",
        opt->needs_renewal,
        "exit 0 when an entry needs renewal, 1 when none does (systemd ExecCondition)");
    nagios->excludes(prom)->excludes(renewal)->excludes(sub->get_option("--json"));
    prom->excludes(renewal)->excludes(sub->get_option("--json"));
    renewal->excludes(sub->get_option("--json"));
    sub->footer(footer(
        {"certtool check-expiry",
         "certtool check-expiry --warn-days 21 --crit-days 7 --probe",
         "certtool check-expiry --at 2026-12-01",
         "certtool check-expiry --nagios            # Nagios/Icinga: OK, WARNING, CRITICAL, "
         "UNKNOWN",
         "certtool check-expiry --prometheus /var/lib/prometheus/node-exporter/certtool.prom",
         "certtool check-expiry --needs-renewal   # a systemd ExecCondition before renewing"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        return run_check_expiry(*opt, common, out);
    };
}

}  // namespace certtool::cli
