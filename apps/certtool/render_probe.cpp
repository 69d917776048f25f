// check-tls output: the per-phase table, the served chain, the CheckTLS-style MX table with
// its average row, and the TLS policy outcome table. JSON mirrors all of it.
#include "render.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <functional>
#include <ostream>

namespace certtool::cli {

using nlohmann::json;

namespace {

std::string ms_text(double ms) {
    return ms < 10 ? fmt::format("{:.1f} ms", ms) : fmt::format("{:.0f} ms", ms);
}

const char* mark(bool ok) {
    return ok ? "OK" : "FAIL";
}

json policy_json(const std::function<Delivery(TlsMode)>& delivery_for) {
    json j = json::object();
    for (const TlsMode m : k_tls_modes) {
        const Delivery d = delivery_for(m);
        j[std::string{tls_mode_name(m)}] = {{"delivered", d.delivered},
                                            {"encrypted", d.encrypted},
                                            {"verified", d.verified},
                                            {"as_demanded", d.as_demanded},
                                            {"result", d.text()}};
    }
    return j;
}

}  // namespace

json probe_json(const ProbeResult& r, const TrustStore& trust) {
    json steps = json::array();
    for (const auto& s : r.steps) {
        steps.push_back({{"name", s.name},
                         {"status", step_status_name(s.status)},
                         {"ms", s.ms},
                         {"detail", s.detail}});
    }
    json served = json::array();
    for (const auto& c : r.served) {
        served.push_back(certificate_json(c));
    }
    json findings = json::array();
    for (const auto& f : r.findings) {
        findings.push_back(finding_json(f));
    }
    const auto& s = r.summary;
    return {
        {"host", r.host},
        {"address", r.address},
        {"port", r.port},
        {"mx_preference", r.mx_preference},
        {"mode", probe_mode_name(r.mode)},
        {"ehlo_name", r.ehlo_name},
        {"banner", r.banner},
        {"esmtp", r.esmtp},
        {"starttls_offered", r.starttls_offered},
        {"extensions", r.extensions},
        {"tls",
         r.tls_protocol.empty()
             ? json()
             : json{{"protocol", r.tls_protocol}, {"cipher", r.tls_cipher}, {"bits", r.tls_bits}}},
        {"steps", steps},
        {"served_chain", served},
        {"chain", r.chain ? chain_report_json(*r.chain, trust) : json()},
        {"findings", findings},
        {"outcome", std::string(1, outcome_letter(r.outcome))},
        {"outcome_description", outcome_description(r.outcome)},
        {"summary",
         {{"connect", s.connect},
          {"helo", s.helo},
          {"tls", s.tls},
          {"cert", s.cert},
          {"secure", s.secure},
          {"from", s.from ? json(*s.from) : json()}}},
        {"confidence", r.confidence},
        {"total_ms", r.total_ms},
        {"policy", policy_json([&](TlsMode m) { return delivery(m, r.outcome); })}};
}

json mx_report_json(const MxReport& report, const TrustStore& trust) {
    json hosts = json::array();
    for (const auto& h : report.hosts) {
        hosts.push_back(probe_json(h, trust));
    }
    return {{"domain", report.domain},
            {"implicit_mx", report.mx.implicit},
            {"hosts", hosts},
            {"confidence", report.confidence},
            {"mean_ms", report.mean_ms},
            {"policy", policy_json([&](TlsMode m) { return report.delivery(m); })}};
}

void print_probe(std::ostream& out, const ProbeResult& r, const TrustStore& trust) {
    out << fmt::format("{}{} port {} ({})\n",
                       r.host,
                       r.address.empty() || r.address == r.host ? "" : " [" + r.address + "]",
                       r.port,
                       probe_mode_name(r.mode));
    out << fmt::format("  {:<14} {:<8} {:>9}  {}\n", "phase", "status", "time", "detail");
    for (const auto& s : r.steps) {
        out << fmt::format("  {:<14} {:<8} {:>9}  {}\n",
                           s.name,
                           step_status_name(s.status),
                           s.status == StepStatus::skipped ? "" : ms_text(s.ms),
                           s.detail);
    }
    if (!r.tls_protocol.empty()) {
        out << fmt::format("TLS: {} with {} ({} bits)\n", r.tls_protocol, r.tls_cipher, r.tls_bits);
    }
    if (r.chain) {
        out << fmt::format("Served chain: {} certificate(s)\n", r.served.size());
        ChainReport shown = *r.chain;
        shown.findings.clear();  // printed once below, with the probe's own
        print_chain_report(out, shown, trust);
    }
    if (!r.findings.empty()) {
        out << "Findings:\n";
        for (const auto& f : r.findings) {
            out << fmt::format(
                "  {} [{}]: {}\n", severity_name(f.severity), finding_name(f.code), f.message);
        }
    }
    out << fmt::format("Outcome: {} ({}); confidence {}%; {}\n",
                       outcome_letter(r.outcome),
                       outcome_description(r.outcome),
                       r.confidence,
                       ms_text(r.total_ms));
    out << "TLS policy outcomes:\n";
    for (const TlsMode m : k_tls_modes) {
        out << fmt::format("  {:<17} {}\n", tls_mode_name(m), delivery(m, r.outcome).text());
    }
}

void print_mx_report(std::ostream& out, const MxReport& report) {
    out << fmt::format("MX hosts of {}{}\n",
                       report.domain,
                       report.mx.implicit ? " (no MX record: the domain's own address)" : "");
    const auto row = [&](const std::string& pref,
                         const std::string& host,
                         const std::string& addr,
                         const std::array<std::string, 6>& cols,
                         const std::string& outcome,
                         const std::string& conf,
                         const std::string& time) {
        out << fmt::format("  {:<5} {:<28} {:<16} {:<8}{:<8}{:<8}{:<8}{:<8}{:<8}{:<8}{:>5}  {}\n",
                           pref,
                           host,
                           addr,
                           cols[0],
                           cols[1],
                           cols[2],
                           cols[3],
                           cols[4],
                           cols[5],
                           outcome,
                           conf,
                           time);
    };
    row("Pref",
        "Host",
        "Address",
        {"Connect", "HELO", "TLS", "Cert", "Secure", "From"},
        "Result",
        "Conf",
        "Time");
    std::array<int, 6> passed{};
    int from_tested = 0;
    for (const auto& h : report.hosts) {
        const auto& s = h.summary;
        const std::array<bool, 5> flags{s.connect, s.helo, s.tls, s.cert, s.secure};
        std::array<std::string, 6> cols;
        for (std::size_t i = 0; i < flags.size(); ++i) {
            cols.at(i) = mark(flags.at(i));
            passed.at(i) += flags.at(i) ? 1 : 0;
        }
        cols[5] = s.from ? mark(*s.from) : "-";
        if (s.from) {
            ++from_tested;
            passed[5] += *s.from ? 1 : 0;
        }
        row(std::to_string(h.mx_preference),
            h.host,
            h.address.empty() ? "-" : h.address,
            cols,
            std::string(1, outcome_letter(h.outcome)),
            fmt::format("{}%", h.confidence),
            ms_text(h.total_ms));
    }
    const auto n = static_cast<double>(std::max<std::size_t>(report.hosts.size(), 1));
    std::array<std::string, 6> avg;
    for (std::size_t i = 0; i < 5; ++i) {
        avg.at(i) = fmt::format("{:.0f}%", 100.0 * passed.at(i) / n);
    }
    avg[5] = from_tested == 0 ? "-" : fmt::format("{:.0f}%", 100.0 * passed[5] / from_tested);
    row("", "Average", "", avg, "", fmt::format("{}%", report.confidence), ms_text(report.mean_ms));
    out << fmt::format(
        "Confidence factor: {}% (mean of the hosts' scores: Connect 20, HELO 20, "
        "TLS 20, Cert 20, Secure 20)\n",
        report.confidence);
    for (const auto& h : report.hosts) {
        for (const auto& f : h.findings) {
            if (f.severity != Severity::info) {
                out << fmt::format("  {}: {} [{}]: {}\n",
                                   h.host,
                                   severity_name(f.severity),
                                   finding_name(f.code),
                                   f.message);
            }
        }
    }
    out << "TLS policy outcomes (mail to " << report.domain << "):\n";
    for (const TlsMode m : k_tls_modes) {
        std::string per_host;
        for (const auto& h : report.hosts) {
            per_host += fmt::format(
                "{}{}: {}", per_host.empty() ? "" : "; ", h.host, delivery(m, h.outcome).text());
        }
        out << fmt::format(
            "  {:<17} {:<22} ({})\n", tls_mode_name(m), report.delivery(m).text(), per_host);
    }
}

}  // namespace certtool::cli
