// Text and JSON views of library values. No decisions here, only presentation.
#pragma once

#include "cli.hpp"

#include <certtool/aia.hpp>
#include <certtool/batch.hpp>
#include <certtool/chain.hpp>
#include <certtool/fix_chain.hpp>
#include <certtool/smtp_probe.hpp>
#include <certtool/store.hpp>
#include <certtool/trust.hpp>
#include <certtool/verify.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iosfwd>
#include <vector>

namespace certtool {

// A finding code in JSON is its stable name (nlohmann's default for an enum is its number).
inline void to_json(nlohmann::json& j, FindingCode code) {
    j = finding_name(code);
}

}  // namespace certtool

// ... and in text, too.
template <>
struct fmt::formatter<certtool::FindingCode> : fmt::formatter<std::string_view> {
    template <typename FormatContext>
    auto format(certtool::FindingCode code, FormatContext& ctx) const {
        return fmt::formatter<std::string_view>::format(certtool::finding_name(code), ctx);
    }
};

namespace certtool::cli {

[[nodiscard]] nlohmann::json certificate_json(const Certificate& cert);
[[nodiscard]] nlohmann::json entry_json(const Entry& entry);
[[nodiscard]] nlohmann::json finding_json(const ChainFinding& finding);
// fix-chain's result: complete, chain (leaf first), root if one was given, pem when `with_pem`.
[[nodiscard]] nlohmann::json fixed_chain_json(const FixedChain& fixed, bool with_pem);

// The full multi-line view used by `show`.
void print_entry(std::ostream& out, const Entry& entry);

// Findings: warnings via Output::warn, info via Output::note; in JSON also result["findings"].
void report_findings(Output& output, const std::vector<ChainFinding>& findings);

// verify: the whole report, and one batch line.
[[nodiscard]] nlohmann::json chain_report_json(const ChainReport& report, const TrustStore& trust);
void print_chain_report(std::ostream& out, const ChainReport& report, const TrustStore& trust);
[[nodiscard]] nlohmann::json batch_item_json(const BatchItem& item);
[[nodiscard]] std::string batch_item_line(const BatchItem& item);

// check-tls: one probe (phases, chain, findings, policy table) and the MX table.
[[nodiscard]] nlohmann::json probe_json(const ProbeResult& r, const TrustStore& trust);
[[nodiscard]] nlohmann::json mx_report_json(const MxReport& report, const TrustStore& trust);
void print_probe(std::ostream& out, const ProbeResult& r, const TrustStore& trust);
void print_mx_report(std::ostream& out, const MxReport& report);

// Whole days from now until t (negative once past).
[[nodiscard]] long days_left(TimePoint t);

}  // namespace certtool::cli

namespace certtool::maillog {
struct Report;
}  // namespace certtool::maillog

namespace certtool::monitor {
struct ExpiryReport;
}  // namespace certtool::monitor

namespace certtool::cli {

// check-expiry: the whole report as JSON, and the text report (one row per certificate with the
// appliance's alert schedule, then the findings and the status line).
[[nodiscard]] nlohmann::json expiry_report_json(const monitor::ExpiryReport& report);
void print_expiry_report(std::ostream& out, const monitor::ExpiryReport& report);

}  // namespace certtool::cli

namespace certtool::cli {

// The mail-log report: `top` limits each distribution; `verbose` adds malformed line examples.
[[nodiscard]] nlohmann::json mail_log_json(const maillog::Report& report,
                                           std::size_t top,
                                           bool verbose);
void print_mail_log(std::ostream& out,
                    const maillog::Report& report,
                    std::size_t top,
                    bool verbose);

}  // namespace certtool::cli
