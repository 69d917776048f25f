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
