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
            {"demonstration", entry.demonstration},
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

json fixed_chain_json(const FixedChain& fixed, bool with_pem) {
    json certs = json::array({certificate_json(fixed.chain.leaf)});
    for (const auto& c : fixed.chain.intermediates) {
        certs.push_back(certificate_json(c));
    }
    json j = {{"complete", fixed.complete}, {"chain", certs}};
    if (fixed.chain.root) {
        j["root"] = certificate_json(*fixed.chain.root);
    }
    if (with_pem) {
        j["pem"] = fixed.pem;
    }
    return j;
}

json finding_json(const ChainFinding& finding) {
    json j = {{"code", finding.code},
              {"severity", severity_name(finding.severity)},
              {"message", finding.message},
              {"subject", finding.subject}};
    if (finding.position) {
        j["position"] = *finding.position;
    }
    return j;
}

namespace {

std::string sans_text(const Certificate& c) {
    std::string out;
    for (const auto& s : c.subject_alt_names()) {
        out += (out.empty() ? "" : ", ") + s.to_string();
    }
    return out;
}

}  // namespace

json chain_report_json(const ChainReport& report, const TrustStore& trust) {
    json path = json::array();
    for (const auto& pc : report.path) {
        json c = certificate_json(pc.certificate);
        c["trust_anchor"] = pc.trust_anchor;
        c["status"] = pc.problems.empty() ? "ok" : "failed";
        c["problems"] = pc.problems;
        path.push_back(std::move(c));
    }
    json names = json::array();
    for (const auto& n : report.names) {
        names.push_back({{"name", n.reference.to_string()},
                         {"matched", n.matched},
                         {"presented", n.presented}});
    }
    json findings = json::array();
    for (const auto& f : report.findings) {
        findings.push_back(finding_json(f));
    }
    return {{"valid", report.valid},
            {"verdict", report.valid ? "valid" : "invalid"},
            {"reached_trust_anchor", report.reached_anchor},
            {"profile", profile_name(report.profile)},
            {"validated_at", report.time_checked ? json(format_time(report.validated_at)) : json()},
            {"trust", trust.description()},
            {"paths_tried", report.paths_tried},
            {"path", path},
            {"names", names},
            {"findings", findings}};
}

void print_chain_report(std::ostream& out, const ChainReport& report, const TrustStore& trust) {
    const std::size_t n = report.path.size();
    for (std::size_t i = 0; i < n; ++i) {
        const auto& pc = report.path[i];
        const Certificate& c = pc.certificate;
        out << fmt::format("Certificate {} of {} in chain: {}{}\n",
                           i + 1,
                           n,
                           c.subject(),
                           pc.trust_anchor ? " (trust anchor)" : "");
        out << fmt::format("    Issuer:  {}\n", c.issuer());
        if (i == 0) {
            out << fmt::format("    SANs:    {}\n", sans_text(c));
        }
        out << fmt::format(
            "    Valid:   {} to {}\n", format_time(c.not_before()), format_time(c.not_after()));
        out << fmt::format("    SHA-256: {}\n", c.sha256_fingerprint());
        out << (pc.problems.empty()
                    ? std::string{"    Cert VALIDATED: ok\n"}
                    : fmt::format("    Cert FAILED: {}\n", fmt::join(pc.problems, ", ")));
    }
    for (const auto& m : report.names) {
        const std::string sans = report.path.empty() ? "" : sans_text(report.path[0].certificate);
        if (m.matched) {
            out << fmt::format("Cert Hostname VERIFIED ({} = {} | {})\n",
                               m.reference.value,
                               m.presented,
                               sans.empty() ? "no SANs" : sans);
        } else {
            out << fmt::format("Cert Hostname FAILED ({} matches none of: {})\n",
                               m.reference.value,
                               sans.empty() ? "no SANs" : sans);
        }
    }
    out << fmt::format("Result: {} (profile {}, {}, trust: {})\n",
                       report.valid ? "VALID" : "INVALID",
                       profile_name(report.profile),
                       report.time_checked ? "at " + format_time(report.validated_at)
                                           : std::string{"time not checked"},
                       trust.description());
    if (!report.findings.empty()) {
        out << "Findings:\n";
        for (const auto& f : report.findings) {
            out << fmt::format(
                "  {} [{}]: {}\n", severity_name(f.severity), finding_name(f.code), f.message);
        }
    }
}

json batch_item_json(const BatchItem& item) {
    json j = {{"file", item.file},
              {"valid", item.valid},
              {"subject", item.subject},
              {"codes", item.codes}};
    if (!item.message.empty()) {
        j["message"] = item.message;
    }
    if (item.read_error) {
        j["error"] = true;
    }
    return j;
}

std::string batch_item_line(const BatchItem& item) {
    if (item.read_error) {
        return fmt::format("{}: ERROR {}", item.file, item.message);
    }
    if (item.valid) {
        return fmt::format("{}: OK {}", item.file, item.subject);
    }
    return fmt::format(
        "{}: FAIL {} [{}] {}", item.file, item.subject, fmt::join(item.codes, ","), item.message);
}

void print_entry(std::ostream& out, const Entry& entry) {
    const Certificate& c = entry.certificate;
    std::string sans;
    for (const auto& s : c.subject_alt_names()) {
        sans += (sans.empty() ? "" : ", ") + s.to_string();
    }
    out << fmt::format("Name:         {}\n", entry.name)
        << fmt::format("Origin:       {}{}\n",
                       origin_name(entry.origin),
                       entry.demonstration ? " (the demonstration certificate)" : "")
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
            output.note(fmt::format("{} [{}]", f.message, finding_name(f.code)));
        } else {
            output.warn(fmt::format("{} [{}]", f.message, finding_name(f.code)));
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
                     {"over_long_lines", report.over_long},
                     {"truncated_lines", report.truncated},
                     {"evicted_connections", report.evicted}};
    if (!report.damaged_inputs.empty()) {
        nlohmann::json damaged = nlohmann::json::array();
        for (const auto& d : report.damaged_inputs) {
            damaged.push_back({{"file", d.path},
                               {"kind", maillog::kind_name(d.kind)},
                               {"detail", d.detail},
                               {"member", d.member},
                               {"compressed_offset", d.offset},
                               {"lines_read", d.lines},
                               {"bytes_read", d.bytes}});
        }
        j["damaged_inputs"] = damaged;
    }
    if (verbose) {
        const auto examples = [](const std::vector<maillog::MalformedLine>& lines) {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& m : lines) {
                list.push_back({{"line", m.line}, {"text", m.text}});
            }
            return list;
        };
        j["malformed_examples"] = examples(report.malformed_examples);
        j["over_long_examples"] = examples(report.over_long_examples);
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
    out << fmt::format("{} lines read, {} malformed", report.lines, report.malformed);
    if (report.truncated != 0) {
        out << fmt::format(", {} cut short", report.truncated);
    }
    if (report.over_long != 0) {
        out << fmt::format(", {} over-long (skipped)", report.over_long);
    }
    out << "\n";
    if (verbose) {
        for (const auto& m : report.malformed_examples) {
            out << fmt::format("  malformed line {}: {}\n", m.line, m.text);
        }
        for (const auto& m : report.over_long_examples) {
            out << fmt::format("  over-long line {}: {}...\n", m.line, m.text);
        }
    }
}

}  // namespace certtool::cli
