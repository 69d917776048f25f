// Assembling a ChainReport around the best path: host names, warnings about the chain as
// presented, and the per-certificate problem lists.
#pragma once

#include <certtool/verify.hpp>

#include <vector>

namespace certtool::detail {

// Matches each of options.names against `leaf` into report.names; a hostname-mismatch error
// for each one that does not match.
void add_name_findings(ChainReport& report, const Certificate& leaf, const VerifyOptions& options);

// An expires-before-leaf warning for each CA of report.path still valid at `at` that expires
// before `leaf`.
void add_expiry_warnings(ChainReport& report, const Certificate& leaf, TimePoint at);

// What the presented certificates (`untrusted`) looked like next to the verified `path`:
// duplicates, strays (certificates on a CRL's path are not strays), order. Warnings only.
void add_presentation_findings(const Certificate& leaf,
                               const std::vector<Certificate>& untrusted,
                               const std::vector<Certificate>& path,
                               const std::vector<Crl>& crls,
                               std::vector<ChainFinding>& out);

// Lists each error finding's code on the path certificate it is about, and sets report.valid:
// no finding of severity error.
void conclude(ChainReport& report);

}  // namespace certtool::detail
