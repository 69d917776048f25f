#include "render.hpp"

#include <fmt/core.h>

#include <chrono>
#include <ostream>

namespace certtool::cli {

using nlohmann::json;

long days_left(TimePoint t) {
    const auto left = t - std::chrono::system_clock::now();
    // Rounded to the nearest day: a certificate made now for 365 days has 365 left.
    const auto hours = std::chrono::duration_cast<std::chrono::hours>(left).count();
    return static_cast<long>((hours + (hours >= 0 ? 12 : -12)) / 24);
}

json certificate_json(const Certificate& cert) {
    json sans = json::array();
    for (const auto& s : cert.subject_alt_names()) {
        sans.push_back(s.to_string());
    }
    return {{"subject", cert.subject()},
            {"issuer", cert.issuer()},
            {"serial", cert.serial_hex()},
            {"not_before", format_time(cert.not_before())},
            {"not_after", format_time(cert.not_after())},
            {"days_left", days_left(cert.not_after())},
            {"sans", sans},
            {"key", cert.key_description()},
            {"signature_algorithm", cert.signature_algorithm()},
            {"self_signed", cert.is_self_signed()},
            {"sha256_fingerprint", cert.sha256_fingerprint()}};
}

json entry_json(const Entry& entry) {
    json chain = json::array();
    for (const auto& c : entry.chain) {
        chain.push_back(certificate_json(c));
    }
    json sans = json::array();
    for (const auto& s : entry.request.sans) {
        sans.push_back(s.to_string());
    }
    const auto& dn = entry.request.subject;
    return {{"name", entry.name},
            {"origin", origin_name(entry.origin)},
            {"key", entry.key.describe()},
            {"created", format_time(entry.created)},
            {"updated", format_time(entry.updated)},
            {"request",
             {{"cn", dn.common_name},
              {"org", dn.organization},
              {"ou", dn.organizational_unit},
              {"locality", dn.locality},
              {"state", dn.state},
              {"country", dn.country},
              {"sans", sans}}},
            {"certificate", certificate_json(entry.certificate)},
            {"chain", chain}};
}

json finding_json(const ChainFinding& finding) {
    return {{"code", finding.code},
            {"severity", severity_name(finding.severity)},
            {"message", finding.message},
            {"subject", finding.subject}};
}

void print_entry(std::ostream& out, const Entry& entry) {
    const Certificate& c = entry.certificate;
    std::string sans;
    for (const auto& s : c.subject_alt_names()) {
        sans += (sans.empty() ? "" : ", ") + s.to_string();
    }
    out << fmt::format("Name:         {}\n", entry.name)
        << fmt::format("Origin:       {}\n", origin_name(entry.origin))
        << fmt::format("Key:          {}\n", entry.key.describe())
        << fmt::format("Subject:      {}\n", c.subject())
        << fmt::format("Issuer:       {}\n", c.issuer()) << fmt::format("SANs:         {}\n", sans)
        << fmt::format("Serial:       {}\n", c.serial_hex())
        << fmt::format("Valid from:   {}\n", format_time(c.not_before()))
        << fmt::format("Valid until:  {} ({} days left)\n",
                       format_time(c.not_after()),
                       days_left(c.not_after()))
        << fmt::format("SHA-256:      {}\n", c.sha256_fingerprint())
        << fmt::format("Chain:        {} intermediate(s)\n", entry.chain.size());
    for (std::size_t i = 0; i < entry.chain.size(); ++i) {
        out << fmt::format("  [{}] {} (until {})\n",
                           i + 1,
                           entry.chain[i].subject(),
                           format_time(entry.chain[i].not_after()));
    }
    out << fmt::format("Created:      {}\n", format_time(entry.created))
        << fmt::format("Updated:      {}\n", format_time(entry.updated));
}

void report_findings(Output& output, const std::vector<ChainFinding>& findings) {
    if (output.json()) {
        json list = json::array();
        for (const auto& f : findings) {
            list.push_back(finding_json(f));
        }
        output.result()["findings"] = list;
        return;
    }
    for (const auto& f : findings) {
        if (f.severity == Severity::info) {
            output.note(f.message + " [" + f.code + "]");
        } else {
            output.warn(f.message + " [" + f.code + "]");
        }
    }
}

}  // namespace certtool::cli

#include <certtool/mail_log.hpp>

#include <algorithm>

namespace certtool::cli {

namespace {

using Tally = std::map<std::string, std::uint64_t>;

std::vector<std::pair<std::string, std::uint64_t>> top_of(const Tally& t, std::size_t top) {
    std::vector<std::pair<std::string, std::uint64_t>> v(t.begin(), t.end());
    std::stable_sort(
        v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    if (v.size() > top) {
        v.resize(top);
    }
    return v;
}

nlohmann::json tally_json(const Tally& t, std::size_t top) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, n] : top_of(t, top)) {
        out[k] = n;
    }
    return out;
}

