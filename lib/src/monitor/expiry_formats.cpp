// The machine-read outputs of check-expiry: the Nagios plugin line (Nagios Plugin Development
// Guidelines: status word, '|' then performance data 'label'=value;warn;crit) and the
// node-exporter textfile collector format (Prometheus text exposition format 0.0.4).
#include <certtool/error.hpp>
#include <certtool/expiry.hpp>

#include <fmt/core.h>

#include <array>
#include <map>

namespace certtool::monitor {

namespace {

constexpr long k_centiday_seconds = 864;  // seconds

// Seconds as days with two decimals, rounded down ("-0.01" for one second past).
std::string days_text(Seconds s) {
    const long n = s.count();
    const long hundredths =
        n >= 0 ? n / k_centiday_seconds : -((-n + k_centiday_seconds - 1) / k_centiday_seconds);
    const long whole = hundredths / 100;
    const long frac = hundredths % 100;
    if (hundredths < 0) {
        return fmt::format("-{}.{:02}", -whole, -frac);
    }
    return fmt::format("{}.{:02}", whole, frac);
}

std::string upper(std::string_view s) {
    std::string out{s};
    for (auto& c : out) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return out;
}

// Plugin text: one line, and no '|' (it starts the performance data).
std::string plugin_text(std::string_view text) {
    std::string out = printable(text);
    for (auto& c : out) {
        if (c == '|') {
            c = '/';
        }
    }
    return out;
}

std::string when(const ExpiryItem& i) {
    if (i.remaining < Seconds{0}) {
        return fmt::format("expired {} ({} days ago)", format_time(i.not_after), -i.days_left);
    }
    return fmt::format("expires {} ({} days left)", format_time(i.not_after), i.days_left);
}

std::string summary(const ExpiryReport& r) {
    if (r.items.empty() && r.findings.empty()) {
        return fmt::format("no certificate in store {}", r.store);
    }
    if (r.items.empty() && r.findings.size() == 1) {
        return r.findings.front().message;
    }
    std::array<int, 4> counts{};
    for (const auto& i : r.items) {
        ++counts.at(static_cast<std::size_t>(i.status));
    }
    std::string out = fmt::format("{} certificate(s): {} critical, {} warning, {} ok",
                                  r.items.size(),
                                  counts.at(static_cast<std::size_t>(Status::critical)),
                                  counts.at(static_cast<std::size_t>(Status::warning)),
                                  counts.at(static_cast<std::size_t>(Status::ok)));
    // The most urgent item that is not ok, by name.
    const ExpiryItem* first = nullptr;
    for (const auto& i : r.items) {
        if (i.status != Status::ok && (first == nullptr || i.remaining < first->remaining)) {
            first = &i;
        }
    }
    if (first != nullptr) {
        out += fmt::format("; {} {}", first->label(), when(*first));
    }
    if (!r.findings.empty()) {
        std::map<std::string_view, int> codes;
        for (const auto& f : r.findings) {
            ++codes[finding_code_name(f.code)];
        }
        std::string list;
        for (const auto& [code, n] : codes) {
            list += fmt::format(
                "{}{}{}", list.empty() ? "" : ", ", code, n > 1 ? fmt::format(" x{}", n) : "");
        }
        out += "; findings: " + list;
    }
    return out;
}

long unix_seconds(TimePoint t) {
    return static_cast<long>(std::chrono::duration_cast<Seconds>(t.time_since_epoch()).count());
}

std::string item_labels(const ExpiryItem& i) {
    return fmt::format(R"({{kind="{}",entry="{}",service="{}",level="{}",element="{}"}})",
                       item_kind_name(i.kind),
                       prometheus_label_value(i.entry),
                       prometheus_label_value(i.service),
                       prometheus_label_value(i.level),
                       prometheus_label_value(i.element));
}

void metric_header(std::string& out, std::string_view name, std::string_view help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", name, help, name);
}

}  // namespace

int nagios_code(Status s) noexcept {
    switch (s) {
        case Status::ok:
            return 0;
        case Status::warning:
            return 1;
        case Status::critical:
            return 2;
        case Status::unknown:
            return 3;
    }
    return 3;
}

std::string nagios_label(std::string_view label) {
    std::string out = "'";
    for (const char c : printable(label)) {
        if (c == '\'') {
            out += "''";
        } else if (c == '=' || c == '|') {
            out += '_';
        } else {
            out += c;
        }
    }
    return out + "'";
}

std::string nagios_output(const ExpiryReport& report) {
    std::string perf;
    for (const auto& i : report.items) {
        perf += fmt::format(" {}={};{}:;{}:",
                            nagios_label(i.label()),
                            days_text(i.remaining),
                            days_text(i.thresholds.warn),
                            days_text(i.thresholds.crit));
    }
    std::string out = fmt::format("CERTTOOL EXPIRY {} - {}",
                                  upper(status_name(report.status())),
                                  plugin_text(summary(report)));
    if (!perf.empty()) {
        out += " |" + perf;
    }
    out += '\n';
    for (const auto& i : report.items) {
        if (i.status != Status::ok) {
            out += plugin_text(fmt::format("{}: {} ({}) {}",
                                           upper(status_name(i.status)),
                                           i.label(),
                                           i.subject,
                                           when(i))) +
                   "\n";
        }
    }
    for (const auto& f : report.findings) {
        out +=
            plugin_text(fmt::format(
                "{}: {}: {}", upper(status_name(f.status)), finding_code_name(f.code), f.message)) +
            "\n";
    }
    return out;
}

std::string nagios_unknown(std::string_view message) {
    return fmt::format("CERTTOOL EXPIRY UNKNOWN - {}\n", plugin_text(message));
}

std::string prometheus_label_value(std::string_view value) {
    std::string out;
    for (const char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string prometheus_text(const ExpiryReport& report, TimePoint run_time) {
    std::string out;
    // One gauge per item: NAME{labels} VALUE, under its HELP and TYPE lines.
    const auto per_item = [&](std::string_view name, std::string_view help, const auto& value) {
        metric_header(out, name, help);
        for (const auto& i : report.items) {
            out += fmt::format("{}{} {}\n", name, item_labels(i), value(i));
        }
    };
    per_item("certtool_certificate_not_after",
             "The certificate's notAfter as unix seconds (certtool check-expiry).",
             [](const ExpiryItem& i) { return unix_seconds(i.not_after); });
    per_item("certtool_certificate_not_before",
             "The certificate's notBefore as unix seconds (certtool check-expiry).",
             [](const ExpiryItem& i) { return unix_seconds(i.not_before); });
    per_item("certtool_certificate_status",
             "The certificate's expiry level: 0 ok, 1 warning, 2 critical.",
             [](const ExpiryItem& i) { return nagios_code(i.status); });
    metric_header(
        out, "certtool_check_expiry_findings", "Findings of the last check-expiry run, by code.");
    std::map<std::string_view, int> counts;
    for (const auto code : {FindingCode::stale_service,
                            FindingCode::service_unreachable,
                            FindingCode::demo_bound,
                            FindingCode::chain_invalid,
                            FindingCode::entry_damaged,
                            FindingCode::entry_missing,
                            FindingCode::store_missing}) {
        counts[finding_code_name(code)] = 0;
    }
    for (const auto& f : report.findings) {
        ++counts[finding_code_name(f.code)];
    }
    for (const auto& [code, n] : counts) {
        out += fmt::format("certtool_check_expiry_findings{{code=\"{}\"}} {}\n", code, n);
    }
    metric_header(out,
                  "certtool_check_expiry_status",
                  "The overall state: 0 ok, 1 warning, 2 critical, 3 unknown (as Nagios).");
    out += fmt::format("certtool_check_expiry_status {}\n", nagios_code(report.status()));
    metric_header(out,
                  "certtool_check_expiry_last_run_timestamp_seconds",
                  "When check-expiry last wrote this file, unix seconds.");
    out += fmt::format("certtool_check_expiry_last_run_timestamp_seconds {}\n",
                       unix_seconds(run_time));
    return out;
}

std::string prometheus_unknown(TimePoint run_time) {
    std::string out;
    metric_header(out,
                  "certtool_check_expiry_status",
                  "The overall state: 0 ok, 1 warning, 2 critical, 3 unknown (as Nagios).");
    out += "certtool_check_expiry_status 3\n";
    metric_header(out,
                  "certtool_check_expiry_last_run_timestamp_seconds",
                  "When check-expiry last wrote this file, unix seconds.");
    out += fmt::format("certtool_check_expiry_last_run_timestamp_seconds {}\n",
                       unix_seconds(run_time));
    return out;
}

}  // namespace certtool::monitor
