// check-expiry's text report (the appliance's alert schedule per certificate) and its JSON.
#include "render.hpp"

#include <certtool/expiry.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <ostream>

namespace certtool::cli {

namespace {

using monitor::ExpiryItem;
using monitor::ItemKind;

double as_days(monitor::Seconds s) {
    return static_cast<double>(s.count()) / 86400.0;
}

// "30 today", "30", "expired", "-": the schedule step the item is within.
std::string alert_text(const ExpiryItem& i) {
    if (!i.alert) {
        return "-";
    }
    if (*i.alert == 0) {
        return "expired";
    }
    return i.alert_today ? fmt::format("{} today", *i.alert) : std::to_string(*i.alert);
}

// "15 in 14d": the next step and when it comes.
std::string next_alert_text(const ExpiryItem& i) {
    return i.next_alert ? fmt::format("{} in {}d", *i.next_alert, i.days_left - *i.next_alert)
                        : "-";
}

std::string item_text(const ExpiryItem& i) {
    switch (i.kind) {
        case ItemKind::entry:
            return fmt::format("entry {} {}", i.entry, i.element);
        case ItemKind::ca:
            return fmt::format("CA {}{}", i.entry, i.enabled ? "" : " (disabled)");
        case ItemKind::binding:
            return fmt::format("{} ({}) -> {}", i.service, i.level, i.entry);
        case ItemKind::served:
            return fmt::format("served by {}", i.service);
    }
    return i.entry;
}

std::string threshold_text(const monitor::Thresholds& t) {
    std::string out =
        fmt::format("warning under {} days left, critical under {}", t.warn_days, t.crit_days);
    if (t.lifetime_share) {
        out += fmt::format(
            " (certificates of under {} days: under 1/3 of their lifetime, and {}/{} of that)",
            3 * t.warn_days,
            t.crit_days,
            t.warn_days);
    }
    return out;
}

}  // namespace

nlohmann::json expiry_report_json(const monitor::ExpiryReport& report) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& i : report.items) {
        nlohmann::json j = {
            {"kind", monitor::item_kind_name(i.kind)},
            {"label", i.label()},
            {"entry", i.entry},
            {"element", i.element},
            {"subject", i.subject},
            {"sha256", i.sha256},
            {"not_before", format_time(i.not_before)},
            {"not_after", format_time(i.not_after)},
            {"days_left", i.days_left},
            {"seconds_left", i.remaining.count()},
            {"status", monitor::status_name(i.status)},
            {"warn_days", as_days(i.thresholds.warn)},
            {"crit_days", as_days(i.thresholds.crit)},
            {"alert", i.alert ? nlohmann::json(*i.alert) : nlohmann::json()},
            {"alert_today", i.alert_today},
            {"next_alert", i.next_alert ? nlohmann::json(*i.next_alert) : nlohmann::json()}};
        if (i.kind == ItemKind::binding || i.kind == ItemKind::served) {
            j["service"] = i.service;
            j["level"] = i.level;
        }
        if (i.kind == ItemKind::ca) {
            j["enabled"] = i.enabled;
        }
        items.push_back(j);
    }
    nlohmann::json findings = nlohmann::json::array();
    for (const auto& f : report.findings) {
        findings.push_back({{"code", monitor::finding_code_name(f.code)},
                            {"status", monitor::status_name(f.status)},
                            {"subject", f.subject},
                            {"message", f.message}});
    }
    nlohmann::json probes = nlohmann::json::array();
    for (const auto& p : report.probes) {
        probes.push_back({{"listener", p.listener},
                          {"endpoint", p.endpoint},
                          {"entry", p.entry},
                          {"probed", p.probed},
                          {"reached", p.reached},
                          {"expected_sha256", p.expected_sha256},
                          {"served_sha256", p.served_sha256},
                          {"detail", p.detail}});
    }
    return {{"store", report.store},
            {"machine", report.machine},
            {"revision", report.revision},
            {"at", format_time(report.at)},
            {"status", monitor::status_name(report.status())},
            {"thresholds",
             {{"warn_days", report.thresholds.warn_days},
              {"crit_days", report.thresholds.crit_days},
              {"lifetime_share", report.thresholds.lifetime_share}}},
            {"items", items},
            {"findings", findings},
            {"probes", probes},
            {"needs_renewal", report.needs_renewal()}};
}

void print_expiry_report(std::ostream& out, const monitor::ExpiryReport& report) {
    out << fmt::format("check-expiry at {}: store {}, machine {}, committed revision {}\n",
                       format_time(report.at),
                       report.store,
                       report.machine,
                       report.revision);
    out << threshold_text(report.thresholds) << '\n';
    std::size_t width = 11;  // "CERTIFICATE"
    for (const auto& i : report.items) {
        width = std::max(width, item_text(i).size());
    }
    constexpr const char* k_row = "{:<9} {:>6}  {:<9} {:<11} {:<20}  {:<{}}  {}\n";
    if (!report.items.empty()) {
        out << fmt::format(
            k_row, "STATUS", "DAYS", "ALERT", "NEXT", "NOT AFTER", "CERTIFICATE", width, "SUBJECT");
    }
    for (const auto& i : report.items) {
        out << fmt::format(k_row,
                           monitor::status_name(i.status),
                           i.days_left,
                           alert_text(i),
                           next_alert_text(i),
                           format_time(i.not_after),
                           item_text(i),
                           width,
                           printable(i.subject));
    }
    for (const auto& p : report.probes) {
        if (!p.probed) {
            out << fmt::format(
                "listener {} ({}): not probed: {}\n", p.listener, p.endpoint, p.detail);
        }
    }
    for (const auto& f : report.findings) {
        out << fmt::format("{}: {}: {}\n",
                           monitor::status_name(f.status),
                           monitor::finding_code_name(f.code),
                           printable(f.message));
    }
    const auto renew = report.needs_renewal();
    std::string renew_text;
    for (const auto& n : renew) {
        renew_text += (renew_text.empty() ? "" : ", ") + n;
    }
    out << fmt::format("status: {} ({} certificate(s), {} finding(s){})\n",
                       monitor::status_name(report.status()),
                       report.items.size(),
                       report.findings.size(),
                       renew.empty() ? "" : "; needs renewal: " + renew_text);
}

}  // namespace certtool::cli