nlohmann::json counts_json(const maillog::Counts& c) {
    return {{"connections", c.connections},
            {"tls_success", c.tls_success},
            {"tls_failed", c.tls_failed},
            {"no_tls", c.no_tls}};
}

nlohmann::json direction_json(const maillog::DirectionReport& d, std::size_t top) {
    nlohmann::json j = counts_json(d.counts);
    j["messages_without_tls"] = d.messages_without_tls;
    j["messages_without_tls_ids"] = d.messages_without_tls_ids;
    j["failures"] = tally_json(d.failures, top);
    j["protocols"] = tally_json(d.protocols, top);
    j["ciphers"] = tally_json(d.ciphers, top);
    j["legacy_protocol"] = d.legacy_protocol;
    j["weak_cipher"] = d.weak_cipher;
    return j;
}

void print_direction(std::ostream& out,
                     const char* title,
                     const maillog::DirectionReport& d,
                     std::size_t top) {
    const auto& c = d.counts;
    out << fmt::format("{}: {} connections, TLS success {}, TLS failed {}, no TLS {}\n",
                       title,
                       c.connections,
                       c.tls_success,
                       c.tls_failed,
                       c.no_tls);
    for (const auto& [reason, n] : top_of(d.failures, top)) {
        out << fmt::format("  failed {:>8}  {}\n", n, reason);
    }
    for (const auto& [p, n] : top_of(d.protocols, top)) {
        out << fmt::format("  protocol {:>6}  {}{}\n",
                           n,
                           p,
                           maillog::is_legacy_protocol(p) ? "  (legacy: disable TLS 1.0/1.1)" : "");
    }
    for (const auto& [ci, n] : top_of(d.ciphers, top)) {
        out << fmt::format(
            "  cipher {:>8}  {}{}\n", n, ci, maillog::is_weak_cipher(ci) ? "  (weak)" : "");
    }
    out << fmt::format("  messages without TLS: {}", d.messages_without_tls);
    if (!d.messages_without_tls_ids.empty()) {
        std::string ids;
        for (std::size_t i = 0; i < d.messages_without_tls_ids.size() && i < top; ++i) {
            ids += (i == 0 ? "" : " ") + d.messages_without_tls_ids[i];
        }
        out << " (" << ids << (d.messages_without_tls > top ? " ..." : "") << ")";
    }
    out << "\n";
}

}  // namespace

nlohmann::json mail_log_json(const maillog::Report& report, std::size_t top, bool verbose) {
    nlohmann::json inbound = direction_json(report.inbound, top);
    nlohmann::json outbound = direction_json(report.outbound, top);
    nlohmann::json domains = nlohmann::json::object();
    for (const auto& [domain, s] : report.outbound.domains) {
        nlohmann::json d = counts_json(s.counts);
        d["failures"] = tally_json(s.failures, top);
        domains[domain] = d;
    }
    outbound["domains"] = domains;
    nlohmann::json j{{"inbound", inbound},
                     {"outbound", outbound},
                     {"repeated_failure_domains", maillog::repeated_failure_domains(report)},
                     {"required_tls_failures", report.required_tls_failures},
                     {"lines", report.lines},
                     {"malformed_lines", report.malformed},
                     {"evicted_connections", report.evicted}};
    if (verbose) {
        nlohmann::json bad = nlohmann::json::array();
        for (const auto& m : report.malformed_examples) {
            bad.push_back({{"line", m.line}, {"text", m.text}});
        }
        j["malformed_examples"] = bad;
    }
    return j;
}

void print_mail_log(std::ostream& out,
                    const maillog::Report& report,
                    std::size_t top,
                    bool verbose) {
    print_direction(out, "Inbound", report.inbound, top);
    print_direction(out, "Outbound", report.outbound, top);
    for (const auto& [domain, n] : top_of(
             [&] {
                 Tally t;
                 for (const auto& [d, s] : report.outbound.domains) {
                     t[d] = s.counts.connections;
                 }
                 return t;
             }(),
             top)) {
        const auto& s = report.outbound.domains.at(domain);
        out << fmt::format("  to {:<32} {:>6} conns, TLS {:>6}, failed {:>4}, clear {:>6}\n",
                           domain,
                           n,
                           s.counts.tls_success,
                           s.counts.tls_failed,
                           s.counts.no_tls);
    }
    const auto repeated = maillog::repeated_failure_domains(report);
    if (!repeated.empty()) {
        std::string list;
        for (const auto& d : repeated) {
            list += (list.empty() ? "" : ", ") + d;
        }
        out << "Domains where TLS failed repeatedly: " << list << "\n";
    }
    out << fmt::format("{} lines read, {} malformed\n", report.lines, report.malformed);
    if (verbose) {
        for (const auto& m : report.malformed_examples) {
            out << fmt::format("  malformed line {}: {}\n", m.line, m.text);
        }
    }
}

}  // namespace certtool::cli
