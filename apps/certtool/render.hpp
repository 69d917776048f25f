// Text and JSON views of library values. No decisions here, only presentation.
#pragma once

#include "cli.hpp"

#include <certtool/chain.hpp>
#include <certtool/store.hpp>

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <vector>

namespace certtool::cli {

[[nodiscard]] nlohmann::json certificate_json(const Certificate& cert);
[[nodiscard]] nlohmann::json entry_json(const Entry& entry);
[[nodiscard]] nlohmann::json finding_json(const ChainFinding& finding);

// The full multi-line view used by `show`.
void print_entry(std::ostream& out, const Entry& entry);

// Findings: warnings via Output::warn, info via Output::note; in JSON also result["findings"].
void report_findings(Output& output, const std::vector<ChainFinding>& findings);

// Whole days from now until t (negative once past).
[[nodiscard]] long days_left(TimePoint t);

}  // namespace certtool::cli
